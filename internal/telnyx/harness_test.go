package telnyx_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

const testKey = "KEY_test"

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleeps records backoff waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// hook is one webhook the receiver got.
type hook struct {
	header http.Header
	body   []byte
	path   string
}

// receiver collects the simulator's webhooks.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []hook
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, hook{header: r.Header.Clone(), body: b, path: r.URL.RequestURI()})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// wait returns the first webhook from index from on that pass keeps, failing after 5s.
func (rc *receiver) wait(t *testing.T, from int, keep func(hook) bool) (hook, int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for i := from; i < len(rc.got); i++ {
			if keep(rc.got[i]) {
				h := rc.got[i]
				rc.mu.Unlock()
				return h, i + 1
			}
		}
		rc.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no matching webhook arrived (got %d)", rc.count())
	return hook{}, 0
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// env is a simulator behind a socket, a client, an adapter and a webhook receiver.
type env struct {
	clock  *clock
	sim    *telnyxsim.Server
	srv    *httptest.Server
	client *telnyx.Client
	cr     *telnyx.Carrier
	rc     *receiver
	sleeps *sleeps
	priv   ed25519.PrivateKey
}

// privateKey is the key the simulator signs webhooks with.
func (e *env) privateKey(*testing.T) ed25519.PrivateKey { return e.priv }

// newServer serves sim on a socket and returns its URL.
func newServer(t *testing.T, sim *telnyxsim.Server) string {
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, sleeps: &sleeps{}}
	e.rc = newReceiver(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.priv = priv
	e.sim = telnyxsim.New(telnyxsim.Config{APIKey: testKey, Now: e.clock.Now, ReviewDelay: 10 * time.Second,
		DeliveryDelay: time.Second, WebhookURL: e.rc.srv.URL + "/webhooks/telnyx", PrivateKey: priv})
	t.Cleanup(e.sim.Close)
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(e.srv.Close)
	e.client = telnyx.NewClient(telnyx.Options{BaseURL: e.srv.URL + "/v2", APIKey: testKey, SleepFunc: e.sleeps.sleep})
	cr, err := telnyx.NewCarrier(e.client, telnyx.CarrierConfig{MessagingProfileID: "mp-test",
		WebhookURL: e.rc.srv.URL + "/webhooks/telnyx", PublicKey: e.sim.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	e.cr = cr
	return e
}

// advance moves the clock and applies the transitions due.
func (e *env) advance(d time.Duration) {
	e.clock.Add(d)
	e.sim.Tick()
}

func profile() naive.SubjectProfile {
	return naive.SubjectProfile{
		LegalName: "Acme Robotics LLC", State: "DE", Website: "https://acme.example", Industry: "technology",
		Address: naive.Address{Line1: "1 Main St", City: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"},
		Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example", Phone: "+14155550123", Title: "CEO"},
	}
}

func campaignRequest() carrier.CampaignRequest {
	return carrier.CampaignRequest{
		Description:    "Order updates and support replies for Acme customers.",
		ConsentFlow:    "Customers opt in on the checkout page by ticking a box.",
		MessageSamples: []string{"Acme: your order shipped. Reply STOP to opt out.", "Acme: thanks for reaching out, how can we help?"},
		UseCases:       []string{"customer_care", "account_notification"}, Volume: "low",
		PrivacyPolicyURL: "https://acme.example/privacy", TermsURL: "https://acme.example/terms",
	}
}
