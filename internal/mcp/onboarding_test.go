package mcp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// TestAgentOnboardsACompany drives an agent's whole onboarding of a second
// company over MCP (streamable HTTP on a real server): create the subject,
// fill its profile from preflight's fields_needed, form it, provision
// (pending approval), a human approves, and a text goes out once the
// campaign is active; the credits and events tools show what it cost.
func TestAgentOnboardsACompany(t *testing.T) {
	t.Parallel()
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "n.db"), AdminPassword: adminPassword,
		SandboxReviewDelay: 300 * time.Millisecond, PollInterval: 100 * time.Millisecond, FormationDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	cs, err := connectHTTP(t, a, a.Bootstrapped().TestKey)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(name string, args map[string]any) map[string]any {
		t.Helper()
		res := call(t, cs, name, args)
		if res.IsError {
			t.Fatalf("%s %v: %s", name, args, text(res))
		}
		return structured(t, res)
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	subj := ok("naive_subjects_create", map[string]any{"legal_name": "Beta Bakery LLC", "state": "CA"})
	sid := subj["id"].(string)
	if subj["is_default"] != false || subj["formation"].(map[string]any)["status"] != "not_started" {
		t.Fatalf("created subject %v", subj)
	}
	// What the carriers still need, filled in from fields_needed.
	pf := ok("naive_phone_preflight", map[string]any{"subject_id": sid, "ein": "12-3456789"})
	needed := pf["fields_needed"].([]any)
	if pf["ready"] != false || len(needed) < 5 {
		t.Fatalf("preflight of a bare subject %v", pf)
	}
	values := map[string]any{"website": "https://beta.example", "industry": "food_and_beverage",
		"privacy_policy_url": "https://beta.example/privacy", "terms_url": "https://beta.example/terms",
		"address": map[string]any{"line1": "9 Bread St", "city": "Oakland", "region": "CA", "postal_code": "94607", "country": "US"},
		"contact": map[string]any{"first_name": "Grace", "last_name": "Hopper", "email": "grace@beta.example", "phone": "+15105550100", "title": "ceo"}}
	patch := map[string]any{"subject_id": sid}
	for _, f := range needed {
		top, _, _ := strings.Cut(f.(string), ".")
		v, known := values[top]
		if !known {
			t.Fatalf("preflight needs %s, which the test cannot fill", f)
		}
		patch[top] = v
	}
	upd := ok("naive_subjects_update", patch)
	if upd["profile"].(map[string]any)["website"] != "https://beta.example" {
		t.Fatalf("updated subject %v", upd)
	}
	if pf := ok("naive_phone_preflight", map[string]any{"subject_id": sid, "ein": "12-3456789"}); len(pf["fields_needed"].([]any)) != 0 {
		t.Fatalf("fields still needed after the update: %v", pf["fields_needed"])
	}
	// A bad value is the service's own refusal, named.
	if bad := call(t, cs, "naive_subjects_update", map[string]any{"subject_id": sid, "state": "Californ"}); !bad.IsError ||
		structured(t, bad)["error"].(map[string]any)["param"] != "state" {
		t.Fatalf("a bad state: %s", text(bad))
	}

	f := ok("naive_formation_start", map[string]any{"subject_id": sid})
	if f["status"] != "submitted" {
		t.Fatalf("formation start %v", f)
	}
	until("the formation", func() bool {
		return ok("naive_formation_get", map[string]any{"subject_id": sid})["status"] == "formation_completed"
	})
	if again := call(t, cs, "naive_formation_start", map[string]any{"subject_id": sid}); !again.IsError ||
		structured(t, again)["error"].(map[string]any)["code"] != naive.EConflict {
		t.Fatalf("a second formation: %s", text(again))
	}

	// Not the default subject: the built-in policy wants a human.
	prov := ok("naive_phone_provision", map[string]any{"subject_id": sid, "ein": "12-3456789", "area_code": "510"})
	if prov["status"] != "pending_approval" {
		t.Fatalf("provision %v", prov)
	}
	approvalID := prov["approval"].(map[string]any)["id"].(string)
	ctx := context.Background()
	anon, _ := client.New(client.Options{BaseURL: a.URL()})
	login, err := anon.Login(ctx, naive.LoginRequest{Email: "admin@localhost", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	human, _ := client.New(client.Options{BaseURL: a.URL(), Token: login.Token, Mode: naive.ModeTest})
	if _, err := human.ApproveApproval(ctx, approvalID, naive.ApproveRequest{}); err != nil {
		t.Fatal(err)
	}
	g := ok("naive_approvals_get", map[string]any{"id": approvalID})
	if g["status"] != "executed" {
		t.Fatalf("approval %v", g)
	}
	phoneID := g["result"].(map[string]any)["phone"].(map[string]any)["id"].(string)
	until("the campaign", func() bool {
		ph := ok("naive_phone_get", map[string]any{"id": phoneID, "subject_id": sid})
		return ph["capabilities"].(map[string]any)["sms_outbound"] == true
	})
	sent := ok("naive_phone_send", map[string]any{"phone_id": phoneID, "subject_id": sid, "to": "+15105550123", "body": "Fresh bread at 7."})
	if sent["status"] != "queued" && sent["status"] != "sent" {
		t.Fatalf("send %v", sent)
	}

	// The money and the story.
	cr := ok("naive_credits_get", nil)
	if cr["balance"] != float64(1000-50-1) || cr["mode"] != "test" {
		t.Fatalf("credits %v", cr)
	}
	reasons := map[string]bool{}
	for _, e := range ok("naive_credits_ledger", map[string]any{"limit": 10})["entries"].([]any) {
		reasons[e.(map[string]any)["reason"].(string)] = true
	}
	if !reasons["phone.provision"] || !reasons["sms.send"] || !reasons["grant"] {
		t.Fatalf("ledger reasons %v", reasons)
	}
	evs := ok("naive_events_list", map[string]any{"type": "phone.provisioned"})["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["data"].(map[string]any)["id"] != phoneID {
		t.Fatalf("phone.provisioned events %v", evs)
	}
	found := false
	for _, s := range ok("naive_subjects_list", nil)["subjects"].([]any) {
		found = found || s.(map[string]any)["id"] == sid
	}
	if !found {
		t.Fatal("the new subject is not listed")
	}
	if got := ok("naive_subjects_get", map[string]any{"subject_id": sid}); got["profile"].(map[string]any)["legal_name"] != "Beta Bakery LLC" ||
		got["formation"].(map[string]any)["status"] != "formation_completed" {
		t.Fatalf("subject %v", got)
	}
}
