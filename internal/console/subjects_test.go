package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// subjectsHumanAPI calls the REST API as the admin human (a session
// token) in mode, for what the agent's test key cannot see: live data.
func subjectsHumanAPI(s *server, mode, method, path, body string) (int, map[string]any) {
	s.t.Helper()
	return s.api(method, path, s.loginToken(s.t, adminPassword), body, "Naive-Mode", mode)
}

// subjectsLiveSubject creates a subject in live mode: a foreign id for a
// console in test mode.
func subjectsLiveSubject(s *server) string {
	s.t.Helper()
	st, m := subjectsHumanAPI(s, "live", "POST", "/v1/subjects", `{"legal_name":"Live Only LLC"}`)
	if st != 201 {
		s.t.Fatalf("create live subject: %d %v", st, m)
	}
	return m["id"].(string)
}

// subjectsForm is a full profile as the console's form sends it.
func subjectsForm(csrf string) url.Values {
	return url.Values{"csrf": {csrf}, "legal_name": {"Beta Widgets LLC"}, "state": {"DE"}, "website": {"https://beta.example"},
		"industry": {"technology"}, "privacy_policy_url": {"https://beta.example/privacy"}, "terms_url": {"https://beta.example/terms"},
		"address.line1": {"2 Market St"}, "address.line2": {""}, "address.city": {"San Francisco"}, "address.region": {"CA"},
		"address.postal_code": {"94105"}, "address.country": {"US"}, "contact.first_name": {"Grace"}, "contact.last_name": {"Hopper"},
		"contact.email": {"grace@beta.example"}, "contact.phone": {"+14155550101"}, "contact.title": {"ceo"}}
}

// subjectsCreate creates a subject through the console's form and returns
// its id.
func subjectsCreate(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	p := b.raw("POST", "/console/subjects/new", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/subjects/") {
		t.Fatalf("create subject: %d %s %.800s", p.status, p.location, p.body)
	}
	return strings.TrimPrefix(p.location, "/console/subjects/")
}

func subjectsDefaultID(t *testing.T, s *server) string {
	t.Helper()
	st, m := s.api("GET", "/v1/auth/whoami", s.testKey, "")
	if st != 200 {
		t.Fatalf("whoami: %d %v", st, m)
	}
	return m["default_subject_id"].(string)
}

func subjectsGet(t *testing.T, s *server, id string) map[string]any {
	t.Helper()
	st, m := s.api("GET", "/v1/subjects/"+id, s.testKey, "")
	if st != 200 {
		t.Fatalf("get subject %s: %d %v", id, st, m)
	}
	return m
}

func TestSubjectsListCreateEdit(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	list := b.follow("GET", "/console/subjects", nil)
	if list.status != 200 {
		t.Fatalf("list: %d", list.status)
	}
	mustShow(t, list, "Demo Company LLC", ">default<", "completed", "built-in default", `href="/console/subjects/new"`)

	form := b.follow("GET", "/console/subjects/new", nil)
	if form.status != 200 {
		t.Fatalf("new form: %d", form.status)
	}
	mustContain(t, form, `name="legal_name"`, `name="address.postal_code"`, `name="contact.title"`,
		`<label for="f-website" class="req">`, `<label for="f-address.line1" class="req">`, `<label for="f-address.line2">`)
	csrf := form.csrf(t)

	// Bad input: in place, naming the field, keeping what was typed.
	bad := subjectsForm(csrf)
	bad.Set("state", "ZZ")
	p := b.raw("POST", "/console/subjects/new", bad)
	if p.status != 400 {
		t.Fatalf("bad state: %d %.500s", p.status, p.body)
	}
	mustShow(t, p, `state must be a two-letter US state code`, `(field <code>state</code>)`, `id="f-state-err"`, `value="Beta Widgets LLC"`, `value="ZZ"`)
	bad = subjectsForm(csrf)
	bad.Set("website", "not a url")
	p = b.raw("POST", "/console/subjects/new", bad)
	if p.status != 400 {
		t.Fatalf("bad website: %d", p.status)
	}
	mustShow(t, p, "website must be an http(s) URL", `<code>website</code>`, `id="f-website-err"`)
	bad = subjectsForm(csrf)
	bad.Set("legal_name", "Bad\x00Name")
	if p = b.raw("POST", "/console/subjects/new", bad); p.status != 400 {
		t.Fatalf("NUL in legal name: %d", p.status)
	}
	mustShow(t, p, "cannot be stored", `id="f-legal_name-err"`)

	// CSRF: refused, nothing created.
	_, before := s.api("GET", "/v1/subjects", s.testKey, "")
	for _, tok := range []string{"", "wrong"} {
		f := subjectsForm(tok)
		if p := b.raw("POST", "/console/subjects/new", f); p.status != 403 {
			t.Fatalf("create with CSRF %q: %d", tok, p.status)
		}
	}
	_, after := s.api("GET", "/v1/subjects", s.testKey, "")
	if len(after["data"].([]any)) != len(before["data"].([]any)) {
		t.Fatal("a subject was created without a CSRF token")
	}

	// Create: the effect over REST.
	id := subjectsCreate(t, b, subjectsForm(csrf))
	subj := subjectsGet(t, s, id)
	if subj["legal_name"] != "Beta Widgets LLC" || subj["state"] != "DE" || subj["address"].(map[string]any)["city"] != "San Francisco" ||
		subj["contact"].(map[string]any)["email"] != "grace@beta.example" {
		t.Fatalf("created subject: %v", subj)
	}
	page := b.follow("GET", "/console/subjects/"+id, nil)
	mustShow(t, page, "Subject “Beta Widgets LLC” created.", "Beta Widgets LLC", "Start formation", "not started",
		"The profile has what carrier registration needs.")

	// A sparse subject: preflight's fields_needed on its page and edit page.
	sparse := url.Values{"csrf": {csrf}, "legal_name": {"Sparse LLC"}, "website": {"https://sparse.example"}}
	sid := subjectsCreate(t, b, sparse)
	page = b.follow("GET", "/console/subjects/"+sid, nil)
	mustShow(t, page, "Carrier registration still needs:", "Privacy policy URL", "Address: line 1", "Contact: email",
		`href="/console/subjects/`+sid+`/edit#f-industry"`)
	edit := b.follow("GET", "/console/subjects/"+sid+"/edit", nil)
	if edit.status != 200 {
		t.Fatalf("edit page: %d", edit.status)
	}
	mustShow(t, edit, "Carrier registration still needs:", `href="#f-terms_url"`, `value="Sparse LLC"`, `value="https://sparse.example"`)

	// Edit: only what changed is sent; the rest stays.
	ef := url.Values{"csrf": {csrf}, "legal_name": {"Sparse LLC"}, "website": {"https://sparse.example"}, "industry": {"retail"},
		"address.city": {"Oakland"}}
	p = b.raw("POST", "/console/subjects/"+sid+"/edit", ef)
	if p.status != http.StatusSeeOther || p.location != "/console/subjects/"+sid {
		t.Fatalf("edit: %d %s %.500s", p.status, p.location, p.body)
	}
	subj = subjectsGet(t, s, sid)
	if subj["industry"] != "retail" || subj["address"].(map[string]any)["city"] != "Oakland" || subj["website"] != "https://sparse.example" {
		t.Fatalf("edited subject: %v", subj)
	}
	mustShow(t, b.follow("GET", "/console/subjects/"+sid, nil), "Profile saved.", "retail", "Oakland")
	if p = b.raw("POST", "/console/subjects/"+sid+"/edit", ef); p.status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d", p.status)
	}
	mustShow(t, b.follow("GET", "/console/subjects/"+sid, nil), "Nothing changed.")

	// Edit with bad input: in place, nothing saved.
	ef.Set("contact.email", "not-an-email")
	ef.Set("industry", "technology")
	p = b.raw("POST", "/console/subjects/"+sid+"/edit", ef)
	if p.status != 400 {
		t.Fatalf("bad email: %d", p.status)
	}
	mustShow(t, p, "contact.email must be an email address", `id="f-contact.email-err"`, `value="not-an-email"`, "Edit the legal profile")
	if subjectsGet(t, s, sid)["industry"] != "retail" {
		t.Fatal("a refused edit saved something")
	}
	// Edit with a wrong CSRF token: 403, nothing saved.
	ef.Set("contact.email", "")
	ef.Set("csrf", "nope")
	if p = b.raw("POST", "/console/subjects/"+sid+"/edit", ef); p.status != 403 {
		t.Fatalf("edit without CSRF: %d", p.status)
	}
	if subjectsGet(t, s, sid)["industry"] != "retail" {
		t.Fatal("an edit without CSRF saved something")
	}

	// The legal name is fixed once the formation is filed.
	dp := b.follow("GET", "/console/subjects/"+subjectsDefaultID(t, s)+"/edit", nil)
	mustContain(t, dp, `name="legal_name" value="Demo Company LLC" maxlength="255" autocomplete="organization" readonly`)
	df := url.Values{"csrf": {csrf}, "legal_name": {"Renamed LLC"}, "state": {"DE"}}
	p = b.raw("POST", "/console/subjects/"+subjectsDefaultID(t, s)+"/edit", df)
	if p.status != 409 {
		t.Fatalf("rename a formed subject: %d", p.status)
	}
	mustShow(t, p, "legal_name and state cannot change after the formation was submitted.", `id="f-legal_name-err"`)

	// Foreign and unknown ids: 404.
	live := subjectsLiveSubject(s)
	for _, path := range []string{"/console/subjects/" + live, "/console/subjects/" + live + "/edit", "/console/subjects/" + uuid.NewString(),
		"/console/subjects/" + uuid.NewString() + "/edit", "/console/subjects/not-an-id", "/console/subjects/" + live + "/delete"} {
		if p := b.raw("GET", path, nil); p.status != 404 {
			t.Fatalf("GET %s: %d", path, p.status)
		}
	}
	if p := b.raw("POST", "/console/subjects/"+live+"/edit", url.Values{"csrf": {csrf}, "legal_name": {"Hijack LLC"}}); p.status != 404 {
		t.Fatalf("edit a live subject from test mode: %d", p.status)
	}
	if st, m := subjectsHumanAPI(s, "live", "GET", "/v1/subjects/"+live, ""); st != 200 || m["legal_name"] != "Live Only LLC" {
		t.Fatalf("live subject: %d %v", st, m)
	}
}

func TestSubjectsFormationAndPipeline(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	csrf := b.follow("GET", "/console/subjects/new", nil).csrf(t)
	id := subjectsCreate(t, b, subjectsForm(csrf))

	page := b.follow("GET", "/console/subjects/"+id, nil)
	mustShow(t, page, "Formation", "not started", "Start formation", `action="/console/subjects/`+id+`/formation"`,
		"Carrier brand", "Waits for the formation.", "Campaign", "none yet", "Numbers",
		`href="/console/numbers/new?subject=`+id+`"`, `href="/console/numbers?subject=`+id+`"`, "Complete the formation")

	// A bad state: in place.
	p := b.raw("POST", "/console/subjects/"+id+"/formation", url.Values{"csrf": {csrf}, "state": {"XX"}})
	if p.status != 400 {
		t.Fatalf("formation with a bad state: %d %.300s", p.status, p.body)
	}
	mustShow(t, p, "state must be a two-letter US state code", "<code>state</code>", "Start formation")
	// Without CSRF: nothing filed.
	if p := b.raw("POST", "/console/subjects/"+id+"/formation", url.Values{"state": {"DE"}}); p.status != 403 {
		t.Fatalf("formation without CSRF: %d", p.status)
	}
	if _, f := s.api("GET", "/v1/subjects/"+id+"/formation", s.testKey, ""); f["status"] != "not_started" {
		t.Fatalf("formation after refusals: %v", f)
	}

	// Start it: submitted, then completed after the harness's 20 ms.
	p = b.raw("POST", "/console/subjects/"+id+"/formation", url.Values{"csrf": {csrf}, "state": {"DE"}})
	if p.status != http.StatusSeeOther || p.location != "/console/subjects/"+id {
		t.Fatalf("start formation: %d %s %.300s", p.status, p.location, p.body)
	}
	time.Sleep(60 * time.Millisecond)
	page = b.follow("GET", "/console/subjects/"+id, nil)
	mustShow(t, page, "Formation filed.", "completed", "The LLC is formed as “Beta Widgets LLC” in DE",
		"The carrier brand is registered with the first number", "Buy a number: the first one registers the brand")
	if strings.Contains(page.body, "Start formation") {
		t.Fatal("the formation form is still offered after completion")
	}
	if _, f := s.api("GET", "/v1/subjects/"+id+"/formation", s.testKey, ""); f["status"] != "formation_completed" {
		t.Fatalf("formation over REST: %v", f)
	}
	// Again: the API's conflict, in place.
	p = b.raw("POST", "/console/subjects/"+id+"/formation", url.Values{"csrf": {csrf}, "state": {"DE"}})
	if p.status != 409 {
		t.Fatalf("second formation: %d", p.status)
	}
	mustShow(t, p, "The formation is already completed.")

	// The pipeline with a number: the agent buys one on the default subject.
	def := subjectsDefaultID(t, s)
	if st, m := s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789","area_code":"415"}`); st != 202 || m["phone"] == nil {
		t.Fatalf("provision: %d %v", st, m)
	}
	_, ps := s.api("GET", "/v1/phone/status", s.testKey, "")
	e164 := ps["numbers"].([]any)[0].(map[string]any)["e164"].(string)
	page = b.follow("GET", "/console/subjects/"+def, nil)
	mustShow(t, page, "registered", "10DLC campaign (local numbers)", "in review", "1 active number", e164,
		"Wait for the carriers' review", "The default subject cannot be deleted")

	// The carriers reject the campaign: the page says so and what to do.
	for _, c := range s.app.Sandbox().Campaigns() {
		if err := s.app.Sandbox().SetCampaignStatus(c.ID, "rejected"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ps := s.api("GET", "/v1/phone/status", s.testKey, "")
		if c := ps["campaigns"].([]any); len(c) > 0 && c[0].(map[string]any)["status"] == "rejected" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign was not seen rejected: %v", ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	page = b.follow("GET", "/console/subjects/"+def, nil)
	mustShow(t, page, "rejected", "The carriers rejected this campaign.", "fix the profile", surgesim.RejectReason,
		"still receive SMS", `href="/console/subjects/`+def+`/edit"`, `action="/console/subjects/`+def+`/campaign/resubmit"`,
		"Resubmit the campaign")
	if strings.Contains(page.body, "contact support") {
		t.Fatal("the rejected campaign still says to contact support")
	}
	// A bad description is refused in place; an empty one resubmits.
	if p := b.raw("POST", "/console/subjects/"+def+"/campaign/resubmit", url.Values{"csrf": {csrf}, "description": {"short"}}); p.status != 400 ||
		!strings.Contains(p.body, "40 to 4096") {
		t.Fatalf("short description: %d", p.status)
	}
	page = b.follow("POST", "/console/subjects/"+def+"/campaign/resubmit", url.Values{"csrf": {csrf}})
	mustShow(t, page, "Campaign resubmitted", "in review")
	if p := b.raw("POST", "/console/subjects/"+def+"/campaign/resubmit", url.Values{"csrf": {csrf}}); p.status != 409 {
		t.Fatalf("second resubmit: %d", p.status)
	}

	// Foreign and unknown subjects: 404, nothing filed.
	live := subjectsLiveSubject(s)
	for _, sid := range []string{live, uuid.NewString()} {
		if p := b.raw("POST", "/console/subjects/"+sid+"/formation", url.Values{"csrf": {csrf}, "state": {"DE"}}); p.status != 404 {
			t.Fatalf("formation of %s: %d", sid, p.status)
		}
	}
	if _, f := subjectsHumanAPI(s, "live", "GET", "/v1/subjects/"+live+"/formation", ""); f["status"] != "not_started" {
		t.Fatalf("live formation: %v", f)
	}
}

func TestSubjectsLiveFormationAttests(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin() // live mode by default
	form := b.follow("GET", "/console/subjects/new", nil)
	csrf := form.csrf(t)
	id := subjectsCreate(t, b, url.Values{"csrf": {csrf}, "legal_name": {"Gamma Live LLC"}, "state": {"WY"}})
	page := b.follow("GET", "/console/subjects/"+id, nil)
	mustShow(t, page, "Live mode has no filing partner", "I attest this LLC exists", `name="formed_at"`, `value="Gamma Live LLC"`, `value="WY"`)
	if strings.Contains(page.body, "Start formation") {
		t.Fatal("live mode offers a filing")
	}

	f := url.Values{"csrf": {csrf}, "legal_name": {"Gamma Live LLC"}, "state": {"WY"}, "formed_at": {"2021-03-04"}}
	p := b.raw("POST", "/console/subjects/"+id+"/formation", f)
	if p.status != 400 {
		t.Fatalf("formation without attesting: %d", p.status)
	}
	mustShow(t, p, "Tick “I attest this LLC exists”", "<code>attest</code>", `value="2021-03-04"`)
	f.Set("attest", "yes")
	f.Set("formed_at", "2999-01-01")
	if p = b.raw("POST", "/console/subjects/"+id+"/formation", f); p.status != 400 {
		t.Fatalf("formation in the future: %d", p.status)
	}
	mustShow(t, p, "formed_at must be the formation date", "<code>formed_at</code>")
	if _, fm := subjectsHumanAPI(s, "live", "GET", "/v1/subjects/"+id+"/formation", ""); fm["status"] != "not_started" {
		t.Fatalf("formation after refusals: %v", fm)
	}
	f.Set("formed_at", "2021-03-04")
	if p = b.raw("POST", "/console/subjects/"+id+"/formation", f); p.status != http.StatusSeeOther {
		t.Fatalf("attest: %d %.300s", p.status, p.body)
	}
	_, fm := subjectsHumanAPI(s, "live", "GET", "/v1/subjects/"+id+"/formation", "")
	if fm["status"] != "formation_completed" || !strings.HasPrefix(fm["formed_at"].(string), "2021-03-04") {
		t.Fatalf("attested formation: %v", fm)
	}
	mustShow(t, b.follow("GET", "/console/subjects/"+id, nil), "The existing LLC is recorded", "on 2021-03-04")
}

func TestSubjectsDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	def := subjectsDefaultID(t, s)

	// The default subject: refused with the API's message, in place.
	confirm := b.follow("GET", "/console/subjects/"+def+"/delete", nil)
	if confirm.status != 200 {
		t.Fatalf("confirm page: %d", confirm.status)
	}
	mustShow(t, confirm, "Delete “Demo Company LLC”?", "Delete the subject")
	csrf := confirm.csrf(t)
	p := b.raw("POST", "/console/subjects/"+def+"/delete", url.Values{"csrf": {csrf}})
	if p.status != 409 {
		t.Fatalf("delete the default subject: %d", p.status)
	}
	mustShow(t, p, "The default subject cannot be deleted.", `role="alert"`)
	subjectsGet(t, s, def)

	// Another subject: CSRF first, then deleted.
	id := subjectsCreate(t, b, url.Values{"csrf": {csrf}, "legal_name": {"Doomed LLC"}})
	mustShow(t, b.follow("GET", "/console/subjects/"+id, nil), `href="/console/subjects/`+id+`/delete"`)
	if p := b.raw("POST", "/console/subjects/"+id+"/delete", url.Values{"csrf": {"forged"}}); p.status != 403 {
		t.Fatalf("delete with a forged token: %d", p.status)
	}
	subjectsGet(t, s, id)
	p = b.raw("POST", "/console/subjects/"+id+"/delete", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther || p.location != "/console/subjects" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	mustShow(t, b.follow("GET", p.location, nil), "Subject “Doomed LLC” deleted.")
	if st, _ := s.api("GET", "/v1/subjects/"+id, s.testKey, ""); st != 404 {
		t.Fatalf("deleted subject: %d", st)
	}
	if p := b.raw("POST", "/console/subjects/"+id+"/delete", url.Values{"csrf": {csrf}}); p.status != 404 {
		t.Fatalf("delete again: %d", p.status)
	}
	// A foreign subject: 404, still there.
	live := subjectsLiveSubject(s)
	if p := b.raw("POST", "/console/subjects/"+live+"/delete", url.Values{"csrf": {csrf}}); p.status != 404 {
		t.Fatalf("delete a live subject from test mode: %d", p.status)
	}
	if st, _ := subjectsHumanAPI(s, "live", "GET", "/v1/subjects/"+live, ""); st != 200 {
		t.Fatalf("live subject after a foreign delete: %d", st)
	}
}

func TestSubjectsPagination(t *testing.T) {
	t.Parallel()
	s := start(t)
	for _, n := range []string{"One LLC", "Two LLC", "Three LLC"} {
		if st, m := s.api("POST", "/v1/subjects", s.testKey, `{"legal_name":"`+n+`"}`); st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
	}
	b := s.browser()
	b.mustLogin()
	b.testMode()
	p := b.follow("GET", "/console/subjects?limit=2", nil)
	mustContain(t, p, `rel="next"`)
	seen := strings.Count(p.body, `<tr>`) - 1
	next := subjectsHref(t, p.body, `rel="next"`)
	p2 := b.follow("GET", next, nil)
	if p2.status != 200 {
		t.Fatalf("page 2: %d", p2.status)
	}
	mustShow(t, p2, "← Newest")
	seen += strings.Count(p2.body, `<tr>`) - 1
	if seen != 4 {
		t.Fatalf("saw %d subjects over two pages, want 4", seen)
	}
}

// subjectsHref returns the href of the link carrying marker.
func subjectsHref(t *testing.T, body, marker string) string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no %s in the page", marker)
	}
	start := strings.LastIndex(body[:i], `href="`)
	if start < 0 {
		t.Fatalf("no href before %s", marker)
	}
	rest := body[start+len(`href="`):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
}
