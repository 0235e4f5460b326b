package service

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// The compliance check runs documented rules (docs/compliance.md) on a
// 10DLC campaign's content and the company's pages before anything is
// submitted or charged: what most often makes carrier reviewers reject a
// campaign, each with its fix. A failing rule refuses the provision or
// resubmission with invalid_input listing campaign_checks; a human may
// override a named rule (override_checks), which is recorded on the
// campaign. A rule that could not be checked is unknown: a warning that
// never blocks.

// The compliance rules.
const (
	RuleSamplesNameBrand      = "samples_name_brand"
	RuleSamplesOptOut         = "samples_opt_out"
	RuleConsentFlowOptIn      = "consent_flow_opt_in"
	RuleWebsiteAnswers        = "website_answers"
	RulePrivacyPolicyAnswers  = "privacy_policy_answers"
	RuleTermsAnswers          = "terms_answers"
	RulePrivacyPolicySMS      = "privacy_policy_sms"
	RulePrivacyPolicyNoShare  = "privacy_policy_no_sharing"
	RuleContentLimits         = "content_limits"
	complianceFetchTimeout    = 5 * time.Second
	compliancePageMax         = 512 << 10
	compliancePageCacheTTL    = time.Minute
	compliancePageCacheMax    = 256
	complianceRedirectsMax    = 5
	complianceUserAgentHeader = "naive-compliance/1 (+campaign pre-submission check)"
)

// ComplianceRules are the rules in the order they run. Every one but
// content_limits (the carrier refuses such content outright) may be
// overridden by a human.
var ComplianceRules = []string{RuleSamplesNameBrand, RuleSamplesOptOut, RuleConsentFlowOptIn, RuleWebsiteAnswers,
	RulePrivacyPolicyAnswers, RuleTermsAnswers, RulePrivacyPolicySMS, RulePrivacyPolicyNoShare, RuleContentLimits}

// Page is a fetched web page: its final URL (after redirects), its HTTP
// status and its body, cut at the fetcher's size cap.
type Page struct {
	URL    string
	Status int
	Body   string
}

// PageFetcher fetches the company's pages for the compliance check. The
// service owns it so tests can fake it; the default (Config.PageFetcher
// nil) is HTTP with the outgoing webhooks' address guard, a short timeout,
// a size cap and a one-minute cache.
type PageFetcher interface {
	// Fetch GETs rawURL for a caller in mode. An error means no answer
	// (refused address, DNS, timeout, TLS); any HTTP answer is a Page.
	Fetch(ctx context.Context, mode naive.Mode, rawURL string) (*Page, error)
}

// pages is the service's page fetcher.
func (s *Service) pages() PageFetcher { return s.cfg.PageFetcher }

// httpPages fetches over HTTP: at most complianceFetchTimeout for the
// whole fetch, redirects followed up to five hops, every connection
// checked on its resolved address as webhooks are (public addresses only
// in live mode; test mode adds loopback), the body cut at 512 KiB.
type httpPages struct{}

func (httpPages) Fetch(ctx context.Context, mode naive.Mode, rawURL string) (*Page, error) {
	control := publicOnly
	if mode == naive.ModeTest {
		control = publicOrLoopback
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: complianceFetchTimeout, Control: control}
	tr.DialContext, tr.Proxy = d.DialContext, nil
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: complianceFetchTimeout, Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= complianceRedirectsMax {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errors.New("redirected away from http(s)")
			}
			return nil
		}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", complianceUserAgentHeader)
	req.Header.Set("Accept", "text/html,text/plain;q=0.9,*/*;q=0.5")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, compliancePageMax))
	if err != nil {
		return nil, err
	}
	return &Page{URL: res.Request.URL.String(), Status: res.StatusCode, Body: string(b)}, nil
}

// pageCache keeps fetches (answers and failures) for ttl, so a preflight
// followed by a provision, or a burst of them, fetches each page once.
type pageCache struct {
	next PageFetcher
	ttl  time.Duration
	mu   sync.Mutex
	m    map[string]pageCached
}

type pageCached struct {
	page *Page
	err  error
	at   time.Time
}

func newPageCache(next PageFetcher, ttl time.Duration) *pageCache {
	return &pageCache{next: next, ttl: ttl, m: map[string]pageCached{}}
}

func (c *pageCache) Fetch(ctx context.Context, mode naive.Mode, rawURL string) (*Page, error) {
	key := string(mode) + " " + rawURL
	c.mu.Lock()
	if e, ok := c.m[key]; ok && time.Since(e.at) < c.ttl {
		c.mu.Unlock()
		return e.page, e.err
	}
	c.mu.Unlock()
	p, err := c.next.Fetch(ctx, mode, rawURL)
	if errors.Is(err, context.Canceled) {
		return p, err // the caller's, not the page's
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= compliancePageCacheMax {
		for k, e := range c.m {
			if time.Since(e.at) >= c.ttl || len(c.m) >= compliancePageCacheMax {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = pageCached{page: p, err: err, at: time.Now()}
	return p, err
}

// loopbackHost reports whether rawURL's host is a loopback name or
// address: the local test servers test mode fetches.
func loopbackHost(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkList is the result of running the rules.
type checkList []naive.CampaignCheck

// failing are the rules that fail and were not overridden.
func (l checkList) failing() []string {
	var out []string
	for _, c := range l {
		if c.Status == naive.CheckFailed && !c.Overridden {
			out = append(out, c.Rule)
		}
	}
	return out
}

// runChecks runs every rule on content c of subj, in mode. Pages are
// fetched concurrently. In test mode only pages on loopback hosts (local
// test servers) are fetched: any other page (a sandbox subject's
// https://example.com) is not, and its rules are unknown — warnings that
// do not block — so test mode never depends on the internet, while what
// a local server answers is held to the very rules live mode applies.
func (s *Service) runChecks(ctx context.Context, mode naive.Mode, subj *naive.Subject, c naive.CampaignContent) checkList {
	out := checkList{}
	add := func(rule string, ok bool, msg, fix string) {
		st := naive.CheckFailed
		if ok {
			st, fix = naive.CheckOK, ""
		}
		out = append(out, naive.CampaignCheck{Rule: rule, OK: ok, Status: st, Message: msg, Fix: fix})
	}
	unknown := func(rule, msg string) {
		out = append(out, naive.CampaignCheck{Rule: rule, Status: naive.CheckUnknown, Message: msg})
	}
	contentFix := fmt.Sprintf("PATCH /v1/subjects/%s/campaign-content", subj.ID)

	// Fetch the pages first, at once.
	type fetched struct {
		page *Page
		err  error
		skip string
	}
	urls := []string{subj.Website, c.PrivacyPolicyURL, c.TermsURL}
	res := make([]fetched, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		switch {
		case !validURL(u):
			res[i].skip = "invalid"
			continue
		case mode == naive.ModeTest && !loopbackHost(u):
			res[i].skip = "test"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fctx, cancel := context.WithTimeout(ctx, complianceFetchTimeout+time.Second)
			defer cancel()
			res[i].page, res[i].err = s.pages().Fetch(fctx, mode, u)
		}()
	}
	wg.Wait()

	// 1. The samples name the brand.
	brand := brandName(subj.LegalName)
	var unnamed []int
	for i, m := range c.MessageSamples {
		if !mentions(m, brand) {
			unnamed = append(unnamed, i+1)
		}
	}
	switch {
	case brand == "":
		unknown(RuleSamplesNameBrand, "The subject has no legal name to look for in the samples.")
	case len(unnamed) == 0 && len(c.MessageSamples) > 0:
		add(RuleSamplesNameBrand, true, fmt.Sprintf("Every message sample names %q.", brand), "")
	default:
		add(RuleSamplesNameBrand, false, fmt.Sprintf("Message samples %s do not name the brand %q: reviewers must see who sends each text.", intList(unnamed), brand),
			fmt.Sprintf("Start each sample with the company's name, e.g. \"%s: your order has shipped. Reply STOP to opt out.\" (%s).", brand, contentFix))
	}
	// 2. A sample carries opt-out language.
	optOut := slices.ContainsFunc(c.MessageSamples, optOutLanguage)
	add(RuleSamplesOptOut, optOut, map[bool]string{true: "A message sample tells recipients how to opt out.",
		false: "No message sample carries opt-out language (\"Reply STOP to opt out\")."}[optOut],
		"End at least one sample, usually the first (the opt-in confirmation), with \"Reply STOP to opt out.\" ("+contentFix+").")
	// 3. The consent flow says how and where people opt in.
	how, where := consentHow.MatchString(c.ConsentFlow), consentWhere(c.ConsentFlow)
	switch {
	case how && where:
		add(RuleConsentFlowOptIn, true, "The consent flow says how and where people opt in.", "")
	case !how:
		add(RuleConsentFlowOptIn, false, "The consent flow does not say how people opt in (a form, a checkbox, a keyword they text).",
			"Describe the opt-in step, e.g. \"Customers opt in by checking an unchecked box on https://example.com/signup\" ("+contentFix+").")
	default:
		add(RuleConsentFlowOptIn, false, "The consent flow does not say where people opt in: no URL of the opt-in page and no keyword they text.",
			"Name the page (its URL) or the keyword and number, e.g. \"by texting JOIN to (415) 555-0100\" ("+contentFix+").")
	}
	// 4–6. The pages answer.
	pageRule := func(rule, what, field string, f fetched, u string) bool {
		fix := fmt.Sprintf("Publish the %s at %s, or set %s to where it is (PATCH /v1/subjects/%s).", what, u, field, subj.ID)
		switch {
		case f.skip == "invalid":
			add(rule, false, fmt.Sprintf("The %s URL is missing or not an http(s) URL.", what), fix)
		case f.skip == "test":
			unknown(rule, fmt.Sprintf("Not fetched: test mode fetches pages on loopback hosts only (local test servers), not %s.", u))
		case f.err != nil:
			add(rule, false, fmt.Sprintf("The %s (%s) did not answer: %s.", what, u, pageError(f.err, mode)), fix)
		case f.page.Status < 200 || f.page.Status > 299:
			add(rule, false, fmt.Sprintf("The %s (%s) answered HTTP %d.", what, u, f.page.Status), fix)
		default:
			add(rule, true, fmt.Sprintf("The %s (%s) answers.", what, u), "")
			return true
		}
		return false
	}
	pageRule(RuleWebsiteAnswers, "website", "website", res[0], subj.Website)
	privacyOK := pageRule(RulePrivacyPolicyAnswers, "privacy policy", "privacy_policy_url", res[1], c.PrivacyPolicyURL)
	pageRule(RuleTermsAnswers, "terms page", "terms_url", res[2], c.TermsURL)
	// 7–8. What the privacy policy says.
	if !privacyOK {
		unknown(RulePrivacyPolicySMS, "Not checked: the privacy policy was not read.")
		unknown(RulePrivacyPolicyNoShare, "Not checked: the privacy policy was not read.")
	} else {
		text := pageText(res[1].page.Body)
		sms := policySMS.MatchString(text)
		add(RulePrivacyPolicySMS, sms, map[bool]string{true: "The privacy policy mentions SMS / text messages.",
			false: "The privacy policy does not mention SMS or text messages."}[sms],
			"Add a section on text messaging to the privacy policy: what you send, how often, and that replying STOP opts out.")
		share := noSharing(text)
		add(RulePrivacyPolicyNoShare, share, map[bool]string{true: "The privacy policy says mobile information is not shared with third parties for marketing.",
			false: "The privacy policy does not say that mobile information is not shared with third parties for marketing."}[share],
			"Add the sentence carriers look for: \"No mobile information will be shared with third parties or affiliates for marketing or promotional purposes.\"")
	}
	// 9. Lengths and counts within the carrier's limits.
	if e := contentLimits(c); e != nil {
		add(RuleContentLimits, false, e.Message, "Fix "+e.Param+" ("+contentFix+").")
	} else {
		add(RuleContentLimits, true, "Lengths and counts are within the carrier's limits.", "")
	}
	return out
}

// pageError says why a page did not answer, in the words deliveryError
// uses for webhooks, about a page.
func pageError(err error, mode naive.Mode) string {
	msg := deliveryError(err, mode)
	return strings.NewReplacer("the endpoint's", "its", "endpoint", "page").Replace(msg)
}

// brandName is the name samples must carry: the legal name without its
// entity suffix (LLC, Inc., …) and without bracketed parts (placeholders,
// or the sandbox's [sandbox:…] magic, which no brand carries).
func brandName(legal string) string {
	n := bracketed.ReplaceAllString(legal, " ")
	n = strings.Join(strings.Fields(n), " ")
	if m := entitySuffix.FindStringIndex(n); m != nil && m[0] > 0 {
		n = strings.TrimRight(n[:m[0]], " ,")
	}
	return strings.TrimSpace(n)
}

var (
	bracketed    = regexp.MustCompile(`\[[^\]]*\]`)
	entitySuffix = regexp.MustCompile(`(?i)[\s,]+(l\.?l\.?c\.?|inc\.?|incorporated|corp\.?|corporation|co\.?|ltd\.?|limited|l\.?l\.?p\.?|l\.?p\.?|p\.?l\.?l\.?c\.?|pbc)$`)
	nonWord      = regexp.MustCompile(`[^\pL\pN]+`)
	optOutRe     = regexp.MustCompile(`(?i)\b(reply|text|txt|send|respond)\b[^.!?]{0,20}\bstop\b|\bstop\b[^.!?]{0,30}\b(opt[\s-]?out|unsubscribe|cancel|end|quit)\b`)
	consentHow   = regexp.MustCompile(`(?i)\b(opts?[\s-]?in|opted[\s-]?in|consent\w*|agree\w*|sign(s|ed)?[\s-]?up|subscrib\w*|enroll\w*|check(s|ed|ing)?\b[^.]{0,30}\bbox|keyword)\b`)
	urlRe        = regexp.MustCompile(`(?i)\bhttps?://[^\s]+|\bwww\.[^\s]+|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|io|co|us|app|dev|ai|biz|info|shop|store|example)\b`)
	keywordRe    = regexp.MustCompile(`(?i)\b(text(s|ing)?|txt|send(s|ing)?|reply|replies|replying)\s+(the\s+)?(keyword\s+)?["'“‘]?[A-Za-z0-9]{2,}["'”’]?\s+to\b|\bkeyword\b`)
	policySMS    = regexp.MustCompile(`(?i)\b(sms|text messag\w*|texting|text alerts?|mobile messag\w*)\b`)
	sentenceEnd  = regexp.MustCompile(`[.!?;\n]+`)
	tagRe        = regexp.MustCompile(`(?is)<(script|style|noscript)\b.*?</(script|style|noscript)>|<[^>]*>`)
)

// mentions reports whether text names name, as whole words, whatever the
// case and punctuation.
func mentions(text, name string) bool {
	norm := func(s string) string {
		return " " + strings.ToLower(strings.Join(strings.Fields(nonWord.ReplaceAllString(s, " ")), " ")) + " "
	}
	n := norm(name)
	return strings.TrimSpace(n) != "" && strings.Contains(norm(text), n)
}

func optOutLanguage(sample string) bool { return optOutRe.MatchString(sample) }

func consentWhere(flow string) bool { return urlRe.MatchString(flow) || keywordRe.MatchString(flow) }

// noSharing reports whether one sentence of text says mobile information
// is not shared (sold, disclosed) with third parties for marketing.
func noSharing(text string) bool {
	for _, s := range sentenceEnd.Split(strings.ToLower(text), -1) {
		has := func(words ...string) bool {
			return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
		}
		if has("not ", "never ", "no ", "n't ", "neither ") && has("shar", "sell", "sold", "disclos", "rent", "transfer") &&
			has("third part", "third-part", "affiliate") && has("marketing", "promotional", "advertis") &&
			has("mobile", "phone", "sms", "text", "opt-in", "number") {
			return true
		}
	}
	return false
}

// pageText is an HTML page's text: without scripts, styles and tags,
// entities decoded, whitespace collapsed (kept at line breaks, which end
// sentences).
func pageText(body string) string {
	t := tagRe.ReplaceAllStringFunc(body, func(tag string) string {
		l := strings.ToLower(tag)
		if strings.HasPrefix(l, "<p") || strings.HasPrefix(l, "<br") || strings.HasPrefix(l, "<li") || strings.HasPrefix(l, "<h") ||
			strings.HasPrefix(l, "</p") || strings.HasPrefix(l, "</li") || strings.HasPrefix(l, "<div") || strings.HasPrefix(l, "</div") {
			return "\n"
		}
		return " "
	})
	t = html.UnescapeString(t)
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func intList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// checkOverrides validates a request's override_checks: known rules that
// may be overridden, and a human asking.
func checkOverrides(p naive.Principal, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if p.Kind != naive.PrincipalHuman {
		return errHumanOnly("overriding a campaign compliance check (override_checks)")
	}
	for i, n := range names {
		if n == RuleContentLimits {
			return naive.InvalidParam(fmt.Sprintf("override_checks[%d]", i), "%s cannot be overridden: the carrier refuses such content outright.", n).
				WithHint("Fix the field it names instead.")
		}
		if !slices.Contains(ComplianceRules, n) {
			return naive.InvalidParam(fmt.Sprintf("override_checks[%d]", i), "Unknown compliance rule %q.", n).
				WithHint("Name rules as campaign_checks[].rule names them: %s.", strings.Join(ComplianceRules[:len(ComplianceRules)-1], ", "))
		}
	}
	return nil
}

// applyOverrides marks the failing rules names overrides (OK, Overridden)
// and returns the overrides to record.
func applyOverrides(l checkList, names []string, p naive.Principal, submission string, at time.Time) []naive.CheckOverride {
	var out []naive.CheckOverride
	for i := range l {
		c := &l[i]
		if c.Status == naive.CheckFailed && slices.Contains(names, c.Rule) {
			c.OK, c.Overridden = true, true
			out = append(out, naive.CheckOverride{Rule: c.Rule, Message: c.Message, Submission: submission, Actor: p.Actor(), CreatedAt: at})
		}
	}
	return out
}

// checksFailed is the refusal of content whose rules fail.
func checksFailed(subj *naive.Subject, l checkList) error {
	failing := l.failing()
	return (&naive.Error{Code: naive.EInvalidInput, Param: "campaign_checks",
		Message: fmt.Sprintf("The campaign would likely be rejected by the carrier's reviewers: %s failed. Nothing was submitted or charged.", strings.Join(failing, ", "))}).
		WithHint("Do what each failing check's fix says (the texts with PATCH /v1/subjects/%s/campaign-content, the pages on the company's site), then retry; see GET /v1/phone/preflight. A human may accept a named rule with \"override_checks\": [\"%s\"].", subj.ID, failing[0]).
		With("campaign_checks", []naive.CampaignCheck(l))
}

// compliance runs the rules on what subj's campaign would submit (content
// c) for the caller p, applies the request's overrides and refuses when a
// rule still fails. It returns the overrides to record once submitted.
func (s *Service) compliance(ctx context.Context, p naive.Principal, subj *naive.Subject, c naive.CampaignContent, overrides []string, submission string) ([]naive.CheckOverride, error) {
	if err := checkOverrides(p, overrides); err != nil {
		return nil, err
	}
	l := s.runChecks(ctx, p.Mode, subj, c)
	rec := applyOverrides(l, overrides, p, submission, s.now())
	if len(l.failing()) > 0 {
		return nil, checksFailed(subj, l)
	}
	return rec, nil
}

// campaignPrecheck is a provision's compliance check: only a provision
// that registers the subject's 10DLC campaign (a local number, no 10DLC
// campaign yet, the profile complete — otherwise the precheck refuses it
// for the fields it lacks) submits content to check. An agent naming
// override_checks is refused whatever the provision.
func (s *Service) campaignPrecheck(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest) error {
	if err := checkOverrides(p, req.OverrideChecks); err != nil {
		return err
	}
	c, ok, err := s.submittedContent(ctx, p.Scope(), subj, req)
	if err != nil || !ok {
		return err
	}
	_, err = s.compliance(ctx, p, subj, c, req.OverrideChecks, naive.SubmissionRegistration)
	return err
}

// submittedContent is the content a provision with req registers, and
// whether it registers any.
func (s *Service) submittedContent(ctx context.Context, sc naive.Scope, subj *naive.Subject, req naive.ProvisionRequest) (naive.CampaignContent, bool, error) {
	if campaignKind(req.Type) != naive.Campaign10DLC || len(missingForRegistration(subj.SubjectProfile)) > 0 {
		return naive.CampaignContent{}, false, nil
	}
	if camp, err := s.campaign10DLCAny(ctx, sc, subj.ID); err != nil || camp != nil {
		return naive.CampaignContent{}, false, err
	}
	c, _, err := s.campaignContent(ctx, sc, subj)
	return c, err == nil, err
}

// recordOverrides records on the 10DLC campaign a provision just
// registered the rules its human overrode: the rules are run again (the
// pages come from the fetcher's cache) and those still failing that
// req.OverrideChecks names are recorded. It never fails the provision,
// whose campaign is registered: a failure is logged.
func (s *Service) recordOverrides(ctx context.Context, p naive.Principal, subj *naive.Subject, camp *naive.Campaign, req naive.ProvisionRequest) {
	if len(req.OverrideChecks) == 0 || camp == nil || camp.Kind != naive.Campaign10DLC || checkOverrides(p, req.OverrideChecks) != nil {
		return
	}
	sc := p.Scope()
	c, _, err := s.campaignContent(ctx, sc, subj)
	if err == nil {
		o := applyOverrides(s.runChecks(ctx, p.Mode, subj, c), req.OverrideChecks, p, naive.SubmissionRegistration, s.now())
		if len(o) == 0 {
			return
		}
		err = s.store.AddCheckOverrides(ctx, sc, camp.ID, o)
	}
	if err != nil {
		s.log.Error("record compliance overrides", "campaign_id", camp.ID, "err", err)
	}
}

// preflightCampaign adds to a preflight the compliance check of the
// content a provision with req would submit, as one check
// (campaign_content, failed while a rule fails and is not overridden) and
// every rule in campaign_checks. Nothing to submit (a 10DLC campaign
// exists, or a toll-free number) is an ok check and no rules.
func (s *Service) preflightCampaign(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest, add func(naive.PreflightCheck)) []naive.CampaignCheck {
	none := []naive.CampaignCheck{}
	sc := p.Scope()
	camp, err := s.campaign10DLCAny(ctx, sc, subj.ID)
	switch {
	case err != nil:
		s.log.Warn("preflight: campaign", "subject_id", subj.ID, "err", err)
		add(naive.PreflightCheck{Check: "campaign_content", Status: naive.CheckUnknown, Detail: "The campaign could not be read.", Fix: "Retry GET /v1/phone/preflight."})
		return none
	case camp != nil:
		add(naive.PreflightCheck{Check: "campaign_content", OK: true, Detail: "The 10DLC campaign is registered (" + camp.Status + "): a provision submits no campaign content."})
		return none
	case req.Type == naive.PhoneTollFree:
		add(naive.PreflightCheck{Check: "campaign_content", OK: true, Detail: "A toll-free number submits no 10DLC campaign content."})
		return none
	}
	c, _, err := s.campaignContent(ctx, sc, subj)
	if err != nil {
		s.log.Warn("preflight: campaign content", "subject_id", subj.ID, "err", err)
		add(naive.PreflightCheck{Check: "campaign_content", Status: naive.CheckUnknown, Detail: "The campaign content could not be read.", Fix: "Retry GET /v1/phone/preflight."})
		return none
	}
	l := s.runChecks(ctx, p.Mode, subj, c)
	if p.Kind == naive.PrincipalHuman && checkOverrides(p, req.OverrideChecks) == nil {
		applyOverrides(l, req.OverrideChecks, p, naive.SubmissionRegistration, s.now())
	}
	if failing := l.failing(); len(failing) > 0 {
		add(naive.PreflightCheck{Check: "campaign_content", Field: "campaign_checks",
			Detail: "The campaign content fails compliance rules reviewers reject campaigns for: " + strings.Join(failing, ", ") + ".",
			Fix:    fmt.Sprintf("Do what each campaign_checks[].fix says (the texts with PATCH /v1/subjects/%s/campaign-content).", subj.ID)})
	} else {
		add(naive.PreflightCheck{Check: "campaign_content", OK: true, Detail: "The campaign content passes the compliance rules (unknown ones are warnings)."})
	}
	return l
}

// planResubmission is what a resubmission of subj's rejected campaign
// sends: its campaign content with req's changes (validated by
// validateResubmission), checked by the rules. The changes are stored as
// the subject's content, merged as a PATCH's are, before the campaign
// moves; the overrides returned are recorded once it has. It returns
// too the stored fields the content was built from, on which
// store.ResubmitCampaign is fenced: a PATCH stored since makes it plan
// again (ResubmitCampaign in resubmit.go).
func (s *Service) planResubmission(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.CampaignResubmission) (naive.CampaignContent, []naive.CheckOverride, naive.CampaignContentPatch, error) {
	sc := p.Scope()
	st, err := s.storedContent(ctx, sc, subj.ID)
	if err != nil {
		return naive.CampaignContent{}, nil, naive.CampaignContentPatch{}, err
	}
	var fields naive.CampaignContentPatch
	if st != nil {
		fields = st.Fields
	}
	changes := naive.CampaignContentPatch{MessageSamples: req.MessageSamples}
	changed := len(req.MessageSamples) > 0
	for _, f := range []struct {
		dst **string
		v   string
	}{{&changes.Description, req.Description}, {&changes.ConsentFlow, req.ConsentFlow},
		{&changes.PrivacyPolicyURL, req.PrivacyPolicyURL}, {&changes.TermsURL, req.TermsURL}} {
		if f.v != "" {
			v := f.v
			*f.dst, changed = &v, true
		}
	}
	fields.Merge(changes)
	c := defaultContent(subj)
	overlay(&c, fields)
	rec, err := s.compliance(ctx, p, subj, c, req.OverrideChecks, naive.SubmissionResubmission)
	if err != nil || !changed {
		return c, rec, fields, err
	}
	// Merged by the store, so a PATCH since the read is kept; what it
	// stored is what is sent, checked again if a PATCH changed it.
	stored, err := s.store.PatchCampaignContent(ctx, sc, subj.ID, changes, p.Actor(), s.now())
	switch {
	case errors.Is(err, store.ErrConflict): // another resubmission moved it
		if cur, gerr := s.campaign10DLCAny(ctx, sc, subj.ID); gerr == nil && cur != nil && cur.Status != naive.CampaignRejected {
			return c, nil, fields, notRejected(cur)
		}
		return c, nil, fields, s.contentLockedNow(ctx, sc, subj.ID)
	case err != nil:
		return c, nil, fields, err
	case reflect.DeepEqual(stored.Fields, fields):
		return c, rec, stored.Fields, nil
	}
	c = defaultContent(subj)
	overlay(&c, stored.Fields)
	rec, err = s.compliance(ctx, p, subj, c, req.OverrideChecks, naive.SubmissionResubmission)
	return c, rec, stored.Fields, err
}
