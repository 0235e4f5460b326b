package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// keysHuman is a human session over the REST API (POST /v1/auth/login),
// acting in the mode it is given, for what the console is checked against
// and for making another mode's (foreign) ids.
type keysHuman struct {
	t     testing.TB
	s     *server
	token string
}

func keysLogin(t testing.TB, s *server) *keysHuman {
	t.Helper()
	return &keysHuman{t: t, s: s, token: s.loginToken(t, adminPassword)}
}

// call sends a REST request as the human in mode and returns the status
// and JSON object answered.
func (h *keysHuman) call(mode, method, path, body string) (int, map[string]any) {
	h.t.Helper()
	return h.s.api(method, path, h.token, body, "Naive-Mode", mode)
}

// keys lists the operator's keys over REST.
func (h *keysHuman) keys() []map[string]any {
	h.t.Helper()
	st, m := h.call("test", "GET", "/v1/keys?limit=200", "")
	if st != 200 {
		h.t.Fatalf("list keys: %d %v", st, m)
	}
	var out []map[string]any
	for _, k := range m["data"].([]any) {
		out = append(out, k.(map[string]any))
	}
	return out
}

var keysSecretRE = regexp.MustCompile(`value="(nv_sk_(?:test|live)_[A-Za-z0-9_-]+)"`)

// keysSecret returns the key secret a page shows, failing unless it is
// there exactly once.
func keysSecret(t testing.TB, p page) string {
	t.Helper()
	m := keysSecretRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no key secret in the page (%d): %.2000s", p.status, p.body)
	}
	if n := strings.Count(p.body, m[1]); n != 1 {
		t.Fatalf("the secret is in the page %d times", n)
	}
	return m[1]
}

func TestKeysCreateShowRevoke(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	list := b.raw("GET", "/console/keys", nil)
	if list.status != 200 {
		t.Fatalf("keys list: %d", list.status)
	}
	mustContain(t, list, "first-start test key", s.testKey[:len("nv_sk_test_")+4]+"…", "operator key", `class="badge executed">active`,
		"by you", `href="/console/keys/new"`)
	if strings.Contains(list.body, s.testKey) {
		t.Fatal("the list shows a secret")
	}

	// The form defaults to the console's mode.
	form := b.raw("GET", "/console/keys/new", nil)
	if form.status != 200 {
		t.Fatalf("new key form: %d", form.status)
	}
	mustContain(t, form, `value="test" checked`, `name="agent_id"`, `action="/console/keys"`)
	token := form.csrf(t)

	// Without the token: 403 and no key.
	before := len(keysLogin(t, s).keys())
	if p := b.raw("POST", "/console/keys", url.Values{"name": {"no token"}, "mode": {"test"}}); p.status != 403 {
		t.Fatalf("create without token: %d", p.status)
	}
	h := keysLogin(t, s)
	if n := len(h.keys()); n != before {
		t.Fatalf("a key was created without a token: %d keys, had %d", n, before)
	}

	// Create: the secret is shown once, with what to do next.
	p := b.raw("POST", "/console/keys", url.Values{"csrf": {token}, "name": {"support <bot>"}, "mode": {"test"}})
	if p.status != 200 {
		t.Fatalf("create key: %d %.500s", p.status, p.body)
	}
	secret := keysSecret(t, p)
	if !strings.HasPrefix(secret, "nv_sk_test_") {
		t.Fatalf("secret %q", secret)
	}
	mustContain(t, p, "shown only this once", "export NAIVE_API_KEY=", "export NAIVE_API_URL="+s.url, `data-copy="secret"`, "mcpServers",
		"support &lt;bot&gt;")
	// The new key works over REST.
	if st, m := s.api("GET", "/v1/auth/whoami", secret, ""); st != 200 {
		t.Fatalf("new key: %d %v", st, m)
	}
	var id string
	for _, k := range h.keys() {
		if k["name"] == "support <bot>" {
			id = k["id"].(string)
			if k["mode"] != "test" || k["agent_id"] != nil {
				t.Fatalf("key %v", k)
			}
		}
	}
	if id == "" {
		t.Fatal("the key is not listed over REST")
	}
	// The list shows it, never its secret.
	list = b.raw("GET", "/console/keys", nil)
	mustContain(t, list, `id="key-`+id+`"`, secret[:len("nv_sk_test_")+4]+"…", `href="/console/keys/`+id+`/revoke"`)
	if strings.Contains(list.body, secret) {
		t.Fatal("the list shows the secret")
	}

	// Revoke: a confirmation first; without the token nothing is done.
	confirm := b.raw("GET", "/console/keys/"+id+"/revoke", nil)
	if confirm.status != 200 {
		t.Fatalf("revoke confirmation: %d", confirm.status)
	}
	mustContain(t, confirm, "immediate and permanent", `action="/console/keys/`+id+`/revoke"`)
	if strings.Contains(confirm.body, secret) {
		t.Fatal("the confirmation shows the secret")
	}
	for _, f := range []url.Values{{}, {"csrf": {"x" + token}}} {
		if p := b.raw("POST", "/console/keys/"+id+"/revoke", f); p.status != 403 {
			t.Fatalf("revoke without a good token: %d", p.status)
		}
	}
	if st, _ := s.api("GET", "/v1/auth/whoami", secret, ""); st != 200 {
		t.Fatalf("key revoked by a refused POST: %d", st)
	}
	p = b.raw("POST", "/console/keys/"+id+"/revoke", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/keys" {
		t.Fatalf("revoke: %d %q %.300s", p.status, p.location, p.body)
	}
	// At once: the next request is refused.
	if st, _ := s.api("GET", "/v1/auth/whoami", secret, ""); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	after := b.raw("GET", p.location, nil)
	mustContain(t, after, "is revoked", `class="badge denied">revoked`)
	mustShow(t, after, "Key “support <bot>” is revoked")
	// Revoking again is said in place.
	p = b.raw("POST", "/console/keys/"+id+"/revoke", url.Values{"csrf": {token}})
	if p.status != 409 {
		t.Fatalf("revoke again: %d", p.status)
	}
	mustContain(t, p, "already revoked", `role="alert"`)

	// Unknown ids are 404 pages.
	for _, bad := range []string{uuid.NewString(), "not-a-uuid"} {
		if p := b.raw("GET", "/console/keys/"+bad+"/revoke", nil); p.status != 404 {
			t.Fatalf("revoke page of %s: %d", bad, p.status)
		}
		if p := b.raw("POST", "/console/keys/"+bad+"/revoke", url.Values{"csrf": {token}}); p.status != 404 {
			t.Fatalf("revoke %s: %d", bad, p.status)
		}
	}
	// The first-start key was left alone.
	if st, _ := s.api("GET", "/v1/auth/whoami", s.testKey, ""); st != 200 {
		t.Fatalf("test key: %d", st)
	}
}

func TestKeysModesAndAgents(t *testing.T) {
	t.Parallel()
	s := start(t)
	h := keysLogin(t, s)
	st, ag := h.call("test", "POST", "/v1/agents", `{"name":"Test bot"}`)
	if st != 201 {
		t.Fatalf("create agent: %d %v", st, ag)
	}
	testAgent := ag["id"].(string)
	st, ag = h.call("live", "POST", "/v1/agents", `{"name":"Live bot"}`)
	if st != 201 {
		t.Fatalf("create live agent: %d %v", st, ag)
	}
	liveAgent := ag["id"].(string)

	b := s.browser()
	b.mustLogin()
	// Live mode (the default): the form defaults to live and offers the
	// agents of both modes.
	form := b.raw("GET", "/console/keys/new", nil)
	mustContain(t, form, `value="live" checked`, "Live-mode agents", "Test-mode agents", `value="`+testAgent+`"`, `value="`+liveAgent+`"`)
	token := form.csrf(t)
	if p := b.raw("GET", "/console/keys/new?agent_id="+liveAgent, nil); !strings.Contains(p.body, `value="`+liveAgent+`" selected`) {
		t.Fatal("agent_id does not preselect the agent")
	}

	// Refused input is shown in place, with what was typed.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {"x"}, "mode": {"prod"}}, "mode must be"},
		{url.Values{"name": {"bound wrong"}, "mode": {"live"}, "agent_id": {testAgent}}, "No live-mode agent"},
		{url.Values{"name": {"bad\x00name"}, "mode": {"live"}}, "cannot be stored"},
		{url.Values{"name": {strings.Repeat("n", 129)}, "mode": {"live"}}, "at most 128"},
	} {
		c.form.Set("csrf", token)
		p := b.raw("POST", "/console/keys", c.form)
		if p.status != 400 {
			t.Fatalf("create %v: %d %.300s", c.form, p.status, p.body)
		}
		mustContain(t, p, c.want, `role="alert"`, `action="/console/keys"`)
		if c.form.Get("name") == "bound wrong" {
			mustContain(t, p, `value="bound wrong"`, `value="`+testAgent+`" selected`)
		}
		if keysSecretRE.MatchString(p.body) {
			t.Fatal("a refused create shows a secret")
		}
	}

	// A test key bound to the test agent, made from live mode.
	p := b.raw("POST", "/console/keys", url.Values{"csrf": {token}, "name": {"bound"}, "mode": {"test"}, "agent_id": {testAgent}})
	if p.status != 200 {
		t.Fatalf("create bound key: %d %.300s", p.status, p.body)
	}
	secret := keysSecret(t, p)
	mustContain(t, p, "Test bot (test mode)")
	st, who := s.api("GET", "/v1/auth/whoami", secret, "")
	if st != 200 || who["mode"] != "test" || who["agent_id"] != testAgent {
		t.Fatalf("bound key whoami: %d %v", st, who)
	}
	// The list names the agent; in its own mode it links to it.
	list := b.raw("GET", "/console/keys", nil)
	mustContain(t, list, "Test bot", "test-mode agent")
	b.testMode()
	list = b.raw("GET", "/console/keys", nil)
	mustContain(t, list, `<a href="/console/agents/`+testAgent+`">Test bot</a>`)
	// Keys of both modes are listed, and paginated.
	p = b.raw("GET", "/console/keys?limit=1", nil)
	mustContain(t, p, `rel="next"`, "bound")
	if strings.Contains(p.body, "first-start test key") {
		t.Fatal("limit=1 shows two keys")
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	p = b.raw("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil)
	mustContain(t, p, "first-start test key", "← Newest")
}
