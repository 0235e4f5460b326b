package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// TestCampaignContent: before the first provision the content shows the
// defaults built from the profile; PATCH sets fields (refusing what the
// carrier would), "" resets one, a viewer may not edit; the first number
// registers exactly the content shown; then the content is locked (409,
// naming the resubmit route).
func TestCampaignContent(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		path := "/v1/subjects/" + sid + "/campaign-content"

		c := h.must(200, h.call("GET", path, h.testKey, nil)).json(t)
		if c["subject_id"] != sid || c["editable"] != true || c["campaign_status"] != nil || len(c["customized"].([]any)) != 0 ||
			!strings.Contains(c["description"].(string), "Acme Robotics LLC") || len(c["message_samples"].([]any)) != 2 ||
			c["volume"] != "low" || c["privacy_policy_url"] != "https://acme.example/privacy" || c["updated_at"] != nil {
			t.Fatalf("defaults %v", c)
		}
		// The unscoped form is the caller's default subject's.
		def := h.must(200, h.call("GET", "/v1/campaign-content", h.testKey, nil)).json(t)
		if def["subject_id"] == sid || def["subject_id"] == "" {
			t.Fatalf("unscoped content %v", def)
		}
		if r := h.call("GET", "/v1/subjects/01a232d2-0000-7000-8000-000000000000/campaign-content", h.testKey, nil); r.Status != 404 {
			t.Fatalf("unknown subject: %d %s", r.Status, r.Body)
		}

		// Validation: nothing stored.
		for body, param := range map[string]string{
			`{"description":"too short"}`:                            "description",
			`{"message_samples":["only one"]}`:                       "message_samples",
			`{"message_samples":["1","2","3","4","5","6"]}`:          "message_samples",
			`{"use_cases":["spam"]}`:                                 "use_cases[0]",
			`{"volume":"huge"}`:                                      "volume",
			`{"consent_flow":"a\u0000b"}`:                            "consent_flow",
			"{\"help_message\":\"\xff\"}":                            "help_message",
			`{"terms_url":"ftp://acme.example/terms"}`:               "terms_url",
			`{"opt_out_message":"` + strings.Repeat("x", 321) + `"}`: "opt_out_message",
		} {
			if r := h.call("PATCH", path, h.testKey, body); r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		if r := h.call("PATCH", path, h.testKey, `{"nope":1}`); r.Status != 400 {
			t.Fatalf("unknown field: %d %s", r.Status, r.Body)
		}
		if c := h.must(200, h.call("GET", path, h.testKey, nil)).json(t); len(c["customized"].([]any)) != 0 {
			t.Fatalf("refused patches stored %v", c)
		}

		// A viewer may not edit it; an agent and an owner may.
		_, tok := h.invite(human, "viewer@acme.example", "viewer")
		viewer := h.accept(tok, "another long passphrase")
		if r := h.call("PATCH", path, viewer, `{"volume":"high"}`, "Naive-Mode", "test"); r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("viewer edit: %d %s", r.Status, r.Body)
		}
		h.must(200, h.call("GET", path, viewer, nil, "Naive-Mode", "test"))
		samples := []string{"Acme Robotics: you are now opted in to order updates. Msg&data rates apply. Reply STOP to opt out.",
			"Acme Robotics: order [order id] has shipped. Reply STOP to opt out."}
		c = h.must(200, h.call("PATCH", path, h.testKey, map[string]any{"message_samples": samples, "use_cases": []string{"delivery_notification"},
			"description": "Acme Robotics texts delivery notifications to customers who asked for them at checkout."})).json(t)
		if fmt.Sprint(c["customized"]) != "[description message_samples use_cases]" || c["updated_at"] == nil {
			t.Fatalf("patched %v", c)
		}
		c = h.must(200, h.call("PATCH", path, human, `{"volume":"high","description":""}`, "Naive-Mode", "test")).json(t)
		if fmt.Sprint(c["customized"]) != "[message_samples use_cases volume]" || !strings.Contains(c["description"].(string), "Acme Robotics LLC") {
			t.Fatalf("reset description %v", c)
		}
		shown := h.must(200, h.call("GET", path, h.testKey, nil)).json(t)

		// The first number registers exactly that content.
		h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", human, seedBody, "Naive-Mode", "test"))
		camps := simOf(t, h).Campaigns()
		if len(camps) != 1 {
			t.Fatalf("campaigns %+v", camps)
		}
		if got := camps[0]; got.Description != shown["description"] || got.ConsentFlow != shown["consent_flow"] || !slices.Equal(got.Samples, samples) {
			t.Fatalf("registered %+v, shown %v", got, shown)
		}
		// The rest, in each carrier's own terms.
		switch testCarrier() {
		case "telnyx":
			// One use case is the campaign's usecase, at any volume (Telnyx
			// has no volume of its own but LOW_VOLUME, for several).
			got := h.app.TelnyxSandbox().Campaigns()[0]
			if got.Usecase != "DELIVERY_NOTIFICATION" || len(got.SubUsecases) != 0 || got.PrivacyPolicyLink != shown["privacy_policy_url"] ||
				got.TermsAndConditionsLink != shown["terms_url"] {
				t.Fatalf("registered %+v, shown %v", got, shown)
			}
		default:
			got := h.app.Sandbox().Campaigns()[0]
			if !slices.Equal(got.UseCases, []string{"delivery_notification"}) || got.Volume != "high" || got.PrivacyPolicyURL != shown["privacy_policy_url"] ||
				got.TermsAndConditionsURL == nil || *got.TermsAndConditionsURL != shown["terms_url"] {
				t.Fatalf("registered %+v, shown %v", got, shown)
			}
		}
		// Registered and not rejected: locked.
		c = h.must(200, h.call("GET", path, h.testKey, nil)).json(t)
		if c["editable"] != false || c["campaign_status"] == nil {
			t.Fatalf("after registration %v", c)
		}
		r := h.call("PATCH", path, h.testKey, `{"volume":"low"}`)
		if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "status") == nil ||
			!strings.Contains(r.errField(t, "hint").(string), "/v1/subjects/"+sid+"/phone/campaign/resubmit") {
			t.Fatalf("edit a registered campaign: %d %s", r.Status, r.Body)
		}
	})
}

// pagesServer serves a company's pages on loopback, which test mode
// fetches; privacy answers what is set.
type pagesServer struct {
	*httptest.Server
	mu      sync.Mutex
	privacy map[string]string
}

func newPagesServer(t *testing.T) *pagesServer {
	p := &pagesServer{privacy: map[string]string{
		"/privacy":      "<p>We keep your email to send receipts.</p>",
		"/privacy-sms":  "<h1>Privacy</h1><p>We send SMS text messages you asked for; reply STOP to opt out.</p><p>No mobile information will be shared with third parties or affiliates for marketing or promotional purposes.</p>",
		"/privacy-gone": "",
	}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		body, ok := p.privacy[r.URL.Path]
		p.mu.Unlock()
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/terms":
			fmt.Fprint(w, "<h1>Acme Robotics</h1>")
		case ok && body != "":
			fmt.Fprint(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// TestCampaignCompliance: with the company's pages on local servers, the
// compliance rules run at preflight, provision and resubmission. A failing
// rule refuses the provision with campaign_checks and charges nothing; an
// agent may not override; a human's override is recorded on the campaign;
// a resubmission is checked too, and stores its changes as the content.
func TestCampaignCompliance(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, func(o *app.Options) { o.SandboxReviewDelay = 300 * time.Millisecond })
		human := h.login()
		pages := newPagesServer(t)
		profile := strings.NewReplacer(`"https://acme.example"`, `"`+pages.URL+`/"`, `"https://acme.example/privacy"`, `"`+pages.URL+`/privacy"`,
			`"https://acme.example/terms"`, `"`+pages.URL+`/terms"`).Replace(acmeProfile)
		sid := h.must(201, h.call("POST", "/v1/subjects", h.testKey, profile)).json(t)["id"].(string)
		h.must(202, h.call("POST", "/v1/subjects/"+sid+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`))
		time.Sleep(100 * time.Millisecond)
		base := "/v1/subjects/" + sid + "/phone"
		// The sandbox rejects a campaign whose description carries its magic.
		h.must(200, h.call("PATCH", "/v1/subjects/"+sid+"/campaign-content", h.testKey,
			`{"description":"Acme Robotics [sandbox:reject] sends account notifications to customers who opted in."}`))

		checks := func(r resp) map[string]map[string]any {
			t.Helper()
			var list []any
			if e, ok := r.json(t)["error"].(map[string]any); ok {
				list, _ = e["campaign_checks"].([]any)
			} else {
				list, _ = r.json(t)["campaign_checks"].([]any)
			}
			m := map[string]map[string]any{}
			for _, c := range list {
				c := c.(map[string]any)
				m[c["rule"].(string)] = c
			}
			if len(m) != 9 {
				t.Fatalf("campaign_checks %s", r.Body)
			}
			return m
		}
		pf := h.must(200, h.call("GET", base+"/preflight?ein=12-3456789", h.testKey, nil))
		m := checks(pf)
		if pf.json(t)["ready"] != false || m["privacy_policy_sms"]["status"] != "failed" || m["privacy_policy_no_sharing"]["status"] != "failed" ||
			m["privacy_policy_answers"]["status"] != "ok" || m["website_answers"]["status"] != "ok" || m["samples_opt_out"]["status"] != "ok" ||
			m["privacy_policy_sms"]["fix"] == "" {
			t.Fatalf("preflight %s", pf.Body)
		}
		// A human's override shows in preflight, as accepted.
		pf = h.must(200, h.call("GET", base+"/preflight?ein=12-3456789&override_checks=privacy_policy_sms,privacy_policy_no_sharing", human, nil, "Naive-Mode", "test"))
		if m := checks(pf); m["privacy_policy_sms"]["overridden"] != true || m["privacy_policy_sms"]["ok"] != true {
			t.Fatalf("preflight with overrides %s", pf.Body)
		}

		balance := h.balance(h.testKey)
		r := h.call("POST", base+"/provision", h.testKey, seedBody)
		if r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "campaign_checks" {
			t.Fatalf("provision with failing rules: %d %s", r.Status, r.Body)
		}
		if m := checks(r); m["privacy_policy_sms"]["ok"] != false {
			t.Fatalf("refusal checks %s", r.Body)
		}
		r = h.call("POST", base+"/provision", h.testKey, `{"ein":"12-3456789","override_checks":["privacy_policy_sms","privacy_policy_no_sharing"]}`)
		if r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("agent override: %d %s", r.Status, r.Body)
		}
		if h.balance(h.testKey) != balance || len(h.must(200, h.call("GET", base, h.testKey, nil)).json(t)["data"].([]any)) != 0 {
			t.Fatal("a refused provision charged or bought")
		}
		res := h.must(202, h.call("POST", base+"/provision", human,
			`{"ein":"12-3456789","area_code":"415","override_checks":["privacy_policy_sms","privacy_policy_no_sharing"]}`, "Naive-Mode", "test")).json(t)
		pid := res["phone"].(map[string]any)["id"].(string)
		camp := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)
		over, _ := camp["checks_overridden"].([]any)
		if len(over) != 2 {
			t.Fatalf("campaign %v", camp)
		}
		for _, o := range over {
			o := o.(map[string]any)
			if o["actor"].(map[string]any)["actor_type"] != "human" || o["submission"] != "registration" || o["message"] == "" {
				t.Fatalf("override %v", o)
			}
		}

		// Rejected (the magic): a resubmission runs the rules again.
		deadline := time.Now().Add(15 * time.Second)
		for h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)["status"] != "rejected" {
			if time.Now().After(deadline) {
				t.Fatal("campaign never rejected")
			}
			time.Sleep(50 * time.Millisecond)
		}
		resubmit := base + "/campaign/resubmit"
		fixed := `"description":"Acme Robotics sends account notifications to customers who opted in on its site."`
		r = h.call("POST", resubmit, h.testKey, `{`+fixed+`}`)
		if r.Status != 400 || r.errField(t, "param") != "campaign_checks" {
			t.Fatalf("resubmit with failing rules: %d %s", r.Status, r.Body)
		}
		if st := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)["status"]; st != "rejected" {
			t.Fatalf("a refused resubmission moved the campaign to %v", st)
		}
		// A privacy policy that does not answer fails its own rule.
		r = h.call("POST", resubmit, h.testKey, `{`+fixed+`,"privacy_policy_url":"`+pages.URL+`/privacy-gone"}`)
		if m := checks(r); r.Status != 400 || m["privacy_policy_answers"]["status"] != "failed" || m["privacy_policy_sms"]["status"] != "unknown" {
			t.Fatalf("resubmit with a missing page: %d %s", r.Status, r.Body)
		}
		// After a rejection the content may change again; a resubmission
		// pointing at a good policy passes and its changes are kept.
		h.must(200, h.call("PATCH", "/v1/subjects/"+sid+"/campaign-content", h.testKey, `{"volume":"high"}`))
		good := `{` + fixed + `,"privacy_policy_url":"` + pages.URL + `/privacy-sms"}`
		volume := "high"
		if testCarrier() == "telnyx" {
			// Telnyx never lets a campaign's use cases change, and naive's
			// two use cases are LOW_VOLUME at low volume but MIXED at high:
			// refused, naming use_cases, still rejected; back at low volume
			// the same resubmission passes.
			r := h.call("POST", resubmit, h.testKey, good)
			if r.Status != 400 || r.errCode(t) != "invalid_input" || fmt.Sprint(r.errField(t, "carrier_fields")) != "[use_cases]" ||
				!strings.Contains(fmt.Sprint(r.errField(t, "hint")), "/campaign-content") {
				t.Fatalf("resubmit at another volume: %d %s", r.Status, r.Body)
			}
			if st := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)["status"]; st != "rejected" {
				t.Fatalf("a resubmission Telnyx refused moved the campaign to %v", st)
			}
			h.must(200, h.call("PATCH", "/v1/subjects/"+sid+"/campaign-content", h.testKey, `{"volume":""}`))
			volume = "low"
		}
		c := h.must(200, h.call("POST", resubmit, h.testKey, good)).json(t)
		if c["status"] != "in_review" {
			t.Fatalf("resubmitted %v", c)
		}
		content := h.must(200, h.call("GET", "/v1/subjects/"+sid+"/campaign-content", h.testKey, nil)).json(t)
		if content["privacy_policy_url"] != pages.URL+"/privacy-sms" || strings.Contains(content["description"].(string), "sandbox") ||
			content["volume"] != volume || content["editable"] != false {
			t.Fatalf("content after the resubmission %v", content)
		}
		switch testCarrier() {
		case "telnyx":
			// Telnyx lets a campaign's samples and flow change, and nothing
			// else: the description and links stay as registered (the
			// appeal carries the new description).
			camps := h.app.TelnyxSandbox().Campaigns()
			if len(camps) != 1 || camps[0].MessageFlow != content["consent_flow"] || fmt.Sprint(camps[0].Samples()) != fmt.Sprint(content["message_samples"]) ||
				camps[0].Usecase != "LOW_VOLUME" || camps[0].PrivacyPolicyLink != pages.URL+"/privacy" || !strings.Contains(camps[0].Description, telnyxsim.RejectToken) {
				t.Fatalf("carrier campaign %+v, content %v", camps, content)
			}
		default:
			camps := h.app.Sandbox().Campaigns()
			if len(camps) != 1 || camps[0].PrivacyPolicyURL != pages.URL+"/privacy-sms" || camps[0].Volume != "high" || camps[0].Description != content["description"] {
				t.Fatalf("carrier campaign %+v", camps)
			}
		}
		if h.balance(h.testKey) != balance-50 {
			t.Fatalf("balance %d, want %d", h.balance(h.testKey), balance-50)
		}
	})
}
