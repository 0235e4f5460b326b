package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/sqlite"
)

// fakeCarrier is a carrier of the service's own port, in memory: it proves
// the service runs on any carrier behind carrier.Carrier (it knows nothing
// of Surge), and its knobs make it fail the ways carriers fail.
type fakeCarrier struct {
	mu      sync.Mutex
	seq     int
	brands  map[string]bool
	camps   map[string]string // brand → campaign id
	numbers map[string]carrier.Number
	sent    map[string]carrier.SentMessage // by ref
	// buyOutcome, when set, is returned by BuyNumber after it bought the
	// number (an answer lost on the way back) — or without buying when
	// dropBuys is set; findErr fails FindNumber.
	buyOutcome error
	dropBuys   bool
	findErr    error
	bought     int
	// forgotten brands answer not_found, as at a carrier that lost or
	// archived them; outage, when set, fails BrandStatus and ListNumbers;
	// lookups counts those two calls.
	forgotten map[string]bool
	outage    error
	lookups   int
	// archived lists ArchiveBrand's brands in order (archived brands are
	// forgotten too); archiveErr fails it; onCreateBrand runs inside
	// CreateBrand, after the brand exists.
	archived      []string
	archiveErr    error
	onCreateBrand func(id string)
	// unverified are sole proprietors' brands awaiting the owner's reply;
	// resends counts ResendBrandVerification calls.
	unverified map[string]bool
	resends    int
	// verifyBy is BrandVerificationMethod's answer ("" is
	// naive.BrandVerifyReply); SubmitBrandVerification accepts code (on
	// a carrier verifying by code) and counts its calls in submits.
	verifyBy string
	code     string
	submits  int
	// sendLost, when set, is returned by SendMessage after it sent the
	// text (an answer lost on the way back) — or without sending when
	// dropSends is set.
	sendLost  error
	dropSends bool
}

func newFakeCarrier() *fakeCarrier {
	return &fakeCarrier{brands: map[string]bool{}, camps: map[string]string{}, numbers: map[string]carrier.Number{},
		sent: map[string]carrier.SentMessage{}, forgotten: map[string]bool{}, unverified: map[string]bool{}}
}

func (f *fakeCarrier) id(prefix string) string { f.seq++; return fmt.Sprintf("%s_%d", prefix, f.seq) }

func (f *fakeCarrier) Name() string { return "fake" }
func (f *fakeCarrier) CreateBrand(ctx context.Context, b carrier.BrandRegistration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("brand")
	f.brands[id] = true
	if b.Tier == naive.TierSoleProprietor {
		f.unverified[id] = true
	}
	if f.onCreateBrand != nil {
		f.onCreateBrand(id)
	}
	return id, nil
}
func (f *fakeCarrier) ArchiveBrand(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.archiveErr != nil {
		return f.archiveErr
	}
	f.archived = append(f.archived, id)
	f.forgotten[id] = true
	return nil
}
func (f *fakeCarrier) archivedBrands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.archived...)
}
func (f *fakeCarrier) UpdateBrand(context.Context, string, carrier.BrandRegistration) error {
	return nil
}
func (f *fakeCarrier) BrandStatus(_ context.Context, id string) (carrier.Brand, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.lookup(id); err != nil {
		return carrier.Brand{ID: id}, err
	}
	if f.unverified[id] {
		return carrier.Brand{ID: id, Verification: naive.BrandVerificationPendingOTP}, nil
	}
	return carrier.Brand{ID: id, Ready: true}, nil
}

func (f *fakeCarrier) ResendBrandVerification(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.lookup(id); err != nil {
		return err
	}
	if !f.unverified[id] {
		return &carrier.Error{Kind: carrier.Invalid, Message: "no verification pending"}
	}
	f.resends++
	return nil
}

func (f *fakeCarrier) BrandVerificationMethod() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verifyBy == "" {
		return naive.BrandVerifyReply
	}
	return f.verifyBy
}

func (f *fakeCarrier) SubmitBrandVerification(_ context.Context, id, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits++
	if err := f.lookup(id); err != nil {
		return err
	}
	switch {
	case f.verifyBy != naive.BrandVerifyCode:
		return &carrier.Error{Kind: carrier.Invalid, Message: "this carrier verifies by reply"}
	case !f.unverified[id]:
		return nil
	case code != f.code:
		return &carrier.Error{Kind: carrier.Invalid, Message: "wrong PIN", Fields: []string{"code"}}
	}
	delete(f.unverified, id)
	return nil
}

// verify is the owner's YES to the verification text of every brand.
func (f *fakeCarrier) verify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.unverified)
}

// lookup counts a read of brand id and fails it as the knobs say.
func (f *fakeCarrier) lookup(id string) error {
	f.lookups++
	if f.outage != nil {
		return f.outage
	}
	if f.forgotten[id] {
		return &carrier.Error{Kind: carrier.NotFound, Message: "The account could not be found."}
	}
	return nil
}
func (f *fakeCarrier) CreateCampaign(_ context.Context, brandID string, _ carrier.CampaignRequest) (carrier.Campaign, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("camp")
	f.camps[brandID] = id
	return carrier.Campaign{ID: id, Status: naive.CampaignCreated}, nil
}
func (f *fakeCarrier) FindCampaign(_ context.Context, brandID string) (carrier.Campaign, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.camps[brandID]
	return carrier.Campaign{ID: id, Status: naive.CampaignCreated}, ok, nil
}
func (f *fakeCarrier) CampaignStatus(_ context.Context, id string) (carrier.Campaign, error) {
	return carrier.Campaign{ID: id, Status: naive.CampaignInReview}, nil
}
func (f *fakeCarrier) ResubmitCampaign(_ context.Context, id string, _ carrier.CampaignRequest) (carrier.Campaign, error) {
	return carrier.Campaign{ID: id, Status: naive.CampaignInReview}, nil
}
func (f *fakeCarrier) BuyNumber(_ context.Context, brandID string, o carrier.NumberOrder) (carrier.Number, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := carrier.Number{ID: f.id("num"), E164: fmt.Sprintf("+1%s555%04d", o.AreaCode, f.seq), Ref: o.Ref}
	if o.E164 != "" {
		n.E164 = o.E164
	}
	if f.dropBuys {
		return carrier.Number{}, f.buyOutcome
	}
	f.bought++
	f.numbers[n.ID] = n
	if f.buyOutcome != nil {
		return carrier.Number{}, f.buyOutcome
	}
	return n, nil
}
func (f *fakeCarrier) ListNumbers(_ context.Context, brandID string) ([]carrier.Number, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.lookup(brandID); err != nil {
		return nil, err
	}
	out := []carrier.Number{}
	for _, n := range f.numbers {
		out = append(out, n)
	}
	return out, nil
}
func (f *fakeCarrier) FindNumber(_ context.Context, _ string, ref string) (carrier.Number, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.findErr != nil {
		return carrier.Number{}, false, f.findErr
	}
	for _, n := range f.numbers {
		if n.Ref == ref {
			return n, true, nil
		}
	}
	return carrier.Number{}, false, nil
}
func (f *fakeCarrier) ReleaseNumber(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.numbers, id)
	return nil
}
func (f *fakeCarrier) SendMessage(_ context.Context, _ string, m carrier.OutboundMessage) (carrier.SentMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := carrier.SentMessage{ID: f.id("msg")}
	if !f.dropSends {
		f.sent[m.Ref] = s
	}
	if f.sendLost != nil {
		return carrier.SentMessage{}, f.sendLost
	}
	return s, nil
}
func (f *fakeCarrier) FindMessage(_ context.Context, _ string, ref string) (carrier.SentMessage, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sent[ref]
	return s, ok, nil
}
func (f *fakeCarrier) ContactNumber(context.Context, string) (string, error) {
	return "+14155550100", nil
}

// ParseWebhook reads the fake's own envelope, authenticated by a header.
func (f *fakeCarrier) ParseWebhook(h http.Header, body []byte, _ time.Time) (*carrier.Event, error) {
	if h.Get("webhook-signature") != "fake" {
		return nil, carrier.ErrBadSignature
	}
	var ev carrier.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, carrier.ErrUnreadable
	}
	return &ev, nil
}

func (f *fakeCarrier) held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.numbers)
}

// clock is the services' one clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a store with a first start, a fake carrier, a clock, and a
// service standing for one process.
type fixture struct {
	t     *testing.T
	st    store.Store
	cr    *fakeCarrier
	clock *clock
	svc   *service.Service
	ctx   context.Context // the test key's principal
	human context.Context
}

func setup(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), "sqlite:"+t.TempDir()+"/unit.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, cr: newFakeCarrier(), clock: &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}}
	f.svc = f.process("process-1")
	boot, err := f.svc.Bootstrap(context.Background(), service.BootstrapConfig{AdminEmail: "admin@localhost", AdminPassword: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(context.Background(), boot.TestKey, "")
	if err != nil {
		t.Fatal(err)
	}
	f.ctx = naive.WithPrincipal(context.Background(), p)
	login, err := f.svc.Login(context.Background(), naive.LoginRequest{Email: "admin@localhost", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	hp, err := f.svc.Authenticate(context.Background(), login.Token, "test")
	if err != nil {
		t.Fatal(err)
	}
	f.human = naive.WithPrincipal(context.Background(), hp)
	return f
}

// process returns a service on the fixture's store and carrier standing
// for another server process, registered as alive now.
func (f *fixture) process(id string) *service.Service {
	f.t.Helper()
	return f.processWith(service.Config{ProcessID: id})
}

// processWith is process with cfg's carrier (test mode's), store and page
// fetcher, when set: the fixture's store and carrier otherwise, its clock,
// a 5 s live window and no logs.
func (f *fixture) processWith(cfg service.Config) *service.Service {
	f.t.Helper()
	if cfg.Store == nil {
		cfg.Store = f.st
	}
	if cfg.Carrier == nil {
		cfg.Carrier = testOnly(f.cr)
	}
	cfg.Now, cfg.LiveWindow, cfg.Logger = f.clock.now, 5*time.Second, slog.New(slog.DiscardHandler)
	svc, err := service.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return svc
}

// testOnly is test mode's carrier; live mode has none.
func testOnly(c carrier.Carrier) func(naive.Mode) carrier.Carrier {
	return func(m naive.Mode) carrier.Carrier {
		if m == naive.ModeTest {
			return c
		}
		return nil
	}
}

func keyed(ctx context.Context, key string) (context.Context, *naive.Idempotency) {
	k := &naive.Idempotency{Key: key, RequestHash: "hash-" + key, Method: "POST", Path: "/v1/phone/provision"}
	return naive.WithIdempotency(ctx, k), k
}

var firstNumber = naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415", Label: "Support"}

func (f *fixture) balance() int64 {
	f.t.Helper()
	c, err := f.svc.Credits(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.Balance
}

// TestProvisionOnAnotherCarrier: a provision runs end to end on a carrier
// that is not Surge, through the port alone, in two phases around the
// purchase, and stores its answer under its key.
func TestProvisionOnAnotherCarrier(t *testing.T) {
	f := setup(t)
	ctx, k := keyed(f.ctx, "one")
	res, err := f.svc.ProvisionPhone(ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	if ph.Status != naive.PhoneActive || ph.CarrierID == "" || !ph.Capabilities.SMSInbound || res.Provisioned.CreditsRemaining != 950 {
		t.Fatalf("provisioned %+v", res.Provisioned)
	}
	if !k.Owned || !k.Stored {
		t.Fatalf("key owned %v stored %v, want both", k.Owned, k.Stored)
	}
	rec, err := f.svc.LookupKey(f.ctx, mustPrincipal(f.ctx), "one")
	if err != nil || rec == nil || !rec.Completed || rec.ResourceID != ph.ID || rec.LockedBy != "" {
		t.Fatalf("key record %+v (%v)", rec, err)
	}
	if f.cr.held() != 1 || f.balance() != 950 {
		t.Fatalf("carrier holds %d, balance %d", f.cr.held(), f.balance())
	}
}

func mustPrincipal(ctx context.Context) naive.Principal {
	p, _ := naive.PrincipalFrom(ctx)
	return p
}

// TestLostPurchaseAnswer: the carrier bought the number but its answer was
// lost; the number is found by our phone id, not bought again.
func TestLostPurchaseAnswer(t *testing.T) {
	f := setup(t)
	f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, Message: "connection reset", UnknownOutcome: true}
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	if f.cr.bought != 1 || f.cr.held() != 1 || res.Provisioned.Phone.CarrierID == "" {
		t.Fatalf("bought %d, held %d: %+v", f.cr.bought, f.cr.held(), res.Provisioned.Phone)
	}
}

// TestUndecidedPurchase: the answer was lost and the carrier cannot be
// asked: the run stays reserved (charged, nothing refunded, nothing bought
// again) and its record is let go, so the retry resumes it and finds the
// number once the carrier answers.
func TestUndecidedPurchase(t *testing.T) {
	f := setup(t)
	f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, Message: "timeout", UnknownOutcome: true}
	f.cr.findErr = &carrier.Error{Kind: carrier.Unavailable, Message: "down"}
	ctx, k := keyed(f.ctx, "undecided")
	if _, err := f.svc.ProvisionPhone(ctx, "", firstNumber); naive.ErrorCode(err) != naive.EProviderError {
		t.Fatalf("err %v, want provider_error", err)
	}
	if k.Owned || f.balance() != 950 || f.cr.bought != 1 {
		t.Fatalf("owned %v, balance %d, bought %d", k.Owned, f.balance(), f.cr.bought)
	}
	rec, _ := f.svc.LookupKey(f.ctx, mustPrincipal(f.ctx), "undecided")
	if rec == nil || rec.Completed || rec.LockedBy != "" || rec.RecoveryPoint != store.PointReserved {
		t.Fatalf("record %+v, want reserved and let go", rec)
	}
	// The carrier answers again; the client retries with the same key.
	f.cr.buyOutcome, f.cr.findErr = nil, nil
	if ok, err := f.svc.TakeOverKey(f.ctx, rec); err != nil || !ok {
		t.Fatalf("take over: %v %v", ok, err)
	}
	ctx, _ = keyed(f.ctx, "undecided")
	naive.IdempotencyFrom(ctx).Resume = true
	res, err := f.svc.ProvisionPhone(ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	if f.cr.bought != 1 || f.cr.held() != 1 || f.balance() != 950 || res.Provisioned.Phone.ID != rec.ResourceID {
		t.Fatalf("bought %d, held %d, balance %d, phone %s want %s", f.cr.bought, f.cr.held(), f.balance(),
			res.Provisioned.Phone.ID, rec.ResourceID)
	}
}

// TestResumeAfterCrash: a process died after its reserve. A retry from
// another process, once the first stopped beating, finds the number the
// dead run bought and records it; a run that bought nothing is refunded and
// run afresh. Either way: one number and one charge per key.
func TestResumeAfterCrash(t *testing.T) {
	for _, bought := range []bool{true, false} {
		t.Run(fmt.Sprintf("bought=%v", bought), func(t *testing.T) {
			f := setup(t)
			// Register the brand first, so the dead run is a purchase.
			if _, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
				t.Fatal(err)
			}
			// The dead run: reserved under key "k", its number bought (or
			// not), never activated — as a SIGKILL mid-purchase leaves it.
			f.cr.findErr = errors.New("the process dies before it can look")
			f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, UnknownOutcome: true}
			f.cr.dropBuys = !bought
			ctx, _ := keyed(f.ctx, "k")
			_, _ = f.svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"})
			f.cr.buyOutcome, f.cr.findErr, f.cr.dropBuys = nil, nil, false
			rec, err := f.svc.LookupKey(f.ctx, mustPrincipal(f.ctx), "k")
			if err != nil || rec == nil {
				t.Fatalf("no record: %v", err)
			}
			rec.LockedBy = "process-1" // held by the process that then died
			if ok, err := f.st.TakeOverIdempotent(context.Background(), rec, f.clock.now()); err != nil || !ok {
				t.Fatalf("lock for process-1: %v %v", ok, err)
			}
			if f.balance() != 900 {
				t.Fatalf("balance %d with the run reserved, want 900", f.balance())
			}
			// process-1 is gone; process-2 comes up after its window.
			f.clock.add(6 * time.Second)
			p2 := f.process("process-2")
			rec, err = p2.LookupKey(f.ctx, mustPrincipal(f.ctx), "k")
			if err != nil || rec == nil || rec.OwnerAlive {
				t.Fatalf("record %+v (%v), want its owner dead", rec, err)
			}
			if ok, err := p2.TakeOverKey(f.ctx, rec); err != nil || !ok {
				t.Fatalf("take over: %v %v", ok, err)
			}
			ctx, _ = keyed(f.ctx, "k")
			naive.IdempotencyFrom(ctx).Resume = true
			res, err := p2.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"})
			if err != nil {
				t.Fatal(err)
			}
			if (res.Provisioned.Phone.ID == rec.ResourceID) != bought {
				t.Fatalf("phone %s, the dead run's %s: want the same only when it bought", res.Provisioned.Phone.ID, rec.ResourceID)
			}
			if f.cr.held() != 2 || f.balance() != 900 {
				t.Fatalf("carrier holds %d, balance %d; want 2 and 900", f.cr.held(), f.balance())
			}
			// A third retry replays: the key is finished.
			if rec, _ := p2.LookupKey(f.ctx, mustPrincipal(f.ctx), "k"); rec == nil || !rec.Completed {
				t.Fatalf("record %+v, want completed", rec)
			}
		})
	}
}

// TestBackgroundResume: the background pass settles a run whose process
// died: the number found is recorded, a purchase never made is refunded.
func TestBackgroundResume(t *testing.T) {
	f := setup(t)
	if _, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, UnknownOutcome: true}
	f.cr.findErr = errors.New("down")
	_, _ = f.svc.ProvisionPhone(f.ctx, "", naive.ProvisionRequest{AreaCode: "415"}) // no key: an automatic one
	f.cr.buyOutcome, f.cr.findErr = nil, nil
	if f.balance() != 900 {
		t.Fatalf("balance %d while undecided, want 900", f.balance())
	}
	if n := f.svc.ResumeStaleRuns(context.Background()); n != 1 {
		t.Fatalf("resumed %d runs, want 1", n)
	}
	l, err := f.svc.ListPhones(f.ctx, "", "", naive.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Data) != 2 || f.cr.held() != 2 || f.balance() != 900 {
		t.Fatalf("%d phones, carrier %d, balance %d", len(l.Data), f.cr.held(), f.balance())
	}
	if n := f.svc.ResumeStaleRuns(context.Background()); n != 0 {
		t.Fatalf("resumed %d runs again", n)
	}
}

// TestAgentGoneMidProvision: the agent to connect is deleted while the
// number is bought: nothing is half-done — the number goes back to the
// carrier, the charge is refunded, the error says so.
func TestAgentGoneMidProvision(t *testing.T) {
	f := setup(t)
	a, err := f.svc.CreateAgent(f.ctx, naive.AgentRequest{Name: "doomed"})
	if err != nil {
		t.Fatal(err)
	}
	f.cr.buyOutcome = nil
	deleting := &deletingCarrier{fakeCarrier: f.cr, del: func() {
		if err := f.svc.DeleteAgent(f.ctx, a.ID); err != nil {
			t.Error(err)
		}
	}}
	svc, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "process-1",
		Carrier: testOnly(deleting), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := firstNumber
	req.AgentID = a.ID
	_, err = svc.ProvisionPhone(f.ctx, "", req)
	if e := naive.AsError(err); e.Code != naive.EInvalidInput || e.Param != "agent_id" {
		t.Fatalf("err %v, want invalid_input agent_id", err)
	}
	if f.cr.held() != 0 || f.balance() != 1000 {
		t.Fatalf("carrier holds %d, balance %d; want 0 and 1000", f.cr.held(), f.balance())
	}
}

// deletingCarrier runs del while a number is being bought.
type deletingCarrier struct {
	*fakeCarrier
	del func()
}

func (d *deletingCarrier) BuyNumber(ctx context.Context, brandID string, o carrier.NumberOrder) (carrier.Number, error) {
	d.del()
	return d.fakeCarrier.BuyNumber(ctx, brandID, o)
}

// TestWebhookRedelivery: a carrier event redelivered with the same id —
// even with a different body — is applied once.
func TestWebhookRedelivery(t *testing.T) {
	f := setup(t)
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", "1")
	h.Set("webhook-signature", "fake")
	for _, body := range []string{"first", "different"} {
		ev, _ := json.Marshal(carrier.Event{ID: "evt_1", Kind: carrier.EventMessageReceived, Type: "message.received",
			Message: &carrier.MessageEvent{ID: "msg_" + body, To: res.Provisioned.Phone.E164, From: "+14155550100", Body: body}})
		if err := f.svc.HandleCarrierWebhook(context.Background(), h, ev); err != nil {
			t.Fatal(err)
		}
	}
	l, err := f.svc.ListMessages(f.ctx, "", res.Provisioned.Phone.ID, naive.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Data) != 1 || l.Data[0].Body != "first" {
		t.Fatalf("messages %+v, want the first delivery only", l.Data)
	}
}

// TestGrantOnce: a grant and its key's answer are one phase, so the same
// key grants once.
func TestGrantOnce(t *testing.T) {
	f := setup(t)
	ctx, k := keyed(f.human, "grant")
	if _, err := f.svc.GrantCredits(ctx, naive.GrantRequest{Amount: 5}); err != nil {
		t.Fatal(err)
	}
	if !k.Stored {
		t.Fatal("grant did not store its answer")
	}
	ctx, _ = keyed(f.human, "grant")
	if _, err := f.svc.GrantCredits(ctx, naive.GrantRequest{Amount: 5}); !errors.Is(err, naive.ErrKeyBusy) {
		t.Fatalf("second grant under the key: %v, want ErrKeyBusy (the REST layer replays the answer)", err)
	}
	if f.balance() != 1005 {
		t.Fatalf("balance %d, want 1005", f.balance())
	}
}

// TestRevocationAcrossProcesses: a process that keeps an authenticated key
// in memory sees its revocation by another process on the very next
// request, and sees another process's change to the subject too.
func TestRevocationAcrossProcesses(t *testing.T) {
	f := setup(t)
	p2 := f.process("process-2")
	secret := f.newKey(t)
	for range 2 { // the second is served from memory
		if _, err := p2.Authenticate(context.Background(), secret, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The other process changes the default subject, then revokes the key.
	subj, err := f.svc.GetSubject(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	site := "https://elsewhere.example"
	if _, err := f.svc.UpdateSubject(f.human, subj.ID, naive.SubjectPatch{Website: &site}); err != nil {
		t.Fatal(err)
	}
	pr, err := p2.Authenticate(context.Background(), secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if pr.DefaultSubject == nil || pr.DefaultSubject.Website != site {
		t.Fatalf("default subject %+v, want the other process's change", pr.DefaultSubject)
	}
	keys, err := f.svc.ListKeys(f.human, naive.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.Data {
		if k.Name == "revoked elsewhere" {
			if _, err := f.svc.RevokeKey(f.human, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := p2.Authenticate(context.Background(), secret, ""); naive.ErrorCode(err) != naive.EUnauthorized {
		t.Fatalf("a key revoked by another process: %v, want unauthorized", err)
	}
}

// newKey makes a test key through the service and returns its secret.
func (f *fixture) newKey(t *testing.T) string {
	t.Helper()
	k, err := f.svc.CreateKey(f.human, naive.KeyRequest{Name: "revoked elsewhere", Mode: naive.ModeTest})
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

// gatedSubject makes a formed subject other than the default one, whose
// provisions by an agent wait for a human.
func (f *fixture) gatedSubject(t *testing.T) *naive.Subject {
	t.Helper()
	def, err := f.svc.GetSubject(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	subj, err := f.svc.CreateSubject(f.ctx, def.SubjectProfile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartFormation(f.ctx, subj.ID, naive.FormationRequest{EntityType: "LLC", State: "DE"}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(10 * time.Second) // the simulated filing completes
	if err := f.svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	return subj
}

// TestApprovedProvisionShortOfCredits: an approved request whose reserve
// finds the balance short is refused with insufficient_credits and stays
// pending — nothing spent, nothing decided — so that after a grant the
// human approves it again and it runs once.
func TestApprovedProvisionShortOfCredits(t *testing.T) {
	f := setup(t)
	subj := f.gatedSubject(t)
	res, err := f.svc.ProvisionPhone(f.ctx, subj.ID, firstNumber)
	if err != nil || res.Pending == nil {
		t.Fatalf("want a pending approval: %+v %v", res, err)
	}
	pricey, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "pricey", PhonePrice: 5000,
		Carrier: testOnly(f.cr), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pricey.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := res.Pending.ApprovalID
	a, err := pricey.ApproveApproval(f.human, id, naive.ApproveRequest{})
	if naive.ErrorCode(err) != naive.EInsufficientCredits || a != nil {
		t.Fatalf("approve with a short balance: %+v %v, want insufficient_credits", a, err)
	}
	if e := naive.AsError(err); !strings.Contains(e.Message, "still pending") || !strings.Contains(e.Hint, "/v1/credits/grant") {
		t.Fatalf("error %q / hint %q: want it to say the approval is pending and how to go on", e.Message, e.Hint)
	}
	got, err := f.svc.GetApproval(f.human, id)
	if err != nil || got.Status != naive.ApprovalPending || got.ResolvedBy != nil || got.ResolvedAt != nil {
		t.Fatalf("approval after the refusal: %+v %v, want pending and undecided", got, err)
	}
	if f.balance() != 1000 || f.cr.held() != 0 {
		t.Fatalf("balance %d, carrier holds %d; want nothing spent", f.balance(), f.cr.held())
	}
	if _, err := pricey.GrantCredits(f.human, naive.GrantRequest{Amount: 4000, Memo: "for the approval"}); err != nil {
		t.Fatal(err)
	}
	a, err = pricey.ApproveApproval(f.human, id, naive.ApproveRequest{})
	if err != nil || a.Status != naive.ApprovalExecuted {
		t.Fatalf("approve after the grant: %+v %v", a, err)
	}
	if f.balance() != 0 || f.cr.held() != 1 {
		t.Fatalf("balance %d, carrier holds %d; want one number bought for 5000", f.balance(), f.cr.held())
	}
}

// TestReconcilerActivatesWhileRunResumes: the background backstop records
// a long-undecided purchase at the very moment a client's retry resumes
// it. The retry answers the number (not "interrupted"), the carrier keeps
// it, and it is charged once.
func TestReconcilerActivatesWhileRunResumes(t *testing.T) {
	f := setup(t)
	if _, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	f.cr.buyOutcome = &carrier.Error{Kind: carrier.Unavailable, UnknownOutcome: true}
	f.cr.findErr = errors.New("down")
	ctx, _ := keyed(f.ctx, "k")
	if _, err := f.svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"}); naive.ErrorCode(err) != naive.EProviderError {
		t.Fatalf("undecided purchase: %v", err)
	}
	f.cr.buyOutcome, f.cr.findErr = nil, nil
	f.clock.add(service.ProvisionStale + time.Minute)
	leader := f.process("leader")
	hc := &hookCarrier{fakeCarrier: f.cr}
	p2, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "p2",
		Carrier: testOnly(hc), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec, _ := p2.LookupKey(f.ctx, mustPrincipal(f.ctx), "k")
	if ok, err := p2.TakeOverKey(f.ctx, rec); !ok || err != nil {
		t.Fatalf("take over: %v %v", ok, err)
	}
	hc.onFind = func() { leader.ReconcileProvisioning(context.Background()) } // the race
	ctx, _ = keyed(f.ctx, "k")
	naive.IdempotencyFrom(ctx).Resume = true
	out, err := p2.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"})
	if err != nil {
		t.Fatalf("resumed answer: %v, want the number", err)
	}
	if out.Provisioned.Phone.ID != rec.ResourceID || out.Provisioned.Phone.Status != naive.PhoneActive {
		t.Fatalf("resumed answer %+v, want phone %s active", out.Provisioned.Phone, rec.ResourceID)
	}
	if _, held, _ := f.cr.FindNumber(context.Background(), "", rec.ResourceID); !held || f.balance() != 900 {
		t.Fatalf("carrier holds it: %v, balance %d; want held and 900", held, f.balance())
	}
	if after, _ := p2.LookupKey(f.ctx, mustPrincipal(f.ctx), "k"); after == nil || !after.Completed {
		t.Fatalf("key record %+v, want completed", after)
	}
}

// hookCarrier runs onFind (once) after FindNumber answered.
type hookCarrier struct {
	*fakeCarrier
	onFind func()
}

func (h *hookCarrier) FindNumber(ctx context.Context, b, ref string) (carrier.Number, bool, error) {
	n, ok, err := h.fakeCarrier.FindNumber(ctx, b, ref)
	if fn := h.onFind; fn != nil {
		h.onFind = nil
		fn()
	}
	return n, ok, err
}

// TestStoredAnswerEqualsFirst: with a clock finer than the stores', the
// answer replayed under a key is the first answer, byte for byte.
func TestStoredAnswerEqualsFirst(t *testing.T) {
	f := setup(t)
	svc, err := service.New(service.Config{Store: f.st, Now: func() time.Time { return f.clock.now().Add(123456789) },
		ProcessID: "ns", Carrier: testOnly(f.cr), Logger: slog.New(slog.DiscardHandler), Encode: api.EncodeOutcome})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	same := func(what string, principal context.Context, key string, first any) {
		t.Helper()
		want, _ := json.Marshal(first)
		rec, err := svc.LookupKey(principal, mustPrincipal(principal), key)
		if err != nil || rec == nil {
			t.Fatalf("%s: no record (%v)", what, err)
		}
		if got := strings.TrimSpace(string(rec.Body)); got != string(want) {
			t.Fatalf("%s: first answer %s, stored %s", what, want, got)
		}
	}
	ctx, _ := keyed(f.human, "grant")
	e, err := svc.GrantCredits(ctx, naive.GrantRequest{Amount: 5})
	if err != nil {
		t.Fatal(err)
	}
	same("grant", f.human, "grant", e)
	res, err := svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ = keyed(f.ctx, "release")
	ph, err := svc.ReleasePhone(ctx, "", res.Provisioned.Phone.ID)
	if err != nil {
		t.Fatal(err)
	}
	same("release", f.ctx, "release", ph)
}

// TestClientKeysApartFromAutomaticOnes: a client's Idempotency-Key that
// looks like an automatic one is still the client's (the answer replays).
func TestClientKeysApartFromAutomaticOnes(t *testing.T) {
	f := setup(t)
	svc, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "process-1",
		Carrier: testOnly(f.cr), Logger: slog.New(slog.DiscardHandler), Encode: api.EncodeOutcome})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(api.Config{}, api.Deps{Service: svc, Auth: svc, Carrier: svc, Idempotency: svc,
		Ready: f.st, Phones: svc}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	login, err := svc.Login(context.Background(), naive.LoginRequest{Email: "admin@localhost", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/credits/grant", strings.NewReader(`{"amount":5}`))
		req.Header.Set("Authorization", "Bearer "+login.Token)
		req.Header.Set("Naive-Mode", "test")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "auto:mine")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("grant under auto:mine: %d %s", res.StatusCode, b)
		}
		bodies = append(bodies, string(b))
	}
	if bodies[0] != bodies[1] || f.balance() != 1005 {
		t.Fatalf("answers %q and %q, balance %d; want one grant, replayed", bodies[0], bodies[1], f.balance())
	}
}

// TestPhoneReadsAcrossProcesses: a process serves a number it read from
// memory only while nothing about it changed, on any process: a release
// by another process shows on the very next read.
func TestPhoneReadsAcrossProcesses(t *testing.T) {
	f := setup(t)
	secret := f.newKey(t)
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Provisioned.Phone.ID
	p2 := f.process("process-2")
	read := func() *naive.Phone { // one request on process 2
		t.Helper()
		pr, err := p2.Authenticate(context.Background(), secret, "")
		if err != nil {
			t.Fatal(err)
		}
		ph, err := p2.GetPhone(naive.WithPrincipal(context.Background(), pr), "", id)
		if err != nil {
			t.Fatal(err)
		}
		return ph
	}
	for range 2 { // the second is served from memory
		if ph := read(); ph.Status != naive.PhoneActive {
			t.Fatalf("status %s, want active", ph.Status)
		}
	}
	if _, err := f.svc.ReleasePhone(f.ctx, "", id); err != nil {
		t.Fatal(err)
	}
	ph := read()
	if ph.Status != naive.PhoneReleased || ph.ReleasedAt == nil {
		t.Fatalf("after another process released it: %+v", ph)
	}
	// What a caller does with its copy is not what the next one reads.
	ph.Label = "scribbled"
	if again := read(); again.Label == "scribbled" {
		t.Fatal("a read shares its phone with the memory")
	}
}

// TestTakenOverMidPurchase: while a run's purchase is in flight its process
// is taken for dead, and another process takes the run over, finds the
// number by our phone id and activates the phone. When the first run's
// purchase then returns, the number is the phone's: the first run must not
// release it (nor refund), though it cannot store the answer.
func TestTakenOverMidPurchase(t *testing.T) {
	f := setup(t)
	if _, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	var p2res *naive.ProvisionResult
	slow := &hookedCarrier{fakeCarrier: f.cr, afterBuy: func() {
		// process-1 stopped beating; process-2 takes its run over.
		f.clock.add(6 * time.Second)
		p2 := f.process("process-2")
		rec, err := p2.LookupKey(f.ctx, mustPrincipal(f.ctx), "k")
		if err != nil || rec == nil {
			t.Errorf("no record: %v", err)
			return
		}
		if ok, err := p2.TakeOverKey(f.ctx, rec); err != nil || !ok {
			t.Errorf("take over: %v %v", ok, err)
			return
		}
		ctx, _ := keyed(f.ctx, "k")
		naive.IdempotencyFrom(ctx).Resume = true
		if p2res, err = p2.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"}); err != nil {
			t.Errorf("process-2: %v", err)
		}
	}}
	svc, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "process-1",
		Carrier: testOnly(slow), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, _ := keyed(f.ctx, "k")
	_, err = svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "415"})
	if err == nil {
		t.Fatal("process-1 stored an answer for a run it no longer held")
	}
	if t.Failed() || p2res == nil {
		t.FailNow()
	}
	ph := p2res.Provisioned.Phone
	if f.cr.held() != 2 || ph.Status != naive.PhoneActive || f.balance() != 900 {
		t.Fatalf("carrier holds %d (want 2: the phone's number was released?), phone %s, balance %d (want 900)",
			f.cr.held(), ph.Status, f.balance())
	}
}

// hookedCarrier runs afterBuy once a purchase is made, before answering it.
type hookedCarrier struct {
	*fakeCarrier
	afterBuy func()
}

func (h *hookedCarrier) BuyNumber(ctx context.Context, brandID string, o carrier.NumberOrder) (carrier.Number, error) {
	n, err := h.fakeCarrier.BuyNumber(ctx, brandID, o)
	if err == nil && h.afterBuy != nil {
		h.afterBuy()
	}
	return n, err
}

// TestMayActRenewsStaleHeartbeat: a process whose background heartbeat was
// delayed (a busy database) renews it before buying, while no one can yet
// count it dead; once its beat is older than the live window, others may
// have taken its runs over, and it refuses to call the carrier.
func TestMayActRenewsStaleHeartbeat(t *testing.T) {
	f := setup(t)
	f.clock.add(3 * time.Second) // past half the 5 s live window
	if _, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber); err != nil {
		t.Fatalf("provision with a stale but live heartbeat: %v", err)
	}
	f.clock.add(6 * time.Second) // past the whole window since that renewal
	ctx, _ := keyed(f.ctx, "late")
	_, err := f.svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415", Label: "Second"})
	if e := naive.AsError(err); e == nil || e.Code != naive.EInternal || !strings.Contains(e.Message, "keep its claim") {
		t.Fatalf("provision with a dead heartbeat: %v", err)
	}
	if f.cr.held() != 1 || f.balance() != 950 {
		t.Fatalf("carrier holds %d, balance %d: want the one number, charged once", f.cr.held(), f.balance())
	}
}
