package surgesim_test

import (
	"context"
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

const key = "sk_test_key"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// newSim returns a simulator and a real client mounted on it in-process.
func newSim(t *testing.T, cfg surgesim.Config) (*surgesim.Server, *surge.Client) {
	t.Helper()
	cfg.APIKey = key
	sim := surgesim.New(cfg)
	t.Cleanup(sim.Close)
	c := surge.NewClient(surge.Options{APIKey: key, HTTPClient: &http.Client{Transport: sim.Transport()}, MaxRetries: -1})
	return sim, c
}

func readyAccount(t *testing.T, c *surge.Client) surge.Account {
	t.Helper()
	org := surgesim.SampleOrganization()
	return must(c.CreateAccount(t.Context(), surge.AccountCreate{Name: "Example", Organization: &org}))
}

// call sends a raw request to h and returns the status and body.
func call(t *testing.T, h http.Handler, method, path, body string, hdr ...string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+key)
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, strings.TrimSpace(w.Body.String())
}

func eventTypes(evs []surge.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestCampaignLifecycleAttachesNumbers(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	sim, c := newSim(t, surgesim.Config{Now: clk.Now, ReviewDelay: 30 * time.Second})
	ctx := t.Context()
	acct := readyAccount(t, c)
	early := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	tollFree := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberTollFree}))

	cpn := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	if cpn.Status != surge.CampaignCreated {
		t.Fatalf("status at creation %s", cpn.Status)
	}
	// A number pointed at a campaign under review waits for its approval.
	pending := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "801"}))
	pending = must(c.UpdateNumber(ctx, pending.ID, surge.NumberUpdate{CampaignID: cpn.ID}))
	if pending.Campaign == nil || pending.Campaign.AttachmentStatus != surge.AttachmentPending {
		t.Fatalf("pending attach %+v", pending.Campaign)
	}

	clk.Advance(999 * time.Millisecond)
	if s := must(c.GetCampaign(ctx, cpn.ID)).Status; s != surge.CampaignCreated {
		t.Fatalf("at 999ms: %s", s)
	}
	clk.Advance(time.Millisecond)
	if s := must(c.GetCampaign(ctx, cpn.ID)).Status; s != surge.CampaignInReview {
		t.Fatalf("at 1s: %s", s)
	}
	if len(sim.Events()) != 0 {
		t.Fatalf("events before approval: %v", eventTypes(sim.Events()))
	}
	clk.Advance(29 * time.Second)
	sim.Tick() // what the background ticker does; no API read needed

	evs := sim.Events()
	if want := []string{"campaign.approved", "phone_number.attached_to_campaign", "phone_number.attached_to_campaign"}; !slices.Equal(eventTypes(evs), want) {
		t.Fatalf("events %v, want %v", eventTypes(evs), want)
	}
	var approved struct{ ID, Status string }
	_ = json.Unmarshal(evs[0].Data, &approved)
	if approved.ID != cpn.ID || approved.Status != "active" || evs[0].AccountID != acct.ID || !evs[0].Timestamp.Equal(clk.Now()) {
		t.Fatalf("approved event %+v %s", approved, evs[0].Timestamp)
	}
	var attached surge.PhoneNumber
	_ = json.Unmarshal(evs[1].Data, &attached)
	if attached.ID != early.ID || attached.Campaign.ID != cpn.ID || *attached.CampaignID != cpn.ID {
		t.Fatalf("attached event %+v", attached)
	}
	if !regexp.MustCompile(`^evt_[0-9a-hjkmnp-tv-z]{26}$`).MatchString(evs[0].ID) {
		t.Fatalf("event id %q", evs[0].ID)
	}

	for _, n := range sim.Numbers(acct.ID) {
		switch n.ID {
		case tollFree.ID:
			if n.Campaign != nil {
				t.Fatalf("toll-free number attached: %+v", n)
			}
		default:
			if n.Campaign == nil || n.Campaign.AttachmentStatus != surge.AttachmentAttached || n.Campaign.ID != cpn.ID {
				t.Fatalf("number %s not attached: %+v", n.Number, n.Campaign)
			}
		}
	}
	// Bought while a campaign is active: attached at purchase.
	late := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "720"}))
	if late.Campaign == nil || late.Campaign.AttachmentStatus != surge.AttachmentAttached {
		t.Fatalf("late purchase %+v", late.Campaign)
	}
	if n := len(sim.Events()); n != 4 {
		t.Fatalf("%d events, want 4", n)
	}
	sim.Tick()
	if n := len(sim.Events()); n != 4 {
		t.Fatalf("activation ran twice: %d events", n)
	}
}

func TestRejectMagicAndResubmit(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	sim, c := newSim(t, surgesim.Config{Now: clk.Now, ReviewDelay: 4 * time.Second})
	ctx := t.Context()
	acct := readyAccount(t, c)
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))

	body := surgesim.SampleCampaign()
	body.Description += " " + surgesim.MagicReject
	cpn := must(c.CreateCampaign(ctx, acct.ID, body))
	clk.Advance(4 * time.Second)
	if s := must(c.GetCampaign(ctx, cpn.ID)).Status; s != surge.CampaignRejected {
		t.Fatalf("status %s, want rejected", s)
	}
	if evs := sim.Events(); len(evs) != 0 {
		t.Fatalf("a rejection emitted %v", eventTypes(evs))
	}

	fixed := must(c.UpdateCampaign(ctx, cpn.ID, surgesim.SampleCampaign()))
	if fixed.Status != surge.CampaignCreated {
		t.Fatalf("resubmitted status %s", fixed.Status)
	}
	clk.Advance(4 * time.Second)
	if s := must(c.GetCampaign(ctx, cpn.ID)).Status; s != surge.CampaignActive {
		t.Fatalf("resubmitted campaign %s, want active", s)
	}
	if got := eventTypes(sim.Events()); !slices.Equal(got, []string{"campaign.approved", "phone_number.attached_to_campaign"}) {
		t.Fatalf("events %v", got)
	}
	_, err := c.UpdateCampaign(ctx, cpn.ID, surgesim.SampleCampaign())
	if !surge.IsType(err, "campaign_locked") {
		t.Fatalf("patch active campaign: %v", err)
	}
}

func TestSetCampaignStatus(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{ReviewDelay: time.Hour})
	ctx := t.Context()
	acct := readyAccount(t, c)
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	a := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	b := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))

	if err := sim.SetCampaignStatus(a.ID, surge.CampaignActive); err != nil {
		t.Fatal(err)
	}
	if got := eventTypes(sim.Events()); !slices.Equal(got, []string{"campaign.approved", "phone_number.attached_to_campaign"}) {
		t.Fatalf("events after approve: %v", got)
	}
	if err := sim.SetCampaignStatus(b.ID, surge.CampaignRejected); err != nil {
		t.Fatal(err)
	}
	list := must(c.ListCampaigns(ctx, acct.ID))
	if len(list) != 2 || list[0].Status != surge.CampaignActive || list[1].Status != surge.CampaignRejected {
		t.Fatalf("list %+v", list)
	}
	if accts := sim.Accounts(); len(accts) != 1 || accts[0].ID != acct.ID {
		t.Fatalf("Accounts() %+v", accts)
	}
	if all := sim.Campaigns(); len(all) != 2 || all[0].ID != a.ID {
		t.Fatalf("Campaigns() %+v", all)
	}
	if err := sim.SetCampaignStatus("cpn_nope", surge.CampaignActive); err == nil {
		t.Fatal("unknown campaign accepted")
	}
	if err := sim.SetCampaignStatus(a.ID, "approved"); err == nil {
		t.Fatal("unknown status accepted")
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	type delivery struct {
		ev  surge.Event
		err error
	}
	got := make(chan delivery, 16)
	var mu sync.Mutex
	attempts := 0
	var secret string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		first := attempts == 1
		mu.Unlock()
		if first {
			http.Error(w, "try later", http.StatusServiceUnavailable) // the simulator must retry
			return
		}
		body, _ := io.ReadAll(r.Body)
		var ev surge.Event
		err := webhooksig.Verify(secret, r.Header, body, time.Now(), 0)
		if err == nil {
			err = json.Unmarshal(body, &ev)
		}
		if err == nil && r.Header.Get(webhooksig.HeaderID) != ev.ID {
			err = fmt.Errorf("webhook-id %q for event %q", r.Header.Get(webhooksig.HeaderID), ev.ID)
		}
		if err == nil && !strings.HasPrefix(r.Header.Get("surge-signature"), "t=") {
			err = errors.New("no legacy surge-signature header")
		}
		got <- delivery{ev, err}
	}))
	t.Cleanup(recv.Close)

	// Real clock and a short review: only the background ticker drives approval here.
	sim, c := newSim(t, surgesim.Config{ReviewDelay: 50 * time.Millisecond, WebhookURL: recv.URL})
	secret = sim.WebhookSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("generated secret %q", secret)
	}
	ctx := t.Context()
	acct := readyAccount(t, c)
	n := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	cpn := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))

	var evs []surge.Event
	for len(evs) < 2 {
		select {
		case d := <-got:
			if d.err != nil {
				t.Fatal(d.err)
			}
			evs = append(evs, d.ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for webhooks; got %v", eventTypes(evs))
		}
	}
	if evs[0].Type != surge.EventCampaignApproved || evs[1].Type != surge.EventPhoneNumberAttachedToCampaign {
		t.Fatalf("delivered %v", eventTypes(evs))
	}
	var pn surge.PhoneNumber
	if err := json.Unmarshal(evs[1].Data, &pn); err != nil || pn.ID != n.ID || pn.Campaign.ID != cpn.ID {
		t.Fatalf("attached data %+v %v", pn, err)
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{})
	ctx := t.Context()
	acct := readyAccount(t, c)

	// An unmodelled route fails the call loudly without taking the process down.
	hc := &http.Client{Transport: sim.Transport()}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.surge.app/accounts/"+acct.ID+"/blasts", strings.NewReader(`{}`))
	_, err := hc.Do(req)
	if err == nil || !strings.Contains(err.Error(), "surgesim: unmodelled route POST /accounts/"+acct.ID+"/blasts") {
		t.Fatalf("unmodelled route err = %v", err)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, "https://api.surge.app/accounts/"+acct.ID, nil)
	if _, err := hc.Do(req); err == nil || !strings.Contains(err.Error(), "unmodelled route PUT") {
		t.Fatalf("unmodelled method err = %v", err)
	}

	// A lost response in-process still means "maybe done".
	sim.SetFaults(surgesim.Faults{LoseResponseRate: 1})
	_, err = c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal})
	if !errors.Is(err, surge.ErrUnknownOutcome) || !errors.Is(err, surgesim.ErrDroppedResponse) {
		t.Fatalf("lost response err = %v", err)
	}
	if len(sim.AllNumbers()) != 1 {
		t.Fatalf("numbers %+v", sim.AllNumbers())
	}

	// A hung request returns when the caller's context ends.
	sim.SetFaults(surgesim.Faults{TimeoutRate: 1})
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.GetAccount(tctx, acct.ID)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("hung request err = %v after %s", err, time.Since(start))
	}
	sim.SetFaults(surgesim.Faults{})
	sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		return http.StatusConflict, []byte(`{"error":{"type":"hooked","message":"from BeforeFunc"}}`), true
	})
	if _, err := c.GetAccount(ctx, acct.ID); !surge.IsType(err, "hooked") {
		t.Fatalf("BeforeFunc answer: %v", err)
	}
	sim.SetBeforeFunc(nil)
	sim.SetFaults(surgesim.Faults{Latency: 5 * time.Millisecond})
	if got := must(c.GetAccount(ctx, acct.ID)); got.ID != acct.ID {
		t.Fatalf("after faults cleared: %+v", got)
	}
}

func TestUnmodelledRoutePanics(t *testing.T) {
	t.Parallel()
	sim := surgesim.New(surgesim.Config{})
	defer sim.Close()
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/recordings/rec_1"}, // an unknown path
		{http.MethodPut, "/accounts/acct_1"},  // a known path, an unmodelled method
	} {
		func() {
			defer func() {
				if p := recover(); p != "surgesim: unmodelled route "+tc.method+" "+tc.path {
					t.Errorf("recovered %v", p)
				}
			}()
			call(t, sim, tc.method, tc.path, "")
		}()
	}
}

// TestStandaloneAnswersUnmodelledRoutes: with Standalone, a route the
// simulator does not model gets a Surge-shaped error naming it, over HTTP
// and in-process alike, and modelled routes are unaffected.
func TestStandaloneAnswersUnmodelledRoutes(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{Standalone: true})
	acct := readyAccount(t, c)
	for _, tc := range []struct {
		method, path string
		code         int
		allow, want  string
	}{
		{http.MethodGet, "/recordings/rec_1", 404, "",
			`{"error":{"type":"not_found","message":"The requested resource could not be found: the sandbox does not model GET /recordings/rec_1."}}`},
		{http.MethodPost, "/accounts/" + acct.ID + "/blasts", 404, "",
			`{"error":{"type":"not_found","message":"The requested resource could not be found: the sandbox does not model POST /accounts/` + acct.ID + `/blasts."}}`},
		{http.MethodPut, "/accounts/" + acct.ID, 501, "GET, PATCH, DELETE",
			`{"error":{"type":"not_implemented","message":"The sandbox does not model PUT /accounts/` + acct.ID + `; it models GET, PATCH, DELETE on this path."}}`},
		{http.MethodDelete, "/campaigns/cpn_1", 501, "GET, PATCH", `"type":"not_implemented"`},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		sim.ServeHTTP(w, r)
		body := strings.TrimSpace(w.Body.String())
		if w.Code != tc.code || !strings.Contains(body, tc.want) || w.Header().Get("Allow") != tc.allow ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s (Allow %q)\nwant %d %s (Allow %q)", tc.method, tc.path, w.Code, body, w.Header().Get("Allow"), tc.code, tc.want, tc.allow)
		}
	}
	// In-process, the client reads it as any Surge error.
	hc := surge.NewClient(surge.Options{APIKey: key, HTTPClient: &http.Client{Transport: sim.Transport()}, MaxRetries: -1})
	_, err := hc.GetNumber(t.Context(), "pn_1")
	if !surge.IsNotFound(err) {
		t.Fatalf("a modelled route: %v", err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://api.surge.app/recordings/rec_1", nil)
	res, err := (&http.Client{Transport: sim.Transport()}).Do(req)
	if err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("in-process unmodelled route: %v %v", res, err)
	}
	res.Body.Close()
	must(c.GetAccount(t.Context(), acct.ID))
}

func TestWireFormat(t *testing.T) {
	t.Parallel()
	sim := surgesim.New(surgesim.Config{APIKey: key})
	defer sim.Close()
	idRE := regexp.MustCompile(`^acct_[0-9a-hjkmnp-tv-z]{26}$`)

	code, body := call(t, sim, "POST", "/accounts", `{"name":"Raw","surprise":{"x":1}}`)
	var acct map[string]any
	if err := json.Unmarshal([]byte(body), &acct); err != nil || code != 201 || !idRE.MatchString(acct["id"].(string)) {
		t.Fatalf("create: %d %s", code, body)
	}
	id := acct["id"].(string)
	org := acct["organization"].(map[string]any)
	if v, ok := acct["brand_name"]; !ok || v != nil {
		t.Fatalf("brand_name not an explicit null: %s", body)
	}
	if v, ok := org["registered_name"]; !ok || v != nil || org["address"].(map[string]any)["region"] != nil {
		t.Fatalf("organization nulls: %s", body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		code                     int
		want                     string
	}{
		{"missing key", "GET", "/accounts/" + id, "", []string{"Authorization", ""}, 401,
			`{"error":{"type":"missing_api_key","message":"No API key was provided. Send it as Authorization: Bearer \u003ckey\u003e."}}`},
		{"wrong key", "GET", "/accounts/" + id, "", []string{"Authorization", "Bearer nope"}, 401,
			`{"error":{"type":"invalid_api_key","message":"The API key provided is invalid."}}`},
		{"basic auth", "GET", "/accounts/" + id + "/status?capabilities=local_messaging", "", []string{"Authorization", "Basic " + basic(key)}, 200, ""},
		{"unknown account", "GET", "/accounts/acct_x/phone_numbers", "", nil, 404,
			`{"error":{"type":"account_not_found","message":"The account could not be found."}}`},
		{"unknown number", "GET", "/phone_numbers/pn_x", "", nil, 404,
			`{"error":{"type":"not_found","message":"The requested resource could not be found."}}`},
		{"no inventory", "POST", "/accounts/" + id + "/phone_numbers", `{"area_code":"555"}`, nil, 422,
			`{"error":{"type":"no_matching_numbers","message":"No phone numbers matching the criteria are available."}}`},
		{"bad area code", "POST", "/accounts/" + id + "/phone_numbers", `{"area_code":"41"}`, nil, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"area_code":["must be 3 digits"]}}}`},
		{"malformed json", "POST", "/accounts", `{"name":`, nil, 400,
			`{"error":{"type":"bad_request","message":"The request body is not valid JSON."}}`},
		{"trailing garbage", "POST", "/accounts", `{"name":"a"} x`, nil, 400, ""},
		{"wrong content type", "POST", "/accounts", `{"name":"a"}`, []string{"Content-Type", "text/plain"}, 400,
			`{"error":{"type":"bad_request","message":"Content-Type must be application/json."}}`},
		{"wrong json type", "PATCH", "/accounts/" + id, `{"organization":{"type":7}}`, nil, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"organization.type":["is invalid"]}}}`},
		{"bad enum", "PATCH", "/accounts/" + id, `{"organization":{"industry":"piracy"}}`, nil, 422,
			`{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"organization.industry":["is not included in the list"]}}}`},
		{"bad cursor", "GET", "/accounts/" + id + "/phone_numbers?after=bogus", "", nil, 422,
			`{"error":{"type":"invalid_pagination","message":"The pagination cursor is invalid."}}`},
		{"empty list", "GET", "/accounts/" + id + "/phone_numbers", "", nil, 200,
			`{"data":[],"pagination":{"next_cursor":null,"previous_cursor":null}}`},
		{"status needs capabilities", "GET", "/accounts/" + id + "/status", "", nil, 422, ""},
		{"campaign not ready", "POST", "/accounts/" + id + "/campaigns", mustJSON(surgesim.SampleCampaign()), nil, 422, ""},
		{"purchase 201", "POST", "/accounts/" + id + "/phone_numbers", `{"type":"local","area_code":"303","extra":true}`, nil, 201,
			`"number":"+13035551234","type":"local","name":"(303) 555-1234","campaign":null,"campaign_id":null}`},
	} {
		code, body := call(t, sim, tc.method, tc.path, tc.body, tc.hdr...)
		if code != tc.code || !strings.HasSuffix(body, tc.want) {
			t.Errorf("%s: %d %s\nwant %d …%s", tc.name, code, body, tc.code, tc.want)
		}
	}
	if n := sim.RequestCount("POST", "/accounts"); n != 4 {
		t.Errorf("RequestCount(POST /accounts) = %d, want 4", n)
	}
}

func basic(k string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(k, "")
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func mustJSON(v any) string { return string(must(json.Marshal(v))) }

func TestPaginationBothWays(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{})
	ctx := t.Context()
	acct := readyAccount(t, c)
	for range 60 {
		must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "212"}))
	}
	page := func(q string) surge.Page[surge.PhoneNumber] {
		code, body := call(t, sim, "GET", "/accounts/"+acct.ID+"/phone_numbers"+q, "")
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		var p surge.Page[surge.PhoneNumber]
		_ = json.Unmarshal([]byte(body), &p)
		return p
	}
	first := page("")
	if len(first.Data) != 50 || first.Pagination.NextCursor == nil || first.Pagination.PreviousCursor != nil {
		t.Fatalf("first page: %d items, %+v", len(first.Data), first.Pagination)
	}
	// Deleting the item a cursor points at does not break the cursor.
	must(c.ReleaseNumber(ctx, first.Data[49].ID))
	second := page("?after=" + *first.Pagination.NextCursor)
	if len(second.Data) != 10 || second.Data[0].Number != "+12125551284" || second.Pagination.NextCursor != nil || second.Pagination.PreviousCursor == nil {
		t.Fatalf("second page: %d items from %s, %+v", len(second.Data), second.Data[0].Number, second.Pagination)
	}
	back := page("?before=" + *second.Pagination.PreviousCursor)
	if len(back.Data) != 49 || back.Data[0].ID != first.Data[0].ID || back.Pagination.PreviousCursor != nil {
		t.Fatalf("back page: %d items, %+v", len(back.Data), back.Pagination)
	}
	if code, _ := call(t, sim, "GET", "/accounts/"+acct.ID+"/phone_numbers?after=x&before=y", ""); code != 422 {
		t.Fatalf("after+before: %d", code)
	}
}

func TestAccountStatusErrors(t *testing.T) {
	t.Parallel()
	_, c := newSim(t, surgesim.Config{})
	ctx := t.Context()
	status := func(mutate func(*surge.Organization)) surge.CapabilityStatus {
		org := surgesim.SampleOrganization()
		mutate(&org)
		a := must(c.CreateAccount(ctx, surge.AccountCreate{Name: "x", Organization: &org}))
		return must(c.AccountStatus(ctx, a.ID)).Capabilities[surge.CapabilityLocalMessaging]
	}
	for _, ein := range []string{"99-9999999", "999999999"} {
		st := status(func(o *surge.Organization) { o.Identifier = surge.String(ein) })
		if st.Status != surge.CapabilityError || len(st.Errors) != 1 || st.Errors[0].Type != "ein_mismatch" || st.Errors[0].Field != "organization.identifier" {
			t.Fatalf("magic EIN %s: %+v", ein, st)
		}
	}
	// Errors take precedence over missing fields.
	st := status(func(o *surge.Organization) { o.Identifier = surge.String("12-345"); o.Website = nil })
	if st.Status != surge.CapabilityError || st.Errors[0].Type != "invalid_identifier" || !slices.Equal(st.FieldsNeeded, []string{"organization.website"}) {
		t.Fatalf("bad EIN: %+v", st)
	}
	st = status(func(o *surge.Organization) { o.Contact.Title = surge.String("other"); o.Address.Country = nil })
	if st.Status != surge.CapabilityIncomplete || !slices.Equal(st.FieldsNeeded, []string{"organization.contact.title_other"}) {
		t.Fatalf("title other: %+v", st)
	}
	_, err := c.AccountStatus(ctx, "acct_missing")
	if !surge.IsType(err, "account_not_found") {
		t.Fatalf("status of missing account: %v", err)
	}
}

func TestNumberLimitAndConcurrency(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{NumberLimit: 25})
	ctx := t.Context()
	acct := readyAccount(t, c)
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for range 30 {
		wg.Go(func() {
			_, err := c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	limited := 0
	for err := range errs {
		switch {
		case surge.IsType(err, "phone_number_limit"):
			limited++
		case err != nil:
			t.Fatal(err)
		}
	}
	nums := sim.Numbers(acct.ID)
	seen := map[string]bool{}
	for _, n := range nums {
		seen[n.Number] = true
	}
	if limited != 5 || len(nums) != 25 || len(seen) != 25 {
		t.Fatalf("limited %d, numbers %d, distinct %d", limited, len(nums), len(seen))
	}
}

func TestFaultsAreSeeded(t *testing.T) {
	t.Parallel()
	run := func() []int {
		sim := surgesim.New(surgesim.Config{})
		defer sim.Close()
		sim.SetFaults(surgesim.Faults{ErrorRate: 0.3, RateLimitRate: 0.3, Seed: 42})
		var codes []int
		for range 30 {
			code, _ := call(t, sim, "GET", "/accounts", "")
			codes = append(codes, code)
		}
		return codes
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	kinds := map[int]bool{}
	for _, c := range a {
		kinds[c] = true
	}
	if !kinds[200] || !kinds[429] || !(kinds[500] || kinds[503]) {
		t.Fatalf("fault mix %v", a)
	}
}
