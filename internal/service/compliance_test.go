package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// fakePages is the compliance check's page fetcher, in memory: each URL
// answers its page, or its error; a URL it does not know does not answer.
type fakePages struct {
	mu      sync.Mutex
	pages   map[string]*service.Page
	errs    map[string]error
	fetched []string
}

func (p *fakePages) Fetch(_ context.Context, _ naive.Mode, u string) (*service.Page, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fetched = append(p.fetched, u)
	if err := p.errs[u]; err != nil {
		return nil, err
	}
	if pg := p.pages[u]; pg != nil {
		return pg, nil
	}
	return nil, errors.New("dial tcp: connection refused")
}

func (p *fakePages) set(u string, status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.errs, u)
	p.pages[u] = &service.Page{URL: u, Status: status, Body: body}
}

func (p *fakePages) fail(u string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs[u] = err
}

// recordingCarrier records the campaign requests a fake carrier gets.
type recordingCarrier struct {
	*fakeCarrier
	mu      sync.Mutex
	created []carrier.CampaignRequest
}

func (c *recordingCarrier) CreateCampaign(ctx context.Context, brandID string, r carrier.CampaignRequest) (carrier.Campaign, error) {
	c.mu.Lock()
	c.created = append(c.created, r)
	c.mu.Unlock()
	return c.fakeCarrier.CreateCampaign(ctx, brandID, r)
}

const (
	goodWebsite = "http://localhost/"
	goodPrivacy = "http://localhost/privacy"
	goodTerms   = "http://localhost/terms"
	privacyHTML = `<html><head><style>p{}</style></head><body><h1>Privacy</h1>
<p>We use your phone number to send SMS text messages you asked for. Reply STOP to opt out.</p>
<p>No mobile information will be shared with third parties or affiliates for marketing or promotional purposes.</p></body></html>`
)

// complianceFixture is a fixture whose service fetches pages from fake
// pages, whose default (test-mode) subject has a complete profile on
// loopback URLs (which test mode fetches), all answering well.
func complianceFixture(t *testing.T) (*fixture, *fakePages, *recordingCarrier, string) {
	t.Helper()
	f := setup(t)
	pages := &fakePages{pages: map[string]*service.Page{}, errs: map[string]error{}}
	pages.set(goodWebsite, 200, "<h1>Demo</h1>")
	pages.set(goodPrivacy, 200, privacyHTML)
	pages.set(goodTerms, 200, "<p>Terms. Msg&data rates may apply.</p>")
	rc := &recordingCarrier{fakeCarrier: f.cr}
	f.svc = f.processWith(service.Config{ProcessID: "process-c", Carrier: testOnly(rc), PageFetcher: pages})
	subj, err := f.svc.GetSubject(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	// The default test subject: Demo Company LLC, formed.
	if _, err := f.svc.UpdateSubject(f.ctx, subj.ID, naive.SubjectPatch{Website: str(goodWebsite),
		Industry: str("technology"), PrivacyPolicyURL: str(goodPrivacy), TermsURL: str(goodTerms),
		Address: &naive.Address{Line1: "1 Main St", City: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"},
		Contact: &naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example", Phone: "+14155550100", Title: "ceo"}}); err != nil {
		t.Fatal(err)
	}
	return f, pages, rc, subj.ID
}

// campaignChecks runs the rules through preflight, as ctx.
func campaignChecks(t *testing.T, f *fixture, ctx context.Context, sid string, req naive.ProvisionRequest) (*naive.Preflight, map[string]naive.CampaignCheck) {
	t.Helper()
	pf, err := f.svc.Preflight(ctx, sid, req)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]naive.CampaignCheck{}
	for _, c := range pf.CampaignChecks {
		m[c.Rule] = c
	}
	return pf, m
}

func summary(pf *naive.Preflight) naive.PreflightCheck {
	for _, c := range pf.Checks {
		if c.Check == "campaign_content" {
			return c
		}
	}
	return naive.PreflightCheck{}
}

// TestComplianceRules: every rule passes on good content and pages, and
// each fails on what it is there to catch, with a fix, failing the
// preflight's campaign_content check; a rule that cannot be checked is
// unknown and does not.
func TestComplianceRules(t *testing.T) {
	str := func(s string) *string { return &s }
	cases := []struct {
		name string
		rule string
		want string // status of rule
		// patch changes the content; pages the pages; profile the profile.
		patch   *naive.CampaignContentPatch
		pages   func(p *fakePages)
		profile *naive.SubjectPatch
		also    map[string]string // other rules' expected statuses
	}{
		{name: "samples without the brand", rule: service.RuleSamplesNameBrand, want: naive.CheckFailed,
			patch: &naive.CampaignContentPatch{MessageSamples: []string{"You are now opted in. Reply STOP to opt out.", "Demo Company: your order shipped."}}},
		{name: "samples naming the brand without its suffix", rule: service.RuleSamplesNameBrand, want: naive.CheckOK,
			patch: &naive.CampaignContentPatch{MessageSamples: []string{"DEMO COMPANY: you are opted in. Reply STOP to opt out.", "demo company — order [id] shipped."}}},
		{name: "samples without opt-out language", rule: service.RuleSamplesOptOut, want: naive.CheckFailed,
			patch: &naive.CampaignContentPatch{MessageSamples: []string{"Demo Company: welcome aboard.", "Demo Company: your order shipped."}}},
		{name: "text STOP to unsubscribe", rule: service.RuleSamplesOptOut, want: naive.CheckOK,
			patch: &naive.CampaignContentPatch{MessageSamples: []string{"Demo Company: welcome. Text STOP to unsubscribe.", "Demo Company: order shipped."}}},
		{name: "consent flow without how", rule: service.RuleConsentFlowOptIn, want: naive.CheckFailed,
			patch: &naive.CampaignContentPatch{ConsentFlow: str("Our customers receive texts from us about orders they placed at https://acme.example/shop.")}},
		{name: "consent flow without where", rule: service.RuleConsentFlowOptIn, want: naive.CheckFailed,
			patch: &naive.CampaignContentPatch{ConsentFlow: str("Customers opt in by checking an unchecked box during checkout in our stores.")}},
		{name: "consent flow by keyword", rule: service.RuleConsentFlowOptIn, want: naive.CheckOK,
			patch: &naive.CampaignContentPatch{ConsentFlow: str("Customers opt in by texting JOIN to (415) 555-0100, as posted at our registers.")}},
		{name: "website does not answer", rule: service.RuleWebsiteAnswers, want: naive.CheckFailed,
			pages: func(p *fakePages) { p.fail(goodWebsite, errors.New("dial tcp: i/o timeout")) }},
		{name: "website answers 404", rule: service.RuleWebsiteAnswers, want: naive.CheckFailed,
			pages: func(p *fakePages) { p.set(goodWebsite, 404, "not found") }},
		{name: "privacy policy answers 500", rule: service.RulePrivacyPolicyAnswers, want: naive.CheckFailed,
			pages: func(p *fakePages) { p.set(goodPrivacy, 500, "oops") },
			also:  map[string]string{service.RulePrivacyPolicySMS: naive.CheckUnknown, service.RulePrivacyPolicyNoShare: naive.CheckUnknown}},
		{name: "terms do not answer", rule: service.RuleTermsAnswers, want: naive.CheckFailed,
			pages: func(p *fakePages) { p.fail(goodTerms, errors.New("x509: certificate signed by unknown authority")) }},
		{name: "privacy policy silent on SMS", rule: service.RulePrivacyPolicySMS, want: naive.CheckFailed,
			pages: func(p *fakePages) {
				p.set(goodPrivacy, 200, "<p>We collect emails.</p><p>No mobile information will be shared with third parties for marketing purposes.</p>")
			},
			also: map[string]string{service.RulePrivacyPolicyNoShare: naive.CheckOK}},
		{name: "privacy policy shares for marketing", rule: service.RulePrivacyPolicyNoShare, want: naive.CheckFailed,
			pages: func(p *fakePages) {
				p.set(goodPrivacy, 200, "<p>We send SMS alerts.</p><p>We may share your phone number with partners for marketing.</p>")
			},
			also: map[string]string{service.RulePrivacyPolicySMS: naive.CheckOK}},
		{name: "no privacy policy URL", rule: service.RuleContentLimits, want: naive.CheckFailed,
			profile: &naive.SubjectPatch{PrivacyPolicyURL: str("")},
			also:    map[string]string{service.RulePrivacyPolicyAnswers: naive.CheckFailed}},
		{name: "a page test mode does not fetch", rule: service.RuleTermsAnswers, want: naive.CheckUnknown,
			patch: &naive.CampaignContentPatch{TermsURL: str("https://acme.example/terms")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, pages, _, sid := complianceFixture(t)
			// Good content and pages pass every rule.
			pf, m := campaignChecks(t, f, f.ctx, sid, naive.ProvisionRequest{EIN: "12-3456789"})
			for _, r := range service.ComplianceRules {
				if m[r].Status != naive.CheckOK || !m[r].OK {
					t.Fatalf("baseline: %s %+v", r, m[r])
				}
			}
			if s := summary(pf); !s.OK || !pf.Ready {
				t.Fatalf("baseline: summary %+v, ready %v (%+v)", s, pf.Ready, pf.Checks)
			}
			if c.patch != nil {
				if _, err := f.svc.UpdateCampaignContent(f.ctx, sid, *c.patch); err != nil {
					t.Fatal(err)
				}
			}
			if c.profile != nil {
				if _, err := f.svc.UpdateSubject(f.ctx, sid, *c.profile); err != nil {
					t.Fatal(err)
				}
			}
			if c.pages != nil {
				c.pages(pages)
			}
			pf, m = campaignChecks(t, f, f.ctx, sid, naive.ProvisionRequest{EIN: "12-3456789"})
			got := m[c.rule]
			if got.Status != c.want {
				t.Fatalf("%s: %+v, want %s (all: %+v)", c.rule, got, c.want, pf.CampaignChecks)
			}
			for r, st := range c.also {
				if m[r].Status != st {
					t.Errorf("%s: %+v, want %s", r, m[r], st)
				}
			}
			switch c.want {
			case naive.CheckFailed:
				if got.OK || got.Fix == "" || got.Message == "" {
					t.Fatalf("failed rule without a fix: %+v", got)
				}
				if s := summary(pf); s.OK || pf.Ready || !strings.Contains(s.Detail, c.rule) {
					t.Fatalf("summary %+v, ready %v", s, pf.Ready)
				}
			case naive.CheckOK:
				if s := summary(pf); !s.OK {
					t.Fatalf("summary %+v", s)
				}
			case naive.CheckUnknown:
				if s := summary(pf); !s.OK || got.OK {
					t.Fatalf("an unknown rule blocks: summary %+v, rule %+v", s, got)
				}
				if slices.Contains(pages.fetched, "https://acme.example/terms") {
					t.Fatal("test mode fetched a page that is not on loopback")
				}
			}
		})
	}
}

// TestComplianceProvision: a failing rule refuses the provision with
// invalid_input and campaign_checks, charging and buying nothing; an
// agent may not override; a human overrides a named rule, which is
// recorded on the campaign; the campaign registered is the stored content.
func TestComplianceProvision(t *testing.T) {
	f, pages, rc, sid := complianceFixture(t)
	pages.set(goodPrivacy, 200, "<p>We never sell anything.</p>")
	samples := []string{"Demo Company: you are opted in. Msg&data rates apply. Reply STOP to opt out.", "Demo Company: ticket [id] updated."}
	if _, err := f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{MessageSamples: samples}); err != nil {
		t.Fatal(err)
	}
	before := f.balance()
	_, err := f.svc.ProvisionPhone(f.ctx, sid, firstNumber)
	e := naive.AsError(err)
	if e.Code != naive.EInvalidInput || e.Param != "campaign_checks" {
		t.Fatalf("provision with failing rules: %v", err)
	}
	checks, _ := e.Fields["campaign_checks"].([]naive.CampaignCheck)
	failed := map[string]bool{}
	for _, c := range checks {
		if c.Status == naive.CheckFailed {
			failed[c.Rule] = true
		}
	}
	if len(checks) != len(service.ComplianceRules) || !failed[service.RulePrivacyPolicySMS] || !failed[service.RulePrivacyPolicyNoShare] || len(failed) != 2 {
		t.Fatalf("campaign_checks %+v", checks)
	}
	if f.balance() != before || f.cr.bought != 0 || f.cr.held() != 0 {
		t.Fatalf("a refused provision charged or bought: balance %d (was %d), bought %d", f.balance(), before, f.cr.bought)
	}
	// An agent may not override.
	over := firstNumber
	over.OverrideChecks = []string{service.RulePrivacyPolicySMS, service.RulePrivacyPolicyNoShare}
	if _, err := f.svc.ProvisionPhone(f.ctx, sid, over); naive.ErrorCode(err) != naive.EForbidden {
		t.Fatalf("agent override: %v", err)
	}
	// Nor may a human override content_limits, or an unknown rule.
	for _, bad := range []string{service.RuleContentLimits, "be_nice"} {
		r := firstNumber
		r.OverrideChecks = []string{bad}
		if e := naive.AsError(func() error { _, err := f.svc.ProvisionPhone(f.human, sid, r); return err }()); e.Code != naive.EInvalidInput || e.Param != "override_checks[0]" {
			t.Fatalf("override %s: %v", bad, e)
		}
	}
	// Overriding one of two still refuses.
	one := firstNumber
	one.OverrideChecks = []string{service.RulePrivacyPolicySMS}
	if _, err := f.svc.ProvisionPhone(f.human, sid, one); naive.ErrorCode(err) != naive.EInvalidInput {
		t.Fatalf("one override of two failing: %v", err)
	}
	// Both: the human's provision goes through and the overrides are
	// recorded on the campaign.
	res, err := f.svc.ProvisionPhone(f.human, sid, over)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := f.svc.PhoneCampaign(f.ctx, sid, res.Provisioned.Phone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(camp.ChecksOverridden) != 2 {
		t.Fatalf("checks_overridden %+v", camp.ChecksOverridden)
	}
	for _, o := range camp.ChecksOverridden {
		if !slices.Contains(over.OverrideChecks, o.Rule) || o.Actor.Type != string(naive.PrincipalHuman) || o.Submission != naive.SubmissionRegistration ||
			o.Message == "" || o.CreatedAt.IsZero() {
			t.Fatalf("override %+v", o)
		}
	}
	// The carrier got the stored content.
	if len(rc.created) != 1 || !slices.Equal(rc.created[0].MessageSamples, samples) || rc.created[0].PrivacyPolicyURL != goodPrivacy {
		t.Fatalf("campaign created with %+v", rc.created)
	}
	content, err := f.svc.GetCampaignContent(f.ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if rc.created[0].Description != content.Description || rc.created[0].ConsentFlow != content.ConsentFlow {
		t.Fatalf("created %+v, content %+v", rc.created[0], content)
	}
	// Registered: the content is locked, and a second number checks
	// nothing (it submits no content).
	if _, err := f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Volume: strPtr("high")}); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("edit a registered campaign's content: %v", err)
	}
	if _, err := f.svc.ProvisionPhone(f.ctx, sid, naive.ProvisionRequest{AreaCode: "212"}); err != nil {
		t.Fatalf("second number: %v", err)
	}
}

func strPtr(s string) *string { return &s }

// TestCampaignContentDefaults: the content shown before the first
// provision is what registration sends, built from the profile; a patch
// sets fields, an empty value resets one, invalid ones are refused.
func TestCampaignContentDefaults(t *testing.T) {
	f, _, _, sid := complianceFixture(t)
	c, err := f.svc.GetCampaignContent(f.ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Editable || c.CampaignStatus != nil || len(c.Customized) != 0 || c.UpdatedAt != nil ||
		!strings.Contains(c.Description, "Demo Company LLC") || len(c.MessageSamples) != 2 || c.Volume != "low" ||
		c.PrivacyPolicyURL != goodPrivacy || !strings.Contains(c.OptOutMessage, "Demo Company") || !strings.Contains(c.HelpMessage, "ada@acme.example") {
		t.Fatalf("defaults %+v", c)
	}
	desc := "Demo Company sends delivery notifications to customers who asked for them at checkout."
	c, err = f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &desc, UseCases: []string{"delivery_notification"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Description != desc || !slices.Equal(c.UseCases, []string{"delivery_notification"}) || !slices.Equal(c.Customized, []string{"description", "use_cases"}) ||
		c.UpdatedAt == nil {
		t.Fatalf("patched %+v", c)
	}
	// A profile change moves the defaults, not what was set.
	if _, err := f.svc.UpdateSubject(f.ctx, sid, naive.SubjectPatch{TermsURL: strPtr("http://localhost/tos")}); err != nil {
		t.Fatal(err)
	}
	if c, _ = f.svc.GetCampaignContent(f.ctx, sid); c.TermsURL != "http://localhost/tos" || c.Description != desc {
		t.Fatalf("after a profile change %+v", c)
	}
	// "" resets.
	if c, err = f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: strPtr("")}); err != nil || c.Description == desc ||
		slices.Contains(c.Customized, "description") {
		t.Fatalf("reset: %+v %v", c, err)
	}
	for _, bad := range []struct {
		patch naive.CampaignContentPatch
		param string
	}{
		{naive.CampaignContentPatch{Description: strPtr("too short")}, "description"},
		{naive.CampaignContentPatch{ConsentFlow: strPtr(strings.Repeat("x", 4097))}, "consent_flow"},
		{naive.CampaignContentPatch{MessageSamples: []string{"one"}}, "message_samples"},
		{naive.CampaignContentPatch{MessageSamples: []string{"a", "b", "c", "d", "e", "f"}}, "message_samples"},
		{naive.CampaignContentPatch{MessageSamples: []string{"ok", "tw\x00o"}}, "message_samples[1]"},
		{naive.CampaignContentPatch{UseCases: []string{"spam"}}, "use_cases[0]"},
		{naive.CampaignContentPatch{UseCases: []string{"marketing", "marketing"}}, "use_cases[1]"},
		{naive.CampaignContentPatch{Volume: strPtr("huge")}, "volume"},
		{naive.CampaignContentPatch{HelpMessage: strPtr("\xff\xfe")}, "help_message"},
		{naive.CampaignContentPatch{TermsURL: strPtr("ftp://acme.example/terms")}, "terms_url"},
	} {
		_, err := f.svc.UpdateCampaignContent(f.ctx, sid, bad.patch)
		if e := naive.AsError(err); e.Code != naive.EInvalidInput || e.Param != bad.param {
			t.Errorf("%+v: %v (param %q), want %s", bad.patch, err, e.Param, bad.param)
		}
	}
	if c, _ = f.svc.GetCampaignContent(f.ctx, sid); !slices.Equal(c.Customized, []string{"use_cases"}) {
		t.Fatalf("refused patches changed the content: %+v", c)
	}
}

// TestBrandName: the name the samples must carry.
func TestBrandName(t *testing.T) {
	for in, want := range map[string]string{
		"Demo Company LLC": "Demo Company", "Demo Company, L.L.C.": "Demo Company", "Acme Robotics Co., Inc.": "Acme Robotics Co.", "Widgets Inc.": "Widgets",
		"Acme [sandbox:reject] LLC": "Acme", "Blue Co": "Blue", "Solo": "Solo",
	} {
		if got := service.BrandName(in); got != want {
			t.Errorf("BrandName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTTPPages: the default fetcher reaches loopback test servers in
// test mode only (live mode refuses internal addresses, as webhooks do),
// follows redirects, caps the body, and its cache keeps an answer.
func TestHTTPPages(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/privacy", http.StatusMovedPermanently)
		case "/big":
			fmt.Fprint(w, strings.Repeat("a", 2<<20))
		default:
			fmt.Fprint(w, "<p>SMS policy</p>")
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	p, err := service.HTTPPages.Fetch(ctx, naive.ModeTest, srv.URL+"/old")
	if err != nil || p.Status != 200 || p.URL != srv.URL+"/privacy" || p.Body != "<p>SMS policy</p>" {
		t.Fatalf("redirected fetch: %+v %v", p, err)
	}
	if p, err := service.HTTPPages.Fetch(ctx, naive.ModeTest, srv.URL+"/big"); err != nil || len(p.Body) != 512<<10 {
		t.Fatalf("big page: %v, %d bytes", err, len(p.Body))
	}
	if _, err := service.HTTPPages.Fetch(ctx, naive.ModeLive, srv.URL+"/privacy"); err == nil || !strings.Contains(err.Error(), "internal address") {
		t.Fatalf("live mode fetched loopback: %v", err)
	}
	cached := service.NewPageCache(service.HTTPPages, time.Minute)
	n := hits
	for range 3 {
		if _, err := cached.Fetch(ctx, naive.ModeTest, srv.URL+"/privacy"); err != nil {
			t.Fatal(err)
		}
	}
	if hits != n+1 {
		t.Fatalf("cached fetches hit the server %d times", hits-n)
	}
}
