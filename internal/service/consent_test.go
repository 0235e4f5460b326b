package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// activeNumber provisions the subject's first number and activates its
// campaign in the store, as the carrier's approval would; it returns the
// phone and a caller context that reads numbers afresh.
func (f *fixture) activeNumber(t *testing.T) (*naive.Phone, context.Context) {
	t.Helper()
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	if _, err := f.st.AdvanceCampaign(context.Background(), ph.CampaignID, naive.CampaignActive, "", f.clock.now(), nil, nil); err != nil {
		t.Fatal(err)
	}
	p, _ := naive.PrincipalFrom(f.ctx)
	p.NumbersRead, p.DefaultSubject = false, nil
	return &ph, naive.WithPrincipal(context.Background(), p)
}

// kit gives the phone's subject a kit with phone config cfg.
func (f *fixture) kit(t *testing.T, subjectID string, cfg naive.PrimitiveConfig) {
	t.Helper()
	name := "policy"
	k, err := f.svc.CreateKit(f.human, naive.KitRequest{Name: &name, PrimitivesConfig: map[string]naive.PrimitiveConfig{"phone": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AssignKit(f.human, k.ID, subjectID); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sentCount() int {
	f.cr.mu.Lock()
	defer f.cr.mu.Unlock()
	return len(f.cr.sent)
}

// wantRefused checks err is a 409 conflict with reason, and returns it.
func wantRefused(t *testing.T, err error, reason string) *naive.Error {
	t.Helper()
	e := naive.AsError(err)
	if err == nil || e.Code != naive.EConflict || e.Fields["reason"] != reason {
		t.Fatalf("err %v (fields %v), want conflict with reason %s", err, e.Fields, reason)
	}
	return e
}

func TestKitConsentAndQuietHoursValidated(t *testing.T) {
	f := setup(t)
	name := "bad"
	for cfg, param := range map[*naive.PrimitiveConfig]string{
		{Consent: "maybe"}: "primitives_config.phone.consent",
		{QuietHours: &naive.QuietHours{Start: "8:00", End: "21:00"}}:  "primitives_config.phone.quiet_hours.start",
		{QuietHours: &naive.QuietHours{Start: "08:00", End: "24:00"}}: "primitives_config.phone.quiet_hours.end",
		{QuietHours: &naive.QuietHours{Start: "08:00", End: "08:00"}}: "primitives_config.phone.quiet_hours",
	} {
		_, err := f.svc.CreateKit(f.human, naive.KitRequest{Name: &name, PrimitivesConfig: map[string]naive.PrimitiveConfig{"phone": *cfg}})
		if e := naive.AsError(err); e.Code != naive.EInvalidInput || e.Param != param {
			t.Errorf("%+v: %v (param %q), want invalid_input on %s", *cfg, err, e.Param, param)
		}
	}
	k, err := f.svc.CreateKit(f.human, naive.KitRequest{Name: &name, PrimitivesConfig: map[string]naive.PrimitiveConfig{"phone": {
		Consent: naive.KitConsentRequired, QuietHours: &naive.QuietHours{Start: "22:00", End: "06:00"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.GetKit(f.human, k.ID)
	if err != nil || got.PrimitivesConfig["phone"].Consent != "required" || got.PrimitivesConfig["phone"].QuietHours.Start != "22:00" {
		t.Fatalf("kit %+v, %v", got, err)
	}
}

// TestConsentRequired: a kit that requires consent refuses a text to a
// contact without a record, before anything is reserved; a recorded
// opt-in, or the contact's own text, lets it through, and the text
// records the basis it went on.
func TestConsentRequired(t *testing.T) {
	f := setup(t)
	ph, ctx := f.activeNumber(t)
	// Without a kit: sent on basis none.
	res, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550123", Body: "hi"})
	if err != nil || res.ConsentBasis != naive.ConsentNone {
		t.Fatalf("send without kit: %+v, %v", res, err)
	}
	f.kit(t, ph.SubjectID, naive.PrimitiveConfig{Consent: naive.KitConsentRequired})
	before, sent := f.balance(), f.sentCount()
	_, err = f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550124", Body: "hi"})
	if e := wantRefused(t, err, "consent_required"); e.Hint == "" {
		t.Fatal("no hint")
	}
	msgs, err := f.svc.ListMessages(ctx, "", ph.ID, naive.ListParams{})
	if err != nil || len(msgs.Data) != 1 || f.balance() != before || f.sentCount() != sent {
		t.Fatalf("refused text left %d messages, balance %d (was %d), %d sent", len(msgs.Data), f.balance(), before, f.sentCount())
	}

	// Consent requests are checked.
	for req, param := range map[naive.ConsentRequest]string{
		{Basis: "implied"}: "basis",
		{Basis: naive.ConsentExpressWritten, EvidenceURL: "http://example.com/form"}: "evidence_url",
		{Basis: naive.ConsentExpressWritten, EvidenceURL: "https://"}:                "evidence_url",
		{Basis: naive.ConsentExpressWritten, Note: "bad\x00note"}:                    "note",
		{Basis: naive.ConsentExpressWritten, Note: "\xff"}:                           "note",
	} {
		if _, err := f.svc.RecordConsent(ctx, "", ph.ID, "+14155550124", req); naive.AsError(err).Param != param {
			t.Errorf("%+v: %v, want invalid %s", req, err, param)
		}
	}
	if _, err := f.svc.RecordConsent(ctx, "", ph.ID, "4155550124", naive.ConsentRequest{Basis: naive.ConsentExpressOral}); naive.AsError(err).Param != "contact" {
		t.Errorf("bad contact: %v", err)
	}
	c, err := f.svc.RecordConsent(ctx, "", ph.ID, "+14155550124", naive.ConsentRequest{Basis: naive.ConsentExpressWritten,
		EvidenceURL: "https://example.com/optins/42", Note: "web form"})
	if err != nil || c.Consent.Basis != naive.ConsentExpressWritten || c.OptedOut || c.Consent.RecordedBy.Type == "" {
		t.Fatalf("consent %+v, %v", c, err)
	}
	res, err = f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550124", Body: "hi"})
	if err != nil || res.ConsentBasis != naive.ConsentExpressWritten || f.balance() != before-1 {
		t.Fatalf("send with consent: %+v, %v (balance %d)", res, err, f.balance())
	}
	m, err := f.svc.GetMessage(ctx, "", res.ID)
	if err != nil || m.ConsentBasis != naive.ConsentExpressWritten {
		t.Fatalf("message %+v, %v", m, err)
	}

	// A contact's text opens a conversation; an explicit record stays.
	f.inboundText(f.svc, ph.E164, "hello there")
	res, err = f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550100", Body: "hi back"})
	if err != nil || res.ConsentBasis != naive.ConsentConversation {
		t.Fatalf("reply: %+v, %v", res, err)
	}
	if _, err := f.svc.RecordConsent(ctx, "", ph.ID, "+14155550100", naive.ConsentRequest{Basis: naive.ConsentExistingCustomer}); err != nil {
		t.Fatal(err)
	}
	f.inboundText(f.svc, ph.E164, "another one")
	// STOP: the opt-out wins; the consent record stays as it was.
	f.inboundText(f.svc, ph.E164, "STOP")
	_, err = f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550100", Body: "still there?"})
	wantRefused(t, err, "opted_out")
	l, err := f.svc.ListContacts(ctx, "", ph.ID, naive.ListParams{Limit: 1})
	if err != nil || len(l.Data) != 1 || l.NextCursor == nil {
		t.Fatalf("page 1 %+v, %v", l, err)
	}
	first := l.Data[0]
	if first.Contact != "+14155550100" || !first.OptedOut || first.Consent == nil || first.Consent.Basis != naive.ConsentExistingCustomer || first.OptOutUpdated == nil {
		t.Fatalf("contact %+v (consent %+v)", first, first.Consent)
	}
	l, err = f.svc.ListContacts(ctx, "", ph.ID, naive.ListParams{Limit: 1, Cursor: *l.NextCursor})
	if err != nil || len(l.Data) != 1 || l.Data[0].Contact != "+14155550124" || l.Data[0].OptedOut || l.NextCursor != nil {
		t.Fatalf("page 2 %+v, %v", l, err)
	}
	if _, err := f.svc.ListContacts(ctx, "", ph.ID, naive.ListParams{Cursor: "bogus"}); naive.AsError(err).Param != "cursor" {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestQuietHours: outside the recipient's window a text is refused with
// retry_at, or scheduled; the scheduled text is sent and charged at its
// send_at (once, whatever runs its job), and one canceled never goes.
func TestQuietHours(t *testing.T) {
	f := setup(t) // 12:00 UTC: 07:00 in New York
	ph, ctx := f.activeNumber(t)
	f.kit(t, ph.SubjectID, naive.PrimitiveConfig{QuietHours: &naive.QuietHours{Start: "08:00", End: "21:00"}})
	const ny = "+12126647665"
	before, sent := f.balance(), f.sentCount()
	_, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: ny, Body: "good morning"})
	if e := wantRefused(t, err, "quiet_hours"); e.Fields["retry_at"] != "2026-12-01T13:00:00Z" {
		t.Fatalf("retry_at %v, want 08:00 New York", e.Fields["retry_at"])
	}
	// Split and unknown area codes take every zone they may be in.
	for to, want := range map[string]string{
		"+18505550123": "2026-12-01T14:00:00Z", // Florida panhandle: 08:00 Central
		"+18885550123": "2026-12-01T16:00:00Z", // toll-free, unknown: 08:00 Pacific
		"+18085550123": "2026-12-01T18:00:00Z", // Hawaii
	} {
		_, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: to, Body: "hi"})
		if e := wantRefused(t, err, "quiet_hours"); e.Fields["retry_at"] != want {
			t.Errorf("%s: retry_at %v, want %s", to, e.Fields["retry_at"], want)
		}
	}
	if f.balance() != before || f.sentCount() != sent {
		t.Fatal("a refused text was charged or sent")
	}

	res, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: ny, Body: "good morning", Schedule: true})
	if err != nil || res.Status != naive.MessageScheduled || res.SendAt == nil || !res.SendAt.Equal(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)) ||
		res.CreditsUsed != 0 || res.ConsentBasis != naive.ConsentNone {
		t.Fatalf("scheduled %+v, %v", res, err)
	}
	if f.balance() != before {
		t.Fatal("charged at scheduling")
	}
	p, _ := naive.PrincipalFrom(ctx)
	principal := []byte(`{"Kind":"` + string(p.Kind) + `","OperatorID":"` + p.OperatorID + `","Mode":"` + string(p.Mode) + `","KeyID":"` + p.KeyID + `"}`)
	// The job ran early: it comes back at send_at.
	retry, err := f.svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal)
	if err != nil || retry.IsZero() || time.Until(retry) < 59*time.Minute {
		t.Fatalf("early run: retry %v, %v", retry, err)
	}
	if m, _ := f.svc.GetMessage(ctx, "", res.ID); m.Status != naive.MessageScheduled || f.sentCount() != sent {
		t.Fatalf("early run sent: %+v", m)
	}

	// At send_at two processes run the job at once: one text, one charge.
	// Both are alive (they heartbeat at the new time).
	f.clock.add(time.Hour)
	if err := f.svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := f.process("process-2")
	var wg sync.WaitGroup
	for _, svc := range []*service.Service{f.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil {
				t.Errorf("send: %v", err)
			}
		}()
	}
	wg.Wait()
	m, err := f.svc.GetMessage(ctx, "", res.ID)
	if err != nil || m.Status != naive.MessageQueued || m.CarrierID == "" || m.CreditsUsed != 1 || m.SendAt == nil || !m.SendAt.Equal(f.clock.now()) {
		t.Fatalf("sent %+v, %v", m, err)
	}
	if f.sentCount() != sent+1 || f.balance() != before-1 {
		t.Fatalf("%d texts sent, balance %d; want one, charged once", f.sentCount()-sent, f.balance())
	}
	if _, err := f.svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil || f.sentCount() != sent+1 {
		t.Fatalf("a late duplicate job: %v, %d sent", err, f.sentCount()-sent)
	}
	_, err = f.svc.CancelMessage(ctx, "", res.ID)
	if e := naive.AsError(err); e.Code != naive.EConflict || e.Fields["status"] != naive.MessageQueued {
		t.Fatalf("cancel after sending: %v", err)
	}

	// 21:00 in New York: the window has closed; schedule, then cancel.
	f.clock.add(13 * time.Hour)
	res, err = f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: ny, Body: "tomorrow", Schedule: true})
	if err != nil || res.Status != naive.MessageScheduled || !res.SendAt.Equal(time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("scheduled %+v, %v", res, err)
	}
	c, err := f.svc.CancelMessage(ctx, "", res.ID)
	if err != nil || c.Status != naive.MessageCanceled || c.CanceledAt == nil {
		t.Fatalf("cancel %+v, %v", c, err)
	}
	_, err = f.svc.CancelMessage(ctx, "", res.ID)
	if e := naive.AsError(err); e.Code != naive.EConflict || e.Fields["status"] != naive.MessageCanceled {
		t.Fatalf("second cancel: %v", err)
	}
	f.clock.add(12 * time.Hour)
	if _, err := f.svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.svc.GetMessage(ctx, "", res.ID); m.Status != naive.MessageCanceled || f.sentCount() != sent+1 || f.balance() != before-1 {
		t.Fatalf("a canceled text went: %+v", m)
	}
	if _, err := f.svc.SendScheduled(context.Background(), p.Scope(), "01890000-0000-7000-8000-000000000000", principal); naive.ErrorCode(err) != naive.ENotFound {
		t.Fatalf("gone message: %v", err)
	}
}

// TestScheduledChecksAgain: a scheduled text to someone who opted out
// since ends failed, uncharged.
func TestScheduledChecksAgain(t *testing.T) {
	f := setup(t)
	ph, ctx := f.activeNumber(t)
	f.kit(t, ph.SubjectID, naive.PrimitiveConfig{QuietHours: &naive.QuietHours{Start: "08:00", End: "21:00"}})
	before := f.balance()
	res, err := f.svc.SendSMS(ctx, "", ph.ID, naive.SendRequest{To: "+14155550100", Body: "later", Schedule: true})
	if err != nil || res.Status != naive.MessageScheduled {
		t.Fatalf("%+v, %v", res, err)
	}
	f.inboundText(f.svc, ph.E164, "STOP")
	f.clock.add(5 * time.Hour)
	p, _ := naive.PrincipalFrom(ctx)
	principal := []byte(`{"Kind":"` + string(p.Kind) + `","OperatorID":"` + p.OperatorID + `","Mode":"` + string(p.Mode) + `","KeyID":"` + p.KeyID + `"}`)
	if _, err := f.svc.SendScheduled(context.Background(), p.Scope(), res.ID, principal); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.GetMessage(ctx, "", res.ID)
	if err != nil || m.Status != naive.MessageFailed || m.FailureReason != "opted_out" || f.balance() != before || f.sentCount() != 0 {
		t.Fatalf("message %+v, %v; balance %d (was %d)", m, err, f.balance(), before)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func TestRecipientZones(t *testing.T) {
	for e164, want := range map[string][]string{
		"+12126647665":  {"America/New_York"},
		"+18505550123":  {"America/Chicago", "America/New_York"},
		"+19075550123":  {"America/Adak", "America/Anchorage"},
		"+18085550123":  {"Pacific/Honolulu"},
		"+16025550123":  {"America/Phoenix"},
		"+14165550123":  {"America/Toronto"},
		"+18005550123":  {"America/Chicago", "America/Denver", "America/Los_Angeles", "America/New_York"},
		"+442071838750": {"Europe/London"},
	} {
		var got []string
		for _, l := range service.RecipientZones(e164) {
			got = append(got, l.String())
		}
		if !sameSet(got, want) {
			t.Errorf("%s: %v, want %v", e164, got, want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
