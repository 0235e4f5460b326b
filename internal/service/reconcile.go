package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// ReleaseLeakedNumbers releases every number the carrier holds on our brands
// that is not one of our active or in-flight phones: a number bought by a
// call whose answer was lost after we refunded it, or one whose recording
// failed. Numbers are named with our phone ids, which is how they are told
// apart; a number in flight (its phone still provisioning) is left alone.
// It reports how many it released.
func (s *Service) ReleaseLeakedNumbers(ctx context.Context) int {
	released := 0
	after := ""
	for ctx.Err() == nil {
		brands, err := s.store.ListRegisteredBrands(ctx, after, 100)
		if err != nil {
			s.log.Error("reconcile: list brands", "err", err)
			return released
		}
		for _, b := range brands {
			released += s.releaseLeaksOf(ctx, &b)
		}
		if len(brands) < 100 {
			return released
		}
		after = brands[len(brands)-1].SubjectID
	}
	return released
}

func (s *Service) releaseLeaksOf(ctx context.Context, b *naive.Brand) int {
	cr := s.carrierOrNil(b.Mode, b)
	if cr == nil || b.CarrierID == "" {
		return 0
	}
	nums, err := cr.ListNumbers(ctx, b.CarrierID)
	if err != nil {
		s.log.Warn("reconcile: list carrier numbers", "account", b.CarrierID, "err", err)
		return 0
	}
	sc := naive.Scope{OperatorID: b.OperatorID, Mode: b.Mode}
	n := 0
	for _, pn := range nums {
		if s.ours(ctx, sc, pn) {
			continue
		}
		if err := cr.ReleaseNumber(ctx, pn.ID); err != nil {
			s.log.Warn("reconcile: release leaked number", "carrier_id", pn.ID, "err", err)
			continue
		}
		n++
		s.log.Info("reconcile: released a number we do not hold", "carrier_id", pn.ID, "e164", pn.E164)
	}
	return n
}

// ours reports whether a carrier number belongs to an active or in-flight
// phone of ours with the same carrier id (or, in flight, none yet).
func (s *Service) ours(ctx context.Context, sc naive.Scope, pn carrier.Number) bool {
	if !validUUID(pn.Ref) {
		return false
	}
	ph, err := s.store.GetPhone(ctx, sc, pn.Ref)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		return true // unsure: keep it, the next round decides
	}
	switch ph.Status {
	case naive.PhoneProvisioning:
		return true
	case naive.PhoneActive:
		return ph.CarrierID == pn.ID
	}
	return false
}

// SendStale is how old a queued send without a carrier id must be before
// the reconciler settles it; no live send takes that long.
const SendStale = 10 * time.Minute

// SettleStaleSends settles texts a process charged but did not finish
// sending: one the carrier holds (found by our id in its metadata) gets its
// carrier id, so its status webhooks apply; one it surely does not hold is
// marked failed and refunded. When the carrier cannot be asked, it waits
// for the next pass.
func (s *Service) SettleStaleSends(ctx context.Context) {
	msgs, err := s.store.ListStaleQueued(ctx, s.now().Add(-SendStale), 100)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list stale sends", "err", err)
		}
		return
	}
	for _, m := range msgs {
		sc := naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}
		brand, err := s.store.GetBrand(ctx, sc, m.SubjectID)
		if err != nil {
			continue
		}
		cr := s.carrierOrNil(m.Mode, brand)
		if cr == nil {
			continue
		}
		found, ok, lerr := s.findMessage(ctx, cr, brand.CarrierID, m.ID)
		switch {
		case lerr != nil:
			continue
		case ok:
			if err := s.store.SetMessageCarrierID(ctx, m.ID, found.ID, store.Progress{}); err != nil {
				s.log.Error("settle send: record carrier id", "message_id", m.ID, "err", err)
			}
		default:
			var refund *naive.LedgerEntry
			if m.CreditsUsed > 0 {
				refund = &naive.LedgerEntry{ID: newID(), OperatorID: m.OperatorID, Mode: m.Mode, Amount: m.CreditsUsed,
					Reason: naive.LedgerSMSRefund, ReferenceID: m.ID, Actor: reconciler, CreatedAt: s.now()}
			}
			if _, err := s.store.FailMessage(ctx, m.ID, "not_sent", refund, s.now(), store.Progress{}); err != nil && !errors.Is(err, store.ErrConflict) {
				s.log.Error("settle send: refund", "message_id", m.ID, "err", err)
			} else {
				s.log.Info("reconcile: refunded a send that never reached the carrier", "message_id", m.ID)
			}
		}
	}
}

// ResumeStaleRuns takes over the runs whose process died (or that a live
// process let go, unable to tell what the carrier did) and resumes them in
// the background: a provision records the number the carrier holds under
// its phone id or refunds; a send records the text the carrier holds under
// its id or refunds. Nothing is bought or sent afresh here — no one waits
// for it; a client retrying with the same key then starts afresh. It
// reports how many it settled.
func (s *Service) ResumeStaleRuns(ctx context.Context) int {
	recs, err := s.store.ListStaleRuns(ctx, s.liveAfter(), 100)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list stale runs", "err", err)
		}
		return 0
	}
	n := 0
	for i := range recs {
		rec := &recs[i]
		if ok, err := s.TakeOverKey(ctx, rec); err != nil || !ok {
			continue
		}
		if s.resumeInBackground(ctx, rec) {
			n++
		}
	}
	return n
}

func (s *Service) resumeInBackground(ctx context.Context, rec *store.IdempotencyRecord) bool {
	var pl runPayload
	if err := json.Unmarshal(rec.Payload, &pl); err != nil || rec.ResourceID == "" {
		// Nothing committed a phase that needs settling: forget the key.
		_ = s.store.AbortIdempotent(ctx, rec)
		return true
	}
	r := &run{s: s, p: pl.Principal, action: rec.Action, key: rec, resumed: true}
	if !isAutoKey(rec) {
		r.idem = &naive.Idempotency{Key: rec.Key, RequestHash: rec.RequestHash, Method: rec.Method, Path: rec.Path}
	}
	sc := pl.Principal.Scope()
	var err error
	switch rec.Action {
	case ActionPhoneProvision:
		var req naive.ProvisionRequest
		_ = json.Unmarshal(pl.Request, &req)
		_, err = s.resumeProvision(ctx, r, &naive.Subject{ID: pl.SubjectID}, req, false)
	case ActionSMSSend:
		var req sendPayload
		_ = json.Unmarshal(pl.Request, &req)
		ph, perr := s.store.GetPhone(ctx, sc, req.PhoneID)
		brand, berr := s.store.GetBrand(ctx, sc, pl.SubjectID)
		var cr carrier.Carrier
		if berr == nil {
			cr = s.carrierOrNil(pl.Principal.Mode, brand)
		}
		if perr != nil || berr != nil || cr == nil {
			r.release(ctx)
			return false
		}
		_, err = s.resumeSend(ctx, r, cr, brand, ph, req.SendRequest, false)
	default:
		r.release(ctx)
		return false
	}
	if r.released {
		return false
	}
	s.log.Info("reconcile: resumed a run whose process died", "action", rec.Action, "resource_id", rec.ResourceID,
		"outcome", naive.ErrorCode(err))
	return true
}
