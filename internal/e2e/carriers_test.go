package e2e_test

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// eachCarrier runs fn once per carrier test mode can use as its default,
// on each database.
func eachCarrier(t *testing.T, fn func(t *testing.T, dbURL, carrier string)) {
	for _, cr := range []string{"surge", "telnyx"} {
		t.Run(cr, func(t *testing.T) {
			eachDB(t, func(t *testing.T, db string) { fn(t, db, cr) })
		})
	}
}

func sandboxCarrier(name string) opts { return func(o *app.Options) { o.SandboxCarrier = name } }

// TestJourneyOnEachCarrier: the same API journey on either carrier — the
// first number registers the brand and campaign at the carrier, receives a
// text at once, sends once the campaign is active (charged once, the
// status arriving by the carrier's signed webhook), and is released — with
// the carrier shown on the brand and the numbers.
func TestJourneyOnEachCarrier(t *testing.T) {
	eachCarrier(t, func(t *testing.T, db, carrier string) {
		h := start(t, db, sandboxCarrier(carrier), func(o *app.Options) { o.SandboxReviewDelay = 500 * time.Millisecond })
		pf := h.must(200, h.call("GET", "/v1/phone/preflight?ein=12-3456789", h.testKey, nil)).json(t)
		if pf["carrier"] != carrier {
			t.Fatalf("preflight carrier %v, want %s", pf["carrier"], carrier)
		}
		before := h.balance(h.testKey)
		prov := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		ph := prov["phone"].(map[string]any)
		id, e164 := ph["id"].(string), ph["e164"].(string)
		if prov["carrier"] != carrier || ph["carrier"] != carrier || prov["failover_from"] != nil {
			t.Fatalf("provisioned at %v (phone %v), want %s: %v", prov["carrier"], ph["carrier"], carrier, prov)
		}
		if h.balance(h.testKey) != before-50 {
			t.Fatalf("balance %d after a number from %d", h.balance(h.testKey), before)
		}
		st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t)
		if b := st["brand"].(map[string]any); b["carrier"] != carrier {
			t.Fatalf("brand at %v, want %s", b["carrier"], carrier)
		}
		// Inbound at once, through the carrier's own webhook.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"hello"}`))
		waitFor(t, "the inbound text", func() bool {
			msgs := h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any)
			return len(msgs) == 1 && msgs[0].(map[string]any)["body"] == "hello"
		})
		// Outbound once the campaign is active.
		waitFor(t, "outbound", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(t)["capabilities"].(map[string]any)["sms_outbound"] == true
		})
		mid := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550124","body":"Hello from naive"}`)).json(t)["id"].(string)
		waitFor(t, "the text delivered", func() bool {
			m := h.must(200, h.call("GET", "/v1/phone/messages/"+mid, h.testKey, nil)).json(t)
			return m["status"] == "delivered" && m["carrier_message_id"] != nil && m["carrier_message_id"] != ""
		})
		if h.balance(h.testKey) != before-51 {
			t.Fatalf("balance %d after a number and a text from %d", h.balance(h.testKey), before)
		}
		// A text the carrier fails (the magic 0000) is refunded.
		failed := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"+14155550000","body":"to nobody"}`)).json(t)["id"].(string)
		waitFor(t, "the text failed", func() bool {
			return h.must(200, h.call("GET", "/v1/phone/messages/"+failed, h.testKey, nil)).json(t)["status"] == "failed"
		})
		waitFor(t, "its refund", func() bool { return h.balance(h.testKey) == before-51 })
		// Release at the carrier.
		rel := h.must(200, h.call("DELETE", "/v1/phone/"+id, h.testKey, nil)).json(t)
		if rel["status"] != "released" {
			t.Fatalf("release %v", rel)
		}
	})
}

// TestCarrierChosenPerSubject: a provision may name the carrier of a
// subject's first number; later ones follow the brand, and naming another
// is a conflict; an unknown carrier is invalid.
func TestCarrierChosenPerSubject(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, sandboxCarrier("surge"))
		human := h.login()
		sid := h.formedSubject()
		base := "/v1/subjects/" + sid + "/phone"
		call := func(body string) resp { return h.call("POST", base+"/provision", human, body, "Naive-Mode", "test") }
		if r := call(`{"ein":"12-3456789","carrier":"twilio"}`); r.Status != 400 || r.errField(t, "param") != "carrier" {
			t.Fatalf("unknown carrier: %d %s", r.Status, r.Body)
		}
		prov := h.must(202, call(`{"ein":"12-3456789","carrier":"telnyx"}`)).json(t)
		if prov["carrier"] != "telnyx" {
			t.Fatalf("provisioned at %v, want telnyx", prov["carrier"])
		}
		if r := call(`{"carrier":"surge"}`); r.Status != 409 || r.errField(t, "param") != "carrier" {
			t.Fatalf("another carrier for the brand: %d %s", r.Status, r.Body)
		}
		next := h.must(202, call(`{}`)).json(t)
		if next["carrier"] != "telnyx" {
			t.Fatalf("a later number at %v, want the brand's telnyx", next["carrier"])
		}
		// The default subject, untouched, is still on the default carrier.
		def := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		if def["carrier"] != "surge" {
			t.Fatalf("the default subject's number at %v, want surge", def["carrier"])
		}
		list := h.must(200, h.call("GET", "/v1/phone?subject_id=all", human, nil, "Naive-Mode", "test")).json(t)["data"].([]any)
		seen := map[string]int{}
		for _, p := range list {
			seen[p.(map[string]any)["carrier"].(string)]++
		}
		if seen["telnyx"] != 2 || seen["surge"] != 1 {
			t.Fatalf("numbers by carrier %v, want telnyx 2, surge 1", seen)
		}
	})
}

// TestTelnyxSandboxSurvivesKill: on the Telnyx simulator too, a number
// provisioned before a kill -9 while its campaign was in review works after
// the restart on the same database (the review completes, it texts both
// ways through Telnyx's signed webhooks), and the database holds one
// Telnyx brand and the number.
func TestTelnyxSandboxSurvivesKill(t *testing.T) {
	bin := buildNaive(t)
	path := filepath.Join(t.TempDir(), "naive.db")
	dbURL := "sqlite:" + path
	const password = "correct horse battery staple"
	env := serveEnv(password)
	args := append(sandboxArgs(dbURL), "--sandbox-carrier", "telnyx")
	p, err := serve(t, bin, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	m := testKeyRE.FindStringSubmatch(p.banner)
	if m == nil {
		t.Fatalf("no test key in the banner:\n%s", p.banner)
	}
	h := &harness{t: t, url: p.url, testKey: m[1], admin: "admin@localhost", password: password}
	r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
	ph := r["phone"].(map[string]any)
	id, e164 := ph["id"].(string), ph["e164"].(string)
	if r["carrier"] != "telnyx" || r["campaign"].(map[string]any)["status"] == "active" {
		t.Fatalf("provisioned: %v", r)
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	if p, err = serve(t, bin, env, args...); err != nil {
		t.Fatal(err)
	}
	h.url = p.url
	waitLong(t, "the campaign reviewed before the kill to activate after it", 30*time.Second, func() bool { return outbound(t, h, id) })
	textBothWays(t, h, h, id, e164, "+14155550123")
	p.stop(t)

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var brands, numbers, phones int
	for q, n := range map[string]*int{
		`SELECT count(*) FROM sandbox_records WHERE kind = 'telnyx.brand' AND data IS NOT NULL`:  &brands,
		`SELECT count(*) FROM sandbox_records WHERE kind = 'telnyx.number' AND data IS NOT NULL`: &numbers,
		`SELECT count(*) FROM phones WHERE status = 'active' AND carrier = 'telnyx'`:             &phones,
	} {
		if err := db.QueryRow(q).Scan(n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if brands != 1 || numbers != 1 || phones != 1 {
		t.Fatalf("Telnyx brands %d, numbers %d, active phones %d; want 1 each", brands, numbers, phones)
	}
}

// TestFailoverForFirstNumbers: with a fallback configured, a first number
// whose default carrier is down (its brand registration answers 503) is
// bought at the fallback — brand and all, charged once, said in the answer
// — and the subject stays there once the default is back. Without a
// fallback the same outage is a retryable provider_error, nothing charged.
func TestFailoverForFirstNumbers(t *testing.T) {
	down := func(r *http.Request) (int, []byte, bool) {
		if r.Method == http.MethodPost && r.URL.Path == "/accounts" {
			return http.StatusServiceUnavailable, []byte(`{"error":{"type":"service_unavailable","message":"down"}}`), true
		}
		return 0, nil, false
	}
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, sandboxCarrier("surge"), func(o *app.Options) { o.SandboxFallback = "telnyx" })
		h.app.Sandbox().SetBeforeFunc(down)
		before := h.balance(h.testKey)
		prov := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		if prov["carrier"] != "telnyx" || prov["failover_from"] != "surge" || prov["phone"].(map[string]any)["carrier"] != "telnyx" {
			t.Fatalf("provision while surge is down: %v", prov)
		}
		if got := h.balance(h.testKey); got != before-50 {
			t.Fatalf("balance %d from %d: want one charge", got, before)
		}
		h.app.Sandbox().SetBeforeFunc(nil)
		next := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"415"}`)).json(t)
		if next["carrier"] != "telnyx" || next["failover_from"] != nil {
			t.Fatalf("a later number: %v, want the brand's telnyx without failover", next)
		}
		if st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t); st["brand"].(map[string]any)["carrier"] != "telnyx" {
			t.Fatalf("brand %v", st["brand"])
		}
	})
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, sandboxCarrier("surge"))
		h.app.Sandbox().SetBeforeFunc(down)
		before := h.balance(h.testKey)
		r := h.call("POST", "/v1/phone/provision", h.testKey, seedBody)
		if r.Status != 502 || r.errCode(t) != "provider_error" || r.errField(t, "retryable") != true {
			t.Fatalf("no fallback: %d %s", r.Status, r.Body)
		}
		if h.balance(h.testKey) != before {
			t.Fatal("charged for a provision that failed")
		}
	})
}

// TestOperatorCarrier: the administrator gives an operator its own default
// carrier in a mode; its subjects' first numbers register there, the other
// mode and subjects with a brand are unchanged, and a carrier the server
// does not run is refused as not configured.
func TestOperatorCarrier(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, sandboxCarrier("surge"))
		op := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)["operator_id"].(string)
		ctx := context.Background()
		svc := h.app.Service()
		if _, err := svc.AdminSetCarriers(ctx, service.AdminCarriersRequest{OperatorID: op, Mode: naive.ModeTest, Default: "twilio"}); naive.ErrorCode(err) != naive.EInvalidInput {
			t.Fatalf("unknown carrier: %v", err)
		}
		if _, err := svc.AdminSetCarriers(ctx, service.AdminCarriersRequest{OperatorID: "nope", Mode: naive.ModeTest, Default: "telnyx"}); naive.ErrorCode(err) != naive.ENotFound {
			t.Fatalf("unknown operator: %v", err)
		}
		if _, err := svc.AdminSetCarriers(ctx, service.AdminCarriersRequest{OperatorID: op, Mode: naive.ModeTest, Default: "telnyx"}); err != nil {
			t.Fatal(err)
		}
		pf := h.must(200, h.call("GET", "/v1/phone/preflight?ein=12-3456789", h.testKey, nil)).json(t)
		if pf["carrier"] != "telnyx" {
			t.Fatalf("preflight carrier %v, want the operator's telnyx", pf["carrier"])
		}
		prov := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		if prov["carrier"] != "telnyx" {
			t.Fatalf("first number at %v, want the operator's telnyx", prov["carrier"])
		}
		// Live mode has no carrier on this server: naming one there is not configured.
		if _, err := svc.AdminSetCarriers(ctx, service.AdminCarriersRequest{OperatorID: op, Mode: naive.ModeLive, Default: "surge"}); err != nil {
			t.Fatal(err)
		}
		human := h.login()
		if r := h.call("POST", "/v1/phone/provision", human, seedBody); r.errCode(t) != "not_configured" {
			t.Fatalf("live provision without a live carrier: %d %s", r.Status, r.Body)
		}
	})
}
