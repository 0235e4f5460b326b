package surgesim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// durableSim opens a simulator on st, as one process of several sharing a
// database, with a client mounted on it in-process.
func durableSim(t *testing.T, st surgesim.Storage, cfg surgesim.Config) (*surgesim.Server, *surge.Client) {
	t.Helper()
	cfg.APIKey, cfg.Storage = key, st
	sim, err := surgesim.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, surge.NewClient(surge.Options{APIKey: key, HTTPClient: &http.Client{Transport: sim.Transport()}, MaxRetries: -1})
}

// runTasks runs every task due by now on sim, as a job queue would, and
// keeps the later ones for another call.
func runTasks(t *testing.T, st *surgesim.MemoryStorage, sim *surgesim.Server, now time.Time, later *[]surgesim.Task) {
	t.Helper()
	tasks := append(*later, st.TakeTasks()...)
	*later = nil
	for len(tasks) > 0 {
		var again []surgesim.Task
		for _, task := range tasks {
			if task.Due.After(now) {
				*later = append(*later, task)
				continue
			}
			if err := sim.RunTask(t.Context(), task.Kind, task.Ref); err != nil {
				t.Fatalf("task %+v: %v", task, err)
			}
		}
		again = st.TakeTasks()
		tasks = again
	}
}

// TestDurableProcessesShareOneState: two simulators on one storage act in
// turn — every route that changes the state, the clock-driven reviews and
// deliveries, inbound texts and opt-outs — and after each step both hold
// exactly the same state; a third opened afterwards (a restart) too. A
// change a write made without storing it shows as a difference.
func TestDurableProcessesShareOneState(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	cfg := surgesim.Config{Now: clk.Now, ReviewDelay: 10 * time.Second, DeliveryDelay: time.Second}
	a, ca := durableSim(t, st, cfg)
	b, cb := durableSim(t, st, cfg)
	ctx := t.Context()
	var later []surgesim.Task
	step := func(what string) {
		t.Helper()
		if da, db := a.DumpState(), b.DumpState(); da != db {
			t.Fatalf("after %s the two simulators differ:\nA: %s\nB: %s", what, da, db)
		}
	}
	tick := func(d time.Duration, on *surgesim.Server) {
		t.Helper()
		clk.Advance(d)
		runTasks(t, st, on, clk.Now(), &later)
	}

	acct := readyAccount(t, ca)
	step("create account")
	must(cb.UpdateAccount(ctx, acct.ID, surge.AccountUpdate{Name: surge.String("Renamed")}))
	step("update account")
	early := must(cb.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	step("purchase before a campaign")
	camp := must(ca.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	step("create campaign")
	rej := surgesim.SampleCampaign()
	rej.Description += " " + surgesim.MagicReject
	rejected := must(cb.CreateCampaign(ctx, acct.ID, rej))
	step("create a campaign to reject")
	named := must(ca.UpdateNumber(ctx, early.ID, surge.NumberUpdate{Name: "Front desk", CampaignID: camp.ID}))
	if named.Campaign == nil || named.Campaign.AttachmentStatus != surge.AttachmentPending {
		t.Fatalf("attachment before approval: %+v", named.Campaign)
	}
	step("update number")
	tick(11*time.Second, b) // the review ends on B
	step("campaign approved")
	if got := must(ca.GetCampaign(ctx, camp.ID)); got.Status != surge.CampaignActive {
		t.Fatalf("campaign %s on A after B's review", got.Status)
	}
	if got := must(ca.GetCampaign(ctx, rejected.ID)); got.Status != surge.CampaignRejected {
		t.Fatalf("rejected campaign %s", got.Status)
	}
	late := must(ca.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	if late.Campaign == nil || late.Campaign.AttachmentStatus != surge.AttachmentAttached {
		t.Fatalf("purchase under an active campaign: %+v", late.Campaign)
	}
	step("purchase under an active campaign")
	if late.Number == early.Number {
		t.Fatal("two processes sold one number twice")
	}
	must(cb.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+14155550123", From: late.ID, Body: "hello"}))
	step("send")
	tick(time.Second, a)
	step("sent")
	tick(time.Second, b)
	step("delivered")
	must(ca.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+14155550000", From: late.ID, Body: "fails"}))
	tick(2*time.Second, b)
	step("failed and flagged")
	must(cb.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+14155550000", From: late.ID, Body: "flagged"}))
	tick(2*time.Second, a)
	step("cancelled to a flagged number")
	if _, err := a.Inbound(late.Number, "+14155550123", "STOP"); err != nil {
		t.Fatal(err)
	}
	step("inbound STOP")
	if !b.OptedOut(acct.ID, "+14155550123") {
		t.Fatal("an opt-out on A is unknown to B")
	}
	if _, err := b.Inbound(late.ID, "+14155550123", "start"); err != nil {
		t.Fatal(err)
	}
	step("inbound START")
	ct := must(cb.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+14155550177", FirstName: surge.String("Ada")}))
	step("create contact")
	must(ca.UpdateContact(ctx, ct.ID, surge.ContactUpdate{PhoneNumber: "+14155550178", LastName: surge.String("L")}))
	step("update contact")
	if err := a.SetCampaignStatus(rejected.ID, surge.CampaignDeactivated); err != nil {
		t.Fatal(err)
	}
	step("pin a campaign's status")
	must(cb.ReleaseNumber(ctx, early.ID))
	step("release")
	if _, err := ca.GetNumber(ctx, early.ID); err == nil {
		t.Fatal("a number released on B is still on A")
	}

	restarted, _ := durableSim(t, st, cfg)
	if dr, da := restarted.DumpState(), a.DumpState(); dr != da {
		t.Fatalf("a restart does not find the state:\nrestarted: %s\nbefore: %s", dr, da)
	}
	if got, want := len(restarted.Events()), len(a.Events()); got != want || got == 0 {
		t.Fatalf("restart has %d events, want %d", got, want)
	}
}

// TestDurableReviewAcrossRestart: a campaign whose review began before a
// restart is approved after it, by the task the first process scheduled,
// run by the new one; its webhooks are sent by whichever process runs the
// task, signed with the storage's one secret.
func TestDurableReviewAcrossRestart(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	var (
		mu     sync.Mutex
		got    []string
		secret string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooksig.Verify(secret, r.Header, body, clk.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		got = append(got, string(body))
	}))
	defer hook.Close()
	st := surgesim.NewMemoryStorage()
	cfg := surgesim.Config{Now: clk.Now, ReviewDelay: 10 * time.Second, WebhookURL: hook.URL}
	first, c := durableSim(t, st, cfg)
	secret = first.WebhookSecret()
	acct := readyAccount(t, c)
	camp := must(c.CreateCampaign(t.Context(), acct.ID, surgesim.SampleCampaign()))
	first.Close() // the process stops before the review ends

	second, c2 := durableSim(t, st, cfg)
	if second.WebhookSecret() != secret || secret == "" {
		t.Fatalf("secret %q after a restart, want the stored %q", second.WebhookSecret(), secret)
	}
	var later []surgesim.Task
	runTasks(t, st, second, clk.Now(), &later)
	if len(later) != 1 || later[0].Kind != surgesim.TaskAdvance {
		t.Fatalf("tasks waiting: %+v, want the review's", later)
	}
	clk.Advance(10 * time.Second)
	runTasks(t, st, second, clk.Now(), &later)
	if s := must(c2.GetCampaign(t.Context(), camp.ID)); s.Status != surge.CampaignActive {
		t.Fatalf("status %s after the review's time", s.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], surge.EventCampaignApproved) {
		t.Fatalf("webhooks %v, want campaign.approved once", got)
	}
}

// TestDurableFailedWriteIsForgotten: when storing a write fails, the caller
// gets Surge's 503 and nothing of the write survives, in this process's
// memory either.
func TestDurableFailedWriteIsForgotten(t *testing.T) {
	st := surgesim.NewMemoryStorage()
	sim, c := durableSim(t, st, surgesim.Config{})
	before := sim.DumpState()
	st.FailNextUpdate(errors.New("disk full"))
	org := surgesim.SampleOrganization()
	_, err := c.CreateAccount(t.Context(), surge.AccountCreate{Name: "Lost", Organization: &org})
	var apiErr *surge.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a failed store answered %v, want 503", err)
	}
	if after := sim.DumpState(); after != before {
		t.Fatalf("the memory kept what was not stored:\n%s", after)
	}
	if len(sim.Accounts()) != 0 {
		t.Fatal("an account that was never stored is listed")
	}
	readyAccount(t, c) // and the next write works
}

// TestDurableSecret: the first simulator on a storage stores the secret;
// one given its own replaces it for all.
func TestDurableSecret(t *testing.T) {
	st := surgesim.NewMemoryStorage()
	a, _ := durableSim(t, st, surgesim.Config{})
	b, _ := durableSim(t, st, surgesim.Config{})
	if a.WebhookSecret() == "" || a.WebhookSecret() != b.WebhookSecret() {
		t.Fatalf("secrets %q and %q, want one", a.WebhookSecret(), b.WebhookSecret())
	}
	own := webhooksig.NewSecret()
	c, _ := durableSim(t, st, surgesim.Config{WebhookSecret: own})
	d, _ := durableSim(t, st, surgesim.Config{})
	if c.WebhookSecret() != own || d.WebhookSecret() != own {
		t.Fatalf("given a secret: %q, then %q; want %q", c.WebhookSecret(), d.WebhookSecret(), own)
	}
}

// gatedStorage holds each Update at two points: before it takes the
// storage's lock (a database busy with other writes) and after fn ran,
// before the commit.
type gatedStorage struct {
	*surgesim.MemoryStorage
	before, beforeCommit chan struct{} // closed to let Updates through
	inFn                 chan struct{} // receives once fn has run
}

func (g *gatedStorage) Update(ctx context.Context, since int64, fn func([]surgesim.Record) ([]surgesim.Record, []surgesim.Task, error)) (int64, error) {
	<-g.before
	return g.MemoryStorage.Update(ctx, since, func(changed []surgesim.Record) ([]surgesim.Record, []surgesim.Task, error) {
		recs, tasks, err := fn(changed)
		g.inFn <- struct{}{}
		<-g.beforeCommit
		return recs, tasks, err
	})
}

// TestDurableLocking: a write waiting for the storage does not hold up the
// simulator's reads, and no read sees a write before its commit.
func TestDurableLocking(t *testing.T) {
	g := &gatedStorage{MemoryStorage: surgesim.NewMemoryStorage(), before: make(chan struct{}),
		beforeCommit: make(chan struct{}), inFn: make(chan struct{}, 1)}
	close(g.before)
	close(g.beforeCommit)
	sim, c := durableSim(t, g, surgesim.Config{WebhookSecret: webhooksig.NewSecret()})
	<-g.inFn // the secret's write
	g.before, g.beforeCommit = make(chan struct{}), make(chan struct{})

	created := make(chan error, 1)
	org := surgesim.SampleOrganization()
	go func() {
		_, err := c.CreateAccount(t.Context(), surge.AccountCreate{Name: "Acme", Organization: &org})
		created <- err
	}()
	// The write waits for the storage; a read goes through.
	read := make(chan int, 1)
	go func() { read <- len(sim.Accounts()) }()
	select {
	case n := <-read:
		if n != 0 {
			t.Fatalf("%d accounts before the write was stored", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read waited for a write that waits for the storage")
	}
	// The write has run, not committed: a read waits for the commit.
	close(g.before)
	<-g.inFn
	go func() { read <- len(sim.Accounts()) }()
	select {
	case n := <-read:
		t.Fatalf("a read answered (%d accounts) before the write it follows was stored", n)
	case <-time.After(200 * time.Millisecond):
	}
	close(g.beforeCommit)
	if n := <-read; n != 1 {
		t.Fatalf("%d accounts after the commit, want 1", n)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
}

// TestDurableTasksCoalesce: many texts sent at once cost one advance task
// per step and one webhook drain, not one of each per text, and the drain
// sends every event once, in order; a drain whose receiver fails is retried
// and resumes where it stopped.
func TestDurableTasksCoalesce(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	var (
		mu   sync.Mutex
		ids  []string
		fail bool
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ids = append(ids, r.Header.Get(webhooksig.HeaderID))
	}))
	defer hook.Close()
	st := surgesim.NewMemoryStorage()
	sim, c := durableSim(t, st, surgesim.Config{Now: clk.Now, ReviewDelay: time.Second, DeliveryDelay: time.Second, WebhookURL: hook.URL})
	ctx := t.Context()
	acct := readyAccount(t, c)
	camp := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	if err := sim.SetCampaignStatus(camp.ID, surge.CampaignActive); err != nil {
		t.Fatal(err)
	}
	num := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	var later []surgesim.Task
	clk.Advance(2 * time.Second) // past the review: nothing left to do
	runTasks(t, st, sim, clk.Now(), &later)
	if len(later) != 0 {
		t.Fatalf("tasks left after the setup: %+v", later)
	}
	mu.Lock()
	ids = nil
	mu.Unlock()

	const n = 30
	for i := range n {
		must(c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: fmt.Sprintf("+141555501%02d", i), From: num.ID, Body: "hi"}))
	}
	count := func(tasks []surgesim.Task) (advance, drains int) {
		for _, task := range tasks {
			switch {
			case task.Kind == surgesim.TaskAdvance:
				advance++
			case task.Kind == surgesim.TaskWebhook && task.Ref == "":
				drains++
			default:
				t.Fatalf("unexpected task %+v", task)
			}
		}
		return
	}
	tasks := st.TakeTasks()
	if a, d := count(tasks); a != 1 || d > 1 {
		t.Fatalf("%d texts scheduled %d advance tasks and %d drains, want 1 and at most 1", n, a, d)
	}
	// The sends: one advance serves them all and schedules the next step.
	clk.Advance(time.Second)
	for _, task := range tasks {
		if err := sim.RunTask(ctx, task.Kind, task.Ref); err != nil {
			t.Fatal(err)
		}
	}
	tasks = st.TakeTasks()
	if a, d := count(tasks); a != 1 || d > 1 {
		t.Fatalf("after the first step: %d advance tasks and %d drains, want 1 and at most 1", a, d)
	}
	// The drain's receiver fails: the task fails, nothing is lost.
	mu.Lock()
	fail = true
	mu.Unlock()
	drain := surgesim.Task{Kind: surgesim.TaskWebhook}
	if err := sim.RunTask(ctx, drain.Kind, drain.Ref); err == nil {
		t.Fatal("a drain whose receiver failed succeeded")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	// Its retry, then the delivery step and its drain.
	if err := sim.RunTask(ctx, drain.Kind, drain.Ref); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	runTasks(t, st, sim, clk.Now(), &later)
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2*n {
		t.Fatalf("%d webhooks, want %d (sent and delivered for each text)", len(ids), 2*n)
	}
	seen := map[string]bool{}
	events := sim.Events()
	order := map[string]int{}
	for i, ev := range events {
		order[ev.ID] = i
	}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("event %s sent twice", id)
		}
		seen[id] = true
		if i > 0 && order[id] < order[ids[i-1]] {
			t.Fatalf("events sent out of order: %s before %s", ids[i-1], id)
		}
	}
}

// TestDurableLostTaskReplaced: a task that never ran (its process was
// killed while its job ran) is replaced by the next write that needs one,
// once it is 10s past due; before, one scheduled task serves.
func TestDurableLostTaskReplaced(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	sim, c := durableSim(t, st, surgesim.Config{Now: clk.Now, ReviewDelay: time.Second, DeliveryDelay: time.Second,
		WebhookURL: "http://127.0.0.1:1/unused"})
	ctx := t.Context()
	acct := readyAccount(t, c)
	camp := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	if err := sim.SetCampaignStatus(camp.ID, surge.CampaignActive); err != nil {
		t.Fatal(err)
	}
	num := must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	send := func() (advance, drains int) {
		t.Helper()
		_ = st.TakeTasks()
		must(c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+14155550123", From: num.ID, Body: "hi"}))
		for _, task := range st.TakeTasks() {
			switch task.Kind {
			case surgesim.TaskAdvance:
				advance++
			case surgesim.TaskWebhook:
				drains++
			}
		}
		return
	}
	send() // schedules the advance (and a drain for the setup's events); none of them ever runs
	clk.Advance(2 * time.Second)
	if a, d := send(); a != 0 || d != 0 {
		t.Fatalf("a send 1s after a pending task's due time scheduled %d advances and %d drains, want none", a, d)
	}
	clk.Advance(10 * time.Second)
	if a, d := send(); a != 1 || d != 1 {
		t.Fatalf("a send 10s after a lost task's due time scheduled %d advances and %d drains, want one of each", a, d)
	}
}

// TestDurableSkipsForeignRecords: a storage shared with another simulator
// (the Telnyx one writes kinds "telnyx.…") opens, reads and writes as if
// those records were not there, and leaves them as they are.
func TestDurableSkipsForeignRecords(t *testing.T) {
	st := surgesim.NewMemoryStorage()
	foreign := []surgesim.Record{{Kind: "telnyx.brand", ID: "b1", Data: []byte(`{"seq":1,"brand":{"brandId":"b1"}}`)},
		{Kind: "telnyx.meta", ID: "seq", Data: []byte(`{"seq":7}`)}}
	if _, err := st.Update(t.Context(), 0, func([]surgesim.Record) ([]surgesim.Record, []surgesim.Task, error) {
		return foreign, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	a, ca := durableSim(t, st, surgesim.Config{})
	acct := readyAccount(t, ca)
	// Written after a has read: b's and a's next reads see them as changes.
	if _, err := st.Update(t.Context(), 0, func([]surgesim.Record) ([]surgesim.Record, []surgesim.Task, error) {
		return []surgesim.Record{{Kind: "telnyx.campaign", ID: "c1", Data: []byte(`{"seq":2}`)}}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	b, cb := durableSim(t, st, surgesim.Config{})
	if got := must(cb.GetAccount(t.Context(), acct.ID)); got.ID != acct.ID {
		t.Fatalf("account %+v on a second simulator", got)
	}
	must(ca.UpdateAccount(t.Context(), acct.ID, surge.AccountUpdate{Name: surge.String("Renamed")}))
	if da, db := a.DumpState(), b.DumpState(); da != db {
		t.Fatalf("the two simulators differ:\nA: %s\nB: %s", da, db)
	}
	if len(a.Accounts()) != 1 {
		t.Fatalf("accounts %+v", a.Accounts())
	}
	recs, _, err := st.Changes(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, r := range recs {
		if strings.HasPrefix(r.Kind, "telnyx.") {
			kept++
		}
	}
	if kept != 3 {
		t.Fatalf("%d foreign records left in the storage, want 3", kept)
	}
}
