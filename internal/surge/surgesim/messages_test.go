package surgesim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

func TestDeliveryFollowsTheClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	sim, c := newSim(t, surgesim.Config{Now: clk.Now, DeliveryDelay: 2 * time.Second})
	ctx := t.Context()
	acct := readyAccount(t, c)
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))

	// A is sent at t0 and B at t0+1s: A.sent 2s, B.sent 3s, A.delivered 4s, B.delivered 5s.
	a := must(c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "a"}))
	clk.Advance(time.Second)
	b := must(c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550124", Body: "b"}))
	if got := eventTypes(sim.Events()); !slices.Equal(got, []string{"conversation.created", "conversation.created"}) {
		t.Fatalf("at send: %v", got)
	}
	clk.Advance(999 * time.Millisecond)
	sim.Tick()
	if n := len(sim.Events()); n != 2 {
		t.Fatalf("sent early: %v", eventTypes(sim.Events()))
	}
	clk.Advance(time.Millisecond)
	sim.Tick()
	evs := sim.Events()
	if len(evs) != 3 || evs[2].Type != surge.EventMessageSent {
		t.Fatalf("at 2s: %v", eventTypes(evs))
	}
	var sent surge.MessageEventData
	_ = json.Unmarshal(evs[2].Data, &sent)
	if sent.ID != a.ID || !sent.SentAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("sent %+v at %v", sent, sent.SentAt)
	}

	// A clock jump past everything emits the rest in time order, not message by message.
	clk.Advance(time.Minute)
	sim.Tick()
	evs = sim.Events()[3:]
	if want := []string{"message.sent", "message.delivered", "message.delivered"}; !slices.Equal(eventTypes(evs), want) {
		t.Fatalf("after jump %v, want %v", eventTypes(evs), want)
	}
	var s2, d1, d2 surge.MessageEventData
	_ = json.Unmarshal(evs[0].Data, &s2)
	_ = json.Unmarshal(evs[1].Data, &d1)
	_ = json.Unmarshal(evs[2].Data, &d2)
	if s2.ID != b.ID || !s2.SentAt.Equal(t0.Add(3*time.Second)) || d1.ID != a.ID || !d1.DeliveredAt.Equal(t0.Add(4*time.Second)) ||
		d2.ID != b.ID || !d2.DeliveredAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("order/timestamps: %s@%v %s@%v %s@%v", s2.ID, s2.SentAt, d1.ID, d1.DeliveredAt, d2.ID, d2.DeliveredAt)
	}

	// send_at schedules the send: message.sent comes DeliveryDelay after it.
	at := clk.Now().Add(time.Hour)
	must(c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "later", SendAt: &at}))
	n := len(sim.Events())
	clk.Advance(time.Hour + time.Second)
	sim.Tick()
	if len(sim.Events()) != n {
		t.Fatalf("scheduled message sent before send_at+delay: %v", eventTypes(sim.Events()[n:]))
	}
	clk.Advance(3 * time.Second)
	sim.Tick()
	if got := eventTypes(sim.Events()[n:]); !slices.Equal(got, []string{"message.sent", "message.delivered"}) {
		t.Fatalf("scheduled: %v", got)
	}
}

func TestMagicFailureAndFlag(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	sim, c := newSim(t, surgesim.Config{Now: clk.Now, DeliveryDelay: time.Second})
	ctx := t.Context()
	acct := readyAccount(t, c)
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	other := readyAccount(t, c)
	must(c.PurchaseNumber(ctx, other.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	bad := "+1801555" + surgesim.MagicFailureSuffix

	send := func(accountID, to string) []surge.Event {
		t.Helper()
		n := len(sim.Events())
		must(c.SendMessage(ctx, accountID, surge.MessageCreate{To: to, Body: "x"}))
		clk.Advance(time.Minute)
		sim.Tick()
		return sim.Events()[n:]
	}
	evs := send(acct.ID, bad)
	if got := eventTypes(evs); !slices.Equal(got, []string{"conversation.created", "message.sent", "message.failed"}) {
		t.Fatalf("magic: %v", got)
	}
	var failed surge.MessageEventData
	_ = json.Unmarshal(evs[2].Data, &failed)
	if *failed.FailureReason != "invalid_mobile_number" || failed.FailedAt == nil || failed.SentAt != nil {
		t.Fatalf("failed %+v", failed)
	}
	// Flagged globally: from another account too, the send never reaches the carrier.
	if got := eventTypes(send(other.ID, bad)); !slices.Equal(got, []string{"conversation.created", "message.failed"}) {
		t.Fatalf("flagged: %v", got)
	}
	if got := eventTypes(send(acct.ID, "+18015550001")); !slices.Equal(got, []string{"conversation.created", "message.sent", "message.delivered"}) {
		t.Fatalf("ordinary number: %v", got)
	}
}

func TestMessageWireFormat(t *testing.T) {
	t.Parallel()
	sim := surgesim.New(surgesim.Config{APIKey: key, DeliveryDelay: time.Hour})
	defer sim.Close()
	_, body := call(t, sim, "POST", "/accounts", `{"name":"Raw"}`)
	var acct surge.Account
	_ = json.Unmarshal([]byte(body), &acct)
	id := acct.ID

	code, body := call(t, sim, "POST", "/accounts/"+id+"/messages", `{"to":"+18015550123","body":"hi"}`)
	if code != 422 || body != `{"error":{"type":"no_phone_number","message":"The account has no phone number to send from. Purchase one or pass from."}}` {
		t.Fatalf("no number: %d %s", code, body)
	}
	_, body = call(t, sim, "POST", "/accounts/"+id+"/phone_numbers", `{"type":"local"}`)
	var pn surge.PhoneNumber
	_ = json.Unmarshal([]byte(body), &pn)

	// An MMS without body: body is an explicit null, attachments are Surge's copies.
	code, body = call(t, sim, "POST", "/accounts/"+id+"/messages",
		`{"to":"+18015550123","attachments":[{"url":"https://cdn.example.com/p/photo.JPG?v=2"},{"url":"https://cdn.example.com/doc.pdf"}],"extra":1}`)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || code != 201 {
		t.Fatalf("mms: %d %s", code, body)
	}
	for _, k := range []string{"body", "blast_id"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Fatalf("%s not an explicit null: %s", k, body)
		}
	}
	if md, ok := m["metadata"].(map[string]any); !ok || len(md) != 0 {
		t.Fatalf("metadata not {}: %s", body)
	}
	atts := m["attachments"].([]any)
	a0, a1 := atts[0].(map[string]any), atts[1].(map[string]any)
	if a0["type"] != "image" || a1["type"] != "file" || !strings.HasPrefix(a0["id"].(string), "att_") ||
		a0["url"] != "https://api.surge.app/attachments/"+a0["id"].(string) {
		t.Fatalf("attachments %v", atts)
	}
	conv := m["conversation"].(map[string]any)
	contact := conv["contact"].(map[string]any)
	// first_name, last_name and email are optional, not nullable (the SDK): absent when unset.
	for _, k := range []string{"first_name", "last_name", "email"} {
		if v, ok := contact[k]; ok {
			t.Fatalf("contact %s = %v, want it absent: %v", k, v, contact)
		}
	}
	if contact["phone_number"] != "+18015550123" {
		t.Fatalf("contact %v", contact)
	}
	// Inside a message the number is {id, name, number, type} only.
	if num := conv["phone_number"].(map[string]any); len(num) != 4 || num["id"] != pn.ID || num["name"] != "(415) 555-1234" {
		t.Fatalf("conversation phone_number %v", num)
	}
	// conversation.created carries the complete PhoneNumber.
	var created map[string]any
	_ = json.Unmarshal(sim.Events()[0].Data, &created)
	if num := created["phone_number"].(map[string]any); len(num) != 6 || num["campaign"] != nil || created["id"] != conv["id"] {
		t.Fatalf("conversation.created %v", created)
	}

	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"bad to", "POST", "/accounts/" + id + "/messages", `{"to":"8015550123","body":"hi"}`, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"to":["is not a valid E.164 phone number"]}}}`},
		{"everything wrong", "POST", "/accounts/" + id + "/messages", `{"to":"+18015550123","from":"+14155551234","conversation":{"contact":{}}}`, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"body":["can't be blank"],"conversation.contact.phone_number":["can't be blank"],"from":["can't be given together with conversation; use conversation.phone_number"],"to":["can't be given together with conversation"]}}}`},
		{"conversation needs contact", "POST", "/accounts/" + id + "/messages", `{"conversation":{},"from":"+14155551234","body":"x"}`, 422,
			`"detail":{"conversation.contact.phone_number":["can't be blank"],"from":["can't be given together with conversation; use conversation.phone_number"]}}}`},
		{"bad send_at", "POST", "/accounts/" + id + "/messages", `{"to":"+18015550123","body":"x","send_at":"tomorrow"}`, 422,
			`"detail":{"send_at":["is not a valid ISO 8601 timestamp"]}}}`},
		{"metadata not strings", "POST", "/accounts/" + id + "/messages", `{"to":"+18015550123","body":"x","metadata":{"n":1}}`, 422,
			`"type":"validation_error"`},
		{"from elsewhere", "POST", "/accounts/" + id + "/messages", `{"to":"+18015550123","from":"+14155559999","body":"x"}`, 422,
			`{"error":{"type":"phone_number_not_found","message":"The phone number +14155559999 could not be found on this account."}}`},
		{"null to", "POST", "/accounts/" + id + "/messages", `{"to":null,"body":"x"}`, 422, `"detail":{"to":["can't be blank"]}}}`},
		{"unknown message", "GET", "/messages/msg_x", "", 404,
			`{"error":{"type":"not_found","message":"The requested resource could not be found."}}`},
		{"unknown contact", "PATCH", "/contacts/ctc_x", `{}`, 404, `"type":"not_found"`},
		{"unknown account", "GET", "/accounts/acct_x/contacts", "", 404, `"type":"account_not_found"`},
		{"bad cursor", "GET", "/accounts/" + id + "/messages?after=nope", "", 422, `"type":"invalid_pagination"`},
		{"contact 201", "POST", "/accounts/" + id + "/contacts", `{"phone_number":"+18015550999"}`, 201,
			`"phone_number":"+18015550999","metadata":{}}`},
		{"inbound 201", "POST", "/sandbox/inbound", `{"to":"` + pn.ID + `","from":"+18015550123","body":"yo"}`, 201, `"type":"message.received"`},
	} {
		code, body := call(t, sim, tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s\nwant %d …%s", tc.name, code, body, tc.code, tc.want)
		}
	}
	if n := sim.RequestCount("POST", "/sandbox/inbound"); n != 1 {
		t.Errorf("RequestCount(POST /sandbox/inbound) = %d", n)
	}
}

func TestInboundEvent(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	sim, c := newSim(t, surgesim.Config{Now: clk.Now})
	ctx := t.Context()
	acct := readyAccount(t, c)
	pn := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))

	ev, err := sim.Inbound(pn.Number, "+18015550123", "STOP")
	if err != nil {
		t.Fatal(err)
	}
	var d surge.MessageEventData
	_ = json.Unmarshal(ev.Data, &d)
	if ev.Type != surge.EventMessageReceived || ev.AccountID != acct.ID || !d.ReceivedAt.Equal(t0) || *d.Body != "STOP" ||
		d.Conversation.PhoneNumber.ID != pn.ID || *d.Conversation.Contact.PhoneNumber != "+18015550123" || d.SentAt != nil {
		t.Fatalf("event %+v data %+v", ev, d)
	}
	evs := sim.Events()
	if got := eventTypes(evs); !slices.Equal(got, []string{"conversation.created", "message.received", "contact.opted_out"}) || evs[1].ID != ev.ID {
		t.Fatalf("events %v", got)
	}
	if !sim.OptedOut(acct.ID, "+18015550123") || sim.OptedOut(acct.ID, "+18015550124") || sim.OptedOut("acct_x", "+18015550123") {
		t.Fatal("OptedOut")
	}
	msgs := sim.Messages(acct.ID)
	if len(msgs) != 1 || msgs[0].ID != d.ID || *msgs[0].Body != "STOP" || msgs[0].Conversation.Contact.ID != d.Conversation.Contact.ID {
		t.Fatalf("Messages %+v", msgs)
	}
	if len(sim.Messages("acct_x")) != 0 || len(sim.Contacts("acct_x")) != 0 {
		t.Fatal("inspection of an unknown account")
	}
	// An inbound text never waits for the delivery clock.
	if _, err := sim.Inbound(pn.Number, "+18015550123", "", "https://example.com/v.mp4"); err != nil {
		t.Fatal(err)
	}
	var v surge.MessageEventData
	_ = json.Unmarshal(sim.Events()[3].Data, &v)
	if v.Body != nil || len(v.Attachments) != 1 || v.Attachments[0].Type != surge.AttachmentTypeVideo {
		t.Fatalf("MMS inbound %+v", v)
	}
	if _, err := sim.Inbound(pn.Number, "+18015550123", " "); err == nil {
		t.Fatal("blank inbound accepted")
	}
	must(c.ReleaseNumber(ctx, pn.ID))
	if _, err := sim.Inbound(pn.Number, "+18015550123", "hi"); err == nil {
		t.Fatal("inbound to a released number accepted")
	}
}
