package postgres

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
)

// trips counts the round trips a pool makes: each query sent alone, each
// batch and each explicit prepare is one.
type trips struct{ n atomic.Int64 }

func (c *trips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *trips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *trips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *trips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *trips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (c *trips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *trips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// fakeJobs enqueues nothing and counts the events it was asked to.
type fakeJobs struct{ events atomic.Int64 }

func (j *fakeJobs) ApprovalCreated(context.Context, pgx.Tx, *naive.Approval) error  { return nil }
func (j *fakeJobs) SandboxTaskDue(context.Context, pgx.Tx, store.SandboxTask) error { return nil }
func (j *fakeJobs) MessageScheduled(context.Context, pgx.Tx, *naive.Message, store.ScheduledSend) error {
	return nil
}
func (j *fakeJobs) EventCreated(context.Context, pgx.Tx, *naive.Event) error {
	j.events.Add(1)
	return nil
}

// fixture is a seeded database: an operator, its live default subject
// and credits.
type fixture struct {
	ctx     context.Context
	db      *DB
	trips   *trips
	sc      naive.Scope
	subject string
	proc    string
}

func newFixture(t testing.TB) *fixture {
	admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
	if admin == "" {
		t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping PostgreSQL store tests")
	}
	tr := &trips{}
	ctx := t.Context()
	db, err := open(ctx, pgtest.NewDatabase(t, admin), func(c *pgxpool.Config) {
		c.MaxConns = 4
		c.ConnConfig.Tracer = tr
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	op := naive.Operator{ID: id(), Name: "op", CreatedAt: now}
	subj := naive.Subject{ID: id(), OperatorID: op.ID, Mode: naive.ModeLive, IsDefault: true, CreatedAt: now, UpdatedAt: now}
	if _, err := db.Seed(ctx, &store.SeedData{Operator: op, Subjects: []naive.Subject{subj},
		User: naive.User{ID: id(), OperatorID: op.ID, Email: id() + "@example.com", PasswordHash: "h", CreatedAt: now},
		Grants: []naive.LedgerEntry{{ID: id(), OperatorID: op.ID, Mode: naive.ModeLive, Amount: 1_000_000,
			Reason: naive.LedgerGrant, CreatedAt: now}}}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, db: db, trips: tr, sc: naive.Scope{OperatorID: op.ID, Mode: naive.ModeLive},
		subject: subj.ID, proc: id()}
	if err := db.RegisterProcess(ctx, f.proc, now, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func id() string { return uuid.Must(uuid.NewV7()).String() }

// count returns the round trips fn makes.
func (f *fixture) count(t testing.TB, fn func() error) int64 {
	t.Helper()
	before := f.trips.n.Load()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	return f.trips.n.Load() - before
}

func (f *fixture) key() *store.IdempotencyRecord {
	now := time.Now()
	return &store.IdempotencyRecord{OperatorID: f.sc.OperatorID, PrincipalID: "key_1", Key: id(), Method: "POST",
		Path: "/v1/phone/provision", RequestHash: "h", Action: naive.ActionPhoneProvision, LockedBy: f.proc,
		CreatedAt: now, UpdatedAt: now}
}

// provision runs a provision's store phases under a new key: reserve,
// then activate with a phone.provisioned event, returning the round
// trips of each.
func (f *fixture) provision(t testing.TB) (reserve, activate int64) {
	t.Helper()
	reserve, activate, _ = f.provisioned(t)
	return reserve, activate
}

// provisioned is provision, also returning the phone.
func (f *fixture) provisioned(t testing.TB) (reserve, activate int64, phone *naive.Phone) {
	t.Helper()
	k := f.key()
	p := &naive.Phone{ID: id(), OperatorID: f.sc.OperatorID, Mode: f.sc.Mode, SubjectID: f.subject,
		Type: naive.PhoneLocal, AreaCode: "415", Price: 100, CreatedAt: time.Now()}
	debit := &naive.LedgerEntry{ID: id(), Amount: -p.Price, Reason: naive.LedgerPhoneProvision, CreatedAt: time.Now()}
	reserve = f.count(t, func() error {
		k.RecoveryPoint, k.ResourceID = store.PointReserved, p.ID
		_, err := f.db.ReservePhone(f.ctx, p, debit, store.Progress{Key: k, KeyOp: store.KeyCreate})
		return err
	})
	activate = f.count(t, func() error {
		k.RecoveryPoint, k.Completed, k.Status, k.Body, k.UpdatedAt = store.PointFinished, true, 202, []byte(`{}`), time.Now()
		ev := &naive.Event{ID: id(), OperatorID: f.sc.OperatorID, Mode: f.sc.Mode, Type: naive.EventPhoneProvisioned,
			Data: []byte(`{}`), CreatedAt: time.Now()}
		return f.db.ActivatePhone(f.ctx, &store.PhoneActivation{ID: p.ID, E164: "+1415555" + id()[30:34],
			CarrierID: "pn_" + id(), Events: []*naive.Event{ev}}, store.Progress{Key: k, KeyOp: store.KeyUpdate})
	})
	return reserve, activate, p
}

// inbound records a text arriving at p with its event and carrier event,
// returning the round trips.
func (f *fixture) inbound(t *testing.T, p *naive.Phone) int64 {
	t.Helper()
	now := time.Now()
	m := &naive.Message{ID: id(), OperatorID: p.OperatorID, Mode: p.Mode, PhoneID: p.ID, SubjectID: p.SubjectID,
		From: "+14155550123", To: p.E164, Body: "hi", CarrierID: "msg_" + id(), CreatedAt: now, ReceivedAt: &now}
	ev := &naive.Event{ID: id(), OperatorID: p.OperatorID, Mode: p.Mode, Type: naive.EventSMSReceived,
		Data: []byte(`{}`), CreatedAt: now}
	ce := &store.CarrierEvent{ID: "evt_" + id(), Mode: p.Mode, Type: "message.received", Payload: []byte(`{}`), ReceivedAt: now}
	return f.count(t, func() error {
		stored, err := f.db.RecordInbound(f.ctx, &store.Inbound{Message: m, Event: ev}, ce)
		if err == nil && !stored {
			t.Fatal("RecordInbound stored nothing")
		}
		return err
	})
}

// grant adds credits under a new key whose response Render writes.
func (f *fixture) grant(t *testing.T, render bool) int64 {
	t.Helper()
	k := f.key()
	k.Action = naive.ActionCreditsGrant
	e := &naive.LedgerEntry{ID: id(), OperatorID: f.sc.OperatorID, Mode: f.sc.Mode, Amount: 10,
		Reason: naive.LedgerGrant, CreatedAt: time.Now()}
	pr := store.Progress{Key: k, KeyOp: store.KeyCreate}
	k.Completed, k.Status = true, 201
	if render {
		pr.Render = func() { k.Body = []byte(`{"balance":` + string(rune('0'+e.BalanceAfter%10)) + `}`) }
	}
	return f.count(t, func() error {
		_, err := f.db.AddLedgerEntry(f.ctx, e, pr)
		return err
	})
}

// TestRoundTrips pins the round trips of the hot phases: a phase that
// needs nothing of the client mid-way is one piped batch.
func TestRoundTrips(t *testing.T) {
	f := newFixture(t)
	f.provision(t) // prepares the statements
	f.grant(t, true)
	f.grant(t, false)
	want := func(what string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d round trips, want %d", what, got, want)
		}
	}
	_, _, p := f.provisioned(t)
	f.inbound(t, p)
	reserve, activate := f.provision(t)
	want("ReservePhone with KeyCreate", reserve, 1)
	want("ActivatePhone with an event and KeyUpdate", activate, 1)
	want("AddLedgerEntry with KeyCreate", f.grant(t, false), 1)
	want("AddLedgerEntry with KeyCreate and Render", f.grant(t, true), 3)
	want("RecordInbound with its event and carrier event", f.inbound(t, p), 1)

	// With jobs: an event without an endpoint stays piped; with one, the
	// piped attempt fails and the phase runs in a transaction that hands
	// the event to the jobs, and after that goes there directly.
	j := &fakeJobs{}
	f.db.SetJobs(j)
	f.provision(t)
	reserve, activate = f.provision(t)
	want("ReservePhone with jobs", reserve, 1)
	want("ActivatePhone with jobs, no endpoint", activate, 1)
	want("RecordInbound with jobs, no endpoint", f.inbound(t, p), 1)
	if n := j.events.Load(); n != 0 {
		t.Fatalf("%d events enqueued without an endpoint", n)
	}
	if err := f.db.CreateWebhookEndpoint(f.ctx, &naive.WebhookEndpoint{ID: id(), OperatorID: f.sc.OperatorID,
		Mode: f.sc.Mode, URL: "https://hooks.example", SigningSecret: "s", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, activate = f.provision(t)
	want("ActivatePhone, first with an endpoint", activate, 3)
	_, activate = f.provision(t)
	want("ActivatePhone with an endpoint", activate, 2)
	want("RecordInbound with an endpoint", f.inbound(t, p), 2)
	if n := j.events.Load(); n != 3 {
		t.Fatalf("%d events enqueued, want 3", n)
	}
}

// race runs fn on n goroutines at once.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// TestTakeOverRace: of concurrent takers, live processes registering just
// before they take over, exactly one wins the key or approval its dead
// holder left.
func TestTakeOverRace(t *testing.T) {
	f := newFixture(t)
	const n = 12
	register := func(t *testing.T) string {
		p := id()
		if err := f.db.RegisterProcess(f.ctx, p, time.Now(), time.Time{}); err != nil {
			t.Error(err)
		}
		return p
	}
	for round := range 3 {
		k := f.key()
		k.LockedBy = "gone-" + id()
		if err := f.db.SaveProgress(f.ctx, store.Progress{Key: k, KeyOp: store.KeyCreate}); err != nil {
			t.Fatal(err)
		}
		var won atomic.Int32
		race(n, func(int) {
			rec := &store.IdempotencyRecord{OperatorID: k.OperatorID, PrincipalID: k.PrincipalID, Key: k.Key,
				LockedBy: register(t), UpdatedAt: time.Now()}
			ok, err := f.db.TakeOverIdempotent(f.ctx, rec, time.Now().Add(-time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
		if w := won.Load(); w != 1 {
			t.Fatalf("round %d: %d takers won the key, want 1", round, w)
		}

		a := &naive.Approval{ID: id(), OperatorID: f.sc.OperatorID, Mode: f.sc.Mode, SubjectID: f.subject,
			Action: naive.ActionPhoneProvision, RequestedBy: naive.Actor{Type: "agent", ID: "a"},
			CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		if err := f.db.CreateApproval(f.ctx, a, nil, store.Progress{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.ClaimApproval(f.ctx, f.sc, a.ID, naive.Actor{Type: "human", ID: "h"}, time.Now(), "gone-"+id()); err != nil {
			t.Fatal(err)
		}
		won.Store(0)
		race(n, func(int) {
			_, err := f.db.TakeOverApproval(f.ctx, f.sc, a.ID, register(t), time.Now().Add(-time.Minute))
			switch {
			case err == nil:
				won.Add(1)
			case err != store.ErrConflict:
				t.Error(err)
			}
		})
		if w := won.Load(); w != 1 {
			t.Fatalf("round %d: %d takers won the approval, want 1", round, w)
		}
	}
}

// BenchmarkProvision compares a provision's two phases, with their key
// record and event, to BaselineWrite, the bare writes of a purchase in
// one transaction (the baseline of naive bench).
func BenchmarkProvision(b *testing.B) {
	f := newFixture(b)
	b.Run("Baseline", func(b *testing.B) {
		for b.Loop() {
			if err := f.db.BaselineWrite(f.ctx, f.sc.OperatorID, f.sc.Mode, f.subject, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReserveActivate", func(b *testing.B) {
		for b.Loop() {
			f.provision(b)
		}
	})
}
