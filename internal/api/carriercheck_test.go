package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestStatusTellsTheCarrierTruth: against the real Surge client and the
// sandbox, preflight and phone status report an account the carrier lost
// as a failed check and a carrier that is down as an unknown one, both
// 200 and as documented, while /readyz — about this process and its
// database — stays 200.
func TestStatusTellsTheCarrierTruth(t *testing.T) {
	t.Parallel()
	h := start(t)
	d := fetchDoc(t, h)
	key := h.testKey
	get := func(template, path string) map[string]any {
		t.Helper()
		r := h.call("GET", path, key, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d, want 200: %s", path, r.status, r.body)
		}
		if template != "" {
			d.check(t, template, r)
		}
		return r.json(t)
	}
	carrierCheck := func(body map[string]any, name string) map[string]any {
		t.Helper()
		checks, _ := body["checks"].([]any)
		for _, c := range checks {
			if m, _ := c.(map[string]any); m["check"] == name {
				return m
			}
		}
		js, _ := json.Marshal(body)
		t.Fatalf("no %s check in %s", name, js)
		return nil
	}
	ready := func() {
		t.Helper()
		if r := h.call("GET", "/readyz", "", nil); r.status != http.StatusOK {
			t.Fatalf("/readyz %d with the carrier unwell, want 200: %s", r.status, r.body)
		}
	}
	if r := h.call("POST", "/v1/phone/provision", key, `{"ein":"12-3456789","area_code":"415"}`); r.status != http.StatusAccepted {
		t.Fatalf("provision: %d %s", r.status, r.body)
	}
	st := get("/v1/phone/status", "/v1/phone/status")
	if c := carrierCheck(st, "carrier_numbers"); c["status"] != "ok" || c["ok"] != true {
		t.Fatalf("carrier_numbers %v, want ok", c)
	}

	// The carrier is down: unknown, not missing.
	sim := h.app.Sandbox()
	sim.SetBeforeFunc(func(*http.Request) (int, []byte, bool) {
		return http.StatusServiceUnavailable, []byte(`{"error":{"type":"service_unavailable","message":"down"}}`), true
	})
	ready()
	st = get("/v1/phone/status", "/v1/phone/status")
	pf := get("/v1/phone/preflight", "/v1/phone/preflight")
	for _, c := range []map[string]any{carrierCheck(st, "carrier_account"), carrierCheck(st, "carrier_numbers"), carrierCheck(pf, "carrier_account")} {
		if c["status"] != "unknown" || c["ok"] != false || !strings.HasPrefix(c["detail"].(string), "Could not check") {
			t.Errorf("with the carrier down: %v, want unknown", c)
		}
	}
	if pf["ready"] != false {
		t.Errorf("preflight ready with the carrier unchecked")
	}

	// The sandbox lost the account, as after a restart.
	sim.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if !strings.HasPrefix(r.URL.Path, "/accounts/") {
			return 0, nil, false
		}
		return http.StatusNotFound, []byte(`{"error":{"type":"account_not_found","message":"The account could not be found."}}`), true
	})
	defer sim.SetBeforeFunc(nil)
	ready()
	st = get("/v1/phone/status", "/v1/phone/status")
	pf = get("/v1/phone/preflight", "/v1/phone/preflight")
	for _, c := range []map[string]any{carrierCheck(st, "carrier_account"), carrierCheck(pf, "carrier_account")} {
		if c["status"] != "failed" || c["ok"] != false || !strings.Contains(c["detail"].(string), "has no account") ||
			!strings.Contains(c["fix"].(string), "POST /v1/subjects") {
			t.Errorf("with the account lost: %v, want failed with a fix", c)
		}
	}
	if pf["ready"] != false || !strings.Contains(st["next_step"].(string), "lost the subject's brand account") {
		t.Errorf("ready %v, next step %q", pf["ready"], st["next_step"])
	}
}
