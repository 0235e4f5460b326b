package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNumbersAllSubjects: the subject picker's All subjects choice lists
// every subject's numbers, newest first, with a subject column, paged and
// filtered by agent.
func TestNumbersAllSubjects(t *testing.T) {
	t.Parallel()
	s := start(t)
	agent := numbersAgent(t, s, "Support bot")
	defID, _ := numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415","agent_id":"`+agent+`"}`)
	sid := numbersFormedSubject(t, s)
	tok := s.loginToken(t, adminPassword)
	st, m := s.api("POST", "/v1/subjects/"+sid+"/phone/provision", tok, `{"ein":"12-3456789","area_code":"212"}`, "Naive-Mode", "test")
	if st != 202 {
		t.Fatalf("provision for acme: %d %v", st, m)
	}
	acmeID := m["phone"].(map[string]any)["id"].(string)

	b := s.browser()
	b.mustLogin()
	b.testMode()

	// The picker offers it; the default subject's view stays as it was.
	def := b.raw("GET", "/console/numbers", nil)
	mustContain(t, def, `<option value="all">All subjects</option>`, "/console/numbers/"+defID)
	numbersMustNotContain(t, def, "/console/numbers/"+acmeID, "<th>Subject</th>")

	all := b.raw("GET", "/console/numbers?subject=all", nil)
	mustContain(t, all, `<option value="all" selected>All subjects</option>`, "Showing all subjects", "<th>Subject</th>",
		`href="/console/numbers/`+acmeID+`?subject=`+sid+`"`, `href="/console/numbers/`+defID+`?subject=`,
		`<a href="/console/subjects/`+sid+`">Acme Robotics LLC</a>`, `href="/console/numbers/new">Buy a number</a>`)
	if a, d := strings.Index(all.body, "/console/numbers/"+acmeID), strings.Index(all.body, "/console/numbers/"+defID); a > d {
		t.Fatalf("All subjects is not newest first:\n%s", all.body)
	}

	// Paged: one per page, the subject kept in the next link.
	first := b.raw("GET", "/console/numbers?subject=all&limit=1", nil)
	mustContain(t, first, "/console/numbers/"+acmeID)
	numbersMustNotContain(t, first, "/console/numbers/"+defID)
	next := numbersNext(first)
	if !strings.Contains(next, "subject=all") {
		t.Fatalf("next link %q", next)
	}
	second := b.raw("GET", next, nil)
	mustContain(t, second, "/console/numbers/"+defID)
	numbersMustNotContain(t, second, "/console/numbers/"+acmeID)

	// The agent filter applies across subjects.
	mine := b.raw("GET", "/console/numbers?subject=all&agent="+agent, nil)
	mustContain(t, mine, "/console/numbers/"+defID)
	numbersMustNotContain(t, mine, "/console/numbers/"+acmeID)

	// The other mode has none.
	home := b.follow("GET", "/console/", nil)
	if p := b.raw("POST", "/console/mode", url.Values{"csrf": {home.csrf(t)}, "mode": {"live"}, "next": {"/console/"}}); p.status != http.StatusSeeOther {
		t.Fatalf("switch to live: %d", p.status)
	}
	live := b.raw("GET", "/console/numbers?subject=all", nil)
	mustContain(t, live, "No subject has numbers")
	numbersMustNotContain(t, live, "/console/numbers/"+defID, "/console/numbers/"+acmeID)
}
