package api

import (
	"context"
	"net/http"
	"time"

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
}

// IdempotencyStore keeps one record per (caller, Idempotency-Key): taken
// while the first request runs, then holding its response for replay.
type IdempotencyStore interface {
	// BeginIdempotent takes rec's key in state in-progress, replacing a
	// record older than expiredBefore, and returns nil; if the key is
	// taken it returns the record that holds it.
	BeginIdempotent(ctx context.Context, rec *store.IdempotencyRecord, expiredBefore time.Time) (existing *store.IdempotencyRecord, err error)
	// CompleteIdempotent stores the response of the key rec took.
	// Errors: store.ErrNotFound (the key is no longer rec's).
	CompleteIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error
	// AbortIdempotent gives up the key rec took, so a retry runs again.
	AbortIdempotent(ctx context.Context, rec *store.IdempotencyRecord) error
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
}
