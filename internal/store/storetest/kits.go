package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

func newKit(sc naive.Scope, name string) *naive.AccountKit {
	yes, no := true, false
	return &naive.AccountKit{ID: newID(), Name: name, Mode: sc.Mode, OperatorID: sc.OperatorID,
		CreatedAt: now(), UpdatedAt: now(),
		PrimitivesConfig: map[string]naive.PrimitiveConfig{
			"phone": {RequiresApproval: &yes, Defaults: map[string]string{"area_code": "415", "type": naive.PhoneLocal}},
			"sms":   {Enabled: &no},
			"email": {},
		}}
}

func kitIDs(l []naive.AccountKit) []string {
	return ids(l, func(k naive.AccountKit) string { return k.ID })
}

// secondOperator creates another operator with a default live subject and
// returns its live scope and that subject.
func (b *bundle) secondOperator(t *testing.T) (naive.Scope, naive.Subject) {
	t.Helper()
	op := naive.Operator{ID: newID(), Name: "Second", CreatedAt: now()}
	must(t, b.s.CreateOperator(b.ctx, &op))
	sc := naive.Scope{OperatorID: op.ID, Mode: naive.ModeLive}
	subj := subject(sc, true)
	must(t, b.s.CreateSubject(b.ctx, &subj))
	return sc, subj
}

func testCreateOperator(t *testing.T, b *bundle) {
	op := naive.Operator{ID: newID(), Name: "Globex", CreatedAt: now().In(time.FixedZone("PST", -8*3600))}
	must(t, b.s.CreateOperator(b.ctx, &op))
	got, err := b.s.GetOperator(b.ctx, op.ID)
	must(t, err)
	if got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at = %v, want UTC", got.CreatedAt)
	}
	op.CreatedAt = op.CreatedAt.UTC()
	equal(t, "created operator", *got, op)

	dup := naive.Operator{ID: op.ID, Name: "Again", CreatedAt: now()}
	wantErr(t, b.s.CreateOperator(b.ctx, &dup), store.ErrConflict)
	got, err = b.s.GetOperator(b.ctx, op.ID)
	must(t, err)
	equal(t, "operator after a duplicate create", *got, op)

	// An empty id or a zero time is refused, not filled in.
	noID := naive.Operator{Name: "Initech", CreatedAt: now()}
	wantRequired(t, "CreateOperator without an id", b.s.CreateOperator(b.ctx, &noID))
	noTime := naive.Operator{ID: newID(), Name: "Initech"}
	wantRequired(t, "CreateOperator without created_at", b.s.CreateOperator(b.ctx, &noTime))
	_, err = b.s.GetOperator(b.ctx, noTime.ID)
	wantErr(t, err, store.ErrNotFound)

	// The new operator is a tenant of its own: its scopes start empty.
	sc := naive.Scope{OperatorID: op.ID, Mode: naive.ModeLive}
	_, err = b.s.GetDefaultSubject(b.ctx, sc)
	wantErr(t, err, store.ErrNotFound)
	empty(t, "ListSubjects of a new operator", must2(b.s.ListSubjects(b.ctx, sc, naive.Page{}))(t))
	s := subject(sc, true)
	must(t, b.s.CreateSubject(b.ctx, &s))
	def, err := b.s.GetDefaultSubject(b.ctx, sc)
	must(t, err)
	equal(t, "new operator's default subject", *def, s)
}

func testKits(t *testing.T, b *bundle) {
	k := newKit(b.live, "Strict")
	must(t, b.s.CreateKit(b.ctx, k))
	got, err := b.s.GetKit(b.ctx, b.live, k.ID)
	must(t, err)
	equal(t, "GetKit", *got, *k)

	// An empty id or a zero created_at is refused; a zero updated_at is
	// the created_at, and a nil config reads back as an empty one.
	noID := &naive.AccountKit{Name: "Bare", Mode: naive.ModeLive, OperatorID: b.op.ID, CreatedAt: now()}
	wantRequired(t, "CreateKit without an id", b.s.CreateKit(b.ctx, noID))
	noTime := &naive.AccountKit{ID: newID(), Name: "Bare", Mode: naive.ModeLive, OperatorID: b.op.ID}
	wantRequired(t, "CreateKit without created_at", b.s.CreateKit(b.ctx, noTime))
	_, err = b.s.GetKit(b.ctx, b.live, noTime.ID)
	wantErr(t, err, store.ErrNotFound)
	bare := &naive.AccountKit{ID: newID(), Name: "Bare", Mode: naive.ModeLive, OperatorID: b.op.ID, CreatedAt: now()}
	must(t, b.s.CreateKit(b.ctx, bare))
	if !bare.UpdatedAt.Equal(bare.CreatedAt) {
		t.Fatalf("CreateKit without updated_at wrote back %v, want created_at %v", bare.UpdatedAt, bare.CreatedAt)
	}
	got, err = b.s.GetKit(b.ctx, b.live, bare.ID)
	must(t, err)
	equal(t, "kit created bare", *got, *bare)
	if got.PrimitivesConfig == nil || len(got.PrimitivesConfig) != 0 {
		t.Fatalf("config of a kit created without one = %#v, want an empty map", got.PrimitivesConfig)
	}

	// Scoped by operator and mode.
	testKit := newKit(b.test, "Test")
	must(t, b.s.CreateKit(b.ctx, testKit))
	for _, sc := range []naive.Scope{b.test, b.other} {
		_, err = b.s.GetKit(b.ctx, sc, k.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = b.s.GetKit(b.ctx, b.live, testKit.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetKit(b.ctx, b.live, newID())
	wantErr(t, err, store.ErrNotFound)

	// Lists: newest first, paged, per mode.
	want := []string{bare.ID, k.ID}
	for i := range 3 {
		x := newKit(b.live, "kit "+string(rune('a'+i)))
		must(t, b.s.CreateKit(b.ctx, x))
		want = append([]string{x.ID}, want...)
	}
	checkPaging(t, want, func(p naive.Page) []string {
		return kitIDs(must2(b.s.ListKits(b.ctx, b.live, p))(t))
	})
	l, err := b.s.ListKits(b.ctx, b.test, naive.Page{})
	must(t, err)
	equal(t, "test-mode kits", l, []naive.AccountKit{*testKit})
	empty(t, "ListKits of another operator", must2(b.s.ListKits(b.ctx, b.other, naive.Page{}))(t))

	// Update stores name and config.
	yes := true
	k.Name = "Stricter"
	k.PrimitivesConfig = map[string]naive.PrimitiveConfig{"sms": {RequiresApproval: &yes}}
	k.UpdatedAt = now().Add(time.Minute)
	must(t, b.s.UpdateKit(b.ctx, k))
	got, err = b.s.GetKit(b.ctx, b.live, k.ID)
	must(t, err)
	equal(t, "updated kit", *got, *k)

	// Update is scoped; a failed update changes nothing.
	for _, wrong := range []naive.AccountKit{
		{ID: k.ID, OperatorID: k.OperatorID, Mode: naive.ModeTest, Name: "x", UpdatedAt: now()},
		{ID: k.ID, OperatorID: b.other.OperatorID, Mode: naive.ModeLive, Name: "x", UpdatedAt: now()},
		{ID: newID(), OperatorID: k.OperatorID, Mode: naive.ModeLive, Name: "x", UpdatedAt: now()},
	} {
		wantErr(t, b.s.UpdateKit(b.ctx, &wrong), store.ErrNotFound)
	}
	got, err = b.s.GetKit(b.ctx, b.live, k.ID)
	must(t, err)
	equal(t, "kit after scoped-out updates", *got, *k)
}

func testAssignKit(t *testing.T, b *bundle) {
	kit, kit2, testKit := newKit(b.live, "A"), newKit(b.live, "B"), newKit(b.test, "T")
	for _, k := range []*naive.AccountKit{kit, kit2, testKit} {
		must(t, b.s.CreateKit(b.ctx, k))
	}
	s := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &s))
	if s.AccountKitID != "" {
		t.Fatalf("new subject has kit %q", s.AccountKitID)
	}

	// Assign sets the kit and the subject's UpdatedAt.
	at := now().Add(time.Minute)
	must(t, b.s.AssignKit(b.ctx, b.live, s.ID, kit.ID, at))
	s.AccountKitID, s.UpdatedAt = kit.ID, at
	got, err := b.s.GetSubject(b.ctx, b.live, s.ID)
	must(t, err)
	equal(t, "subject with a kit", *got, s)
	found := false
	for _, x := range must2(b.s.ListSubjects(b.ctx, b.live, naive.Page{}))(t) {
		if x.ID == s.ID {
			found = true
			equal(t, "listed subject with a kit", x, s)
		} else if x.AccountKitID != "" {
			t.Errorf("subject %s got kit %q", x.ID, x.AccountKitID)
		}
	}
	if !found {
		t.Fatal("ListSubjects misses the subject")
	}

	// Subject and kit must both be in scope; a failed assign changes nothing.
	for _, c := range []struct {
		name             string
		sc               naive.Scope
		subjectID, kitID string
	}{
		{"kit of test mode", b.live, s.ID, testKit.ID},
		{"unknown kit", b.live, s.ID, newID()},
		{"unknown subject", b.live, newID(), kit2.ID},
		{"unknown subject, clearing", b.live, newID(), ""},
		{"subject of live mode in test", b.test, s.ID, testKit.ID},
		{"another operator", b.other, s.ID, kit2.ID},
	} {
		if err := b.s.AssignKit(b.ctx, c.sc, c.subjectID, c.kitID, now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AssignKit (%s) = %v, want ErrNotFound", c.name, err)
		}
	}
	got, err = b.s.GetSubject(b.ctx, b.live, s.ID)
	must(t, err)
	equal(t, "subject after failed assigns", *got, s)
	got, err = b.s.GetSubject(b.ctx, b.live, b.liveSubject.ID)
	must(t, err)
	equal(t, "other subject after assigns", *got, b.liveSubject)

	// "" clears.
	at = now().Add(2 * time.Minute)
	must(t, b.s.AssignKit(b.ctx, b.live, s.ID, "", at))
	s.AccountKitID, s.UpdatedAt = "", at
	got, err = b.s.GetSubject(b.ctx, b.live, s.ID)
	must(t, err)
	equal(t, "subject with its kit cleared", *got, s)

	// CreateSubject and UpdateSubject store the kit, of the subject's scope only.
	s2 := subject(b.live, false)
	s2.AccountKitID = kit.ID
	must(t, b.s.CreateSubject(b.ctx, &s2))
	got, err = b.s.GetSubject(b.ctx, b.live, s2.ID)
	must(t, err)
	equal(t, "subject created with a kit", *got, s2)
	for _, kitID := range []string{testKit.ID, newID()} {
		s3 := subject(b.live, false)
		s3.AccountKitID = kitID
		wantErr(t, b.s.CreateSubject(b.ctx, &s3), store.ErrNotFound)
		_, err = b.s.GetSubject(b.ctx, b.live, s3.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	s2.AccountKitID = kit2.ID
	s2.UpdatedAt = now().Add(time.Minute)
	must(t, b.s.UpdateSubject(b.ctx, &s2))
	got, err = b.s.GetSubject(b.ctx, b.live, s2.ID)
	must(t, err)
	equal(t, "subject updated to another kit", *got, s2)
	bad := s2
	bad.AccountKitID = testKit.ID
	bad.LegalName = "Elsewhere LLC"
	wantErr(t, b.s.UpdateSubject(b.ctx, &bad), store.ErrNotFound)
	got, err = b.s.GetSubject(b.ctx, b.live, s2.ID)
	must(t, err)
	equal(t, "subject after an update to a kit of another scope", *got, s2)
	s2.AccountKitID = ""
	s2.UpdatedAt = now().Add(2 * time.Minute)
	must(t, b.s.UpdateSubject(b.ctx, &s2))
	got, err = b.s.GetSubject(b.ctx, b.live, s2.ID)
	must(t, err)
	equal(t, "subject updated to no kit", *got, s2)
}

func testDeleteKit(t *testing.T, b *bundle) {
	kit, keep := newKit(b.live, "Doomed"), newKit(b.live, "Kept")
	must(t, b.s.CreateKit(b.ctx, kit))
	must(t, b.s.CreateKit(b.ctx, keep))
	subs := make([]naive.Subject, 3)
	for i := range subs {
		subs[i] = subject(b.live, false)
		subs[i].AccountKitID = kit.ID
		if i == 2 {
			subs[i].AccountKitID = keep.ID
		}
		must(t, b.s.CreateSubject(b.ctx, &subs[i]))
	}

	// Not from another scope.
	for _, sc := range []naive.Scope{b.test, b.other} {
		wantErr(t, b.s.DeleteKit(b.ctx, sc, kit.ID), store.ErrNotFound)
	}
	wantErr(t, b.s.DeleteKit(b.ctx, b.live, newID()), store.ErrNotFound)
	if _, err := b.s.GetKit(b.ctx, b.live, kit.ID); err != nil {
		t.Fatalf("kit gone after scoped-out deletes: %v", err)
	}

	// Delete: gone, and its subjects fall back to the default; others keep theirs.
	must(t, b.s.DeleteKit(b.ctx, b.live, kit.ID))
	_, err := b.s.GetKit(b.ctx, b.live, kit.ID)
	wantErr(t, err, store.ErrNotFound)
	equal(t, "kits after delete", kitIDs(must2(b.s.ListKits(b.ctx, b.live, naive.Page{}))(t)), []string{keep.ID})
	for i, s := range subs {
		got, err := b.s.GetSubject(b.ctx, b.live, s.ID)
		must(t, err)
		want := s
		if i < 2 {
			want.AccountKitID = ""
		}
		equal(t, "subject after its kit was deleted", *got, want)
	}
	wantErr(t, b.s.DeleteKit(b.ctx, b.live, kit.ID), store.ErrNotFound)
	wantErr(t, b.s.AssignKit(b.ctx, b.live, subs[0].ID, kit.ID, now()), store.ErrNotFound)
	must(t, b.s.AssignKit(b.ctx, b.live, subs[0].ID, keep.ID, now()))
}

// testAssignDeleteKitConcurrent races assigning a kit to 4 subjects with
// deleting it, 10 times: the delete wins, every assign either lands
// before it (and is cleared) or fails as not found, and no subject is
// left with the deleted kit.
func testAssignDeleteKitConcurrent(t *testing.T, b *bundle) {
	subs := make([]naive.Subject, 4)
	for i := range subs {
		subs[i] = subject(b.live, false)
		must(t, b.s.CreateSubject(b.ctx, &subs[i]))
	}
	for range 10 {
		kit := newKit(b.live, "Racy")
		must(t, b.s.CreateKit(b.ctx, kit))
		concurrently(len(subs)+1, func(i int) {
			if i == len(subs) {
				if err := b.s.DeleteKit(b.ctx, b.live, kit.ID); err != nil {
					t.Errorf("DeleteKit: %v", err)
				}
				return
			}
			if err := b.s.AssignKit(b.ctx, b.live, subs[i].ID, kit.ID, now()); err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AssignKit: %v", err)
			}
		})
		if t.Failed() {
			t.FailNow()
		}
		for _, s := range subs {
			got, err := b.s.GetSubject(b.ctx, b.live, s.ID)
			must(t, err)
			if got.AccountKitID != "" {
				t.Fatalf("subject %s kept kit %q after the kit was deleted", s.ID, got.AccountKitID)
			}
		}
	}
}
