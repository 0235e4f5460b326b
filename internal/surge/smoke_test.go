//go:build surge_smoke

package surge_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
)

// TestSmokeRealSurge talks to the real Surge API with a real key. It only
// reads: it lists the platform's accounts and, for the first, its numbers
// and its local-messaging status. Run it with
//
//	SURGE_API_KEY=sk_live_… go test -tags surge_smoke -run Smoke ./internal/surge/
//
// (SURGE_BASE_URL overrides the host.)
func TestSmokeRealSurge(t *testing.T) {
	key := os.Getenv("SURGE_API_KEY")
	if key == "" {
		t.Skip("SURGE_API_KEY not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := surge.NewClient(surge.Options{APIKey: key, BaseURL: os.Getenv("SURGE_BASE_URL")})
	accounts, err := c.ListAccounts(ctx)
	if err != nil {
		t.Fatalf("list accounts: %v", err)
	}
	t.Logf("%d accounts", len(accounts))
	if len(accounts) == 0 {
		return
	}
	nums, err := c.ListNumbers(ctx, accounts[0].ID)
	if err != nil {
		t.Fatalf("list numbers: %v", err)
	}
	st, err := c.AccountStatus(ctx, accounts[0].ID, surge.CapabilityLocalMessaging)
	if err != nil {
		t.Fatalf("account status: %v", err)
	}
	t.Logf("account %s: %d numbers, local_messaging %s", accounts[0].ID, len(nums), st.Capabilities[surge.CapabilityLocalMessaging].Status)
}
