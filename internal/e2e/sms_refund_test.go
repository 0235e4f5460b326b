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
	"github.com/naive-oss/naive/internal/telnyx"
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

// smsWire drives the carrier of TestSMSRefund in its own wire format: its
// message status events, signed as it signs them, and its simulator's
// answers to sends.
type smsWire interface {
	// idOK tells whether cid is shaped like the carrier's message ids.
	idOK(cid string) bool
	// event is the body of a status event evID of the carrier's message
	// cid: kind "sent", or "failed" with one of naive's failure reasons
	// (Telnyx reports it as the delivery error code that maps to it).
	event(evID, kind, cid, reason string) string
	// post posts a signed event; whID is the webhook's delivery id, where
	// the carrier's signature has one (Surge's webhook-id).
	post(whID, body string) resp
	// answerSends makes the simulator answer every send itself: "fake"
	// takes it under an id it never delivers, "invalid" refuses it for
	// its "to", "opted_out" refuses it for an opt-out; "" stops.
	answerSends(how string)
}

type surgeSMSWire struct {
	h             *harness
	brand, secret string
}

func (w surgeSMSWire) idOK(cid string) bool { return strings.HasPrefix(cid, "msg_") }

func (w surgeSMSWire) event(evID, kind, cid, reason string) string {
	return messageEvent(evID, "message."+kind, w.brand, cid, reason)
}

func (w surgeSMSWire) post(whID, body string) resp {
	return w.h.signed(w.secret, whID, time.Now(), body)
}

func (w surgeSMSWire) answerSends(how string) {
	var fake atomic.Int64
	answer := map[string]func() (int, []byte){
		"fake": func() (int, []byte) {
			return 201, fmt.Appendf(nil, `{"id":"msg_fake_%d_%s","body":"x","attachments":[],"metadata":{}}`, fake.Add(1), uuid.NewString())
		},
		"invalid": func() (int, []byte) {
			return 422, []byte(`{"error":{"type":"validation_error","message":"Could not perform the request with the provided parameters.","detail":{"to":["is not a valid mobile number"]}}}`)
		},
		"opted_out": func() (int, []byte) {
			return 422, []byte(`{"error":{"type":"opted_out","message":"This contact has opted out of messages."}}`)
		},
	}[how]
	if answer == nil {
		w.h.app.Sandbox().SetBeforeFunc(nil)
		return
	}
	w.h.app.Sandbox().SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if surgeOp(r, opSend) {
			status, body := answer()
			return status, body, true
		}
		return 0, nil, false
	})
}

type telnyxSMSWire struct{ h *harness }

func (w telnyxSMSWire) idOK(cid string) bool { return uuid.Validate(cid) == nil }

// telnyxFailureCodes are the delivery error codes Telnyx reports for
// naive's failure reasons (internal/telnyx's failureReasons); one it does
// not list reads as telnyx_<code>.
var telnyxFailureCodes = map[string]string{
	"invalid_mobile_number": telnyx.CodeInvalidDestination, "opted_out": telnyx.CodeBlockedStop,
	"carrier_rejected": "40004", "unreachable_destination": "40006", "something_new": "49999",
}

func (w telnyxSMSWire) event(evID, kind, cid, reason string) string {
	now := time.Now().UTC()
	m := telnyx.Message{ID: cid, RecordType: "message", Direction: "outbound", Type: "SMS", Text: "x",
		From:   telnyx.Endpoint{PhoneNumber: "+14155550199"},
		To:     []telnyx.Endpoint{{PhoneNumber: "+14155550100", Status: telnyx.DeliverySent}},
		Errors: []telnyx.APIError{}, SentAt: &now}
	typ := telnyx.EventMessageSent
	if kind == "failed" {
		code, ok := telnyxFailureCodes[reason]
		if !ok {
			panic("no Telnyx code for " + reason)
		}
		typ, m.SentAt, m.CompletedAt = telnyx.EventMessageFinalized, nil, &now
		m.To[0].Status, m.Errors = telnyx.DeliveryFailed, []telnyx.APIError{{Code: code, Title: "Delivery failed"}}
	}
	return telnyxEnvelope(evID, typ, m)
}

func (w telnyxSMSWire) post(_, body string) resp { return w.h.telnyxSigned(time.Now(), body) }

func (w telnyxSMSWire) answerSends(how string) {
	answer := map[string]func() (int, []byte){
		"fake": func() (int, []byte) {
			return 200, fmt.Appendf(nil, `{"data":{"id":%q,"record_type":"message","direction":"outbound","type":"SMS","to":[{"phone_number":"+14155550100","status":"queued"}],"errors":[]}}`, uuid.NewString())
		},
		"invalid": func() (int, []byte) {
			return 400, []byte(`{"errors":[{"code":"40310","title":"Invalid 'to' address","detail":"The 'to' address is not a valid mobile number.","source":{"pointer":"/to"}}]}`)
		},
		"opted_out": func() (int, []byte) {
			return 400, []byte(`{"errors":[{"code":"40300","title":"Blocked due to STOP message","detail":"The recipient replied STOP to this messaging profile.","source":{"pointer":"/to"}}]}`)
		},
	}[how]
	if answer == nil {
		w.h.app.TelnyxSandbox().SetBeforeFunc(nil)
		return
	}
	w.h.app.TelnyxSandbox().SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if telnyxOp(r, opSend) {
			status, body := answer()
			return status, body, true
		}
		return 0, nil, false
	})
}

// TestSMSRefund: a text the carrier fails before sending it is refunded
// once, whatever duplicate or concurrent reports follow; a text sent and
// then delivered (or undelivered) keeps its charge. Answers carry the
// carrier's message id as carrier_message_id and surge_message_id. The
// failing texts are the simulator's own (a destination ending 0000) and
// reports crafted in the carrier's wire format.
func TestSMSRefund(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastReview, func(o *app.Options) { o.PollInterval = time.Hour })
		id, _ := h.activeNumber()
		var w smsWire
		switch c := simOf(t, h).Carrier(); c {
		case "surge":
			w = surgeSMSWire{h: h, brand: brandOf(t, h), secret: h.app.Sandbox().WebhookSecret()}
		case "telnyx":
			w = telnyxSMSWire{h}
		default:
			t.Fatalf("no wire for %s", c)
		}
		t.Cleanup(func() { w.answerSends("") })
		bal := h.balance(h.testKey)

		send := func(to string) map[string]any {
			t.Helper()
			res := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, map[string]string{"to": to, "body": "Your order shipped"})).json(t)
			cid, _ := res["carrier_message_id"].(string)
			if !w.idOK(cid) || res["surge_message_id"] != cid {
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
		// invalid_mobile_number (a pre-send reason; Telnyx's 40012):
		// refunded once, the refund pointing at the message.
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
		dup := w.event("evt_dup_"+uuid.NewString(), "failed", badCID, "invalid_mobile_number")
		h.must(200, w.post("evt_dup", dup))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := dup
				switch i % 4 {
				case 1:
					body = w.event(fmt.Sprintf("evt_again_%d_%s", i, uuid.NewString()), "failed", badCID, "carrier_rejected")
				case 2:
					body = w.event(fmt.Sprintf("evt_sent_%d_%s", i, uuid.NewString()), "sent", badCID, "")
				case 3:
					body = w.event(fmt.Sprintf("evt_ok_%d_%s", i, uuid.NewString()), "failed", okCID, "invalid_mobile_number")
				}
				if r := w.post(fmt.Sprintf("wh_%d", i), body); r.Status != 200 {
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

		// Sent again to the flagged destination, the text fails again and
		// is refunded. Surge fails it before it reaches the carrier
		// (message.failed, no message.sent); Telnyx sends it, then
		// finalizes it failed (40012).
		again := send("+14155550000")["id"].(string)
		m = waitStatus(again, "failed")
		if sentFirst := simOf(t, h).Carrier() == "telnyx"; (m["sent_at"] != nil) != sentFirst || m["failure_reason"] != "invalid_mobile_number" {
			t.Fatalf("flagged destination again: %v", m)
		}
		if d, r, net := smsLedger(t, h, again); d != 1 || r != 1 || net != 0 {
			t.Fatalf("text to the flagged destination again: %d debits, %d refunds, net %d", d, r, net)
		}

		// Texts whose reports we write ourselves: the sandbox takes them
		// under an id it never delivers.
		w.answerSends("fake")
		report := func(cid, kind, reason string) {
			t.Helper()
			ev := "evt_" + uuid.NewString()
			h.must(200, w.post(ev, w.event(ev, kind, cid, reason)))
		}
		// Sent, then undelivered: the charge stays.
		u := send("+14155550130")
		report(u["carrier_message_id"].(string), "sent", "")
		report(u["carrier_message_id"].(string), "failed", "unreachable_destination")
		waitStatus(u["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, u["id"].(string)); r != 0 || net != -1 {
			t.Fatalf("undelivered text: %d refunds, net %d; want 0, -1", r, net)
		}
		// An unlisted reason with no sent: refunded; with sent: kept.
		n := send("+14155550131")
		report(n["carrier_message_id"].(string), "failed", "something_new")
		waitStatus(n["id"].(string), "failed")
		if _, r, net := smsLedger(t, h, n["id"].(string)); r != 1 || net != 0 {
			t.Fatalf("failed before sent: %d refunds, net %d; want 1, 0", r, net)
		}
		s := send("+14155550132")
		report(s["carrier_message_id"].(string), "sent", "")
		report(s["carrier_message_id"].(string), "failed", "something_new")
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
				kind, reason := "failed", []string{"invalid_mobile_number", "opted_out", "carrier_rejected"}[i%3]
				if i == 5 {
					kind, reason = "sent", ""
				}
				ev := "evt_" + uuid.NewString()
				if r := w.post(ev, w.event(ev, kind, ccid, reason)); r.Status != 200 {
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
		w.answerSends("invalid")
		r := h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550134","body":"refused"}`)
		if r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "to" {
			t.Fatalf("carrier refusal: %d %s", r.Status, r.Body)
		}
		w.answerSends("opted_out")
		r = h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550135","body":"refused"}`)
		if r.Status != 409 || r.errField(t, "reason") != "opted_out" {
			t.Fatalf("carrier opt-out: %d %s", r.Status, r.Body)
		}
		w.answerSends("")
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
