// Package store defines the persistence contract. Each backend (sqlite,
// postgres) implements Store with its own SQL and identically numbered
// migrations, and must pass the storetest conformance suite. Every method is
// atomic on its own: the data invariants (balance ≥ 0, one execution
// per idempotency key, one claim per registration) are kept inside the store,
// not by callers holding transactions open across carrier calls.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/naive"
)

// Sentinel errors returned by stores; the service maps them to naive errors.
var (
	// ErrNotFound: no row in the given scope.
	ErrNotFound = errors.New("store: not found")
	// ErrInsufficientCredits: a debit would take the balance below zero.
	ErrInsufficientCredits = errors.New("store: insufficient credits")
	// ErrConflict: a uniqueness rule or a state precondition failed.
	ErrConflict = errors.New("store: conflict")
	// ErrKeyExists: a phase that creates a key record found the key taken
	// (by a concurrent request, or by a record younger than KeyTTL);
	// nothing of the phase was stored.
	ErrKeyExists = errors.New("store: idempotency key exists")
	// ErrLockLost: the run's record (key or approval) is not held by the
	// process writing the phase; nothing of the phase was stored.
	ErrLockLost = errors.New("store: run record not held")
	// ErrContentChanged: the subject's campaign content is no longer the
	// one a resubmission was planned on (ResubmitCampaign); nothing was
	// stored.
	ErrContentChanged = errors.New("store: campaign content changed")
)

// Versions are an operator's counters. Each moves in the same transaction
// as the changes it covers, whichever statement makes them, and is 0
// before the first: what was read at one value is still true while the
// counter has not moved.
type Versions struct {
	// Config moves with every change to the operator's API keys, subjects
	// or Account Kits.
	Config int64
	// Numbers moves with every change to one of its phones (once
	// reserved) or campaigns.
	Numbers int64
}

// Store is the persistence contract.
//
// A store makes up no id and no time: every id a method inserts (the
// rows' ID fields, those of the events and ledger entries passed along)
// and every time it stores (CreatedAt, UpdatedAt, ClaimedAt, ReceivedAt,
// an attempt's At, an at argument) comes from the caller, whose clock is
// the service's one clock. A write missing one stores nothing and returns
// an error naming it, not one of the sentinels. Stores normalise times to
// UTC microseconds and write the stored values back into their arguments.
type Store interface {
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	// Seed stores everything of a first start in one transaction, only if
	// the database has no operator yet. It reports whether it seeded; when
	// several processes start at once exactly one seeds.
	Seed(ctx context.Context, s *SeedData) (bool, error)

	// RegisterProcess records a starting process with heartbeat at (or
	// refreshes it) and deletes processes whose heartbeat is older than
	// pruneBefore. A run record (key or approval) is owned by a process;
	// its owner is alive while its heartbeat is recent.
	RegisterProcess(ctx context.Context, id string, at, pruneBefore time.Time) error
	// Heartbeat sets a process's heartbeat. Errors: ErrNotFound (its row
	// was pruned: register again).
	Heartbeat(ctx context.Context, id string, at time.Time) error
	// UnregisterProcess deletes a stopping process's row, so any run it
	// left is free to take over at once.
	UnregisterProcess(ctx context.Context, id string) error

	// Seeded reports whether the database holds an operator (a first start
	// seeded it).
	Seeded(ctx context.Context) (bool, error)
	// GetOperator returns an operator. Errors: ErrNotFound.
	GetOperator(ctx context.Context, id string) (*naive.Operator, error)

	// CreateUser stores a human. Errors: ErrConflict (email taken).
	CreateUser(ctx context.Context, u *naive.User) error
	// GetUserByEmail finds a human by email, case-insensitively. Errors: ErrNotFound.
	GetUserByEmail(ctx context.Context, email string) (*naive.User, error)
	// GetUser returns a human. Errors: ErrNotFound.
	GetUser(ctx context.Context, id string) (*naive.User, error)

	// CreateSession stores a login session.
	CreateSession(ctx context.Context, s *naive.Session) error
	// GetSessionByHash returns an unexpired session by its token hash. Errors: ErrNotFound.
	GetSessionByHash(ctx context.Context, hash string, now time.Time) (*naive.Session, error)
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, id string) error
	// RequesterStates says, of each approval an agent asked for, whether
	// its key is revoked and its agent deleted (keyed by approval id;
	// approvals asked by humans are absent).
	RequesterStates(ctx context.Context, sc naive.Scope, as []naive.Approval) (map[string]naive.RequesterState, error)
	// TakeRateTokens leases up to take tokens from key's bucket (refilled
	// at rps per second up to burst, as of now) and returns how many it
	// got, 0 when the bucket is empty: one statement, so concurrent
	// processes share one bucket.
	TakeRateTokens(ctx context.Context, key string, take int, rps float64, burst int, now time.Time) (int, error)
	// LoginFailures returns the failed logins counted under each of keys
	// whose last failure is after since (keys with none are absent).
	LoginFailures(ctx context.Context, keys []string, since time.Time) (map[string]LoginFailure, error)
	// RecordLoginFailure counts a failed login at at under each key, in
	// one transaction; a count whose last failure is not after since
	// starts again at one.
	RecordLoginFailure(ctx context.Context, keys []string, at, since time.Time) error
	// ClearLoginFailures forgets the failures counted under key.
	ClearLoginFailures(ctx context.Context, key string) error
	// ForgiveLoginFailure takes one failure back from key's count (an
	// attempt counted in advance that was never judged); a count at zero
	// stays there.
	ForgiveLoginFailure(ctx context.Context, key string) error
	// ListUserSessions lists a human's sessions unexpired at now, newest first.
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]naive.Session, error)
	// DeleteUserSessions ends every session of a human but keepID (""
	// keeps none) and returns how many ended.
	DeleteUserSessions(ctx context.Context, userID, keepID string) (int, error)
	// SetPassword replaces a human's password hash and ends every session
	// of theirs but keepID, in one transaction; it returns how many ended.
	// Errors: ErrNotFound.
	SetPassword(ctx context.Context, userID, hash, keepID string) (int, error)

	// ListUsers lists an operator's humans, oldest first, each with its
	// Status (invited while an invite is unaccepted).
	ListUsers(ctx context.Context, operatorID string, p naive.Page) ([]naive.User, error)
	// CreateInvitedUser stores a human with no usable password and its
	// invite (the token's hash, acceptable until expiresAt) in one
	// transaction. Errors: ErrConflict (email taken).
	CreateInvitedUser(ctx context.Context, u *naive.User, tokenHash string, expiresAt time.Time) error
	// AcceptInvite consumes the unexpired invite of tokenHash, sets its
	// user's password hash and stores sess (its UserID and OperatorID set
	// from the invite), in one transaction: an invite is accepted once.
	// Errors: ErrNotFound (no such invite, used or expired).
	AcceptInvite(ctx context.Context, tokenHash, passwordHash string, now time.Time, sess *naive.Session) (*naive.User, error)
	// UpdateUserRole sets the role of an operator's human. The operator's
	// last owner with a password cannot be demoted: checked in the same
	// transaction, under a lock on the operator, so two concurrent
	// demotions cannot both pass. Errors: ErrNotFound, ErrConflict (last owner).
	UpdateUserRole(ctx context.Context, operatorID, id string, role naive.Role) (*naive.User, error)
	// DeleteUser deletes an operator's human, their sessions and invite,
	// and returns how many sessions ended; the last owner cannot be
	// deleted, as UpdateUserRole. Errors: ErrNotFound, ErrConflict (last owner).
	DeleteUser(ctx context.Context, operatorID, id string) (int, error)

	// CreateAPIKey stores a key (its hash only). A key bound to an agent
	// (AgentID set) is stored only while that agent exists in the key's
	// scope, checked in the same statement, so it cannot bind to an agent
	// being deleted. Errors: ErrConflict (hash taken), ErrNotFound (agent).
	CreateAPIKey(ctx context.Context, k *naive.APIKey) error
	// GetCaller is GetAPIKeyByHash with, read in the same statement, the
	// default subject of the key's scope (nil when it has none) and the
	// operator's Versions: what nearly every request by a key needs
	// first. Errors: ErrNotFound.
	GetCaller(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, Versions, error)
	// Versions returns the operator's counters, in one read.
	Versions(ctx context.Context, operatorID string) (Versions, error)
	// GetAPIKeyByHash returns an unrevoked key by hash. Errors: ErrNotFound.
	GetAPIKeyByHash(ctx context.Context, hash string) (*naive.APIKey, error)
	// ListAPIKeys lists an operator's keys, newest first (both modes).
	ListAPIKeys(ctx context.Context, operatorID string, p naive.Page) ([]naive.APIKey, error)
	// RevokeAPIKey revokes a key. Errors: ErrNotFound (unknown or already revoked).
	RevokeAPIKey(ctx context.Context, operatorID, id string, at time.Time) (*naive.APIKey, error)

	// CreateSubject stores a subject. Errors: ErrConflict (a second default).
	CreateSubject(ctx context.Context, s *naive.Subject) error
	// GetSubject returns a subject in scope, not deleted. Errors: ErrNotFound.
	GetSubject(ctx context.Context, sc naive.Scope, id string) (*naive.Subject, error)
	// GetDefaultSubject returns the scope's default subject. Errors: ErrNotFound.
	GetDefaultSubject(ctx context.Context, sc naive.Scope) (*naive.Subject, error)
	// ListSubjects lists subjects not deleted, newest first.
	ListSubjects(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Subject, error)
	// UpdateSubject stores a subject's profile and formation. Errors:
	// ErrNotFound (unknown or deleted).
	UpdateSubject(ctx context.Context, s *naive.Subject) error
	// DeleteSubject soft-deletes a subject: it sets deleted_at to at, after
	// which the subject is not found by any method taking a subject id
	// (its rows stay for the ledger and history). The default subject, and
	// a subject with a phone in status active or provisioning, are refused;
	// the check and the delete are atomic with ReservePhone, so a number
	// reserved concurrently either blocks the delete or fails not found.
	// Errors: ErrNotFound (unknown or already deleted), ErrConflict.
	DeleteSubject(ctx context.Context, sc naive.Scope, id string, at time.Time) error

	// CreateAgent stores an agent.
	CreateAgent(ctx context.Context, a *naive.Agent) error
	// GetAgent returns an agent in scope. Errors: ErrNotFound.
	GetAgent(ctx context.Context, sc naive.Scope, id string) (*naive.Agent, error)
	// ListAgents lists agents, newest first.
	ListAgents(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Agent, error)
	// UpdateAgent stores an agent's name and webhook URL (a.ID, a.OperatorID
	// and a.Mode name it; a.CreatedAt is written back) and keeps the agent's
	// own webhook endpoint in step, in one transaction: a URL of "" deletes
	// the endpoint; otherwise an existing endpoint gets the new URL (its
	// secret kept) and, when the agent has none, ep is inserted with the
	// URL. It reports whether ep was inserted. Errors: ErrNotFound.
	UpdateAgent(ctx context.Context, a *naive.Agent, ep *naive.WebhookEndpoint) (created bool, err error)
	// DeleteAgent deletes an agent with its phone assignments and its own
	// webhook endpoint (and that endpoint's deliveries), in one
	// transaction. An agent an unrevoked API key is bound to is refused,
	// atomically with CreateAPIKey. Errors: ErrNotFound, ErrConflict.
	DeleteAgent(ctx context.Context, sc naive.Scope, id string) error

	// Balance returns the scope's credit balance (0 if never credited).
	Balance(ctx context.Context, sc naive.Scope) (int64, error)
	// AddLedgerEntry applies e (Amount signed) and pr, returning the new
	// balance (also written back to e.BalanceAfter). A negative amount that would take the balance below zero
	// stores nothing. Errors: ErrInsufficientCredits, ErrKeyExists,
	// ErrLockLost.
	AddLedgerEntry(ctx context.Context, e *naive.LedgerEntry, pr Progress) (int64, error)
	// GetLedgerEntry returns the scope's newest entry of reason that
	// references referenceID. Errors: ErrNotFound.
	GetLedgerEntry(ctx context.Context, sc naive.Scope, reason, referenceID string) (*naive.LedgerEntry, error)
	// ListLedger lists entries newest first.
	ListLedger(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.LedgerEntry, error)

	// ClaimBrand returns the subject's brand, creating it in status
	// registering with b.ClaimToken and b.ClaimedBy when absent
	// (claimed=true). A registering brand whose claim is released
	// (claim_token ''), older than staleBefore, or held by a process not
	// alive since liveAfter is taken over (claimed=true): its carrier id is
	// kept, and its EIN replaced when b.EIN is set. Otherwise it returns
	// the brand as stored (claimed=false).
	ClaimBrand(ctx context.Context, b *naive.Brand, staleBefore, liveAfter time.Time) (brand *naive.Brand, claimed bool, err error)
	// SetBrandCarrierID records the carrier's id of a brand still claimed
	// with claimToken: the carrier created it, whether or not it is ready.
	// Errors: ErrConflict (the claim was lost).
	SetBrandCarrierID(ctx context.Context, subjectID, claimToken, carrierID string, at time.Time) error
	// CompleteBrand marks a claimed brand registered with its carrier id
	// and verification ("" or naive.BrandVerificationPendingOTP).
	// Errors: ErrConflict (the claim was lost).
	CompleteBrand(ctx context.Context, subjectID, claimToken, carrierID, verification string, at time.Time) error
	// VerifyBrand marks a registered brand awaiting its verification text
	// verified; false when it awaits none.
	VerifyBrand(ctx context.Context, subjectID string, at time.Time) (bool, error)
	// SetBrandVerificationSent moves the time a pending brand's
	// verification text was last asked for from from to to (nil: never),
	// if it still is from: false when another request moved it first or
	// the brand awaits no verification.
	SetBrandVerificationSent(ctx context.Context, sc naive.Scope, subjectID string, from, to *time.Time, at time.Time) (bool, error)
	// AbandonBrand gives a claim up: a registering brand claimed with
	// claimToken that has no carrier id is deleted; one with a carrier id
	// keeps its row (EIN and carrier id) with its claim released, so the
	// next attempt reuses the carrier's brand instead of creating another.
	AbandonBrand(ctx context.Context, subjectID, claimToken string) error
	// GetBrandByCarrierID finds a registered brand of any tenant in mode by
	// its carrier account id. Errors: ErrNotFound.
	GetBrandByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Brand, error)
	// GetOperatorCarriers returns the carriers the administrator gave an
	// operator in a mode. Errors: ErrNotFound (none given).
	GetOperatorCarriers(ctx context.Context, sc naive.Scope) (*naive.OperatorCarriers, error)
	// SetOperatorCarriers stores (replaces) an operator's default and
	// fallback carrier in a mode. Errors: ErrNotFound (no such operator).
	SetOperatorCarriers(ctx context.Context, sc naive.Scope, def, fallback string, at time.Time) error
	// GetBrand returns a subject's brand. Errors: ErrNotFound.
	GetBrand(ctx context.Context, sc naive.Scope, subjectID string) (*naive.Brand, error)

	// ClaimCampaign is ClaimBrand for the subject's campaign of c.Kind: it
	// inserts c (with c.ClaimToken and c.ClaimedBy, no carrier id) when the
	// subject has none, and takes over an unregistered one on the same
	// terms as ClaimBrand. It holds the subject's write lock as
	// PatchCampaignContent takes it: once it returns, a content patch
	// either was stored before (and is read by the registration) or is
	// refused.
	ClaimCampaign(ctx context.Context, c *naive.Campaign, staleBefore, liveAfter time.Time) (campaign *naive.Campaign, claimed bool, err error)
	// CompleteCampaign stores the carrier id and status of a claimed
	// campaign. Errors: ErrConflict (claim lost).
	CompleteCampaign(ctx context.Context, id, claimToken, carrierID, status string, at time.Time) error
	// ClaimDeferredCampaign claims a registered 10DLC campaign the carrier
	// does not have yet (deferred until its brand was verified), for
	// creating it there: false when a fresh claim of a live process
	// holds it, or it is no longer deferred. The campaign stays
	// registered meanwhile.
	ClaimDeferredCampaign(ctx context.Context, id, token, owner string, at, staleBefore, liveAfter time.Time) (bool, error)
	// CompleteDeferredCampaign stores the carrier's id and status of a
	// deferred campaign claimed with token. Errors: ErrConflict (the
	// claim was lost).
	CompleteDeferredCampaign(ctx context.Context, id, token, carrierID, status string, at time.Time) error
	// ReleaseDeferredCampaign lets go of a deferred campaign's claim.
	ReleaseDeferredCampaign(ctx context.Context, id, token string) error
	// AbandonCampaign deletes a campaign still claimed with claimToken.
	AbandonCampaign(ctx context.Context, id, claimToken string) error
	// GetCampaign returns a campaign in scope. Errors: ErrNotFound.
	GetCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Campaign, error)
	// ListCampaigns lists the subject's registered campaigns.
	ListCampaigns(ctx context.Context, sc naive.Scope, subjectID string) ([]naive.Campaign, error)
	// ListOpenCampaigns lists registered campaigns, of every tenant, whose
	// status is not final, for the carrier poller.
	ListOpenCampaigns(ctx context.Context, limit int) ([]naive.Campaign, error)
	// AdvanceCampaign moves a campaign's status forward only: it stores
	// status if its rank is higher than the stored one and reports whether
	// it changed anything. events are stored in the same transaction, only
	// when it changed, so one transition yields its events exactly once.
	// When ce is not nil (the change comes from a carrier webhook) it is
	// recorded first in the same transaction; a ce recorded before (a
	// redelivery) makes the call store nothing and report false. reason is
	// stored as the rejection reason when status is rejected (NULL for ""
	// and for any other status).
	AdvanceCampaign(ctx context.Context, id, status, reason string, at time.Time, events []*naive.Event, ce *CarrierEvent) (bool, error)
	// AdvanceCampaignFrom is AdvanceCampaign for a status learnt from the
	// campaign as read when its updated_at was readAt (a poll): it stores
	// nothing if the campaign changed since — a resubmission, another
	// poll, a webhook — so an answer the carrier gave before a
	// resubmission cannot overwrite it.
	// It stores nothing either while a resubmission holds the campaign
	// (MarkResubmitting), unless its mark is older than staleBefore.
	AdvanceCampaignFrom(ctx context.Context, id string, readAt time.Time, status, reason string, at, staleBefore time.Time, events []*naive.Event) (bool, error)
	// MarkResubmitting marks a rejected campaign as being resubmitted by
	// owner (deferred_claim = token), so no poll stores an answer the
	// carrier gave before it took the update; false when it is not
	// rejected or another fresh resubmission holds it. The mark is let go
	// with ReleaseDeferredCampaign.
	MarkResubmitting(ctx context.Context, sc naive.Scope, id, token, owner string, at, staleBefore time.Time) (bool, error)
	// ResubmitCampaign is the one move back: it sets a rejected campaign
	// to in_review, clears its rejection reason and stores events, in one
	// statement conditional on the status still being rejected, so of two
	// concurrent resubmissions exactly one wins. content is the fields of
	// the subject's campaign content the resubmission sends (as
	// GetCampaignContent or PatchCampaignContent answered them; zero when
	// it set none): the same transaction checks them, serialised with
	// PatchCampaignContent by the subject's lock, so a patch either
	// committed before and is found, or is refused after (the campaign is
	// in review). Errors: ErrNotFound (no such campaign in scope),
	// ErrConflict (it is not rejected), ErrContentChanged (the fields
	// differ from content: plan again).
	ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, content naive.CampaignContentPatch, at time.Time, events []*naive.Event) error
	// GetCampaignContent returns the campaign content fields a subject set
	// (campaigncontent.go in internal/service builds the rest). Errors:
	// ErrNotFound (it set none).
	GetCampaignContent(ctx context.Context, sc naive.Scope, subjectID string) (*CampaignContent, error)
	// PatchCampaignContent merges patch into the fields the subject set
	// (naive.CampaignContentPatch.Merge) and stores them, updated by by
	// at at, answering what it stored. The read, the merge and the write
	// are one transaction under the subject's write lock, so concurrent
	// patches of different fields all stay; in the same transaction it
	// checks the subject's 10DLC campaign, which ClaimCampaign creates
	// under the same lock: while one exists, registered or being
	// registered (claimed), in a status other than rejected, nothing is
	// stored — the carrier holds, or is being sent, the content as read
	// after the claim. Errors: ErrNotFound (no such subject in scope),
	// ErrConflict (that campaign exists).
	PatchCampaignContent(ctx context.Context, sc naive.Scope, subjectID string, patch naive.CampaignContentPatch, by naive.Actor, at time.Time) (*CampaignContent, error)
	// AddCheckOverrides records humans' overrides of compliance rules on a
	// campaign's submission. Errors: ErrNotFound (no such campaign in
	// scope; nothing stored).
	AddCheckOverrides(ctx context.Context, sc naive.Scope, campaignID string, o []naive.CheckOverride) error
	// ListCheckOverrides lists a campaign's overrides, oldest first.
	ListCheckOverrides(ctx context.Context, sc naive.Scope, campaignID string) ([]naive.CheckOverride, error)
	// GetCampaignByCarrierID finds a campaign of any tenant in mode by its
	// carrier id. Errors: ErrNotFound.
	GetCampaignByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Campaign, error)
	// ListRegisteredBrands lists registered brands of every tenant, ordered
	// by subject id, starting after afterSubjectID, for reconciliation.
	ListRegisteredBrands(ctx context.Context, afterSubjectID string, limit int) ([]naive.Brand, error)

	// ReservePhone debits price, inserts p (status provisioning) and
	// applies pr in one transaction, returning the balance after. Errors:
	// ErrInsufficientCredits, ErrNotFound (the subject is unknown or
	// deleted), ErrKeyExists, ErrLockLost; nothing is stored on any.
	ReservePhone(ctx context.Context, p *naive.Phone, debit *naive.LedgerEntry, pr Progress) (int64, error)
	// ActivatePhone records a bought number on a provisioning phone, with
	// its assignment, its events and pr, in one transaction. Errors:
	// ErrConflict (not provisioning), ErrNotFound (no such phone, or the
	// assignment's agent is gone), ErrLockLost; nothing is stored on any.
	ActivatePhone(ctx context.Context, a *PhoneActivation, pr Progress) error
	// FailPhone marks a provisioning phone failed and applies the refund
	// (when not nil) and pr in one transaction, returning the balance
	// after. A phone that is not provisioning is left alone (ErrConflict,
	// nothing stored), so a refund happens once.
	FailPhone(ctx context.Context, id string, refund *naive.LedgerEntry, pr Progress) (int64, error)
	// GetPhone returns a phone in scope. Errors: ErrNotFound.
	GetPhone(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, error)
	// SetPhoneLabel relabels an active phone in scope and returns it.
	// Errors: ErrNotFound, ErrConflict (not active).
	SetPhoneLabel(ctx context.Context, sc naive.Scope, id, label string) (*naive.Phone, error)
	// GetPhoneAndCampaign is GetPhone with, read in the same statement, the
	// phone's campaign (nil when it has none). Errors: ErrNotFound.
	GetPhoneAndCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Phone, *naive.Campaign, error)
	// ListPhones lists a subject's active and released phones, newest
	// first; f.AgentID keeps those bought for or assigned to the agent.
	ListPhones(ctx context.Context, sc naive.Scope, subjectID string, f naive.PhoneFilter) ([]naive.Phone, error)
	// ListAllPhones is ListPhones across every subject in scope, deleted
	// subjects included (their numbers were released before the delete).
	ListAllPhones(ctx context.Context, sc naive.Scope, f naive.PhoneFilter) ([]naive.Phone, error)
	// CountPhones counts a subject's phones in any of statuses.
	CountPhones(ctx context.Context, sc naive.Scope, subjectID string, statuses ...string) (int, error)
	// MarkPhoneReleased marks an active phone released and stores events
	// and pr with it. Errors: ErrNotFound, ErrConflict (not active),
	// ErrKeyExists, ErrLockLost.
	MarkPhoneReleased(ctx context.Context, sc naive.Scope, id string, at time.Time, events []*naive.Event, pr Progress) (*naive.Phone, error)
	// ListStaleProvisioning lists provisioning phones (every tenant) created
	// before the given time, for reconciliation.
	ListStaleProvisioning(ctx context.Context, before time.Time, limit int) ([]naive.Phone, error)

	// GetIdempotent returns a key's record, with OwnerAlive computed
	// against liveAfter; a record older than KeyTTL counts as absent.
	// Errors: ErrNotFound.
	GetIdempotent(ctx context.Context, operatorID, principalID, key string, liveAfter time.Time) (*IdempotencyRecord, error)
	// BeginIdempotent inserts rec unfinished and locked by rec.LockedBy
	// (RecoveryPoint started), replacing a record older than KeyTTL; it
	// reports false, storing nothing, when the key is taken.
	BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (bool, error)
	// TakeOverIdempotent locks an unfinished record for rec.LockedBy when
	// no process holds it or its holder is not alive since liveAfter, and
	// then fills rec from the stored record. Of concurrent takers exactly
	// one gets true.
	TakeOverIdempotent(ctx context.Context, rec *IdempotencyRecord, liveAfter time.Time) (bool, error)
	// CompleteIdempotent stores the response (Status, Body) of an
	// unfinished record rec.LockedBy holds and releases it. Errors:
	// ErrLockLost.
	CompleteIdempotent(ctx context.Context, rec *IdempotencyRecord) error
	// AbortIdempotent deletes an unfinished record rec.LockedBy holds, so a
	// retry runs afresh; a finished record stays.
	AbortIdempotent(ctx context.Context, rec *IdempotencyRecord) error
	// ReleaseIdempotent unlocks an unfinished record rec.LockedBy holds
	// (locked by no one), so a retry can take it over at once.
	ReleaseIdempotent(ctx context.Context, rec *IdempotencyRecord) error
	// SaveProgress applies pr alone, in one transaction.
	SaveProgress(ctx context.Context, pr Progress) error
	// ListStaleRuns lists unfinished records that name an Action and are
	// held by no process or by one not alive since liveAfter, of every
	// tenant, least recently touched first (a takeover touches a record,
	// so records that cannot be settled yet do not starve the others).
	ListStaleRuns(ctx context.Context, liveAfter time.Time, limit int) ([]IdempotencyRecord, error)
	// PurgeIdempotent deletes finished records created before before and
	// reports how many.
	PurgeIdempotent(ctx context.Context, before time.Time) (int, error)
	// CreateOperator stores another operator (tenant).
	CreateOperator(ctx context.Context, o *naive.Operator) error
	// CreateTenant stores a new operator with everything it starts with
	// (its first human, subjects, keys, grants: a SeedData) in one
	// transaction, whatever operators exist already. Errors: ErrConflict
	// (the human's email, or an id, is taken), and nothing is stored.
	CreateTenant(ctx context.Context, s *SeedData) error
	// ListOperators lists operators oldest first (by id), after p.After,
	// each with its humans oldest first.
	ListOperators(ctx context.Context, p naive.Page) ([]OperatorUsers, error)

	// CreateKit stores an Account Kit.
	CreateKit(ctx context.Context, k *naive.AccountKit) error
	// GetKit returns a kit in scope. Errors: ErrNotFound.
	GetKit(ctx context.Context, sc naive.Scope, id string) (*naive.AccountKit, error)
	// ListKits lists kits, newest first.
	ListKits(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.AccountKit, error)
	// UpdateKit stores a kit's name and config. Errors: ErrNotFound.
	UpdateKit(ctx context.Context, k *naive.AccountKit) error
	// DeleteKit deletes a kit; subjects it was assigned to fall back to
	// the built-in default. Errors: ErrNotFound.
	DeleteKit(ctx context.Context, sc naive.Scope, id string) error
	// AssignKit sets a subject's kit (kitID "" clears it). Errors:
	// ErrNotFound (subject or kit not in scope, or the subject deleted).
	AssignKit(ctx context.Context, sc naive.Scope, subjectID, kitID string, at time.Time) error

	// CreateApproval stores a pending approval, its approval.requested
	// event and pr in one transaction. Errors: ErrKeyExists, ErrLockLost.
	CreateApproval(ctx context.Context, a *naive.Approval, ev *naive.Event, pr Progress) error
	// GetApproval returns an approval in scope (status as stored). Errors: ErrNotFound.
	GetApproval(ctx context.Context, sc naive.Scope, id string) (*naive.Approval, error)
	// ListApprovals lists approvals newest first; Status "pending" also
	// matches executing ones.
	ListApprovals(ctx context.Context, sc naive.Scope, f naive.ApprovalFilter) ([]naive.Approval, error)
	// ClaimApproval moves a pending, unexpired (expires_at > now) approval
	// to executing with resolver and now as resolved_by/at, locked by
	// owner (a process id), and returns it. Of concurrent claimers exactly
	// one succeeds; the others, and any claim of an approval that is not
	// pending or has expired, get ErrConflict. Errors: ErrNotFound.
	ClaimApproval(ctx context.Context, sc naive.Scope, id string, resolver naive.Actor, now time.Time, owner string) (*naive.Approval, error)
	// TakeOverApproval locks an executing approval held by no process, or
	// by one not alive since liveAfter, for owner and returns it. Of
	// concurrent takers exactly one succeeds. Errors: ErrConflict (not
	// executing, or its holder is alive), ErrNotFound.
	TakeOverApproval(ctx context.Context, sc naive.Scope, id, owner string, liveAfter time.Time) (*naive.Approval, error)
	// FinishApproval moves an approval executing under a.LockedBy to
	// executed or failed with its result or error, releases it, and stores
	// ev (approval.resolved), in one transaction. Errors: ErrConflict (not
	// executing under a.LockedBy).
	FinishApproval(ctx context.Context, a *naive.Approval, ev *naive.Event) error
	// DenyApproval moves a pending, unexpired approval to denied with
	// a.ResolvedBy, a.ResolvedAt (required; the approval must not have
	// expired by then) and a.Reason, storing ev; like
	// ClaimApproval, exactly one of concurrent deciders wins. Errors:
	// ErrNotFound, ErrConflict.
	DenyApproval(ctx context.Context, sc naive.Scope, a *naive.Approval, ev *naive.Event) error
	// ExpireApproval moves a pending approval whose expires_at <= now to
	// expired (resolved_at = now), storing ev; it reports whether it did.
	ExpireApproval(ctx context.Context, id string, now time.Time, ev *naive.Event) (bool, error)
	// ListExpiredApprovals lists pending approvals (every tenant) with
	// expires_at <= now, and executing ones held by no process or by one
	// not alive since liveAfter (an approver that died mid-execution),
	// oldest first.
	ListExpiredApprovals(ctx context.Context, now, liveAfter time.Time, limit int) ([]naive.Approval, error)

	// RecordCarrierEvent stores a carrier webhook event unless its id was
	// seen before, reporting whether it is new; duplicates are deduplicated
	// here, once, for every process. Events with an effect are recorded by
	// the method that applies the effect, in its transaction.
	RecordCarrierEvent(ctx context.Context, ev *CarrierEvent) (bool, error)

	// AddEvent stores an event. Storing an event (here or with any other
	// method) enqueues its delivery only when its scope has a webhook
	// endpoint.
	AddEvent(ctx context.Context, ev *naive.Event) error
	// ListEvents lists events newest first, filtered by type when set.
	ListEvents(ctx context.Context, sc naive.Scope, f naive.EventFilter) ([]naive.Event, error)
	// GetPhoneByE164 returns the active phone with a number, of any tenant
	// in mode, for routing inbound texts. Errors: ErrNotFound.
	GetPhoneByE164(ctx context.Context, mode naive.Mode, e164 string) (*naive.Phone, error)

	// ReserveMessage inserts an outbound message (status queued) and, when
	// debit is not nil, applies it, with pr, in one transaction; it returns
	// the balance after. Errors: ErrInsufficientCredits, ErrKeyExists,
	// ErrLockLost (nothing stored).
	ReserveMessage(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr Progress) (int64, error)
	// ScheduleMessage inserts an outbound message with status scheduled
	// (its SendAt set, nothing charged) and pr, and enqueues the job that
	// sends it at SendAt, in one transaction: the job exists exactly when
	// the message does.
	ScheduleMessage(ctx context.Context, m *naive.Message, job ScheduledSend, pr Progress) error
	// ReserveScheduled is a scheduled message's reserve phase: it moves
	// the message from scheduled to queued with m's Segments, CreditsUsed,
	// ConsentBasis and SendAt, applies debit (when not nil) and pr, in one
	// transaction; it returns the balance after. Of concurrent calls one
	// wins. Errors: ErrConflict (not scheduled: canceled, or taken by
	// another process), ErrNotFound, ErrInsufficientCredits, ErrKeyExists.
	ReserveScheduled(ctx context.Context, m *naive.Message, debit *naive.LedgerEntry, pr Progress) (int64, error)
	// EndScheduled moves a scheduled message of scope to status canceled
	// (canceled_at = at) or failed (failure_reason = reason, failed_at =
	// at), charging nothing, and returns it. Errors: ErrNotFound,
	// ErrConflict (not scheduled).
	EndScheduled(ctx context.Context, sc naive.Scope, id, status, reason string, at time.Time) (*naive.Message, error)
	// UpsertConsent records a number's consent for a contact, replacing
	// the one it held. Errors: ErrNotFound (no such phone in scope).
	UpsertConsent(ctx context.Context, c *ConsentRecord) error
	// GetConsent returns a number's consent for a contact. Errors: ErrNotFound.
	GetConsent(ctx context.Context, sc naive.Scope, phoneID, contact string) (*naive.Consent, error)
	// ListContacts lists a number's contacts — those it holds a consent
	// record for and those who opted out of its subject's texts — by
	// contact after f.After, with both states.
	ListContacts(ctx context.Context, sc naive.Scope, f ContactFilter) ([]naive.PhoneContact, error)
	// SetMessageCarrierID records the carrier's id of a sent message, with
	// pr. Errors: ErrNotFound, ErrLockLost.
	SetMessageCarrierID(ctx context.Context, id, carrierID string, pr Progress) error
	// FailMessage marks a queued outbound message the carrier does not
	// hold (no carrier id) failed with reason and applies refund (when not
	// nil) and pr in one transaction, once: a message that is not queued,
	// or that the carrier took, is left alone (ErrConflict, nothing
	// stored).
	FailMessage(ctx context.Context, id, reason string, refund *naive.LedgerEntry, at time.Time, pr Progress) (int64, error)
	// RecordInbound records ce, then stores in.Message and in.Event unless
	// a message with the same carrier id exists in its mode, then applies
	// in.OptOut, in one transaction; it reports whether it stored the
	// message. A ce recorded before (a redelivery) stores nothing.
	RecordInbound(ctx context.Context, in *Inbound, ce *CarrierEvent) (bool, error)
	// AdvanceMessage moves the status of the outbound message with carrier
	// id a.CarrierID forward only (by naive.MessageRank), setting sent_at,
	// delivered_at or failed_at (and failure_reason) to a.At, and stores the
	// event evFor builds from the updated message (when evFor is not nil)
	// in the same transaction, only when it changed. A message not known by
	// its carrier id but whose id is a.Ref and that has no carrier id yet
	// gets a.CarrierID first. ce is as in AdvanceCampaign. A message not
	// found is not an error: it reports false. a.RefundFor's entry, when
	// any, is applied with the change.
	AdvanceMessage(ctx context.Context, a *MessageAdvance, evFor func(*naive.Message) (*naive.Event, error), ce *CarrierEvent) (bool, error)
	// ListStaleQueued lists outbound messages of every tenant still queued
	// without a carrier id, created before the given time: sends a process
	// did not finish.
	ListStaleQueued(ctx context.Context, before time.Time, limit int) ([]naive.Message, error)
	// GetMessage returns a message in scope. Errors: ErrNotFound.
	GetMessage(ctx context.Context, sc naive.Scope, id string) (*naive.Message, error)
	// ListMessages lists a phone's messages, newest first.
	ListMessages(ctx context.Context, sc naive.Scope, f naive.MessageFilter) ([]naive.Message, error)
	// NextInbound returns the phone's oldest inbound message whose id is
	// after after ("": the oldest of all). Errors: ErrNotFound.
	NextInbound(ctx context.Context, sc naive.Scope, phoneID, after string) (*naive.Message, error)

	// SetOptOut records whether a contact opted out of a subject's texts;
	// an older report never undoes a newer one. ce is as in
	// AdvanceCampaign: it reports false when ce was recorded before.
	SetOptOut(ctx context.Context, o *OptOut, ce *CarrierEvent) (bool, error)
	// IsOptedOut reports whether a contact opted out of a subject's texts.
	IsOptedOut(ctx context.Context, sc naive.Scope, subjectID, contact string) (bool, error)

	// UpsertAssignment connects an agent to a phone, replacing its
	// permissions if it was connected. Errors: ErrNotFound (phone or agent
	// not in scope).
	UpsertAssignment(ctx context.Context, a *naive.Assignment) error
	// DeleteAssignment disconnects an agent. Errors: ErrNotFound.
	DeleteAssignment(ctx context.Context, sc naive.Scope, phoneID, agentID string) error
	// ListAssignments lists a phone's agents, oldest first.
	ListAssignments(ctx context.Context, sc naive.Scope, phoneID string) ([]naive.Assignment, error)

	// CreateWebhookEndpoint stores an endpoint with its signing secret.
	CreateWebhookEndpoint(ctx context.Context, e *naive.WebhookEndpoint) error
	// GetWebhookEndpoint returns an endpoint in scope (with SigningSecret).
	// Errors: ErrNotFound.
	GetWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) (*naive.WebhookEndpoint, error)
	// ListWebhookEndpoints lists the scope's endpoints newest first; agent
	// endpoints (AgentID set) are included only when agents is true.
	ListWebhookEndpoints(ctx context.Context, sc naive.Scope, agents bool, p naive.Page) ([]naive.WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes an endpoint; its pending deliveries
	// stop. Errors: ErrNotFound.
	DeleteWebhookEndpoint(ctx context.Context, sc naive.Scope, id string) error

	// GetEvent returns an event of any tenant, for delivery. Errors: ErrNotFound.
	GetEvent(ctx context.Context, id string) (*naive.Event, error)
	// CreateDelivery stores a pending delivery of an event to an endpoint
	// unless that pair has one; it returns the stored delivery and whether
	// it is new.
	CreateDelivery(ctx context.Context, d *naive.Delivery) (*naive.Delivery, bool, error)
	// GetDelivery returns a delivery of any tenant with its attempts. Errors: ErrNotFound.
	GetDelivery(ctx context.Context, id string) (*naive.Delivery, error)
	// RecordAttempt appends an attempt to a pending delivery and sets its
	// status (and next attempt time) in one transaction. Errors:
	// ErrConflict (not pending).
	RecordAttempt(ctx context.Context, deliveryID string, a naive.Attempt, status string, next *time.Time) error
	// ListDeliveries lists an endpoint's deliveries newest first, with attempts.
	ListDeliveries(ctx context.Context, sc naive.Scope, endpointID string, p naive.Page) ([]naive.Delivery, error)
	// RecordResend appends a (numbered next) to a finished (succeeded or
	// failed) delivery of the endpoint and sets its status (succeeded or
	// failed) in one transaction, answering it with its attempts. Errors:
	// ErrNotFound, ErrConflict (pending: its retries run).
	RecordResend(ctx context.Context, sc naive.Scope, endpointID, id string, a naive.Attempt, status string) (*naive.Delivery, error)
}

// CampaignContent is what a subject set of its campaign's content: Fields
// holds the fields set (nil ones take their default).
type CampaignContent struct {
	SubjectID  string
	OperatorID string
	Mode       naive.Mode
	Fields     naive.CampaignContentPatch
	UpdatedBy  naive.Actor
	UpdatedAt  time.Time
}

// OperatorUsers is an operator and its humans.
type OperatorUsers struct {
	Operator naive.Operator
	Users    []naive.User
}

// SeedData is what a first start stores.
type SeedData struct {
	Operator naive.Operator
	User     naive.User
	Subjects []naive.Subject
	Keys     []naive.APIKey
	Grants   []naive.LedgerEntry
}

// KeyTTL is how long a key record answers for its key; a record created
// longer ago is replaced by a phase or Begin that creates the key again.
const KeyTTL = 24 * time.Hour

// Recovery points of a run, in order.
const (
	PointStarted  = "started"
	PointReserved = "reserved"
	PointFinished = "finished"
)

// IdempotencyRecord is one Idempotency-Key (or an automatic key naming one
// run of an action): the request it was first used with, the run it
// started — its recovery point, the row it works on, its request, the
// process that runs it now — and, once finished, the response.
type IdempotencyRecord struct {
	OperatorID  string
	PrincipalID string
	Key         string
	Method      string
	Path        string
	RequestHash string
	// Action names the phased action the key runs ("phone.provision"); ""
	// is a plain request whose handler runs under the key.
	Action string
	// RecoveryPoint is the last phase the run committed.
	RecoveryPoint string
	// ResourceID is the row the run works on (a phone or message id).
	ResourceID string
	// Payload is what the run needs to resume (JSON).
	Payload []byte
	// LockedBy is the process running it; "" when none does.
	LockedBy string
	// OwnerAlive is, as read, whether LockedBy's process heartbeats
	// (heartbeat_at >= the liveAfter the read was given).
	OwnerAlive bool
	// Completed is set once the run finished; Status and Body are then the
	// stored response (Body JSON, possibly empty for automatic keys).
	Completed bool
	Status    int
	Body      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KeyOp says how a phase writes its run's key record.
type KeyOp int

// Key operations.
const (
	// KeyNone writes no key record.
	KeyNone KeyOp = iota
	// KeyCreate inserts the record (the run's first phase), replacing one
	// older than KeyTTL; ErrKeyExists when the key is taken.
	KeyCreate
	// KeyUpdate writes RecoveryPoint, ResourceID, Payload, Completed,
	// Status, Body and UpdatedAt while Key.LockedBy holds the record (a
	// completed record is released: locked_by ''); ErrLockLost otherwise.
	KeyUpdate
	// KeyDelete deletes the record while Key.LockedBy holds it: the run
	// left nothing done, and a retry starts afresh; ErrLockLost otherwise.
	KeyDelete
)

// Progress is what a phase records of its run, in the phase's own
// transaction: if any part of it fails, nothing of the phase is stored.
type Progress struct {
	Key   *IdempotencyRecord
	KeyOp KeyOp
	// Approval is the approval the run executes, if it does.
	Approval *ApprovalStep
	// Render, when set, is called inside the transaction after the
	// method's own writes — once it wrote back what they produced, such as
	// a ledger entry's BalanceAfter — and before Key is written, to fill
	// Key's Status and Body.
	Render func()
}

// ApprovalStep is what a phase writes of the approval its run executes
// (status executing, locked_by Owner): ResourceID, and when Finish is set
// the outcome — Finish.Status executed or failed with Finish.Result or
// Finish.Error, locked_by "" — with Event (approval.resolved). ErrLockLost
// when the approval is not executing under Owner.
type ApprovalStep struct {
	ID         string
	Owner      string
	ResourceID string
	// Release unlocks the approval (it stays executing, locked by no
	// one), so the background pass or an approver takes it over.
	Release bool
	// Reopen returns an approval whose run reserved nothing back to
	// pending, undecided and unlocked: refused before it spent anything
	// (a short balance), it waits for a human to decide again.
	Reopen bool
	Finish *naive.Approval
	Event  *naive.Event
}

// LoginFailure is what is counted of failed logins under one key.
type LoginFailure struct {
	Failures int
	Last     time.Time
}

// PhoneActivation is the last phase of a provision.
type PhoneActivation struct {
	ID, E164, CarrierID, CampaignID string
	// Carrier names the carrier the number was bought at ("" keeps the
	// phone's).
	Carrier string
	// Assignment, when set, connects an agent in the same transaction;
	// an agent gone meanwhile fails the phase with ErrNotFound.
	Assignment *naive.Assignment
	// Events are stored with it (phone.provisioned).
	Events []*naive.Event
}

// Inbound is one inbound text as a carrier webhook reports it.
type Inbound struct {
	Message *naive.Message
	Event   *naive.Event
	// OptOut, when set, records a STOP or START keyword with the text.
	OptOut *OptOut
	// Consent, when set, is the conversation the text opens: stored only
	// if the text is and the number holds no consent for the sender yet.
	Consent *ConsentRecord
}

// ScheduledSend is the job of a scheduled text: Due is when River runs
// it, on the server's real clock; the service checks the message's SendAt
// against its own clock when it runs.
type ScheduledSend struct {
	Due time.Time
	// Principal is who scheduled it, as JSON: the send runs as them.
	Principal []byte
}

// ConsentRecord is a consent as stored: a number's, for one contact.
type ConsentRecord struct {
	Scope   naive.Scope
	PhoneID string
	Contact string
	naive.Consent
}

// ContactFilter narrows a contact list: one phone (of SubjectID, whose
// opt-outs apply), contacts after After, at most Limit.
type ContactFilter struct {
	PhoneID   string
	SubjectID string
	After     string
	Limit     int
}

// OptOut is a contact's opt-out (or opt-in) of a subject's texts.
type OptOut struct {
	Scope     naive.Scope
	SubjectID string
	Contact   string
	OptedOut  bool
	At        time.Time
}

// MessageAdvance is a carrier's status report of an outbound text.
type MessageAdvance struct {
	Mode      naive.Mode
	CarrierID string
	// Ref is our message id, for a text whose carrier id is not recorded
	// yet (its send's answer was lost): the message with that id and no
	// carrier id gets CarrierID.
	Ref    string
	Status string
	Reason string
	At     time.Time
	// RefundFor, when set, is called by the one call that changes the
	// row, with the stored message (sent_at as it was before); a non-nil
	// entry it returns is applied in the same transaction, defaulting to
	// the message's scope and id. Since the status only moves forward, a
	// message is refunded this way at most once. It runs inside the
	// transaction and must not use the store.
	RefundFor func(*naive.Message) *naive.LedgerEntry
}

// CarrierEvent is one webhook received from the carrier.
type CarrierEvent struct {
	ID         string
	Mode       naive.Mode
	Type       string
	AccountID  string
	Payload    []byte
	ReceivedAt time.Time
}

// SandboxRecord is one object of the sandbox carrier's state (the test-mode
// carrier simulator): its kind ("account", "campaign", "number", …), its
// id within the kind, and its JSON, which the simulator alone reads.
type SandboxRecord struct {
	Kind string
	ID   string
	// Data is the object's JSON; nil when the object was deleted.
	Data []byte
}

// SandboxTask is sandbox work due at a time, to be run once by whichever
// process gets to it. Kind and Ref are the simulator's names: what to do,
// and what it acts on (an event id, or "").
type SandboxTask struct {
	Kind string
	Ref  string
	Due  time.Time
}

// Sandbox keeps the test-mode carrier's state in tables of its own, in the
// store's database, where every process on the database finds it: the
// state survives a restart and is shared by the processes. It is the
// simulator's storage; no other part of the store reads it.
//
// State moves by versions: each SandboxUpdate that writes records makes a
// new version, one more than the last, and a reader keeps in memory the
// records up to the version it last read. A record is written at the
// version of the update that wrote it last; a deleted one (Data nil) stays
// as a tombstone, so readers that had it learn of its deletion.
type Sandbox interface {
	// SandboxChanges returns the records written after version since
	// (every live record, tombstones left out, when since is 0) in version
	// order, and the version they bring the reader to: every record
	// written at a version in (since, returned] is among them, each as
	// last written (a record written again later may come too; applying it
	// again is harmless). Records and version are read in one consistent
	// snapshot.
	SandboxChanges(ctx context.Context, since int64) ([]SandboxRecord, int64, error)
	// SandboxUpdate runs fn in one transaction holding the sandbox's one
	// write lock, which every process on the database takes for its
	// sandbox writes: fn receives the records written after version since
	// (as SandboxChanges returns them), and returns the records to write
	// and the tasks to schedule, which commit together — a task exists
	// exactly when the records written with it do. Records are written at
	// a new version only when fn returns at least one; tasks returned
	// alone commit all the same, at no new version.
	//
	// fn runs at most once: a transaction is never retried after fn ran,
	// since fn may have changed the caller's memory. An error from fn
	// writes nothing and is returned as it is; so does an invalid record
	// or task (see CheckSandboxWrite), a failed commit and a store that
	// has no job hook to give tasks to. SandboxUpdate returns the version
	// the caller is now at: the new one when fn wrote records, else the
	// latest read.
	SandboxUpdate(ctx context.Context, since int64, fn func(changed []SandboxRecord) ([]SandboxRecord, []SandboxTask, error)) (int64, error)
}

// CheckSandboxWrite returns an error naming the first record or task of a
// SandboxUpdate that cannot be stored alike on every backend: a record
// needs a Kind and an ID, and Data nil or valid JSON; a task needs a Kind
// and a Due time. Text must be UTF-8 without NUL bytes (PostgreSQL's TEXT
// holds no other).
func CheckSandboxWrite(recs []SandboxRecord, tasks []SandboxTask) error {
	text := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
	for i, r := range recs {
		switch {
		case r.Kind == "" || r.ID == "":
			return fmt.Errorf("store: sandbox record %d (%q %q): kind and id are required", i, r.Kind, r.ID)
		case !text(r.Kind) || !text(r.ID):
			return fmt.Errorf("store: sandbox record %d (%q %q): kind and id must be UTF-8 without NUL", i, r.Kind, r.ID)
		case r.Data != nil && (!json.Valid(r.Data) || !utf8.Valid(r.Data) || bytes.IndexByte(r.Data, 0) >= 0):
			return fmt.Errorf("store: sandbox record %d (%q %q): data is not valid UTF-8 JSON", i, r.Kind, r.ID)
		}
	}
	for i, t := range tasks {
		switch {
		case t.Kind == "" || t.Due.IsZero():
			return fmt.Errorf("store: sandbox task %d (%q %q): kind and due time are required", i, t.Kind, t.Ref)
		case !text(t.Kind) || !text(t.Ref):
			return fmt.Errorf("store: sandbox task %d (%q %q): kind and ref must be UTF-8 without NUL", i, t.Kind, t.Ref)
		}
	}
	return nil
}
