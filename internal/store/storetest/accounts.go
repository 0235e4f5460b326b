package storetest

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testSeedOnce starts 8 "processes" at once on an empty store: exactly one
// seeds, and everything it seeded is there.
func testSeedOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	seeds := make([]*store.SeedData, 8)
	for i := range seeds {
		sd := seedData()
		sd.Keys = []naive.APIKey{{ID: newID(), OperatorID: sd.Operator.ID, Mode: naive.ModeTest, Name: "first",
			Prefix: "nv_sk_test_ab", Hash: "hash-" + newID(), CreatedAt: now()}}
		sd.Grants = []naive.LedgerEntry{
			{ID: newID(), Amount: 1000, Reason: naive.LedgerGrant, OperatorID: sd.Operator.ID, Mode: naive.ModeTest, CreatedAt: now()},
			{ID: newID(), Amount: 5, Reason: naive.LedgerGrant, OperatorID: sd.Operator.ID, Mode: naive.ModeTest, CreatedAt: now()},
		}
		seeds[i] = sd
	}
	if seeded, err := s.Seeded(ctx); err != nil || seeded {
		t.Fatalf("Seeded on an empty database: %v %v", seeded, err)
	}
	var won, winnerPlus1 atomic.Int32
	concurrently(len(seeds), func(i int) {
		ok, err := s.Seed(ctx, seeds[i])
		if err != nil {
			t.Errorf("Seed %d: %v", i, err)
		}
		if ok {
			won.Add(1)
			winnerPlus1.Store(int32(i + 1))
		}
	})
	if seeded, err := s.Seeded(ctx); err != nil || !seeded {
		t.Fatalf("Seeded after a seed: %v %v", seeded, err)
	}
	if n := won.Load(); n != 1 {
		t.Fatalf("%d of %d concurrent Seeds seeded, want exactly 1", n, len(seeds))
	}
	winner := int(winnerPlus1.Load()) - 1
	for i, sd := range seeds {
		_, err := s.GetOperator(ctx, sd.Operator.ID)
		if i == winner {
			must(t, err)
		} else {
			wantErr(t, err, store.ErrNotFound)
		}
	}
	sd := seeds[winner]
	op, err := s.GetOperator(ctx, sd.Operator.ID)
	must(t, err)
	equal(t, "seeded operator", *op, sd.Operator)
	u, err := s.GetUser(ctx, sd.User.ID)
	must(t, err)
	equal(t, "seeded user", *u, sd.User)
	for _, want := range sd.Subjects {
		got, err := s.GetDefaultSubject(ctx, naive.Scope{OperatorID: want.OperatorID, Mode: want.Mode})
		must(t, err)
		equal(t, "seeded default subject", *got, want)
	}
	k, err := s.GetAPIKeyByHash(ctx, sd.Keys[0].Hash)
	must(t, err)
	equal(t, "seeded key", *k, sd.Keys[0])
	bal, err := s.Balance(ctx, naive.Scope{OperatorID: sd.Operator.ID, Mode: naive.ModeTest})
	must(t, err)
	if bal != 1005 {
		t.Errorf("seeded balance = %d, want 1005", bal)
	}
	ok, err := s.Seed(ctx, seedData())
	must(t, err)
	if ok {
		t.Error("Seed of a seeded store reported true")
	}
}

func testOperator(t *testing.T, b *bundle) {
	got, err := b.s.GetOperator(b.ctx, b.op.ID)
	must(t, err)
	equal(t, "operator", *got, b.op)
	_, err = b.s.GetOperator(b.ctx, newID())
	wantErr(t, err, store.ErrNotFound)
}

func testUsers(t *testing.T, b *bundle) {
	u := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "Grace.Hopper@Example.COM", PasswordHash: "argon2id$x", CreatedAt: now()}
	must(t, b.s.CreateUser(b.ctx, u))

	got, err := b.s.GetUser(b.ctx, u.ID)
	must(t, err)
	equal(t, "GetUser", *got, *u)
	got, err = b.s.GetUserByEmail(b.ctx, "grace.hopper@example.com")
	must(t, err)
	equal(t, "GetUserByEmail (other case)", *got, *u)
	got, err = b.s.GetUserByEmail(b.ctx, strings.ToUpper(u.Email))
	must(t, err)
	equal(t, "GetUserByEmail (upper case)", *got, *u)

	dup := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "GRACE.HOPPER@example.com", PasswordHash: "x", CreatedAt: now()}
	wantErr(t, b.s.CreateUser(b.ctx, dup), store.ErrConflict)
	_, err = b.s.GetUser(b.ctx, dup.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetUserByEmail(b.ctx, "nobody@example.com")
	wantErr(t, err, store.ErrNotFound)
}

func testSessions(t *testing.T, b *bundle) {
	created := now()
	s := &naive.Session{ID: newID(), UserID: b.user.ID, OperatorID: b.op.ID, TokenHash: "tok-" + newID(),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	must(t, b.s.CreateSession(b.ctx, s))

	got, err := b.s.GetSessionByHash(b.ctx, s.TokenHash, created.Add(time.Minute))
	must(t, err)
	s.Role = naive.RoleOwner // read with the session: the user's role
	equal(t, "session", *got, *s)
	_, err = b.s.GetSessionByHash(b.ctx, s.TokenHash, s.ExpiresAt)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetSessionByHash(b.ctx, s.TokenHash, s.ExpiresAt.Add(time.Second))
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetSessionByHash(b.ctx, "unknown", created)
	wantErr(t, err, store.ErrNotFound)

	must(t, b.s.DeleteSession(b.ctx, s.ID))
	_, err = b.s.GetSessionByHash(b.ctx, s.TokenHash, created)
	wantErr(t, err, store.ErrNotFound)
}

func testAPIKeys(t *testing.T, b *bundle) {
	var keys []*naive.APIKey
	for i, mode := range []naive.Mode{naive.ModeLive, naive.ModeTest, naive.ModeLive, naive.ModeTest, naive.ModeTest} {
		k := &naive.APIKey{ID: newID(), OperatorID: b.op.ID, Mode: mode, Name: "key", Prefix: "nv_sk_" + string(mode),
			Hash: "hash-" + newID(), CreatedBy: b.user.ID, CreatedAt: now()}
		if i == 1 {
			k.AgentID = b.newAgent(t, b.test).ID
		}
		must(t, b.s.CreateAPIKey(b.ctx, k))
		keys = append(keys, k)
	}
	got, err := b.s.GetAPIKeyByHash(b.ctx, keys[1].Hash)
	must(t, err)
	equal(t, "GetAPIKeyByHash", *got, *keys[1])
	_, err = b.s.GetAPIKeyByHash(b.ctx, "unknown")
	wantErr(t, err, store.ErrNotFound)
	dup := *keys[0]
	dup.ID = newID()
	wantErr(t, b.s.CreateAPIKey(b.ctx, &dup), store.ErrConflict)

	// Both modes, newest first.
	var want []string
	for i := len(keys) - 1; i >= 0; i-- {
		want = append(want, keys[i].ID)
	}
	checkPaging(t, want, func(p naive.Page) []string {
		l, err := b.s.ListAPIKeys(b.ctx, b.op.ID, p)
		must(t, err)
		return ids(l, func(k naive.APIKey) string { return k.ID })
	})
	l, err := b.s.ListAPIKeys(b.ctx, b.other.OperatorID, naive.Page{})
	must(t, err)
	if l == nil || len(l) != 0 {
		t.Errorf("ListAPIKeys of another operator = %#v, want empty non-nil", l)
	}

	// Revoke: not from another operator; once; the key stops authenticating
	// and still lists, revoked.
	at := now()
	_, err = b.s.RevokeAPIKey(b.ctx, b.other.OperatorID, keys[2].ID, at)
	wantErr(t, err, store.ErrNotFound)
	rk, err := b.s.RevokeAPIKey(b.ctx, b.op.ID, keys[2].ID, at)
	must(t, err)
	want2 := *keys[2]
	want2.RevokedAt = &at
	equal(t, "revoked key", *rk, want2)
	_, err = b.s.GetAPIKeyByHash(b.ctx, keys[2].Hash)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.RevokeAPIKey(b.ctx, b.op.ID, keys[2].ID, now())
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.RevokeAPIKey(b.ctx, b.op.ID, newID(), now())
	wantErr(t, err, store.ErrNotFound)
	l, err = b.s.ListAPIKeys(b.ctx, b.op.ID, naive.Page{})
	must(t, err)
	for _, k := range l {
		if k.ID == keys[2].ID {
			equal(t, "listed revoked key", k, want2)
		}
	}
	if _, err := b.s.GetAPIKeyByHash(b.ctx, keys[0].Hash); err != nil {
		t.Errorf("another key stopped working: %v", err)
	}
}

func testSubjects(t *testing.T, b *bundle) {
	s := subject(b.live, false)
	s.Formation = naive.Formation{Status: naive.FormationNotStarted}
	must(t, b.s.CreateSubject(b.ctx, &s))
	got, err := b.s.GetSubject(b.ctx, b.live, s.ID)
	must(t, err)
	equal(t, "GetSubject", *got, s)

	// One default per (operator, mode), and the default is per mode.
	second := subject(b.live, true)
	wantErr(t, b.s.CreateSubject(b.ctx, &second), store.ErrConflict)
	second = subject(b.test, true)
	wantErr(t, b.s.CreateSubject(b.ctx, &second), store.ErrConflict)
	def, err := b.s.GetDefaultSubject(b.ctx, b.live)
	must(t, err)
	equal(t, "live default subject", *def, b.liveSubject)
	def, err = b.s.GetDefaultSubject(b.ctx, b.test)
	must(t, err)
	equal(t, "test default subject", *def, b.testSubject)
	_, err = b.s.GetDefaultSubject(b.ctx, b.other)
	wantErr(t, err, store.ErrNotFound)

	// Update stores profile and formation; times come back UTC.
	est := time.FixedZone("EST", -5*3600)
	submitted := now().In(est)
	completes := submitted.Add(5 * time.Second)
	s.LegalName = "Acme Two LLC"
	s.Address.Line2 = "Suite 5"
	s.Contact.Title = "cto"
	s.Formation = naive.Formation{Status: naive.FormationSubmitted, EntityType: "LLC", State: "WY",
		LegalName: "Acme Two LLC", SubmittedAt: &submitted, CompletesAt: &completes}
	s.UpdatedAt = now().Add(time.Second)
	must(t, b.s.UpdateSubject(b.ctx, &s))
	got, err = b.s.GetSubject(b.ctx, b.live, s.ID)
	must(t, err)
	if got.Formation.SubmittedAt == nil || got.Formation.SubmittedAt.Location() != time.UTC ||
		!got.Formation.SubmittedAt.Equal(submitted) {
		t.Fatalf("submitted_at = %v, want %v in UTC", got.Formation.SubmittedAt, submitted)
	}
	submittedUTC, completesUTC := submitted.UTC(), completes.UTC()
	s.Formation.SubmittedAt, s.Formation.CompletesAt = &submittedUTC, &completesUTC
	equal(t, "updated subject", *got, s)

	// Update is scoped.
	wrong := s
	wrong.Mode = naive.ModeTest
	wantErr(t, b.s.UpdateSubject(b.ctx, &wrong), store.ErrNotFound)
	wrong = s
	wrong.OperatorID = b.other.OperatorID
	wantErr(t, b.s.UpdateSubject(b.ctx, &wrong), store.ErrNotFound)
	wrong = s
	wrong.ID = newID()
	wantErr(t, b.s.UpdateSubject(b.ctx, &wrong), store.ErrNotFound)

	// Lists: newest first, paged, per mode.
	want := []string{s.ID, b.liveSubject.ID}
	for range 3 {
		x := subject(b.live, false)
		must(t, b.s.CreateSubject(b.ctx, &x))
		want = append([]string{x.ID}, want...)
	}
	checkPaging(t, want, func(p naive.Page) []string {
		l, err := b.s.ListSubjects(b.ctx, b.live, p)
		must(t, err)
		return ids(l, func(s naive.Subject) string { return s.ID })
	})
	l, err := b.s.ListSubjects(b.ctx, b.test, naive.Page{})
	must(t, err)
	equal(t, "test-mode subjects", ids(l, func(s naive.Subject) string { return s.ID }), []string{b.testSubject.ID})
}

// testDefaultSubjectConcurrent creates 10 default subjects in one scope at
// once: exactly one is stored.
func testDefaultSubjectConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	sd := &store.SeedData{Operator: naive.Operator{ID: newID(), Name: "Bare", CreatedAt: now()}}
	_, err := s.Seed(ctx, sd)
	must(t, err)
	sc := naive.Scope{OperatorID: sd.Operator.ID, Mode: naive.ModeLive}
	var ok, conflict atomic.Int32
	concurrently(10, func(int) {
		x := subject(sc, true)
		switch err := s.CreateSubject(ctx, &x); {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, store.ErrConflict):
			conflict.Add(1)
		default:
			t.Errorf("CreateSubject: %v", err)
		}
	})
	if ok.Load() != 1 || conflict.Load() != 9 {
		t.Fatalf("concurrent default subjects: %d stored, %d conflicts; want 1 and 9", ok.Load(), conflict.Load())
	}
	x := subject(naive.Scope{OperatorID: sc.OperatorID, Mode: naive.ModeTest}, true)
	must(t, s.CreateSubject(ctx, &x))
}

func testAgents(t *testing.T, b *bundle) {
	// A time in another zone is stored as the same instant, read back UTC.
	at := now().In(time.FixedZone("CET", 3600))
	a := &naive.Agent{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeLive, Name: "support-bot",
		WebhookURL: "https://hooks.example/a", CreatedAt: at}
	must(t, b.s.CreateAgent(b.ctx, a))
	got, err := b.s.GetAgent(b.ctx, b.live, a.ID)
	must(t, err)
	if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(at) {
		t.Fatalf("created_at = %v, want %v in UTC", got.CreatedAt, at)
	}
	want := *a
	want.CreatedAt = at.UTC()
	equal(t, "GetAgent", *got, want)

	ids0 := []string{a.ID}
	for range 4 {
		x := &naive.Agent{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeLive, Name: "x", CreatedAt: now()}
		must(t, b.s.CreateAgent(b.ctx, x))
		ids0 = append([]string{x.ID}, ids0...)
	}
	testAgent := &naive.Agent{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "t", CreatedAt: now()}
	must(t, b.s.CreateAgent(b.ctx, testAgent))
	checkPaging(t, ids0, func(p naive.Page) []string {
		l, err := b.s.ListAgents(b.ctx, b.live, p)
		must(t, err)
		return ids(l, func(a naive.Agent) string { return a.ID })
	})
	l, err := b.s.ListAgents(b.ctx, b.test, naive.Page{})
	must(t, err)
	equal(t, "test-mode agents", ids(l, func(a naive.Agent) string { return a.ID }), []string{testAgent.ID})
}

// testTenantIsolation stores one of everything in the live scope and looks
// for it from another operator and from test mode: not found, empty lists.
func testTenantIsolation(t *testing.T, b *bundle) {
	subj := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &subj))
	agent := &naive.Agent{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeLive, Name: "a", CreatedAt: now()}
	must(t, b.s.CreateAgent(b.ctx, agent))
	b.grant(t, b.live, 100)
	p := newPhone(b.live, subj.ID)
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550001", "pn_1", ""), noRun))
	_, _, err = b.s.ClaimBrand(b.ctx, b.brandFor(b.live, subj.ID), now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	c, _, err := b.s.ClaimCampaign(b.ctx, b.campaignFor(b.live, subj.ID, naive.Campaign10DLC), now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_1", naive.CampaignCreated, now()))

	for _, sc := range []naive.Scope{b.other, b.test, {OperatorID: b.other.OperatorID, Mode: naive.ModeTest}} {
		_, err := b.s.GetSubject(b.ctx, sc, subj.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetAgent(b.ctx, sc, agent.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetPhone(b.ctx, sc, p.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.MarkPhoneReleased(b.ctx, sc, p.ID, now(), nil, noRun)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetBrand(b.ctx, sc, subj.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = b.s.GetCampaign(b.ctx, sc, c.ID)
		wantErr(t, err, store.ErrNotFound)
		// A subject of another scope cannot be claimed or charged for.
		_, _, err = b.s.ClaimBrand(b.ctx, b.brandFor(sc, subj.ID), now(), b.liveAfter)
		wantErr(t, err, store.ErrNotFound)
		_, _, err = b.s.ClaimCampaign(b.ctx, b.campaignFor(sc, subj.ID, naive.Campaign10DLC), now(), b.liveAfter)
		wantErr(t, err, store.ErrNotFound)

		bal, err := b.s.Balance(b.ctx, sc)
		must(t, err)
		if bal != 0 {
			t.Errorf("balance in %v = %d, want 0", sc, bal)
		}
		for _, x := range must2(b.s.ListSubjects(b.ctx, sc, naive.Page{}))(t) {
			if x.ID == subj.ID || x.ID == b.liveSubject.ID {
				t.Errorf("ListSubjects in %v lists live subject %s", sc, x.ID)
			}
		}
		empty(t, "ListAgents", must2(b.s.ListAgents(b.ctx, sc, naive.Page{}))(t))
		empty(t, "ListLedger", must2(b.s.ListLedger(b.ctx, sc, naive.Page{}))(t))
		empty(t, "ListPhones", must2(b.s.ListPhones(b.ctx, sc, subj.ID, naive.PhoneFilter{}))(t))
		empty(t, "ListCampaigns", must2(b.s.ListCampaigns(b.ctx, sc, subj.ID))(t))
		n, err := b.s.CountPhones(b.ctx, sc, subj.ID)
		must(t, err)
		if n != 0 {
			t.Errorf("CountPhones in %v = %d, want 0", sc, n)
		}
	}
	// Still there, in its own scope.
	if _, err := b.s.GetPhone(b.ctx, b.live, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.GetBrand(b.ctx, b.live, subj.ID); err != nil {
		t.Fatal(err)
	}
}

// must2 turns a (value, error) pair into a function failing t on the error.
func must2[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		must(t, err)
		return v
	}
}

// empty asserts a list is empty and not nil (lists encode as [] in JSON).
func empty[T any](t *testing.T, what string, l []T) {
	t.Helper()
	if l == nil {
		t.Errorf("%s returned nil, want an empty slice", what)
	}
	if len(l) != 0 {
		t.Errorf("%s returned %d items, want none", what, len(l))
	}
}
