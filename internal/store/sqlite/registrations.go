package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// errNoClaimToken guards Complete* from matching a row by an empty token.
var errNoClaimToken = errors.New("sqlite: empty claim token")

const brandCols = `subject_id, operator_id, mode, ein, carrier_id, status, claim_token, claimed_by, claimed_at, created_at,
	tier, verification, verification_sent_at, carrier`

func scanBrand(s scanner) (*naive.Brand, error) {
	var b naive.Brand
	if err := s.Scan(&b.SubjectID, &b.OperatorID, &b.Mode, &b.EIN, &b.CarrierID, &b.Status, &b.ClaimToken,
		&b.ClaimedBy, timeCol{&b.ClaimedAt}, timeCol{&b.CreatedAt}, &b.Tier, &b.Verification,
		nullTimeCol{&b.VerificationSentAt}, &b.Carrier); err != nil {
		return nil, notFound(err)
	}
	return &b, nil
}

// claimerGone is whether a claim's process, claimed_by of the row the
// statement reads, is not alive since the statement's next parameter.
const claimerGone = `NOT EXISTS (SELECT 1 FROM processes WHERE processes.id = claimed_by AND processes.heartbeat_at >= ?)`

// ClaimBrand returns the subject's brand, inserting b as registering when
// there is none or taking over a registering brand whose claim is
// released, stale or held by a process that is gone (its carrier id kept,
// its EIN replaced when b.EIN is set). Check and write share one IMMEDIATE
// transaction, so of concurrent claimers exactly one gets claimed=true.
func (db *DB) ClaimBrand(ctx context.Context, b *naive.Brand, staleBefore, liveAfter time.Time) (*naive.Brand, bool, error) {
	if b.ClaimToken == "" {
		return nil, false, errNoClaimToken
	}
	if b.ClaimedAt.IsZero() || b.CreatedAt.IsZero() {
		return nil, false, required("ClaimBrand", "ClaimedAt", "CreatedAt")
	}
	b.Status = naive.BrandRegistering
	b.CarrierID = ""
	b.ClaimedAt = norm(b.ClaimedAt)
	b.CreatedAt = norm(b.CreatedAt)
	if b.Tier == "" {
		b.Tier = naive.TierStandard
	}
	if b.Carrier == "" {
		b.Carrier = naive.DefaultCarrier
	}
	var (
		out     *naive.Brand
		claimed bool
	)
	err := db.tx(ctx, func(tx *txn) error {
		cur, err := scanBrand(tx.QueryRowContext(ctx, `SELECT `+brandCols+` FROM brands WHERE subject_id = ?`, b.SubjectID))
		switch {
		case errors.Is(err, store.ErrNotFound):
			// The foreign key to (subject, operator, mode) rejects a
			// subject of another scope as not found.
			out, err = scanBrand(tx.QueryRowContext(ctx, `INSERT INTO brands (`+brandCols+`, updated_at)
				VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, '', NULL, ?, ?) RETURNING `+brandCols,
				b.SubjectID, b.OperatorID, b.Mode, b.EIN, b.Status, b.ClaimToken, b.ClaimedBy, ts(b.ClaimedAt),
				ts(b.CreatedAt), b.Tier, b.Carrier, ts(b.CreatedAt)))
			claimed = err == nil
			return err
		case err != nil:
			return err
		case cur.OperatorID != b.OperatorID || cur.Mode != b.Mode:
			return store.ErrNotFound
		}
		out, err = scanBrand(tx.QueryRowContext(ctx, `UPDATE brands SET claim_token = ?, claimed_by = ?, claimed_at = ?,
			ein = CASE WHEN ? = '' THEN ein ELSE ? END
			WHERE subject_id = ? AND status = 'registering'
			AND (claim_token = '' OR claimed_at < ? OR `+claimerGone+`) RETURNING `+brandCols,
			b.ClaimToken, b.ClaimedBy, ts(b.ClaimedAt), b.EIN, b.EIN, b.SubjectID, ts(staleBefore), ts(liveAfter)))
		if errors.Is(err, store.ErrNotFound) {
			out = cur
			return nil
		}
		claimed = err == nil
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, claimed, nil
}

// SetBrandCarrierID records the carrier's id of a brand still registering
// under claimToken.
func (db *DB) SetBrandCarrierID(ctx context.Context, subjectID, claimToken, carrierID string, at time.Time) error {
	if claimToken == "" {
		return store.ErrConflict
	}
	if at.IsZero() {
		return required("SetBrandCarrierID", "at")
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE brands SET carrier_id = ?, updated_at = ?
		WHERE subject_id = ? AND claim_token = ? AND status = 'registering'`,
		carrierID, ts(at), subjectID, claimToken)
	return affected(res, err, store.ErrConflict)
}

// CompleteBrand marks the brand registered, with its verification, if
// claimToken still holds its claim.
func (db *DB) CompleteBrand(ctx context.Context, subjectID, claimToken, carrierID, verification string, at time.Time) error {
	if claimToken == "" {
		return store.ErrConflict
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE brands SET status = 'registered', carrier_id = ?, claim_token = '',
		verification = ?, updated_at = ?
		WHERE subject_id = ? AND claim_token = ? AND status = 'registering'`,
		carrierID, verification, ts(at), subjectID, claimToken)
	return affected(res, err, store.ErrConflict)
}

// VerifyBrand marks a registered brand awaiting its verification text
// verified; false when it awaits none (verified already, or standard).
func (db *DB) VerifyBrand(ctx context.Context, subjectID string, at time.Time) (bool, error) {
	res, err := db.writer.ExecContext(ctx, `UPDATE brands SET verification = 'verified', updated_at = ?
		WHERE subject_id = ? AND status = 'registered' AND verification = 'pending_otp'`, ts(at), subjectID)
	return claimedRow(res, err)
}

// SetBrandVerificationSent moves a pending brand's verification_sent_at
// from from to to, if it still is from (nil: never sent).
func (db *DB) SetBrandVerificationSent(ctx context.Context, sc naive.Scope, subjectID string, from, to *time.Time, at time.Time) (bool, error) {
	res, err := db.writer.ExecContext(ctx, `UPDATE brands SET verification_sent_at = ?, updated_at = ?
		WHERE operator_id = ? AND mode = ? AND subject_id = ? AND status = 'registered' AND verification = 'pending_otp'
		AND verification_sent_at IS ?`, nts(to), ts(at), sc.OperatorID, sc.Mode, subjectID, nts(from))
	return claimedRow(res, err)
}

// AbandonBrand gives up a registering brand's claim held with claimToken:
// a brand without a carrier id is deleted, one with a carrier id keeps its
// row with the claim released (its claim token emptied), so the next claim takes it
// over and reuses the carrier's brand. With the claim lost it does
// nothing, as the brand is someone else's now.
func (db *DB) AbandonBrand(ctx context.Context, subjectID, claimToken string) error {
	if claimToken == "" {
		return nil
	}
	return db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM brands
			WHERE subject_id = ? AND claim_token = ? AND status = 'registering' AND carrier_id = ''`,
			subjectID, claimToken); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE brands SET claim_token = ''
			WHERE subject_id = ? AND claim_token = ? AND status = 'registering'`, subjectID, claimToken)
		return err
	})
}

// GetBrand returns a subject's brand.
func (db *DB) GetBrand(ctx context.Context, sc naive.Scope, subjectID string) (*naive.Brand, error) {
	return scanBrand(db.reader.QueryRowContext(ctx, `SELECT `+brandCols+` FROM brands
		WHERE operator_id = ? AND mode = ? AND subject_id = ?`, sc.OperatorID, sc.Mode, subjectID))
}

// GetBrandByCarrierID finds a registered brand of any tenant by carrier id.
func (db *DB) GetBrandByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Brand, error) {
	if carrierID == "" {
		return nil, store.ErrNotFound
	}
	return scanBrand(db.reader.QueryRowContext(ctx, `SELECT `+brandCols+` FROM brands
		WHERE mode = ? AND carrier_id = ? AND status = 'registered'`, mode, carrierID))
}

// campaignInsertCols are the columns a new campaign is inserted with;
// campaignCols are those read back.
const campaignInsertCols = `id, subject_id, operator_id, mode, kind, status, eta, carrier_id, claim_token, claimed_by, claimed_at,
	created_at, updated_at`

const campaignCols = campaignInsertCols + `, rejection_reason`

// campaignRow is a campaign as scanned (see subjectRow).
type campaignRow struct {
	c      naive.Campaign
	eta    sql.NullString
	reason sql.NullString
}

func (x *campaignRow) dests() []any {
	c := &x.c
	return []any{&c.ID, &c.SubjectID, &c.OperatorID, &c.Mode, &c.Kind, &c.Status, &x.eta, &c.CarrierID, &c.ClaimToken,
		&c.ClaimedBy, timeCol{&c.ClaimedAt}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &x.reason}
}

func (x *campaignRow) finish() *naive.Campaign {
	if x.eta.Valid {
		x.c.ETA = &x.eta.String
	}
	if x.reason.Valid {
		x.c.RejectionReason = &x.reason.String
	}
	return &x.c
}

func scanCampaign(s scanner) (*naive.Campaign, error) {
	var x campaignRow
	if err := s.Scan(x.dests()...); err != nil {
		return nil, notFound(err)
	}
	return x.finish(), nil
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// ClaimCampaign returns the subject's campaign of c.Kind, inserting c when
// there is none or taking over an unregistered one (claim token set) whose
// claim is stale or held by a process that is gone, keeping its id; like
// ClaimBrand, exactly one concurrent claimer wins. A registered campaign
// has no claim token and may have no carrier id (toll-free verification
// has no carrier API). It is one writer transaction, so a
// PatchCampaignContent runs wholly before it or after it (and is refused).
func (db *DB) ClaimCampaign(ctx context.Context, c *naive.Campaign, staleBefore, liveAfter time.Time) (*naive.Campaign, bool, error) {
	if c.ClaimToken == "" {
		return nil, false, errNoClaimToken
	}
	if c.ID == "" || c.ClaimedAt.IsZero() || c.CreatedAt.IsZero() {
		return nil, false, required("ClaimCampaign", "ID", "ClaimedAt", "CreatedAt")
	}
	if c.Status == "" {
		c.Status = naive.CampaignCreated
	}
	c.CarrierID = ""
	c.ClaimedAt = norm(c.ClaimedAt)
	c.CreatedAt = norm(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = norm(c.UpdatedAt)
	var (
		out     *naive.Campaign
		claimed bool
	)
	err := db.tx(ctx, func(tx *txn) error {
		cur, err := scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns
			WHERE subject_id = ? AND kind = ?`, c.SubjectID, c.Kind))
		switch {
		case errors.Is(err, store.ErrNotFound):
			out, err = scanCampaign(tx.QueryRowContext(ctx, `INSERT INTO campaigns (`+campaignInsertCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?) RETURNING `+campaignCols,
				c.ID, c.SubjectID, c.OperatorID, c.Mode, c.Kind, c.Status, nullString(c.ETA), c.ClaimToken, c.ClaimedBy,
				ts(c.ClaimedAt), ts(c.CreatedAt), ts(c.UpdatedAt)))
			claimed = err == nil
			return err
		case err != nil:
			return err
		case cur.OperatorID != c.OperatorID || cur.Mode != c.Mode:
			return store.ErrNotFound
		}
		out, err = scanCampaign(tx.QueryRowContext(ctx, `UPDATE campaigns SET claim_token = ?, claimed_by = ?, claimed_at = ?
			WHERE id = ? AND claim_token <> '' AND (claimed_at < ? OR `+claimerGone+`) RETURNING `+campaignCols,
			c.ClaimToken, c.ClaimedBy, ts(c.ClaimedAt), cur.ID, ts(staleBefore), ts(liveAfter)))
		if errors.Is(err, store.ErrNotFound) {
			out = cur
			return nil
		}
		claimed = err == nil
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, claimed, nil
}

// CompleteCampaign registers a campaign still claimed with claimToken,
// clearing the token: that, not the carrier id, marks it registered.
func (db *DB) CompleteCampaign(ctx context.Context, id, claimToken, carrierID, status string, at time.Time) error {
	if claimToken == "" {
		return store.ErrConflict
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE campaigns SET carrier_id = ?, status = ?, claim_token = '', updated_at = ?
		WHERE id = ? AND claim_token = ?`,
		carrierID, status, ts(at), id, claimToken)
	return affected(res, err, store.ErrConflict)
}

// ClaimDeferredCampaign claims a registered 10DLC campaign the carrier does
// not have yet (a sole proprietor's, deferred until the brand is verified)
// for creating it there: it sets deferred_claim to token unless a fresh
// claim of a live process holds it. The campaign stays registered (its
// claim_token is not touched), so numbers and lists keep seeing it.
func (db *DB) ClaimDeferredCampaign(ctx context.Context, id, token, owner string, at, staleBefore, liveAfter time.Time) (bool, error) {
	if token == "" {
		return false, errNoClaimToken
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE campaigns SET deferred_claim = ?, claimed_by = ?, claimed_at = ?
		WHERE id = ? AND kind = '10dlc' AND carrier_id = '' AND status = 'created' AND claim_token = ''
		AND (deferred_claim = '' OR claimed_at < ? OR `+claimerGone+`)`,
		token, owner, ts(at), id, ts(staleBefore), ts(liveAfter))
	return claimedRow(res, err)
}

// CompleteDeferredCampaign stores the carrier's id and status of a
// deferred campaign still claimed with token, ending the claim.
func (db *DB) CompleteDeferredCampaign(ctx context.Context, id, token, carrierID, status string, at time.Time) error {
	if token == "" {
		return store.ErrConflict
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE campaigns SET carrier_id = ?, status = ?, deferred_claim = '', updated_at = ?
		WHERE id = ? AND deferred_claim = ? AND carrier_id = ''`, carrierID, status, ts(at), id, token)
	return affected(res, err, store.ErrConflict)
}

// ReleaseDeferredCampaign lets go of a deferred campaign's claim, changing
// nothing else.
func (db *DB) ReleaseDeferredCampaign(ctx context.Context, id, token string) error {
	if token == "" {
		return nil
	}
	_, err := db.writer.ExecContext(ctx, `UPDATE campaigns SET deferred_claim = '' WHERE id = ? AND deferred_claim = ?`, id, token)
	return mapErr(err)
}

// claimedRow reports whether a conditional write matched its row.
func claimedRow(res sql.Result, err error) (bool, error) {
	if err := affected(res, err, store.ErrConflict); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// AbandonCampaign deletes an unregistered campaign still claimed with
// claimToken; with the claim lost it does nothing.
func (db *DB) AbandonCampaign(ctx context.Context, id, claimToken string) error {
	if claimToken == "" {
		return nil // '' is the token of every registered campaign
	}
	_, err := db.writer.ExecContext(ctx, `DELETE FROM campaigns WHERE id = ? AND claim_token = ?`, id, claimToken)
	return mapErr(err)
}

// GetCampaign returns a campaign in scope, registered or not.
func (db *DB) GetCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Campaign, error) {
	return scanCampaign(db.reader.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListCampaigns lists the subject's registered campaigns, newest first.
func (db *DB) ListCampaigns(ctx context.Context, sc naive.Scope, subjectID string) ([]naive.Campaign, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE operator_id = ? AND mode = ? AND subject_id = ? AND claim_token = '' ORDER BY id DESC`,
		sc.OperatorID, sc.Mode, subjectID)
	return collect(rows, err, scanCampaign)
}

// ListOpenCampaigns lists registered campaigns still created or in review,
// least recently updated first, so a poller with a limit gets round to all.
func (db *DB) ListOpenCampaigns(ctx context.Context, n int) ([]naive.Campaign, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE claim_token = '' AND status IN ('created', 'in_review') ORDER BY updated_at, id LIMIT ?`, limit(n))
	return collect(rows, err, scanCampaign)
}

// rankSQL is naive.CampaignRank of the stored status, so the forward-only
// check and the write are one statement.
const rankSQL = `CASE status WHEN 'created' THEN 1 WHEN 'in_review' THEN 2 WHEN 'active' THEN 3 WHEN 'rejected' THEN 3 ELSE 0 END`

// AdvanceCampaign records ce, then stores status if it ranks above the
// stored one, in one transaction; an unknown campaign or status changes
// nothing, and a ce recorded before stores nothing.
func (db *DB) AdvanceCampaign(ctx context.Context, id, status, reason string, at time.Time, events []*naive.Event, ce *store.CarrierEvent) (bool, error) {
	return db.advanceCampaign(ctx, id, status, reason, at, nil, events, ce)
}

// AdvanceCampaignFrom is AdvanceCampaign for a status learnt from the
// campaign as read at readAt (its updated_at): it stores nothing if the
// campaign changed since.
func (db *DB) AdvanceCampaignFrom(ctx context.Context, id string, readAt time.Time, status, reason string, at, staleBefore time.Time, events []*naive.Event) (bool, error) {
	return db.advanceCampaign(ctx, id, status, reason, at, &fence{readAt: readAt, staleBefore: staleBefore}, events, nil)
}

// fence is the condition of a polled answer: the campaign as read, and no
// fresh resubmission mark.
type fence struct{ readAt, staleBefore time.Time }

// MarkResubmitting marks a rejected campaign as being resubmitted.
func (db *DB) MarkResubmitting(ctx context.Context, sc naive.Scope, id, token, owner string, at, staleBefore time.Time) (bool, error) {
	if token == "" {
		return false, errNoClaimToken
	}
	res, err := db.writer.ExecContext(ctx, `UPDATE campaigns SET deferred_claim = ?, claimed_by = ?, claimed_at = ?
		WHERE operator_id = ? AND mode = ? AND id = ? AND status = 'rejected' AND claim_token = ''
		AND (deferred_claim = '' OR claimed_at < ?)`, token, owner, ts(at), sc.OperatorID, sc.Mode, id, ts(staleBefore))
	return claimedRow(res, err)
}

func (db *DB) advanceCampaign(ctx context.Context, id, status, reason string, at time.Time, f *fence, events []*naive.Event, ce *store.CarrierEvent) (bool, error) {
	for _, ev := range events {
		if err := checkEvent("AdvanceCampaign", ev); err != nil {
			return false, err
		}
	}
	if err := checkCarrierEvent("AdvanceCampaign", ce); err != nil {
		return false, err
	}
	rank := naive.CampaignRank(status)
	if rank == 0 && ce == nil {
		return false, nil
	}
	changed := false
	err := db.tx(ctx, func(tx *txn) error {
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh || rank == 0 {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = ?, updated_at = ?, rejection_reason = ?
			WHERE id = ? AND `+rankSQL+` < ? AND (? = 0 OR (updated_at = ? AND (deferred_claim = '' OR claimed_at < ?)))`,
			status, ts(at), store.RejectionReason(status, reason), id, rank, f.on(), f.read(), f.stale())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		changed = true
		for _, ev := range events {
			if err := db.insertEvent(ctx, tx, "AdvanceCampaign", ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, mapErr(err)
	}
	return changed, nil
}

// GetCampaignByCarrierID finds a campaign of any tenant by carrier id.
func (db *DB) GetCampaignByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Campaign, error) {
	if carrierID == "" {
		return nil, store.ErrNotFound
	}
	return scanCampaign(db.reader.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE mode = ? AND carrier_id = ? AND claim_token = ''`, mode, carrierID))
}

// ListRegisteredBrands lists registered brands of every tenant by subject id.
func (db *DB) ListRegisteredBrands(ctx context.Context, afterSubjectID string, n int) ([]naive.Brand, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+brandCols+` FROM brands
		WHERE status = 'registered' AND subject_id > ? ORDER BY subject_id LIMIT ?`, afterSubjectID, limit(n))
	return collect(rows, err, scanBrand)
}

// affected returns ifNone when a write matched no row.
func affected(res sql.Result, err, ifNone error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ifNone
	}
	return nil
}

func (f *fence) on() int {
	if f == nil {
		return 0
	}
	return 1
}

func (f *fence) read() string {
	if f == nil {
		return ""
	}
	return ts(f.readAt)
}

func (f *fence) stale() string {
	if f == nil {
		return ""
	}
	return ts(f.staleBefore)
}
