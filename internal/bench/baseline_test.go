package bench

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// TestBaselineWrite checks the stores' B1 hook does a provision's writes:
// the debit (refused when the balance cannot cover it, with nothing
// written), the phone and the ledger entry that points at it.
func TestBaselineWrite(t *testing.T) {
	admins := map[string]string{"sqlite": ""}
	if u := os.Getenv("NAIVE_TEST_POSTGRES_URL"); u != "" {
		admins["postgres"] = u
	}
	for name, admin := range admins {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			dbs, err := newDatabases(admin)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(dbs.cleanup)
			dbURL, err := dbs.create(ctx, "hook")
			if err != nil {
				t.Fatal(err)
			}
			st, err := app.OpenStore(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			bw := st.(baselineWriter)
			now := time.Now().UTC()
			op := &naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "hook", CreatedAt: now}
			if err := st.CreateOperator(ctx, op); err != nil {
				t.Fatal(err)
			}
			sc := naive.Scope{OperatorID: op.ID, Mode: naive.ModeTest}
			subj := &naive.Subject{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: op.ID, Mode: naive.ModeTest, IsDefault: true, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateSubject(ctx, subj); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddLedgerEntry(ctx, &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), CreatedAt: now, OperatorID: op.ID, Mode: naive.ModeTest, Amount: 120,
				Reason: naive.LedgerGrant}, store.Progress{}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := bw.BaselineWrite(ctx, op.ID, naive.ModeTest, subj.ID, 50); err != nil {
					t.Fatal(err)
				}
			}
			if err := bw.BaselineWrite(ctx, op.ID, naive.ModeTest, subj.ID, 50); !errors.Is(err, store.ErrInsufficientCredits) {
				t.Fatalf("a third write on 20 credits: %v, want ErrInsufficientCredits", err)
			}
			if bal, err := st.Balance(ctx, sc); err != nil || bal != 20 {
				t.Fatalf("balance %d (%v), want 20", bal, err)
			}
			entries, err := st.ListLedger(ctx, sc, naive.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 3 {
				t.Fatalf("%d ledger entries, want the grant and two debits: %+v", len(entries), entries)
			}
			for _, e := range entries[:2] { // newest first
				if e.Amount != -50 || e.Reason != naive.LedgerPhoneProvision || e.ReferenceID == "" {
					t.Errorf("debit %+v", e)
					continue
				}
				ph, err := st.GetPhone(ctx, sc, e.ReferenceID)
				if err != nil {
					t.Errorf("the debit's phone %s: %v", e.ReferenceID, err)
					continue
				}
				if ph.SubjectID != subj.ID || ph.Price != 50 || ph.Status != naive.PhoneProvisioning {
					t.Errorf("phone %+v", ph)
				}
			}
			if entries[0].BalanceAfter != 20 || entries[1].BalanceAfter != 70 {
				t.Errorf("balances after %d and %d, want 20 and 70", entries[0].BalanceAfter, entries[1].BalanceAfter)
			}
		})
	}
}
