package mcp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// TestCampaignContentTools: an agent reads the default content over MCP,
// changes it, sees the change, and preflight lists the compliance rules.
func TestCampaignContentTools(t *testing.T) {
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
	c := ok("naive_campaign_content_get", map[string]any{})
	if c["editable"] != true || !strings.Contains(c["description"].(string), "Demo Company LLC") || len(c["customized"].([]any)) != 0 {
		t.Fatalf("defaults %v", c)
	}
	samples := []any{"Demo Company: you are opted in. Reply STOP to opt out.", "Demo Company: your order shipped."}
	c = ok("naive_campaign_content_update", map[string]any{"message_samples": samples, "volume": "high"})
	if c["volume"] != "high" || len(c["customized"].([]any)) != 2 {
		t.Fatalf("updated %v", c)
	}
	if res := call(t, cs, "naive_campaign_content_update", map[string]any{"message_samples": []any{"one"}}); !res.IsError ||
		!strings.Contains(text(res), "message_samples") {
		t.Fatalf("one sample: %s", text(res))
	}
	if c = ok("naive_campaign_content_get", map[string]any{}); c["message_samples"].([]any)[0] != samples[0] {
		t.Fatalf("read back %v", c)
	}
	pf := ok("naive_phone_preflight", map[string]any{"ein": "12-3456789"})
	if n := len(pf["campaign_checks"].([]any)); n != 9 {
		t.Fatalf("preflight campaign_checks %v", pf["campaign_checks"])
	}
}
