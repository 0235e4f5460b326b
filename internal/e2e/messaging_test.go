package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/telnyx"
)

// activeNumber provisions a number and waits until it can send.
func (h *harness) activeNumber() (id, e164 string) {
	h.t.Helper()
	ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(h.t)["phone"].(map[string]any)
	id, e164 = ph["id"].(string), ph["e164"].(string)
	deadline := time.Now().Add(15 * time.Second)
	for h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(h.t)["capabilities"].(map[string]any)["sms_outbound"] != true {
		if time.Now().After(deadline) {
			h.t.Fatal("campaign never activated")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return id, e164
}

func fastReview(o *app.Options) { o.SandboxReviewDelay = 300 * time.Millisecond }

// waitFor polls fn until it returns true.
func waitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInboundSMS(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		id, e164 := ph["id"].(string), ph["e164"].(string)
		// Inbound works at once, before any campaign approval.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"Hello naive"}`))
		var msgs []any
		waitFor(t, "the inbound text", func() bool {
			msgs = h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any)
			return len(msgs) == 1
		})
		m := msgs[0].(map[string]any)
		if m["direction"] != "inbound" || m["from"] != "+14155550123" || m["to"] != e164 || m["body"] != "Hello naive" || m["received_at"] == nil {
			t.Fatalf("message %v", m)
		}
		got := h.must(200, h.call("GET", "/v1/phone/messages/"+m["id"].(string), h.testKey, nil)).json(t)
		if got["body"] != "Hello naive" {
			t.Fatalf("read %v", got)
		}
		evs := h.must(200, h.call("GET", "/v1/events?type=sms.received", h.testKey, nil)).json(t)["data"].([]any)
		if len(evs) != 1 || evs[0].(map[string]any)["data"].(map[string]any)["id"] != m["id"] {
			t.Fatalf("events %v", evs)
		}
		// Newest first, with a cursor.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"Second"}`))
		waitFor(t, "the second text", func() bool {
			return len(h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any)) == 2
		})
		p1 := h.must(200, h.call("GET", "/v1/phone/"+id+"/messages?limit=1", h.testKey, nil)).json(t)
		if p1["data"].([]any)[0].(map[string]any)["body"] != "Second" || p1["next_cursor"] == nil {
			t.Fatalf("page 1 %v", p1)
		}
		// Unknown numbers are refused.
		if r := h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"+14155559999","body":"x"}`); r.Status != 404 {
			t.Fatalf("unknown number: %d %s", r.Status, r.Body)
		}
	})
}

func TestOutboundSMS(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.SandboxReviewDelay = 1500 * time.Millisecond })
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		id := ph["id"].(string)
		// Before approval: 409 compliance_pending, nothing sent, nothing charged.
		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550123","body":"hi"}`)
		if r.Status != 409 || r.errCode(t) != "compliance_pending" || r.errField(t, "retryable") != true {
			t.Fatalf("before approval: %d %s", r.Status, r.Body)
		}
		if cs := r.errField(t, "campaign_status"); cs != "created" && cs != "in_review" {
			t.Fatalf("campaign_status %v", cs)
		}
		if h.balance(h.testKey) != 950 {
			t.Fatal("charged before approval")
		}
		waitFor(t, "outbound", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(t)["capabilities"].(map[string]any)["sms_outbound"] == true
		})
		// Validation.
		for body, param := range map[string]string{
			`{"to":"4155550123","body":"hi"}`:   "to",
			`{"to":"+1415555012","body":"hi"}`:  "to",
			`{"to":"+14155550123","body":""}`:   "body",
			`{"to":"+14155550123","body":"  "}`: "body",
		} {
			if r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, body); r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		// After approval: 201, charged per segment.
		res := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550123","body":"Hello from naive"}`)).json(t)
		if res["status"] != "queued" || res["segments"] != 1.0 || res["credits_used"] != 1.0 || res["credits_remaining"] != 949.0 ||
			res["from"] != ph["e164"] || res["to"] != "+14155550123" {
			t.Fatalf("send %v", res)
		}
		// A long GSM-7 text and a non-Latin one.
		long := strings.Repeat("a", 161)
		if r := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, map[string]string{"to": "+14155550123", "body": long})).json(t); r["segments"] != 2.0 || r["credits_used"] != 2.0 {
			t.Fatalf("long %v", r)
		}
		cjk := strings.Repeat("中", 71)
		if r := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, map[string]string{"to": "+14155550123", "body": cjk})).json(t); r["segments"] != 2.0 {
			t.Fatalf("cjk %v", r)
		}
		// Status moves forward from the carrier's webhooks.
		mid := res["id"].(string)
		waitFor(t, "delivered", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t)["status"] == "delivered"
		})
		// The magic failing recipient ends failed with its reason.
		f := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550000","body":"x"}`)).json(t)["id"].(string)
		waitFor(t, "failed", func() bool {
			m := h.must(200, h.call("GET", "/v1/phone/messages/"+f, h.testKey, nil)).json(t)
			return m["status"] == "failed" && m["failure_reason"] == "invalid_mobile_number"
		})
		if n := len(h.must(200, h.call("GET", "/v1/events?type=sms.status", h.testKey, nil)).json(t)["data"].([]any)); n < 4 {
			t.Fatalf("%d sms.status events", n)
		}
		// Idempotency-Key holds: one send, one charge.
		bal := h.balance(h.testKey)
		a := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550124","body":"once"}`, "Idempotency-Key", "sms-1"))
		b := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550124","body":"once"}`, "Idempotency-Key", "sms-1"))
		if string(a.Body) != string(b.Body) || h.balance(h.testKey) != bal-1 {
			t.Fatal("idempotent send sent twice")
		}
		// Opt-out respected: STOP, refused; START, allowed again.
		e164 := ph["e164"].(string)
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550125","body":"STOP"}`))
		waitFor(t, "opt-out", func() bool {
			r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550125","body":"still there?"}`)
			return r.Status == 409 && r.errField(t, "reason") == "opted_out"
		})
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550125","body":"start"}`))
		waitFor(t, "opt-in", func() bool {
			return h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550125","body":"welcome back"}`).Status == 201
		})
		// Credits run out: 402 and nothing sent.
		checkLedger(t, h, h.balance(h.testKey), 1)
	})
}

func TestAgentAssignments(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview)
		human := h.login()
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"bot"}`)).json(t)["id"].(string)
		other := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"other"}`)).json(t)["id"].(string)
		// Provisioning with agent_id connects it with both permissions.
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","agent_id":"`+agent+`"}`)).json(t)["phone"].(map[string]any)
		id := ph["id"].(string)
		as := h.must(200, h.call("GET", "/v1/phone/"+id+"/assignments", h.testKey, nil)).json(t)["data"].([]any)
		if len(as) != 1 || as[0].(map[string]any)["agent_id"] != agent || len(as[0].(map[string]any)["permissions"].([]any)) != 2 {
			t.Fatalf("assignments %v", as)
		}
		waitFor(t, "outbound", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(t)["capabilities"].(map[string]any)["sms_outbound"] == true
		})
		// A key bound to the other agent may not send from it.
		boundKey := h.must(201, h.call("POST", "/v1/keys", human, `{"name":"other","mode":"test","agent_id":"`+other+`"}`)).json(t)["secret"].(string)
		r := h.call("POST", "/v1/phone/"+id+"/sms", boundKey, `{"to":"+14155550123","body":"hi"}`)
		if r.Status != 403 || !strings.Contains(r.errField(t, "hint").(string), "/assign") {
			t.Fatalf("unassigned agent send: %d %s", r.Status, r.Body)
		}
		// Receive-only is not enough either.
		h.must(201, h.call("POST", "/v1/phone/"+id+"/assign", h.testKey, `{"agent_id":"`+other+`","permissions":["receive_sms"]}`))
		if r := h.call("POST", "/v1/phone/"+id+"/sms", boundKey, `{"to":"+14155550123","body":"hi"}`); r.Status != 403 {
			t.Fatalf("receive-only send: %d", r.Status)
		}
		// Upsert grants send_sms; then it may.
		h.must(201, h.call("POST", "/v1/phone/"+id+"/assign", h.testKey, `{"agent_id":"`+other+`","permissions":["receive_sms","send_sms"]}`))
		h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", boundKey, `{"to":"+14155550123","body":"hi"}`))
		// A bound key cannot grant itself anything.
		if r := h.call("POST", "/v1/phone/"+id+"/assign", boundKey, `{"agent_id":"`+other+`"}`); r.Status != 403 {
			t.Fatalf("bound key assigns: %d", r.Status)
		}
		h.must(200, h.call("DELETE", "/v1/phone/"+id+"/assign/"+other, h.testKey, nil))
		if r := h.call("DELETE", "/v1/phone/"+id+"/assign/"+other, h.testKey, nil); r.Status != 404 {
			t.Fatalf("unassign twice: %d", r.Status)
		}
		if r := h.call("POST", "/v1/phone/"+id+"/sms", boundKey, `{"to":"+14155550123","body":"hi"}`); r.Status != 403 {
			t.Fatalf("after unassign: %d", r.Status)
		}
		for body, param := range map[string]string{`{"agent_id":"x"}`: "agent_id", `{"agent_id":"` + other + `","permissions":["fly"]}`: "permissions"} {
			if r := h.call("POST", "/v1/phone/"+id+"/assign", h.testKey, body); r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
	})
}

// receiver is a webhook endpoint that checks signatures independently (its
// own HMAC code, not the server's) and fails its first n deliveries.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	failures int
	attempts map[string]int // webhook-id → attempts seen
	accepted []map[string]any
	bad      int
}

func newReceiver(t *testing.T, failures int) (*receiver, *httptest.Server) {
	rc := &receiver{failures: failures, attempts: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) setSecret(t *testing.T, whsec string) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = key
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, rc.secret)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if !hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte(want)) || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		rc.bad++
		w.WriteHeader(400)
		return
	}
	rc.attempts[id]++
	if rc.failures > 0 {
		rc.failures--
		w.WriteHeader(503)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rc.accepted = append(rc.accepted, m)
	w.WriteHeader(204)
}

func (rc *receiver) got() (accepted []map[string]any, attempts map[string]int, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	at := map[string]int{}
	for k, v := range rc.attempts {
		at[k] = v
	}
	return append([]map[string]any(nil), rc.accepted...), at, rc.bad
}

// TestOutgoingWebhooks: an inbound text reaches a subscribed endpoint and
// the assigned agent's own URL, signed; an endpoint that fails twice gets
// the event once more after its failures, with three attempts logged.
func TestOutgoingWebhooks(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.WebhookBackoff = 50 * time.Millisecond })
		flaky, flakySrv := newReceiver(t, 2)
		agentRc, agentSrv := newReceiver(t, 0)
		ep := h.must(201, h.call("POST", "/v1/webhooks", h.testKey, map[string]any{"url": flakySrv.URL + "/hook", "event_types": []string{"sms.received"}})).json(t)
		secret := ep["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("endpoint %v", ep)
		}
		if l := h.must(200, h.call("GET", "/v1/webhooks", h.testKey, nil)); strings.Contains(string(l.Body), secret) {
			t.Fatal("list shows the secret")
		}
		flaky.setSecret(t, secret)
		ag := h.must(201, h.call("POST", "/v1/agents", h.testKey, map[string]string{"name": "listener", "webhook_url": agentSrv.URL})).json(t)
		agentRc.setSecret(t, ag["webhook_secret"].(string))
		other := h.must(201, h.call("POST", "/v1/agents", h.testKey, map[string]string{"name": "deaf", "webhook_url": agentSrv.URL + "/deaf"})).json(t)
		_ = other
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","agent_id":"`+ag["id"].(string)+`"}`)).json(t)["phone"].(map[string]any)
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+ph["e164"].(string)+`","from":"+14155550123","body":"ping"}`))
		var acc []map[string]any
		var attempts map[string]int
		waitFor(t, "delivery after two failures", func() bool {
			acc, attempts, _ = flaky.got()
			return len(acc) == 1
		})
		if acc[0]["type"] != "sms.received" || acc[0]["data"].(map[string]any)["body"] != "ping" {
			t.Fatalf("delivered %v", acc[0])
		}
		if attempts[acc[0]["id"].(string)] != 3 {
			t.Fatalf("attempts %v", attempts)
		}
		waitFor(t, "agent delivery", func() bool { a, _, _ := agentRc.got(); return len(a) == 1 })
		// Nothing more arrives: exactly once after the failures, and the
		// unassigned agent hears nothing.
		time.Sleep(500 * time.Millisecond)
		if a, _, bad := flaky.got(); len(a) != 1 || bad != 0 {
			t.Fatalf("flaky got %d (bad signatures %d)", len(a), bad)
		}
		if a, _, _ := agentRc.got(); len(a) != 1 {
			t.Fatalf("agent receiver got %d", len(a))
		}
		// The deliveries log shows the three attempts.
		ds := h.must(200, h.call("GET", "/v1/webhooks/"+ep["id"].(string)+"/deliveries", h.testKey, nil)).json(t)["data"].([]any)
		if len(ds) != 1 {
			t.Fatalf("deliveries %v", ds)
		}
		d := ds[0].(map[string]any)
		atts := d["attempts"].([]any)
		if d["status"] != "succeeded" || len(atts) != 3 || atts[0].(map[string]any)["status_code"] != 503.0 || atts[2].(map[string]any)["status_code"] != 204.0 {
			t.Fatalf("delivery %v", d)
		}
		// The test button sends a signed webhook.test at once.
		flaky.mu.Lock()
		flaky.failures = 0
		flaky.mu.Unlock()
		td := h.must(200, h.call("POST", "/v1/webhooks/"+ep["id"].(string)+"/test", h.testKey, nil)).json(t)
		if td["status"] != "succeeded" || td["event_type"] != "webhook.test" {
			t.Fatalf("test delivery %v", td)
		}
		h.must(200, h.call("DELETE", "/v1/webhooks/"+ep["id"].(string), h.testKey, nil))
		if r := h.call("GET", "/v1/webhooks/"+ep["id"].(string)+"/deliveries", h.testKey, nil); r.Status != 404 {
			t.Fatalf("deleted endpoint: %d", r.Status)
		}
		if r := h.call("POST", "/v1/webhooks", h.testKey, `{"url":"ftp://x","event_types":[]}`); r.Status != 400 {
			t.Fatalf("bad url: %d", r.Status)
		}
		if r := h.call("POST", "/v1/webhooks", h.testKey, `{"url":"https://x.example","event_types":["sms.nope"]}`); r.Status != 400 {
			t.Fatalf("bad type: %d", r.Status)
		}
	})
}

// TestCarrierOptOutEvent: an opt-out the carrier reports by itself is
// recorded too, and the opt-in lifts it. Surge reports one as
// contact.opted_out (not a STOP we saw) and contact.opted_in. Telnyx
// reports a STOP only as the inbound text (message.received), and an
// opt-out we never heard of — a STOP to another number of the messaging
// profile, which Telnyx scopes opt-outs by — by refusing the send with
// error 40300: the send is answered opted_out and refunded.
func TestCarrierOptOutEvent(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview)
		id, e164 := h.activeNumber()
		sim := simOf(t, h)
		const contact = "+14155550177"
		optedOut := func(who string) bool {
			for _, x := range h.must(200, h.call("GET", "/v1/phone/"+id+"/contacts", h.testKey, nil)).json(t)["data"].([]any) {
				if c := x.(map[string]any); c["contact"] == who {
					return c["opted_out"] == true
				}
			}
			return false
		}
		var optIn func()
		switch sim.Carrier() {
		case "surge":
			ssim := h.app.Sandbox()
			acct := ssim.Accounts()[0].ID
			c := surge.NewClient(surge.Options{BaseURL: "http://sandbox", APIKey: "sk_sandbox", HTTPClient: &http.Client{Transport: ssim.Transport()}})
			ct, err := c.CreateContact(t.Context(), acct, surge.ContactCreate{PhoneNumber: contact})
			if err != nil {
				t.Fatal(err)
			}
			ev := func(typ, evID string, at time.Time) string {
				return `{"id":"` + evID + `","type":"` + typ + `","timestamp":"` + at.UTC().Format(time.RFC3339) + `","account_id":"` + acct + `","data":{"id":"` + ct.ID + `"}}`
			}
			now := time.Now()
			h.must(200, h.signed(ssim.WebhookSecret(), "evt_o1", now, ev("contact.opted_out", "evt_o1", now)))
			optIn = func() {
				h.must(200, h.signed(ssim.WebhookSecret(), "evt_o2", now, ev("contact.opted_in", "evt_o2", now.Add(2*time.Second))))
			}
		case "telnyx":
			tsim := h.app.TelnyxSandbox()
			if _, err := tsim.Inbound(contact, e164, "STOP"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the STOP recorded", func() bool { return optedOut(contact) })
			optIn = func() {
				if _, err := tsim.Inbound(contact, e164, "START"); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the START recorded", func() bool { return !optedOut(contact) })
			}
		default:
			t.Fatalf("no opt-out event for %s", sim.Carrier())
		}
		if !optedOut(contact) {
			t.Fatal("the carrier's opt-out is not on the number's contacts")
		}
		sends, bal := sim.Requests(opSend), h.balance(h.testKey)
		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+contact+`","body":"hi"}`)
		if r.Status != 409 || r.errField(t, "reason") != "opted_out" {
			t.Fatalf("after opted_out: %d %s", r.Status, r.Body)
		}
		if n := sim.Requests(opSend); n != sends || h.balance(h.testKey) != bal {
			t.Fatalf("a text to an opted-out contact reached the carrier (%d sends, was %d) or was charged", n, sends)
		}
		optIn()
		h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+contact+`","body":"welcome back"}`))

		if sim.Carrier() != "telnyx" {
			return
		}
		// Opted out at Telnyx only: a STOP to another number on our
		// messaging profile (none of naive's: its text is dropped).
		tsim := h.app.TelnyxSandbox()
		profile := ""
		for _, n := range tsim.Numbers() {
			if n.PhoneNumber == e164 {
				profile = n.MessagingProfileID
			}
		}
		other := sim.BuyStray(t, "elsewhere", "312", "")
		tc := telnyx.NewClient(telnyx.Options{BaseURL: "http://telnyx.sandbox/v2", APIKey: "KEY_sandbox", HTTPClient: &http.Client{Transport: handlerRoundTripper{tsim}}})
		if _, err := tc.UpdateNumberMessaging(t.Context(), other.ID, profile); err != nil {
			t.Fatal(err)
		}
		const stranger = "+14155550178"
		if _, err := tsim.Inbound(stranger, other.E164, "STOP"); err != nil {
			t.Fatal(err)
		}
		if !tsim.OptedOut(e164, stranger) {
			t.Fatal("the sandbox did not scope the opt-out by messaging profile")
		}
		bal = h.balance(h.testKey)
		r = h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+stranger+`","body":"hi"}`)
		if r.Status != 409 || r.errField(t, "reason") != "opted_out" {
			t.Fatalf("opted out at Telnyx only: %d %s", r.Status, r.Body)
		}
		if b := h.balance(h.testKey); b != bal {
			t.Fatalf("balance %d after a send Telnyx refused, want %d (refunded)", b, bal)
		}
		// The refusal taught naive the opt-out: the next send is refused
		// before it reaches Telnyx.
		sends = sim.Requests(opSend)
		r = h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+stranger+`","body":"hi again"}`)
		if r.Status != 409 || r.errField(t, "reason") != "opted_out" || sim.Requests(opSend) != sends {
			t.Fatalf("a send after Telnyx's refusal: %d %s, %d sends reached Telnyx", r.Status, r.Body, sim.Requests(opSend)-sends)
		}
	})
}

// TestSendLostAnswer: when the carrier's answer to a send is lost and the
// carrier cannot be asked either, the text stays charged and queued
// (resending could text twice) until the carrier's status webhook, which
// names our id (Surge: its metadata; Telnyx: its webhook_url), settles
// it. The carrier holds the text once.
func TestSendLostAnswer(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview)
		id, _ := h.activeNumber()
		sim := simOf(t, h)
		bal := h.balance(h.testKey)
		const to = "+14155550123"
		sim.Lose([]simOp{opSend}, opFindMessage)
		e := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+to+`","body":"unknown outcome"}`)
		if e.Status != 502 || e.errField(t, "retryable") != false {
			sim.Down()
			t.Fatalf("unknown outcome: %d %s", e.Status, e.Body)
		}
		mid := e.errField(t, "message_id").(string)
		// Queued, unless the carrier's status webhooks have come already.
		if m := h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t); m["status"] != "queued" && m["status"] != "sent" && m["status"] != "delivered" {
			t.Fatalf("an undecided text is %v, want queued", m["status"])
		}
		sim.Down()
		if h.balance(h.testKey) != bal-1 {
			t.Fatal("an unknown outcome was refunded")
		}
		waitFor(t, "settled by the status webhook", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t)["status"] == "delivered"
		})
		m := h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t)
		if cid, _ := m["carrier_message_id"].(string); cid == "" {
			t.Fatalf("settled without the carrier's id: %v", m)
		}
		if n := sim.Texts(to); n != 1 {
			t.Fatalf("the carrier holds %d texts to %s, want 1 (never resent)", n, to)
		}
		if h.balance(h.testKey) != bal-1 {
			t.Fatalf("balance %d, want %d", h.balance(h.testKey), bal-1)
		}
	})
}

// TestLiveWebhooksRefuseInternalTargets: a live endpoint cannot reach the
// server's own network; test mode may reach loopback (local development)
// and nothing else internal. The attempt says so without echoing the
// address.
func TestLiveWebhooksRefuseInternalTargets(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	rc, srv := newReceiver(t, 0)
	s := h.login()
	ep := h.must(201, h.call("POST", "/v1/webhooks", s, map[string]any{"url": srv.URL}, "Naive-Mode", "live")).json(t)
	rc.setSecret(t, ep["secret"].(string))
	d := h.must(200, h.call("POST", "/v1/webhooks/"+ep["id"].(string)+"/test", s, nil, "Naive-Mode", "live")).json(t)
	att := d["attempts"].([]any)[0].(map[string]any)
	if d["status"] != "failed" || !strings.Contains(att["error"].(string), "address is internal") || strings.Contains(att["error"].(string), "127.0.0.1") {
		t.Fatalf("live delivery to loopback: %v", d)
	}
	if a, _, _ := rc.got(); len(a) != 0 {
		t.Fatal("the internal target was reached")
	}
	ep2 := h.must(201, h.call("POST", "/v1/webhooks", h.testKey, map[string]any{"url": srv.URL})).json(t)
	rc.setSecret(t, ep2["secret"].(string))
	if d := h.must(200, h.call("POST", "/v1/webhooks/"+ep2["id"].(string)+"/test", h.testKey, nil)).json(t); d["status"] != "succeeded" {
		t.Fatalf("test-mode delivery: %v", d)
	}
	for _, target := range []string{"http://10.1.2.3:9/hook", "http://169.254.169.254/latest/meta-data", "http://192.168.0.1/"} {
		ep := h.must(201, h.call("POST", "/v1/webhooks", h.testKey, map[string]any{"url": target})).json(t)
		d := h.must(200, h.call("POST", "/v1/webhooks/"+ep["id"].(string)+"/test", h.testKey, nil)).json(t)
		msg := d["attempts"].([]any)[0].(map[string]any)["error"].(string)
		if d["status"] != "failed" || !strings.Contains(msg, "test mode reaches public and loopback addresses only") ||
			strings.ContainsAny(msg, "0123456789") {
			t.Fatalf("test-mode delivery to %s: %v", target, d)
		}
	}
}

// TestBoundKeysSeeOnlyTheirNumbers: a key bound to an agent cannot read the
// operator's whole event stream or point webhooks at it.
func TestBoundKeysSeeOnlyTheirNumbers(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"bot"}`)).json(t)["id"].(string)
	bound := h.must(201, h.call("POST", "/v1/keys", h.login(), `{"name":"bot","mode":"test","agent_id":"`+agent+`"}`)).json(t)["secret"].(string)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/events", ""}, {"GET", "/v1/webhooks", ""}, {"POST", "/v1/webhooks", `{"url":"https://x.example"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		if r := h.call(c.method, c.path, bound, body); r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Errorf("%s %s with a bound key: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	h.must(200, h.call("GET", "/v1/events", h.testKey, nil))
}
