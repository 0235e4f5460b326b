package telnyxsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

const key = "KEY_sim"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	clock *clock
	sim   *telnyxsim.Server
	srv   *httptest.Server
}

func newFixture(t *testing.T, cfg telnyxsim.Config) *fixture {
	f := &fixture{t: t, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	cfg.APIKey, cfg.Now = key, f.clock.Now
	f.sim = telnyxsim.New(cfg)
	t.Cleanup(f.sim.Close)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	return f
}

// call makes a raw request and decodes the JSON answer.
func (f *fixture) call(method, path, body string, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

type envelope struct {
	Errors []telnyx.APIError `json:"errors"`
}

const brandBody = `{"entityType":"PRIVATE_PROFIT","displayName":"Acme","companyName":"Acme LLC","ein":"12-3456789","country":"US",
"email":"a@acme.example","vertical":"TECHNOLOGY","phone":"+14155550123"}`

func TestUnmodelledRouteFailsLoudly(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{})
	for _, path := range []string{"/v2/calls", "/v2/10dlc/brand/abc/revet"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "unmodelled route GET "+path) {
					t.Fatalf("GET %s: recovered %v", path, r)
				}
			}()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			f.sim.ServeHTTP(httptest.NewRecorder(), req)
		}()
	}
	// The state is not left locked by the loud failure.
	var br telnyx.Brand
	if st := f.call("POST", "/v2/10dlc/brand", brandBody, &br); st != http.StatusOK || br.BrandID == "" {
		t.Fatalf("after a panic: %d %+v", st, br)
	}

	sa := newFixture(t, telnyxsim.Config{Standalone: true})
	var env envelope
	if st := sa.call("DELETE", "/v2/messages/x", "", &env); st != http.StatusNotFound || env.Errors[0].Code != telnyx.CodeNotFound ||
		!strings.Contains(env.Errors[0].Detail, "DELETE /v2/messages/x") {
		t.Fatalf("standalone: %d %+v", st, env)
	}
}

func TestAuthAndValidation(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{})
	req, _ := http.NewRequest("GET", f.srv.URL+"/v2/phone_numbers", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	_ = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || env.Errors[0].Code != telnyx.CodeAuthentication {
		t.Fatalf("no key: %d %+v", resp.StatusCode, env)
	}
	env = envelope{}
	if st := f.call("POST", "/v2/messages", `{"from":"+14155550100"}`, &env); st != http.StatusUnprocessableEntity || len(env.Errors) != 2 ||
		env.Errors[0].Source.Pointer != "/to" || env.Errors[1].Source.Pointer != "/text" {
		t.Fatalf("missing to and text: %d %+v", st, env)
	}
	env = envelope{}
	if st := f.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550101","text":"x"}`, &env); st != http.StatusBadRequest ||
		env.Errors[0].Code != "40013" {
		t.Fatalf("from a number not held: %d %+v", st, env)
	}
	env = envelope{}
	if st := f.call("POST", "/v2/10dlc/brand", "{", &env); st != http.StatusBadRequest || env.Errors[0].Code != telnyx.CodeBadRequest {
		t.Fatalf("bad JSON: %d %+v", st, env)
	}
}

// TestReviewTimeline walks a campaign through its review on the fake
// clock and checks the status updates it emits.
func TestReviewTimeline(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{ReviewDelay: 10 * time.Second})
	var br telnyx.Brand
	f.call("POST", "/v2/10dlc/brand", brandBody, &br)
	var cp telnyx.Campaign
	body := `{"brandId":"` + br.BrandID + `","usecase":"CUSTOMER_CARE","description":"Support.","sample1":"Hi."}`
	if st := f.call("POST", "/v2/10dlc/campaignBuilder", body, &cp); st != http.StatusOK || cp.CampaignStatus != telnyx.CampaignTCRPending {
		t.Fatalf("create: %d %+v", st, cp)
	}
	status := func() string {
		var c telnyx.Campaign
		f.call("GET", "/v2/10dlc/campaign/"+cp.CampaignID, "", &c)
		return c.CampaignStatus
	}
	for _, step := range []struct {
		d    time.Duration
		want string
	}{{999 * time.Millisecond, telnyx.CampaignTCRPending}, {time.Millisecond, telnyx.CampaignTCRAccepted},
		{8 * time.Second, telnyx.CampaignTCRAccepted}, {time.Second, telnyx.CampaignMNOProvisioned}} {
		f.clock.Add(step.d)
		if got := status(); got != step.want {
			t.Fatalf("at +%v: %s, want %s", step.d, got, step.want)
		}
	}
	var types []string
	for _, d := range f.sim.Events() {
		var cu telnyx.CampaignStatusUpdate
		if err := json.Unmarshal(d.Body, &cu); err != nil || cu.CampaignID != cp.CampaignID {
			t.Fatalf("event %s", d.Body)
		}
		types = append(types, cu.Type+"/"+cu.Status)
	}
	if strings.Join(types, " ") != "REGISTRATION/success TELNYX_REVIEW/ACCEPTED MNO_REVIEW/ACCEPTED" {
		t.Fatalf("events %v", types)
	}
	if err := f.sim.SetCampaignStatus(cp.CampaignID, telnyx.CampaignMNORejected); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != telnyx.CampaignMNORejected {
		t.Fatalf("pinned: %s", got)
	}
	var page struct {
		Records      []telnyx.Campaign `json:"records"`
		TotalRecords int               `json:"totalRecords"`
	}
	if f.call("GET", "/v2/10dlc/campaign?brandId="+br.BrandID, "", &page); page.TotalRecords != 1 || len(page.Records) != 1 {
		t.Fatalf("list: %+v", page)
	}
}

// TestSignedWebhooks: every webhook is POSTed signed with the key whose
// public half PublicKey gives.
func TestSignedWebhooks(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	defer rc.Close()
	f := newFixture(t, telnyxsim.Config{WebhookURL: rc.URL})
	var order struct {
		Data telnyx.NumberOrder `json:"data"`
	}
	if st := f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, &order); st != http.StatusOK ||
		order.Data.Status != telnyx.OrderSuccess {
		t.Fatalf("order: %d %+v", st, order)
	}
	var in struct {
		Data telnyx.Message `json:"data"`
	}
	if st := f.call("POST", "/sandbox/inbound", `{"from":"+14155550199","to":"+14155550100","text":"hello"}`, &in); st != http.StatusOK || in.Data.Text != "hello" {
		t.Fatalf("inbound: %d %+v", st, in)
	}
	if st := f.call("POST", "/sandbox/inbound", `{"from":"+14155550199","to":"+14155550111","text":"x"}`, nil); st != http.StatusNotFound {
		t.Fatalf("inbound to a number not held: %d", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	pub, err := telnyx.ParsePublicKey(f.sim.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := telnyx.VerifyWebhook(pub, got[0].Header, bodies[0], f.clock.Now(), 0); err != nil {
		t.Fatalf("delivery does not verify: %v", err)
	}
	ev, err := telnyx.ParseWebhook(bodies[0])
	if err != nil || ev.Type != telnyx.EventMessageReceived || ev.Message.Text != "hello" || ev.Message.ID != in.Data.ID {
		t.Fatalf("delivered event %+v, %v", ev, err)
	}
}

// TestInventoryAndMagic: bought numbers leave the inventory and come back
// when released; 555 has none, 500 is down.
func TestInventoryAndMagic(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{})
	type avail struct {
		Data []telnyx.AvailableNumber `json:"data"`
	}
	var a avail
	f.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=617&filter[limit]=2", "", &a)
	if len(a.Data) != 2 || a.Data[0].PhoneNumber != "+16175550100" {
		t.Fatalf("search: %+v", a)
	}
	var order struct {
		Data telnyx.NumberOrder `json:"data"`
	}
	f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+16175550100"}]}`, &order)
	f.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=617&filter[limit]=1", "", &a)
	if a.Data[0].PhoneNumber != "+16175550101" {
		t.Fatalf("bought number still for sale: %+v", a.Data)
	}
	f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+16175550100"}]}`, &order)
	if order.Data.Status != telnyx.OrderFailure || order.Data.PhoneNumbers[0].Status != telnyx.OrderFailure {
		t.Fatalf("second order of an owned number: %+v", order.Data)
	}
	var nums struct {
		Data []telnyx.PhoneNumber `json:"data"`
	}
	f.call("GET", "/v2/phone_numbers?filter[phone_number]=16175550100", "", &nums)
	if len(nums.Data) != 1 {
		t.Fatalf("numbers: %+v", nums)
	}
	f.call("DELETE", "/v2/phone_numbers/"+nums.Data[0].ID, "", nil)
	f.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=617&filter[limit]=1", "", &a)
	if a.Data[0].PhoneNumber != "+16175550100" {
		t.Fatalf("released number not for sale again: %+v", a.Data)
	}

	a = avail{}
	if st := f.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=555", "", &a); st != http.StatusOK || len(a.Data) != 0 {
		t.Fatalf("555: %d %+v", st, a)
	}
	var env envelope
	if st := f.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=500", "", &env); st != http.StatusServiceUnavailable || env.Errors[0].Code != telnyx.CodeUnexpected {
		t.Fatalf("500: %d %+v", st, env)
	}
	if st := f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+15005550100"}]}`, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("order in 500: %d", st)
	}
	var br telnyx.Brand
	f.call("POST", "/v2/10dlc/brand", strings.Replace(brandBody, "12-3456789", "99-9999999", 1), &br)
	var fb telnyx.BrandFeedback
	f.call("GET", "/v2/10dlc/brand/feedback/"+br.BrandID, "", &fb)
	if br.Status != telnyx.BrandRegistrationFailed || len(fb.Category) != 1 || fb.Category[0].ID != "TAX_ID" {
		t.Fatalf("magic EIN: %+v %+v", br, fb)
	}
}

// TestOrderDelayAndUnassignedSends: orders stay pending for OrderDelay; a
// local number not assigned to an active campaign cannot deliver.
func TestOrderDelayAndUnassignedSends(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{OrderDelay: time.Minute, DeliveryDelay: time.Second})
	var order struct {
		Data telnyx.NumberOrder `json:"data"`
	}
	f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, &order)
	if order.Data.Status != telnyx.OrderPending {
		t.Fatalf("order: %+v", order.Data)
	}
	f.clock.Add(time.Minute)
	f.call("GET", "/v2/number_orders/"+order.Data.ID, "", &order)
	if order.Data.Status != telnyx.OrderSuccess {
		t.Fatalf("after the delay: %+v", order.Data)
	}
	var msg struct {
		Data telnyx.Message `json:"data"`
	}
	f.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550101","text":"x"}`, &msg)
	f.clock.Add(2 * time.Second)
	f.call("GET", "/v2/messages/"+msg.Data.ID, "", &msg)
	if msg.Data.To[0].Status != telnyx.DeliveryFailed || len(msg.Data.Errors) != 1 || msg.Data.Errors[0].Code != "40008" {
		t.Fatalf("text from an unassigned number: %+v", msg.Data)
	}
}

func TestFaultsAndHook(t *testing.T) {
	f := newFixture(t, telnyxsim.Config{})
	f.sim.SetFaults(telnyxsim.Faults{ErrorRate: 1, Seed: 7})
	var env envelope
	if st := f.call("GET", "/v2/phone_numbers", "", &env); (st != 500 && st != 503) || env.Errors[0].Code != telnyx.CodeUnexpected {
		t.Fatalf("error fault: %d %+v", st, env)
	}
	f.sim.SetFaults(telnyxsim.Faults{RateLimitRate: 1})
	req, _ := http.NewRequest("GET", f.srv.URL+"/v2/phone_numbers", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("rate limit fault: %d %v", resp.StatusCode, resp.Header)
	}
	f.sim.SetFaults(telnyxsim.Faults{})
	f.sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		b, _ := io.ReadAll(r.Body)
		return http.StatusTeapot, bytes.ToUpper(b), true
	})
	if st := f.call("POST", "/v2/messages", `{"to":"x"}`, nil); st != http.StatusTeapot {
		t.Fatalf("before hook: %d", st)
	}
	f.sim.SetBeforeFunc(nil)
	if n := f.sim.RequestCount("GET", "/v2/phone_numbers"); n != 2 {
		t.Fatalf("request count %d, want 2", n)
	}
	if len(f.sim.Messages()) != 0 {
		t.Fatal("a hooked request acted")
	}
}

// TestStandaloneInboundGoesToTheOwner: a standalone simulator with no
// webhook URL of its own serves several servers; a text to a number is
// posted to the webhook of the campaign the number is assigned to.
func TestStandaloneInboundGoesToTheOwner(t *testing.T) {
	got := make(chan []byte, 4)
	owner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer owner.Close()
	f := newFixture(t, telnyxsim.Config{Standalone: true})
	var br telnyx.Brand
	f.call("POST", "/v2/10dlc/brand", brandBody, &br)
	var cp telnyx.Campaign
	body := `{"brandId":"` + br.BrandID + `","usecase":"CUSTOMER_CARE","description":"Support.","sample1":"Hi.","webhookURL":"` + owner.URL + `/webhooks/telnyx"}`
	if st := f.call("POST", "/v2/10dlc/campaignBuilder", body, &cp); st != http.StatusOK {
		t.Fatalf("create campaign: %d", st)
	}
	if err := f.sim.SetCampaignStatus(cp.CampaignID, telnyx.CampaignMNOProvisioned); err != nil {
		t.Fatal(err)
	}
	f.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, nil)
	if st := f.call("POST", "/v2/10dlc/phone_number_campaigns", `{"phoneNumber":"+14155550100","campaignId":"`+cp.CampaignID+`"}`, nil); st != http.StatusOK {
		t.Fatalf("assign: %d", st)
	}
	if st := f.call("POST", "/sandbox/inbound", `{"from":"+14155550199","to":"+14155550100","text":"hello"}`, nil); st != http.StatusOK {
		t.Fatalf("inbound: %d", st)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case b := <-got:
			if ev, err := telnyx.ParseWebhook(b); err == nil && ev.Type == telnyx.EventMessageReceived {
				return
			}
		case <-deadline:
			t.Fatal("the text was not posted to the number's owner")
		}
	}
}
