package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNumbersSearchAndSoleProprietor: the buy page lists numbers for sale
// (once the brand exists) and buys the one chosen; a sole proprietor is
// bought with the tier choice, no EIN asked, and the subject's page offers
// to resend the owner's verification text, once a minute.
func TestNumbersSearchAndSoleProprietor(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	form := b.raw("GET", "/console/numbers/new", nil)
	token := form.csrf(t)
	mustContain(t, form, `name="tier"`, `name="e164"`, `id="search"`)

	// Before the default subject's first number: no brand to search through.
	p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"search"}, "area_code": {"415"}})
	if p.status != 200 {
		t.Fatalf("search before a brand: %d %.300s", p.status, p.body)
	}
	mustContain(t, p, "Numbers for sale", "registered its carrier brand")
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "ein": {"12-3456789"}, "area_code": {"415"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("first buy: %d %.300s", p.status, p.body)
	}
	p = b.raw("GET", "/console/numbers/new?op=search&area_code=415", nil)
	mustContain(t, p, `id="available"`, "Use this number")
	i := strings.Index(string(p.body), "<code>&#43;1415555")
	if i < 0 {
		j := strings.Index(string(p.body), "Numbers for sale")
		t.Fatalf("no number listed: %s", p.body[max(j, 0):])
	}
	e164 := "+" + string(p.body[i+11:i+11+11])
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "e164": {e164}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("buy %s: %d %.300s", e164, p.status, p.body)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/console/numbers/")
	if ph := numbersPhone(t, s, id); ph["e164"] != e164 {
		t.Fatalf("bought %v, chose %s", ph["e164"], e164)
	}

	// A sole proprietor: an unformed subject, bought with the tier.
	st, subj := s.api("POST", "/v1/subjects", s.testKey, strings.Replace(acmeProfile, `"Acme Robotics LLC"`, `"Ada Lovelace"`, 1))
	if st != 201 {
		t.Fatalf("create subject: %d %v", st, subj)
	}
	sid := subj["id"].(string)
	form = b.raw("GET", "/console/numbers/new?subject="+sid+"&tier=sole_proprietor", nil)
	mustContain(t, form, `id="ready"`, `value="sole_proprietor" selected`)
	numbersMustNotContain(t, form, `name="ein"`)
	p = b.raw("POST", "/console/numbers/new", url.Values{"csrf": {token}, "op": {"buy"}, "subject": {sid}, "tier": {"sole_proprietor"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sole proprietor's buy: %d %.500s", p.status, p.body)
	}
	mustShow(t, b.raw("GET", p.location, nil), "reply YES")
	page := b.raw("GET", "/console/subjects/"+sid, nil)
	mustContain(t, page, "awaiting the owner", `id="resend-verification"`, "--body YES")
	tok := page.csrf(t)
	p = b.raw("POST", "/console/subjects/"+sid+"/brand-verification/resend", url.Values{"csrf": {tok}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("resend: %d %.300s", p.status, p.body)
	}
	p = b.raw("POST", "/console/subjects/"+sid+"/brand-verification/resend", url.Values{"csrf": {tok}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("second resend: %d %.300s", p.status, p.body)
	}
	mustContain(t, p, `role="alert"`, "less than 1m0s ago")
}
