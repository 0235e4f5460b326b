package console_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// webhooksReceiver is a local endpoint answering the status it is set to
// and counting what it receives.
type webhooksReceiver struct {
	*httptest.Server
	status atomic.Int32
	got    atomic.Int32
}

func webhooksListen(t testing.TB, status int) *webhooksReceiver {
	t.Helper()
	rc := &webhooksReceiver{}
	rc.status.Store(int32(status))
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-signature") != "" {
			rc.got.Add(1)
		}
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// webhooksDeliveries reads an endpoint's deliveries over REST.
func webhooksDeliveries(t testing.TB, s *server, id string) []map[string]any {
	t.Helper()
	st, m := s.api("GET", "/v1/webhooks/"+id+"/deliveries", s.testKey, "")
	if st != 200 {
		t.Fatalf("deliveries: %d %v", st, m)
	}
	var out []map[string]any
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

func webhooksAttempts(d map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range d["attempts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func webhooksIDs(t testing.TB, s *server) []string {
	t.Helper()
	_, m := s.api("GET", "/v1/webhooks", s.testKey, "")
	var ids []string
	for _, e := range m["data"].([]any) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

func TestWebhooksCreateTestResendDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	rc := webhooksListen(t, 500)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	list := b.raw("GET", "/console/webhooks", nil)
	if list.status != 200 {
		t.Fatalf("webhooks list: %d", list.status)
	}
	mustContain(t, list, "No webhook endpoints in test mode yet")
	form := b.raw("GET", "/console/webhooks/new", nil)
	if form.status != 200 {
		t.Fatalf("new webhook form: %d", form.status)
	}
	mustContain(t, form, `value="approval.requested"`, `value="sms.received"`, "none ticked: all events")
	token := form.csrf(t)

	// Refused: in place, what was typed kept.
	p := b.raw("POST", "/console/webhooks", url.Values{"csrf": {token}, "url": {"ftp://x.example/"}, "event_types": {"sms.received"}})
	if p.status != 400 {
		t.Fatalf("bad url: %d", p.status)
	}
	mustContain(t, p, "url must be", `role="alert"`, `value="ftp://x.example/"`, `value="sms.received" checked`)
	p = b.raw("POST", "/console/webhooks", url.Values{"csrf": {token}, "url": {rc.URL}, "event_types": {"sms.bogus"}})
	if p.status != 400 {
		t.Fatalf("bad event type: %d", p.status)
	}
	mustContain(t, p, "Unknown event type")
	if p := b.raw("POST", "/console/webhooks", url.Values{"url": {rc.URL}}); p.status != 403 {
		t.Fatalf("create without token: %d", p.status)
	}
	if ids := webhooksIDs(t, s); len(ids) != 0 {
		t.Fatalf("endpoints made by refused posts: %v", ids)
	}

	// Create: the secret once.
	p = b.raw("POST", "/console/webhooks", url.Values{"csrf": {token}, "url": {rc.URL + "/hook"}, "event_types": {"approval.requested", "sms.received"}})
	if p.status != 200 {
		t.Fatalf("create: %d %.300s", p.status, p.body)
	}
	secret := agentsSecret(t, p)
	mustContain(t, p, "Endpoint added", "webhook-signature", rc.URL+"/hook", "<code>approval.requested</code>, <code>sms.received</code>")
	ids := webhooksIDs(t, s)
	if len(ids) != 1 {
		t.Fatalf("endpoints: %v", ids)
	}
	id := ids[0]
	list = b.raw("GET", "/console/webhooks", nil)
	mustContain(t, list, `href="/console/webhooks/`+id+`"`, rc.URL+"/hook", "approval.requested")
	show := b.raw("GET", "/console/webhooks/"+id, nil)
	if show.status != 200 {
		t.Fatalf("endpoint page: %d", show.status)
	}
	mustContain(t, show, "No deliveries to this endpoint yet", `action="/console/webhooks/`+id+`/test"`)
	for _, pg := range []page{list, show} {
		if strings.Contains(html.UnescapeString(pg.body), secret) {
			t.Fatal("a page shows the secret again")
		}
	}

	// A test without the token sends nothing.
	if p := b.raw("POST", "/console/webhooks/"+id+"/test", url.Values{}); p.status != 403 {
		t.Fatalf("test without token: %d", p.status)
	}
	if d := webhooksDeliveries(t, s, id); len(d) != 0 || rc.got.Load() != 0 {
		t.Fatalf("a refused test sent: %v", d)
	}
	// A test to a failing endpoint: recorded with its attempt, said in red.
	p = b.raw("POST", "/console/webhooks/"+id+"/test", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/webhooks/"+id {
		t.Fatalf("test: %d %q %.300s", p.status, p.location, p.body)
	}
	ds := webhooksDeliveries(t, s, id)
	if len(ds) != 1 || ds[0]["status"] != "failed" || ds[0]["event_type"] != "webhook.test" {
		t.Fatalf("deliveries after a failed test: %v", ds)
	}
	did := ds[0]["id"].(string)
	if at := webhooksAttempts(ds[0]); len(at) != 1 || at[0]["status_code"] != float64(500) {
		t.Fatalf("attempts: %v", at)
	}
	show = b.raw("GET", p.location, nil)
	mustContain(t, show, `class="notice bad-notice"`, "and it failed: endpoint answered 500 (attempt 1,", `id="delivery-`+did+`"`,
		`class="badge failed">failed`, "#1", `class="badge failed">500`,
		`action="/console/webhooks/`+id+`/deliveries/`+did+`/resend"`)

	// Fixed, resent: a second attempt, 200.
	rc.status.Store(200)
	if p := b.raw("POST", "/console/webhooks/"+id+"/deliveries/"+did+"/resend", url.Values{}); p.status != 403 {
		t.Fatalf("resend without token: %d", p.status)
	}
	if got := rc.got.Load(); got != 1 {
		t.Fatalf("a refused resend sent: %d received", got)
	}
	p = b.raw("POST", "/console/webhooks/"+id+"/deliveries/"+did+"/resend", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/webhooks/"+id {
		t.Fatalf("resend: %d %q %.300s", p.status, p.location, p.body)
	}
	ds = webhooksDeliveries(t, s, id)
	at := webhooksAttempts(ds[0])
	if ds[0]["status"] != "succeeded" || len(at) != 2 || at[1]["status_code"] != float64(200) || at[1]["attempt"] != float64(2) {
		t.Fatalf("after resend: %v", ds[0])
	}
	show = b.raw("GET", p.location, nil)
	mustContain(t, show, `class="notice"`, "resent: your endpoint answered 200", "(attempt 2)", "#2", `class="badge executed">200`,
		`class="badge succeeded">succeeded`)
	// A test to the fixed endpoint: green.
	show = b.follow("POST", "/console/webhooks/"+id+"/test", url.Values{"csrf": {token}})
	mustContain(t, show, `class="notice"`, "Test event sent: your endpoint answered 200")
	if got := rc.got.Load(); got != 3 {
		t.Fatalf("the endpoint received %d posts", got)
	}
	// Deliveries are paginated.
	p = b.raw("GET", "/console/webhooks/"+id+"?limit=1", nil)
	mustContain(t, p, `rel="next"`)
	if strings.Count(p.body, `id="delivery-`) != 1 {
		t.Fatal("limit=1 shows more than one delivery")
	}

	// Unknown ids.
	for _, bad := range []string{uuid.NewString(), "not-a-uuid"} {
		if p := b.raw("POST", "/console/webhooks/"+id+"/deliveries/"+bad+"/resend", url.Values{"csrf": {token}}); p.status != 404 {
			t.Fatalf("resend delivery %s: %d", bad, p.status)
		}
		if p := b.raw("POST", "/console/webhooks/"+bad+"/deliveries/"+did+"/resend", url.Values{"csrf": {token}}); p.status != 404 {
			t.Fatalf("resend on endpoint %s: %d", bad, p.status)
		}
	}

	// Delete: a confirmation, then gone.
	confirm := b.raw("GET", "/console/webhooks/"+id+"/delete", nil)
	if confirm.status != 200 {
		t.Fatalf("delete confirmation: %d", confirm.status)
	}
	mustContain(t, confirm, "Deleting is permanent", `action="/console/webhooks/`+id+`/delete"`)
	if p := b.raw("POST", "/console/webhooks/"+id+"/delete", url.Values{}); p.status != 403 {
		t.Fatalf("delete without token: %d", p.status)
	}
	if len(webhooksIDs(t, s)) != 1 {
		t.Fatal("deleted by a refused post")
	}
	p = b.raw("POST", "/console/webhooks/"+id+"/delete", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/webhooks" {
		t.Fatalf("delete: %d %q", p.status, p.location)
	}
	if ids := webhooksIDs(t, s); len(ids) != 0 {
		t.Fatalf("after delete: %v", ids)
	}
	mustContain(t, b.raw("GET", p.location, nil), "deleted: it receives no more events")
	if p := b.raw("GET", "/console/webhooks/"+id, nil); p.status != 404 {
		t.Fatalf("deleted endpoint page: %d", p.status)
	}
}

// TestWebhooksResendRefusedWhileRetrying: a delivery of a real event that
// failed once waits for its next retry; resending it is refused in place.
func TestWebhooksResendRefusedWhileRetrying(t *testing.T) {
	t.Parallel()
	s := start(t)
	rc := webhooksListen(t, 503)
	st, e := s.api("POST", "/v1/webhooks", s.testKey, `{"url":"`+rc.URL+`","event_types":["approval.requested"]}`)
	if st != 201 {
		t.Fatalf("create endpoint: %d %v", st, e)
	}
	id := e["id"].(string)
	s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	var d map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ds := webhooksDeliveries(t, s, id); len(ds) == 1 && len(webhooksAttempts(ds[0])) > 0 {
			d = ds[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery attempt of approval.requested")
		}
	}
	if d["status"] != "pending" {
		t.Fatalf("delivery %v", d)
	}
	did := d["id"].(string)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	show := b.raw("GET", "/console/webhooks/"+id, nil)
	mustContain(t, show, `class="badge pending">pending`, "being retried", "approval.requested", `class="badge failed">503`)
	p := b.raw("POST", "/console/webhooks/"+id+"/deliveries/"+did+"/resend", url.Values{"csrf": {show.csrf(t)}})
	if p.status != 409 {
		t.Fatalf("resend while retrying: %d %.300s", p.status, p.body)
	}
	mustContain(t, p, "is still being retried; nothing was sent now.", `role="alert"`, `id="delivery-`+did+`"`)
	if n := len(webhooksAttempts(webhooksDeliveries(t, s, id)[0])); n != 1 {
		t.Fatalf("%d attempts after a refused resend", n)
	}
}

func TestWebhooksForeignIDs(t *testing.T) {
	t.Parallel()
	s := start(t)
	rc := webhooksListen(t, 200)
	h := keysLogin(t, s)
	// A live-mode endpoint (live mode refuses loopback deliveries, but
	// the endpoint can be made).
	st, e := h.call("live", "POST", "/v1/webhooks", `{"url":"`+rc.URL+`"}`)
	if st != 201 {
		t.Fatalf("live endpoint: %d %v", st, e)
	}
	live := e["id"].(string)
	b := s.browser()
	b.mustLogin()
	if p := b.raw("GET", "/console/webhooks/"+live, nil); p.status != 200 {
		t.Fatalf("live endpoint in live mode: %d", p.status)
	}
	b.testMode()
	token := b.raw("GET", "/console/webhooks", nil).csrf(t)
	for _, bad := range []string{live, uuid.NewString(), "not-a-uuid"} {
		for _, path := range []string{"/console/webhooks/" + bad, "/console/webhooks/" + bad + "/delete"} {
			if p := b.raw("GET", path, nil); p.status != 404 || !strings.Contains(p.body, "not_found") {
				t.Fatalf("GET %s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/test", "/delete"} {
			if p := b.raw("POST", "/console/webhooks/"+bad+path, url.Values{"csrf": {token}}); p.status != 404 {
				t.Fatalf("POST %s%s: %d", bad, path, p.status)
			}
		}
	}
	if st, m := h.call("live", "GET", "/v1/webhooks/"+live+"/deliveries", ""); st != 200 || len(m["data"].([]any)) != 0 {
		t.Fatalf("live endpoint touched: %d %v", st, m)
	}
	if rc.got.Load() != 0 {
		t.Fatal("the live endpoint received a post")
	}
}
