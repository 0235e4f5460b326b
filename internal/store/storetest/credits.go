package storetest

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

func testLedger(t *testing.T, b *bundle) {
	bal, err := b.s.Balance(b.ctx, b.live)
	must(t, err)
	if bal != 0 {
		t.Fatalf("balance never credited = %d, want 0", bal)
	}
	empty(t, "ListLedger before any entry", must2(b.s.ListLedger(b.ctx, b.live, naive.Page{}))(t))
	// A debit of a never-credited scope stores nothing.
	_, err = b.s.AddLedgerEntry(b.ctx, &naive.LedgerEntry{ID: newID(), Amount: -1, Reason: "x",
		OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}, noRun)
	wantErr(t, err, store.ErrInsufficientCredits)

	grant := &naive.LedgerEntry{ID: newID(), Amount: 100, Reason: naive.LedgerGrant, ReferenceID: "ref",
		Actor: naive.Actor{Type: "human", ID: b.user.ID}, Memo: "welcome", OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}
	bal, err = b.s.AddLedgerEntry(b.ctx, grant, noRun)
	must(t, err)
	if bal != 100 {
		t.Fatalf("balance after grant = %d, want 100", bal)
	}
	debit := &naive.LedgerEntry{ID: newID(), Amount: -60, Reason: naive.LedgerPhoneProvision,
		Actor: naive.Actor{Type: "agent", ID: "key"}, OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}
	bal, err = b.s.AddLedgerEntry(b.ctx, debit, noRun)
	must(t, err)
	if bal != 40 {
		t.Fatalf("balance after debit = %d, want 40", bal)
	}
	// Too large a debit stores nothing.
	_, err = b.s.AddLedgerEntry(b.ctx, &naive.LedgerEntry{ID: newID(), Amount: -41, Reason: "x",
		OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}, noRun)
	wantErr(t, err, store.ErrInsufficientCredits)
	// The exact balance can be spent.
	last := &naive.LedgerEntry{ID: newID(), Amount: -40, Reason: "x", OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}
	bal, err = b.s.AddLedgerEntry(b.ctx, last, noRun)
	must(t, err)
	if bal != 0 {
		t.Fatalf("balance after spending all = %d, want 0", bal)
	}

	grant.BalanceAfter, debit.BalanceAfter, last.BalanceAfter = 100, 40, 0
	_, entries := b.checkLedger(t, b.live)
	equal(t, "ledger, newest first", entries, []naive.LedgerEntry{*last, *debit, *grant})
	checkPaging(t, []string{last.ID, debit.ID, grant.ID}, func(p naive.Page) []string {
		return ids(must2(b.s.ListLedger(b.ctx, b.live, p))(t), func(e naive.LedgerEntry) string { return e.ID })
	})

	// Modes keep separate balances.
	if bal := b.grant(t, b.test, 7); bal != 7 {
		t.Fatalf("test-mode balance = %d, want 7", bal)
	}
	if bal, _ := b.checkLedger(t, b.live); bal != 0 {
		t.Fatalf("live balance moved with test mode: %d", bal)
	}
}

// testLedgerConcurrentDebits races 100 debits of 1 against a balance of
// 50: exactly 50 succeed, each seeing a different balance after.
func testLedgerConcurrentDebits(t *testing.T, b *bundle) {
	b.grant(t, b.live, 50)
	var ok, short atomic.Int32
	afters := make([]int64, 100)
	concurrently(100, func(i int) {
		afters[i] = -1
		bal, err := b.s.AddLedgerEntry(b.ctx, &naive.LedgerEntry{ID: newID(), Amount: -1, Reason: "sms.send",
			OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}, noRun)
		switch {
		case err == nil:
			ok.Add(1)
			afters[i] = bal
		case errors.Is(err, store.ErrInsufficientCredits):
			short.Add(1)
		default:
			t.Errorf("AddLedgerEntry: %v", err)
		}
	})
	if ok.Load() != 50 || short.Load() != 50 {
		t.Fatalf("%d debits succeeded and %d were short, want 50 and 50", ok.Load(), short.Load())
	}
	bal, entries := b.checkLedger(t, b.live)
	if bal != 0 || len(entries) != 51 {
		t.Fatalf("balance %d with %d entries, want 0 with 51", bal, len(entries))
	}
	checkDistinctAfters(t, afters, 50, 1)
}

// checkDistinctAfters asserts that the successful debits (afters[i] >= 0)
// saw the balances n-step, n-2·step, …, 0 once each, as if run one by one.
func checkDistinctAfters(t *testing.T, afters []int64, n int, step int64) {
	t.Helper()
	var got []int64
	for _, a := range afters {
		if a >= 0 {
			got = append(got, a)
		}
	}
	slices.Sort(got)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i) * step
	}
	equal(t, "balances after the concurrent debits", got, want)
}
