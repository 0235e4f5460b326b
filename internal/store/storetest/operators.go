package storetest

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// tenantData is a new operator with its owner, a default subject per mode
// and a test grant, as `naive admin operators create` stores one.
func tenantData(email string) *store.SeedData {
	sd := seedData()
	sd.User.Email = email
	sd.Grants = []naive.LedgerEntry{{ID: newID(), Amount: 70, Reason: naive.LedgerGrant, OperatorID: sd.Operator.ID,
		Mode: naive.ModeTest, Actor: naive.Actor{Type: "admin", ID: "root@host"}, CreatedAt: now()}}
	return sd
}

func testCreateTenant(t *testing.T, b *bundle) {
	// The store is seeded (setup): CreateTenant adds operators regardless.
	email := "owner-" + newID() + "@example.com"
	sd := tenantData(email)
	must(t, b.s.CreateTenant(b.ctx, sd))
	op, err := b.s.GetOperator(b.ctx, sd.Operator.ID)
	must(t, err)
	equal(t, "created operator", *op, sd.Operator)
	u, err := b.s.GetUserByEmail(b.ctx, strings.ToUpper(email))
	must(t, err)
	if u.ID != sd.User.ID || u.OperatorID != sd.Operator.ID || u.Email != email {
		t.Fatalf("owner = %+v, want id %s of operator %s", u, sd.User.ID, sd.Operator.ID)
	}
	for _, s := range sd.Subjects {
		got, err := b.s.GetDefaultSubject(b.ctx, naive.Scope{OperatorID: sd.Operator.ID, Mode: s.Mode})
		must(t, err)
		if got.ID != s.ID {
			t.Fatalf("default %s subject = %s, want %s", s.Mode, got.ID, s.ID)
		}
	}
	test := naive.Scope{OperatorID: sd.Operator.ID, Mode: naive.ModeTest}
	if bal, _ := b.checkLedger(t, test); bal != 70 {
		t.Fatalf("test balance = %d, want 70", bal)
	}
	if bal, _ := b.checkLedger(t, naive.Scope{OperatorID: sd.Operator.ID, Mode: naive.ModeLive}); bal != 0 {
		t.Fatalf("live balance = %d, want 0", bal)
	}
	// The seeded operator saw nothing of it.
	if bal, _ := b.checkLedger(t, b.test); bal != 0 {
		t.Fatalf("the seeded operator's test balance = %d, want 0", bal)
	}

	// A taken email (in any case) is a conflict, and nothing of the second
	// tenant is stored: not its operator, subjects or grant.
	dup := tenantData(strings.ToUpper(email))
	wantErr(t, b.s.CreateTenant(b.ctx, dup), store.ErrConflict)
	if _, err := b.s.GetOperator(b.ctx, dup.Operator.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("operator of a refused tenant: err = %v, want not found", err)
	}
	dupTest := naive.Scope{OperatorID: dup.Operator.ID, Mode: naive.ModeTest}
	if _, err := b.s.GetSubject(b.ctx, dupTest, dup.Subjects[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("subject of a refused tenant: err = %v, want not found", err)
	}
	if bal, err := b.s.Balance(b.ctx, dupTest); err != nil || bal != 0 {
		t.Fatalf("balance of a refused tenant = %d, %v; want 0", bal, err)
	}
	// The same data again (a retry after success) is a conflict too.
	wantErr(t, b.s.CreateTenant(b.ctx, sd), store.ErrConflict)

	// A missing id is refused, and stores nothing.
	noID := tenantData("noid-" + newID() + "@example.com")
	noID.Subjects[0].ID = ""
	wantRequired(t, "CreateTenant with a subject without an id", b.s.CreateTenant(b.ctx, noID))
	if _, err := b.s.GetOperator(b.ctx, noID.Operator.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("operator of a refused tenant: err = %v, want not found", err)
	}
	if _, err := b.s.GetUserByEmail(b.ctx, noID.User.Email); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("owner of a refused tenant: err = %v, want not found", err)
	}
}

func testCreateTenantConcurrent(t *testing.T, b *bundle) {
	// Eight administrators create an operator with one email at once:
	// exactly one is stored.
	email := "race-" + newID() + "@example.com"
	var won atomic.Int32
	concurrently(8, func(int) {
		err := b.s.CreateTenant(b.ctx, tenantData(email))
		switch {
		case err == nil:
			won.Add(1)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("CreateTenant: %v, want nil or ErrConflict", err)
		}
	})
	if n := won.Load(); n != 1 {
		t.Fatalf("%d creates with one email succeeded, want 1", n)
	}
	ops, err := b.s.ListOperators(b.ctx, naive.Page{})
	must(t, err)
	if len(ops) != 2 {
		t.Fatalf("%d operators after the race, want the seeded one and one more", len(ops))
	}
}

func testListOperators(t *testing.T, b *bundle) {
	a := tenantData("a-" + newID() + "@example.com")
	must(t, b.s.CreateTenant(b.ctx, a))
	c := tenantData("c-" + newID() + "@example.com")
	must(t, b.s.CreateTenant(b.ctx, c))
	second := naive.User{ID: newID(), OperatorID: c.Operator.ID, Email: "second-" + newID() + "@example.com",
		PasswordHash: "hash", CreatedAt: now()}
	must(t, b.s.CreateUser(b.ctx, &second))
	// An operator with no humans is listed with none.
	bare := naive.Operator{ID: newID(), Name: "Bare", CreatedAt: now()}
	must(t, b.s.CreateOperator(b.ctx, &bare))

	ops, err := b.s.ListOperators(b.ctx, naive.Page{})
	must(t, err)
	type row struct {
		ID, Name string
		Emails   []string
	}
	var got []row
	for _, o := range ops {
		r := row{ID: o.Operator.ID, Name: o.Operator.Name, Emails: []string{}}
		for _, u := range o.Users {
			if u.OperatorID != o.Operator.ID {
				t.Fatalf("user %s of operator %s listed under %s", u.ID, u.OperatorID, o.Operator.ID)
			}
			r.Emails = append(r.Emails, u.Email)
		}
		got = append(got, r)
	}
	want := []row{
		{b.op.ID, b.op.Name, []string{b.user.Email}},
		{a.Operator.ID, a.Operator.Name, []string{a.User.Email}},
		{c.Operator.ID, c.Operator.Name, []string{c.User.Email, second.Email}},
		{bare.ID, bare.Name, []string{}},
	}
	equal(t, "operators, oldest first, with their humans", got, want)
	if !ops[1].Operator.CreatedAt.Equal(a.Operator.CreatedAt) {
		t.Fatalf("created_at = %v, want %v", ops[1].Operator.CreatedAt, a.Operator.CreatedAt)
	}

	// Pages follow After.
	var paged []string
	p := naive.Page{Limit: 3}
	for range 3 {
		page, err := b.s.ListOperators(b.ctx, p)
		must(t, err)
		for _, o := range page {
			paged = append(paged, o.Operator.ID)
		}
		if len(page) < p.Limit {
			break
		}
		p.After = page[len(page)-1].Operator.ID
	}
	equal(t, "paged operator ids", paged, []string{b.op.ID, a.Operator.ID, c.Operator.ID, bare.ID})
	page, err := b.s.ListOperators(b.ctx, naive.Page{After: bare.ID})
	must(t, err)
	if len(page) != 0 {
		t.Fatalf("a page after the last operator has %d", len(page))
	}
}
