package mcp_test

import (
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// TestConsentTools records a contact's consent and lists the number's
// contacts over /mcp, and cancels nothing that is not scheduled.
func TestConsentTools(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	cs, err := connectHTTP(t, a, a.Bootstrapped().TestKey)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	prov := structured(t, call(t, cs, "naive_phone_provision", map[string]any{"ein": "12-3456789", "area_code": "415"}))
	phoneID := prov["phone"].(map[string]any)["id"].(string)

	bad := call(t, cs, "naive_phone_record_consent", map[string]any{"phone_id": phoneID, "contact": "+14155550124", "basis": "express_written",
		"evidence_url": "http://example.com/form"})
	if e, _ := structured(t, bad)["error"].(map[string]any); !bad.IsError || e["code"] != naive.EInvalidInput || e["param"] != "evidence_url" {
		t.Fatalf("http evidence: %s", text(bad))
	}
	got := structured(t, call(t, cs, "naive_phone_record_consent", map[string]any{"phone_id": phoneID, "contact": "+14155550124",
		"basis": "express_oral", "note": "on the phone"}))
	if got["contact"] != "+14155550124" || got["consent"] != "express_oral" || got["opted_out"] != false {
		t.Fatalf("record %v", got)
	}
	l := structured(t, call(t, cs, "naive_phone_contacts", map[string]any{"phone_id": phoneID}))
	cs0 := l["contacts"].([]any)
	if len(cs0) != 1 || cs0[0].(map[string]any)["consent"] != "express_oral" || cs0[0].(map[string]any)["note"] != "on the phone" {
		t.Fatalf("contacts %v", l)
	}
	missing := call(t, cs, "naive_phone_cancel", map[string]any{"id": "01a2239c-0000-7000-8000-000000000000"})
	if !missing.IsError || structured(t, missing)["error"].(map[string]any)["code"] != naive.ENotFound {
		t.Fatalf("cancel of an unknown message: %s", text(missing))
	}
}
