package surge_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// sentBody is one request body the client sent, as JSON.
type sentBody struct {
	route string
	body  map[string]any
}

// recordBodies sets up a simulator that keeps every JSON body the client sends.
func recordBodies(t *testing.T) (*bundle, func() []sentBody) {
	t.Helper()
	var (
		mu   sync.Mutex
		sent []sentBody
	)
	now := time.Now()
	// A still clock keeps the campaign "created", so it may be updated.
	b := setup(t, surgesim.Config{Now: func() time.Time { return now }, BeforeFunc: func(r *http.Request) (int, []byte, bool) {
		var m map[string]any
		if r.Body != nil && json.NewDecoder(r.Body).Decode(&m) == nil {
			mu.Lock()
			sent = append(sent, sentBody{r.Method + " " + r.URL.Path, m})
			mu.Unlock()
		}
		return 0, nil, false
	}}, surge.Options{})
	return b, func() []sentBody {
		mu.Lock()
		defer mu.Unlock()
		return append([]sentBody(nil), sent...)
	}
}

// nulls lists the paths of every null in v.
func nulls(prefix string, v any) []string {
	var out []string
	switch v := v.(type) {
	case nil:
		out = append(out, prefix)
	case map[string]any:
		for k, x := range v {
			out = append(out, nulls(prefix+"."+k, x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, nulls(prefix+"[]", x)...)
		}
	}
	return out
}

// lookup returns the value at a dotted path of a body.
func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestRequestsOmitUnsetOptionalFields: every request body the client sends
// leaves an unset optional field out rather than sending null — the SDK
// types link_sample and the contact's names and email as optional, not
// nullable — and carries every field the SDK marks required.
func TestRequestsOmitUnsetOptionalFields(t *testing.T) {
	t.Parallel()
	b, sent := recordBodies(t)
	ctx := t.Context()

	bare := must(b.client.CreateAccount(ctx, surge.AccountCreate{Name: "Bare"}))
	must(b.client.UpdateAccount(ctx, bare.ID, surge.AccountUpdate{Name: surge.String("Bare Co")}))
	org := surgesim.SampleOrganization()
	acct := must(b.client.CreateAccount(ctx, surge.AccountCreate{Name: "Example", Organization: &org}))
	must(b.client.UpdateAccount(ctx, acct.ID, surge.AccountUpdate{Organization: &surge.Organization{Address: &surge.Address{Region: surge.String("UT")}}}))
	camp := must(b.client.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	must(b.client.UpdateCampaign(ctx, camp.ID, surgesim.SampleCampaign()))
	pn := must(b.client.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal}))
	must(b.client.UpdateNumber(ctx, pn.ID, surge.NumberUpdate{Name: "Front desk"}))
	must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", From: pn.ID, Body: "hi"}))
	must(b.client.SendMessage(ctx, acct.ID, surge.MessageCreate{Body: "hi again", Conversation: &surge.ConversationCreate{
		Contact: surge.ContactCreate{PhoneNumber: "+18015550124"}}}))
	ct := must(b.client.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+18015550125"}))
	must(b.client.UpdateContact(ctx, ct.ID, surge.ContactUpdate{PhoneNumber: "+18015550125", LastName: surge.String("Lovelace")}))

	absent := map[string][]string{
		"POST /accounts": {"brand_name", "time_zone"},
		"POST /accounts/" + acct.ID + "/campaigns":     {"link_sample", "tcr_id", "includes"},
		"PATCH /campaigns/" + camp.ID:                  {"link_sample", "tcr_id", "includes"},
		"POST /accounts/" + acct.ID + "/messages":      {"conversation.contact.first_name", "conversation.contact.last_name", "conversation.contact.email", "send_at", "settings"},
		"POST /accounts/" + acct.ID + "/contacts":      {"first_name", "last_name", "email", "metadata"},
		"PATCH /contacts/" + ct.ID:                     {"first_name", "email", "metadata"},
		"POST /accounts/" + acct.ID + "/phone_numbers": {"area_code", "latitude", "longitude", "phone_number", "name"},
		"PATCH /phone_numbers/" + pn.ID:                {"campaign_id"},
	}
	required := map[string][]string{
		"POST /accounts/" + acct.ID + "/campaigns": {"consent_flow", "description", "message_samples", "privacy_policy_url",
			"terms_and_conditions_url", "use_cases", "volume"},
		"PATCH /campaigns/" + camp.ID:             {"terms_and_conditions_url", "privacy_policy_url"},
		"POST /accounts/" + acct.ID + "/contacts": {"phone_number"},
		"PATCH /contacts/" + ct.ID:                {"phone_number", "last_name"},
	}
	bodies := sent()
	if len(bodies) != 12 {
		t.Fatalf("recorded %d bodies, want 12", len(bodies))
	}
	seen := map[string]bool{}
	for _, s := range bodies {
		seen[s.route] = true
		if n := nulls("", s.body); len(n) > 0 {
			t.Errorf("%s sends null at %v: %v", s.route, n, s.body)
		}
		for _, k := range absent[s.route] {
			if v, ok := lookup(s.body, k); ok {
				t.Errorf("%s sends %s = %v, want it absent", s.route, k, v)
			}
		}
		for _, k := range required[s.route] {
			if _, ok := lookup(s.body, k); !ok {
				t.Errorf("%s lacks the required %s: %v", s.route, k, s.body)
			}
		}
	}
	for route := range absent {
		if !seen[route] {
			t.Errorf("no request to %s was recorded", route)
		}
	}
}

// TestOptionalFieldsDecodeFromNull: what Surge's docs show (explicit nulls)
// and what its SDK types (absent) both decode to nil.
func TestOptionalFieldsDecodeFromNull(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"id":"cpn_1","status":"active","link_sample":null,"terms_and_conditions_url":null}`,
		`{"id":"cpn_1","status":"active"}`,
	} {
		var c surge.Campaign
		if err := json.Unmarshal([]byte(body), &c); err != nil || c.LinkSample != nil || c.TermsAndConditionsURL != nil {
			t.Errorf("campaign %s: %+v (%v)", body, c, err)
		}
	}
	for _, body := range []string{
		`{"id":"ctc_1","phone_number":"+18015550123","first_name":null,"last_name":null,"email":null}`,
		`{"id":"ctc_1","phone_number":"+18015550123"}`,
	} {
		var c surge.Contact
		if err := json.Unmarshal([]byte(body), &c); err != nil || c.FirstName != nil || c.LastName != nil || c.Email != nil {
			t.Errorf("contact %s: %+v (%v)", body, c, err)
		}
	}
}

// TestContactUpdateRequiresPhoneNumber: Surge (per its SDK) refuses a
// contact update without phone_number; the client's type always sends it.
func TestContactUpdateRequiresPhoneNumber(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{})
	acct := readyAccount(t, b)
	ct := must(b.client.CreateContact(t.Context(), acct.ID, surge.ContactCreate{PhoneNumber: "+18015550123"}))
	_, err := b.client.UpdateContact(t.Context(), ct.ID, surge.ContactUpdate{FirstName: surge.String("Ada")})
	e := apiErr(t, err, 422, "validation_error")
	if got := e.Detail["phone_number"]; len(got) != 1 || got[0] != "can't be blank" {
		t.Fatalf("detail %v, want phone_number can't be blank", e.Detail)
	}
}

// TestCampaignRequiresTermsURL: a standard campaign without
// terms_and_conditions_url is refused naming the field, and the adapter
// names the subject's field that feeds it.
func TestCampaignRequiresTermsURL(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{})
	acct := readyAccount(t, b)
	cr := surge.NewCarrier(b.client, "")
	req := carrier.CampaignRequest{ConsentFlow: surgesim.SampleCampaign().ConsentFlow, Description: surgesim.SampleCampaign().Description,
		MessageSamples: surgesim.SampleCampaign().MessageSamples, PrivacyPolicyURL: "https://example.com/privacy",
		UseCases: []string{"customer_care"}, Volume: "low"}
	_, err := cr.CreateCampaign(t.Context(), acct.ID, req)
	var ce *carrier.Error
	if !carrier.Is(err, carrier.Invalid) || !errors.As(err, &ce) || len(ce.Fields) != 1 || ce.Fields[0] != "terms_url" {
		t.Fatalf("err %v, want invalid naming terms_url", err)
	}
	apiErr(t, err, 422, "validation_error")
	req.TermsURL = "https://example.com/terms"
	if _, err := cr.CreateCampaign(t.Context(), acct.ID, req); err != nil {
		t.Fatal(err)
	}
}
