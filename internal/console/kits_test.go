package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// kitsForm is the kit form as the console sends it.
func kitsForm(csrf, name, approval, typ, areaCode, label string, enabled bool) url.Values {
	f := url.Values{"csrf": {csrf}, "name": {name}, "primitives_config.phone.requiresApproval": {approval},
		"primitives_config.phone.defaults.type": {typ}, "primitives_config.phone.defaults.area_code": {areaCode},
		"primitives_config.phone.defaults.label": {label}}
	if enabled {
		f.Set("primitives_config.phone.enabled", "true")
	}
	return f
}

func kitsGet(t *testing.T, s *server, id string) map[string]any {
	t.Helper()
	st, m := s.api("GET", "/v1/account-kits/"+id, s.testKey, "")
	if st != 200 {
		t.Fatalf("get kit %s: %d %v", id, st, m)
	}
	return m
}

func kitsPhone(t *testing.T, s *server, id string) map[string]any {
	t.Helper()
	pc, _ := kitsGet(t, s, id)["primitives_config"].(map[string]any)
	ph, _ := pc["phone"].(map[string]any)
	if ph == nil {
		t.Fatalf("kit %s has no phone config: %v", id, pc)
	}
	return ph
}

func kitsCount(t *testing.T, s *server) int {
	t.Helper()
	st, m := s.api("GET", "/v1/account-kits", s.testKey, "")
	if st != 200 {
		t.Fatalf("list kits: %d %v", st, m)
	}
	return len(m["data"].([]any))
}

func TestKitsCreateEditAssign(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	def := subjectsDefaultID(t, s)

	list := b.follow("GET", "/console/kits", nil)
	if list.status != 200 {
		t.Fatalf("list: %d", list.status)
	}
	mustShow(t, list, "No kits in test mode", "Built-in default (a subject with no kit): an agent's phone.provision needs approval on every subject but the default subject",
		"humans are never gated")
	form := b.follow("GET", "/console/kits/new", nil)
	if form.status != 200 {
		t.Fatalf("new: %d", form.status)
	}
	mustContain(t, form, `name="primitives_config.phone.enabled" value="true" checked`, `value="default" checked`, `value="always"`, `value="never"`,
		`name="primitives_config.phone.defaults.area_code"`)
	csrf := form.csrf(t)

	// Bad input: in place, naming the field.
	p := b.raw("POST", "/console/kits/new", kitsForm(csrf, "Strict", "always", "local", "123", "", true))
	if p.status != 400 {
		t.Fatalf("bad area code: %d %.300s", p.status, p.body)
	}
	mustShow(t, p, "area_code must be a valid 3-digit NANP area code", "<code>primitives_config.phone.defaults.area_code</code>", `value="Strict"`, `value="123"`)
	if p = b.raw("POST", "/console/kits/new", kitsForm(csrf, "  ", "always", "", "", "", true)); p.status != 400 {
		t.Fatalf("no name: %d", p.status)
	}
	mustShow(t, p, "name is required", "<code>name</code>")
	if p = b.raw("POST", "/console/kits/new", kitsForm(csrf, "X", "sometimes", "", "", "", true)); p.status != 400 {
		t.Fatalf("bad approval: %d", p.status)
	}
	mustShow(t, p, "Choose when agents need approval")
	// CSRF: refused, nothing created.
	if p = b.raw("POST", "/console/kits/new", kitsForm("", "Strict", "always", "", "", "", true)); p.status != 403 {
		t.Fatalf("create without CSRF: %d", p.status)
	}
	if n := kitsCount(t, s); n != 0 {
		t.Fatalf("%d kits after refusals", n)
	}

	// Create: the effect over REST.
	p = b.raw("POST", "/console/kits/new", kitsForm(csrf, "Strict", "always", "local", "415", "Support", true))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/kits/") {
		t.Fatalf("create: %d %s %.500s", p.status, p.location, p.body)
	}
	kid := strings.TrimPrefix(p.location, "/console/kits/")
	ph := kitsPhone(t, s, kid)
	d, _ := ph["defaults"].(map[string]any)
	if ph["requiresApproval"] != true || ph["enabled"] != true || d["area_code"] != "415" || d["type"] != "local" || d["label"] != "Support" {
		t.Fatalf("created kit: %v", ph)
	}
	page := b.follow("GET", p.location, nil)
	mustShow(t, page, "Kit “Strict” created.", "agents always need a human's approval", "Defaults: type local, area code 415, label “Support”",
		"No subject uses it yet.", `value="always" checked`, "Demo Company LLC (default)")

	// Assign it to the default subject from the kit page: the agent's
	// provision there now waits for a human.
	if p = b.raw("POST", "/console/kits/"+kid+"/assign", url.Values{"csrf": {"bad"}, "subject_id": {def}}); p.status != 403 {
		t.Fatalf("assign without CSRF: %d", p.status)
	}
	if subjectsGet(t, s, def)["account_kit_id"] != nil {
		t.Fatal("assigned without CSRF")
	}
	p = b.raw("POST", "/console/kits/"+kid+"/assign", url.Values{"csrf": {csrf}, "subject_id": {def}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %.300s", p.status, p.body)
	}
	if subjectsGet(t, s, def)["account_kit_id"] != kid {
		t.Fatal("the kit is not assigned over REST")
	}
	mustShow(t, b.follow("GET", "/console/kits/"+kid, nil), "Kit assigned to “Demo Company LLC”.", `href="/console/subjects/`+def+`"`)
	mustShow(t, b.follow("GET", "/console/kits", nil), "Strict", "Demo Company LLC")
	mustShow(t, b.follow("GET", "/console/subjects", nil), `href="/console/kits/`+kid+`">Strict</a>`)
	mustShow(t, b.follow("GET", "/console/subjects/"+def, nil), `Uses <a href="/console/kits/`+kid+`">Strict</a>`)
	st, m := s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789"}`)
	if st != 202 || m["status"] != "pending_approval" {
		t.Fatalf("provision under an always-approve kit: %d %v", st, m)
	}

	// Edit: never, defaults cleared; the agent then buys at once.
	if p = b.raw("POST", "/console/kits/"+kid, kitsForm(csrf, "Lenient", "bogus", "", "", "", true)); p.status != 400 {
		t.Fatalf("bad edit: %d", p.status)
	}
	mustShow(t, p, "Choose when agents need approval", `value="Lenient"`)
	if p = b.raw("POST", "/console/kits/"+kid, kitsForm(csrf, "Lenient", "never", "toll_free", "415", "", true)); p.status != 400 {
		t.Fatalf("toll-free default with a local area code: %d", p.status)
	}
	mustShow(t, p, "<code>primitives_config.phone.defaults.area_code</code>")
	if kitsGet(t, s, kid)["name"] != "Strict" {
		t.Fatal("a refused edit saved something")
	}
	if p = b.raw("POST", "/console/kits/"+kid, kitsForm("", "Lenient", "never", "", "", "", true)); p.status != 403 {
		t.Fatalf("edit without CSRF: %d", p.status)
	}
	p = b.raw("POST", "/console/kits/"+kid, kitsForm(csrf, "Lenient", "never", "", "", "", true))
	if p.status != http.StatusSeeOther || p.location != "/console/kits/"+kid {
		t.Fatalf("edit: %d %s %.300s", p.status, p.location, p.body)
	}
	k := kitsGet(t, s, kid)
	ph = kitsPhone(t, s, kid)
	if k["name"] != "Lenient" || ph["requiresApproval"] != false || ph["defaults"] != nil {
		t.Fatalf("edited kit: %v", k)
	}
	mustShow(t, b.follow("GET", "/console/kits/"+kid, nil), "Kit “Lenient” saved", "Approval: never", `value="never" checked`)
	st, m = s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789"}`)
	if st != 202 || m["phone"] == nil {
		t.Fatalf("provision under a never-approve kit: %d %v", st, m)
	}

	// The built-in rule again: requiresApproval absent.
	if p = b.raw("POST", "/console/kits/"+kid, kitsForm(csrf, "Lenient", "default", "", "", "", true)); p.status != http.StatusSeeOther {
		t.Fatalf("edit to default: %d", p.status)
	}
	if _, ok := kitsPhone(t, s, kid)["requiresApproval"]; ok {
		t.Fatalf("requiresApproval still set: %v", kitsPhone(t, s, kid))
	}

	// Disabled: the subject page says so; the agent is refused.
	if p = b.raw("POST", "/console/kits/"+kid, kitsForm(csrf, "Off", "default", "", "", "", false)); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	if kitsPhone(t, s, kid)["enabled"] != false {
		t.Fatal("not disabled over REST")
	}
	mustShow(t, b.follow("GET", "/console/subjects/"+def, nil), "disables the phone primitive", "enable the phone primitive on the kit's page")
	mustShow(t, b.follow("GET", "/console/kits", nil), "Phone disabled")
	if st, _ := s.api("POST", "/v1/phone/provision", s.testKey, `{}`); st != 403 {
		t.Fatalf("provision under a disabling kit: %d", st)
	}

	// Foreign and unknown ids: 404, nothing done.
	_, live := subjectsHumanAPI(s, "live", "POST", "/v1/account-kits", `{"name":"Live kit"}`)
	liveKit := live["id"].(string)
	liveSubj := subjectsLiveSubject(s)
	for _, path := range []string{"/console/kits/" + liveKit, "/console/kits/" + uuid.NewString(), "/console/kits/" + liveKit + "/delete", "/console/kits/x"} {
		if p := b.raw("GET", path, nil); p.status != 404 {
			t.Fatalf("GET %s: %d", path, p.status)
		}
	}
	if p := b.raw("POST", "/console/kits/"+liveKit, kitsForm(csrf, "Hijack", "never", "", "", "", true)); p.status != 404 {
		t.Fatalf("edit a live kit from test mode: %d", p.status)
	}
	p = b.raw("POST", "/console/kits/"+kid+"/assign", url.Values{"csrf": {csrf}, "subject_id": {liveSubj}})
	if p.status != 404 {
		t.Fatalf("assign to a live subject from test mode: %d", p.status)
	}
	mustShow(t, p, "<code>subject_id</code>")
	if p := b.raw("POST", "/console/kits/"+liveKit+"/assign", url.Values{"csrf": {csrf}, "subject_id": {def}}); p.status != 404 {
		t.Fatalf("assign a live kit: %d", p.status)
	}
	if _, m := subjectsHumanAPI(s, "live", "GET", "/v1/account-kits/"+liveKit, ""); m["name"] != "Live kit" {
		t.Fatalf("live kit: %v", m)
	}
}

func TestKitsAssignFromTheSubjectPage(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	// A formed, non-default subject; its agent provision is gated by the
	// built-in rule until a kit lifts it.
	_, sid := s.pendingApproval(`{"ein":"12-3456789"}`)
	csrf := b.follow("GET", "/console/kits/new", nil).csrf(t)
	p := b.raw("POST", "/console/kits/new", kitsForm(csrf, "No approvals", "never", "", "", "", true))
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.status)
	}
	kid := strings.TrimPrefix(p.location, "/console/kits/")

	page := b.follow("GET", "/console/subjects/"+sid, nil)
	mustShow(t, page, "Uses the built-in default: an agent's phone.provision needs a human's approval here.", `<option value="`+kid+`">No approvals</option>`)
	if p = b.raw("POST", "/console/subjects/"+sid+"/kit", url.Values{"csrf": {csrf}, "kit_id": {""}}); p.status != 400 {
		t.Fatalf("assign no kit: %d", p.status)
	}
	mustShow(t, p, "Choose a kit to assign.")
	if p = b.raw("POST", "/console/subjects/"+sid+"/kit", url.Values{"csrf": {csrf}, "kit_id": {uuid.NewString()}}); p.status != 404 {
		t.Fatalf("assign an unknown kit: %d", p.status)
	}
	mustShow(t, p, "<code>kit_id</code>")
	if p = b.raw("POST", "/console/subjects/"+sid+"/kit", url.Values{"kit_id": {kid}}); p.status != 403 {
		t.Fatalf("assign without CSRF: %d", p.status)
	}
	if subjectsGet(t, s, sid)["account_kit_id"] != nil {
		t.Fatal("assigned without CSRF")
	}
	p = b.raw("POST", "/console/subjects/"+sid+"/kit", url.Values{"csrf": {csrf}, "kit_id": {kid}})
	if p.status != http.StatusSeeOther || p.location != "/console/subjects/"+sid {
		t.Fatalf("assign: %d %s", p.status, p.location)
	}
	if subjectsGet(t, s, sid)["account_kit_id"] != kid {
		t.Fatal("not assigned over REST")
	}
	mustShow(t, b.follow("GET", p.location, nil), "Kit “No approvals” assigned.", `<option value="`+kid+`" selected>`)

	// The agent buys at once now; the subject, having a number, cannot be
	// deleted: the API's conflict, in place.
	st, m := s.api("POST", "/v1/subjects/"+sid+"/phone/provision", s.testKey, `{"ein":"12-3456789"}`)
	if st != 202 || m["phone"] == nil {
		t.Fatalf("provision: %d %v", st, m)
	}
	p = b.raw("POST", "/console/subjects/"+sid+"/delete", url.Values{"csrf": {csrf}})
	if p.status != 409 {
		t.Fatalf("delete a subject with numbers: %d", p.status)
	}
	mustShow(t, p, "The subject has active or provisioning numbers.", "Release its numbers first")
	subjectsGet(t, s, sid)
	// A live subject from test mode: 404.
	live := subjectsLiveSubject(s)
	if p = b.raw("POST", "/console/subjects/"+live+"/kit", url.Values{"csrf": {csrf}, "kit_id": {kid}}); p.status != 404 {
		t.Fatalf("assign to a live subject: %d", p.status)
	}
}

func TestKitsDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	def := subjectsDefaultID(t, s)
	csrf := b.follow("GET", "/console/kits/new", nil).csrf(t)
	p := b.raw("POST", "/console/kits/new", kitsForm(csrf, "Temporary", "always", "", "", "", true))
	kid := strings.TrimPrefix(p.location, "/console/kits/")
	if p = b.raw("POST", "/console/kits/"+kid+"/assign", url.Values{"csrf": {csrf}, "subject_id": {def}}); p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d", p.status)
	}
	confirm := b.follow("GET", "/console/kits/"+kid+"/delete", nil)
	if confirm.status != 200 {
		t.Fatalf("confirm: %d", confirm.status)
	}
	mustShow(t, confirm, "Delete “Temporary”?", "1 subject uses it", "Demo Company LLC", "Delete the kit")
	if p = b.raw("POST", "/console/kits/"+kid+"/delete", url.Values{"csrf": {"x"}}); p.status != 403 {
		t.Fatalf("delete without CSRF: %d", p.status)
	}
	kitsGet(t, s, kid)
	p = b.raw("POST", "/console/kits/"+kid+"/delete", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther || p.location != "/console/kits" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	mustShow(t, b.follow("GET", p.location, nil), "Kit “Temporary” deleted; its subjects now follow the built-in default.")
	if st, _ := s.api("GET", "/v1/account-kits/"+kid, s.testKey, ""); st != 404 {
		t.Fatalf("deleted kit: %d", st)
	}
	if subjectsGet(t, s, def)["account_kit_id"] != nil {
		t.Fatal("the subject still names the deleted kit")
	}
	if p = b.raw("POST", "/console/kits/"+kid+"/delete", url.Values{"csrf": {csrf}}); p.status != 404 {
		t.Fatalf("delete again: %d", p.status)
	}
}

func TestKitsPagination(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	csrf := b.follow("GET", "/console/kits/new", nil).csrf(t)
	for _, n := range []string{"A", "B", "C"} {
		if p := b.raw("POST", "/console/kits/new", kitsForm(csrf, n, "default", "", "", "", true)); p.status != http.StatusSeeOther {
			t.Fatalf("create %s: %d", n, p.status)
		}
	}
	p := b.follow("GET", "/console/kits?limit=2", nil)
	seen := strings.Count(p.body, "<tr>") - 1
	p2 := b.follow("GET", subjectsHref(t, p.body, `rel="next"`), nil)
	seen += strings.Count(p2.body, "<tr>") - 1
	if p2.status != 200 || seen != 3 {
		t.Fatalf("page 2: %d, saw %d kits", p2.status, seen)
	}
}
