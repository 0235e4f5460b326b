package mcp_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/mcp"
)

var update = flag.Bool("update", false, "rewrite the golden schema files in testdata/")

// TestToolSchemasGolden keeps every tool's name, description, annotations
// and input and output schemas in testdata/<tool>.json, so a change to what
// models see is a reviewed diff. Run with -update to rewrite them.
func TestToolSchemasGolden(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, tool := range mcp.Tools() {
		names[tool.Name+".json"] = true
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", tool.Name+".json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/mcp -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s changed; if intended, run go test ./internal/mcp -update and review the diff.\ngot:\n%s", path, got)
		}
	}
	// No golden file of a tool that no longer exists.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s has no tool; delete it", f)
		}
	}
}

// TestToolContract checks what the issue fixes: the tool names, the
// provision input's exact properties, and annotations on every tool.
func TestToolContract(t *testing.T) {
	t.Parallel()
	var names []string
	for _, tool := range mcp.Tools() {
		names = append(names, tool.Name)
		if tool.Description == "" || tool.Annotations == nil || tool.OutputSchema == nil {
			t.Errorf("%s lacks a description, annotations or an output schema", tool.Name)
		}
		a := tool.Annotations
		if !a.ReadOnlyHint && a.DestructiveHint == nil {
			t.Errorf("%s: a tool that writes must say whether it is destructive", tool.Name)
		}
	}
	want := []string{"naive_status", "naive_phone_provision", "naive_phone_list", "naive_phone_get", "naive_phone_status",
		"naive_phone_release", "naive_phone_preflight", "naive_phone_search", "naive_phone_send", "naive_phone_messages", "naive_phone_read",
		"naive_phone_wait_for_text", "naive_phone_cancel", "naive_phone_contacts", "naive_phone_record_consent", "naive_phone_assign", "naive_phone_assignments", "naive_campaign_resubmit", "naive_brand_verification_resend", "naive_brand_verification_submit", "naive_approvals_list", "naive_approvals_get",
		"naive_subjects_list", "naive_subjects_get", "naive_subjects_create", "naive_subjects_update",
		"naive_campaign_content_get", "naive_campaign_content_update",
		"naive_formation_get", "naive_formation_start", "naive_credits_get", "naive_credits_ledger", "naive_events_list"}
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
	schema := func(name string) map[string]any {
		for _, tool := range mcp.Tools() {
			if tool.Name == name {
				b, _ := json.Marshal(tool.InputSchema)
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				return m
			}
		}
		return nil
	}
	props := schema("naive_phone_provision")["properties"].(map[string]any)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"agent_id", "area_code", "carrier", "e164", "ein", "label", "subject_id", "tier", "type"}) {
		t.Fatalf("naive_phone_provision input properties %v", keys)
	}
	if req := schema("naive_phone_provision")["required"]; req != nil {
		t.Fatalf("naive_phone_provision requires %v; every property is optional", req)
	}
	// No tool lets an agent decide an approval.
	for _, n := range names {
		if strings.Contains(n, "approve") || strings.Contains(n, "deny") {
			t.Fatalf("tool %s decides approvals; only humans may", n)
		}
	}
	if req := schema("naive_phone_send")["required"]; fmt.Sprint(req) != "[phone_id to body]" {
		t.Fatalf("naive_phone_send requires %v", req)
	}
	for _, tool := range mcp.Tools() {
		a := tool.Annotations
		switch tool.Name {
		case "naive_phone_provision":
			if a.ReadOnlyHint || *a.DestructiveHint || a.IdempotentHint {
				t.Errorf("provision annotations %+v: it writes, adds, and buys again on each call", a)
			}
		case "naive_phone_release":
			if a.ReadOnlyHint || !*a.DestructiveHint || !a.IdempotentHint {
				t.Errorf("release annotations %+v", a)
			}
		case "naive_phone_send":
			if a.ReadOnlyHint || *a.DestructiveHint || a.IdempotentHint || !*a.OpenWorldHint {
				t.Errorf("send annotations %+v: it writes, adds, sends again on each call and reaches people", a)
			}
		case "naive_phone_assign":
			if a.ReadOnlyHint || !*a.DestructiveHint || !a.IdempotentHint {
				t.Errorf("assign annotations %+v: assigning again replaces permissions, with the same end state", a)
			}
		case "naive_phone_record_consent":
			if a.ReadOnlyHint || !*a.DestructiveHint || !a.IdempotentHint || *a.OpenWorldHint {
				t.Errorf("record consent annotations %+v: it replaces the contact's record, with the same end state twice", a)
			}
		case "naive_phone_cancel":
			if a.ReadOnlyHint || !*a.DestructiveHint || a.IdempotentHint {
				t.Errorf("cancel annotations %+v: it ends a scheduled text; a second call is refused", a)
			}
		case "naive_subjects_create", "naive_formation_start":
			if a.ReadOnlyHint || *a.DestructiveHint || a.IdempotentHint {
				t.Errorf("%s annotations %+v: it writes, adds, and a second call creates (or is refused) again", tool.Name, a)
			}
		case "naive_campaign_resubmit", "naive_brand_verification_resend", "naive_brand_verification_submit":
			if a.ReadOnlyHint || *a.DestructiveHint || a.IdempotentHint || !*a.OpenWorldHint {
				t.Errorf("resubmit annotations %+v: it writes, destroys nothing, a second call is refused, and it reaches the carrier", a)
			}
		case "naive_subjects_update", "naive_campaign_content_update":
			if a.ReadOnlyHint || *a.DestructiveHint || !a.IdempotentHint {
				t.Errorf("update annotations %+v: the same patch twice leaves the same profile", a)
			}
		default:
			if !a.ReadOnlyHint || !a.IdempotentHint {
				t.Errorf("%s annotations %+v: reads are read-only and idempotent", tool.Name, a)
			}
		}
	}
}
