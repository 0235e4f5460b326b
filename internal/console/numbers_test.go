package console_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// ---- helpers of the numbers tests

// numbersLiveSubject returns the live default subject's id: an id of the
// other mode while the console is in test mode.
func numbersLiveSubject(t testing.TB, s *server) string {
	t.Helper()
	tok := s.loginToken(t, adminPassword)
	st, m := s.api("GET", "/v1/subjects", tok, "", "Naive-Mode", "live")
	if st != 200 {
		t.Fatalf("live subjects: %d %v", st, m)
	}
	for _, x := range m["data"].([]any) {
		subj := x.(map[string]any)
		if subj["is_default"] == true {
			return subj["id"].(string)
		}
	}
	t.Fatal("no live default subject")
	return ""
}

// numbersProvision buys a number on the default subject as the agent.
func numbersProvision(t testing.TB, s *server, body string) (id, e164 string) {
	t.Helper()
	st, m := s.api("POST", "/v1/phone/provision", s.testKey, body)
	if st != 202 && st != 201 && st != 200 {
		t.Fatalf("provision: %d %v", st, m)
	}
	ph, ok := m["phone"].(map[string]any)
	if !ok {
		t.Fatalf("provision answered no phone: %v", m)
	}
	return ph["id"].(string), ph["e164"].(string)
}

// numbersAgent creates an agent over REST and returns its id.
func numbersAgent(t testing.TB, s *server, name string) string {
	t.Helper()
	st, m := s.api("POST", "/v1/agents", s.testKey, `{"name":"`+name+`"}`)
	if st != 201 {
		t.Fatalf("create agent: %d %v", st, m)
	}
	return m["id"].(string)
}

// numbersFormedSubject creates a subject with a completed formation.
func numbersFormedSubject(t testing.TB, s *server) string {
	t.Helper()
	st, subj := s.api("POST", "/v1/subjects", s.testKey, acmeProfile)
	if st != 201 {
		t.Fatalf("create subject: %d %v", st, subj)
	}
	sid := subj["id"].(string)
	if st, m := s.api("POST", "/v1/subjects/"+sid+"/formation", s.testKey, `{"entity_type":"LLC","state":"DE"}`); st != 202 {
		t.Fatalf("formation: %d %v", st, m)
	}
	numbersWait(t, "formation", func() bool {
		_, f := s.api("GET", "/v1/subjects/"+sid+"/formation", s.testKey, "")
		return f["status"] == "formation_completed"
	})
	return sid
}

// numbersWait polls cond for up to 15 seconds.
func numbersWait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// numbersMessages returns a number's messages over REST.
func numbersMessages(t testing.TB, s *server, phoneID string) []any {
	t.Helper()
	st, m := s.api("GET", "/v1/phone/"+phoneID+"/messages", s.testKey, "")
	if st != 200 {
		t.Fatalf("messages: %d %v", st, m)
	}
	data, _ := m["data"].([]any)
	return data
}

// numbersText has the sandbox deliver an inbound text and waits for it.
func numbersText(t testing.TB, s *server, phoneID, to, from, body string) {
	t.Helper()
	n := len(numbersMessages(t, s, phoneID))
	payload, _ := json.Marshal(map[string]string{"to": to, "from": from, "body": body})
	if st, m := s.api("POST", "/v1/sandbox/sms", s.testKey, string(payload)); st != 202 {
		t.Fatalf("sandbox sms: %d %v", st, m)
	}
	numbersWait(t, "the inbound text", func() bool { return len(numbersMessages(t, s, phoneID)) > n })
}

// numbersPhone returns a number over REST.
func numbersPhone(t testing.TB, s *server, id string) map[string]any {
	t.Helper()
	st, m := s.api("GET", "/v1/phone/"+id, s.testKey, "")
	if st != 200 {
		t.Fatalf("get phone: %d %v", st, m)
	}
	return m
}

func numbersAssignments(t testing.TB, s *server, id string) []any {
	t.Helper()
	st, m := s.api("GET", "/v1/phone/"+id+"/assignments", s.testKey, "")
	if st != 200 {
		t.Fatalf("assignments: %d %v", st, m)
	}
	data, _ := m["data"].([]any)
	return data
}

func numbersMustNotContain(t testing.TB, p page, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(p.body, b) {
			t.Fatalf("page (%d) has %q:\n%s", p.status, b, p.body)
		}
	}
}

var numbersNextRE = regexp.MustCompile(`href="([^"]+)" rel="next"`)

// numbersNext returns the pager's "Older" link of a page, or "".
func numbersNext(p page) string {
	m := numbersNextRE.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// ---- tests

func TestNumbersBuyFromTheConsole(t *testing.T) {
	t.Parallel()
	s := start(t)
	agent := numbersAgent(t, s, "Support bot")
	b := s.browser()
	b.mustLogin()
	b.testMode()

	// No numbers yet: the empty list says so and leads to buying.
	list := b.raw("GET", "/console/numbers", nil)
	if list.status != 200 {
		t.Fatalf("list: %d", list.status)
	}
	mustContain(t, list, "has no numbers", "in test mode", `href="/console/numbers/new?subject=`, "Demo Company LLC (default)")

	// The form shows the price and the balance before buying, what is
	// missing (the first number's EIN), and test mode's magic values.
	form := b.raw("GET", "/console/numbers/new", nil)
	if form.status != 200 {
		t.Fatalf("new: %d %s", form.status, form.body)
	}
	mustContain(t, form, `id="price">50<`, `id="balance">1,000<`, "Not ready yet", `name="ein"`, "magic values", "<code>555</code>",
		"Buy for 50 credits", `name="subject"`, "Support bot", "Type the company")
	token := form.csrf(t)

	// Without a token, or with a wrong one: 403 and nothing bought.
	for _, tok := range []string{"", "x" + token} {
		p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {tok}, "op": {"buy"}, "ein": {"12-3456789"}, "area_code": {"415"}})
		if p.status != 403 {
			t.Fatalf("buy with token %q: %d", tok, p.status)
		}
	}
	if s.numbersBought() != 0 || s.balance() != 1000 {
		t.Fatal("a refused POST bought")
	}

	// No EIN on the first number: refused in place, the typed values kept.
	p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "area_code": {"415"}, "label": {"Front desk"}})
	if p.status != 400 {
		t.Fatalf("buy without ein: %d %.500s", p.status, p.body)
	}
	mustContain(t, p, `role="alert"`, "ein is required", `value="415"`, `value="Front desk"`, `id="buy-form"`)
	// The sandbox's area code 555 has no numbers: 422 in place, nothing charged.
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "ein": {"12-3456789"}, "area_code": {"555"}})
	if p.status != 422 {
		t.Fatalf("buy in 555: %d %.500s", p.status, p.body)
	}
	mustContain(t, p, `role="alert"`, "Try a nearby area code", `value="555"`)
	// A bad area code: 400 in place.
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "ein": {"12-3456789"}, "area_code": {"41"}})
	if p.status != 400 {
		t.Fatalf("buy in 41: %d", p.status)
	}
	mustContain(t, p, "area_code must be", `value="41"`)
	// Checking the values buys nothing.
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"check"}, "ein": {"12-3456789"}, "area_code": {"415"}})
	if p.status != 200 {
		t.Fatalf("check: %d", p.status)
	}
	mustContain(t, p, "checked just now", `id="ready"`, `value="12-3456789"`)
	if s.numbersBought() != 0 || s.balance() != 1000 {
		t.Fatal("a refused or checked purchase bought or charged")
	}

	// Buy: a redirect to the number's page with a notice.
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "ein": {"12-3456789"}, "area_code": {"415"},
		"type": {"local"}, "label": {"<b>Support</b>"}, "agent_id": {agent}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/numbers/") || !strings.Contains(p.location, "?subject=") {
		t.Fatalf("buy: %d %q %.500s", p.status, p.location, p.body)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/console/numbers/")
	if s.numbersBought() != 1 || s.balance() != 950 {
		t.Fatalf("after buying: %d numbers, balance %v", s.numbersBought(), s.balance())
	}
	ph := numbersPhone(t, s, id)
	if ph["status"] != "active" || ph["label"] != "<b>Support</b>" || ph["area_code"] != "415" {
		t.Fatalf("bought phone %v", ph)
	}
	e164 := ph["e164"].(string)
	if as := numbersAssignments(t, s, id); len(as) != 1 || as[0].(map[string]any)["agent_id"] != agent {
		t.Fatalf("the agent chosen is not assigned: %v", as)
	}
	// The number's page: the notice, the facts, and outbound not yet
	// enabled (the harness's 10DLC review takes an hour), said plainly.
	show := b.raw("GET", p.location, nil)
	if show.status != 200 {
		t.Fatalf("number page: %d", show.status)
	}
	mustShow(t, show, "Bought "+e164+" for 50 credits (950 left)", "Sending texts turns on once the carrier approves",
		"10DLC campaign in review", "Sending texts is not enabled yet", "Support bot", "<b>Support</b>", "Demo Company LLC (default)")
	numbersMustNotContain(t, show, "<b>Support</b>")

	// The list shows it with its agent and texting state.
	list = b.raw("GET", "/console/numbers", nil)
	mustContain(t, list, "/console/numbers/"+id+"?subject=", "Support bot", "reads texts, sends texts", "not yet", `class="badge executed">active<`)
	mustShow(t, list, e164, "“<b>Support</b>”")
	// Filtered by the agent it was bought for, and by another.
	other := numbersAgent(t, s, "Other bot")
	mustContain(t, b.raw("GET", "/console/numbers?agent="+agent, nil), "/console/numbers/"+id)
	mustContain(t, b.raw("GET", "/console/numbers?agent="+other, nil), "has no numbers of this agent")

	// Now the brand is registered: the form no longer asks for the EIN.
	form = b.raw("GET", "/console/numbers/new", nil)
	mustContain(t, form, `id="ready"`, `id="balance">950<`)
	numbersMustNotContain(t, form, `name="ein"`)

	// A subject of the other mode is not found.
	live := numbersLiveSubject(t, s)
	for _, path := range []string{"/console/numbers?subject=" + live, "/console/numbers/new?subject=" + live, "/console/numbers?subject=" + uuid.NewString()} {
		if p := b.raw("GET", path, nil); p.status != 404 {
			t.Fatalf("%s: %d", path, p.status)
		}
	}
}

func TestNumbersBuyRefusedWhenShort(t *testing.T) {
	t.Parallel()
	s := start(t)
	// 1000 credits buy 20 numbers.
	numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415"}`)
	for range 19 {
		numbersProvision(t, s, `{}`)
	}
	if s.balance() != 0 {
		t.Fatalf("balance %v", s.balance())
	}
	b := s.browser()
	b.mustLogin()
	b.testMode()
	form := b.raw("GET", "/console/numbers/new", nil)
	mustContain(t, form, "The balance is short", `href="/console/credits"`, "Grant credits on the Credits page", `id="not-ready"`)
	p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {form.csrf(t)}, "op": {"buy"}, "area_code": {"212"}, "label": {"Sales"}})
	if p.status != http.StatusPaymentRequired {
		t.Fatalf("buy when short: %d %.500s", p.status, p.body)
	}
	mustContain(t, p, `role="alert"`, "A number costs 50 credits; the balance is 0.", "Nothing was bought or charged. Grant credits on the Credits page",
		`href="/console/credits">Grant credits on the Credits page →`, `value="212"`, `value="Sales"`)
	if s.numbersBought() != 20 || s.balance() != 0 {
		t.Fatal("a short purchase bought or charged")
	}

	// The list pages through them with the API's cursors.
	list := b.raw("GET", "/console/numbers?limit=15", nil)
	if n := strings.Count(list.body, `<a class="e164" href="/console/numbers/`); n != 15 {
		t.Fatalf("first page lists %d numbers", n)
	}
	next := numbersNext(list)
	if next == "" || !strings.Contains(next, "cursor=") || !strings.Contains(next, "limit=15") {
		t.Fatalf("no next page link: %q", next)
	}
	older := b.raw("GET", next, nil)
	if n := strings.Count(older.body, `<a class="e164" href="/console/numbers/`); n != 5 || numbersNext(older) != "" {
		t.Fatalf("second page lists %d numbers", n)
	}
	mustContain(t, older, "← Newest")
	if p := b.raw("GET", "/console/numbers?cursor=bogus", nil); p.status != 400 {
		t.Fatalf("bad cursor: %d", p.status)
	}
}

func TestNumbersOfAnotherSubject(t *testing.T) {
	t.Parallel()
	s := start(t)
	sid := numbersFormedSubject(t, s)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	// A human buys for a non-default subject without an approval.
	form := b.raw("GET", "/console/numbers/new?subject="+sid, nil)
	mustContain(t, form, `value="`+sid+`" selected`, "Acme Robotics LLC")
	p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {form.csrf(t)}, "op": {"buy"}, "subject": {sid}, "ein": {"12-3456789"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "subject="+sid) {
		t.Fatalf("buy for acme: %d %q %.500s", p.status, p.location, p.body)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/console/numbers/")
	if st, _ := s.api("GET", "/v1/subjects/"+sid+"/phone/"+id, s.testKey, ""); st != 200 {
		t.Fatalf("acme's phone: %d", st)
	}
	// The default subject's list does not show it; acme's does.
	numbersMustNotContain(t, b.raw("GET", "/console/numbers", nil), id)
	mustContain(t, b.raw("GET", "/console/numbers?subject="+sid, nil), "/console/numbers/"+id)
	// A link without the subject finds it; with the wrong subject it is not found.
	mustContain(t, b.raw("GET", "/console/numbers/"+id, nil), "Acme Robotics LLC", `name="subject" value="`+sid+`"`)
	def := s.app.Bootstrapped().DefaultSubjectID
	if p := b.raw("GET", "/console/numbers/"+id+"?subject="+def, nil); p.status != 404 {
		t.Fatalf("acme's number under the default subject: %d", p.status)
	}
}

func TestNumbersPage(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, e164 := numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415","label":"Support"}`)
	agent := numbersAgent(t, s, "Inbox bot")
	b := s.browser()
	b.mustLogin()
	b.testMode()

	// A text comes in: the number's page shows it, escaped.
	numbersText(t, s, id, e164, "+14155550123", "Hello <there> & welcome")
	p := b.raw("GET", "/console/numbers/"+id, nil)
	if p.status != 200 {
		t.Fatalf("number page: %d", p.status)
	}
	mustContain(t, p, "Hello &lt;there&gt; &amp; welcome", "Received", `class="badge executed">received<`,
		"Sending texts is not enabled yet", "/console/subjects/"+s.app.Bootstrapped().DefaultSubjectID,
		`action="/console/numbers/`+id+`/label"`, `action="/console/numbers/`+id+`/assign"`, `href="/console/numbers/`+id+`/release?subject=`)
	mustShow(t, p, e164, "“Support”", "+14155550123")
	numbersMustNotContain(t, p, "<there>")
	// The same page with its subject named.
	if p := b.raw("GET", "/console/numbers/"+id+"?subject="+s.app.Bootstrapped().DefaultSubjectID, nil); p.status != 200 {
		t.Fatalf("number page with subject: %d", p.status)
	}
	// The conversation pages with cursors, newest first.
	numbersText(t, s, id, e164, "+14155550124", "second text")
	numbersText(t, s, id, e164, "+14155550125", "third text")
	p = b.raw("GET", "/console/numbers/"+id+"?limit=2", nil)
	mustContain(t, p, "third text", "second text")
	numbersMustNotContain(t, p, "welcome")
	if strings.Index(p.body, "third text") > strings.Index(p.body, "second text") {
		t.Fatal("the conversation is not newest first")
	}
	next := numbersNext(p)
	if next == "" {
		t.Fatal("no older page of texts")
	}
	mustContain(t, b.raw("GET", next, nil), "welcome")
	token := p.csrf(t)

	// Relabel: without the token 403 and nothing changes; too long, 400
	// in place with what was typed; then saved.
	if p := b.raw("POST", "/console/numbers/"+id+"/label", url.Values{"label": {"Nope"}}); p.status != 403 {
		t.Fatalf("label without token: %d", p.status)
	}
	long := strings.Repeat("x", 65)
	p = b.raw("POST", "/console/numbers/"+id+"/label", url.Values{"csrf": {token}, "label": {long}})
	if p.status != 400 {
		t.Fatalf("long label: %d %.300s", p.status, p.body)
	}
	mustContain(t, p, `role="alert"`, "at most 64 characters", `value="`+long+`"`, "Hello &lt;there&gt;")
	if numbersPhone(t, s, id)["label"] != "Support" {
		t.Fatal("a refused relabel changed the label")
	}
	p = b.raw("POST", "/console/numbers/"+id+"/label", url.Values{"csrf": {token}, "label": {"Sales <desk>"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/numbers/"+id+"?subject=") {
		t.Fatalf("relabel: %d %q %.300s", p.status, p.location, p.body)
	}
	if got := numbersPhone(t, s, id)["label"]; got != "Sales <desk>" {
		t.Fatalf("label %v", got)
	}
	mustShow(t, b.raw("GET", p.location, nil), "Label saved: “Sales <desk>”.", "“Sales <desk>”")
	p = b.follow("POST", "/console/numbers/"+id+"/label", url.Values{"csrf": {token}, "label": {""}})
	mustContain(t, p, "Label removed.")
	if _, has := numbersPhone(t, s, id)["label"]; has {
		t.Fatal("label not removed")
	}

	// Assign: refused without the token, without a permission, or with an
	// agent that does not exist; then done with the ticked permission.
	if p := b.raw("POST", "/console/numbers/"+id+"/assign", url.Values{"agent_id": {agent}, "permissions": {"receive_sms"}}); p.status != 403 {
		t.Fatalf("assign without token: %d", p.status)
	}
	p = b.raw("POST", "/console/numbers/"+id+"/assign", url.Values{"csrf": {token}, "agent_id": {agent}})
	if p.status != 400 {
		t.Fatalf("assign without permissions: %d", p.status)
	}
	mustContain(t, p, "Tick at least one permission", `value="`+agent+`" selected`)
	p = b.raw("POST", "/console/numbers/"+id+"/assign", url.Values{"csrf": {token}, "agent_id": {uuid.NewString()}, "permissions": {"send_sms"}})
	if p.status != 400 {
		t.Fatalf("assign an unknown agent: %d", p.status)
	}
	mustContain(t, p, "No agent with id", "create one on the Agents page")
	if len(numbersAssignments(t, s, id)) != 0 {
		t.Fatal("a refused assign assigned")
	}
	p = b.raw("POST", "/console/numbers/"+id+"/assign", url.Values{"csrf": {token}, "agent_id": {agent}, "permissions": {"receive_sms"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %.300s", p.status, p.body)
	}
	as := numbersAssignments(t, s, id)
	if len(as) != 1 || as[0].(map[string]any)["agent_id"] != agent {
		t.Fatalf("assignments %v", as)
	}
	if perms := as[0].(map[string]any)["permissions"].([]any); len(perms) != 1 || perms[0] != "receive_sms" {
		t.Fatalf("permissions %v", perms)
	}
	page := b.raw("GET", p.location, nil)
	mustContain(t, page, "Assigned Inbox bot to", "Inbox bot", "reads texts", `action="/console/numbers/`+id+`/unassign"`)
	mustContain(t, b.raw("GET", "/console/numbers", nil), "Inbox bot")

	// Unassign: refused without the token; then done.
	if p := b.raw("POST", "/console/numbers/"+id+"/unassign", url.Values{"agent_id": {agent}}); p.status != 403 {
		t.Fatalf("unassign without token: %d", p.status)
	}
	if len(numbersAssignments(t, s, id)) != 1 {
		t.Fatal("a refused unassign unassigned")
	}
	p = b.follow("POST", "/console/numbers/"+id+"/unassign", url.Values{"csrf": {token}, "agent_id": {agent}})
	mustContain(t, p, "Unassigned Inbox bot", "No agent is assigned to this number")
	if len(numbersAssignments(t, s, id)) != 0 {
		t.Fatal("unassign did not unassign")
	}
	if p := b.raw("POST", "/console/numbers/"+id+"/unassign", url.Values{"csrf": {token}, "agent_id": {agent}}); p.status != 404 {
		t.Fatalf("unassign again: %d", p.status)
	}

	// Release: a confirmation page that says it is permanent; refused
	// without the token; then released.
	confirm := b.raw("GET", "/console/numbers/"+id+"/release", nil)
	if confirm.status != 200 {
		t.Fatalf("release confirmation: %d", confirm.status)
	}
	mustContain(t, confirm, "Releasing is permanent", "cannot be got back", "stop reaching you", `action="/console/numbers/`+id+`/release"`)
	if p := b.raw("POST", "/console/numbers/"+id+"/release", url.Values{}); p.status != 403 {
		t.Fatalf("release without token: %d", p.status)
	}
	if numbersPhone(t, s, id)["status"] != "active" {
		t.Fatal("a refused release released")
	}
	p = b.raw("POST", "/console/numbers/"+id+"/release", url.Values{"csrf": {confirm.csrf(t)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("release: %d %.300s", p.status, p.body)
	}
	if ph := numbersPhone(t, s, id); ph["status"] != "released" {
		t.Fatalf("after release: %v", ph)
	}
	done := b.raw("GET", p.location, nil)
	mustShow(t, done, "Released "+e164+": it went back to the carrier", "This number was released", "welcome")
	numbersMustNotContain(t, done, `/release?subject=`, `/label"`, `/assign"`)
	mustContain(t, b.raw("GET", "/console/numbers", nil), `class="badge expired">released<`)
	mustContain(t, b.raw("GET", "/console/numbers/"+id+"/release", nil), "is already released")
	if p := b.raw("POST", "/console/numbers/"+id+"/release", url.Values{"csrf": {token}}); p.status != 409 {
		t.Fatalf("release again: %d", p.status)
	}
	if p := b.raw("POST", "/console/numbers/"+id+"/label", url.Values{"csrf": {token}, "label": {"x"}}); p.status != 409 {
		t.Fatalf("relabel a released number: %d", p.status)
	}
}

func TestNumbersUnknownAndForeignIDs(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415"}`)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	token := b.raw("GET", "/console/numbers/"+id, nil).csrf(t)
	check := func(label, bad string) {
		t.Helper()
		for _, path := range []string{"/console/numbers/" + bad, "/console/numbers/" + bad + "/release"} {
			if p := b.raw("GET", path, nil); p.status != 404 || !strings.Contains(p.body, "not_found") {
				t.Fatalf("%s: GET %s: %d", label, path, p.status)
			}
		}
		for _, action := range []string{"label", "assign", "unassign", "release"} {
			form := url.Values{"csrf": {token}, "label": {"x"}, "agent_id": {uuid.NewString()}, "permissions": {"send_sms"}}
			if p := b.raw("POST", "/console/numbers/"+bad+"/"+action, form); p.status != 404 {
				t.Fatalf("%s: POST %s: %d", label, action, p.status)
			}
		}
	}
	check("unknown uuid", uuid.NewString())
	check("not a uuid", "not-a-uuid")

	// The test number in live mode: not found, whatever the subject.
	home := b.raw("GET", "/console/", nil)
	if p := b.raw("POST", "/console/mode", url.Values{"csrf": {home.csrf(t)}, "mode": {"live"}, "next": {"/console/numbers/" + id}}); p.status != http.StatusSeeOther || p.location != "/console/numbers" {
		t.Fatalf("switch to live: %d %q", p.status, p.location)
	}
	check("test number in live mode", id)
	if p := b.raw("GET", "/console/numbers/"+id+"?subject="+s.app.Bootstrapped().DefaultSubjectID, nil); p.status != 404 {
		t.Fatalf("test number and subject in live mode: %d", p.status)
	}
	if numbersPhone(t, s, id)["status"] != "active" {
		t.Fatal("a foreign request changed the number")
	}
	// Live mode's own pages work, with its own empty states.
	mustContain(t, b.raw("GET", "/console/numbers", nil), "in live mode")
	if p := b.raw("GET", "/console/numbers/new", nil); p.status != 200 {
		t.Fatalf("new in live mode: %d", p.status)
	}
}
