package surge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// receiver is a webhook endpoint that verifies every delivery with surge.Verify.
type receiver struct {
	t      *testing.T
	secret string
	events chan surge.Event
	mu     sync.Mutex
	seen   map[string]bool
}

func newReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	rc := &receiver{t: t, secret: webhooksig.NewSecret(), events: make(chan surge.Event, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhooksig.Verify(rc.secret, r.Header, body, time.Now(), 0); err != nil {
			t.Errorf("webhook signature: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ev surge.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		// Deliveries may repeat (a retry after an answer the sender did
		// not read, as with Surge); a receiver handles each event once.
		rc.mu.Lock()
		dup := rc.seen[ev.ID]
		if rc.seen == nil {
			rc.seen = map[string]bool{}
		}
		rc.seen[ev.ID] = true
		rc.mu.Unlock()
		if !dup {
			rc.events <- ev
		}
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

// next waits for the next n deliveries.
func (rc *receiver) next(n int) []surge.Event {
	rc.t.Helper()
	var out []surge.Event
	for len(out) < n {
		select {
		case ev := <-rc.events:
			out = append(out, ev)
		case <-time.After(5 * time.Second):
			rc.t.Fatalf("timed out after %d of %d webhooks: %v", len(out), n, types(out))
		}
	}
	return out
}

func types(evs []surge.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func msgData(t *testing.T, ev surge.Event) surge.MessageEventData {
	t.Helper()
	var d surge.MessageEventData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatalf("%s data: %v", ev.Type, err)
	}
	return d
}

// messagingAccount is a ready account owning one local number, +14155551234.
func messagingAccount(t *testing.T, b *bundle) (surge.Account, surge.PhoneNumber) {
	t.Helper()
	acct := readyAccount(t, b)
	return acct, must(b.client.PurchaseNumber(t.Context(), acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
}

func TestSendMessageWebhooks(t *testing.T) {
	t.Parallel()
	rc, url := newReceiver(t)
	b := setup(t, surgesim.Config{WebhookURL: url, WebhookSecret: rc.secret, DeliveryDelay: 20 * time.Millisecond}, surge.Options{})
	ctx := t.Context()
	acct, pn := messagingAccount(t, b)

	msg := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{
		To: "+18015550123", Body: "Your order shipped.", Metadata: map[string]string{"order": "42"}}))
	if !regexp.MustCompile(`^msg_[0-9a-hjkmnp-tv-z]{26}$`).MatchString(msg.ID) || *msg.Body != "Your order shipped." ||
		msg.Metadata["order"] != "42" || msg.BlastID != nil || len(msg.Attachments) != 0 {
		t.Fatalf("sent %+v", msg)
	}
	cv := msg.Conversation
	if !strings.HasPrefix(cv.ID, "cnv_") || !strings.HasPrefix(cv.Contact.ID, "ctc_") || *cv.Contact.PhoneNumber != "+18015550123" ||
		cv.Contact.FirstName != nil || cv.PhoneNumber.ID != pn.ID || cv.PhoneNumber.Number != pn.Number || cv.PhoneNumber.Type != surge.NumberLocal {
		t.Fatalf("conversation %+v", cv)
	}

	evs := rc.next(3)
	if want := []string{"conversation.created", "message.sent", "message.delivered"}; !slices.Equal(types(evs), want) {
		t.Fatalf("webhooks %v, want %v", types(evs), want)
	}
	var created surge.Conversation
	_ = json.Unmarshal(evs[0].Data, &created)
	if created.ID != cv.ID || created.Contact.ID != cv.Contact.ID || created.PhoneNumber.ID != pn.ID || *created.PhoneNumber.Name != "(415) 555-1234" {
		t.Fatalf("conversation.created %+v", created)
	}
	sent, delivered := msgData(t, evs[1]), msgData(t, evs[2])
	if sent.ID != msg.ID || sent.SentAt == nil || sent.DeliveredAt != nil || sent.Conversation.ID != cv.ID || sent.Metadata["order"] != "42" {
		t.Fatalf("message.sent %+v", sent)
	}
	if delivered.ID != msg.ID || delivered.DeliveredAt == nil || delivered.SentAt != nil || delivered.DeliveredAt.Before(*sent.SentAt) {
		t.Fatalf("message.delivered %+v", delivered)
	}
	for _, ev := range evs {
		if ev.AccountID != acct.ID || !strings.HasPrefix(ev.ID, "evt_") {
			t.Fatalf("envelope %+v", ev)
		}
	}

	// The same recipient reuses the contact and conversation: no second conversation.created.
	again := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", From: pn.ID, Body: "Delivered today."}))
	if again.Conversation.ID != cv.ID || again.Conversation.Contact.ID != cv.Contact.ID {
		t.Fatalf("second conversation %+v", again.Conversation)
	}
	if got := types(rc.next(2)); !slices.Equal(got, []string{"message.sent", "message.delivered"}) {
		t.Fatalf("second send webhooks %v", got)
	}

	// Magic: a destination ending in 0000 fails as invalid_mobile_number…
	bad := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550000", From: pn.Number, Body: "hello?"}))
	evs = rc.next(3)
	if want := []string{"conversation.created", "message.sent", "message.failed"}; !slices.Equal(types(evs), want) {
		t.Fatalf("failure webhooks %v, want %v (%+v)", types(evs), want, evs)
	}
	failed := msgData(t, evs[2])
	if failed.ID != bad.ID || failed.FailedAt == nil || failed.FailureReason == nil || *failed.FailureReason != surge.FailureInvalidMobileNumber || failed.DeliveredAt != nil {
		t.Fatalf("message.failed %+v", failed)
	}
	// …and, flagged, the next send to it is cancelled before reaching the carrier.
	must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550000", Body: "hello again?"}))
	evs = rc.next(1)
	if evs[0].Type != surge.EventMessageFailed || *msgData(t, evs[0]).FailureReason != surge.FailureInvalidMobileNumber {
		t.Fatalf("flagged destination: %v", types(evs))
	}

	got := must(b.client.GetMessage(ctx, msg.ID))
	if got.ID != msg.ID || *got.Body != *msg.Body || got.Conversation.ID != cv.ID {
		t.Fatalf("get %+v", got)
	}
	_, err := b.client.GetMessage(ctx, "msg_missing")
	apiErr(t, err, 404, "not_found")
}

func TestSendMessageErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{})
	ctx := t.Context()
	bare := readyAccount(t, b)
	_, err := b.client.SendMessage(ctx, bare.ID, surge.MessageCreate{To: "+18015550123", Body: "hi"})
	apiErr(t, err, 422, "no_phone_number")

	acct, pn := messagingAccount(t, b)
	_, otherPN := messagingAccount(t, b)
	conv := &surge.ConversationCreate{Contact: surge.ContactCreate{PhoneNumber: "+18015550123"}}
	for _, tc := range []struct {
		name   string
		in     surge.MessageCreate
		detail map[string][]string
	}{
		{"no recipient", surge.MessageCreate{Body: "hi"}, map[string][]string{"to": {"can't be blank"}}},
		{"to and conversation", surge.MessageCreate{To: "+18015550123", Conversation: conv, Body: "hi"},
			map[string][]string{"to": {"can't be given together with conversation"}}},
		{"from and conversation", surge.MessageCreate{From: pn.ID, Conversation: conv, Body: "hi"},
			map[string][]string{"from": {"can't be given together with conversation; use conversation.phone_number"}}},
		{"no body", surge.MessageCreate{To: "+18015550123"}, map[string][]string{"body": {"can't be blank"}}},
		{"bad to", surge.MessageCreate{To: "801-555-0123", Body: "hi"}, map[string][]string{"to": {"is not a valid E.164 phone number"}}},
		{"bad from", surge.MessageCreate{To: "+18015550123", From: "front desk", Body: "hi"},
			map[string][]string{"from": {"is not a valid E.164 phone number or phone number ID"}}},
		{"bad contact", surge.MessageCreate{Conversation: &surge.ConversationCreate{Contact: surge.ContactCreate{PhoneNumber: "555"}}, Body: "hi"},
			map[string][]string{"conversation.contact.phone_number": {"is not a valid E.164 phone number"}}},
		{"bad attachment", surge.MessageCreate{To: "+18015550123", Attachments: []surge.Attachment{{URL: "not a url"}}},
			map[string][]string{"attachments": {`has an invalid url "not a url"`}}},
		{"send_at too far", surge.MessageCreate{To: "+18015550123", Body: "hi", SendAt: new(time.Now().Add(61 * 24 * time.Hour))},
			map[string][]string{"send_at": {"must be at most 60 days in the future"}}},
		{"bad setting", surge.MessageCreate{To: "+18015550123", Body: "hi", Settings: &surge.MessageSettings{LinkShortening: "maybe"}},
			map[string][]string{"settings.link_shortening": {"is not included in the list"}}},
	} {
		_, err := b.client.SendMessage(ctx, acct.ID, tc.in)
		var e *surge.Error
		if !errors.As(err, &e) || e.StatusCode != 422 || e.Type != "validation_error" || !mapsEqual(e.Detail, tc.detail) {
			t.Errorf("%s: %v, want validation_error %v", tc.name, err, tc.detail)
		}
	}
	// A sender that exists, but on another account, is not found; so is one that does not exist.
	for _, from := range []string{otherPN.ID, otherPN.Number, "pn_01j9a43avnfqzbjfch6pygv1td", "+19995550100"} {
		_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", From: from, Body: "hi"})
		apiErr(t, err, 422, "phone_number_not_found")
		_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{Conversation: &surge.ConversationCreate{
			Contact: surge.ContactCreate{PhoneNumber: "+18015550123"}, PhoneNumber: from}, Body: "hi"})
		apiErr(t, err, 422, "phone_number_not_found")
	}
	_, err = b.client.SendMessage(ctx, "acct_missing", surge.MessageCreate{To: "+18015550123", Body: "hi"})
	apiErr(t, err, 404, "account_not_found")
	_, err = b.client.ListMessages(ctx, "acct_missing")
	apiErr(t, err, 404, "account_not_found")
	if n := len(b.sim.Messages(acct.ID)); n != 0 {
		t.Fatalf("refused sends recorded %d messages", n)
	}
	// Nothing was created by the refusals either.
	if cs := must(b.client.ListContacts(ctx, acct.ID)); len(cs) != 0 {
		t.Fatalf("refused sends created contacts %+v", cs)
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestOptOutAndInbound(t *testing.T) {
	t.Parallel()
	rc, url := newReceiver(t)
	b := setup(t, surgesim.Config{WebhookURL: url, WebhookSecret: rc.secret, DeliveryDelay: time.Hour}, surge.Options{})
	ctx := t.Context()
	acct, pn := messagingAccount(t, b)
	const handset = "+13035550177"

	// The first text of a stranger opens the conversation.
	ev, err := b.sim.Inbound(pn.Number, handset, "Hi, are you open?", "https://example.com/menu.jpg")
	if err != nil {
		t.Fatal(err)
	}
	evs := rc.next(2)
	if !slices.Equal(types(evs), []string{"conversation.created", "message.received"}) || evs[1].ID != ev.ID {
		t.Fatalf("inbound webhooks %v", types(evs))
	}
	rcv := msgData(t, evs[1])
	if rcv.ReceivedAt == nil || *rcv.Body != "Hi, are you open?" || rcv.Conversation.PhoneNumber.Number != pn.Number ||
		*rcv.Conversation.Contact.PhoneNumber != handset || len(rcv.Attachments) != 1 || rcv.Attachments[0].Type != surge.AttachmentTypeImage {
		t.Fatalf("message.received %+v", rcv)
	}
	// A reply reuses that conversation.
	reply := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: handset, Body: "Yes, until 9."}))
	if reply.Conversation.ID != rcv.Conversation.ID {
		t.Fatalf("reply conversation %s, inbound %s", reply.Conversation.ID, rcv.Conversation.ID)
	}

	// STOP, in any case and padded, opts out: sends are refused with opted_out.
	if _, err := b.sim.Inbound(pn.ID, handset, "  Stop \n"); err != nil {
		t.Fatal(err)
	}
	evs = rc.next(2)
	var opt surge.ContactEventData
	_ = json.Unmarshal(evs[1].Data, &opt)
	if !slices.Equal(types(evs), []string{"message.received", "contact.opted_out"}) || opt.ID != rcv.Conversation.Contact.ID {
		t.Fatalf("STOP webhooks %v %+v", types(evs), opt)
	}
	if !b.sim.OptedOut(acct.ID, handset) {
		t.Fatal("OptedOut after STOP = false")
	}
	_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: handset, Body: "Come back!"})
	e := apiErr(t, err, 422, "opted_out")
	if e.Message == "" {
		t.Fatalf("opted_out without a message: %v", err)
	}
	_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{Conversation: &surge.ConversationCreate{
		Contact: surge.ContactCreate{PhoneNumber: handset}}, Body: "Come back!"})
	apiErr(t, err, 422, "opted_out")

	// Other opt-out keywords, and START/UNSTOP.
	for _, body := range []string{"stopall", "UNSUBSCRIBE", "cancel", "End", "quit"} {
		if _, err := b.sim.Inbound(pn.Number, "+13035550188", body); err != nil {
			t.Fatal(err)
		}
	}
	if !b.sim.OptedOut(acct.ID, "+13035550188") {
		t.Fatal("keywords did not opt out")
	}
	evs = rc.next(1 + 5*2) // conversation.created, then received + opted_out per keyword
	if n := strings.Count(strings.Join(types(evs), " "), "contact.opted_out"); n != 5 {
		t.Fatalf("keyword webhooks %v", types(evs))
	}
	if _, err := b.sim.Inbound(pn.Number, handset, "start"); err != nil {
		t.Fatal(err)
	}
	if got := types(rc.next(2)); !slices.Equal(got, []string{"message.received", "contact.opted_in"}) {
		t.Fatalf("START webhooks %v", got)
	}
	if b.sim.OptedOut(acct.ID, handset) {
		t.Fatal("still opted out after START")
	}
	must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: handset, Body: "Welcome back."}))
	if _, err := b.sim.Inbound(pn.Number, "+13035550188", "Unstop"); err != nil || b.sim.OptedOut(acct.ID, "+13035550188") {
		t.Fatalf("UNSTOP: %v", err)
	}
	// Not a keyword: a sentence that merely contains one.
	if _, err := b.sim.Inbound(pn.Number, handset, "please stop by"); err != nil || b.sim.OptedOut(acct.ID, handset) {
		t.Fatalf("sentence with stop: %v", err)
	}

	// Opt-outs are per account.
	other, otherPN := messagingAccount(t, b)
	if _, err := b.sim.Inbound(otherPN.Number, handset, "STOP"); err != nil {
		t.Fatal(err)
	}
	if !b.sim.OptedOut(other.ID, handset) || b.sim.OptedOut(acct.ID, handset) {
		t.Fatal("opt-out leaked across accounts")
	}

	if _, err := b.sim.Inbound("+19995550100", handset, "hi"); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("inbound to an unknown number: %v", err)
	}
	if _, err := b.sim.Inbound(pn.Number, "nope", "hi"); err == nil || !strings.Contains(err.Error(), "validation_error") {
		t.Fatalf("inbound from a bad number: %v", err)
	}
	// Received messages are listed with the sent ones, in order.
	msgs := must(b.client.ListMessages(ctx, acct.ID))
	if len(msgs) != 12 || msgs[0].ID != rcv.ID || msgs[1].ID != reply.ID {
		t.Fatalf("listed %d messages", len(msgs))
	}
}

func TestSandboxInboundRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{})
	acct, pn := messagingAccount(t, b)
	post := func(body, key string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, b.srv.URL+"/sandbox/inbound", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(out))
	}
	code, body := post(`{"to":"`+pn.Number+`","from":"+13035550177","body":"STOP"}`, testKey)
	var ev surge.Event
	if err := json.Unmarshal([]byte(body), &ev); err != nil || code != 201 || ev.Type != surge.EventMessageReceived || ev.AccountID != acct.ID {
		t.Fatalf("inbound: %d %s", code, body)
	}
	if d := msgData(t, ev); *d.Body != "STOP" || d.ReceivedAt == nil {
		t.Fatalf("inbound data %+v", d)
	}
	if !b.sim.OptedOut(acct.ID, "+13035550177") {
		t.Fatal("STOP over HTTP did not opt out")
	}
	for _, tc := range []struct {
		body, key string
		code      int
		want      string
	}{
		{`{"to":"` + pn.Number + `","from":"+13035550177","body":"hi"}`, "", 401, `"missing_api_key"`},
		{`{"to":"` + pn.Number + `","from":"+13035550177","body":"hi"}`, "sk_wrong", 401, `"invalid_api_key"`},
		{`{"to":"+19995550100","from":"+13035550177","body":"hi"}`, testKey, 404,
			`{"error":{"type":"not_found","message":"No account owns the phone number +19995550100."}}`},
		{`{"to":"` + pn.Number + `","from":"+13035550177"}`, testKey, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"body":["can't be blank"]}}}`},
		{`{"to":"` + pn.Number + `","from":"+13035550177","attachments":[{"url":"https://example.com/a.pdf"}]}`, testKey, 201, `"type":"file"`},
	} {
		if code, body := post(tc.body, tc.key); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d …%s", tc.body, code, body, tc.code, tc.want)
		}
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{})
	ctx := t.Context()
	acct := readyAccount(t, b)

	c := must(b.client.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+18015550123", FirstName: surge.String("Dominic"),
		Metadata: map[string]string{"crm_id": "7"}}))
	if !regexp.MustCompile(`^ctc_[0-9a-hjkmnp-tv-z]{26}$`).MatchString(c.ID) || *c.PhoneNumber != "+18015550123" || *c.FirstName != "Dominic" ||
		c.LastName != nil || c.Email != nil || c.Metadata["crm_id"] != "7" {
		t.Fatalf("created %+v", c)
	}
	// A partial PATCH (with the required phone number) leaves the rest alone.
	c = must(b.client.UpdateContact(ctx, c.ID, surge.ContactUpdate{PhoneNumber: "+18015550123", LastName: surge.String("Toretto"), Email: surge.String("dom@example.com")}))
	if *c.FirstName != "Dominic" || *c.LastName != "Toretto" || *c.Email != "dom@example.com" || c.Metadata["crm_id"] != "7" {
		t.Fatalf("patched %+v", c)
	}
	c = must(b.client.UpdateContact(ctx, c.ID, surge.ContactUpdate{PhoneNumber: "+18015550124"}))
	if got := must(b.client.GetContact(ctx, c.ID)); *got.PhoneNumber != "+18015550124" || *got.LastName != "Toretto" {
		t.Fatalf("get %+v", got)
	}
	// Sending to the contact's number finds the contact.
	pn := must(b.client.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	m := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550124", From: pn.Number, Body: "hi Dom"}))
	if m.Conversation.Contact.ID != c.ID || *m.Conversation.Contact.FirstName != "Dominic" {
		t.Fatalf("message contact %+v", m.Conversation.Contact)
	}
	// The conversation shape creates or updates the contact it names.
	m = must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{Conversation: &surge.ConversationCreate{
		Contact: surge.ContactCreate{PhoneNumber: "+18015550125", FirstName: surge.String("Letty")}, PhoneNumber: pn.ID}, Body: "hi Letty"}))
	if *m.Conversation.Contact.FirstName != "Letty" || m.Conversation.PhoneNumber.ID != pn.ID {
		t.Fatalf("conversation-shape contact %+v", m.Conversation)
	}

	list := must(b.client.ListContacts(ctx, acct.ID))
	if len(list) != 2 || list[0].ID != c.ID || *list[1].FirstName != "Letty" {
		t.Fatalf("list %+v", list)
	}
	if got := b.sim.Contacts(acct.ID); len(got) != 2 || got[1].ID != list[1].ID {
		t.Fatalf("sim.Contacts %+v", got)
	}

	_, err := b.client.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+18015550124"})
	e := apiErr(t, err, 422, "validation_error")
	if !slices.Equal(e.Detail["phone_number"], []string{"has already been taken"}) {
		t.Fatalf("duplicate: %v", e.Detail)
	}
	_, err = b.client.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "8015550199", Email: surge.String("nope")})
	e = apiErr(t, err, 422, "validation_error")
	if !slices.Equal(e.Detail["phone_number"], []string{"is not a valid E.164 phone number"}) || len(e.Detail["email"]) != 1 {
		t.Fatalf("invalid: %v", e.Detail)
	}
	_, err = b.client.CreateContact(ctx, acct.ID, surge.ContactCreate{})
	e = apiErr(t, err, 422, "validation_error")
	if !slices.Equal(e.Detail["phone_number"], []string{"can't be blank"}) {
		t.Fatalf("blank: %v", e.Detail)
	}
	_, err = b.client.UpdateContact(ctx, c.ID, surge.ContactUpdate{PhoneNumber: "+18015550125"})
	apiErr(t, err, 422, "validation_error")
	_, err = b.client.GetContact(ctx, "ctc_missing")
	apiErr(t, err, 404, "not_found")
	_, err = b.client.UpdateContact(ctx, "ctc_missing", surge.ContactUpdate{PhoneNumber: "+18015550199", FirstName: surge.String("x")})
	apiErr(t, err, 404, "not_found")
	_, err = b.client.CreateContact(ctx, "acct_missing", surge.ContactCreate{PhoneNumber: "+18015550199"})
	apiErr(t, err, 404, "account_not_found")
	_, err = b.client.ListContacts(ctx, "acct_missing")
	apiErr(t, err, 404, "account_not_found")
}

func TestConversationCreatedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{DeliveryDelay: time.Hour}, surge.Options{})
	ctx := t.Context()
	acct, pn := messagingAccount(t, b)
	second := must(b.client.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "801"}))
	send := func(in surge.MessageCreate) surge.Message {
		t.Helper()
		in.Body = "hi"
		return must(b.client.SendMessage(ctx, acct.ID, in))
	}
	a := send(surge.MessageCreate{To: "+18015550123"})
	send(surge.MessageCreate{To: "+18015550123", From: pn.Number})
	send(surge.MessageCreate{Conversation: &surge.ConversationCreate{Contact: surge.ContactCreate{PhoneNumber: "+18015550123"}, PhoneNumber: pn.ID}})
	if _, err := b.sim.Inbound(pn.Number, "+18015550123", "thanks"); err != nil {
		t.Fatal(err)
	}
	// Another of the account's numbers is another conversation with the same contact.
	c := send(surge.MessageCreate{To: "+18015550123", From: second.ID})
	if c.Conversation.ID == a.Conversation.ID || c.Conversation.Contact.ID != a.Conversation.Contact.ID || c.Conversation.PhoneNumber.ID != second.ID {
		t.Fatalf("second number conversation %+v", c.Conversation)
	}
	var created []string
	for _, ev := range b.sim.Events() {
		if ev.Type == surge.EventConversationCreated {
			var cv surge.Conversation
			_ = json.Unmarshal(ev.Data, &cv)
			created = append(created, cv.ID)
		}
	}
	if !slices.Equal(created, []string{a.Conversation.ID, c.Conversation.ID}) {
		t.Fatalf("conversation.created for %v", created)
	}
}

func TestListMessagesFollowsCursors(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{DeliveryDelay: time.Hour}, surge.Options{})
	ctx := t.Context()
	acct, _ := messagingAccount(t, b)
	other, _ := messagingAccount(t, b)
	must(b.client.SendMessage(ctx, other.ID, surge.MessageCreate{To: "+18015550123", Body: "elsewhere"}))
	var want []string
	for i := range 120 {
		m := must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: fmt.Sprint("n", i)}))
		want = append(want, m.ID)
	}
	got := must(b.client.ListMessages(ctx, acct.ID))
	ids := make([]string, len(got))
	for i, m := range got {
		ids[i] = m.ID
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("listed %d messages, want %d in send order", len(ids), len(want))
	}
	if n := b.sim.RequestCount("GET", "/accounts/{account_id}/messages"); n != 3 {
		t.Fatalf("pages fetched = %d, want 3", n)
	}
	if sim := b.sim.Messages(acct.ID); len(sim) != 120 || sim[119].ID != want[119] {
		t.Fatalf("sim.Messages: %d", len(sim))
	}
}

func TestSendMessageUnknownOutcome(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{DeliveryDelay: time.Hour}, surge.Options{})
	ctx := t.Context()
	acct, _ := messagingAccount(t, b)
	const route = "/accounts/{account_id}/messages"

	// A 5xx on POST is not retried: the send may have happened.
	b.sim.SetFaults(surgesim.Faults{ErrorRate: 1})
	_, err := b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "hi"})
	if !errors.Is(err, surge.ErrUnknownOutcome) || b.sim.RequestCount("POST", route) != 1 {
		t.Fatalf("5xx: %v after %d attempts", err, b.sim.RequestCount("POST", route))
	}
	// A lost response after the send: reconcile by the metadata marker.
	b.sim.SetFaults(surgesim.Faults{LoseResponseRate: 1})
	_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "hi", Metadata: map[string]string{"ref": "r1"}})
	if !errors.Is(err, surge.ErrUnknownOutcome) || b.sim.RequestCount("POST", route) != 2 {
		t.Fatalf("lost response: %v", err)
	}
	b.sim.SetFaults(surgesim.Faults{})
	msgs := must(b.client.ListMessages(ctx, acct.ID))
	if len(msgs) != 1 || msgs[0].Metadata["ref"] != "r1" {
		t.Fatalf("reconciled %+v", msgs)
	}
	// A 429 was not acted on, so even a POST is retried.
	b.sim.SetFaults(surgesim.Faults{RateLimitRate: 1})
	_, err = b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "hi"})
	apiErr(t, err, 429, "rate_limited")
	if n := b.sim.RequestCount("POST", route); n != 6 {
		t.Fatalf("429 attempts: %d total, want 2 + 4", n)
	}
	if n := len(b.sim.Messages(acct.ID)); n != 1 {
		t.Fatalf("%d messages after faults, want 1", n)
	}
}
