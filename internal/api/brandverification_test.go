package api_test

import (
	"strings"
	"testing"
)

// TestBrandVerificationRoute: POST /v1/phone/brand-verification (and its
// subject form) takes {"code"}: a malformed code or an unknown field is
// 400 on code, a brand awaiting no code is 409, an unknown subject 404;
// every answer matches the document. (The sandbox here is Surge's, which
// verifies by the owner's reply: there is never a code to submit.)
func TestBrandVerificationRoute(t *testing.T) {
	t.Parallel()
	h := start(t)
	d := fetchDoc(t, h)
	key := h.testKey
	check := func(template string, want int, r resp) resp {
		t.Helper()
		if r.status != want {
			t.Fatalf("%s %s %s: status %d, want %d: %s", r.method, r.path, template, r.status, want, r.body)
		}
		d.check(t, template, r)
		return r
	}
	const route = "/v1/phone/brand-verification"
	if r := check(route, 409, h.call("POST", route, key, `{"code":"123456"}`)); r.str(t, "error", "reason") != "brand_not_registered" {
		t.Fatalf("before any brand: %s", r.body)
	}
	prov := check("/v1/phone/provision", 202, h.call("POST", "/v1/phone/provision", key, `{"tier":"sole_proprietor","area_code":"415"}`))
	if prov.str(t, "brand_verification") != "pending_otp" || prov.str(t, "brand_verification_method") != "reply" {
		t.Fatalf("provisioned: %s", prov.body)
	}
	st := check("/v1/phone/status", 200, h.call("GET", "/v1/phone/status", key, nil))
	if st.str(t, "brand", "verification_method") != "reply" {
		t.Fatalf("status: %s", st.body)
	}
	for _, body := range []string{`{"code":"12"}`, `{"code":"12345a"}`, `{}`, `{"pin":"123456"}`} {
		r := check(route, 400, h.call("POST", route, key, body))
		if body != `{"pin":"123456"}` && r.str(t, "error", "param") != "code" {
			t.Fatalf("%s: %s", body, r.body)
		}
	}
	r := check(route, 409, h.call("POST", route, key, `{"code":"123456"}`))
	if r.str(t, "error", "verification_method") != "reply" || !strings.Contains(r.str(t, "error", "hint"), "POST /v1/phone/brand-verification/resend") {
		t.Fatalf("a code on a carrier verifying by reply: %s", r.body)
	}
	// The CLI's words for the same hint.
	r = h.call("POST", route, key, `{"code":"123456"}`, "Naive-Hints", "cli")
	if !strings.Contains(r.str(t, "error", "hint"), "`naive phone brand-verification resend`") {
		t.Fatalf("the CLI's hint: %s", r.body)
	}
	sub := "/v1/subjects/{sid}/phone/brand-verification"
	check(sub, 404, h.call("POST", "/v1/subjects/01a23282-2040-7abf-b767-8b37cf23cc09/phone/brand-verification", key, `{"code":"123456"}`))
}
