package console_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var eventsRowRE = regexp.MustCompile(`<tr id="event-[0-9a-f-]+">\s*<td><a href="/console/events\?type=([a-z._]+)">`)

// eventsTypesListed returns the type of each row of an events page.
func eventsTypesListed(p page) []string {
	var types []string
	for _, m := range eventsRowRE.FindAllStringSubmatch(p.body, -1) {
		types = append(types, m[1])
	}
	return types
}

func TestEventsListFilterAndLinks(t *testing.T) {
	t.Parallel()
	s := start(t)
	h := keysLogin(t, s)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	empty := b.raw("GET", "/console/events", nil)
	if empty.status != 200 {
		t.Fatalf("events: %d", empty.status)
	}
	mustContain(t, empty, "No events in test mode yet")

	// An approval asked for and approved (approval.requested,
	// approval.resolved, phone.provisioned) and a webhook test.
	aid, sid := s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"<b>Support</b>"}`)
	if st, m := h.call("test", "POST", "/v1/approvals/"+aid+"/approve", ""); st != 200 {
		t.Fatalf("approve: %d %v", st, m)
	}
	rc := webhooksListen(t, 204)
	st, e := s.api("POST", "/v1/webhooks", s.testKey, `{"url":"`+rc.URL+`","event_types":["sms.received"]}`)
	if st != 201 {
		t.Fatalf("endpoint: %d %v", st, e)
	}
	eid := e["id"].(string)
	if st, m := s.api("POST", "/v1/webhooks/"+eid+"/test", s.testKey, ""); st != 200 {
		t.Fatalf("test webhook: %d %v", st, m)
	}
	_, phones := s.api("GET", "/v1/subjects/"+sid+"/phone", s.testKey, "")
	ph := phones["data"].([]any)[0].(map[string]any)
	phoneID, e164 := ph["id"].(string), ph["e164"].(string)

	all := b.raw("GET", "/console/events", nil)
	types := eventsTypesListed(all)
	for _, want := range []string{"approval.requested", "approval.resolved", "phone.provisioned", "webhook.test"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Fatalf("events %v lack %s", types, want)
		}
	}
	// Newest first: the webhook test came after the approval's events (a
	// campaign.updated the poller writes meanwhile may come anywhere).
	if slices.Index(types, "webhook.test") > slices.Index(types, "approval.resolved") ||
		slices.Index(types, "approval.resolved") > slices.Index(types, "approval.requested") {
		t.Fatalf("not newest first: %v", types)
	}
	mustContain(t, all, `href="/console/approvals/`+aid+`"`, `href="/console/numbers/`+phoneID+`"`, `href="/console/webhooks/`+eid+`"`,
		"Provision a local phone number (415) for Acme Robotics LLC", "test event to endpoint", `<details class="kw-json">`,
		"&#34;endpoint_id&#34;: &#34;"+eid+"&#34;", "&lt;b&gt;Support&lt;/b&gt;")
	mustShow(t, all, e164)
	if strings.Contains(all.body, "<b>Support</b>") {
		t.Fatal("event data is not escaped")
	}

	// Filtered by type: only that type, the filter kept in the select.
	for _, typ := range []string{"approval.requested", "webhook.test", "phone.provisioned"} {
		p := b.raw("GET", "/console/events?type="+typ, nil)
		got := eventsTypesListed(p)
		if len(got) != 1 || got[0] != typ {
			t.Fatalf("type=%s lists %v", typ, got)
		}
		mustContain(t, p, `value="`+typ+`" selected`)
	}
	p := b.raw("GET", "/console/events?type=sms.received", nil)
	if len(eventsTypesListed(p)) != 0 {
		t.Fatal("sms.received lists events")
	}
	mustContain(t, p, "No <code>sms.received</code> events in test mode yet", `href="/console/events"`)
	if p := b.raw("GET", "/console/events?type=bogus", nil); p.status != http.StatusBadRequest {
		t.Fatalf("type=bogus: %d", p.status)
	}

	// Paginated, the filter kept across pages.
	if st, m := s.api("POST", "/v1/webhooks/"+eid+"/test", s.testKey, ""); st != 200 {
		t.Fatalf("test webhook again: %d %v", st, m)
	}
	p = b.raw("GET", "/console/events?type=webhook.test&limit=1", nil)
	if got := eventsTypesListed(p); len(got) != 1 {
		t.Fatalf("limit=1: %v", got)
	}
	if next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body); next == nil || !strings.Contains(next[1], "type=webhook.test") {
		t.Fatalf("the next page of a filter: %v", next)
	}
	p = b.raw("GET", "/console/events?limit=1", nil)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next page")
	}
	p2 := b.raw("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil)
	rowID := regexp.MustCompile(`<tr id="event-([0-9a-f-]+)">`)
	one, two := rowID.FindAllStringSubmatch(p.body, -1), rowID.FindAllStringSubmatch(p2.body, -1)
	if len(one) != 1 || len(two) != 1 || one[0][1] == two[0][1] {
		t.Fatalf("pages 1 and 2: %v, %v", one, two)
	}
	mustContain(t, p2, "← Newest")

	// Live mode has none of them.
	b2 := s.browser()
	b2.mustLogin()
	mustContain(t, b2.raw("GET", "/console/events", nil), "No events in live mode yet")
}
