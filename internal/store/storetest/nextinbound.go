package storetest

import (
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testNextInbound: the oldest inbound text after an id, of the phone and
// scope only; outbound texts and other phones' are skipped.
func testNextInbound(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550170")
	other := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550171")
	_, err := b.s.NextInbound(b.ctx, b.live, p.ID, "")
	wantErr(t, err, store.ErrNotFound)

	receive := func(ph *naive.Phone, body string) *naive.Message {
		t.Helper()
		m := inbound(ph, "+14155551234", "msg_"+newID())
		m.Body = body
		stored, err := b.s.RecordInbound(b.ctx, &store.Inbound{Message: m}, nil)
		must(t, err)
		if !stored {
			t.Fatal("RecordInbound stored nothing")
		}
		return m
	}
	first := receive(p, "one")
	out := outbound(p, "+14155551234")
	_, err = b.s.ReserveMessage(b.ctx, out, nil, noRun)
	must(t, err)
	receive(other, "elsewhere")
	second := receive(p, "two")

	next := func(after string) string {
		t.Helper()
		m, err := b.s.NextInbound(b.ctx, b.live, p.ID, after)
		if err != nil {
			return err.Error()
		}
		return m.ID
	}
	equal(t, "next of all", next(""), first.ID)
	equal(t, "next after the first", next(first.ID), second.ID)
	equal(t, "next after the outbound text", next(out.ID), second.ID)
	equal(t, "next after the last", next(second.ID), store.ErrNotFound.Error())
	got, err := b.s.NextInbound(b.ctx, b.live, p.ID, first.ID)
	must(t, err)
	equal(t, "the next message read whole", *got, *second)
	for _, sc := range []naive.Scope{b.other, b.test} {
		_, err := b.s.NextInbound(b.ctx, sc, p.ID, "")
		wantErr(t, err, store.ErrNotFound)
	}
}
