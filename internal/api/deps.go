package api

import (
	"context"
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Deps are what the API acts through: the contract every front door
// shares, and the few things only an HTTP server needs besides. In the
// program (internal/app) the in-process service and the store provide them.
type Deps struct {
	// Service runs every operation the routes expose.
	Service naive.Service
	// Auth turns a request's credentials into its caller.
	Auth Authenticator
	// Carrier receives the carrier's webhooks (POST /webhooks/surge).
	Carrier CarrierWebhookReceiver
	// Idempotency keeps the Idempotency-Key records.
	Idempotency IdempotencyStore
	// Ready answers GET /readyz.
	Ready Pinger
	// Phones finds the number a sandbox text is sent to (POST /v1/sandbox/sms).
	Phones PhoneFinder
	// Rates, when set, keeps the request rate limit's buckets in the
	// database, so several processes share one limit per caller.
	Rates RateTokens
}

// Authenticator resolves the bearer token of a request to its caller.
type Authenticator interface {
	// Authenticate returns the principal token stands for. mode is the
	// Naive-Mode header ("" when absent): humans choose the mode they act
	// in, keys carry theirs and a header that disagrees is refused.
	// Errors: unauthorized, invalid_input (Naive-Mode).
	Authenticate(ctx context.Context, token, mode string) (naive.Principal, error)
}

// CarrierWebhookReceiver takes the carrier's signed webhook deliveries.
type CarrierWebhookReceiver interface {
	// HandleCarrierWebhook verifies the delivery's signature over body
	// (its headers h) and applies the event, at most once per event.
	// Errors: unauthorized (missing, bad or stale signature),
	// invalid_input (not a carrier event).
	HandleCarrierWebhook(ctx context.Context, h http.Header, body []byte) error
	// HandleCarrierWebhookFrom is HandleCarrierWebhook for one named
	// carrier (POST /webhooks/surge, /webhooks/telnyx).
	HandleCarrierWebhookFrom(ctx context.Context, carrier string, h http.Header, body []byte) error
}

// IdempotencyStore keeps one record per (caller, Idempotency-Key) in the
// database: the run the key started (its recovery point, the process that
// owns it) and, once finished, its response.
type IdempotencyStore interface {
	// LookupKey returns the key's record (OwnerAlive says whether the
	// process running it still beats), or nil.
	LookupKey(ctx context.Context, p naive.Principal, key string) (*store.IdempotencyRecord, error)
	// BeginKey records the key for a plain request, held by this process;
	// false when it is taken.
	BeginKey(ctx context.Context, p naive.Principal, k *naive.Idempotency) (*store.IdempotencyRecord, bool, error)
	// TakeOverKey takes an unfinished record whose run's process died (or
	// that no one holds) for this process; false when another took it.
	TakeOverKey(ctx context.Context, rec *store.IdempotencyRecord) (bool, error)
	// CompleteKey stores a plain request's response on its record.
	CompleteKey(ctx context.Context, rec *store.IdempotencyRecord, status int, body []byte) error
	// AbortKey forgets a plain request's record, so a retry runs afresh.
	AbortKey(ctx context.Context, rec *store.IdempotencyRecord) error
	// ReleaseKey unlocks a phased run's record this process holds, so a
	// retry takes it over at once and resumes it.
	ReleaseKey(ctx context.Context, p naive.Principal, key string) error
}

// Pinger reports whether the server's database answers.
type Pinger interface {
	// Ping returns nil when the database is reachable.
	Ping(ctx context.Context) error
}

// PhoneFinder finds one of the caller's numbers by the number itself.
type PhoneFinder interface {
	// GetPhoneByNumber returns the caller's active number e164.
	// Errors: invalid_input (not E.164), not_found.
	GetPhoneByNumber(ctx context.Context, e164 string) (*naive.Phone, error)
	// AwaitingVerification checks that the caller has a sole proprietor's
	// brand awaiting a verification reply from contactPhone (the
	// sandbox's verification number takes replies only then).
	// Errors: not_found.
	AwaitingVerification(ctx context.Context, contactPhone string) error
}
