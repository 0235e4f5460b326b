package naive

import (
	"context"
	"errors"
)

// Idempotency is a request's Idempotency-Key as an action sees it. The
// REST layer looks the key up (replaying a finished response, refusing a
// different request, waiting for a live duplicate) and hands the rest on
// in the context; an action that changes money, numbers or texts records
// its run under the key in the same transactions as its own phases and
// stores the response in the last one, so that a retry — on any process,
// after any crash — resumes the run or answers its outcome.
type Idempotency struct {
	// Key is the client's Idempotency-Key.
	Key string
	// RequestHash identifies the request the key was first used with.
	RequestHash string
	// Method and Path are the request's.
	Method, Path string
	// Resume is set when an earlier run under the key died unfinished and
	// this request took its record over: the action resumes it.
	Resume bool
	// RequestID is the request's id, for the error envelope stored under
	// the key.
	RequestID string
	// Owned is set by the action while it holds the key's record; Stored
	// once the response is in it. A request that ends owning a record it
	// did not store releases it, so a retry can take it over at once.
	Owned, Stored bool
}

type idempotencyKey struct{}

// WithIdempotency returns ctx carrying k.
func WithIdempotency(ctx context.Context, k *Idempotency) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, k)
}

// IdempotencyFrom returns the key of ctx, or nil.
func IdempotencyFrom(ctx context.Context) *Idempotency {
	k, _ := ctx.Value(idempotencyKey{}).(*Idempotency)
	return k
}

// ErrKeyBusy is returned by an action that found its Idempotency-Key taken
// by a concurrent request between the REST layer's look-up and its first
// phase: nothing was done; look the key up again.
var ErrKeyBusy = errors.New("naive: idempotency key taken by a concurrent request")

// Actions that run in phases recording their progress under a key, as
// named in approvals, kits and run records.
const (
	ActionPhoneProvision = "phone.provision"
	ActionPhoneRelease   = "phone.release"
	ActionSMSSend        = "sms.send"
	ActionCreditsGrant   = "credits.grant"
)
