package console_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/console"
)

// These tests drive the console as a browser would, with net/http and a
// cookie jar, against a real server on 127.0.0.1:0 with a temp SQLite
// database; agents act through the REST API.

const (
	adminEmail    = "admin@localhost"
	adminPassword = "correct horse battery staple"
)

// acmeProfile is the example subject of the API docs.
const acmeProfile = `{"legal_name":"Acme Robotics LLC","state":"DE","website":"https://acme.example",
 "industry":"technology","privacy_policy_url":"https://acme.example/privacy","terms_url":"https://acme.example/terms",
 "address":{"line1":"1 Main St","city":"San Francisco","region":"CA","postal_code":"94105","country":"US"},
 "contact":{"first_name":"Ada","last_name":"Lovelace","email":"ada@acme.example","phone":"+14155550100","title":"ceo"}}`

type server struct {
	t       testing.TB
	app     *app.App
	url     string
	testKey string
}

func start(t testing.TB, opts ...func(*app.Options)) *server {
	t.Helper()
	o := app.Options{
		Addr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "naive.db"),
		AdminPassword: adminPassword, SandboxReviewDelay: time.Hour, FormationDelay: 20 * time.Millisecond,
		PollInterval: 100 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := app.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return &server{t: t, app: a, url: a.URL(), testKey: a.Bootstrapped().TestKey}
}

// api calls the REST API with a bearer token (none when token is empty)
// and header pairs, and returns status and JSON.
func (s *server) api(method, path, token, body string, header ...string) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// pendingApproval has the agent (the test key) ask for a number on a
// formed, non-default subject: 202 pending_approval. It returns the
// approval id and the subject id.
func (s *server) pendingApproval(provision string) (string, string) {
	s.t.Helper()
	st, subj := s.api("POST", "/v1/subjects", s.testKey, acmeProfile)
	if st != 201 {
		s.t.Fatalf("create subject: %d %v", st, subj)
	}
	sid := subj["id"].(string)
	if st, m := s.api("POST", "/v1/subjects/"+sid+"/formation", s.testKey, `{"entity_type":"LLC","state":"DE"}`); st != 202 {
		s.t.Fatalf("formation: %d %v", st, m)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, f := s.api("GET", "/v1/subjects/"+sid+"/formation", s.testKey, "")
		if f["status"] == "formation_completed" {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("formation did not complete: %v", f)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, p := s.api("POST", "/v1/subjects/"+sid+"/phone/provision", s.testKey, provision)
	if st != 202 || p["status"] != "pending_approval" {
		s.t.Fatalf("provision: %d %v", st, p)
	}
	return p["approval_id"].(string), sid
}

func (s *server) balance() float64 {
	s.t.Helper()
	_, m := s.api("GET", "/v1/credits", s.testKey, "")
	return m["balance"].(float64)
}

func (s *server) numbersBought() int { return len(s.app.Sandbox().AllNumbers()) }

func (s *server) approvalStatus(id string) string {
	s.t.Helper()
	st, m := s.api("GET", "/v1/approvals/"+id, s.testKey, "")
	if st != 200 {
		s.t.Fatalf("get approval: %d %v", st, m)
	}
	return m["status"].(string)
}

// browser is a cookie-jar client that does not follow redirects, so each
// answer can be checked; get and post follow them by hand.
type browser struct {
	t   testing.TB
	s   *server
	c   *http.Client
	jar *cookiejar.Jar
}

func (s *server) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &browser{t: s.t, s: s, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body), location: res.Header.Get("Location")}
}

// raw sends one request, following no redirect.
func (b *browser) raw(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.url+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// follow sends a request and follows redirects to the final page.
func (b *browser) follow(method, path string, form url.Values) page {
	b.t.Helper()
	p := b.raw(method, path, form)
	for i := 0; p.location != "" && i < 5; i++ {
		p = b.raw("GET", p.location, nil)
	}
	return p
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a page's forms.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page: %.500s", p.body)
	}
	return m[1]
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.s.url + console.Path + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login logs in through the form and returns the landing page.
func (b *browser) login(email, password string) page {
	b.t.Helper()
	form := b.raw("GET", "/console/login", nil)
	if form.status != 200 {
		b.t.Fatalf("login form: %d", form.status)
	}
	return b.raw("POST", "/console/login", url.Values{"csrf": {form.csrf(b.t)}, "email": {email}, "password": {password}, "next": {"/console/"}})
}

func (b *browser) mustLogin() {
	b.t.Helper()
	if p := b.login(adminEmail, adminPassword); p.status != http.StatusSeeOther || p.location != "/console/" {
		b.t.Fatalf("login: %d %s %.300s", p.status, p.location, p.body)
	}
}

// testMode switches the console to test mode, where the agent's approvals are.
func (b *browser) testMode() {
	b.t.Helper()
	home := b.follow("GET", "/console/", nil)
	p := b.raw("POST", "/console/mode", url.Values{"csrf": {home.csrf(b.t)}, "mode": {"test"}, "next": {"/console/"}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("switch mode: %d %.300s", p.status, p.body)
	}
}

func mustContain(t testing.TB, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page (%d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

// mustShow checks text as a person reads it (entities decoded).
func mustShow(t testing.TB, p page, want ...string) {
	t.Helper()
	text := html.UnescapeString(p.body)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("page (%d) does not show %q:\n%s", p.status, w, p.body)
		}
	}
}

func TestRootRedirectsBrowsersOnly(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	if p := b.raw("GET", "/", nil); p.status != http.StatusFound || p.location != "/console/" {
		t.Fatalf("GET / as a browser: %d %q", p.status, p.location)
	}
	// Without text/html, / and unknown paths keep the API's JSON 404.
	for _, c := range []struct{ method, path, accept string }{
		{"GET", "/", "application/json"}, {"POST", "/", "text/html"}, {"GET", "/nope", "text/html"}, {"GET", "/v1/nope", "*/*"},
	} {
		p := b.raw(c.method, c.path, nil, "Accept", c.accept)
		if p.status != 404 || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") || !strings.Contains(p.body, `"not_found"`) {
			t.Fatalf("%s %s (%s): %d %s %s", c.method, c.path, c.accept, p.status, p.header.Get("Content-Type"), p.body)
		}
	}
	// An unknown console page is an HTML 404 page.
	p := b.raw("GET", "/console/nope", nil)
	if p.status != 404 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /console/nope: %d %s", p.status, p.header.Get("Content-Type"))
	}
	mustContain(t, p, "not_found")
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()

	// Pages need a session: they send the browser to the login form.
	p := b.raw("GET", "/console/approvals?status=pending", nil)
	if p.status != http.StatusSeeOther || p.location != "/console/login?next="+url.QueryEscape("/console/approvals?status=pending") {
		t.Fatalf("logged out: %d %q", p.status, p.location)
	}
	form := b.raw("GET", "/console/login", nil)
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := form.header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// Scripts come only from the console's own file: no inline script.
	if got := form.header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
		t.Errorf("CSP %q allows scripts from elsewhere", got)
	}
	if strings.Count(form.body, "<script") != strings.Count(form.body, `<script src="/console/static/console.js" defer></script>`) {
		t.Error("the console serves an inline script")
	}

	// Wrong password: the form again, 401, no session.
	p = b.login(adminEmail, "wrong password")
	if p.status != 401 || b.cookie(console.SessionCookie) != nil {
		t.Fatalf("wrong password: %d, session %v", p.status, b.cookie(console.SessionCookie))
	}
	mustContain(t, p, "Wrong email or password", `value="admin@localhost"`)
	if p = b.login("nobody@example.com", adminPassword); p.status != 401 {
		t.Fatalf("unknown email: %d", p.status)
	}

	// A login POST without the form's token is refused (login CSRF).
	if p = b.raw("POST", "/console/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); p.status != 403 {
		t.Fatalf("login without token: %d", p.status)
	}
	if b.cookie(console.SessionCookie) != nil {
		t.Fatal("a session without the login token")
	}

	// Right password: a session cookie, HttpOnly, SameSite=Lax, scoped to
	// the console.
	p = b.login(adminEmail, adminPassword)
	if p.status != http.StatusSeeOther || p.location != "/console/" {
		t.Fatalf("login: %d %q", p.status, p.location)
	}
	var set *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == console.SessionCookie && c.Value != "" {
			set = c
		}
	}
	if set == nil || !strings.HasPrefix(set.Value, "nv_sess_") || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode ||
		set.Path != "/console" || set.Secure {
		t.Fatalf("session cookie %+v", set)
	}
	home := b.raw("GET", "/console/", nil)
	if home.status != 200 || home.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("home: %d %v", home.status, home.header)
	}
	mustContain(t, home, "Approvals", adminEmail, "Log out")
	// Logged in, the login form sends the human on.
	if p = b.raw("GET", "/console/login?next=/console/overview", nil); p.status != http.StatusSeeOther || p.location != "/console/overview" {
		t.Fatalf("login when logged in: %d %q", p.status, p.location)
	}
	// No open redirect.
	if p = b.raw("GET", "/console/login?next=//evil.example/x", nil); p.location != "/console/" {
		t.Fatalf("next=//evil: %q", p.location)
	}

	// Behind TLS (a proxy's X-Forwarded-Proto), the cookie is Secure.
	b2 := s.browser()
	form = b2.raw("GET", "/console/login", nil)
	p = b2.raw("POST", "/console/login", url.Values{"csrf": {form.csrf(t)}, "email": {adminEmail}, "password": {adminPassword}},
		"X-Forwarded-Proto", "https")
	secure := false
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		secure = secure || (c.Name == console.SessionCookie && c.Value != "" && c.Secure)
	}
	if !secure {
		t.Fatalf("no Secure session cookie over TLS: %v", p.header.Values("Set-Cookie"))
	}
}

func TestApproveFromTheInbox(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, sid := s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"<script>alert(1)</script>"}`)
	b := s.browser()
	b.mustLogin()

	// Live mode (the default) shows none of test mode's approvals, but says
	// where they are; an id of the other mode is not found.
	live := b.raw("GET", "/console/", nil)
	mustContain(t, live, "Nothing waits for you in live mode", "1 pending approval in test mode")
	if p := b.raw("GET", "/console/approvals/"+id, nil); p.status != 404 {
		t.Fatalf("test approval in live mode: %d", p.status)
	}
	b.testMode()
	if c := b.cookie(console.ModeCookie); c == nil || c.Value != "test" {
		t.Fatalf("mode cookie %v", c)
	}

	// The inbox: pending first, with title, subject, cost, requester, age, expiry.
	inbox := b.raw("GET", "/console/", nil)
	if inbox.status != 200 {
		t.Fatalf("inbox: %d", inbox.status)
	}
	mustContain(t, inbox, "/console/approvals/"+id, "Provision a local phone number (415) for Acme Robotics LLC",
		"Acme Robotics LLC", "50 <span", "first-start test key", "ago", "expires in 2d 23h", `class="badge pending"`)
	for _, status := range []string{"pending", "executed"} {
		p := b.raw("GET", "/console/approvals?status="+status, nil)
		if got := strings.Contains(p.body, "/console/approvals/"+id); got != (status == "pending") {
			t.Fatalf("filter %s: listed %v", status, got)
		}
	}
	if p := b.raw("GET", "/console/approvals?status=bogus", nil); p.status != 400 {
		t.Fatalf("bad filter: %d", p.status)
	}

	// The detail page: the frozen request, escaped; cost and balance.
	detail := b.raw("GET", "/console/approvals/"+id, nil)
	mustContain(t, detail, `&#34;area_code&#34;: &#34;415&#34;`, "&lt;script&gt;alert(1)&lt;/script&gt;", sid, "Balance now", "1,000", "950",
		`action="/console/approvals/`+id+`/approve"`, `action="/console/approvals/`+id+`/deny"`)
	if strings.Contains(detail.body, "<script>") {
		t.Fatal("the payload is not escaped")
	}
	token := detail.csrf(t)

	// Without a token, with a wrong one, or with another session's: 403,
	// nothing runs.
	other := s.browser()
	other.mustLogin()
	otherToken := other.follow("GET", "/console/", nil).csrf(t)
	if otherToken == token {
		t.Fatal("two sessions share a CSRF token")
	}
	for name, form := range map[string]url.Values{
		"no token": {}, "wrong token": {"csrf": {"x" + token}}, "another session's token": {"csrf": {otherToken}},
	} {
		p := b.raw("POST", "/console/approvals/"+id+"/approve", form)
		if p.status != 403 {
			t.Fatalf("approve with %s: %d", name, p.status)
		}
		mustContain(t, p, "forbidden", "security token")
	}
	if s.numbersBought() != 0 || s.balance() != 1000 || s.approvalStatus(id) != "pending" {
		t.Fatal("a refused POST executed")
	}

	// Approve: a redirect to the outcome, the number bought exactly once.
	p := b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/approvals/"+id+"?done=approve" {
		t.Fatalf("approve: %d %q %.300s", p.status, p.location, p.body)
	}
	if s.numbersBought() != 1 || s.balance() != 950 || s.approvalStatus(id) != "executed" {
		t.Fatalf("after approve: %d numbers, balance %v", s.numbersBought(), s.balance())
	}
	e164 := s.app.Sandbox().AllNumbers()[0].Number
	outcome := b.raw("GET", p.location, nil)
	mustContain(t, outcome, "you (admin@localhost)", "You approved this request", `class="badge big executed"`, "Number bought", "950 left")
	mustShow(t, outcome, e164)
	if strings.Contains(outcome.body, `/approve"`) {
		t.Fatal("a decided approval still offers Approve")
	}
	// Approving again (a double click, a replayed form) executes nothing.
	p = b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {token}})
	if p.status != 409 {
		t.Fatalf("approve again: %d", p.status)
	}
	mustContain(t, p, "conflict", "executed")
	if s.numbersBought() != 1 || s.balance() != 950 {
		t.Fatal("a second approve executed")
	}

	// Inbox and overview show the result.
	mustContain(t, b.raw("GET", "/console/approvals?status=executed", nil), "/console/approvals/"+id)
	ov := b.raw("GET", "/console/overview", nil)
	mustContain(t, ov, `id="balance">950<`, "phone.provisioned", "approval.resolved", "campaign in review")
	mustShow(t, ov, e164, "<script>alert(1)</script>")
	if strings.Contains(ov.body, "<script>") {
		t.Fatal("the label is not escaped")
	}

	// Ids that are not this operator's (or do not exist) are 404 pages.
	for _, bad := range []string{uuid.NewString(), "not-a-uuid"} {
		p := b.raw("GET", "/console/approvals/"+bad, nil)
		if p.status != 404 || !strings.Contains(p.body, "not_found") {
			t.Fatalf("approval %s: %d", bad, p.status)
		}
		if p := b.raw("POST", "/console/approvals/"+bad+"/approve", url.Values{"csrf": {token}}); p.status != 404 {
			t.Fatalf("approve %s: %d", bad, p.status)
		}
	}
}

func TestDenyNeedsAReason(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	token := b.raw("GET", "/console/approvals/"+id, nil).csrf(t)

	for _, reason := range []string{"", "   "} {
		p := b.raw("POST", "/console/approvals/"+id+"/deny", url.Values{"csrf": {token}, "reason": {reason}})
		if p.status != 400 {
			t.Fatalf("deny with reason %q: %d", reason, p.status)
		}
		mustContain(t, p, "A reason is required")
	}
	if s.approvalStatus(id) != "pending" {
		t.Fatal("denied without a reason")
	}
	if p := b.raw("POST", "/console/approvals/"+id+"/deny", url.Values{"reason": {"no token"}}); p.status != 403 {
		t.Fatalf("deny without token: %d", p.status)
	}
	if s.approvalStatus(id) != "pending" {
		t.Fatal("denied without a token")
	}
	p := b.raw("POST", "/console/approvals/"+id+"/deny", url.Values{"csrf": {token}, "reason": {`Not this quarter <b>sorry</b>`}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("deny: %d %.300s", p.status, p.body)
	}
	if s.approvalStatus(id) != "denied" || s.numbersBought() != 0 || s.balance() != 1000 {
		t.Fatal("deny did not deny, or bought")
	}
	_, a := s.api("GET", "/v1/approvals/"+id, s.testKey, "")
	if a["reason"] != "Not this quarter <b>sorry</b>" {
		t.Fatalf("reason %v", a["reason"])
	}
	done := b.raw("GET", p.location, nil)
	mustContain(t, done, "You denied this request", html.EscapeString("Not this quarter <b>sorry</b>"))
	mustContain(t, b.raw("GET", "/console/approvals?status=denied", nil), "/console/approvals/"+id)
}

func TestFailedApprovalShowsTheErrorAndHint(t *testing.T) {
	t.Parallel()
	s := start(t)
	// Area code 555 is the sandbox's magic value for "no inventory".
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"555"}`)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	token := b.raw("GET", "/console/approvals/"+id, nil).csrf(t)
	p := b.follow("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {token}})
	mustContain(t, p, "and failed", `class="notice bad-notice"`, `class="badge big failed"`, "no_matching_numbers", `class="hint"`)
	if s.numbersBought() != 0 || s.balance() != 1000 {
		t.Fatal("a failed approval bought or charged")
	}
}

func TestAPIKeysCannotUseTheConsole(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	b := s.browser()
	u, _ := url.Parse(s.url + "/console/")
	b.jar.SetCookies(u, []*http.Cookie{{Name: console.SessionCookie, Value: s.testKey, Path: "/console"},
		{Name: console.ModeCookie, Value: "test", Path: "/console"}})

	p := b.raw("GET", "/console/approvals/"+id, nil)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login") {
		t.Fatalf("API key cookie on a page: %d %q", p.status, p.location)
	}
	// A form post with the key (its token derived from the key, as an
	// attacker holding it could compute) is refused before anything runs.
	for _, tok := range []string{"", "anything"} {
		p = b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {tok}})
		if p.status != 401 {
			t.Fatalf("API key cookie on approve: %d", p.status)
		}
	}
	if s.approvalStatus(id) != "pending" || s.numbersBought() != 0 {
		t.Fatal("an API key approved")
	}
	// Nor does the Authorization header log anyone in: the console reads
	// only its cookie.
	b2 := s.browser()
	if p := b2.raw("GET", "/console/", nil, "Authorization", "Bearer "+s.testKey); p.status != http.StatusSeeOther {
		t.Fatalf("bearer key: %d", p.status)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	token := b.follow("GET", "/console/", nil).csrf(t)
	sess := b.cookie(console.SessionCookie).Value

	// Logging out needs the token too.
	if p := b.raw("POST", "/console/logout", url.Values{}); p.status != 403 {
		t.Fatalf("logout without token: %d", p.status)
	}
	if st, _ := s.api("GET", "/v1/auth/whoami", sess, ""); st != 200 {
		t.Fatalf("session ended by a refused logout: %d", st)
	}
	p := b.raw("POST", "/console/logout", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther || p.location != "/console/login?logged_out=1" {
		t.Fatalf("logout: %d %q", p.status, p.location)
	}
	if b.cookie(console.SessionCookie) != nil {
		t.Fatal("cookie kept after logout")
	}
	mustContain(t, b.raw("GET", p.location, nil), "You have logged out")
	if p := b.raw("GET", "/console/", nil); p.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.status)
	}
	// The old token is dead on the server, not only forgotten here.
	if st, _ := s.api("GET", "/v1/auth/whoami", sess, ""); st != 401 {
		t.Fatalf("old session after logout: %d", st)
	}
	old := s.browser()
	u, _ := url.Parse(s.url + "/console/")
	old.jar.SetCookies(u, []*http.Cookie{{Name: console.SessionCookie, Value: sess, Path: "/console"}})
	if p := old.raw("GET", "/console/", nil); p.status != http.StatusSeeOther {
		t.Fatalf("replayed cookie after logout: %d", p.status)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	token := b.raw("GET", "/console/approvals/"+id, nil).csrf(t)
	// Even with the right token, a browser's cross-site POST is refused.
	p := b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {token}}, "Sec-Fetch-Site", "cross-site")
	if p.status != 403 || s.approvalStatus(id) != "pending" {
		t.Fatalf("cross-site approve: %d", p.status)
	}
	// And a bad mode value changes nothing.
	if p := b.raw("POST", "/console/mode", url.Values{"csrf": {token}, "mode": {"prod"}}); p.status != 400 {
		t.Fatalf("bad mode: %d", p.status)
	}
}

// TestBadTextGetsTheFormError checks a NUL or invalid UTF-8 in a form
// field is the form's own error, 400, and nothing is done with it.
func TestBadTextGetsTheFormError(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	for _, c := range [][2]string{{adminEmail + "\x00", adminPassword}, {"admin@localhost\xff", adminPassword}, {adminEmail, adminPassword + "\x00"}} {
		p := b.login(c[0], c[1])
		if p.status != 400 || b.cookie(console.SessionCookie) != nil {
			t.Fatalf("login %q: %d, session %v", c, p.status, b.cookie(console.SessionCookie))
		}
		mustContain(t, p, "cannot be stored", `role="alert"`, `name="email"`)
	}

	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	b.mustLogin()
	b.testMode()
	token := b.raw("GET", "/console/approvals/"+id, nil).csrf(t)
	for _, reason := range []string{"not\x00now", "not \xffnow"} {
		p := b.raw("POST", "/console/approvals/"+id+"/deny", url.Values{"csrf": {token}, "reason": {reason}})
		if p.status != 400 {
			t.Fatalf("deny with reason %q: %d %.300s", reason, p.status, p.body)
		}
		mustContain(t, p, "The reason holds a character that cannot be stored", `class="field-error"`)
	}
	if s.approvalStatus(id) != "pending" {
		t.Fatal("denied with an unstorable reason")
	}
}
