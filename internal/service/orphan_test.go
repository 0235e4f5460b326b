package service_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
)

// stealClaim makes another process take the subject's registering brand
// over, as one does when it finds the claim stale; that process then dies
// (it never beats), so its claim is free for the next registration.
func (f *fixture) stealClaim(t *testing.T, subj *naive.Subject) {
	t.Helper()
	p := mustPrincipal(f.ctx)
	now := f.clock.now()
	_, claimed, err := f.st.ClaimBrand(context.Background(), &naive.Brand{SubjectID: subj.ID, OperatorID: p.OperatorID, Mode: p.Mode,
		Status: naive.BrandRegistering, ClaimToken: "thief", ClaimedBy: "process-gone", ClaimedAt: now, CreatedAt: now},
		now.Add(time.Hour), now)
	if err != nil || !claimed {
		t.Errorf("steal the claim: %v %v", claimed, err)
	}
}

// TestOrphanedBrandIsArchived: the carrier created the brand, but the
// registration lost its claim before recording it, so nothing refers to
// the brand and the retry registers another. The orphan is archived at the
// carrier, once; the run fails as before and its retry completes with one
// brand in use.
func TestOrphanedBrandIsArchived(t *testing.T) {
	f := setup(t)
	subj, err := f.svc.GetSubject(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f.cr.onCreateBrand = func(string) {
		f.cr.onCreateBrand = nil
		f.stealClaim(t, subj)
	}
	ctx, _ := keyed(f.ctx, "orphan")
	if _, err := f.svc.ProvisionPhone(ctx, "", firstNumber); err == nil {
		t.Fatal("a registration that lost its claim succeeded")
	}
	if got := f.cr.archivedBrands(); !slices.Equal(got, []string{"brand_1"}) {
		t.Fatalf("archived %v, want the orphan brand_1", got)
	}
	if f.cr.held() != 0 || f.balance() != 1000 {
		t.Fatalf("carrier holds %d, balance %d; want 0 and 1000", f.cr.held(), f.balance())
	}

	// The thief died; a retry registers a brand and uses it.
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.st.GetBrand(context.Background(), mustPrincipal(f.ctx).Scope(), subj.ID)
	if err != nil || b.Status != naive.BrandRegistered || b.CarrierID == "brand_1" || b.CarrierID == "" {
		t.Fatalf("brand %+v (%v), want registered with a new carrier brand", b, err)
	}
	if res.Provisioned.Phone.Status != naive.PhoneActive || !slices.Equal(f.cr.archivedBrands(), []string{"brand_1"}) {
		t.Fatalf("phone %+v, archived %v", res.Provisioned.Phone, f.cr.archivedBrands())
	}
}

// TestOrphanArchiveIsBestEffort: a failed archive is logged, and the run
// fails exactly as it would without it.
func TestOrphanArchiveIsBestEffort(t *testing.T) {
	f := setup(t)
	subj, err := f.svc.GetSubject(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f.cr.archiveErr = &carrier.Error{Kind: carrier.Unavailable, Message: "down"}
	f.cr.onCreateBrand = func(string) {
		f.cr.onCreateBrand = nil
		f.stealClaim(t, subj)
	}
	_, err = f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err == nil || carrier.Is(err, carrier.Unavailable) {
		t.Fatalf("err %v, want the registration's own failure", err)
	}
	if len(f.cr.archivedBrands()) != 0 || f.balance() != 1000 {
		t.Fatalf("archived %v, balance %d", f.cr.archivedBrands(), f.balance())
	}
}

// recordingStore fails SetBrandCarrierID with err after (when write) or
// instead of writing it: a database that may have committed unseen.
type recordingStore struct {
	store.Store
	write bool
	err   error
}

func (r *recordingStore) SetBrandCarrierID(ctx context.Context, subjectID, claimToken, carrierID string, at time.Time) error {
	if r.write {
		if err := r.Store.SetBrandCarrierID(ctx, subjectID, claimToken, carrierID, at); err != nil {
			return err
		}
	}
	return r.err
}

// TestBrandRecordedUnseenIsKept: when recording the brand fails in a way
// that may have committed, the brand is archived only if a read shows the
// database without it — never one the database refers to.
func TestBrandRecordedUnseenIsKept(t *testing.T) {
	for _, written := range []bool{true, false} {
		t.Run(map[bool]string{true: "committed", false: "not committed"}[written], func(t *testing.T) {
			f := setup(t)
			rs := &recordingStore{Store: f.st, write: written, err: errors.New("connection reset")}
			svc, err := service.New(service.Config{Store: rs, Now: f.clock.now, ProcessID: "process-1",
				Carrier: testOnly(f.cr), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.RegisterProcess(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ProvisionPhone(f.ctx, "", firstNumber); err == nil {
				t.Fatal("a registration whose record failed succeeded")
			}
			want := []string{"brand_1"}
			if written {
				want = nil
			}
			if got := f.cr.archivedBrands(); !slices.Equal(got, want) {
				t.Fatalf("archived %v, want %v", got, want)
			}
		})
	}
}
