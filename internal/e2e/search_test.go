package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/telnyx"
)

// available lists the e164s a search answered.
func available(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, n := range r.json(t)["data"].([]any) {
		out = append(out, n.(map[string]any)["e164"].(string))
	}
	return out
}

// TestNumberSearch: search lists the sandbox's inventory of an area code;
// provision with a chosen e164 buys exactly it, once; a taken or unknown
// number is 422 with nothing charged; bad input is 400.
func TestNumberSearch(t *testing.T) {
	// Each sandbox's inventory: Surge sells its area codes' numbers from
	// 555-1234 up, in order; Telnyx from 555-0100 up, buying a random one of
	// a search's first 20 when none is chosen, and names a local number's
	// city.
	firstLine, pick, locality := 1234, 1, ""
	tfFirst, nyThird := "+18885551234", "+12125551236"
	if testCarrier() == "telnyx" {
		firstLine, pick, locality = 100, 20, "San Francisco"
		tfFirst, nyThird = "+18885550700", "+12125550102"
	}
	// line is the nth (from 0) of the 415 inventory's numbers.
	line := func(n int) string { return fmt.Sprintf("+1415555%04d", firstLine+n) }
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		// Before the brand exists there is no carrier account to search through.
		r := h.call("GET", "/v1/phone/available?area_code=415", h.testKey, nil)
		if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "reason") != "brand_not_registered" || r.errField(t, "hint") == nil {
			t.Fatalf("before the brand: %d %s", r.Status, r.Body)
		}
		first := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		firstAt := -1
		for i := range pick {
			if first["e164"] == line(i) {
				firstAt = i
			}
		}
		if firstAt < 0 {
			t.Fatalf("first number %v, want one of the %d from %s", first, pick, line(0))
		}
		// The first for sale: the first line number the first provision did not take.
		free := line(0)
		if firstAt == 0 {
			free = line(1)
		}

		r = h.must(200, h.call("GET", "/v1/phone/available?type=local&area_code=415", h.testKey, nil))
		got := available(t, r)
		if len(got) != naive.DefaultNumberSearch || got[0] != free || r.json(t)["next_cursor"] != nil {
			t.Fatalf("415 search: %v", got)
		}
		n0 := r.json(t)["data"].([]any)[0].(map[string]any)
		if n0["type"] != "local" || n0["area_code"] != "415" || n0["country"] != "US" || (locality == "" && n0["locality"] != nil) ||
			(locality != "" && n0["locality"] != locality) {
			t.Fatalf("result %v", n0)
		}
		if got := available(t, h.must(200, h.call("GET", "/v1/phone/available?area_code=212&limit=3", h.testKey, nil))); len(got) != 3 || got[2] != nyThird {
			t.Fatalf("212 limit 3: %v", got)
		}
		if got := available(t, h.must(200, h.call("GET", "/v1/phone/available?type=toll_free&area_code=888&limit=50", h.testKey, nil))); len(got) != 50 || got[0] != tfFirst {
			t.Fatalf("toll-free: %v", got)
		}
		// The no-inventory area code lists nothing; the outage one is a retryable 502.
		if got := available(t, h.must(200, h.call("GET", "/v1/phone/available?area_code=555", h.testKey, nil))); len(got) != 0 {
			t.Fatalf("555: %v", got)
		}
		r = h.call("GET", "/v1/phone/available?area_code=500", h.testKey, nil)
		if r.Status != 502 || r.errCode(t) != "provider_error" || r.errField(t, "retryable") != true {
			t.Fatalf("outage: %d %s", r.Status, r.Body)
		}
		// Under /v1/subjects/{id} too.
		sid := first["subject_id"].(string)
		if got := available(t, h.must(200, h.call("GET", "/v1/subjects/"+sid+"/phone/available?area_code=415&limit=1", h.testKey, nil))); len(got) != 1 || got[0] != free {
			t.Fatalf("subject-scoped: %v", got)
		}

		// Buy the third listed: exactly it, not the first free one.
		chosen := available(t, h.must(200, h.call("GET", "/v1/phone/available?area_code=415&limit=3", h.testKey, nil)))[2]
		before := h.balance(h.testKey)
		body := `{"e164":"` + chosen + `","label":"Chosen"}`
		res := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, body, "Idempotency-Key", "pick-1")).json(t)
		ph := res["phone"].(map[string]any)
		if ph["e164"] != chosen || ph["area_code"] != "415" || ph["type"] != "local" || ph["status"] != "active" {
			t.Fatalf("chosen phone %v, want %s", ph, chosen)
		}
		var held *simNumber
		nums := simOf(t, h).Numbers()
		for _, n := range nums {
			if n.E164 == chosen {
				held = &n
			}
		}
		if held == nil || held.Ref != ph["id"] || h.app.SandboxNumberCount() != 2 {
			t.Fatalf("sandbox numbers %+v", nums)
		}
		// The same key replays; nothing is bought twice.
		again := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, body, "Idempotency-Key", "pick-1"))
		if again.Header.Get("Idempotent-Replayed") != "true" || again.json(t)["phone"].(map[string]any)["id"] != ph["id"] {
			t.Fatalf("replay %v %s", again.Header, again.Body)
		}
		// A search no longer lists it.
		for _, e := range available(t, h.must(200, h.call("GET", "/v1/phone/available?area_code=415", h.testKey, nil))) {
			if e == chosen {
				t.Fatalf("bought number still listed")
			}
		}
		charged := h.balance(h.testKey)
		if charged != before-50 {
			t.Fatalf("balance %d → %d", before, charged)
		}

		// Taken (by us, or anyone) or never offered: 422 on e164, nothing charged.
		for _, e := range []string{chosen, "+14155550000", "+15555551234"} {
			r := h.call("POST", "/v1/phone/provision", h.testKey, `{"e164":"`+e+`"}`)
			if r.Status != 422 || r.errCode(t) != "no_matching_numbers" || r.errField(t, "param") != "e164" || r.errField(t, "hint") == nil {
				t.Fatalf("%s: %d %s", e, r.Status, r.Body)
			}
		}
		if b := h.balance(h.testKey); b != charged || h.app.SandboxNumberCount() != 2 {
			t.Fatalf("refused purchases charged (%d → %d) or bought (%d)", charged, b, h.app.SandboxNumberCount())
		}

		// Bad input: 400 naming the parameter, nothing charged.
		for path, param := range map[string]string{
			"?limit=0": "limit", "?limit=51": "limit", "?limit=abc": "limit", "?type=mobile": "type",
			"?area_code=41": "area_code", "?area_code=%00%00%00": "area_code", "?type=toll_free&area_code=415": "area_code",
		} {
			r := h.call("GET", "/v1/phone/available"+path, h.testKey, nil)
			if r.Status != 400 || r.errField(t, "param") != param {
				t.Errorf("search %s: %d %s, want param %s", path, r.Status, r.Body, param)
			}
		}
		for body, param := range map[string]string{
			`{"e164":"4155551240"}`:                      "e164",
			`{"e164":"+1415555124"}`:                     "e164",
			`{"e164":"+14155551240 "}`:                   "e164",
			`{"e164":"+44207946000"}`:                    "e164",
			`{"e164":"+14155551240","area_code":"212"}`:  "e164",
			`{"e164":"+14155551240","type":"toll_free"}`: "e164",
			`{"e164":"+18885551240","type":"local"}`:     "e164",
			`{"e164":"+1415555\u00001240"}`:              "e164",
		} {
			r := h.call("POST", "/v1/phone/provision", h.testKey, body)
			if r.Status != 400 || r.errField(t, "param") != param {
				t.Errorf("provision %s: %d %s, want param %s", body, r.Status, r.Body, param)
			}
		}
		if b := h.balance(h.testKey); b != charged {
			t.Fatalf("bad input charged: %d", b)
		}

		// Read-only, but the kit's enabled flag applies, and another
		// operator's subject is not found.
		other := h.formedSubject()
		human := h.login()
		kit := h.must(201, h.call("POST", "/v1/account-kits", human, `{"name":"off","primitives_config":{"phone":{"enabled":false}}}`, "Naive-Mode", "test")).json(t)["id"].(string)
		h.must(200, h.call("POST", "/v1/account-kits/"+kit+"/subjects/"+other+"/assign", human, nil, "Naive-Mode", "test"))
		if r := h.call("GET", "/v1/subjects/"+other+"/phone/available", h.testKey, nil); r.Status != 403 || r.errField(t, "reason") != "primitive_disabled_by_kit" {
			t.Fatalf("disabled kit: %d %s", r.Status, r.Body)
		}
		ctx := context.Background()
		op := &naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "Other", CreatedAt: time.Now().UTC()}
		if err := h.app.Store().CreateOperator(ctx, op); err != nil {
			t.Fatal(err)
		}
		if err := h.app.Store().CreateUser(ctx, &naive.User{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: op.ID, Email: "eve@other.example",
			PasswordHash: service.HashPassword("other password"), CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		eve := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"eve@other.example","password":"other password"}`)).json(t)["token"].(string)
		if r := h.call("GET", "/v1/subjects/"+sid+"/phone/available", eve, nil, "Naive-Mode", "test"); r.Status != 404 {
			t.Fatalf("another operator's subject: %d %s", r.Status, r.Body)
		}
	})
}

// TestReconcileChosenNumber: a provision of a chosen e164 whose process
// died after the carrier sold it is recorded by the reconciler, as any
// other: the adapter names the exact purchase with our phone id.
func TestReconcileChosenNumber(t *testing.T) {
	// A number of the 212 inventory the server does not buy first.
	chosen := "+12125559000"
	if testCarrier() == "telnyx" {
		chosen = "+12125550600"
	}
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		ctx := context.Background()
		first := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		subjectID := first["phone"].(map[string]any)["subject_id"].(string)
		who := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)
		sc := naive.Scope{OperatorID: who["operator_id"].(string), Mode: naive.ModeTest}
		st := h.app.Store()
		brand, err := st.GetBrand(ctx, sc, subjectID)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().UTC().Add(-time.Hour)
		ph := &naive.Phone{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, SubjectID: subjectID,
			Type: naive.PhoneLocal, AreaCode: "212", Status: naive.PhoneProvisioning, Price: 50, CreatedAt: old}
		debit := &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, Amount: -50,
			Reason: naive.LedgerPhoneProvision, ReferenceID: ph.ID, Actor: naive.Actor{Type: "agent", ID: "test"}, CreatedAt: old}
		// The purchase the dead process made, through the adapter — made
		// before the reserve is stored, so that the server's own
		// background pass, which may run at any moment, finds it too
		// rather than refunding a stale reserve with no number.
		cr := adapterOf(t, h)
		n, err := cr.BuyNumber(ctx, brand.CarrierID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "212", E164: chosen, Ref: ph.ID})
		if err != nil || n.E164 != chosen {
			t.Fatalf("buy chosen: %+v %v", n, err)
		}
		if _, err := st.ReservePhone(ctx, ph, debit, store.Progress{}); err != nil {
			t.Fatal(err)
		}
		h.app.Service().ReconcileProvisioning(ctx)
		// This pass, or the server's own running at the same moment,
		// records it.
		var got map[string]any
		waitFor(t, "the reconciled phone", func() bool {
			r := h.call("GET", "/v1/phone/"+ph.ID, h.testKey, nil)
			if r.Status != 200 {
				return false
			}
			got = r.json(t)
			return true
		})
		if got["e164"] != chosen || got["status"] != "active" {
			t.Fatalf("reconciled phone %v", got)
		}
		if b := h.balance(h.testKey); b != 900 {
			t.Fatalf("balance %d, want 900 (two numbers, no refund)", b)
		}
	})
}

// adapterOf is a carrier adapter of its own over h's test-mode simulator
// of the suite's carrier: a process other than the server's, buying at the
// carrier as the server's adapter would.
func adapterOf(t *testing.T, h *harness) carrier.Carrier {
	t.Helper()
	switch v := simOf(t, h).(type) {
	case surgeView:
		return surge.NewCarrier(surge.NewClient(surge.Options{BaseURL: "http://sandbox", APIKey: "sk_sandbox",
			HTTPClient: &http.Client{Transport: v.s.Transport()}}), "whsec_unused")
	case telnyxView:
		cr, err := telnyx.NewCarrier(telnyx.NewClient(telnyx.Options{BaseURL: "http://telnyx.sandbox/v2", APIKey: "KEY_sandbox",
			HTTPClient: &http.Client{Transport: handlerRoundTripper{v.s}}}), telnyx.CarrierConfig{MessagingProfileID: "mp-sandbox"})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	t.Fatalf("no adapter for the %s simulator", testCarrier())
	return nil
}
