// Package app wires the server: it opens the store named by the database
// URL, mounts the sandbox carrier for test mode, seeds a first start, and
// serves the API until closed. `naive serve` and the end-to-end tests both
// start the program through Start.
package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/console"
	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/mcp"
	"github.com/naive-oss/naive/internal/metrics"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/store/postgres"
	"github.com/naive-oss/naive/internal/store/sqlite"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// Options configure a server. Zero values take the documented defaults.
type Options struct {
	// Addr to listen on (default 127.0.0.1:8080; ":0" picks a port).
	Addr string
	// DatabaseURL: "sqlite:path", a plain file path, or "postgres://…"
	// (default sqlite:./naive.db).
	DatabaseURL string
	// PhonePrice in credits (default 50).
	PhonePrice int64
	// SMSPrice in credits per outbound segment (default 1).
	SMSPrice int64
	// SandboxReviewDelay is how long test-mode campaign review takes (default 20s).
	SandboxReviewDelay time.Duration
	// FormationDelay is how long a test-mode LLC filing takes (default 3s).
	FormationDelay time.Duration
	// CarrierTimeout bounds one carrier request (default 30s).
	CarrierTimeout time.Duration
	// WebhookBackoff is the first wait between outgoing webhook attempts,
	// doubling up to an hour (default 10s).
	WebhookBackoff time.Duration
	// RateLimit is each caller's sustained requests per second (default
	// 100; negative: no limit), RateBurst how many at once (default 500).
	// On PostgreSQL the limit holds across every process on the database;
	// on SQLite it is per process.
	RateLimit float64
	RateBurst int
	// TrustForwardedFor takes a login's client address from the last
	// X-Forwarded-For entry: set it behind a reverse proxy (which sets
	// it), or every failed login counts against the proxy's address.
	TrustForwardedFor bool
	// ReadTimeout bounds reading one request, headers and body (default
	// 30s): a client sending its body a byte at a time is cut off.
	ReadTimeout time.Duration
	// ApprovalTTL is how long an approval waits for a human (default 72h).
	ApprovalTTL time.Duration
	// LiveWindow is how long this process counts as alive after its last
	// heartbeat (default 5s): a run it owned when it died is taken over
	// that long after (by a retry with the same Idempotency-Key, a human
	// approving again, or the background pass).
	LiveWindow time.Duration
	// PollInterval is how often open campaigns are checked (default 2s).
	// The check is a River periodic job: several processes on one database
	// run it once per interval between them, not once each.
	PollInterval time.Duration
	// SandboxURL, when set, is the base URL of a standalone Surge simulator
	// (`naive sandbox surge`) that test mode uses instead of the one the
	// server runs on its own database, so that several servers on
	// different databases share one test carrier. It must accept the API
	// key sk_sandbox. Without it, test mode's simulator keeps its state in
	// the server's database: a restart, and every process on the
	// database, serve the same test carrier.
	SandboxURL string
	// MetricsAddr, when set, is the address of a second listener serving
	// GET /metrics (Prometheus) and net/http/pprof (/debug/pprof/): off by
	// default, and never on Addr, the public port, since profiles reveal
	// the process's internals and cost CPU. Bind it to loopback or a
	// private network.
	MetricsAddr string
	// SandboxInMemory keeps the in-process simulator's state in this
	// process's memory instead (it ends with the process and is not shared
	// with other processes), for measurements of the server alone.
	SandboxInMemory bool
	// SandboxWebhookSecret verifies the webhooks of the standalone
	// simulator of SandboxURL (whsec_…); "" refuses them, and campaign
	// status is still read by polling.
	SandboxWebhookSecret string
	// Carrier for live mode: "" or "none" (live phone calls answer
	// not_configured), "surge", "telnyx", or both as "surge,telnyx" (the
	// first is the default; carriers.go).
	Carrier string
	// FallbackCarrier, one of Carrier's other than the default, takes a
	// subject's first number while the default carrier is down.
	FallbackCarrier string
	// TelnyxAPIKey, TelnyxBaseURL, TelnyxMessagingProfileID configure the
	// live Telnyx carrier; TelnyxPublicKey (base64 Ed25519) verifies its
	// webhooks; TelnyxWebhookURL is this server's public
	// POST /webhooks/telnyx, which texts carry so their status events
	// (and a lost send) can be matched.
	TelnyxAPIKey, TelnyxBaseURL, TelnyxMessagingProfileID, TelnyxPublicKey, TelnyxWebhookURL string
	// SandboxCarrier is test mode's default carrier, "surge" (the
	// default) or "telnyx"; SandboxFallback, the other one or "", its
	// fallback for first numbers.
	SandboxCarrier, SandboxFallback string
	// SandboxTelnyxURL, when set, is the address of a standalone Telnyx
	// simulator (`naive sandbox telnyx`) that test mode uses instead of the
	// one on the server's database, as SandboxURL is for Surge's; it must
	// accept the key KEY_sandbox. SandboxTelnyxPublicKey (base64 Ed25519,
	// printed by the sandbox) verifies its webhooks; "" refuses them, and
	// campaign status is still read by polling.
	SandboxTelnyxURL, SandboxTelnyxPublicKey string
	// SurgeAPIKey and SurgeBaseURL configure the live Surge carrier.
	SurgeAPIKey, SurgeBaseURL string
	// SurgeWebhookSecret verifies live carrier webhooks (whsec_…).
	SurgeWebhookSecret string
	// AdminEmail and AdminPassword set the first start's human admin.
	AdminEmail, AdminPassword string
	// Stdout receives the first-start banner (default io.Discard).
	Stdout io.Writer
	// Logger (default: discard).
	Logger *slog.Logger
	// Now is the service's clock (default time.Now), for tests that need
	// a given hour (quiet hours); background jobs keep real time.
	Now func() time.Time
}

// App is a running server.
type App struct {
	opts     Options
	store    store.Store
	svc      *service.Service
	sim      *surgesim.Server
	tsim     *telnyxsim.Server
	jobs     queue
	srv      *http.Server
	ln       net.Listener
	boot     *service.Bootstrapped
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	serveErr chan error
	// metrics are the instruments; metricsLn and metricsSrv the metrics
	// listener of Options.MetricsAddr (metrics.go).
	metrics    *metrics.Metrics
	metricsLn  net.Listener
	metricsSrv *http.Server
	// closeInbox stops the listener that wakes waits for texts, if any.
	closeInbox func()
}

// queue is River on the store's database (internal/jobs).
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	// SetSandbox makes the queue run the sandbox's tasks on r.
	SetSandbox(r jobs.SandboxRunner)
}

// OpenStore opens the store a database URL names.
func OpenStore(ctx context.Context, url string) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	case strings.Contains(url, "://"):
		return nil, fmt.Errorf("database URL %q: use sqlite:PATH, a file path, or postgres://", url)
	}
	return sqlite.Open(ctx, url)
}

func (o *Options) defaults() error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = "sqlite:./naive.db"
	}
	if o.SandboxReviewDelay == 0 {
		o.SandboxReviewDelay = 20 * time.Second
	}
	if o.CarrierTimeout == 0 {
		o.CarrierTimeout = 30 * time.Second
	}
	if o.RateLimit == 0 {
		o.RateLimit = 100
	}
	if o.RateBurst == 0 {
		o.RateBurst = 500
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := o.checkCarriers(); err != nil {
		return err
	}
	if o.PhonePrice < 0 {
		return errors.New("phone price must be positive")
	}
	return nil
}

// Start opens everything, seeds a first start and begins serving.
func Start(ctx context.Context, opts Options) (*App, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	// A first start hashes the admin's password while the databases
	// migrate; a restart drops the hash.
	hash := service.HashAhead(opts.AdminPassword)
	st, err := OpenStore(ctx, opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	a := &App{opts: opts, store: st, serveErr: make(chan error, 1)}
	ok := false
	defer func() {
		if !ok {
			a.closeResources()
		}
	}()

	// Listen first: the sandbox sends its signed webhooks to this server,
	// as Surge would.
	a.ln, err = net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	if err := a.openMetrics(); err != nil {
		return nil, err
	}
	live, err := a.openLiveCarriers()
	if err != nil {
		return nil, err
	}
	// Test mode's carriers are set below, once River is up: nothing calls
	// a carrier before the server serves (until then the set is empty).
	var sandboxSet atomic.Pointer[service.CarrierSet]
	sandboxSet.Store(&service.CarrierSet{})
	inbox := a.openInbox(st)
	a.svc, err = service.New(service.Config{
		Store:           st,
		Inbox:           inbox,
		PhonePrice:      opts.PhonePrice,
		SMSPrice:        opts.SMSPrice,
		FormationDelay:  opts.FormationDelay,
		TestReviewDelay: opts.SandboxReviewDelay,
		ApprovalTTL:     opts.ApprovalTTL,
		Encode:          api.EncodeOutcome,
		LiveWindow:      opts.LiveWindow,
		Logger:          opts.Logger,
		Now:             opts.Now,
		Carriers: func(m naive.Mode) service.CarrierSet {
			if m == naive.ModeTest {
				return *sandboxSet.Load()
			}
			return live
		},
	})
	if err != nil {
		return nil, err
	}
	bootstrap := a.svc.StartBootstrap(ctx, service.BootstrapConfig{AdminEmail: opts.AdminEmail, Hash: hash})
	// Background work: River on the store's own database, its tables
	// migrated here; from now on the store enqueues its rows' jobs.
	a.jobs, err = openJobs(ctx, st, jobs.Config{Service: a.svc, PollInterval: opts.PollInterval,
		FetchPollInterval: min(opts.PollInterval, time.Second), DeliveryBackoff: opts.WebhookBackoff, Logger: opts.Logger})
	boot, berr := bootstrap()
	if err != nil {
		return nil, err
	}
	if berr != nil {
		return nil, berr
	}
	a.boot = boot
	surgeSandbox, err := a.openSandbox(ctx)
	if err != nil {
		return nil, err
	}
	telnyxSandbox, err := a.openTelnyxSandbox(ctx)
	if err != nil {
		return nil, err
	}
	sandboxSet.Store(&service.CarrierSet{Default: opts.SandboxCarrier, Fallback: opts.SandboxFallback,
		ByName: map[string]carrier.Carrier{naive.CarrierSurge: surgeSandbox, naive.CarrierTelnyx: telnyxSandbox}})
	// The MCP endpoint runs the same tools as `naive mcp`, over the
	// in-process service, authenticating the bearer key on every request.
	mcpHandler := mcp.NewHTTPHandler(a.svc, opts.Logger)
	var sandbox http.Handler // nil, not a nil *surgesim.Server: nothing to mount
	if a.sim != nil {
		sandbox = a.sim
	}
	apiCfg := api.Config{Sandbox: sandbox, MCP: mcpHandler, RateLimit: opts.RateLimit, RateBurst: opts.RateBurst,
		TrustForwardedFor: opts.TrustForwardedFor}
	// The web console: humans log in and approve what agents asked for.
	apiCfg.Console = console.New(console.Config{Service: a.svc, Logger: opts.Logger, TrustForwardedFor: opts.TrustForwardedFor})
	// A text from a handset, to the sandbox that holds the number: the
	// one in this process or a standalone one.
	apiCfg.SandboxInbound = func(cr, to, from, body string) error {
		switch {
		case cr == naive.CarrierTelnyx && a.tsim != nil:
			_, err := a.tsim.Inbound(from, to, body)
			return err
		case cr == naive.CarrierTelnyx:
			return postInbound(strings.TrimSuffix(telnyxSandboxBase(opts.SandboxTelnyxURL), "/v2"), SandboxTelnyxKey,
				telnyxsim.InboundRequest{From: from, To: to, Text: body})
		case a.sim != nil:
			_, err := a.sim.Inbound(to, from, body)
			return err
		}
		return postInbound(opts.SandboxURL, "sk_sandbox", surgesim.InboundRequest{To: to, From: from, Body: body})
	}
	if apiCfg.SandboxInbound != nil {
		apiCfg.SandboxVerificationNumber = surgesim.VerificationNumber
	}
	deps := api.Deps{Service: a.svc, Auth: a.svc, Carrier: a.svc, Idempotency: a.svc, Ready: st, Phones: a.svc}
	if _, ok := st.(*postgres.DB); ok {
		// Several processes on one PostgreSQL share each caller's
		// limit; on SQLite (one host) each process keeps its own.
		deps.Rates = st
	}
	handler := api.NewServer(apiCfg, deps, opts.Logger)
	a.srv = &http.Server{Handler: a.metrics.HTTP(handler), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: opts.ReadTimeout, IdleTimeout: 2 * time.Minute}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	// This process owns the runs it executes while it heartbeats.
	if err := a.svc.RegisterProcess(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("register process: %w", err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.svc.Heartbeat(bg)
	}()
	if err := a.jobs.Start(bg); err != nil {
		cancel()
		return nil, err
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.serveErr <- a.srv.Serve(a.ln)
	}()
	a.serveMetrics()
	opts.Logger.Info("listening", "url", a.URL(), "database", redact(opts.DatabaseURL))
	if a.boot != nil {
		printBanner(opts.Stdout, a.URL(), a.boot)
	}
	fmt.Fprintf(opts.Stdout, "naive: listening on %s\n", a.URL())
	ok = true
	return a, nil
}

// URL is the server's base URL.
func (a *App) URL() string { return "http://" + a.ln.Addr().String() }

// Bootstrapped returns what the first start created, or nil if the
// database was seeded before.
func (a *App) Bootstrapped() *service.Bootstrapped { return a.boot }

// Sandbox returns the in-process Surge simulator of test mode, or nil
// when test mode uses a standalone one (Options.SandboxURL). Unless
// Options.SandboxInMemory, it is one of several simulators on the
// database (every process runs one): its fault knobs and before-func are
// this process's only.
func (a *App) Sandbox() *surgesim.Server { return a.sim }

// TelnyxSandbox returns the in-process Telnyx simulator of test mode, as
// Sandbox does the Surge one (nil when test mode has none).
func (a *App) TelnyxSandbox() *telnyxsim.Server { return a.tsim }

// Store returns the store, for tests that check invariants directly.
func (a *App) Store() store.Store { return a.store }

// Service returns the service.
func (a *App) Service() *service.Service { return a.svc }

// Wait blocks until the server stops on its own (an error) or ctx ends.
func (a *App) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-a.serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close shuts down gracefully: it stops accepting, lets requests in flight
// finish (up to 15s), stops background work, then closes the database.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Requests waiting for a text answer "nothing yet" now rather than
	// hold the shutdown; their clients ask another process.
	a.svc.StopWaiting()
	err := a.srv.Shutdown(ctx)
	a.closeMetrics()
	// Jobs still running get until the same deadline; one cut short runs
	// again later, here or in another process.
	if jerr := a.jobs.Stop(ctx); jerr != nil {
		a.opts.Logger.Warn("stop background jobs", "err", jerr)
	}
	a.cancel()
	a.wg.Wait()
	// Requests have finished: nothing this process owns is left running,
	// so its row can go (a run it could not finish is free at once). If
	// some did not finish in time, the row stays and goes stale: their
	// runs are taken over only once this process is surely gone.
	if err == nil {
		if uerr := a.svc.UnregisterProcess(ctx); uerr != nil {
			a.opts.Logger.Warn("unregister process", "err", uerr)
		}
	}
	a.closeResources()
	return err
}

func (a *App) closeResources() {
	if a.srv == nil && a.ln != nil {
		_ = a.ln.Close() // never served: Shutdown will not close it
	}
	if a.metricsSrv == nil {
		a.closeMetrics()
	}
	if a.sim != nil {
		a.sim.Close()
	}
	if a.tsim != nil {
		a.tsim.Close()
	}
	if a.closeInbox != nil {
		a.closeInbox()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}

// openSandbox sets up test mode's carrier: the Surge simulator on the
// store's database (or in memory, Options.SandboxInMemory) driven through
// the real Surge client, or a standalone one at Options.SandboxURL.
func (a *App) openSandbox(ctx context.Context) (carrier.Carrier, error) {
	opts := a.opts
	if opts.SandboxURL != "" {
		c := surge.NewClient(surge.Options{BaseURL: opts.SandboxURL, APIKey: "sk_sandbox",
			HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("test", opts.SandboxURL, nil), Timeout: opts.CarrierTimeout}})
		return surge.NewCarrier(c, opts.SandboxWebhookSecret), nil
	}
	cfg := surgesim.Config{APIKey: "sk_sandbox", ReviewDelay: opts.SandboxReviewDelay, Logger: opts.Logger,
		WebhookURL: a.URL() + "/webhooks/surge"}
	var err error
	if opts.SandboxInMemory {
		cfg.WebhookSecret = webhooksig.NewSecret()
		a.sim = surgesim.New(cfg)
	} else if a.sim, err = openSandbox(ctx, a.store, a.jobs, cfg); err != nil {
		return nil, err
	}
	c := surge.NewClient(surge.Options{BaseURL: "http://surge.sandbox", APIKey: "sk_sandbox",
		HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("test", "http://surge.sandbox", a.sim.Transport()), Timeout: opts.CarrierTimeout}})
	return surge.NewCarrier(c, a.sim.WebhookSecret()), nil
}

// openInbox returns the store's adapter of the service's inbox: on
// PostgreSQL one LISTEN connection of this process, closed with the app.
func (a *App) openInbox(st store.Store) service.Inbox {
	switch db := st.(type) {
	case *postgres.DB:
		in := postgres.NewInbox(db, a.opts.Logger)
		a.closeInbox = in.Close
		return in
	case *sqlite.DB:
		return sqlite.NewInbox()
	}
	return nil
}

// openJobs sets up River on the store's database and makes the store
// enqueue its rows' jobs through it. On SQLite River shares the store's
// one writer connection, so its writes queue with the store's.
func openJobs(ctx context.Context, st store.Store, cfg jobs.Config) (queue, error) {
	switch db := st.(type) {
	case *sqlite.DB:
		q, err := jobs.NewSQLite(ctx, db.Writer(), cfg)
		if err != nil {
			return nil, err
		}
		db.SetJobs(q)
		return q, nil
	case *postgres.DB:
		q, err := jobs.NewPostgres(ctx, db.Pool(), cfg)
		if err != nil {
			return nil, err
		}
		db.SetJobs(q)
		return q, nil
	}
	return nil, fmt.Errorf("no job queue for a %T store", st)
}

// RedactURL hides a database URL's password, for logs and banners.
func RedactURL(u string) string { return redact(u) }

// redact hides a database URL's password.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndex(u, "@"); at > i {
			if c := strings.Index(u[i+3:at], ":"); c >= 0 {
				return u[:i+3+c+1] + "***" + u[at:]
			}
		}
	}
	return u
}

// printBanner prints the first start's credentials, once, and what to do next.
func printBanner(w io.Writer, url string, b *service.Bootstrapped) {
	fmt.Fprintf(w, "naive: first start: created a demo operator with a default subject (formation completed) and %d test credits.\n\n", b.TestCredits)
	fmt.Fprintf(w, "Human admin (for approvals, keys, credits): %s\n", b.AdminEmail)
	if b.AdminPassword != "" {
		fmt.Fprintf(w, "Password (shown once; set NAIVE_ADMIN_PASSWORD to choose it):\n%s\n", b.AdminPassword)
	} else {
		fmt.Fprintf(w, "Password: the one in NAIVE_ADMIN_PASSWORD.\n")
	}
	fmt.Fprintf(w, "Web console (log in as the admin to approve what agents ask for): %s/console/\n", url)
	fmt.Fprintf(w, "\nTest API key (shown once; store it now):\n%s\n\n", b.TestKey)
	fmt.Fprintf(w, "Provision a number in test mode:\n\n")
	fmt.Fprintf(w, "curl -X POST %s/v1/phone/provision \\\n  -H \"Authorization: Bearer %s\" -H \"Content-Type: application/json\" \\\n  -d '{ \"ein\": \"12-3456789\", \"area_code\": \"415\", \"label\": \"Support\" }'\n\n", url, b.TestKey)
}

// postInbound asks a standalone sandbox to receive a text (its
// POST /sandbox/inbound extension), with its API key.
func postInbound(baseURL, key string, in any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(baseURL, "/")+"/sandbox/inbound", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 { // Surge's answers 201, Telnyx's 200
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("sandbox answered %d: %s", res.StatusCode, msg)
	}
	return nil
}
