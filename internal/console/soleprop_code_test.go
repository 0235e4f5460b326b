package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// TestSoleProprietorCode: on Telnyx, which verifies a sole proprietor by
// a one-time code, the subject's page offers a form for the code (and
// names the sandbox's); a malformed or wrong code is shown in place, and
// the right one verifies the brand.
func TestSoleProprietorCode(t *testing.T) {
	t.Parallel()
	s := start(t, func(o *app.Options) { o.SandboxCarrier = "telnyx" })
	b := s.browser()
	b.mustLogin()
	b.testMode()
	st, subj := s.api("POST", "/v1/subjects", s.testKey, strings.Replace(acmeProfile, `"Acme Robotics LLC"`, `"Ada Lovelace"`, 1))
	if st != 201 {
		t.Fatalf("create subject: %d %v", st, subj)
	}
	sid := subj["id"].(string)
	form := b.raw("GET", "/console/numbers/new?subject="+sid+"&tier=sole_proprietor", nil)
	p := b.raw("POST", "/console/numbers/new", url.Values{"csrf": {form.csrf(t)}, "op": {"buy"}, "subject": {sid}, "tier": {"sole_proprietor"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sole proprietor's buy: %d %.500s", p.status, p.body)
	}
	mustShow(t, b.raw("GET", p.location, nil), "one-time code", "enter it on the subject's page")
	show := b.raw("GET", "/console/subjects/"+sid, nil)
	mustContain(t, show, "awaiting the owner", `id="verification-code-form"`, `id="resend-verification"`, "<code>"+telnyxsim.SandboxOTPPin+"</code>")
	if strings.Contains(show.body, "--body YES") {
		t.Fatal("the page of a brand verified by code tells the owner to reply YES")
	}
	tok := show.csrf(t)
	submit := func(code string) page {
		return b.raw("POST", "/console/subjects/"+sid+"/brand-verification", url.Values{"csrf": {tok}, "code": {code}})
	}
	if p := submit("12ab"); p.status != http.StatusBadRequest {
		t.Fatalf("a malformed code: %d %.300s", p.status, p.body)
	} else {
		mustContain(t, p, `role="alert"`, `id="verification-code-form"`)
	}
	wrong := "123456"
	if pin := firstPIN(t, s); pin == wrong {
		wrong = "654321"
	}
	if p := submit(wrong); p.status != http.StatusBadRequest {
		t.Fatalf("a wrong code: %d %.300s", p.status, p.body)
	} else {
		mustShow(t, p, "The carrier refused the code", "Resend the verification text on the subject's page")
	}
	p = submit(telnyxsim.SandboxOTPPin)
	if p.status != http.StatusSeeOther {
		t.Fatalf("the sandbox's code: %d %.300s", p.status, p.body)
	}
	mustShow(t, b.raw("GET", p.location, nil), "the brand is verified")
	show = b.raw("GET", "/console/subjects/"+sid, nil)
	if strings.Contains(show.body, `id="verification-code-form"`) {
		t.Fatal("the code form is still offered after verification")
	}
}

// firstPIN is the PIN the Telnyx sandbox texted its only sole proprietor.
func firstPIN(t *testing.T, s *server) string {
	t.Helper()
	sim := s.app.TelnyxSandbox()
	for _, br := range sim.Brands() {
		if pin, _ := sim.BrandOTP(br.BrandID); pin != "" {
			return pin
		}
	}
	t.Fatal("the Telnyx sandbox texted no PIN")
	return ""
}
