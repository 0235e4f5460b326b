package telnyx_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

func standardBrand() telnyx.Brand {
	return telnyx.Brand{EntityType: telnyx.EntityPrivateProfit, DisplayName: "Acme", CompanyName: "Acme Robotics LLC", EIN: "12-3456789",
		Phone: "+14155550123", Street: "1 Main St", City: "San Francisco", State: "CA", PostalCode: "94105", Country: "US",
		Email: "ada@acme.example", Website: "https://acme.example", Vertical: "TECHNOLOGY"}
}

// TestClientEveryMethod walks every client method against the simulator
// and checks what Telnyx's answers carry.
func TestClientEveryMethod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	br, err := c.CreateBrand(ctx, standardBrand())
	if err != nil || br.BrandID == "" || br.Status != telnyx.BrandOK || br.IdentityStatus != telnyx.IdentityVerified {
		t.Fatalf("create brand = %+v, %v", br, err)
	}
	got, err := c.GetBrand(ctx, br.BrandID)
	if err != nil || got.CompanyName != "Acme Robotics LLC" {
		t.Fatalf("get brand = %+v, %v", got, err)
	}
	up := standardBrand()
	up.DisplayName = "Acme Two"
	if got, err = c.UpdateBrand(ctx, br.BrandID, up); err != nil || got.DisplayName != "Acme Two" || got.BrandID != br.BrandID {
		t.Fatalf("update brand = %+v, %v", got, err)
	}
	if list, err := c.ListBrands(ctx, "Acme Two"); err != nil || len(list) != 1 {
		t.Fatalf("list brands = %v, %v", list, err)
	}
	if fb, err := c.BrandFeedback(ctx, br.BrandID); err != nil || len(fb.Category) != 0 {
		t.Fatalf("feedback = %+v, %v", fb, err)
	}

	sp, err := c.CreateBrand(ctx, telnyx.Brand{EntityType: telnyx.EntitySoleProprietor, DisplayName: "Ada Lovelace", FirstName: "Ada",
		LastName: "Lovelace", MobilePhone: "+14155550124", Country: "US", Email: "ada@example.com", Vertical: "PROFESSIONAL"})
	if err != nil || sp.IdentityStatus != telnyx.IdentityUnverified {
		t.Fatalf("sole proprietor brand = %+v, %v", sp, err)
	}
	trig, err := c.TriggerBrandOTP(ctx, sp.BrandID, telnyx.OTPTrigger{PinSMS: "Code @OTP_PIN@", SuccessSMS: "Verified"})
	if err != nil || trig.ReferenceID == "" {
		t.Fatalf("trigger otp = %+v, %v", trig, err)
	}
	if st, err := c.BrandOTPStatus(ctx, sp.BrandID); err != nil || st.ReferenceID != trig.ReferenceID || st.MobilePhone != "+14155550124" {
		t.Fatalf("otp status = %+v, %v", st, err)
	}
	if err := c.VerifyBrandOTP(ctx, sp.BrandID, "not-the-pin"); err == nil {
		t.Fatal("a wrong PIN verified")
	}
	pin, _ := e.sim.BrandOTP(sp.BrandID)
	if err := c.VerifyBrandOTP(ctx, sp.BrandID, pin); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetBrand(ctx, sp.BrandID); got.IdentityStatus != telnyx.IdentityVerified {
		t.Fatalf("after the PIN the identity is %q", got.IdentityStatus)
	}

	in := telnyx.Campaign{BrandID: br.BrandID, Usecase: "CUSTOMER_CARE", Description: "Support replies.", MessageFlow: "Opt in online.",
		Sample1: "Hi, this is Acme.", SubscriberOptout: true}
	cp, err := c.CreateCampaign(ctx, in)
	if err != nil || cp.CampaignID == "" || cp.CampaignStatus != telnyx.CampaignTCRPending {
		t.Fatalf("create campaign = %+v, %v", cp, err)
	}
	if got, err := c.GetCampaign(ctx, cp.CampaignID); err != nil || got.Description != "Support replies." {
		t.Fatalf("get campaign = %+v, %v", got, err)
	}
	if list, err := c.ListCampaigns(ctx, br.BrandID); err != nil || len(list) != 1 || list[0].CampaignID != cp.CampaignID {
		t.Fatalf("list campaigns = %v, %v", list, err)
	}
	if got, err := c.UpdateCampaign(ctx, cp.CampaignID, telnyx.CampaignUpdate{Sample2: "Second sample."}); err != nil || got.Sample2 != "Second sample." {
		t.Fatalf("update campaign = %+v, %v", got, err)
	}
	if _, err := c.AppealCampaign(ctx, cp.CampaignID, "please"); err == nil {
		t.Fatal("a campaign in review was appealed")
	}
	e.advance(10 * time.Second)
	if got, _ := c.GetCampaign(ctx, cp.CampaignID); got.CampaignStatus != telnyx.CampaignMNOProvisioned {
		t.Fatalf("after the review the campaign is %s", got.CampaignStatus)
	}

	avail, err := c.AvailableNumbers(ctx, telnyx.AvailableFilter{CountryCode: "US", NationalDestinationCode: "212",
		PhoneNumberType: telnyx.NumberLocal, Features: []string{"sms"}, Limit: 3})
	if err != nil || len(avail) != 3 || !strings.HasPrefix(avail[0].PhoneNumber, "+1212") || avail[0].Region("state") != "NY" {
		t.Fatalf("available = %+v, %v", avail, err)
	}
	tf, err := c.AvailableNumbers(ctx, telnyx.AvailableFilter{CountryCode: "US", PhoneNumberType: telnyx.NumberTollFree, Limit: 2})
	if err != nil || len(tf) != 2 || !strings.HasPrefix(tf[0].PhoneNumber, "+1833") {
		t.Fatalf("toll-free = %+v, %v", tf, err)
	}
	no, err := c.CreateNumberOrder(ctx, telnyx.NumberOrderCreate{PhoneNumbers: []telnyx.OrderNumber{{PhoneNumber: avail[0].PhoneNumber}},
		CustomerReference: "ref-1", MessagingProfileID: "mp-test"})
	if err != nil || no.Status != telnyx.OrderSuccess || no.PhoneNumbers[0].Status != telnyx.OrderSuccess {
		t.Fatalf("order = %+v, %v", no, err)
	}
	if got, err := c.GetNumberOrder(ctx, no.ID); err != nil || got.ID != no.ID || got.CustomerReference != "ref-1" {
		t.Fatalf("get order = %+v, %v", got, err)
	}
	if list, err := c.ListNumberOrders(ctx, "ref-1"); err != nil || len(list) != 1 {
		t.Fatalf("list orders = %v, %v", list, err)
	}
	if list, _ := c.ListNumberOrders(ctx, "ref-other"); len(list) != 0 {
		t.Fatalf("orders of another reference: %v", list)
	}
	nums, err := c.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{PhoneNumber: avail[0].PhoneNumber})
	if err != nil || len(nums) != 1 || nums[0].MessagingProfileID != "mp-test" {
		t.Fatalf("list numbers = %+v, %v", nums, err)
	}
	pn := nums[0]
	ref := "phone-1"
	if got, err := c.UpdatePhoneNumber(ctx, pn.ID, telnyx.PhoneNumberUpdate{CustomerReference: &ref, Tags: []string{"t1"}}); err != nil ||
		got.CustomerReference != ref || !slices.Equal(got.Tags, []string{"t1"}) {
		t.Fatalf("update number = %+v, %v", got, err)
	}
	if got, err := c.GetPhoneNumber(ctx, pn.ID); err != nil || got.CustomerReference != ref {
		t.Fatalf("get number = %+v, %v", got, err)
	}
	if list, _ := c.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{Tag: "t1", CustomerReference: ref}); len(list) != 1 {
		t.Fatalf("numbers by tag and reference: %v", list)
	}
	if m, err := c.UpdateNumberMessaging(ctx, pn.ID, "mp-2"); err != nil || m.MessagingProfileID != "mp-2" {
		t.Fatalf("update messaging = %+v, %v", m, err)
	}
	if m, err := c.NumberMessaging(ctx, pn.ID); err != nil || m.MessagingProfileID != "mp-2" || m.PhoneNumber != pn.PhoneNumber {
		t.Fatalf("messaging = %+v, %v", m, err)
	}

	a, err := c.AssignCampaign(ctx, pn.PhoneNumber, cp.CampaignID)
	if err != nil || a.AssignmentStatus != telnyx.AssignmentAssigned {
		t.Fatalf("assign = %+v, %v", a, err)
	}
	if got, err := c.NumberCampaign(ctx, pn.PhoneNumber); err != nil || got.CampaignID != cp.CampaignID {
		t.Fatalf("assignment = %+v, %v", got, err)
	}
	if list, err := c.ListNumberCampaigns(ctx, cp.CampaignID); err != nil || len(list) != 1 {
		t.Fatalf("assignments = %v, %v", list, err)
	}

	msg, err := c.SendMessage(ctx, telnyx.MessageCreate{From: pn.PhoneNumber, To: "+14155550199", Text: "hello",
		WebhookURL: e.rc.srv.URL + "/hook?naive_message_id=m1"})
	if err != nil || msg.ID == "" || msg.To[0].Status != telnyx.DeliveryQueued {
		t.Fatalf("send = %+v, %v", msg, err)
	}
	if recs, err := c.ListMessageRecords(ctx, map[string]string{"direction": "outbound"}); err != nil || len(recs) != 0 {
		t.Fatalf("records before the send = %v, %v", recs, err)
	}
	e.advance(2 * time.Second)
	if got, err := c.GetMessage(ctx, msg.ID); err != nil || got.To[0].Status != telnyx.DeliveryDelivered || got.CompletedAt == nil {
		t.Fatalf("get message = %+v, %v", got, err)
	}
	recs, err := c.ListMessageRecords(ctx, map[string]string{"delivery_status_webhook_url": msg.WebhookURL})
	if err != nil || len(recs) != 1 || recs[0].UUID != msg.ID || recs[0].Status != "delivered" {
		t.Fatalf("records = %+v, %v", recs, err)
	}

	if _, err := c.UnassignCampaign(ctx, pn.PhoneNumber); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NumberCampaign(ctx, pn.PhoneNumber); !telnyx.IsNotFound(err) {
		t.Fatalf("after unassigning: %v", err)
	}
	if d, err := c.DeactivateCampaign(ctx, cp.CampaignID); err != nil || d.Message == "" {
		t.Fatalf("deactivate = %+v, %v", d, err)
	}
	if got, err := c.DeletePhoneNumber(ctx, pn.ID); err != nil || got.Status != "deleted" {
		t.Fatalf("delete number = %+v, %v", got, err)
	}
	if _, err := c.GetPhoneNumber(ctx, pn.ID); !telnyx.IsNotFound(err) {
		t.Fatalf("deleted number: %v", err)
	}
	if err := c.DeleteBrand(ctx, br.BrandID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBrand(ctx, br.BrandID); !telnyx.IsNotFound(err) {
		t.Fatalf("deleted brand: %v", err)
	}
}

// TestClientErrorEnvelope decodes Telnyx's error envelope: several entries,
// pointers, codes as strings or numbers, and bodies that are not envelopes.
func TestClientErrorEnvelope(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.client.CreateBrand(ctx, telnyx.Brand{EntityType: telnyx.EntityPrivateProfit, Country: "US"})
	var te *telnyx.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid brand: %v", err)
	}
	var fields []string
	for _, x := range te.Errors {
		if x.Code != telnyx.CodeMissingParameter {
			t.Errorf("code %q, want %s", x.Code, telnyx.CodeMissingParameter)
		}
		fields = append(fields, x.Field())
	}
	for _, f := range []string{"companyName", "displayName", "ein", "email", "vertical"} {
		if !slices.Contains(fields, f) {
			t.Errorf("fields %v lack %s", fields, f)
		}
	}
	if !strings.Contains(err.Error(), "POST /10dlc/brand: 422") {
		t.Errorf("error text %q", err)
	}

	if _, err := e.client.GetCampaign(ctx, "nope"); !telnyx.IsNotFound(err) || !telnyx.HasCode(err, telnyx.CodeNotFound) {
		t.Fatalf("missing campaign: %v", err)
	}
	bad := telnyx.NewClient(telnyx.Options{BaseURL: e.srv.URL + "/v2", APIKey: "wrong", SleepFunc: e.sleeps.sleep})
	if _, err := bad.GetBrand(ctx, "x"); !telnyx.HasCode(err, telnyx.CodeAuthentication) {
		t.Fatalf("bad key: %v", err)
	}

	e.sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if strings.Contains(r.URL.Path, "numeric") {
			return http.StatusBadRequest, []byte(`{"errors":[{"code":10015,"title":"Bad Request","detail":"no","source":{"pointer":"/phone_numbers/0/phone_number"}}]}`), true
		}
		return http.StatusBadGateway, []byte("<html>upstream</html>"), true
	})
	_, err = e.client.GetPhoneNumber(ctx, "numeric")
	if !errors.As(err, &te) || te.Errors[0].Code != "10015" || te.Errors[0].Field() != "phone_numbers.0.phone_number" || te.Message() != "no" {
		t.Fatalf("numeric code: %#v", err)
	}
	_, err = e.client.GetPhoneNumber(ctx, "html")
	if !errors.As(err, &te) || te.StatusCode != http.StatusBadGateway || !strings.Contains(te.Errors[0].Detail, "upstream") {
		t.Fatalf("non-envelope: %#v", err)
	}
}

// TestClientRetries: safe requests and 429s are retried (Retry-After
// honoured); a POST that may have been carried out is not, and reports an
// unknown outcome; a POST that never left is retried.
func TestClientRetries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	fails := 2
	e.sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if fails > 0 {
			fails--
			return http.StatusServiceUnavailable, []byte(`{"errors":[{"code":"10007","title":"Unexpected error"}]}`), true
		}
		return 0, nil, false
	})
	if _, err := e.client.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{}); err != nil {
		t.Fatalf("GET after two 503s: %v", err)
	}
	if n := len(e.sleeps.all()); n != 2 {
		t.Fatalf("%d backoffs, want 2", n)
	}

	e.sim.SetBeforeFunc(nil)
	limited := true
	rl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limited {
			limited = false
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"code":"10011","title":"Too many requests"}]}`))
			return
		}
		e.sim.ServeHTTP(w, r)
	}))
	defer rl.Close()
	before := len(e.sleeps.all())
	c := telnyx.NewClient(telnyx.Options{BaseURL: rl.URL + "/v2", APIKey: testKey, SleepFunc: e.sleeps.sleep})
	if _, err := c.CreateBrand(ctx, standardBrand()); err != nil {
		t.Fatalf("POST after a 429: %v", err)
	}
	if s := e.sleeps.all()[before:]; len(s) != 1 || s[0] != 2*time.Second {
		t.Fatalf("429 backoff %v, want [2s]", s)
	}
	if n := len(e.sim.Brands()); n != 1 {
		t.Fatalf("%d brands after a rate-limited POST and its retry, want 1", n)
	}

	e.sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		return http.StatusInternalServerError, []byte(`{"errors":[{"code":"10007","title":"Unexpected error"}]}`), true
	})
	before = len(e.sleeps.all())
	_, err := e.client.CreateNumberOrder(ctx, telnyx.NumberOrderCreate{PhoneNumbers: []telnyx.OrderNumber{{PhoneNumber: "+14155550100"}}})
	if !errors.Is(err, telnyx.ErrUnknownOutcome) || !telnyx.HasCode(err, telnyx.CodeUnexpected) {
		t.Fatalf("POST 500: %v", err)
	}
	if len(e.sleeps.all()) != before {
		t.Fatal("a POST answered 500 was retried")
	}
	e.sim.SetBeforeFunc(nil)

	e.sim.SetFaults(telnyxsim.Faults{LoseResponseRate: 1})
	_, err = e.client.CreateNumberOrder(ctx, telnyx.NumberOrderCreate{PhoneNumbers: []telnyx.OrderNumber{{PhoneNumber: "+14155550101"}}, CustomerReference: "lost"})
	if !errors.Is(err, telnyx.ErrUnknownOutcome) {
		t.Fatalf("lost answer: %v", err)
	}
	e.sim.SetFaults(telnyxsim.Faults{})
	if orders, err := e.client.ListNumberOrders(ctx, "lost"); err != nil || len(orders) != 1 {
		t.Fatalf("the lost order was not carried out once: %v, %v", orders, err)
	}

	// A refused dial proves the request never left: even a POST is retried.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	before = len(e.sleeps.all())
	dead := telnyx.NewClient(telnyx.Options{BaseURL: "http://" + addr + "/v2", APIKey: testKey, SleepFunc: e.sleeps.sleep, MaxRetries: 2})
	_, err = dead.SendMessage(ctx, telnyx.MessageCreate{From: "+14155550100", To: "+14155550101", Text: "x"})
	if err == nil || errors.Is(err, telnyx.ErrUnknownOutcome) {
		t.Fatalf("dial refused: %v", err)
	}
	if n := len(e.sleeps.all()) - before; n != 2 {
		t.Fatalf("%d retries of a POST that never left, want 2", n)
	}
}
