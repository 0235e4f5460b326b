// Package telnyxsim is a simulator of the part of the Telnyx API v2 that
// naive uses: the same paths (under /v2), bodies, status codes, error
// envelope ({"errors":[{"code","title","detail","source"}]}) and
// Ed25519-signed webhooks as Telnyx, for tests, test mode and local
// development. Mount it with httptest.NewServer and point a telnyx.Client
// at <server URL>/v2. New keeps its state in this process's memory; Open
// keeps it in a surgesim.Storage (the server's own database in test mode,
// shared with the Surge simulator: every record kind here starts with
// "telnyx."), shared by every simulator on it — other processes, and later
// starts of this one — with its clock-driven transitions and webhooks as
// Tasks the storage schedules durably (see durable.go). It exposes fault
// knobs (per process) and inspection helpers, and panics on any route it
// does not model so that a gap fails loudly in tests, unless
// Config.Standalone is set, when such a route gets a Telnyx-shaped 404
// naming it.
//
// Modelled: 10DLC brands (create, read, replace, list, delete, feedback,
// the sole proprietor's SMS OTP), campaigns (campaign builder, read, list
// by brand, edit, appeal, deactivate), phone number campaign assignments,
// the inventory of numbers for sale, number orders, phone numbers (list,
// read, update, delete, messaging settings), messages (send, read),
// message detail records, and webhooks: message.sent, message.finalized,
// message.received in Telnyx's envelope, and 10DLC campaign status
// updates as bare objects, each signed over "<timestamp>|<body>" with the
// simulator's key (see PublicKey).
//
// Magic values (sandbox conventions shared with surgesim, not Telnyx
// behaviour):
//   - brand ein "99-9999999" or "999999999": status REGISTRATION_FAILED,
//     with a TAX_ID feedback category naming ein.
//   - a campaign description (or, on appeal, the appeal reason) containing
//     "[sandbox:reject]": the review ends TELNYX_FAILED.
//   - area code "555": no inventory (an empty search; an order of such a
//     number fails).
//   - area code "500": an outage, 503 on every search and order.
//   - a text to a number whose last four digits are "0000": message.sent,
//     then message.finalized with delivery_failed and error 40012.
//   - the sole proprietor's OTP PIN "000000" (SandboxOTPPin): verifies a
//     SOLE_PROPRIETOR brand that was sent a PIN and is not verified yet,
//     as the PIN sent does.
//
// Reviews: a campaign is TCR_PENDING, then TCR_ACCEPTED after
// min(1s, ReviewDelay/2), then MNO_PROVISIONED (or TELNYX_FAILED) after
// ReviewDelay. Brands are decided at once (OK, or REGISTRATION_FAILED). A
// sole proprietor's brand stays UNVERIFIED until its OTP is verified (PUT
// .../smsOtp with the PIN, see BrandOTP, or SandboxOTPPin, or VerifyBrand).
//
// Messaging: a text is answered at once (queued); message.sent follows
// DeliveryDelay later and message.finalized another DeliveryDelay after
// that. A text from a local number that is not assigned to an active
// campaign is finalized delivery_failed (error 40008; Telnyx's own code
// for this is not documented where naive looked). Inbound texts are
// simulated with (*Server).Inbound or the sandbox-only route POST
// /sandbox/inbound, which is NOT a Telnyx route. STOP, STOPALL,
// UNSUBSCRIBE, CANCEL, END or QUIT opts the sender out of the messaging
// profile (later sends get 400 with error 40300) and START or UNSTOP opts
// it back in.
//
// Not modelled: brand vetting, toll-free verification, MMS media, number
// pools, messaging profiles as resources (any id is accepted), number
// limits, brand status webhooks.
package telnyxsim

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/naive-oss/naive/internal/simkit"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx"
)

// DefaultReviewDelay is how long a campaign review takes when Config.ReviewDelay is zero.
const DefaultReviewDelay = 20 * time.Second

// DefaultDeliveryDelay is Config.DeliveryDelay's default.
const DefaultDeliveryDelay = 500 * time.Millisecond

// maxBodyBytes bounds request bodies.
const maxBodyBytes = 1 << 20

// Config configures a Server; every field is optional.
type Config struct {
	// APIKey is the accepted bearer key; "" accepts any non-empty key.
	APIKey string
	// ReviewDelay is the time from a campaign's submission (or appeal) to its verdict; 0 means 20s.
	ReviewDelay time.Duration
	// DeliveryDelay is the time from a send to message.sent, and again to message.finalized; 0 means 500ms.
	DeliveryDelay time.Duration
	// OrderDelay keeps number orders pending this long; 0 decides them at once.
	OrderDelay time.Duration
	// Now is the clock for reviews, deliveries, timestamps and webhook signatures; nil means time.Now.
	Now func() time.Time
	// WebhookURL receives every event that names no webhook of its own (a
	// text's webhook_url, a campaign's webhookURL), as a signed POST,
	// asynchronously and in order; "" delivers only those.
	WebhookURL string
	// PrivateKey signs webhooks; nil generates one (see PublicKey).
	PrivateKey ed25519.PrivateKey
	// HTTPClient delivers webhooks; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// BeforeFunc, when set, sees every modelled request first and may answer it itself by returning handled.
	BeforeFunc func(r *http.Request) (status int, body []byte, handled bool)
	// Standalone answers an unmodelled route with a Telnyx-shaped 404
	// naming it instead of panicking (for a sandbox serving real clients).
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
	priv          ed25519.PrivateKey
	log           *slog.Logger
	hc            *http.Client
	mux           *http.ServeMux

	dice *simkit.Dice

	mu          sync.Mutex
	seq         int64
	counts      map[string]int
	brands      map[string]*brand
	campaigns   map[string]*campaign
	orders      map[string]*order
	numbers     map[string]*number // by id
	inUse       map[string]string  // E.164 → number id
	assignments map[string]*telnyx.NumberCampaign
	messages    map[string]*message
	optOuts     map[string]bool // profile (or number) + "|" + contact
	events      []event         // in sequence order
	eventAt     map[string]int  // event id → index in events
	outbox      []Delivery
	closed      bool

	// With a Storage (durable.go): the version of the state in memory,
	// whether a failed write left it unsure, and the objects touched and
	// tasks scheduled by the write under way (nil outside one).
	store   surgesim.Storage
	version int64
	stale   bool
	dirty   map[recKey]struct{}
	tasks   []surgesim.Task
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

// Delivery is one webhook the simulator emitted: where it goes (empty when
// nowhere), its type and its exact body.
type Delivery struct {
	URL  string
	Type string
	Body []byte
}

// event is an emitted webhook as the state keeps it: its id (its sequence
// number) and the URL it named itself (a text's webhook_url, a campaign's
// webhookURL; "" for Config.WebhookURL, which Delivery.URL resolves).
type event struct {
	seq int64
	id  string
	own string
	Delivery
}

// New returns a simulator for cfg whose state lives in this process's
// memory; call Close to stop its goroutines. Open keeps it in a Storage.
func New(cfg Config) *Server {
	s := newServer(cfg)
	if s.priv == nil {
		s.priv = newKey()
	}
	s.wg.Add(2)
	go s.tickLoop()
	go s.deliverLoop()
	return s
}

// newKey generates a webhook signing key.
func newKey() ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("telnyxsim: generate webhook key: %v", err))
	}
	return priv
}

// newServer is a simulator with an empty state and its routes, without a
// key unless cfg has one, and without goroutines.
func newServer(cfg Config) *Server {
	s := &Server{
		cfg:           cfg,
		now:           cfg.Now,
		reviewDelay:   cfg.ReviewDelay,
		deliveryDelay: cfg.DeliveryDelay,
		priv:          cfg.PrivateKey,
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

// resetStateLocked empties the state (not the settings, nor the key).
func (s *Server) resetStateLocked() {
	s.seq = 0
	s.brands = map[string]*brand{}
	s.campaigns = map[string]*campaign{}
	s.orders = map[string]*order{}
	s.numbers = map[string]*number{}
	s.inUse = map[string]string{}
	s.assignments = map[string]*telnyx.NumberCampaign{}
	s.messages = map[string]*message{}
	s.optOuts = map[string]bool{}
	s.events, s.eventAt = nil, map[string]int{}
	s.advanceDue, s.undelivered, s.drainScheduled = time.Time{}, map[string]bool{}, time.Time{}
}

// PublicKey is the base64 Ed25519 key webhooks verify with, as Telnyx's
// portal shows an account's (telnyx.CarrierConfig.PublicKey). With a
// Storage it is the storage's key (see Open), the same after a restart.
func (s *Server) PublicKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return base64.StdEncoding.EncodeToString(s.priv.Public().(ed25519.PublicKey))
}

// SignWebhook signs body with the simulator's webhook key at ts, as it
// signs its own webhooks, and returns the two signature headers: for tests
// that post Telnyx events of their own to a server verifying with
// PublicKey.
func (s *Server) SignWebhook(ts time.Time, body []byte) http.Header {
	s.mu.Lock()
	priv := s.priv
	s.mu.Unlock()
	return telnyx.SignWebhook(priv, ts, body)
}

// SetFaults replaces the fault knobs and reseeds the fault draws from f.Seed.
func (s *Server) SetFaults(f Faults) {
	s.dice.SetFaults(f)
}

// SetBeforeFunc replaces Config.BeforeFunc; nil removes the hook.
func (s *Server) SetBeforeFunc(f func(r *http.Request) (status int, body []byte, handled bool)) {
	s.dice.SetBefore(f)
}

// Close stops the clock and webhook delivery; undelivered webhooks are dropped.
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

// ServeHTTP serves a modelled route and panics on any other, or answers
// it with a 404 when Config.Standalone is set.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if !s.cfg.Standalone {
			panic(fmt.Sprintf("telnyxsim: unmodelled route %s %s", r.Method, r.URL.Path))
		}
		s.log.Warn("telnyxsim: unmodelled route", "method", r.Method, "path", r.URL.Path)
		writeError(w, &apiError{http.StatusNotFound, []telnyx.APIError{{Code: telnyx.CodeNotFound, Title: "Resource not found",
			Detail: "The sandbox does not model " + r.Method + " " + r.URL.Path + "."}}})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// handlerFunc acts on a request under the state lock and returns the status and body to send.
type handlerFunc func(r *http.Request, body []byte) (int, any, error)

// serve runs the shared pipeline: count, hook, faults, auth, body, action, answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	s.mu.Lock()
	s.counts[r.Pattern]++
	s.mu.Unlock()

	// Read the body first: net/http only notices a vanished client once the
	// body is consumed, which the hang faults depend on.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, badRequest("The request body could not be read."))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	f, fl, code, before := s.dice.Roll()
	if before != nil {
		if status, b, ok := before(r); ok {
			if len(b) > 0 {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = w.Write(b)
			return
		}
	}
	if f.Latency > 0 && !s.wait(r.Context(), f.Latency) {
		panic(http.ErrAbortHandler)
	}
	switch fl {
	case simkit.RateLimit:
		w.Header().Set("Retry-After", "1")
		writeError(w, &apiError{http.StatusTooManyRequests, []telnyx.APIError{{Code: telnyx.CodeTooManyRequests, Title: "Too many requests",
			Detail: "You have exceeded the maximum number of allowed requests."}}})
		return
	case simkit.Error:
		writeError(w, &apiError{code, []telnyx.APIError{{Code: telnyx.CodeUnexpected, Title: "Unexpected error", Detail: "An unexpected error occured."}}})
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
	s.kick()

	if fl == simkit.Lose {
		s.log.Info("telnyxsim: dropping response after acting", "method", r.Method, "path", r.URL.Path)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, v)
}

// wait sleeps d (for ever when negative) and reports whether it ran to
// the end, not cut short by ctx or the simulator's closing.
func (s *Server) wait(ctx context.Context, d time.Duration) bool { return simkit.Wait(ctx, s.done, d) }

func (s *Server) authenticate(r *http.Request) error {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" || (s.cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1) {
		return &apiError{http.StatusUnauthorized, []telnyx.APIError{{Code: telnyx.CodeAuthentication, Title: "Authentication failed",
			Detail: "The required authentication headers were either invalid or not included in the request."}}}
	}
	return nil
}

// apiError is a Telnyx error envelope with its HTTP status.
type apiError struct {
	status int
	errors []telnyx.APIError
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %v", e.status, e.errors) }

func one(status int, code, title, detail, pointer string) *apiError {
	x := telnyx.APIError{Code: code, Title: title, Detail: detail}
	x.Source.Pointer = pointer
	return &apiError{status, []telnyx.APIError{x}}
}

func badRequest(detail string) *apiError {
	return one(http.StatusBadRequest, telnyx.CodeBadRequest, "Bad Request", detail, "")
}

func notFound(what string) *apiError {
	return one(http.StatusNotFound, telnyx.CodeNotFound, "Resource not found", "The requested "+what+" could not be found.", "")
}

// missing collects required-parameter errors, one per field.
type missing []telnyx.APIError

func (m *missing) add(field, detail string) {
	x := telnyx.APIError{Code: telnyx.CodeMissingParameter, Title: "Missing required parameter", Detail: detail}
	x.Source.Pointer = "/" + field
	*m = append(*m, x)
}

func (m missing) err() error {
	if len(m) == 0 {
		return nil
	}
	return &apiError{http.StatusUnprocessableEntity, m}
}

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{http.StatusInternalServerError, []telnyx.APIError{{Code: telnyx.CodeUnexpected, Title: "Unexpected error", Detail: err.Error()}}}
	}
	writeJSON(w, e.status, map[string]any{"errors": e.errors})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("telnyxsim: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// act runs a handler on the state. In memory it runs under the lock after
// the transitions due by now. With a Storage, a GET reads what other
// simulators wrote first; anything else is a durable write, answered only
// once stored. A handler's loud failure (panic) never leaves the state
// locked.
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
			s.log.Error("telnyxsim: storage", "err", err)
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
		s.log.Error("telnyxsim: storage", "err", err)
		return 0, nil, errStorage
	}
	return status, v, herr
}

// decode reads a JSON body; unknown fields are ignored, as Telnyx does.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("The request body is empty.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("The request body is not valid JSON: " + err.Error())
	}
	return nil
}

// --- clock ---

// Tick applies every clock-driven transition due at Now (reviews, orders,
// deliveries); in memory a background ticker calls it too, and tests with a
// fake clock call it to fire webhooks deterministically. With a Storage it
// is a write that stores them (their webhooks wait for a TaskWebhook).
func (s *Server) Tick() {
	if s.store != nil {
		if err := s.write(context.Background(), nil); err != nil {
			s.log.Error("telnyxsim: storage", "err", err)
		}
		return
	}
	s.mu.Lock()
	s.advanceLocked(s.now())
	s.mu.Unlock()
	s.kick()
}

func (s *Server) tickLoop() {
	defer s.wg.Done()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.Tick()
		case <-s.done:
			return
		}
	}
}

// advanceLocked runs every transition due by now, in time order per object.
func (s *Server) advanceLocked(now time.Time) {
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		s.advanceCampaignLocked(c, now)
	}
	for _, o := range sortedBySeq(s.orders, func(o *order) int64 { return o.seq }) {
		s.advanceOrderLocked(o, now)
	}
	for _, m := range s.pendingMessagesLocked() {
		s.advanceMessageLocked(m, now)
	}
}

// pendingMessagesLocked returns the outbound texts not finalized yet, in
// order.
func (s *Server) pendingMessagesLocked() []*message {
	var out []*message
	for _, m := range s.messages {
		if m.Direction == "outbound" && m.stage < 2 {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *message) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// --- webhooks ---

// emitLocked records an event and queues its delivery to url (or
// Config.WebhookURL when url is ""). With a Storage the event is stored
// with the write under way and sent by a TaskWebhook, from whichever
// process runs it (to that process's Config.WebhookURL when url is "").
func (s *Server) emitLocked(url, typ string, body []byte) {
	seq := s.nextSeq()
	ev := event{seq: seq, id: eventID(seq), own: url, Delivery: Delivery{URL: cmp.Or(url, s.cfg.WebhookURL), Type: typ, Body: body}}
	s.addEventLocked(ev)
	if s.store != nil {
		s.touch(kindEvent, ev.id)
		if ev.URL != "" {
			s.queueWebhookLocked(ev.id, s.now())
		}
		return
	}
	if ev.URL != "" && !s.closed {
		s.outbox = append(s.outbox, ev.Delivery)
	}
}

// deliverTo is where this simulator sends a webhook addressed to u. The
// sandbox stands in for a carrier whose one customer is the server that
// runs it, so an event's own URL keeps its path and query but goes to the
// host of this simulator's Config.WebhookURL: a URL recorded by a process
// that has since restarted on another address still reaches the server
// (real Telnyx would keep calling the old address). A standalone
// simulator serves several servers, as Telnyx does: it calls each event's
// own URL.
func (s *Server) deliverTo(u string) string {
	if s.cfg.WebhookURL == "" || u == "" || s.cfg.Standalone {
		return u
	}
	base, err := url.Parse(s.cfg.WebhookURL)
	if err != nil {
		return u
	}
	own, err := url.Parse(u)
	if err != nil {
		return u
	}
	own.Scheme, own.Host = base.Scheme, base.Host
	return own.String()
}

// addEventLocked records an event in sequence order.
func (s *Server) addEventLocked(ev event) {
	i := len(s.events)
	for i > 0 && s.events[i-1].seq > ev.seq {
		i--
	}
	s.events = slices.Insert(s.events, i, ev)
	for j := i; j < len(s.events); j++ {
		s.eventAt[s.events[j].id] = j
	}
}

// envelopeLocked is a v2 event: {"data":{...},"meta":{...}}.
func (s *Server) envelopeLocked(typ string, at time.Time, payload any, url string) []byte {
	if url == "" {
		url = s.cfg.WebhookURL
	}
	b, err := json.Marshal(map[string]any{
		"data": map[string]any{"id": s.newID(), "event_type": typ, "occurred_at": at.UTC().Format(time.RFC3339Nano),
			"record_type": "event", "payload": payload},
		"meta": map[string]any{"attempt": 1, "delivered_to": url},
	})
	if err != nil {
		panic(fmt.Sprintf("telnyxsim: encode %s event: %v", typ, err))
	}
	return b
}

// kick wakes the delivery worker.
func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliverLoop posts queued events one at a time so the receiver sees them in order.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.outbox) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		d := s.outbox[0]
		s.outbox = s.outbox[1:]
		s.mu.Unlock()
		s.deliver(d)
	}
}

// Webhook delivery makes this many attempts per event, backing off from 100ms.
const deliveryAttempts = 5

func (s *Server) deliver(d Delivery) {
	for attempt := range deliveryAttempts {
		if attempt > 0 && !s.wait(s.ctx, 100*time.Millisecond<<(attempt-1)) {
			return
		}
		err := s.post(s.ctx, s.priv, d)
		if err == nil {
			return
		}
		s.log.Warn("telnyxsim: webhook delivery failed", "type", d.Type, "attempt", attempt+1, "err", err)
	}
	s.log.Error("telnyxsim: webhook dropped after retries", "type", d.Type)
}

// post sends one delivery signed with priv.
func (s *Server) post(ctx context.Context, priv ed25519.PrivateKey, d Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	for k, v := range telnyx.SignWebhook(priv, s.now(), d.Body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "telnyxsim")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// Events returns every webhook emitted so far, delivered or not.
func (s *Server) Events() []Delivery {
	s.lockInspected(false)
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.events))
	for i, ev := range s.events {
		out[i] = ev.Delivery
	}
	return out
}

// lockInspected locks the state for an inspection helper, readied: with a
// Storage it reads what other simulators wrote (a failure is logged: the
// helpers answer from memory); in memory, when advance, it runs the
// transitions due by now, as a request would.
func (s *Server) lockInspected(advance bool) {
	if s.store != nil {
		if err := s.lockSynced(context.Background()); err != nil {
			s.log.Error("telnyxsim: storage", "err", err)
		}
		return
	}
	s.mu.Lock()
	if advance {
		s.advanceLocked(s.now())
	}
}

// mutate runs fn on the state for a helper that changes it: in memory
// under the lock after the transitions due, with a Storage as a durable
// write. It returns fn's error, or the storage's.
func (s *Server) mutate(fn func() error) error {
	if s.store == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advanceLocked(s.now())
		return fn()
	}
	var err error
	if serr := s.write(context.Background(), func() { err = fn() }); serr != nil {
		return serr
	}
	return err
}

// RequestCount returns how many requests reached a route pattern, e.g.
// ("POST", "/v2/number_orders").
func (s *Server) RequestCount(method, pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+pattern]
}

// --- helpers ---

func (s *Server) nextSeq() int64 {
	s.touch(kindMeta, metaSeq)
	s.seq++
	return s.seq
}

// newID is a random UUID, the shape of Telnyx's ids.
func (s *Server) newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func sortedBySeq[T any](m map[string]T, seq func(T) int64) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int {
		switch x, y := seq(a), seq(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
