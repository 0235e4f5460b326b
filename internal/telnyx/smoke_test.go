//go:build telnyx_smoke

package telnyx_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
)

// TestSmokeRealTelnyx talks to the real Telnyx API with a real key. It only
// reads: it lists the account's numbers, its 10DLC brands, and searches the
// inventory of US local numbers. Run it with
//
//	TELNYX_API_KEY=KEY… go test -tags telnyx_smoke -run Smoke ./internal/telnyx/
//
// (TELNYX_BASE_URL overrides the endpoint, /v2 included.)
func TestSmokeRealTelnyx(t *testing.T) {
	key := os.Getenv("TELNYX_API_KEY")
	if key == "" {
		t.Skip("TELNYX_API_KEY not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := telnyx.NewClient(telnyx.Options{APIKey: key, BaseURL: os.Getenv("TELNYX_BASE_URL")})
	nums, err := c.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{})
	if err != nil {
		t.Fatalf("list numbers: %v", err)
	}
	t.Logf("%d numbers", len(nums))
	avail, err := c.AvailableNumbers(ctx, telnyx.AvailableFilter{CountryCode: "US", PhoneNumberType: telnyx.NumberLocal,
		NationalDestinationCode: "312", Features: []string{"sms"}, Limit: 5})
	if err != nil {
		t.Fatalf("search available numbers: %v", err)
	}
	t.Logf("%d numbers for sale in 312", len(avail))
	for _, n := range avail {
		if n.PhoneNumber == "" {
			t.Fatalf("an available number without phone_number: %+v", n)
		}
	}
	brands, err := c.ListBrands(ctx, "")
	if err != nil {
		t.Fatalf("list brands: %v", err)
	}
	t.Logf("%d 10DLC brands", len(brands))
}
