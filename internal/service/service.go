// Package service holds the business rules. Every action goes through one
// guard (auth → subject → kit) that reads the caller, the subject and its
// kit once and hands them on; gated actions then pass the approval gate. An
// action that touches money, numbers or texts is a run of atomic phases
// with recovery points (run.go), and a direct call and an approved request
// run the very same phases; money moves only through the credits ledger.
package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Config configures a Service. Zero values take the documented defaults.
type Config struct {
	// Store is required.
	Store store.Store
	// Carrier returns the carrier for a mode: the sandbox simulator for
	// test, the configured carrier (or nil: not_configured) for live. Each
	// verifies its own webhooks.
	Carrier func(naive.Mode) carrier.Carrier
	// Carriers, when set, lists every carrier of a mode (CarrierSet); it
	// supersedes Carrier, which then names a mode's one carrier.
	Carriers func(naive.Mode) CarrierSet
	// WebhookClient posts outgoing webhooks (default: 10s timeout, no redirects).
	WebhookClient *http.Client
	// PhonePrice is the credits charged per number (default 50).
	PhonePrice int64
	// SMSPrice is the credits charged per outbound segment (default 1; a
	// negative value makes texts free).
	SMSPrice int64
	// FormationDelay is how long a simulated test-mode filing takes
	// (default 3s).
	FormationDelay time.Duration
	// ClaimStale is when another process's unfinished brand or campaign
	// registration is taken over (default 2m).
	ClaimStale time.Duration
	// ClaimWait bounds how long a request waits for another's registration
	// of the same brand (default 60s).
	ClaimWait time.Duration
	// TestReviewDelay is how long a test-mode toll-free verification takes
	// (default 20s); 10DLC review is the carrier's (the simulator's) own.
	TestReviewDelay time.Duration
	// ApprovalTTL is how long an approval waits for a human (default 72h).
	ApprovalTTL time.Duration
	// Encode renders an action's outcome as the response a retry with the
	// same Idempotency-Key replays (status and JSON body), as the REST
	// layer answers it (default: 200 or the error's status, with the
	// result's JSON or an error envelope).
	Encode func(action, requestID string, result any, err error) (status int, body []byte)
	// ProcessID names this process as the owner of the runs it executes
	// (default: a new UUID). Processes sharing a database need distinct ids.
	ProcessID string
	// LiveWindow is how long a process counts as alive after its last
	// heartbeat (default 5s); it beats five times per window. A run whose
	// owner stopped beating is taken over by a retry or the background
	// pass.
	LiveWindow time.Duration
	// PageFetcher fetches the company's pages for the campaign compliance
	// check (default: HTTP with the webhooks' address guard, 5s, 512 KiB,
	// a one-minute cache; compliance.go).
	PageFetcher PageFetcher
	// Inbox wakes requests waiting for a text (NextMessage): the store's
	// adapter (default: this process only, polling every second).
	Inbox Inbox
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Service implements the product's operations.
type Service struct {
	cfg   Config
	store store.Store
	log   *slog.Logger
	// callers keeps authenticated keys while their operator's config
	// version holds, phones the numbers read while its numbers version
	// holds (callers.go).
	callers memo[callerEntry]
	phones  memo[phoneEntry]
	// versionReads shares the reads of those versions (versions.go).
	versionReads versionReads
	// beat is when this process last heartbeat (UnixNano).
	beat atomic.Int64
	// inbox wakes waits for texts, which waits ends (wait.go).
	inbox Inbox
	waits waits
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("service: Config.Store is required")
	}
	if cfg.PhonePrice == 0 {
		cfg.PhonePrice = 50
	}
	if cfg.PhonePrice < 0 {
		return nil, errors.New("service: Config.PhonePrice must be positive")
	}
	if cfg.SMSPrice == 0 {
		cfg.SMSPrice = 1
	}
	if cfg.SMSPrice < 0 {
		cfg.SMSPrice = 0
	}
	if cfg.FormationDelay == 0 {
		cfg.FormationDelay = 3 * time.Second
	}
	if cfg.ClaimStale == 0 {
		cfg.ClaimStale = 2 * time.Minute
	}
	if cfg.ClaimWait == 0 {
		cfg.ClaimWait = 60 * time.Second
	}
	if cfg.TestReviewDelay == 0 {
		cfg.TestReviewDelay = 20 * time.Second
	}
	if cfg.ApprovalTTL == 0 {
		cfg.ApprovalTTL = 72 * time.Hour
	}
	if cfg.ApprovalTTL < 0 {
		return nil, errors.New("service: Config.ApprovalTTL must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Carrier == nil {
		cfg.Carrier = func(naive.Mode) carrier.Carrier { return nil }
	}
	if cfg.Encode == nil {
		cfg.Encode = defaultEncode
	}
	if cfg.ProcessID == "" {
		cfg.ProcessID = newID()
	}
	if cfg.LiveWindow == 0 {
		cfg.LiveWindow = 5 * time.Second
	}
	if cfg.LiveWindow < 50*time.Millisecond {
		return nil, errors.New("service: Config.LiveWindow must be at least 50ms")
	}
	if cfg.PageFetcher == nil {
		cfg.PageFetcher = newPageCache(httpPages{}, compliancePageCacheTTL)
	}
	if cfg.Inbox == nil {
		cfg.Inbox = store.NewHub(time.Second)
	}
	return &Service{cfg: cfg, store: cfg.Store, log: cfg.Logger, inbox: cfg.Inbox}, nil
}

// Actions, as named in approvals, kits and run records.
const (
	ActionPhoneProvision = naive.ActionPhoneProvision
	ActionPhoneRelease   = naive.ActionPhoneRelease
	ActionCreditsGrant   = naive.ActionCreditsGrant
)

// now is the one clock, at the stores' precision (microseconds), so an
// answer built from it equals the same answer built from stored rows.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (s *Service) principal(ctx context.Context) (naive.Principal, error) {
	p, ok := naive.PrincipalFrom(ctx)
	if !ok {
		return naive.Principal{}, errUnauthorized("Missing bearer token.")
	}
	return p, nil
}

func (s *Service) human(ctx context.Context, what string) (naive.Principal, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return p, err
	}
	if p.Kind != naive.PrincipalHuman {
		return p, errHumanOnly(what)
	}
	return p, nil
}

// subject resolves the subject a call acts on: the named one, else the
// caller's default subject.
func (s *Service) subject(ctx context.Context, p naive.Principal, id string) (*naive.Subject, error) {
	if id == "" {
		if p.DefaultSubject != nil {
			subj := *p.DefaultSubject // read with the credentials
			return &subj, nil
		}
		subj, err := s.store.GetDefaultSubject(ctx, p.Scope())
		if errors.Is(err, store.ErrNotFound) {
			return nil, naive.Errorf(naive.ENotFound, "This operator has no default subject in %s mode.", p.Mode).
				WithHint("Create one with POST /v1/subjects, or name a subject with the Naive-Subject header.")
		}
		return subj, err
	}
	if !validUUID(id) {
		return nil, naive.NotFound("subject", id)
	}
	subj, err := s.store.GetSubject(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("subject", id)
	}
	return subj, err
}

// guard runs the checks every action passes: the caller, the subject and
// the subject's kit for the action's primitive (a disabled primitive is
// forbidden). The approval gate comes after, in gate.
func (s *Service) guard(ctx context.Context, primitive, subjectID string) (naive.Principal, *naive.Subject, naive.PrimitiveConfig, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return p, nil, naive.PrimitiveConfig{}, err
	}
	subj, err := s.subject(ctx, p, subjectID)
	if err != nil {
		return p, nil, naive.PrimitiveConfig{}, err
	}
	cfg, err := s.primitiveConfig(ctx, p.Scope(), subj, primitive)
	if err != nil {
		return p, nil, cfg, err
	}
	return p, subj, cfg, checkEnabled(cfg, primitive)
}

// EncodeCursor turns a row id into an opaque cursor.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte("v1:" + id)) }

// DecodeCursor reverses EncodeCursor.
func DecodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "v1:") || !validUUID(string(b[3:])) {
		return "", naive.InvalidParam("cursor", "cursor is not one this API returned.").WithHint("Pass next_cursor from the previous page unchanged.")
	}
	return string(b[3:]), nil
}

// page turns a list's rows into a page, fetching limit+1 to know if more exist.
func page[T any](rows []T, limit int, id func(T) string) naive.List[T] {
	l := naive.List[T]{Data: rows}
	if len(rows) > limit {
		l.Data = rows[:limit]
		c := EncodeCursor(id(rows[limit-1]))
		l.NextCursor = &c
	}
	if l.Data == nil {
		l.Data = []T{}
	}
	return l
}

func pageOf(lp naive.ListParams) (naive.Page, int, error) {
	limit := lp.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return naive.Page{}, 0, naive.InvalidParam("limit", "limit must be between 1 and 200.")
	}
	pg := naive.Page{Limit: limit + 1}
	if lp.Cursor != "" {
		after, err := DecodeCursor(lp.Cursor)
		if err != nil {
			return pg, 0, err
		}
		pg.After = after
	}
	return pg, limit, nil
}

var _ naive.Service = (*Service)(nil)

// list runs one page of a list in the caller's scope: fetch gets the rows
// of a page (one more than asked, to know if another page exists).
func list[T any](ctx context.Context, s *Service, lp naive.ListParams, fetch func(naive.Principal, naive.Page) ([]T, error), id func(T) string) (*naive.List[T], error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := fetch(p, pg)
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, id)
	return &l, nil
}

// defaultEncode renders an outcome without the REST layer's statuses.
func defaultEncode(_, requestID string, result any, err error) (int, []byte) {
	if err != nil {
		e := naive.AsError(err)
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message,
			"param": e.Param, "hint": e.Hint, "request_id": requestID}})
		return naive.HTTPStatus(e.Code), body
	}
	body, _ := json.Marshal(result)
	return 200, body
}
