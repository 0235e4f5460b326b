package service_test

import (
	"sync"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// TestSoleProprietorConcurrentFirstNumbers: first provisions of one sole
// proprietor at the same moment can all pass the precheck (none sees
// another's phone yet); the check after the reserve lets at most one buy
// and refunds the others, so the brand holds one number at most, charged
// once. Several subjects, each raced by several provisions.
func TestSoleProprietorConcurrentFirstNumbers(t *testing.T) {
	f := setup(t)
	const subjects, racers = 6, 6
	before := f.balance()
	var charged int64
	for range subjects {
		subj := f.soleProprietor(t)
		var wg sync.WaitGroup
		errs := make([]error, racers)
		used := make([]int64, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor, AreaCode: "415"})
				errs[i] = err
				if err == nil {
					used[i] = res.Provisioned.CreditsUsed
				}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				charged += used[i]
			case naive.ErrorCode(err) != naive.EConflict:
				t.Fatalf("a provision failed with %v, want conflict", err)
			}
		}
		if ok > 1 {
			t.Fatalf("%d first provisions of one sole proprietor succeeded (errors %v)", ok, errs)
		}
	}
	if held := f.cr.held(); int64(held)*50 != charged || held > subjects {
		t.Fatalf("the carrier holds %d numbers for %d credits charged", held, charged)
	}
	if got := f.balance(); got != before-charged {
		t.Fatalf("balance %d from %d, %d charged by the successes", got, before, charged)
	}
}

// TestVerificationCodeBurst: a burst of concurrent guesses at a sole
// proprietor's PIN reaches the carrier no more often than the limit of
// wrong codes allows, however many read the count at once; the rest are
// refused as rate limited.
func TestVerificationCodeBurst(t *testing.T) {
	f := setup(t)
	f.cr.verifyBy, f.cr.code = naive.BrandVerifyCode, "493027"
	subj := f.soleProprietor(t)
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor}); err != nil {
		t.Fatal(err)
	}
	const guesses = 30
	var wg sync.WaitGroup
	codes := make([]string, guesses)
	start := make(chan struct{})
	for i := range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.svc.SubmitBrandVerification(f.human, subj.ID, "111111")
			codes[i] = naive.ErrorCode(err)
		}()
	}
	close(start)
	wg.Wait()
	wrong := 0
	for _, c := range codes {
		switch c {
		case naive.EInvalidInput:
			wrong++
		case naive.ERateLimited:
		default:
			t.Fatalf("a guess answered %q (all: %v)", c, codes)
		}
	}
	f.cr.mu.Lock()
	submits := f.cr.submits
	f.cr.mu.Unlock()
	// At most the limit reach the carrier; when every guess counted
	// itself before any read the count back, none does (all refused).
	if wrong > service.VerificationCodeAttempts || submits != wrong {
		t.Fatalf("%d guesses checked by the carrier (%d answered wrong), limit %d", submits, wrong, service.VerificationCodeAttempts)
	}
}
