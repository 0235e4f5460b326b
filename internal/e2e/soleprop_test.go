package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// soleProfile is one person trading under their own name: no LLC, no EIN,
// and a US mobile the carrier texts.
var soleProfile = strings.NewReplacer(`"Acme Robotics LLC"`, `"Ada Lovelace"`, `"+14155550100"`, `"+14155550142"`).Replace(acmeProfile)

// TestSoleProprietor: a sole proprietor's first number needs no formation
// and no EIN; it is bought at once with brand_verification pending_otp and
// receives texts, while sending waits. The verification text is resent at
// most once a minute. How the owner confirms it is the carrier's: on Surge
// (verification_method reply) the owner's YES (the sandbox's magic reply,
// from the contact's phone) verifies the brand and there is no code to
// submit (409); on Telnyx (code) the PIN is submitted — a malformed or
// wrong one is refused, a reply verifies nothing (409), the PIN sent or
// the sandbox's 000000 verifies. Then the campaign is registered — once —
// reviewed and sending unlocks. A sole proprietor holds one number, and
// its brand keeps its tier.
func TestSoleProprietor(t *testing.T) {
	byCode := testCarrier() == naive.CarrierTelnyx
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.SandboxReviewDelay = 500 * time.Millisecond })
		human := h.login()
		sid := h.must(201, h.call("POST", "/v1/subjects", h.testKey, soleProfile)).json(t)["id"].(string)
		base := "/v1/subjects/" + sid + "/phone"
		asHuman := func(method, path string, body any) resp {
			return h.call(method, path, human, body, "Naive-Mode", "test")
		}

		// Standard needs a formation; the sole proprietor's preflight is ready.
		if pf := h.must(200, h.call("GET", base+"/preflight", h.testKey, nil)).json(t); pf["ready"] != false || pf["tier"] != "standard" {
			t.Fatalf("standard preflight of an unformed subject: %v", pf)
		}
		pf := h.must(200, h.call("GET", base+"/preflight?tier=sole_proprietor", h.testKey, nil)).json(t)
		if pf["ready"] != true || pf["tier"] != "sole_proprietor" {
			t.Fatalf("sole proprietor's preflight: %v", pf)
		}
		for body, param := range map[string]string{
			`{"tier":"sole_proprietor","ein":"12-3456789"}`: "ein",
			`{"tier":"sole_proprietor","type":"toll_free"}`: "type",
			`{"tier":"llc"}`: "tier",
		} {
			if r := asHuman("POST", base+"/provision", body); r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		// The contact's number must be a US one.
		contact := func(phone string) string {
			return `{"contact":{"first_name":"Ada","last_name":"Lovelace","email":"ada@acme.example","phone":"` + phone + `","title":"ceo"}}`
		}
		uk := h.call("PATCH", "/v1/subjects/"+sid, h.testKey, contact("+442071838750"))
		if uk.Status == 200 {
			if r := asHuman("POST", base+"/provision", `{"tier":"sole_proprietor"}`); r.Status != 400 || r.errField(t, "param") != "contact.phone" {
				t.Fatalf("non-US contact phone: %d %s", r.Status, r.Body)
			}
			h.must(200, h.call("PATCH", "/v1/subjects/"+sid, h.testKey, contact("+14155550142")))
		}

		before := h.balance(h.testKey)
		prov := h.must(202, asHuman("POST", base+"/provision", `{"tier":"sole_proprietor","area_code":"415"}`)).json(t)
		ph := prov["phone"].(map[string]any)
		pid, e164 := ph["id"].(string), ph["e164"].(string)
		caps := ph["capabilities"].(map[string]any)
		if prov["brand_verification"] != "pending_otp" || caps["sms_inbound"] != true || caps["sms_outbound"] != false {
			t.Fatalf("provisioned: %v", prov)
		}
		if got := h.balance(h.testKey); got != before-int64(prov["credits_used"].(float64)) {
			t.Fatalf("balance %d after a number of %v from %d", got, prov["credits_used"], before)
		}
		// Live for inbound at once; sending waits.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"hello"}`))
		waitFor(t, "inbound text", func() bool {
			return len(h.must(200, h.call("GET", base+"/"+pid+"/messages", h.testKey, nil)).json(t)["data"].([]any)) == 1
		})
		if r := asHuman("POST", base+"/"+pid+"/sms", `{"to":"+14155550123","body":"hi"}`); r.Status != 409 || r.errCode(t) != "compliance_pending" {
			t.Fatalf("send before verification: %d %s", r.Status, r.Body)
		}
		// One number per sole proprietor; the brand keeps its tier.
		if r := asHuman("POST", base+"/provision", `{}`); r.Status != 409 || r.errField(t, "param") != "tier" {
			t.Fatalf("second number: %d %s", r.Status, r.Body)
		}
		if r := asHuman("POST", base+"/provision", `{"tier":"standard","ein":"12-3456789"}`); r.Status != 409 {
			t.Fatalf("standard tier on a sole proprietor's brand: %d %s", r.Status, r.Body)
		}

		// Passes go by: nothing moves without the owner's confirmation.
		time.Sleep(600 * time.Millisecond)
		st := h.must(200, h.call("GET", base+"/status", h.testKey, nil)).json(t)
		brand := st["brand"].(map[string]any)
		camp := st["campaigns"].([]any)[0].(map[string]any)
		method, step := "reply", "reply YES"
		if byCode {
			method, step = "code", "POST /v1/phone/brand-verification {"
		}
		if brand["tier"] != "sole_proprietor" || brand["verification"] != "pending_otp" || brand["verification_method"] != method ||
			prov["brand_verification_method"] != method || camp["status"] != "created" || !strings.Contains(st["next_step"].(string), step) {
			t.Fatalf("status before the owner's confirmation: brand %v campaign %v next %v (provisioned %v)", brand, camp, st["next_step"], prov)
		}

		// Resend: once a minute.
		rs := h.must(200, h.call("POST", base+"/brand-verification/resend", h.testKey, nil)).json(t)
		if rs["sent_to"] != "•••0142" || rs["brand_verification"] != "pending_otp" || rs["verification_method"] != method {
			t.Fatalf("resend: %v", rs)
		}
		if r := h.call("POST", base+"/brand-verification/resend", h.testKey, nil); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("second resend: %d %s", r.Status, r.Body)
		}

		verify := func(from, body string) resp {
			return h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+surgesim.VerificationNumber+`","from":"`+from+`","body":"`+body+`"}`)
		}
		submit := func(code string) resp {
			return h.call("POST", base+"/brand-verification", h.testKey, map[string]string{"code": code})
		}
		pending := func(why string) {
			t.Helper()
			if b := h.must(200, h.call("GET", base+"/status", h.testKey, nil)).json(t)["brand"].(map[string]any); b["verification"] != "pending_otp" {
				t.Fatalf("verified by %s: %v", why, b)
			}
		}
		// The default subject has no brand to verify (the route's short form).
		if r := h.call("POST", "/v1/phone/brand-verification", h.testKey, `{"code":"123456"}`); r.Status != 409 || r.errField(t, "reason") != "brand_not_registered" {
			t.Fatalf("submit for the default subject: %d %s", r.Status, r.Body)
		}
		// Someone else's reply is refused on either carrier.
		if r := verify("+14155550199", "YES"); r.Status != 404 {
			t.Fatalf("a stranger's reply: %d %s", r.Status, r.Body)
		}
		if byCode {
			// Telnyx texts a PIN: it is submitted, and a reply verifies nothing.
			sim := h.app.TelnyxSandbox()
			carrierBrand := brand["carrier_account_id"].(string)
			pin, sends := sim.BrandOTP(carrierBrand)
			if pin == "" || sends != 2 {
				t.Fatalf("the simulator's PIN %q after %d texts, want one after 2 (creation and the resend)", pin, sends)
			}
			if r := verify("+14155550142", "YES"); r.Status != 409 || r.errField(t, "verification_method") != "code" ||
				!strings.Contains(r.errField(t, "hint").(string), "/phone/brand-verification {") {
				t.Fatalf("a YES reply to a brand verified by code: %d %s", r.Status, r.Body)
			}
			if r := submit("12ab"); r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "code" {
				t.Fatalf("a malformed code: %d %s", r.Status, r.Body)
			}
			wrong := "123456"
			if pin == wrong {
				wrong = "654321"
			}
			r := submit(wrong)
			if r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "code" || r.errField(t, "attempts_remaining") != 4.0 ||
				!strings.Contains(r.errField(t, "hint").(string), "POST /v1/phone/brand-verification/resend") {
				t.Fatalf("a wrong code: %d %s", r.Status, r.Body)
			}
			pending("a wrong code")
			// The sandbox's documented PIN verifies, as the PIN sent would.
			ok := h.must(200, submit(telnyxsim.SandboxOTPPin)).json(t)
			if ok["brand_verification"] != "verified" || ok["subject_id"] != sid {
				t.Fatalf("the sandbox's PIN: %v", ok)
			}
			if b := h.must(200, h.call("GET", base+"/status", h.testKey, nil)).json(t)["brand"].(map[string]any); b["verification"] != "verified" {
				t.Fatalf("brand right after the accepted code: %v", b)
			}
		} else {
			// Surge verifies by the owner's reply: there is no code to submit.
			if r := submit("123456"); r.Status != 409 || r.errField(t, "verification_method") != "reply" ||
				!strings.Contains(r.errField(t, "hint").(string), "reply YES") {
				t.Fatalf("a code submitted on Surge: %d %s", r.Status, r.Body)
			}
			// From the owner, only YES counts.
			h.must(202, verify("+14155550142", "who is this?"))
			time.Sleep(300 * time.Millisecond)
			pending("a reply that is not YES")
			h.must(202, verify("+14155550142", "yes"))
		}
		waitFor(t, "outbound after verification and review", func() bool {
			return h.must(200, h.call("GET", base+"/"+pid, h.testKey, nil)).json(t)["capabilities"].(map[string]any)["sms_outbound"] == true
		})
		st = h.must(200, h.call("GET", base+"/status", h.testKey, nil)).json(t)
		if b := st["brand"].(map[string]any); b["verification"] != "verified" || b["verification_method"] != nil || len(st["campaigns"].([]any)) != 1 {
			t.Fatalf("after verification: %v", st)
		}
		if byCode {
			n := 0
			for _, c := range h.app.TelnyxSandbox().Campaigns() {
				if c.BrandID == brand["carrier_account_id"] {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d campaigns at Telnyx for the brand, want 1", n)
			}
		}
		h.must(201, asHuman("POST", base+"/"+pid+"/sms", `{"to":"+14155550123","body":"hi"}`))
		if r := h.call("POST", base+"/brand-verification/resend", h.testKey, nil); r.Status != 409 {
			t.Fatalf("resend after verification: %d %s", r.Status, r.Body)
		}
		if r := submit("123456"); r.Status != 409 || r.errField(t, "brand_verification") != "verified" {
			t.Fatalf("submit after verification: %d %s", r.Status, r.Body)
		}
	})
}
