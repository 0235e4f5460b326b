package e2e_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// policyKit gives the phone's subject a kit with the phone config cfg
// (JSON), as a human.
func (h *harness) policyKit(human, phoneID, cfg string) string {
	h.t.Helper()
	sid := h.must(200, h.call("GET", "/v1/phone/"+phoneID, h.testKey, nil)).json(h.t)["subject_id"].(string)
	kid := h.must(201, h.call("POST", "/v1/account-kits", human, `{"name":"policy","primitives_config":{"phone":`+cfg+`}}`,
		"Naive-Mode", "test")).json(h.t)["id"].(string)
	h.must(200, h.call("POST", "/v1/account-kits/"+kid+"/subjects/"+sid+"/assign", human, nil, "Naive-Mode", "test"))
	return kid
}

// outbound counts the number's outbound messages.
func (h *harness) outbound(phoneID string) (n int) {
	h.t.Helper()
	for _, m := range h.must(200, h.call("GET", "/v1/phone/"+phoneID+"/messages?limit=200", h.testKey, nil)).json(h.t)["data"].([]any) {
		if m.(map[string]any)["direction"] == "outbound" {
			n++
		}
	}
	return n
}

// TestConsentRequired: with a kit requiring consent a text to a contact
// without a record is 409 consent_required, nothing stored nor charged;
// a recorded opt-in or the contact's own text lets it through, and each
// sent text shows the basis it went on.
func TestConsentRequired(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview)
		human := h.login()
		id, e164 := h.activeNumber()
		h.policyKit(human, id, `{"consent":"required"}`)
		before := h.balance(h.testKey)
		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550124","body":"hi"}`)
		if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "reason") != "consent_required" ||
			!strings.Contains(r.errField(t, "hint").(string), "/v1/phone/"+id+"/contacts/+14155550124/consent") {
			t.Fatalf("without consent: %d %s", r.Status, r.Body)
		}
		if h.balance(h.testKey) != before || h.outbound(id) != 0 {
			t.Fatalf("a refused text was stored or charged (balance %d, was %d)", h.balance(h.testKey), before)
		}

		// Recording consent: checked, then stored.
		consent := "/v1/phone/" + id + "/contacts/%2B14155550124/consent"
		for body, param := range map[string]string{
			`{"basis":"implied"}`: "basis",
			`{"basis":"express_written","evidence_url":"http://example.com/f"}`:                                 "evidence_url",
			`{"basis":"express_written","evidence_url":"https://example.com/` + strings.Repeat("a", 500) + `"}`: "evidence_url",
		} {
			if r := h.call("POST", consent, h.testKey, body); r.Status != 400 || r.errField(t, "param") != param {
				t.Errorf("%s: %d %s", body[:min(len(body), 60)], r.Status, r.Body)
			}
		}
		if r := h.call("POST", consent, h.testKey, `{"basis":"express_oral","note":"a\u0000b"}`); r.Status != 400 {
			t.Errorf("NUL note: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", consent, h.testKey, []byte("{\"basis\":\"express_oral\",\"note\":\"\xff\"}")); r.Status != 400 {
			t.Errorf("invalid UTF-8 note: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/phone/"+id+"/contacts/4155550124/consent", h.testKey, `{"basis":"express_oral"}`); r.Status != 400 || r.errField(t, "param") != "contact" {
			t.Errorf("bad contact: %d %s", r.Status, r.Body)
		}
		c := h.must(200, h.call("POST", consent, h.testKey, `{"basis":"express_written","evidence_url":"https://example.com/optins/42","note":"web form"}`)).json(t)
		if c["contact"] != "+14155550124" || c["consent"].(map[string]any)["basis"] != "express_written" || c["opted_out"] != false {
			t.Fatalf("consent %v", c)
		}
		res := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550124","body":"hi"}`)).json(t)
		if res["consent_basis"] != "express_written" || h.balance(h.testKey) != before-1 {
			t.Fatalf("send with consent: %v", res)
		}
		m := h.must(200, h.call("GET", "/v1/phone/messages/"+res["id"].(string), h.testKey, nil)).json(t)
		if m["consent_basis"] != "express_written" {
			t.Fatalf("message %v", m)
		}

		// The contact's own text opens a conversation, in the transaction
		// that stores it.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"Is my order ready?"}`))
		var contacts []any
		waitFor(t, "the conversation's consent", func() bool {
			contacts = h.must(200, h.call("GET", "/v1/phone/"+id+"/contacts", h.testKey, nil)).json(t)["data"].([]any)
			return len(contacts) == 2
		})
		first := contacts[0].(map[string]any)
		if first["contact"] != "+14155550123" || first["consent"].(map[string]any)["basis"] != "conversation" ||
			first["consent"].(map[string]any)["message_id"] == "" {
			t.Fatalf("contacts %v", contacts)
		}
		res = h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550123","body":"It is."}`)).json(t)
		if res["consent_basis"] != "conversation" {
			t.Fatalf("reply %v", res)
		}
		// STOP stays the opt-out it was, shown beside the consent.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"STOP"}`))
		waitFor(t, "the opt-out", func() bool {
			l := h.must(200, h.call("GET", "/v1/phone/"+id+"/contacts?limit=1", h.testKey, nil)).json(t)
			c := l["data"].([]any)[0].(map[string]any)
			return c["opted_out"] == true && c["consent"].(map[string]any)["basis"] == "conversation" && l["next_cursor"] != nil
		})
		if r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550123","body":"hello?"}`); r.Status != 409 || r.errField(t, "reason") != "opted_out" {
			t.Fatalf("after STOP: %d %s", r.Status, r.Body)
		}
		if got := h.balance(h.testKey); got != before-2 {
			t.Fatalf("balance %d, want %d", got, before-2)
		}
	})
}

// TestQuietHours: on a clock just before the recipient's window opens, a
// text is refused with retry_at; with schedule it is kept as scheduled,
// uncharged, and sent and charged by the background job at send_at; one
// canceled meanwhile is never sent nor charged.
func TestQuietHours(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		var off atomic.Int64
		h := start(t, db, fastReview, func(o *app.Options) {
			o.Now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
		})
		human := h.login()
		id, _ := h.activeNumber()
		// Set the clock 5 s before a minute's start, which opens the
		// window; let a heartbeat pass on the new clock.
		opens := time.Now().Truncate(time.Minute).Add(2 * time.Minute)
		off.Store(int64(time.Until(opens.Add(-5 * time.Second))))
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		h.policyKit(human, id, `{"quiet_hours":{"start":"`+opens.In(ny).Format("15:04")+`","end":"`+opens.Add(12*time.Hour).In(ny).Format("15:04")+`"}}`)
		time.Sleep(1500 * time.Millisecond)
		const to = "+12126647665" // New York
		before := h.balance(h.testKey)

		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+to+`","body":"good morning"}`)
		if r.Status != 409 || r.errField(t, "reason") != "quiet_hours" || r.errField(t, "retry_at") != opens.UTC().Format(time.RFC3339) {
			t.Fatalf("before the window: %d %s (want retry_at %s)", r.Status, r.Body, opens.UTC().Format(time.RFC3339))
		}
		body := `{"to":"` + to + `","body":"good morning","schedule":true}`
		sched := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, body, "Idempotency-Key", "sched-1")).json(t)
		if sched["status"] != "scheduled" || sched["send_at"] != opens.UTC().Format(time.RFC3339) || sched["credits_used"] != 0.0 {
			t.Fatalf("scheduled %v", sched)
		}
		// A retry with the same key answers the same scheduled text.
		again := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, body, "Idempotency-Key", "sched-1")).json(t)
		if again["id"] != sched["id"] || h.outbound(id) != 1 {
			t.Fatalf("replay %v, %d outbound texts", again, h.outbound(id))
		}
		canceled := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+to+`","body":"never mind","schedule":true}`)).json(t)
		c := h.must(200, h.call("DELETE", "/v1/phone/messages/"+canceled["id"].(string), h.testKey, nil)).json(t)
		if c["status"] != "canceled" || c["canceled_at"] == nil {
			t.Fatalf("cancel %v", c)
		}
		if r := h.call("DELETE", "/v1/phone/messages/"+canceled["id"].(string), h.testKey, nil); r.Status != 409 || r.errField(t, "status") != "canceled" {
			t.Fatalf("second cancel: %d %s", r.Status, r.Body)
		}
		if h.balance(h.testKey) != before {
			t.Fatal("charged at scheduling")
		}
		if time.Now().Add(time.Duration(off.Load())).After(opens) {
			t.Fatal("too slow: the window opened before the test scheduled its texts")
		}

		// The job sends it at send_at and charges it then.
		sid := sched["id"].(string)
		var m map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			m = h.must(200, h.call("GET", "/v1/phone/messages/"+sid, h.testKey, nil)).json(t)
			// Done once the carrier took it (queued, then its id) or not.
			if m["carrier_message_id"] != nil || m["status"] == "failed" || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if m["status"] == "scheduled" || m["status"] == "failed" || m["carrier_message_id"] == nil || m["credits_used"] != 1.0 {
			t.Fatalf("at send_at: %v", m)
		}
		sentAt, _ := time.Parse(time.RFC3339Nano, m["send_at"].(string))
		if sentAt.Before(opens) {
			t.Fatalf("sent at %v, before the window opened at %v", sentAt, opens)
		}
		if got := h.balance(h.testKey); got != before-1 {
			t.Fatalf("balance %d after the send, want %d", got, before-1)
		}
		ledger := h.must(200, h.call("GET", "/v1/credits/ledger", h.testKey, nil)).json(t)["data"].([]any)
		charges := 0
		for _, e := range ledger {
			if e.(map[string]any)["reference_id"] == sid {
				charges++
			}
		}
		if charges != 1 {
			t.Fatalf("%d ledger entries for the text, want one", charges)
		}
		if r := h.call("DELETE", "/v1/phone/messages/"+sid, h.testKey, nil); r.Status != 409 {
			t.Fatalf("cancel after sending: %d %s", r.Status, r.Body)
		}
		// The canceled one's job ran too (it was due at the same time):
		// still canceled, never charged.
		time.Sleep(time.Second)
		c = h.must(200, h.call("GET", "/v1/phone/messages/"+canceled["id"].(string), h.testKey, nil)).json(t)
		if c["status"] != "canceled" || c["carrier_message_id"] != nil || h.balance(h.testKey) != before-1 {
			b, _ := json.Marshal(c)
			t.Fatalf("canceled text: %s, balance %d", b, h.balance(h.testKey))
		}
	})
}
