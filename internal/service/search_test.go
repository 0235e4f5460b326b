package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// AvailableNumbers offers ten numbers of the filter's area code (212 when
// it names none).
func (f *fakeCarrier) AvailableNumbers(_ context.Context, brandID string, nf carrier.NumberFilter) ([]carrier.AvailableNumber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.lookup(brandID); err != nil {
		return nil, err
	}
	area := nf.AreaCode
	if area == "" {
		area = "212"
	}
	out := []carrier.AvailableNumber{}
	for i := range 10 {
		out = append(out, carrier.AvailableNumber{E164: fmt.Sprintf("+1%s555%04d", area, 9000+i), Type: nf.Type, Country: "US"})
	}
	return out, nil
}

// searchCarrier answers searches with avail or err, and records orders.
type searchCarrier struct {
	*fakeCarrier
	avail   []carrier.AvailableNumber
	err     error
	orders  []carrier.NumberOrder
	soldOut bool // BuyNumber of a chosen e164 answers no inventory
}

func (s *searchCarrier) AvailableNumbers(ctx context.Context, brandID string, nf carrier.NumberFilter) ([]carrier.AvailableNumber, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.avail != nil {
		return s.avail, nil
	}
	return s.fakeCarrier.AvailableNumbers(ctx, brandID, nf)
}

func (s *searchCarrier) BuyNumber(ctx context.Context, brandID string, o carrier.NumberOrder) (carrier.Number, error) {
	s.orders = append(s.orders, o)
	if s.soldOut && o.E164 != "" {
		return carrier.Number{}, &carrier.Error{Kind: carrier.NoInventory, Message: "No phone numbers matching the criteria are available."}
	}
	return s.fakeCarrier.BuyNumber(ctx, brandID, o)
}

func (f *fixture) withCarrier(c carrier.Carrier) *service.Service {
	f.t.Helper()
	return f.processWith(service.Config{ProcessID: "process-search", Carrier: testOnly(c)})
}

func TestSearchNumbers(t *testing.T) {
	f := setup(t)
	sc := &searchCarrier{fakeCarrier: f.cr}
	svc := f.withCarrier(sc)
	if _, err := svc.SearchNumbers(f.ctx, "", naive.NumberSearch{}); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("before the brand: %v, want conflict", err)
	}
	if _, err := svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	res, err := svc.SearchNumbers(f.ctx, "", naive.NumberSearch{AreaCode: "415", Limit: 4})
	if err != nil || len(res.Data) != 4 || res.Data[0] != (naive.AvailableNumber{E164: "+14155559000", Type: "local", AreaCode: "415", Country: "US"}) || res.NextCursor != nil {
		t.Fatalf("search %+v %v", res, err)
	}
	if res, _ := svc.SearchNumbers(f.ctx, "", naive.NumberSearch{}); len(res.Data) != 10 {
		t.Fatalf("default search %d numbers", len(res.Data))
	}
	// Numbers the carrier offers that do not fit the search are not listed.
	sc.avail = []carrier.AvailableNumber{{E164: "+18885551234", Type: "toll_free"}, {E164: "+12125551234", Type: "local"},
		{E164: "+14155551299", Type: "local"}}
	if res, _ := svc.SearchNumbers(f.ctx, "", naive.NumberSearch{AreaCode: "415"}); len(res.Data) != 1 || res.Data[0].E164 != "+14155551299" || res.Data[0].Country != "US" {
		t.Fatalf("filtered %+v", res.Data)
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{&carrier.Error{Kind: carrier.Unavailable, Message: "down"}, naive.EProviderError},
		{&carrier.Error{Kind: carrier.RateLimited, RetryAfter: time.Second}, naive.ERateLimited},
		{&carrier.Error{Kind: carrier.NotFound, Message: "gone"}, naive.EProviderError},
	} {
		sc.err = c.err
		_, err := svc.SearchNumbers(f.ctx, "", naive.NumberSearch{})
		if e := naive.AsError(err); e.Code != c.code || e.Hint == "" {
			t.Fatalf("%v: %v, want %s with a hint", c.err, err, c.code)
		}
	}
	sc.err = nil
	for _, req := range []naive.NumberSearch{{Type: "mobile"}, {AreaCode: "41"}, {Limit: -1}, {Limit: 51}, {Type: "toll_free", AreaCode: "415"}} {
		if _, err := svc.SearchNumbers(f.ctx, "", req); naive.ErrorCode(err) != naive.EInvalidInput {
			t.Fatalf("%+v: %v, want invalid_input", req, err)
		}
	}
}

// TestProvisionChosenNumber: the chosen e164 reaches the carrier's order;
// a lost answer is found by our phone id as for any purchase; a number sold
// out is 422 on e164 and refunded.
func TestProvisionChosenNumber(t *testing.T) {
	f := setup(t)
	sc := &searchCarrier{fakeCarrier: f.cr}
	svc := f.withCarrier(sc)
	if _, err := svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, Message: "connection reset", UnknownOutcome: true}
	res, err := svc.ProvisionPhone(f.ctx, "", naive.ProvisionRequest{E164: "+12125559003"})
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	if ph.E164 != "+12125559003" || ph.AreaCode != "212" || ph.Type != naive.PhoneLocal || f.cr.bought != 2 {
		t.Fatalf("chosen %+v, bought %d", ph, f.cr.bought)
	}
	if o := sc.orders[len(sc.orders)-1]; o.E164 != "+12125559003" || o.Ref != ph.ID {
		t.Fatalf("order %+v", o)
	}
	f.cr.buyOutcome = nil
	sc.soldOut = true
	before := f.balance()
	_, err = svc.ProvisionPhone(f.ctx, "", naive.ProvisionRequest{E164: "+12125559004"})
	if e := naive.AsError(err); e.Code != naive.ENoMatchingNumbers || e.Param != "e164" || e.Hint == "" {
		t.Fatalf("sold out: %v", err)
	}
	if f.balance() != before {
		t.Fatalf("sold out charged: %d → %d", before, f.balance())
	}
}

func TestValidateChosenNumber(t *testing.T) {
	for _, c := range []struct {
		req naive.ProvisionRequest
		ok  bool
	}{
		{naive.ProvisionRequest{E164: "+14155551234"}, true},
		{naive.ProvisionRequest{E164: "+14155551234", AreaCode: "415", Type: "local"}, true},
		{naive.ProvisionRequest{E164: "+18885551234", Type: "toll_free"}, true},
		{naive.ProvisionRequest{E164: "+18885551234"}, false}, // type defaults to local
		{naive.ProvisionRequest{E164: "+14155551234", AreaCode: "212"}, false},
		{naive.ProvisionRequest{E164: "+14155551234", Type: "toll_free"}, false},
		{naive.ProvisionRequest{E164: "+1415555123"}, false},
		{naive.ProvisionRequest{E164: "+11155551234"}, false},
		{naive.ProvisionRequest{E164: "+14151551234"}, false},
		{naive.ProvisionRequest{E164: "14155551234"}, false},
		{naive.ProvisionRequest{E164: "+1415555123x"}, false},
	} {
		err := service.ValidateProvision(&c.req)
		if (err == nil) != c.ok || (err != nil && err.Param != "e164") {
			t.Errorf("%+v: %v", c.req, err)
		}
	}
}
