package telnyx_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// parse verifies and parses a received webhook at the fake clock's time.
func (e *env) parse(t *testing.T, h hook) *carrier.Event {
	t.Helper()
	ev, err := e.cr.ParseWebhook(h.header, h.body, e.clock.Now())
	if err != nil {
		t.Fatalf("parse webhook %s: %v", h.body, err)
	}
	return ev
}

func eventType(typ string) func(hook) bool {
	return func(h hook) bool {
		var v struct {
			Data struct {
				EventType string `json:"event_type"`
			} `json:"data"`
			Type   string `json:"type"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(h.body, &v)
		return v.Data.EventType == typ || v.Type+"/"+v.Status == typ
	}
}

// TestCarrierLifecycle runs the whole life of a brand through the port:
// brand, campaign reviewed to active, number bought and assigned, a text
// sent and its status webhooks, an inbound text, and the number released.
func TestCarrierLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if e.cr.Name() != "telnyx" {
		t.Fatalf("name %q", e.cr.Name())
	}

	brandID, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789", Tier: naive.TierStandard})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.cr.BrandStatus(ctx, brandID)
	if err != nil || !st.Ready || st.Verification != "" || len(st.Problems) != 0 {
		t.Fatalf("brand status = %+v, %v", st, err)
	}
	br := e.sim.Brands()[0]
	if br.EntityType != telnyx.EntityPrivateProfit || br.CompanyName != "Acme Robotics LLC" || br.EIN != "12-3456789" ||
		br.Vertical != "TECHNOLOGY" || br.State != "CA" || br.WebhookURL == "" {
		t.Fatalf("registered brand %+v", br)
	}
	p := profile()
	p.Website = "https://acme2.example"
	if err := e.cr.UpdateBrand(ctx, brandID, carrier.BrandRegistration{Profile: p, EIN: "12-3456789"}); err != nil {
		t.Fatal(err)
	}
	if e.sim.Brands()[0].Website != "https://acme2.example" {
		t.Fatal("the update did not reach the brand")
	}
	if err := e.cr.ResendBrandVerification(ctx, brandID); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("resend verification of a standard brand: %v", err)
	}

	cp, err := e.cr.CreateCampaign(ctx, brandID, campaignRequest())
	if err != nil || cp.ID == "" || cp.Status != naive.CampaignCreated {
		t.Fatalf("create campaign = %+v, %v", cp, err)
	}
	sc := e.sim.Campaigns()[0]
	if sc.Usecase != "LOW_VOLUME" || !slices.Equal(sc.SubUsecases, []string{"CUSTOMER_CARE", "ACCOUNT_NOTIFICATION"}) ||
		sc.Sample2 == "" || !sc.SubscriberOptout || sc.OptoutKeywords != "STOP" || sc.MessageFlow == "" {
		t.Fatalf("submitted campaign %+v", sc)
	}
	if found, ok, err := e.cr.FindCampaign(ctx, brandID); err != nil || !ok || found.ID != cp.ID {
		t.Fatalf("find campaign = %+v, %v, %v", found, ok, err)
	}

	// The number is bought during the review, as the service does.
	avail, err := e.cr.AvailableNumbers(ctx, brandID, carrier.NumberFilter{Type: naive.PhoneLocal, AreaCode: "415"})
	if err != nil || len(avail) == 0 || avail[0].Region != "CA" || avail[0].Locality != "San Francisco" || avail[0].Country != "US" {
		t.Fatalf("available = %+v, %v", avail, err)
	}
	// As many as a search may show.
	if len(avail) != naive.MaxNumberSearch {
		t.Fatalf("available lists %d numbers, want %d", len(avail), naive.MaxNumberSearch)
	}
	num, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "415", Ref: "phone-1"})
	if err != nil || num.ID == "" || !strings.HasPrefix(num.E164, "+1415") || num.Ref != "phone-1" {
		t.Fatalf("buy = %+v, %v", num, err)
	}
	held := e.sim.Numbers()[0]
	if held.CustomerReference != "phone-1" || !slices.Contains(held.Tags, telnyx.BrandTagPrefix+brandID) || held.MessagingProfileID != "mp-test" {
		t.Fatalf("held number %+v", held)
	}
	if _, ok := e.sim.Assignment(num.E164); ok {
		t.Fatal("assigned to a campaign still in review")
	}
	if nums, err := e.cr.ListNumbers(ctx, brandID); err != nil || len(nums) != 1 || nums[0] != num {
		t.Fatalf("list numbers = %+v, %v", nums, err)
	}
	if nums, _ := e.cr.ListNumbers(ctx, "another-brand"); len(nums) != 0 {
		t.Fatalf("another brand lists %v", nums)
	}
	if found, ok, err := e.cr.FindNumber(ctx, brandID, "phone-1"); err != nil || !ok || found != num {
		t.Fatalf("find number = %+v, %v, %v", found, ok, err)
	}
	if _, ok, err := e.cr.FindNumber(ctx, brandID, "phone-2"); err != nil || ok {
		t.Fatalf("found a number never bought: %v, %v", ok, err)
	}

	e.advance(time.Second)
	if got, _ := e.cr.CampaignStatus(ctx, cp.ID); got.Status != naive.CampaignInReview {
		t.Fatalf("after 1s the campaign is %s", got.Status)
	}
	h, next := e.rc.wait(t, 0, eventType("REGISTRATION/success"))
	if ev := e.parse(t, h); ev.Kind != carrier.EventCampaignStatus || ev.Campaign.Status != naive.CampaignInReview || ev.BrandID != brandID {
		t.Fatalf("registration event %+v", ev)
	}
	e.advance(9 * time.Second)
	h, _ = e.rc.wait(t, next, eventType("MNO_REVIEW/ACCEPTED"))
	if ev := e.parse(t, h); ev.Kind != carrier.EventCampaignStatus || ev.Campaign.CampaignID != cp.ID || ev.Campaign.Status != naive.CampaignActive {
		t.Fatalf("activation event %+v", ev)
	}
	got, err := e.cr.CampaignStatus(ctx, cp.ID)
	if err != nil || got.Status != naive.CampaignActive {
		t.Fatalf("campaign status = %+v, %v", got, err)
	}
	if a, ok := e.sim.Assignment(num.E164); !ok || a.CampaignID != cp.ID {
		t.Fatalf("active campaign's number not assigned: %+v", a)
	}

	from := e.rc.count()
	sent, err := e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550199", Body: "Your order shipped.", Ref: "msg-1"})
	if err != nil || sent.ID == "" {
		t.Fatalf("send = %+v, %v", sent, err)
	}
	e.advance(time.Second)
	h, next = e.rc.wait(t, from, eventType(telnyx.EventMessageSent))
	if !strings.Contains(h.path, telnyx.RefParam+"=msg-1") {
		t.Fatalf("status webhook posted to %s, not the text's webhook_url", h.path)
	}
	ev := e.parse(t, h)
	if ev.Kind != carrier.EventMessageStatus || ev.Message.ID != sent.ID || ev.Message.Ref != "msg-1" || ev.Message.Status != naive.MessageSent ||
		ev.Message.From != num.E164 || ev.Message.To != "+14155550199" || ev.ID == "" || ev.At.IsZero() {
		t.Fatalf("sent event %+v %+v", ev, ev.Message)
	}
	e.advance(time.Second)
	h, _ = e.rc.wait(t, next, eventType(telnyx.EventMessageFinalized))
	if ev := e.parse(t, h); ev.Message.Status != naive.MessageDelivered || ev.Message.Ref != "msg-1" {
		t.Fatalf("finalized event %+v", ev.Message)
	}
	if found, ok, err := e.cr.FindMessage(ctx, brandID, "msg-1"); err != nil || !ok || found.ID != sent.ID {
		t.Fatalf("find message = %+v, %v, %v", found, ok, err)
	}
	if _, ok, err := e.cr.FindMessage(ctx, brandID, "msg-2"); err != nil || ok {
		t.Fatalf("found a text never sent: %v, %v", ok, err)
	}

	from = e.rc.count()
	if _, err := e.sim.Inbound("+14155550199", num.E164, "Thanks!"); err != nil {
		t.Fatal(err)
	}
	h, _ = e.rc.wait(t, from, eventType(telnyx.EventMessageReceived))
	ev = e.parse(t, h)
	if ev.Kind != carrier.EventMessageReceived || ev.Message.Body != "Thanks!" || ev.Message.From != "+14155550199" ||
		ev.Message.To != num.E164 || ev.Message.Status != naive.MessageReceived {
		t.Fatalf("inbound event %+v %+v", ev, ev.Message)
	}
	if c, err := e.cr.ContactNumber(ctx, "+14155550199"); err != nil || c != "+14155550199" {
		t.Fatalf("contact number %q, %v", c, err)
	}

	if err := e.cr.ReleaseNumber(ctx, num.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.cr.ReleaseNumber(ctx, num.ID); err != nil {
		t.Fatalf("releasing twice: %v", err)
	}
	if nums, _ := e.cr.ListNumbers(ctx, brandID); len(nums) != 0 {
		t.Fatalf("released number still listed: %v", nums)
	}
	if _, ok := e.sim.Assignment(num.E164); ok {
		t.Fatal("released number still assigned")
	}
	if err := e.cr.ArchiveBrand(ctx, brandID); err != nil {
		t.Fatal(err)
	}
	if err := e.cr.ArchiveBrand(ctx, brandID); err != nil {
		t.Fatalf("archiving twice: %v", err)
	}
	if _, err := e.cr.BrandStatus(ctx, brandID); !carrier.Is(err, carrier.NotFound) {
		t.Fatalf("archived brand: %v", err)
	}
}

// TestCarrierWebhookVerification refuses tampered, foreign, unsigned and
// stale webhooks.
func TestCarrierWebhookVerification(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	brandID, _ := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	num, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, Ref: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Inbound("+14155550199", num.E164, "hi"); err != nil {
		t.Fatal(err)
	}
	h, _ := e.rc.wait(t, 0, eventType(telnyx.EventMessageReceived))
	now := e.clock.Now()
	if _, err := e.cr.ParseWebhook(h.header, h.body, now); err != nil {
		t.Fatalf("authentic webhook refused: %v", err)
	}
	tampered := []byte(strings.Replace(string(h.body), `"hi"`, `"ho"`, 1))
	if _, err := e.cr.ParseWebhook(h.header, tampered, now); !errors.Is(err, carrier.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if _, err := e.cr.ParseWebhook(http.Header{}, h.body, now); !errors.Is(err, carrier.ErrBadSignature) {
		t.Fatalf("unsigned: %v", err)
	}
	other := telnyxsim.New(telnyxsim.Config{})
	defer other.Close()
	foreign, _ := telnyx.NewCarrier(e.client, telnyx.CarrierConfig{PublicKey: other.PublicKey()})
	if _, err := foreign.ParseWebhook(h.header, h.body, now); !errors.Is(err, carrier.ErrBadSignature) {
		t.Fatalf("another account's key: %v", err)
	}
	if _, err := e.cr.ParseWebhook(h.header, h.body, now.Add(6*time.Minute)); !errors.Is(err, carrier.ErrStaleSignature) {
		t.Fatalf("stale: %v", err)
	}
	if _, err := e.cr.ParseWebhook(h.header, h.body, now.Add(-6*time.Minute)); !errors.Is(err, carrier.ErrStaleSignature) {
		t.Fatalf("from the future: %v", err)
	}
	if _, err := e.cr.ParseWebhook(h.header, h.body, now.Add(4*time.Minute)); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
	nokey, _ := telnyx.NewCarrier(e.client, telnyx.CarrierConfig{})
	if _, err := nokey.ParseWebhook(h.header, h.body, now); !errors.Is(err, carrier.ErrBadSignature) {
		t.Fatalf("no key configured: %v", err)
	}
	if _, err := telnyx.NewCarrier(e.client, telnyx.CarrierConfig{PublicKey: "bm90IGEga2V5"}); err == nil {
		t.Fatal("a 6-byte public key was accepted")
	}
	// Authentic but not an event: refused as unreadable, after the signature.
	junk := []byte(`{"hello":"world"}`)
	sig := signWith(t, e, junk)
	if _, err := e.cr.ParseWebhook(sig, junk, now); !errors.Is(err, carrier.ErrUnreadable) {
		t.Fatalf("authentic junk: %v", err)
	}
}

// signWith signs body with the simulator's private key (the test gave it
// the key), as Telnyx would sign it.
func signWith(t *testing.T, e *env, body []byte) http.Header {
	t.Helper()
	return telnyx.SignWebhook(e.privateKey(t), e.clock.Now(), body)
}

// TestCarrierMagicValues: the sandbox's magic values, read through the port.
func TestCarrierMagicValues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	bad, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "99-9999999"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.cr.BrandStatus(ctx, bad)
	if err != nil || st.Ready || len(st.Problems) != 1 || st.Problems[0].Field != "ein" || st.Problems[0].Code != "ein_mismatch" {
		t.Fatalf("magic EIN status = %+v, %v", st, err)
	}
	if _, err := e.cr.CreateCampaign(ctx, bad, campaignRequest()); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("campaign on a failed brand: %v", err)
	}

	brandID, _ := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	req := campaignRequest()
	req.Description += " [sandbox:reject]"
	cp, err := e.cr.CreateCampaign(ctx, brandID, req)
	if err != nil {
		t.Fatal(err)
	}
	e.advance(10 * time.Second)
	h, _ := e.rc.wait(t, 0, eventType("TELNYX_REVIEW/REJECTED"))
	if ev := e.parse(t, h); ev.Campaign == nil || ev.Campaign.Status != naive.CampaignRejected {
		t.Fatalf("rejection event %+v", ev)
	}
	got, err := e.cr.CampaignStatus(ctx, cp.ID)
	if err != nil || got.Status != naive.CampaignRejected || got.Reason == "" {
		t.Fatalf("rejected campaign = %+v, %v", got, err)
	}
	changed := campaignRequest()
	changed.UseCases = []string{"marketing"}
	if _, err := e.cr.ResubmitCampaign(ctx, cp.ID, changed); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("resubmit with other use cases: %v", err)
	}
	fixed := campaignRequest()
	fixed.MessageSamples = []string{"Acme: a corrected sample. Reply STOP to opt out."}
	// The privacy link changed; Telnyx's update cannot take it, so the
	// appeal tells the reviewers, as it tells the new description (cut at
	// a character, never inside one).
	fixed.PrivacyPolicyURL = "https://acme.example/privacy-v2"
	fixed.Description = "x" + strings.Repeat("é", 600) // the cut falls inside an é
	again, err := e.cr.ResubmitCampaign(ctx, cp.ID, fixed)
	if err != nil || again.Status != naive.CampaignInReview {
		t.Fatalf("resubmit = %+v, %v", again, err)
	}
	if s := e.sim.Campaigns()[0].Sample1; s != fixed.MessageSamples[0] {
		t.Fatalf("resubmitted sample %q", s)
	}
	if ar := e.sim.AppealReason(cp.ID); len(ar) > 1000 || !utf8.ValidString(ar) || !strings.HasPrefix(ar, "Content corrected. Description: xé") {
		t.Fatalf("appeal reason of %d bytes (valid UTF-8 %v): %.60q", len(ar), utf8.ValidString(ar), ar)
	}
	if ar := appealText(e, fixed); !strings.Contains(ar, "Privacy policy: https://acme.example/privacy-v2") {
		t.Fatalf("the changed privacy link is not in the appeal: %q", ar)
	}
	if _, err := e.cr.ResubmitCampaign(ctx, cp.ID, fixed); !carrier.Is(err, carrier.Refused) {
		t.Fatalf("resubmit while in review: %v", err)
	}
	e.advance(10 * time.Second)
	if got, _ := e.cr.CampaignStatus(ctx, cp.ID); got.Status != naive.CampaignActive {
		t.Fatalf("after the appeal the campaign is %s", got.Status)
	}

	if _, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "555", Ref: "a"}); !carrier.Is(err, carrier.NoInventory) {
		t.Fatalf("area code 555: %v", err)
	}
	if _, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{E164: "+15555550100", Ref: "b"}); !carrier.Is(err, carrier.NoInventory) {
		t.Fatalf("exact number in 555: %v", err)
	}
	if nums, err := e.cr.AvailableNumbers(ctx, brandID, carrier.NumberFilter{Type: naive.PhoneLocal, AreaCode: "555"}); err != nil || len(nums) != 0 {
		t.Fatalf("search 555 = %v, %v", nums, err)
	}
	_, err = e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "500", Ref: "c"})
	if !carrier.Is(err, carrier.Unavailable) || errors.Is(err, carrier.ErrUnknownOutcome) {
		t.Fatalf("area code 500: %v", err)
	}
	_, err = e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{E164: "+15005550100", Ref: "d"})
	if !carrier.Is(err, carrier.Unavailable) {
		t.Fatalf("exact number in 500: %v", err)
	}

	// Bought after activation: assigned at once.
	num, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "212", Ref: "e"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sim.Assignment(num.E164); !ok {
		t.Fatal("a number bought for an active campaign is not assigned")
	}
	from := e.rc.count()
	if _, err := e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550000", Body: "hi", Ref: "m0"}); err != nil {
		t.Fatal(err)
	}
	e.advance(2 * time.Second)
	h, _ = e.rc.wait(t, from, eventType(telnyx.EventMessageFinalized))
	if ev := e.parse(t, h); ev.Message.Status != naive.MessageFailed || ev.Message.FailureReason != "invalid_mobile_number" || ev.Message.Ref != "m0" {
		t.Fatalf("text to ...0000: %+v", ev.Message)
	}

	// STOP opts the sender out at Telnyx; START back in.
	if _, err := e.sim.Inbound("+14155550188", num.E164, " stop "); err != nil {
		t.Fatal(err)
	}
	_, err = e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550188", Body: "hi", Ref: "m1"})
	if !carrier.Is(err, carrier.OptedOut) {
		t.Fatalf("text to an opted-out contact: %v", err)
	}
	if _, err := e.sim.Inbound("+14155550188", num.E164, "START"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550188", Body: "hi", Ref: "m2"}); err != nil {
		t.Fatalf("after START: %v", err)
	}
	_, err = e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "4155550188", Body: "hi", Ref: "m3"})
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.Invalid || !slices.Equal(ce.Fields, []string{"to"}) {
		t.Fatalf("text to a number not in E.164: %v", err)
	}
}

// TestCarrierUnknownOutcomes: a purchase or send whose answer is lost is
// reported as an unknown outcome and found afterwards by our reference.
func TestCarrierUnknownOutcomes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	brandID, _ := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	cp, _ := e.cr.CreateCampaign(ctx, brandID, campaignRequest())
	e.advance(10 * time.Second)
	if got, _ := e.cr.CampaignStatus(ctx, cp.ID); got.Status != naive.CampaignActive {
		t.Fatalf("campaign %s", got.Status)
	}

	avail, _ := e.cr.AvailableNumbers(ctx, brandID, carrier.NumberFilter{Type: naive.PhoneLocal, AreaCode: "312"})
	e.sim.SetFaults(telnyxsim.Faults{LoseResponseRate: 1})
	_, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{E164: avail[0].E164, Ref: "lost-phone"})
	e.sim.SetFaults(telnyxsim.Faults{})
	if !errors.Is(err, carrier.ErrUnknownOutcome) || !carrier.Is(err, carrier.Unavailable) {
		t.Fatalf("lost order: %v", err)
	}
	n, ok, err := e.cr.FindNumber(ctx, brandID, "lost-phone")
	if err != nil || !ok || n.E164 != avail[0].E164 || n.Ref != "lost-phone" {
		t.Fatalf("find the lost purchase = %+v, %v, %v", n, ok, err)
	}
	held := e.sim.Numbers()[0]
	if held.CustomerReference != "lost-phone" || !slices.Contains(held.Tags, telnyx.BrandTagPrefix+brandID) {
		t.Fatalf("the found number was not finished: %+v", held)
	}
	if _, ok := e.sim.Assignment(n.E164); !ok {
		t.Fatal("the found number was not assigned")
	}
	if again, ok, _ := e.cr.FindNumber(ctx, brandID, "lost-phone"); !ok || again != n {
		t.Fatalf("second find = %+v", again)
	}

	// A pending order that outlasts the wait is an unknown outcome too.
	slow := telnyxsim.New(telnyxsim.Config{Now: e.clock.Now, OrderDelay: time.Hour})
	defer slow.Close()
	srv := newServer(t, slow)
	sc, _ := telnyx.NewCarrier(telnyx.NewClient(telnyx.Options{BaseURL: srv + "/v2", APIKey: testKey, SleepFunc: e.sleeps.sleep}),
		telnyx.CarrierConfig{MessagingProfileID: "mp", OrderWait: time.Second})
	sb, _ := sc.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	_, err = sc.BuyNumber(ctx, sb, carrier.NumberOrder{Type: naive.PhoneLocal, Ref: "slow"})
	if !errors.Is(err, carrier.ErrUnknownOutcome) {
		t.Fatalf("pending order: %v", err)
	}
	// Neither found nor surely absent while the order is pending: "not
	// found" would have the caller buy again, and the pending order's
	// number land later untagged, unnamed, invisible to ListNumbers.
	if _, ok, err := sc.FindNumber(ctx, sb, "slow"); !carrier.Is(err, carrier.Unavailable) || ok {
		t.Fatalf("a pending order's number = %v, %v; want Unavailable", ok, err)
	}
	if held, err := sc.ListNumbers(ctx, sb); err != nil || len(held) != 0 {
		t.Fatalf("numbers while the order is pending = %v, %v", held, err)
	}
	e.clock.Add(time.Hour)
	slow.Tick()
	n, ok, err = sc.FindNumber(ctx, sb, "slow")
	if err != nil || !ok || n.Ref != "slow" {
		t.Fatalf("the settled order's number = %+v, %v, %v", n, ok, err)
	}
	if held, err := sc.ListNumbers(ctx, sb); err != nil || len(held) != 1 || held[0] != n {
		t.Fatalf("the settled order's number is not the brand's: %v, %v", held, err)
	}
	// An order that failed bought nothing, and a reference never ordered
	// names nothing: surely absent, both.
	if _, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{E164: "+15555550100", Ref: "failed"}); !carrier.Is(err, carrier.NoInventory) {
		t.Fatalf("an order of a number not for sale: %v", err)
	}
	for _, ref := range []string{"failed", "never-ordered"} {
		if _, ok, err := e.cr.FindNumber(ctx, brandID, ref); err != nil || ok {
			t.Fatalf("find %s = %v, %v; want surely absent", ref, ok, err)
		}
	}

	num, _ := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, Ref: "p2"})
	e.sim.SetFaults(telnyxsim.Faults{LoseResponseRate: 1})
	_, err = e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550177", Body: "hi", Ref: "lost-msg"})
	e.sim.SetFaults(telnyxsim.Faults{})
	if !errors.Is(err, carrier.ErrUnknownOutcome) {
		t.Fatalf("lost send: %v", err)
	}
	// Detail records come after the fact: not there at once, there once sent.
	if _, ok, err := e.cr.FindMessage(ctx, brandID, "lost-msg"); err != nil || ok {
		t.Fatalf("found before its detail record: %v, %v", ok, err)
	}
	e.advance(time.Second)
	if m, ok, err := e.cr.FindMessage(ctx, brandID, "lost-msg"); err != nil || !ok || m.ID == "" {
		t.Fatalf("lost send not found = %+v, %v, %v", m, ok, err)
	}
	if n := len(e.sim.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	noURL, _ := telnyx.NewCarrier(e.client, telnyx.CarrierConfig{})
	if _, _, err := noURL.FindMessage(ctx, brandID, "lost-msg"); !carrier.Is(err, carrier.Unavailable) {
		t.Fatalf("find without a webhook URL: %v", err)
	}

	e.sim.SetFaults(telnyxsim.Faults{RateLimitRate: 1})
	_, err = e.cr.BrandStatus(ctx, brandID)
	e.sim.SetFaults(telnyxsim.Faults{})
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.RateLimited || ce.RetryAfter != time.Second {
		t.Fatalf("rate limited: %v", err)
	}
}

// TestCarrierLazyAssignment: a number bought during the review, whose
// campaign's activation arrives by webhook only (no status poll), is
// assigned before its first text.
func TestCarrierLazyAssignment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	brandID, _ := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	if _, err := e.cr.CreateCampaign(ctx, brandID, campaignRequest()); err != nil {
		t.Fatal(err)
	}
	num, err := e.cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: naive.PhoneLocal, Ref: "p"})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(10 * time.Second)
	if _, ok := e.sim.Assignment(num.E164); ok {
		t.Fatal("assigned without being asked")
	}
	from := e.rc.count()
	if _, err := e.cr.SendMessage(ctx, brandID, carrier.OutboundMessage{FromNumberID: num.ID, To: "+14155550166", Body: "hi", Ref: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sim.Assignment(num.E164); !ok {
		t.Fatal("not assigned before its first text")
	}
	e.advance(2 * time.Second)
	h, _ := e.rc.wait(t, from, eventType(telnyx.EventMessageFinalized))
	if ev := e.parse(t, h); ev.Message.Status != naive.MessageDelivered {
		t.Fatalf("text from the lazily assigned number: %+v", ev.Message)
	}
}

// TestCarrierSoleProprietor: SOLE_PROPRIETOR brands, their OTP, and the
// SOLE_PROPRIETOR campaign.
func TestCarrierSoleProprietor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := profile()
	p.LegalName = ""
	brandID, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: p, Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	br := e.sim.Brands()[0]
	if br.EntityType != telnyx.EntitySoleProprietor || br.EIN != "" || br.MobilePhone != p.Contact.Phone || br.DisplayName != "Ada Lovelace" {
		t.Fatalf("sole proprietor brand %+v", br)
	}
	if _, sends := e.sim.BrandOTP(brandID); sends != 1 {
		t.Fatalf("%d verification texts after creation, want 1", sends)
	}
	st, err := e.cr.BrandStatus(ctx, brandID)
	if err != nil || st.Ready || st.Verification != naive.BrandVerificationPendingOTP || len(st.Problems)+len(st.FieldsNeeded) != 0 {
		t.Fatalf("unverified status = %+v, %v", st, err)
	}
	if err := e.cr.ResendBrandVerification(ctx, brandID); err != nil {
		t.Fatal(err)
	}
	if _, sends := e.sim.BrandOTP(brandID); sends != 2 {
		t.Fatalf("%d verification texts after a resend, want 2", sends)
	}
	if _, err := e.cr.CreateCampaign(ctx, brandID, campaignRequest()); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("campaign before verification: %v", err)
	}
	if m := e.cr.BrandVerificationMethod(); m != naive.BrandVerifyCode {
		t.Fatalf("verification method %q, want code", m)
	}
	pin, _ := e.sim.BrandOTP(brandID)
	wrong := "123456"
	if pin == wrong {
		wrong = "654321"
	}
	err = e.cr.SubmitBrandVerification(ctx, brandID, wrong)
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.Invalid || !slices.Equal(ce.Fields, []string{"code"}) {
		t.Fatalf("a wrong PIN: %#v, want Invalid on code", err)
	}
	if st, _ := e.cr.BrandStatus(ctx, brandID); st.Ready || st.Verification != naive.BrandVerificationPendingOTP {
		t.Fatalf("status after a wrong PIN = %+v", st)
	}
	if err := e.cr.SubmitBrandVerification(ctx, brandID, pin); err != nil {
		t.Fatalf("the PIN sent: %v", err)
	}
	if st, _ := e.cr.BrandStatus(ctx, brandID); !st.Ready || st.Verification != "" {
		t.Fatalf("verified status = %+v", st)
	}
	// Submitted again (a retry whose first answer was lost): done already.
	if err := e.cr.SubmitBrandVerification(ctx, brandID, pin); err != nil {
		t.Fatalf("the PIN again after verification: %v, want nil", err)
	}
	if err := e.cr.ResendBrandVerification(ctx, brandID); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("resend after verification: %v", err)
	}
	if _, err := e.cr.CreateCampaign(ctx, brandID, campaignRequest()); err != nil {
		t.Fatal(err)
	}
	if u := e.sim.Campaigns()[0].Usecase; u != "SOLE_PROPRIETOR" {
		t.Fatalf("sole proprietor campaign use case %q", u)
	}
}

// TestCarrierSubmitVerification: the sandbox's magic PIN verifies a sole
// proprietor's brand that was sent one; a brand that is not a sole
// proprietor's is Invalid (not a wrong code), and an unknown brand is
// NotFound.
func TestCarrierSubmitVerification(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	company, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789", Tier: naive.TierStandard})
	if err != nil {
		t.Fatal(err)
	}
	err = e.cr.SubmitBrandVerification(ctx, company, telnyxsim.SandboxOTPPin)
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.Invalid || len(ce.Fields) != 0 {
		t.Fatalf("a PIN for a company's brand: %#v, want Invalid without fields", err)
	}
	if err := e.cr.SubmitBrandVerification(ctx, "4b20017f-0000-0000-0000-000000000000", "123456"); !carrier.Is(err, carrier.NotFound) {
		t.Fatalf("a PIN for an unknown brand: %v, want NotFound", err)
	}
	p := profile()
	p.LegalName = ""
	sole, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: p, Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	if pin, _ := e.sim.BrandOTP(sole); pin == telnyxsim.SandboxOTPPin {
		t.Skip("the simulator drew the magic PIN itself")
	}
	if err := e.cr.SubmitBrandVerification(ctx, sole, telnyxsim.SandboxOTPPin); err != nil {
		t.Fatalf("the sandbox's PIN: %v", err)
	}
	if st, _ := e.cr.BrandStatus(ctx, sole); !st.Ready || st.Verification != "" {
		t.Fatalf("status after the sandbox's PIN = %+v", st)
	}
}

// TestCarrierInvalidFields maps Telnyx's field pointers to naive's names.
func TestCarrierInvalidFields(t *testing.T) {
	e := newEnv(t)
	p := profile()
	p.LegalName, p.Contact.Email = "", ""
	_, err := e.cr.CreateBrand(context.Background(), carrier.BrandRegistration{Profile: p, EIN: "12-3456789"})
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.Invalid || !slices.Equal(ce.Fields, []string{"contact.email", "legal_name"}) {
		t.Fatalf("invalid brand: %#v", err)
	}
}

// TestResubmitNotAppealable: a campaign Telnyx holds in a state it does
// not appeal (expired, here) is refused — the request is not at fault, so
// not Invalid — and left as it was.
func TestResubmitNotAppealable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	brandID, err := e.cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: profile(), EIN: "12-3456789"})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := e.cr.CreateCampaign(ctx, brandID, campaignRequest())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetCampaignStatus(cp.ID, telnyx.CampaignTCRExpired); err != nil {
		t.Fatal(err)
	}
	fixed := campaignRequest()
	fixed.MessageSamples = []string{"Acme: a corrected sample. Reply STOP to opt out."}
	_, err = e.cr.ResubmitCampaign(ctx, cp.ID, fixed)
	var ce *carrier.Error
	if !errors.As(err, &ce) || ce.Kind != carrier.Refused || len(ce.Fields) != 0 || !strings.Contains(ce.Message, telnyx.CampaignTCRExpired) {
		t.Fatalf("resubmit an expired campaign: %v", err)
	}
	if got := e.sim.Campaigns()[0]; got.Sample1 == fixed.MessageSamples[0] || got.CampaignStatus != telnyx.CampaignTCRExpired {
		t.Fatalf("a refused resubmission changed the campaign: %+v", got)
	}
}

// appealText is the appeal a resubmission of c sends for a campaign with
// a short description (so nothing is cut).
func appealText(e *env, c carrier.CampaignRequest) string {
	c.Description = "Short."
	return telnyx.AppealReasonForTest(e.sim.Campaigns()[0], c)
}
