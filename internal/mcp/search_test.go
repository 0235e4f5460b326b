package mcp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// TestPhoneSearchTool: an agent searches over MCP, buys exactly a number
// listed, and buying it again is a tool error naming no_matching_numbers.
func TestPhoneSearchTool(t *testing.T) {
	t.Parallel()
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "n.db"), AdminPassword: adminPassword,
		SandboxReviewDelay: 30 * time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	cs, err := connectHTTP(t, a, a.Bootstrapped().TestKey)
	if err != nil {
		t.Fatal(err)
	}
	if res := call(t, cs, "naive_phone_search", map[string]any{"area_code": "415"}); !res.IsError || !strings.Contains(text(res), "conflict") {
		t.Fatalf("before the brand: %s", text(res))
	}
	if res := call(t, cs, "naive_phone_provision", map[string]any{"ein": "12-3456789", "area_code": "415"}); res.IsError {
		t.Fatal(text(res))
	}
	res := call(t, cs, "naive_phone_search", map[string]any{"area_code": "415", "limit": 2})
	if res.IsError {
		t.Fatal(text(res))
	}
	nums := structured(t, res)["numbers"].([]any)
	if len(nums) != 2 || nums[1].(map[string]any)["e164"] != "+14155551236" {
		t.Fatalf("search %v", nums)
	}
	res = call(t, cs, "naive_phone_provision", map[string]any{"e164": "+14155551236"})
	if res.IsError || structured(t, res)["phone"].(map[string]any)["e164"] != "+14155551236" {
		t.Fatalf("chosen: %s", text(res))
	}
	if res := call(t, cs, "naive_phone_provision", map[string]any{"e164": "+14155551236"}); !res.IsError || !strings.Contains(text(res), "no_matching_numbers") {
		t.Fatalf("again: %s", text(res))
	}
	if nums := structured(t, call(t, cs, "naive_phone_search", map[string]any{"area_code": "555"}))["numbers"].([]any); len(nums) != 0 {
		t.Fatalf("555: %v", nums)
	}
}
