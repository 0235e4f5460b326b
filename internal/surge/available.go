package surge

import (
	"context"

	"github.com/naive-oss/naive/internal/carrier"
)

// AvailableNumbers lists the numbers Surge offers for sale, browsed
// through the brand's account (Surge's inventory browser is account
// scoped). Surge gives no locality or region for them.
func (a *Carrier) AvailableNumbers(ctx context.Context, brandID string, f carrier.NumberFilter) ([]carrier.AvailableNumber, error) {
	nums, err := a.c.AvailableNumbers(ctx, brandID, f.Type, f.AreaCode)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]carrier.AvailableNumber, 0, len(nums))
	for _, n := range nums {
		out = append(out, carrier.AvailableNumber{E164: n.Number, Type: n.Type, Country: n.Country})
	}
	return out, nil
}
