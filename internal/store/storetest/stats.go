package storetest

import (
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testStats checks the counts of store.Stats, across operators, for the
// groups on the store's own tables (StatJobs reads River's, which the
// suite's stores do not have; the end-to-end tests read it).
func testStats(t *testing.T, b *bundle) {
	st, ok := b.s.(store.Stats)
	if !ok {
		t.Fatalf("a %T is not a store.Stats", b.s)
	}
	read := func(g store.StatGroup) map[string][]int64 {
		t.Helper()
		rows, err := st.Stats(b.ctx, g)
		must(t, err)
		out := map[string][]int64{}
		for _, r := range rows {
			k := ""
			for _, l := range r.Labels {
				k += l + "/"
			}
			if _, dup := out[k]; dup {
				t.Fatalf("%s: two rows for %q", g, k)
			}
			out[k] = r.Values
		}
		return out
	}
	want := func(g store.StatGroup, key string, values ...int64) {
		t.Helper()
		got := read(g)[key]
		if len(got) != len(values) {
			t.Fatalf("%s %q = %v, want %v (all: %v)", g, key, got, values, read(g))
		}
		for i := range values {
			if got[i] != values[i] {
				t.Fatalf("%s %q = %v, want %v", g, key, got, values)
			}
		}
	}
	for _, g := range []store.StatGroup{store.StatPhones, store.StatMessages, store.StatApprovals, store.StatDeliveries} {
		if rows := read(g); len(rows) != 0 {
			t.Fatalf("%s of a new store: %v", g, rows)
		}
	}
	if _, err := st.Stats(b.ctx, "nope"); err == nil {
		t.Fatal("an unknown group is not an error")
	}

	b.grant(t, b.test, 1000)
	other, otherSubject := b.secondOperator(t) // live mode
	b.grant(t, other, 500)
	reserve := func(sc naive.Scope, subjectID string) *naive.Phone {
		t.Helper()
		p := newPhone(sc, subjectID)
		_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
		must(t, err)
		return p
	}
	active := reserve(b.test, b.testSubject.ID)
	must(t, b.s.ActivatePhone(b.ctx, activation(active.ID, "+14155550111", "pn_"+newID(), ""), noRun))
	reserve(b.test, b.testSubject.ID)
	reserve(other, otherSubject.ID)
	b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))

	// Counts cover every operator, by mode.
	want(store.StatPhones, "test/active/", 1)
	want(store.StatPhones, "test/provisioning/", 1)
	want(store.StatPhones, "live/provisioning/", 1)
	want(store.StatLedger, "test/grant/", 1, 0, 1000)
	want(store.StatLedger, "live/grant/", 1, 0, 500)
	want(store.StatLedger, "test/phone.provision/", 2, 2*price, 0)
	want(store.StatLedger, "live/phone.provision/", 1, price, 0)
	want(store.StatApprovals, "live/pending/", 1)
	if rows := read(store.StatMessages); len(rows) != 0 {
		t.Fatalf("messages: %v", rows)
	}
}
