package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

var agentsSecretRE = regexp.MustCompile(`value="(whsec_[A-Za-z0-9+/=_-]+)"`)

// agentsSecret returns the webhook secret a page shows, failing unless it
// is there exactly once.
func agentsSecret(t testing.TB, p page) string {
	t.Helper()
	text := html.UnescapeString(p.body) // base64's + is escaped
	m := agentsSecretRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no webhook secret in the page (%d): %.2000s", p.status, p.body)
	}
	if n := strings.Count(text, m[1]); n != 1 {
		t.Fatalf("the secret is in the page %d times", n)
	}
	return m[1]
}

// agentsGet reads an agent over REST with the test key.
func agentsGet(t testing.TB, s *server, id string) (int, map[string]any) {
	t.Helper()
	return s.api("GET", "/v1/agents/"+id, s.testKey, "")
}

var agentsLocationRE = regexp.MustCompile(`^/console/agents/([0-9a-f-]{36})$`)

func TestAgentsCreateRenameWebhook(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	list := b.raw("GET", "/console/agents", nil)
	if list.status != 200 {
		t.Fatalf("agents list: %d", list.status)
	}
	mustContain(t, list, "No agents in test mode yet", `href="/console/agents/new"`)
	form := b.raw("GET", "/console/agents/new", nil)
	if form.status != 200 {
		t.Fatalf("new agent form: %d", form.status)
	}
	token := form.csrf(t)

	// Refused: in place, with what was typed.
	p := b.raw("POST", "/console/agents", url.Values{"csrf": {token}, "name": {"  "}, "webhook_url": {"https://a.example/x"}})
	if p.status != 400 {
		t.Fatalf("create without a name: %d", p.status)
	}
	mustContain(t, p, "name is required", `role="alert"`, `value="https://a.example/x"`)
	p = b.raw("POST", "/console/agents", url.Values{"csrf": {token}, "name": {"Hooked"}, "webhook_url": {"ftp://a.example/x"}})
	if p.status != 400 {
		t.Fatalf("create with a bad URL: %d", p.status)
	}
	mustContain(t, p, "webhook_url must be", `value="Hooked"`)
	// Without the token: 403, nothing made.
	if p := b.raw("POST", "/console/agents", url.Values{"name": {"No token"}}); p.status != 403 {
		t.Fatalf("create without token: %d", p.status)
	}
	if _, m := s.api("GET", "/v1/agents", s.testKey, ""); len(m["data"].([]any)) != 0 {
		t.Fatalf("agents made by refused posts: %v", m)
	}

	// Without a webhook: a redirect to its page.
	p = b.raw("POST", "/console/agents", url.Values{"csrf": {token}, "name": {"Support <bot>"}})
	if p.status != http.StatusSeeOther || !agentsLocationRE.MatchString(p.location) {
		t.Fatalf("create: %d %q %.300s", p.status, p.location, p.body)
	}
	id := agentsLocationRE.FindStringSubmatch(p.location)[1]
	show := b.raw("GET", p.location, nil)
	mustContain(t, show, "Support &lt;bot&gt;", id, "No key is bound", "This agent has no numbers", `href="/console/keys/new?agent_id=`+id)
	mustShow(t, show, "Agent “Support <bot>” created.")
	if st, a := agentsGet(t, s, id); st != 200 || a["name"] != "Support <bot>" {
		t.Fatalf("REST agent: %d %v", st, a)
	}

	// Rename; refused (empty) in place; without the token nothing.
	p = b.raw("POST", "/console/agents/"+id+"/rename", url.Values{"csrf": {token}, "name": {""}})
	if p.status != 400 {
		t.Fatalf("rename to nothing: %d", p.status)
	}
	mustContain(t, p, "name is required", `role="alert"`)
	if p := b.raw("POST", "/console/agents/"+id+"/rename", url.Values{"name": {"Hijacked"}}); p.status != 403 {
		t.Fatalf("rename without token: %d", p.status)
	}
	p = b.raw("POST", "/console/agents/"+id+"/rename", url.Values{"csrf": {token}, "name": {"Support bot"}})
	if p.status != http.StatusSeeOther || p.location != "/console/agents/"+id {
		t.Fatalf("rename: %d %q", p.status, p.location)
	}
	if _, a := agentsGet(t, s, id); a["name"] != "Support bot" {
		t.Fatalf("after rename: %v", a)
	}
	mustShow(t, b.raw("GET", p.location, nil), "Agent renamed to “Support bot”.")

	// Set the webhook: its secret is shown once, from the POST.
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "webhook_url": {""}})
	if p.status != 400 {
		t.Fatalf("set an empty webhook: %d", p.status)
	}
	mustContain(t, p, "Type the webhook URL")
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "webhook_url": {"not a url"}})
	if p.status != 400 {
		t.Fatalf("set a bad webhook: %d", p.status)
	}
	mustContain(t, p, "webhook_url must be", `value="not a url"`)
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "webhook_url": {"https://agent.example/in"}})
	if p.status != 200 {
		t.Fatalf("set webhook: %d %.300s", p.status, p.body)
	}
	secret := agentsSecret(t, p)
	mustContain(t, p, "Webhook set", "Standard Webhooks")
	if _, a := agentsGet(t, s, id); a["webhook_url"] != "https://agent.example/in" {
		t.Fatalf("after set webhook: %v", a)
	}
	show = b.raw("GET", "/console/agents/"+id, nil)
	mustContain(t, show, "https://agent.example/in", "Remove the webhook")
	if strings.Contains(html.UnescapeString(show.body), secret) {
		t.Fatal("the agent page shows the secret again")
	}
	list = b.raw("GET", "/console/agents", nil)
	mustContain(t, list, `href="/console/agents/`+id+`"`, "Support bot", "webhook https://agent.example/in")
	if strings.Contains(html.UnescapeString(list.body), secret) {
		t.Fatal("the list shows the secret")
	}
	// Change it: same secret, none shown.
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "webhook_url": {"https://agent.example/v2"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("change webhook: %d %.300s", p.status, p.body)
	}
	if _, a := agentsGet(t, s, id); a["webhook_url"] != "https://agent.example/v2" {
		t.Fatalf("after change webhook: %v", a)
	}
	mustContain(t, b.raw("GET", p.location, nil), "Webhook URL changed")
	// Remove it: the box must be ticked.
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "remove": {"yes"}})
	if p.status != 400 {
		t.Fatalf("remove unconfirmed: %d", p.status)
	}
	mustContain(t, p, "Tick the box")
	if _, a := agentsGet(t, s, id); a["webhook_url"] != "https://agent.example/v2" {
		t.Fatalf("removed unconfirmed: %v", a)
	}
	p = b.raw("POST", "/console/agents/"+id+"/webhook", url.Values{"csrf": {token}, "remove": {"yes"}, "confirm": {"yes"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("remove webhook: %d", p.status)
	}
	if _, a := agentsGet(t, s, id); a["webhook_url"] != nil {
		t.Fatalf("after remove webhook: %v", a)
	}
	mustContain(t, b.raw("GET", p.location, nil), "Webhook removed", "Set webhook")

	// Created with a webhook: the agent page, from the POST, with its secret.
	p = b.raw("POST", "/console/agents", url.Values{"csrf": {token}, "name": {"Hooked"}, "webhook_url": {"https://hooked.example/x"}})
	if p.status != 200 {
		t.Fatalf("create with webhook: %d %.300s", p.status, p.body)
	}
	agentsSecret(t, p)
	mustContain(t, p, "created, with its webhook", "https://hooked.example/x")
}

func TestAgentsNumbersKeysAndDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	st, a := s.api("POST", "/v1/agents", s.testKey, `{"name":"Buyer"}`)
	if st != 201 {
		t.Fatalf("create agent: %d %v", st, a)
	}
	id := a["id"].(string)
	// A number bought for it, on the default subject (no approval there).
	st, pr := s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789","area_code":"415","agent_id":"`+id+`"}`)
	if st != 201 && st != 202 {
		t.Fatalf("provision: %d %v", st, pr)
	}
	phone, _ := pr["phone"].(map[string]any)
	if phone == nil {
		t.Fatalf("provision answered %v", pr)
	}
	phoneID, e164 := phone["id"].(string), phone["e164"].(string)

	b := s.browser()
	b.mustLogin()
	b.testMode()
	list := b.raw("GET", "/console/agents", nil)
	mustContain(t, list, `href="/console/numbers/`+phoneID+`"`, "create one")
	mustShow(t, list, e164)

	// A key bound to it, made in the console.
	token := b.raw("GET", "/console/keys/new?agent_id="+id, nil).csrf(t)
	p := b.raw("POST", "/console/keys", url.Values{"csrf": {token}, "name": {"buyer key"}, "mode": {"test"}, "agent_id": {id}})
	if p.status != 200 {
		t.Fatalf("create bound key: %d %.300s", p.status, p.body)
	}
	secret := keysSecret(t, p)
	show := b.raw("GET", "/console/agents/"+id, nil)
	mustContain(t, show, "buyer key", `href="/console/numbers/`+phoneID+`"`, "(default)", "Revoke its 1 active key first")
	mustShow(t, show, e164)
	list = b.raw("GET", "/console/agents", nil)
	mustContain(t, list, "1 active", "buyer key")

	// Delete: a confirmation naming the key; refused while it is active.
	confirm := b.raw("GET", "/console/agents/"+id+"/delete", nil)
	if confirm.status != 200 {
		t.Fatalf("delete confirmation: %d", confirm.status)
	}
	mustContain(t, confirm, "Deleting is permanent", "buyer key", `action="/console/agents/`+id+`/delete"`)
	if p := b.raw("POST", "/console/agents/"+id+"/delete", url.Values{}); p.status != 403 {
		t.Fatalf("delete without token: %d", p.status)
	}
	p = b.raw("POST", "/console/agents/"+id+"/delete", url.Values{"csrf": {token}})
	if p.status != 409 {
		t.Fatalf("delete with a bound key: %d %.300s", p.status, p.body)
	}
	mustContain(t, p, "An unrevoked API key is bound to this agent.", "Revoke its keys first", `role="alert"`, "buyer key")
	if st, _ := agentsGet(t, s, id); st != 200 {
		t.Fatalf("agent deleted by a refused delete: %d", st)
	}
	// Revoke the key (through the console), then delete.
	var keyID string
	for _, k := range keysLogin(t, s).keys() {
		if k["name"] == "buyer key" {
			keyID = k["id"].(string)
		}
	}
	if p := b.raw("POST", "/console/keys/"+keyID+"/revoke", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if st, _ := s.api("GET", "/v1/auth/whoami", secret, ""); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	p = b.raw("POST", "/console/agents/"+id+"/delete", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/agents" {
		t.Fatalf("delete: %d %q %.300s", p.status, p.location, p.body)
	}
	if st, _ := agentsGet(t, s, id); st != 404 {
		t.Fatalf("deleted agent: %d", st)
	}
	mustShow(t, b.raw("GET", p.location, nil), "Agent “Buyer” deleted")
	if p := b.raw("GET", "/console/agents/"+id, nil); p.status != 404 {
		t.Fatalf("deleted agent page: %d", p.status)
	}
}

func TestAgentsForeignIDs(t *testing.T) {
	t.Parallel()
	s := start(t)
	h := keysLogin(t, s)
	st, a := h.call("live", "POST", "/v1/agents", `{"name":"Live only"}`)
	if st != 201 {
		t.Fatalf("live agent: %d %v", st, a)
	}
	live := a["id"].(string)
	b := s.browser()
	b.mustLogin()
	// In live mode it is there…
	if p := b.raw("GET", "/console/agents/"+live, nil); p.status != 200 {
		t.Fatalf("live agent in live mode: %d", p.status)
	}
	b.testMode()
	token := b.raw("GET", "/console/agents", nil).csrf(t)
	// …in test mode, as an unknown id, it is not found, and nothing is done.
	for _, bad := range []string{live, uuid.NewString(), "not-a-uuid"} {
		for _, path := range []string{"/console/agents/" + bad, "/console/agents/" + bad + "/delete"} {
			if p := b.raw("GET", path, nil); p.status != 404 || !strings.Contains(p.body, "not_found") {
				t.Fatalf("GET %s: %d", path, p.status)
			}
		}
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/rename", url.Values{"name": {"Renamed"}}},
			{"/webhook", url.Values{"webhook_url": {"https://x.example/"}}},
			{"/delete", url.Values{}},
		} {
			c.form.Set("csrf", token)
			if p := b.raw("POST", "/console/agents/"+bad+c.path, c.form); p.status != 404 {
				t.Fatalf("POST %s%s: %d", bad, c.path, p.status)
			}
		}
	}
	if st, a := h.call("live", "GET", "/v1/agents/"+live, ""); st != 200 || a["name"] != "Live only" || a["webhook_url"] != nil {
		t.Fatalf("live agent changed: %d %v", st, a)
	}
}

// TestAgentsInBrowser walks the keys, agents, webhooks and events pages in
// headless Chromium, photographing each at a phone's and a desktop's width
// (and failing if one is wider than the phone): a key made and its secret
// shown, an agent with a number and a webhook, an endpoint whose test
// failed, the events.
func TestAgentsInBrowser(t *testing.T) {
	t.Parallel()
	s := start(t)
	h := keysLogin(t, s)
	_, ag := s.api("POST", "/v1/agents", s.testKey, `{"name":"Support bot with a rather long name","webhook_url":"https://agent.example.com/a/very/long/path/for/the/webhooks/of/naive"}`)
	agentID := ag["id"].(string)
	if st, m := s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789","area_code":"415","agent_id":"`+agentID+`"}`); st != 201 && st != 202 {
		t.Fatalf("provision: %d %v", st, m)
	}
	if st, m := h.call("test", "POST", "/v1/keys", `{"name":"bound key","mode":"test","agent_id":"`+agentID+`"}`); st != 201 {
		t.Fatalf("bound key: %d %v", st, m)
	}
	rc := webhooksListen(t, 500)
	_, e := s.api("POST", "/v1/webhooks", s.testKey, `{"url":"`+rc.URL+`/a/rather/long/path/to/the/hook","event_types":["approval.requested","sms.received"]}`)
	eid := e["id"].(string)
	s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"Support"}`)

	c := newChrome(t, s)
	c.login()
	c.testMode()
	c.open("/console/keys")
	c.see("the keys", "first-start test key", "bound key")
	c.shot("keys-bound")
	c.click("Create a key", `a[href="/console/keys/new"]`)
	c.shot("key-new-bound")
	c.fill(`#name`, "my bot")
	c.click("Create key", `form[action="/console/keys"] button[type="submit"]`)
	c.see("the new key", "Copy it now", "export NAIVE_API_KEY=")
	c.shot("key-created-bound")
	c.open("/console/agents")
	c.see("the agents", "Support bot with a rather long name")
	c.shot("agents")
	c.open("/console/agents/new")
	c.shot("agents-new")
	c.open("/console/agents/" + agentID)
	c.see("the agent", "bound key", "Remove the webhook")
	c.shot("agent")
	c.open("/console/agents/" + agentID + "/delete")
	c.click("Delete the agent", `form[action$="/delete"] button[type="submit"]`)
	c.see("the refusal", "An unrevoked API key is bound to this agent.")
	c.shot("agent-delete-refused")
	c.open("/console/webhooks")
	c.shot("webhooks-long")
	c.open("/console/webhooks/new")
	c.shot("webhook-new-long")
	c.open("/console/webhooks/" + eid)
	c.click("Send a test event", `form[action$="/test"] button[type="submit"]`)
	c.see("the failed test", "and it failed: endpoint answered 500", "Resend")
	c.shot("webhook-test-failed")
	c.open("/console/events")
	c.see("the events", "approval.requested", "webhook.test")
	c.shot("events-linked")
}
