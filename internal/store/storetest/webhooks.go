package storetest

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// newEndpoint is an endpoint of sc, an agent's own when agentID is set.
// newDelivery is a delivery of an event to an endpoint, with its id and time.
func newDelivery(endpointID, eventID string) *naive.Delivery {
	return &naive.Delivery{ID: newID(), EndpointID: endpointID, EventID: eventID, CreatedAt: now()}
}

func newEndpoint(sc naive.Scope, agentID string) *naive.WebhookEndpoint {
	secret := "whsec_" + newID()
	return &naive.WebhookEndpoint{ID: newID(), URL: "https://hooks.example/" + newID(),
		EventTypes: []string{naive.EventSMSReceived, naive.EventSMSStatus}, CreatedAt: now(), Mode: sc.Mode,
		Secret: secret, SigningSecret: secret, OperatorID: sc.OperatorID, AgentID: agentID}
}

// stored is e as Get returns it: with its signing secret, without the
// one-time Secret.
func stored(e *naive.WebhookEndpoint) naive.WebhookEndpoint {
	s := *e
	s.Secret = ""
	return s
}

func endpointIDs(l []naive.WebhookEndpoint) []string {
	return ids(l, func(e naive.WebhookEndpoint) string { return e.ID })
}

func deliveryIDs(l []naive.Delivery) []string {
	return ids(l, func(d naive.Delivery) string { return d.ID })
}

// newEvent stores an sms.received event in sc.
func (b *bundle) newEvent(t *testing.T, sc naive.Scope) *naive.Event {
	t.Helper()
	ev := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: json.RawMessage(rawPayload), CreatedAt: now(),
		Mode: sc.Mode, OperatorID: sc.OperatorID}
	must(t, b.s.AddEvent(b.ctx, ev))
	return ev
}

func testWebhookEndpoints(t *testing.T, b *bundle) {
	agent := b.newAgent(t, b.live)
	e1 := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e1))
	got, err := b.s.GetWebhookEndpoint(b.ctx, b.live, e1.ID)
	must(t, err)
	equal(t, "endpoint", *got, stored(e1))
	if got.SigningSecret == "" || got.SigningSecret != e1.Secret {
		t.Fatalf("signing secret = %q, want the created secret", got.SigningSecret)
	}

	ae := newEndpoint(b.live, agent.ID)
	must(t, b.s.CreateWebhookEndpoint(b.ctx, ae))
	got, err = b.s.GetWebhookEndpoint(b.ctx, b.live, ae.ID)
	must(t, err)
	equal(t, "agent endpoint", *got, stored(ae))

	// An empty id or a zero created_at is refused, not filled in.
	noID := newEndpoint(b.live, "")
	noID.ID = ""
	wantRequired(t, "CreateWebhookEndpoint without an id", b.s.CreateWebhookEndpoint(b.ctx, noID))
	noTime := newEndpoint(b.live, "")
	noTime.CreatedAt = time.Time{}
	wantRequired(t, "CreateWebhookEndpoint without created_at", b.s.CreateWebhookEndpoint(b.ctx, noTime))
	_, err = b.s.GetWebhookEndpoint(b.ctx, b.live, noTime.ID)
	wantErr(t, err, store.ErrNotFound)

	// Filled: an empty event-type list; the secret from Secret when
	// SigningSecret is empty.
	e2 := &naive.WebhookEndpoint{ID: newID(), URL: "https://hooks.example/2", CreatedAt: now(),
		Mode: b.live.Mode, OperatorID: b.live.OperatorID, Secret: "whsec_2"}
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e2))
	if e2.SigningSecret != "whsec_2" || e2.EventTypes == nil {
		t.Fatalf("CreateWebhookEndpoint did not fill: %s", show(e2))
	}
	got, err = b.s.GetWebhookEndpoint(b.ctx, b.live, e2.ID)
	must(t, err)
	equal(t, "filled endpoint", *got, stored(e2))

	// No secret: refused. An agent of another scope: not found.
	if err := b.s.CreateWebhookEndpoint(b.ctx, &naive.WebhookEndpoint{ID: newID(), URL: "https://x", CreatedAt: now(),
		Mode: b.live.Mode, OperatorID: b.live.OperatorID}); err == nil {
		t.Fatal("CreateWebhookEndpoint without a secret succeeded")
	}
	wantErr(t, b.s.CreateWebhookEndpoint(b.ctx, newEndpoint(b.test, agent.ID)), store.ErrNotFound)
	sc2, _ := b.secondOperator(t)
	wantErr(t, b.s.CreateWebhookEndpoint(b.ctx, newEndpoint(sc2, agent.ID)), store.ErrNotFound)
	e3 := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e3))

	// Lists: newest first, agents' endpoints only when asked, paged.
	checkPaging(t, []string{e3.ID, e2.ID, e1.ID}, func(pg naive.Page) []string {
		return endpointIDs(must2(b.s.ListWebhookEndpoints(b.ctx, b.live, false, pg))(t))
	})
	checkPaging(t, []string{e3.ID, e2.ID, ae.ID, e1.ID}, func(pg naive.Page) []string {
		return endpointIDs(must2(b.s.ListWebhookEndpoints(b.ctx, b.live, true, pg))(t))
	})
	l := must2(b.s.ListWebhookEndpoints(b.ctx, b.live, true, naive.Page{}))(t)
	equal(t, "listed agent endpoint", l[2], stored(ae))
	empty(t, "test endpoints", must2(b.s.ListWebhookEndpoints(b.ctx, b.test, true, naive.Page{}))(t))

	// Delete: once.
	must(t, b.s.DeleteWebhookEndpoint(b.ctx, b.live, e2.ID))
	wantErr(t, b.s.DeleteWebhookEndpoint(b.ctx, b.live, e2.ID), store.ErrNotFound)
	_, err = b.s.GetWebhookEndpoint(b.ctx, b.live, e2.ID)
	wantErr(t, err, store.ErrNotFound)
	equal(t, "endpoints after delete", endpointIDs(must2(b.s.ListWebhookEndpoints(b.ctx, b.live, true, naive.Page{}))(t)),
		[]string{e3.ID, ae.ID, e1.ID})
}

func testDeliveries(t *testing.T, b *bundle) {
	e := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e))
	ev := b.newEvent(t, b.live)

	// GetEvent: any tenant.
	got, err := b.s.GetEvent(b.ctx, ev.ID)
	must(t, err)
	equal(t, "event", *got, *ev)
	_, err = b.s.GetEvent(b.ctx, newID())
	wantErr(t, err, store.ErrNotFound)

	// An empty id or a zero created_at is refused, not filled in.
	_, _, err = b.s.CreateDelivery(b.ctx, &naive.Delivery{EndpointID: e.ID, EventID: ev.ID, CreatedAt: now()})
	wantRequired(t, "CreateDelivery without an id", err)
	_, _, err = b.s.CreateDelivery(b.ctx, &naive.Delivery{ID: newID(), EndpointID: e.ID, EventID: ev.ID})
	wantRequired(t, "CreateDelivery without created_at", err)
	empty(t, "deliveries after refused creates", must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, naive.Page{}))(t))

	// Create: pending, scope and type from the endpoint and the event.
	next := now().Add(time.Minute)
	d := newDelivery(e.ID, ev.ID)
	d.NextTryAt = &next
	out, created, err := b.s.CreateDelivery(b.ctx, d)
	must(t, err)
	if !created {
		t.Fatal("a new delivery was not created")
	}
	want := naive.Delivery{ID: d.ID, EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type, Status: naive.DeliveryPending,
		Attempts: []naive.Attempt{}, CreatedAt: d.CreatedAt, UpdatedAt: d.CreatedAt, NextTryAt: &next,
		OperatorID: b.live.OperatorID, Mode: b.live.Mode}
	equal(t, "created delivery", *out, want)
	equal(t, "written back delivery", *d, want)
	gotD, err := b.s.GetDelivery(b.ctx, d.ID)
	must(t, err)
	equal(t, "stored delivery", *gotD, want)

	// Again: the stored one, not new.
	out, created, err = b.s.CreateDelivery(b.ctx, newDelivery(e.ID, ev.ID))
	must(t, err)
	if created {
		t.Fatal("a second delivery of an event to an endpoint was created")
	}
	equal(t, "existing delivery", *out, want)

	// Concurrently for another event: one new.
	ev2 := b.newEvent(t, b.live)
	var fresh atomic.Int32
	seen := make([]string, 20)
	concurrently(20, func(i int) {
		out, created, err := b.s.CreateDelivery(b.ctx, newDelivery(e.ID, ev2.ID))
		if err != nil {
			t.Errorf("CreateDelivery: %v", err)
			return
		}
		if created {
			fresh.Add(1)
		}
		seen[i] = out.ID
	})
	if fresh.Load() != 1 {
		t.Fatalf("%d concurrent CreateDelivery created, want 1", fresh.Load())
	}
	for _, id := range seen {
		if id != seen[0] {
			t.Fatalf("concurrent CreateDelivery returned deliveries %s and %s", seen[0], id)
		}
	}
	d2 := seen[0]

	// Unknown or cross-tenant endpoint and event: not found.
	sc2, _ := b.secondOperator(t)
	foreignEv := b.newEvent(t, sc2)
	testEv := b.newEvent(t, b.test)
	for _, c := range []*naive.Delivery{
		newDelivery(e.ID, foreignEv.ID),
		newDelivery(e.ID, testEv.ID),
		newDelivery(e.ID, newID()),
		newDelivery(newID(), ev.ID),
	} {
		_, _, err := b.s.CreateDelivery(b.ctx, c)
		wantErr(t, err, store.ErrNotFound)
	}

	// Attempts: appended in order while pending.
	t1 := now()
	retry := t1.Add(30 * time.Second)
	must(t, b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{StatusCode: 500, DurationMS: 12, At: t1},
		naive.DeliveryPending, &retry))
	t2 := t1.Add(31 * time.Second)
	must(t, b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{N: 7, Error: "connection refused", DurationMS: 3, At: t2},
		naive.DeliveryPending, &retry))
	t3 := t2.Add(time.Minute)
	must(t, b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{StatusCode: 200, DurationMS: 40, At: t3},
		naive.DeliverySucceeded, nil))
	want.Attempts = []naive.Attempt{
		{N: 1, StatusCode: 500, DurationMS: 12, At: t1},
		{N: 2, Error: "connection refused", DurationMS: 3, At: t2},
		{N: 3, StatusCode: 200, DurationMS: 40, At: t3},
	}
	want.Status, want.NextTryAt, want.UpdatedAt = naive.DeliverySucceeded, nil, t3
	gotD, err = b.s.GetDelivery(b.ctx, d.ID)
	must(t, err)
	equal(t, "delivery after attempts", *gotD, want)
	// Finished: no more attempts.
	wantErr(t, b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{StatusCode: 200, At: now()}, naive.DeliverySucceeded, nil),
		store.ErrConflict)
	wantErr(t, b.s.RecordAttempt(b.ctx, newID(), naive.Attempt{StatusCode: 200, At: now()}, naive.DeliverySucceeded, nil),
		store.ErrNotFound)
	out, created, err = b.s.CreateDelivery(b.ctx, newDelivery(e.ID, ev.ID))
	must(t, err)
	if created {
		t.Fatal("a finished delivery was created again")
	}
	equal(t, "existing finished delivery", *out, want)

	// Concurrent attempts on a pending delivery are numbered 1…n.
	concurrently(10, func(int) {
		err := b.s.RecordAttempt(b.ctx, d2, naive.Attempt{StatusCode: 503, At: now()}, naive.DeliveryPending, &retry)
		if err != nil {
			t.Errorf("RecordAttempt: %v", err)
		}
	})
	gotD, err = b.s.GetDelivery(b.ctx, d2)
	must(t, err)
	if len(gotD.Attempts) != 10 {
		t.Fatalf("%d attempts after 10 concurrent RecordAttempt", len(gotD.Attempts))
	}
	for i, a := range gotD.Attempts {
		if a.N != i+1 {
			t.Fatalf("attempt %d numbered %d", i, a.N)
		}
	}
	// One of concurrent final attempts wins; the others conflict.
	var won, conflicts atomic.Int32
	concurrently(5, func(int) {
		err := b.s.RecordAttempt(b.ctx, d2, naive.Attempt{StatusCode: 410, At: now()}, naive.DeliveryFailed, nil)
		switch {
		case err == nil:
			won.Add(1)
		case errors.Is(err, store.ErrConflict):
			conflicts.Add(1)
		default:
			t.Errorf("RecordAttempt: %v", err)
		}
	})
	if won.Load() != 1 || conflicts.Load() != 4 {
		t.Fatalf("5 concurrent final attempts: %d won, %d conflicts; want 1 and 4", won.Load(), conflicts.Load())
	}
	gotD, err = b.s.GetDelivery(b.ctx, d2)
	must(t, err)
	if gotD.Status != naive.DeliveryFailed || len(gotD.Attempts) != 11 {
		t.Fatalf("delivery %s with %d attempts, want failed with 11", gotD.Status, len(gotD.Attempts))
	}

	// Lists: an endpoint's deliveries newest first, with attempts, paged.
	ev3 := b.newEvent(t, b.live)
	d3, _, err := b.s.CreateDelivery(b.ctx, newDelivery(e.ID, ev3.ID))
	must(t, err)
	checkPaging(t, []string{d3.ID, d2, d.ID}, func(pg naive.Page) []string {
		return deliveryIDs(must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, pg))(t))
	})
	l := must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, naive.Page{}))(t)
	equal(t, "listed delivery with attempts", l[2], want)
	equal(t, "listed delivery without attempts", l[0], *d3)
	equal(t, "listed attempts", len(l[1].Attempts), 11)
	l = must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, naive.Page{Limit: 1, After: d2}))(t)
	equal(t, "page of the oldest delivery", l, []naive.Delivery{want})
	other := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, other))
	empty(t, "deliveries of an endpoint without any", must2(b.s.ListDeliveries(b.ctx, b.live, other.ID, naive.Page{}))(t))
	od, _, err := b.s.CreateDelivery(b.ctx, newDelivery(other.ID, ev.ID))
	must(t, err)

	// Deleting the endpoint deletes its deliveries and their attempts:
	// nothing is tried again. Other endpoints' deliveries stay.
	must(t, b.s.DeleteWebhookEndpoint(b.ctx, b.live, e.ID))
	for _, id := range []string{d.ID, d2, d3.ID} {
		_, err := b.s.GetDelivery(b.ctx, id)
		wantErr(t, err, store.ErrNotFound)
	}
	wantErr(t, b.s.RecordAttempt(b.ctx, d3.ID, naive.Attempt{StatusCode: 200, At: now()}, naive.DeliverySucceeded, nil),
		store.ErrNotFound)
	empty(t, "deliveries of a deleted endpoint", must2(b.s.ListDeliveries(b.ctx, b.live, e.ID, naive.Page{}))(t))
	gotD, err = b.s.GetDelivery(b.ctx, od.ID)
	must(t, err)
	equal(t, "delivery of another endpoint", *gotD, *od)
	// The events stay.
	_, err = b.s.GetEvent(b.ctx, ev.ID)
	must(t, err)
}
