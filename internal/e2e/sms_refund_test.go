package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/naive-oss/naive/internal/app"
)

// smsLedger counts a message's sms.send debits and sms.send.refund
// credits, and returns their sum.
func smsLedger(t *testing.T, h *harness, messageID string) (debits, refunds int, net int64) {
	t.Helper()
	cursor := ""
	for {
		path := "/v1/credits/ledger?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		l := h.must(200, h.call("GET", path, h.testKey, nil)).json(t)
		for _, x := range l["data"].([]any) {
			e := x.(map[string]any)
			if e["reference_id"] != messageID {
				continue
			}
			amount := int64(e["amount"].(float64))
			switch e["reason"] {
			case "sms.send":
				debits++
			case "sms.send.refund":
				refunds++
				if amount <= 0 {
					t.Fatalf("refund entry %v", e)
				}
			default:
				t.Fatalf("unexpected ledger entry for message %s: %v", messageID, e)
			}
			net += amount
		}
		if l["next_cursor"] == nil {
			return debits, refunds, net
		}
		cursor = l["next_cursor"].(string)
	}
}

// messageEvent is the body of a carrier message.failed (or another message.*
// event) of the carrier message carrierID.
func messageEvent(evID, typ, brand, carrierID, reason string) string {
	at := time.Now().UTC().Format(time.RFC3339Nano)
	data := fmt.Sprintf(`{"id":%q,"body":"x","attachments":[],"metadata":{}`, carrierID)
	switch typ {
	case "message.failed":
		data += fmt.Sprintf(`,"failed_at":%q,"failure_reason":%q}`, at, reason)
	case "message.sent":
		data += fmt.Sprintf(`,"sent_at":%q}`, at)
	case "message.delivered":
		data += fmt.Sprintf(`,"delivered_at":%q}`, at)
	}
	return fmt.Sprintf(`{"id":%q,"type":%q,"timestamp":%q,"account_id":%q,"data":%s}`, evID, typ, at, brand, data)
}

// TestSMSRefund: a text the carrier fails before sending it is refunded
// once, whatever duplicate or concurrent reports follow; a text sent and
// then delivered (or undelivered) keeps its charge. Answers carry the
// carrier's message id as carrier_message_id and surge_message_id.
func TestSMSRefund(t *testing.T) {
	surgeOnly(t)
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview, func(o *app.Options) { o.PollInterval = time.Hour })
		id, _ := h.activeNumber()
		sim := h.app.Sandbox()
		secret := sim.WebhookSecret()
		brand := brandOf(t, h)
		bal := h.balance(h.testKey)

		send := func(to string) map[string]any {
			t.Helper()
			res := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, map[string]string{"to": to, "body": "Your order shipped"})).json(t)
			cid, _ := res["carrier_message_id"].(string)
			if !strings.HasPrefix(cid, "msg_") || res["surge_message_id"] != cid {
				t.Fatalf("send answer without the carrier's id: %v", res)
			}
			return res
		}
		message := func(mid string) map[string]any {
			return h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t)
		}
		waitStatus := func(mid, status string) map[string]any {
			t.Helper()
			var m map[string]any
			waitFor(t, mid+" "+status, func() bool {
				m = message(mid)
				return m["status"] == status
			})
			return m
		}

		// Delivered: charged, not refunded; the id is on every answer.
		ok := send("+14155550123")
		okID, okCID := ok["id"].(string), ok["carrier_message_id"].(string)
		m := waitStatus(okID, "delivered")
		if m["carrier_message_id"] != okCID || m["surge_message_id"] != okCID {
			t.Fatalf("message without its carrier id: %v", m)
		}
		found := false
		for _, x := range h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any) {
			if x := x.(map[string]any); x["id"] == okID {
				found = x["carrier_message_id"] == okCID && x["surge_message_id"] == okCID
			}
		}
		if !found {
			t.Fatal("the message list does not carry carrier_message_id and surge_message_id")
		}
		if d, r, net := smsLedger(t, h, okID); d != 1 || r != 0 || net != -1 {
			t.Fatalf("delivered text: %d debits, %d refunds, net %d; want 1, 0, -1", d, r, net)
		}

		// The sandbox's failing destination: sent, then failed as
		// invalid_mobile_number (a pre-send reason): refunded once,
		// the refund pointing at the message.
		bad := send("+14155550000")
		badID, badCID := bad["id"].(string), bad["carrier_message_id"].(string)
		m = waitStatus(badID, "failed")
		if m["failure_reason"] != "invalid_mobile_number" || m["carrier_message_id"] != badCID {
			t.Fatalf("failed message %v", m)
		}
		if d, r, net := smsLedger(t, h, badID); d != 1 || r != 1 || net != 0 {
			t.Fatalf("failed text: %d debits, %d refunds, net %d; want 1, 1, 0", d, r, net)
		}
		if b := h.balance(h.testKey); b != bal-1 {
			t.Fatalf("balance %d, want %d (the delivered text only)", b, bal-1)
		}

		// Redelivered: the same event twice, other failure events, a late
		// sent, all at once — nothing more is refunded. A failure report
		// about the delivered text changes nothing either.
		dup := messageEvent("evt_dup_"+uuid.NewString(), "message.failed", brand, badCID, "invalid_mobile_number")
		h.must(200, h.signed(secret, "evt_dup", time.Now(), dup))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := dup
				switch i % 4 {
				case 1:
					body = messageEvent(fmt.Sprintf("evt_again_%d_%s", i, uuid.NewString()), "message.failed", brand, badCID, "unreachable_carrier")
				case 2:
					body = messageEvent(fmt.Sprintf("evt_sent_%d_%s", i, uuid.NewString()), "message.sent", brand, badCID, "")
				case 3:
					body = messageEvent(fmt.Sprintf("evt_ok_%d_%s", i, uuid.NewString()), "message.failed", brand, okCID, "invalid_mobile_number")
				}
				if r := h.signed(secret, fmt.Sprintf("wh_%d", i), time.Now(), body); r.Status != 200 {
					t.Errorf("redelivery %d: %d %s", i, r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		if d, r, _ := smsLedger(t, h, badID); d != 1 || r != 1 {
			t.Fatalf("after redeliveries: %d debits, %d refunds; want 1 and 1", d, r)
		}
		if m := message(okID); m["status"] != "delivered" {
			t.Fatalf("a late failure moved a delivered text: %v", m)
		}
		if b := h.balance(h.testKey); b != bal-1 {
			t.Fatalf("balance %d after redeliveries, want %d", b, bal-1)
		}

		// Sent again to the flagged destination, the text fails before it
		// reaches the carrier (message.failed, no message.sent): refunded.
		again := send("+14155550000")["id"].(string)
		if m := waitStatus(again, "failed"); m["sent_at"] != nil {
			t.Fatalf("flagged destination: %v", m)
		}
		if d, r, net := smsLedger(t, h, again); d != 1 || r != 1 || net != 0 {
			t.Fatalf("text cancelled before the carrier: %d debits, %d refunds, net %d", d, r, net)
		}

		// Texts whose reports we write ourselves: the sandbox takes them
		// under an id it never delivers.
		var fake atomic.Int64
		sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages") {
				return 201, fmt.Appendf(nil, `{"id":"msg_fake_%d_%s","body":"x","attachments":[],"metadata":{}}`, fake.Add(1), uuid.NewString()), true
			}
			return 0, nil, false
		})
		t.Cleanup(func() { sim.SetBeforeFunc(nil) })
		report := func(cid, typ, reason string) {
			t.Helper()
			ev := "evt_" + uuid.NewString()
			h.must(200, h.signed(secret, ev, time.Now(), messageEvent(ev, typ, brand, cid, reason)))
		}
		// Sent, then undelivered: the charge stays.
		u := send("+14155550130")
		report(u["carrier_message_id"].(string), "message.sent", "")
		report(u["carrier_message_id"].(string), "message.failed", "unreachable_destination")
		waitStatus(u["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, u["id"].(string)); r != 0 || net != -1 {
			t.Fatalf("undelivered text: %d refunds, net %d; want 0, -1", r, net)
		}
		// An unlisted reason with no sent: refunded; with sent: kept.
		n := send("+14155550131")
		report(n["carrier_message_id"].(string), "message.failed", "something_new")
		waitStatus(n["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, n["id"].(string)); r != 1 || net != 0 {
			t.Fatalf("failed before sent: %d refunds, net %d; want 1, 0", r, net)
		}
		s := send("+14155550132")
		report(s["carrier_message_id"].(string), "message.sent", "")
		report(s["carrier_message_id"].(string), "message.failed", "something_new")
		waitStatus(s["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, s["id"].(string)); r != 0 || net != -1 {
			t.Fatalf("failed after sent: %d refunds, net %d; want 0, -1", r, net)
		}
		// Concurrent different failures and a sent of one text: one refund.
		c := send("+14155550133")
		ccid := c["carrier_message_id"].(string)
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				typ, reason := "message.failed", []string{"invalid_mobile_number", "opted_out", "carrier_rejected"}[i%3]
				if i == 5 {
					typ, reason = "message.sent", ""
				}
				ev := "evt_" + uuid.NewString()
				if r := h.signed(secret, ev, time.Now(), messageEvent(ev, typ, brand, ccid, reason)); r.Status != 200 {
					t.Errorf("concurrent report: %d %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		waitStatus(c["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, c["id"].(string)); r != 1 || net != 0 {
			t.Fatalf("concurrent failures: %d refunds, net %d; want 1, 0", r, net)
		}

		// The carrier refuses the send itself (HTTP 4xx): the error says
		// why, and the reserve is refunded at once.
		before := h.balance(h.testKey)
		sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages") {
				return 422, []byte(`{"error":{"type":"validation_error","message":"Could not perform the request with the provided parameters.","detail":{"to":["is not a valid mobile number"]}}}`), true
			}
			return 0, nil, false
		})
		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550134","body":"refused"}`)
		if r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "to" {
			t.Fatalf("carrier refusal: %d %s", r.Status, r.Body)
		}
		sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages") {
				return 422, []byte(`{"error":{"type":"opted_out","message":"This contact has opted out of messages."}}`), true
			}
			return 0, nil, false
		})
		r = h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550135","body":"refused"}`)
		if r.Status != 409 || r.errField(t, "reason") != "opted_out" {
			t.Fatalf("carrier opt-out: %d %s", r.Status, r.Body)
		}
		sim.SetBeforeFunc(nil)
		if b := h.balance(h.testKey); b != before {
			t.Fatalf("balance %d after two refused sends, want %d", b, before)
		}
		refused := 0
		for _, x := range h.must(200, h.call("GET", "/v1/phone/"+id+"/messages?limit=200", h.testKey, nil)).json(t)["data"].([]any) {
			m := x.(map[string]any)
			if m["to"] != "+14155550134" && m["to"] != "+14155550135" {
				continue
			}
			refused++
			if m["status"] != "failed" || m["carrier_message_id"] != nil {
				t.Fatalf("refused send %v", m)
			}
			if d, r, net := smsLedger(t, h, m["id"].(string)); d != 1 || r != 1 || net != 0 {
				t.Fatalf("refused send: %d debits, %d refunds, net %d", d, r, net)
			}
		}
		if refused != 2 {
			t.Fatalf("%d refused sends listed, want 2", refused)
		}
		checkLedger(t, h, h.balance(h.testKey), 1)
	})
}
