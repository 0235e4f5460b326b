// Package surgesim is a simulator of the Surge API: the same paths, bodies, status codes,
// error envelope and signed webhooks as api.surge.app, for tests, test mode and local
// development. New keeps its state in memory; Open keeps it in a Storage (the server's own
// database in test mode), shared by every simulator on it — other processes, and later starts
// of this one — with its clock-driven transitions and webhooks as Tasks the storage schedules
// durably. It exposes fault knobs (per process) and inspection helpers, and panics on any route
// it does not model so that a gap fails loudly in tests — unless Config.Standalone is set (a
// sandbox serving real clients), when such a route gets a Surge-shaped JSON error naming it.
// Mount it with httptest.NewServer, or in-process through (*Server).Transport.
//
// Archiving: DELETE /accounts/{id} archives an account as Surge documents it (its numbers are
// released, its campaigns deactivated, it is answered 200 with the Account); the simulator also
// answers POST /accounts/{id}/archive the same way. An archived account stays readable (every
// GET works, and Surge's Account object has no field saying it is archived: see
// (*Server).Archived), and every mutation of it or of its campaigns and contacts, archiving it
// again included, answers 410 account_archived.
//
// Magic values (sandbox conventions, not Surge behaviour):
//   - organization.identifier "99-9999999" or "999999999": account status "error" with an
//     ein_mismatch entry for organization.identifier.
//   - a campaign description containing "[sandbox:reject]": the review ends "rejected".
//   - area code "555": no inventory, 422 no_matching_numbers.
//   - area code "500": a carrier outage, 503 on every purchase.
//   - a message to a number whose last four digits are "0000" (e.g. +14155550000): message.sent,
//     then message.failed with failure_reason invalid_mobile_number; as on Surge the destination
//     is then flagged, so later sends to it fail (message.failed only) before reaching the carrier.
//
// Messaging: a sent message is answered at once (201); message.sent follows DeliveryDelay later
// and message.delivered (or message.failed) another DeliveryDelay after that. Inbound texts
// are simulated with (*Server).Inbound or the sandbox-only route POST /sandbox/inbound, which is
// NOT a Surge route. A body of STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT (trimmed, any
// case) opts the sender out (contact.opted_out; later sends to it get 422 opted_out) and START
// or UNSTOP opts it back in (contact.opted_in).
//
// Not modelled: the shared demo number and its 25-message cap (an account without numbers gets
// no_phone_number), link_size_limit, link shortening, blasts, audiences and attachment files
// (the att_ URLs handed out are not served).
package surgesim

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/naive-oss/naive/internal/simkit"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// DefaultReviewDelay is how long a campaign takes to become active when Config.ReviewDelay is zero.
const DefaultReviewDelay = 20 * time.Second

// DefaultDeliveryDelay is Config.DeliveryDelay's default.
const DefaultDeliveryDelay = 500 * time.Millisecond

// maxBodyBytes bounds request bodies.
const maxBodyBytes = 1 << 20

// Config configures a Server; every field is optional.
type Config struct {
	// APIKey is the accepted bearer key; "" accepts any non-empty key.
	APIKey string
	// ReviewDelay is the time from campaign creation to approval (or rejection); 0 means 20s.
	// A campaign shows "in_review" after min(1s, ReviewDelay/2).
	ReviewDelay time.Duration
	// DeliveryDelay is the time from accepting a message (or its send_at) to message.sent, and
	// again from message.sent to message.delivered or message.failed; 0 means 500ms.
	DeliveryDelay time.Duration
	// Now is the clock for reviews, deliveries, ids, event timestamps and webhook-timestamp headers; nil means time.Now.
	Now func() time.Time
	// WebhookURL, when set, receives every event as a signed POST, asynchronously and in order.
	WebhookURL string
	// WebhookSecret signs webhooks ("whsec_…"); "" with a WebhookURL generates one, see (*Server).WebhookSecret.
	WebhookSecret string
	// HTTPClient delivers webhooks; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// NumberLimit caps phone numbers per account (a plan limit, 422 phone_number_limit); 0 means unlimited.
	NumberLimit int
	// BeforeFunc, when set, sees every modelled request first and may answer it itself by returning handled.
	BeforeFunc func(r *http.Request) (status int, body []byte, handled bool)
	// Storage, when set, keeps the state durable and shared with every simulator on it (see
	// Open, which it requires); nil keeps it in this process's memory (New).
	Storage Storage
	// Standalone answers a route the simulator does not model with a Surge-shaped JSON error
	// naming the route instead of panicking: 404 not_found for an unknown path, 501
	// not_implemented (with an Allow header) for a known path with an unmodelled method. Set
	// it where the simulator serves clients other than tests (the standalone sandbox); the
	// default, false, panics so that a gap fails a test loudly.
	Standalone bool
}

// Faults makes the simulator misbehave on a random share of requests (see
// simkit.Faults).
type Faults = simkit.Faults

// Server is the simulator; it implements http.Handler and is safe for concurrent use.
type Server struct {
	cfg           Config
	now           func() time.Time
	reviewDelay   time.Duration
	deliveryDelay time.Duration
	log           *slog.Logger
	hc            *http.Client
	mux           *http.ServeMux

	dice *simkit.Dice

	mu        sync.Mutex
	seq       int64
	accounts  map[string]*account
	campaigns map[string]*campaign
	numbers   map[string]*number
	inUse     map[string]bool // E.164 numbers currently owned
	counts    map[string]int
	msgs      msgState
	events    []surge.Event
	eventSeq  []int64        // events[i]'s sequence number
	eventAt   map[string]int // event id → index in events
	outbox    []surge.Event
	tickerOn  bool
	workerOn  bool
	closed    bool

	// With a Storage (durable.go): the version of the state in memory,
	// whether a failed write left it unsure, and the objects touched and
	// tasks scheduled by the write under way (nil outside one).
	store   Storage
	version int64
	stale   bool
	dirty   map[recKey]struct{}
	tasks   []Task
	// advanceDue is when the earliest TaskAdvance scheduled is due (zero:
	// none); undelivered are the events a webhook drain has still to send,
	// and drainScheduled when the last drain was scheduled.
	advanceDue     time.Time
	undelivered    map[string]bool
	drainScheduled time.Time

	wake      chan struct{}
	done      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type account struct {
	seq      int64
	archived bool // DELETE /accounts/{id}: final, and not on the wire
	// A sole proprietor's verification (verification.go): "", pending or
	// verified; how many verification texts were sent, the last when.
	verification string
	otpSends     int
	otpSentAt    time.Time
	surge.Account
}

type campaign struct {
	seq       int64
	accountID string
	created   time.Time
	delay     time.Duration // the review's length, as configured when it began
	override  string        // pinned status from SetCampaignStatus
	reject    bool          // description carries the [sandbox:reject] token
	activated bool          // activation side effects have run
	surge.Campaign
}

type number struct {
	seq       int64
	accountID string
	surge.PhoneNumber
}

// New returns a simulator for cfg whose state lives in this process's memory; call Close to
// stop its background goroutines. A Storage needs Open instead.
func New(cfg Config) *Server {
	if cfg.Storage != nil {
		panic("surgesim: New keeps the state in memory; use Open with a Storage")
	}
	s := newServer(cfg)
	if s.cfg.WebhookURL != "" && s.cfg.WebhookSecret == "" {
		s.cfg.WebhookSecret = webhooksig.NewSecret()
	}
	return s
}

// newServer is a simulator with an empty state and its routes.
func newServer(cfg Config) *Server {
	s := &Server{
		cfg:           cfg,
		now:           cfg.Now,
		reviewDelay:   cfg.ReviewDelay,
		deliveryDelay: cfg.DeliveryDelay,
		log:           cfg.Logger,
		hc:            cfg.HTTPClient,
		mux:           http.NewServeMux(),
		dice:          simkit.NewDice(cfg.BeforeFunc),
		counts:        map[string]int{},
		wake:          make(chan struct{}, 1),
		done:          make(chan struct{}),
	}
	s.resetStateLocked()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.now == nil {
		s.now = time.Now
	}
	if s.reviewDelay <= 0 {
		s.reviewDelay = DefaultReviewDelay
	}
	if s.deliveryDelay <= 0 {
		s.deliveryDelay = DefaultDeliveryDelay
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	s.routes()
	return s
}

// resetStateLocked empties the state (not the settings).
func (s *Server) resetStateLocked() {
	s.seq = 0
	s.accounts = map[string]*account{}
	s.campaigns = map[string]*campaign{}
	s.numbers = map[string]*number{}
	s.inUse = map[string]bool{}
	s.msgs = newMsgState()
	s.events, s.eventSeq, s.eventAt = nil, nil, map[string]int{}
	s.advanceDue, s.undelivered, s.drainScheduled = time.Time{}, map[string]bool{}, time.Time{}
}

// WebhookSecret returns the secret webhooks are signed with.
func (s *Server) WebhookSecret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.WebhookSecret
}

// SetFaults replaces the fault knobs and reseeds the fault draws from f.Seed.
func (s *Server) SetFaults(f Faults) {
	s.dice.SetFaults(f)
}

// SetBeforeFunc replaces Config.BeforeFunc; nil removes the hook.
func (s *Server) SetBeforeFunc(f func(r *http.Request) (status int, body []byte, handled bool)) {
	s.dice.SetBefore(f)
}

// Close stops the review/delivery ticker and webhook delivery; undelivered webhooks are dropped.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		s.cancel()
		s.wg.Wait()
	})
}

// ServeHTTP serves a modelled route and panics on any other, or answers it with an error
// when Config.Standalone is set.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if !s.cfg.Standalone {
			panic(fmt.Sprintf("surgesim: unmodelled route %s %s", r.Method, r.URL.Path))
		}
		s.unmodelled(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// probeMethods are the methods tried to tell a known path from an unknown one.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unmodelled answers a route the simulator does not model (Standalone): 501 not_implemented
// when the path is modelled for other methods, 404 not_found otherwise, in Surge's error
// envelope. Surge documents no not_implemented type; the envelope is Surge's.
func (s *Server) unmodelled(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	var allowed []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	s.log.Warn("surgesim: unmodelled route", "route", route, "allowed", allowed)
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, &apiError{http.StatusNotImplemented, "not_implemented",
			"The sandbox does not model " + route + "; it models " + strings.Join(allowed, ", ") + " on this path.", nil})
		return
	}
	writeError(w, &apiError{http.StatusNotFound, "not_found",
		"The requested resource could not be found: the sandbox does not model " + route + ".", nil})
}

// handlerFunc acts on a request under the state lock and returns the status and body to send.
type handlerFunc func(r *http.Request, body []byte) (int, any, error)

// serve runs the shared pipeline: count, hook, faults, auth, body, action, answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	s.mu.Lock()
	s.counts[r.Pattern]++
	s.mu.Unlock()

	// Read the body first: net/http only notices a vanished client (and cancels the request
	// context) once the body is consumed, which the hang faults depend on.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, badRequest("The request body could not be read."))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	f, fl, code, before := s.dice.Roll()
	if before != nil {
		if status, body, ok := before(r); ok {
			if len(body) > 0 {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
	}
	if f.Latency > 0 && !s.wait(r.Context(), f.Latency) {
		panic(http.ErrAbortHandler) // the caller left or the simulator closed: no answer at all
	}
	switch fl {
	case simkit.RateLimit:
		w.Header().Set("Retry-After", "1")
		writeError(w, &apiError{http.StatusTooManyRequests, "rate_limited", "Too many requests. Retry after the delay in Retry-After.", nil})
		return
	case simkit.Error:
		writeError(w, &apiError{code, "server_error", "An unexpected error occurred. Please try again.", nil})
		return
	case simkit.Timeout:
		s.wait(r.Context(), -1)
		panic(http.ErrAbortHandler)
	}
	if err := s.authenticate(r); err != nil {
		writeError(w, err)
		return
	}

	status, v, err := s.act(r, func() (int, any, error) { return h(r, body) })

	if fl == simkit.Lose {
		s.log.Info("surgesim: dropping response after acting", "method", r.Method, "path", r.URL.Path)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, v)
}

// act runs a handler on the state. In memory it runs under the lock after
// the transitions due by now. With a Storage, a GET reads what other
// simulators wrote first; anything else is a durable write (writeLocked),
// answered only once stored.
func (s *Server) act(r *http.Request, h func() (int, any, error)) (int, any, error) {
	if s.store == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advanceLocked(s.now())
		return h()
	}
	if r.Method == http.MethodGet {
		err := s.lockSynced(r.Context())
		defer s.mu.Unlock()
		if err != nil {
			s.log.Error("surgesim: storage", "err", err)
			return 0, nil, errStorage
		}
		return h()
	}
	var (
		status int
		v      any
		herr   error
	)
	if err := s.write(r.Context(), func() { status, v, herr = h() }); err != nil {
		s.log.Error("surgesim: storage", "err", err)
		return 0, nil, errStorage
	}
	return status, v, herr
}

// wait sleeps d (for ever when negative) and reports whether it ran to
// the end, not cut short by ctx or the simulator's closing.
func (s *Server) wait(ctx context.Context, d time.Duration) bool { return simkit.Wait(ctx, s.done, d) }

func (s *Server) authenticate(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiError{http.StatusUnauthorized, "missing_api_key", "No API key was provided. Send it as Authorization: Bearer <key>.", nil}
	}
	var key string
	if k, ok := strings.CutPrefix(h, "Bearer "); ok {
		key = strings.TrimSpace(k)
	} else if u, _, ok := r.BasicAuth(); ok {
		key = u
	}
	if key == "" || (s.cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1) {
		return &apiError{http.StatusUnauthorized, "invalid_api_key", "The API key provided is invalid.", nil}
	}
	return nil
}

// apiError is a Surge error envelope with its HTTP status.
type apiError struct {
	status  int
	typ     string
	message string
	detail  map[string][]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.message) }

func badRequest(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "bad_request", msg, nil}
}

func notFound() *apiError {
	return &apiError{http.StatusNotFound, "not_found", "The requested resource could not be found.", nil}
}

func accountNotFound() *apiError {
	return &apiError{http.StatusNotFound, "account_not_found", "The account could not be found.", nil}
}

func accountArchived(id string) *apiError {
	return &apiError{http.StatusGone, "account_archived", "The account " + id + " is archived and can't be changed.", nil}
}

func validation(detail map[string][]string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, "validation_error", "The request has invalid parameters.", detail}
}

func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{http.StatusInternalServerError, "server_error", "An unexpected error occurred.", nil}
	}
	type body struct {
		Type    string              `json:"type"`
		Message string              `json:"message"`
		Detail  map[string][]string `json:"detail,omitempty"`
	}
	writeJSON(w, e.status, struct {
		Error body `json:"error"`
	}{body{e.typ, e.message, e.detail}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("surgesim: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Tick applies every clock-driven transition due at Now (campaign reviews, message deliveries);
// a background ticker calls it too, and tests with a fake clock may call it to fire webhooks
// deterministically.
func (s *Server) Tick() {
	if s.store != nil {
		if err := s.write(context.Background(), nil); err != nil {
			s.log.Error("surgesim: storage", "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.now())
}

// SetCampaignStatus pins a campaign's status (approve or reject now); clock-driven transitions stop for it.
func (s *Server) SetCampaignStatus(id, status string) error {
	if !slices.Contains(campaignStatuses, status) {
		return fmt.Errorf("surgesim: unknown campaign status %q", status)
	}
	pin := func() error {
		c, ok := s.campaigns[id]
		if !ok {
			return fmt.Errorf("surgesim: no campaign %q", id)
		}
		c.override = status
		s.touch(kindCampaign, id)
		s.advanceLocked(s.now())
		return nil
	}
	if s.store == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return pin()
	}
	var err error
	if serr := s.write(context.Background(), func() { err = pin() }); serr != nil {
		return serr
	}
	return err
}

// lockInspected locks the state for an inspection helper, readied: with a
// Storage it reads what other simulators wrote (a failure is logged: the
// helpers answer from memory); in memory, when advance, it runs the
// transitions due by now, as a request would.
func (s *Server) lockInspected(advance bool) {
	if s.store != nil {
		if err := s.lockSynced(context.Background()); err != nil {
			s.log.Error("surgesim: storage", "err", err)
		}
		return
	}
	s.mu.Lock()
	if advance {
		s.advanceLocked(s.now())
	}
}

// RequestCount returns how many requests reached a route, e.g. ("POST", "/accounts/{account_id}/phone_numbers").
func (s *Server) RequestCount(method, pathPattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+pathPattern]
}

// Accounts returns every account in creation order.
func (s *Server) Accounts() []surge.Account {
	s.lockInspected(false)
	defer s.mu.Unlock()
	out := []surge.Account{}
	for _, a := range sortedBySeq(s.accounts, func(a *account) int64 { return a.seq }) {
		out = append(out, a.Account)
	}
	return out
}

// Archived reports whether the account was archived (DELETE /accounts/{id}), which Surge's
// Account object does not show.
func (s *Server) Archived(accountID string) bool {
	s.lockInspected(false)
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	return ok && a.archived
}

// Campaigns returns every campaign in creation order, with its status as of Now.
func (s *Server) Campaigns() []surge.Campaign {
	s.lockInspected(true)
	defer s.mu.Unlock()
	now := s.now()
	out := []surge.Campaign{}
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		out = append(out, s.renderCampaign(c, now))
	}
	return out
}

// Numbers returns the phone numbers an account owns, in purchase order.
func (s *Server) Numbers(accountID string) []surge.PhoneNumber {
	s.lockInspected(false)
	defer s.mu.Unlock()
	out := []surge.PhoneNumber{}
	for _, n := range s.accountNumbersLocked(accountID) {
		out = append(out, n.PhoneNumber)
	}
	return out
}

// AllNumbers returns every owned phone number across accounts, in purchase order.
func (s *Server) AllNumbers() []surge.PhoneNumber {
	s.lockInspected(false)
	defer s.mu.Unlock()
	out := []surge.PhoneNumber{}
	for _, n := range sortedBySeq(s.numbers, func(n *number) int64 { return n.seq }) {
		out = append(out, n.PhoneNumber)
	}
	return out
}

// Events returns every webhook event emitted so far, whether or not a WebhookURL is set.
func (s *Server) Events() []surge.Event {
	s.lockInspected(false)
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func (s *Server) accountNumbersLocked(accountID string) []*number {
	var out []*number
	for _, n := range sortedBySeq(s.numbers, func(n *number) int64 { return n.seq }) {
		if n.accountID == accountID {
			out = append(out, n)
		}
	}
	return out
}

func sortedBySeq[T any](m map[string]T, seq func(T) int64) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(seq(a), seq(b)) })
	return out
}

func (s *Server) nextSeq() int64 {
	s.touch(kindMeta, metaSeq)
	s.seq++
	return s.seq
}
