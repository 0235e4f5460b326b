package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// An action that touches money, numbers or texts (provision, release, send,
// grant, an approved request) is a run of a few atomic phases. Each phase
// is one store transaction that also writes the run's record — the
// request's idempotency key (or an automatic key for a call without one),
// or the approval being executed — with its recovery point and the row it
// works on, locked by this process. The last phase stores the outcome in
// the record. A run whose process died is taken over (its owner's
// heartbeat stopped) by a retry with the same key, by a human approving
// again, or by the background pass, and resumed from its recovery point:
// it never starts over what it already did.

// run is one execution of an action and its record.
type run struct {
	s *Service
	p naive.Principal
	// action names the action ("phone.provision").
	action string
	// idem is the request's key, when it came with one.
	idem *naive.Idempotency
	// key is the run's key record; nil when the run executes an approval.
	key *store.IdempotencyRecord
	// appr is the approval the run executes (locked by this process).
	appr *naive.Approval
	// resumed is set when the run took over a dead run's record.
	resumed bool
	// done is set once the outcome is stored or the record let go;
	// released tells the second.
	done, released bool
	// failoverFrom is the default carrier a provision left for the
	// fallback, that one being down.
	failoverFrom string
	// reopened is set when the run's approval went back to pending: it
	// was refused before spending anything, for a reason a human can
	// fix (a short balance).
	reopened bool
}

// runPayload is what a run needs to resume without the request: who asked,
// for which subject, and the request itself.
type runPayload struct {
	Principal naive.Principal `json:"principal"`
	SubjectID string          `json:"subject_id"`
	Request   json.RawMessage `json:"request"`
}

// principalKeyID scopes idempotency keys: per caller and per mode, so a
// human's key in test mode is not the same key in live mode.
func principalKeyID(p naive.Principal) string { return p.ID() + "/" + string(p.Mode) }

// directRun starts the run of a direct call: under the request's key, or
// under an automatic key named after the row the run will create, so the
// background pass can resume it too.
func (s *Service) directRun(ctx context.Context, p naive.Principal, action string) *run {
	r := &run{s: s, p: p, action: action, idem: naive.IdempotencyFrom(ctx)}
	now := s.now()
	r.key = &store.IdempotencyRecord{OperatorID: p.OperatorID, PrincipalID: principalKeyID(p), Action: action,
		LockedBy: s.cfg.ProcessID, CreatedAt: now, UpdatedAt: now}
	if r.idem != nil {
		r.key.Key, r.key.RequestHash, r.key.Method, r.key.Path = r.idem.Key, r.idem.RequestHash, r.idem.Method, r.idem.Path
	}
	return r
}

// approvalRun is the run executing an approval claimed (or taken over) by
// this process, as the agent that asked.
func (s *Service) approvalRun(a *naive.Approval) *run {
	p := naive.Principal{Kind: naive.PrincipalAgent, OperatorID: a.OperatorID, Mode: a.Mode,
		KeyID: a.RequestedBy.ID, AgentID: a.RequesterAgentID}
	return &run{s: s, p: p, action: a.Action, appr: a, resumed: a.ResourceID != ""}
}

// begin is the progress of the run's first phase: the record is created
// at point, on resource, with what the run needs to resume.
func (r *run) begin(point, resource, subjectID string, req any) store.Progress {
	if r.appr != nil {
		r.appr.ResourceID = resource
		return store.Progress{Approval: &store.ApprovalStep{ID: r.appr.ID, Owner: r.s.cfg.ProcessID, ResourceID: resource}}
	}
	if r.key.Key == "" {
		// An automatic key: its own namespace, so no client key can be it.
		r.key.Key, r.key.PrincipalID = resource, r.key.PrincipalID+autoKeySuffix
	}
	raw, _ := json.Marshal(req) // the request types always encode
	payload, _ := json.Marshal(runPayload{Principal: r.p, SubjectID: subjectID, Request: raw})
	r.key.RecoveryPoint, r.key.ResourceID, r.key.Payload, r.key.UpdatedAt = point, resource, payload, r.s.now()
	op := store.KeyCreate
	if r.resumed {
		op = store.KeyUpdate // the record exists: this run took it over
	}
	return store.Progress{Key: r.key, KeyOp: op}
}

// once is the progress of a run that is one phase: the record is created
// finished, with the response.
func (r *run) once(resource string, result any, err error) store.Progress {
	if r.appr != nil {
		return r.finish(result, err)
	}
	if r.key.Key == "" {
		return store.Progress{} // no key: nothing to resume, nothing to replay
	}
	r.key.RecoveryPoint, r.key.ResourceID = store.PointFinished, resource
	r.key.Completed, r.key.UpdatedAt = true, r.s.now()
	r.key.Status, r.key.Body = r.encode(result, err)
	op := store.KeyCreate
	if r.resumed {
		op = store.KeyUpdate
	}
	return store.Progress{Key: r.key, KeyOp: op}
}

// onceWith is once for a response known only inside the phase's
// transaction (a balance the phase computes): result is called there.
func (r *run) onceWith(resource string, result func() any) store.Progress {
	pr := r.once(resource, nil, nil)
	if pr.Key != nil {
		pr.Render = func() { r.key.Status, r.key.Body = r.encode(result(), nil) }
	}
	return pr
}

// finish is the progress of the run's last phase: the outcome is stored in
// the record, which is released.
func (r *run) finish(result any, err error) store.Progress {
	if r.appr != nil {
		a := *r.appr
		a.LockedBy = r.s.cfg.ProcessID
		r.s.outcome(&a, result, err)
		ev, eerr := r.s.event(naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}, naive.EventApprovalResolved, presented(&a))
		if eerr != nil {
			r.s.log.Error("build approval.resolved", "approval_id", a.ID, "err", eerr)
		}
		return store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: r.s.cfg.ProcessID, ResourceID: r.appr.ResourceID, Finish: &a, Event: ev}}
	}
	r.key.RecoveryPoint, r.key.Completed, r.key.UpdatedAt = store.PointFinished, true, r.s.now()
	r.key.Status, r.key.Body = r.encode(result, err)
	return store.Progress{Key: r.key, KeyOp: store.KeyUpdate}
}

// drop is the progress of a run that ends having left nothing done (what it
// did is compensated): its key is forgotten, so a retry starts afresh. An
// approval cannot start afresh; it ends failed with the error.
func (r *run) drop(err error) store.Progress {
	if r.appr != nil {
		return r.finish(nil, err)
	}
	return store.Progress{Key: r.key, KeyOp: store.KeyDelete}
}

// encode renders the outcome stored under the request's key, as the REST
// layer answers it (Config.Encode); an automatic key stores none (no
// request can ask for it).
func (r *run) encode(result any, err error) (int, []byte) {
	if r.key == nil || isAutoKey(r.key) {
		return 0, nil
	}
	reqID := ""
	if r.idem != nil {
		reqID = r.idem.RequestID
	}
	return r.s.cfg.Encode(r.action, reqID, result, err)
}

// autoKeySuffix marks the principal of the automatic key of a run without
// an Idempotency-Key (the key is the run's row id); client keys are never
// stored under it.
const autoKeySuffix = "/auto"

func isAutoKey(rec *store.IdempotencyRecord) bool {
	return strings.HasSuffix(rec.PrincipalID, autoKeySuffix)
}

// owned notes that the run holds its record; stored that its outcome is in
// it (or, after drop, that nothing is left to hold).
func (r *run) owned() {
	if r.idem != nil {
		r.idem.Owned = true
	}
}

func (r *run) stored() {
	r.done = true
	if r.idem != nil {
		r.idem.Stored = true
	}
	if r.appr != nil {
		r.appr.LockedBy = ""
	}
}

// resource is the row the run works on.
func (r *run) resource() string {
	if r.appr != nil {
		return r.appr.ResourceID
	}
	return r.key.ResourceID
}

// releaseUnlessStored lets go of the record of a run that ended with err
// without storing its outcome (see release).
func (r *run) releaseUnlessStored(ctx context.Context, err error) {
	if err != nil && !errors.Is(err, naive.ErrKeyBusy) {
		r.release(ctx)
	}
}

// release lets go of the record of a run that has not stored its outcome —
// the carrier could not tell what it did, or the database failed — so a
// retry or the background pass can take it over at once. A record another
// process took over is not ours to release (the store checks the owner).
func (r *run) release(ctx context.Context) {
	if r.done {
		return
	}
	var err error
	switch {
	case r.appr != nil:
		err = r.s.store.SaveProgress(ctx, store.Progress{Approval: &store.ApprovalStep{ID: r.appr.ID, Owner: r.s.cfg.ProcessID,
			ResourceID: r.appr.ResourceID, Release: true}})
	case r.key != nil && r.key.Key != "":
		err = r.s.store.ReleaseIdempotent(ctx, r.key)
	}
	if err != nil && !errors.Is(err, store.ErrLockLost) {
		r.s.log.Warn("release run record", "action", r.action, "err", err)
	}
	r.done, r.released = true, true
	if r.idem != nil {
		r.idem.Owned = false
	}
}

// phaseError maps the store's run-record errors: a key taken by a
// concurrent request between the look-up and the first phase, and a record
// another process took over.
func phaseError(err error) error {
	switch {
	case errors.Is(err, store.ErrKeyExists):
		return naive.ErrKeyBusy
	case errors.Is(err, store.ErrLockLost):
		return (&naive.Error{Code: naive.EConflict, Message: "Another request took this action over and is finishing it.", Err: err}).
			WithHint("Retry in a few seconds with the same Idempotency-Key to get its outcome.").With("retryable", true)
	}
	return err
}

// outcome sets an approval's status, result or error from an execution.
func (s *Service) outcome(a *naive.Approval, result any, execErr error) {
	if execErr != nil {
		e := naive.AsError(execErr)
		if e.Code == naive.EInternal {
			s.log.Error("approved action failed", "approval_id", a.ID, "err", execErr)
		}
		a.Status, a.Result = naive.ApprovalFailed, nil
		a.Error = &naive.ErrorObject{Code: e.Code, Message: e.Message, Param: e.Param, Hint: e.Hint, Fields: e.Fields}
		if a.Error.Hint == "" {
			a.Error.Hint = naive.DefaultHint(e)
		}
		return
	}
	raw, err := json.Marshal(result)
	if err != nil {
		s.log.Error("encode approval result", "approval_id", a.ID, "err", err)
	}
	a.Status, a.Result, a.Error = naive.ApprovalExecuted, raw, nil
}

// dropsKey reports whether a run ending with err (after compensating what
// it did) forgets its key rather than storing the error as the answer:
// server errors and 429s are not stored, so a retry starts afresh.
func dropsKey(err error) bool {
	st := naive.HTTPStatus(naive.AsError(err).Code)
	return st >= 500 || st == http.StatusTooManyRequests
}

// --- processes ---

// liveAfter is the oldest heartbeat of a process still counted alive.
func (s *Service) liveAfter() time.Time { return s.now().Add(-s.cfg.LiveWindow) }

// ProcessID is this process's id, the owner of the runs it executes.
func (s *Service) ProcessID() string { return s.cfg.ProcessID }

// RegisterProcess records this process as alive; call it before serving.
func (s *Service) RegisterProcess(ctx context.Context) error {
	now := s.now()
	err := s.store.RegisterProcess(ctx, s.cfg.ProcessID, now, now.Add(-24*time.Hour))
	if err == nil {
		s.noteBeat(now)
	}
	return err
}

// mayAct refuses to start a carrier side effect (a purchase, a send, a
// registration) when this process cannot show a heartbeat of the last half
// live window: others may soon count it dead and take its runs over, and
// the same purchase must not be made by two processes. A stale heartbeat
// (a busy database delayed the background beat) is renewed here first, if
// the renewal lands before anyone could have counted this process dead.
func (s *Service) mayAct(ctx context.Context) error {
	last := time.Unix(0, s.beat.Load())
	if s.now().Sub(last) <= s.cfg.LiveWindow/2 {
		return nil
	}
	if left := s.cfg.LiveWindow - s.now().Sub(last); left > 0 {
		bctx, cancel := context.WithTimeout(ctx, left)
		now := s.now()
		err := s.store.Heartbeat(bctx, s.cfg.ProcessID, now)
		cancel()
		// Written before the old beat went stale: no one took a run over.
		if err == nil && s.now().Sub(last) < s.cfg.LiveWindow {
			s.noteBeat(now)
			return nil
		}
	}
	return (&naive.Error{Code: naive.EInternal,
		Message: "This server cannot reach its database to keep its claim on the request, so it did not call the carrier."}).
		WithHint("Retry with the same Idempotency-Key: another server, or this one once its database answers, finishes it.")
}

// noteBeat records a heartbeat written at t; beats written concurrently
// keep the latest.
func (s *Service) noteBeat(t time.Time) {
	for {
		old := s.beat.Load()
		if t.UnixNano() <= old || s.beat.CompareAndSwap(old, t.UnixNano()) {
			return
		}
	}
}

// Heartbeat keeps this process counted alive until ctx ends: the runs it
// owns are not taken over while it beats. A process that cannot beat for
// a whole LiveWindow may find its runs taken over; its later phases then
// fail (the records are fenced by owner) and nothing is done twice.
func (s *Service) Heartbeat(ctx context.Context) {
	t := time.NewTicker(s.cfg.LiveWindow / 5)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.now()
		err := s.store.Heartbeat(ctx, s.cfg.ProcessID, now)
		if errors.Is(err, store.ErrNotFound) {
			err = s.RegisterProcess(ctx)
		} else if err == nil {
			s.noteBeat(now)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("heartbeat", "process_id", s.cfg.ProcessID, "err", err)
		}
	}
}

// UnregisterProcess removes this process's row on a graceful stop, after
// its requests finished.
func (s *Service) UnregisterProcess(ctx context.Context) error {
	return s.store.UnregisterProcess(ctx, s.cfg.ProcessID)
}

// --- keys, for the REST layer ---

// LookupKey returns the record of a caller's Idempotency-Key, or nil.
func (s *Service) LookupKey(ctx context.Context, p naive.Principal, key string) (*store.IdempotencyRecord, error) {
	rec, err := s.store.GetIdempotent(ctx, p.OperatorID, principalKeyID(p), key, s.liveAfter())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return rec, err
}

// BeginKey records a key for a request whose handler runs under it (one
// that is not a phased action), locked by this process; false when the
// key is taken.
func (s *Service) BeginKey(ctx context.Context, p naive.Principal, k *naive.Idempotency) (*store.IdempotencyRecord, bool, error) {
	now := s.now()
	rec := &store.IdempotencyRecord{OperatorID: p.OperatorID, PrincipalID: principalKeyID(p), Key: k.Key, Method: k.Method,
		Path: k.Path, RequestHash: k.RequestHash, RecoveryPoint: store.PointStarted, LockedBy: s.cfg.ProcessID,
		CreatedAt: now, UpdatedAt: now}
	ok, err := s.store.BeginIdempotent(ctx, rec)
	return rec, ok, err
}

// TakeOverKey locks the unfinished record of a key whose run's process
// died (or that no one holds) for this process; false when another
// request took it first or its owner is alive after all.
func (s *Service) TakeOverKey(ctx context.Context, rec *store.IdempotencyRecord) (bool, error) {
	rec.LockedBy, rec.UpdatedAt = s.cfg.ProcessID, s.now()
	return s.store.TakeOverIdempotent(ctx, rec, s.liveAfter())
}

// CompleteKey stores the response of a record this process holds.
func (s *Service) CompleteKey(ctx context.Context, rec *store.IdempotencyRecord, status int, body []byte) error {
	rec.Completed, rec.Status, rec.Body, rec.UpdatedAt = true, status, body, s.now()
	rec.RecoveryPoint = store.PointFinished
	return s.store.CompleteIdempotent(ctx, rec)
}

// AbortKey forgets a record this process holds, so a retry runs afresh.
func (s *Service) AbortKey(ctx context.Context, rec *store.IdempotencyRecord) error {
	rec.LockedBy = s.cfg.ProcessID
	return s.store.AbortIdempotent(ctx, rec)
}

// ReleaseKey lets go of an unfinished record of p's key this process holds
// (a run that could not store its outcome), so a retry takes it over at
// once and resumes it.
func (s *Service) ReleaseKey(ctx context.Context, p naive.Principal, key string) error {
	return s.store.ReleaseIdempotent(ctx, &store.IdempotencyRecord{OperatorID: p.OperatorID, PrincipalID: principalKeyID(p),
		Key: key, LockedBy: s.cfg.ProcessID})
}

// takenOver reads the record of a key this request took over (the REST
// layer did), for the action to resume. It returns nil when the record
// holds no committed phase of action (the dead request did nothing that
// needs resuming): the record is then forgotten and the action runs
// afresh under the key.
func (s *Service) takenOver(ctx context.Context, p naive.Principal, idem *naive.Idempotency, action string) (*run, error) {
	rec, err := s.store.GetIdempotent(ctx, p.OperatorID, principalKeyID(p), idem.Key, s.liveAfter())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.LockedBy != s.cfg.ProcessID || rec.Completed {
		return nil, naive.ErrKeyBusy
	}
	if rec.Action != action || rec.ResourceID == "" {
		if err := s.store.AbortIdempotent(ctx, rec); err != nil {
			return nil, err
		}
		idem.Owned = false // gone: the action creates the key afresh
		return nil, nil
	}
	idem.Owned = true
	return &run{s: s, p: p, action: rec.Action, idem: idem, key: rec, resumed: true}, nil
}
