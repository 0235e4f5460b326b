package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// errNoClaimToken guards Complete* from matching a row by an empty token.
var errNoClaimToken = errors.New("postgres: empty claim token")

// errClaimVanished reports a registration deleted again and again between
// our insert attempt and our look-up, which takes a pathological race.
var errClaimVanished = errors.New("postgres: registration kept vanishing while being claimed")

// claimAttempts bounds the insert-or-lock loop of the claims.
const claimAttempts = 5

const brandCols = `subject_id, operator_id, mode, ein, carrier_id, status, claim_token, claimed_by, claimed_at, created_at,
	tier, verification, verification_sent_at, carrier`

func scanBrand(r pgx.Row) (*naive.Brand, error) {
	var b naive.Brand
	if err := r.Scan(&b.SubjectID, &b.OperatorID, &b.Mode, &b.EIN, &b.CarrierID, &b.Status, &b.ClaimToken,
		&b.ClaimedBy, &b.ClaimedAt, &b.CreatedAt, &b.Tier, &b.Verification, &b.VerificationSentAt, &b.Carrier); err != nil {
		return nil, err
	}
	return &b, nil
}

// claimerGone is whether the process holding a claim, claimed_by of the
// row, is not alive since $n (no process at all when claimed_by is ”).
func claimerGone(n string) string {
	return `NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = claimed_by AND p.heartbeat_at >= $` + n + `)`
}

// ClaimBrand returns the subject's brand, inserting b as registering when
// there is none or taking over a registering brand whose claim is
// released, stale or held by a process that is gone (its carrier id kept,
// its EIN replaced when b.EIN is set). INSERT … ON CONFLICT DO NOTHING
// waits for a concurrent inserter and SELECT … FOR UPDATE then holds the
// row, so the takeover's condition, a statement after it, reads the claim
// as the last claimer left it: of concurrent claimers exactly one gets
// claimed=true.
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
	staleBefore, liveAfter = norm(staleBefore), norm(liveAfter)
	var (
		out     *naive.Brand
		claimed bool
	)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		claimed = false
		for range claimAttempts {
			var err error
			// The foreign key to (subject, operator, mode) rejects a
			// subject of another scope as not found.
			out, err = scanBrand(tx.QueryRow(ctx, `INSERT INTO brands (`+brandCols+`, updated_at)
				VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, '', NULL, $11, $9)
				ON CONFLICT (subject_id) DO NOTHING RETURNING `+brandCols,
				b.SubjectID, b.OperatorID, b.Mode, b.EIN, b.Status, b.ClaimToken, b.ClaimedBy, b.ClaimedAt, b.CreatedAt, b.Tier, b.Carrier))
			if err == nil {
				claimed = true
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			cur, err := scanBrand(tx.QueryRow(ctx, `SELECT `+brandCols+` FROM brands WHERE subject_id = $1 FOR UPDATE`, b.SubjectID))
			if errors.Is(err, pgx.ErrNoRows) {
				continue // abandoned since our insert; try again
			}
			switch {
			case err != nil:
				return err
			case cur.OperatorID != b.OperatorID || cur.Mode != b.Mode:
				return store.ErrNotFound
			case cur.Status != naive.BrandRegistering:
				out = cur
				return nil
			}
			out, err = scanBrand(tx.QueryRow(ctx, `UPDATE brands SET claim_token = $1, claimed_by = $2, claimed_at = $3,
				ein = CASE WHEN $4 = '' THEN ein ELSE $4 END
				WHERE subject_id = $5 AND status = 'registering'
				AND (claim_token = '' OR claimed_at < $6 OR `+claimerGone("7")+`) RETURNING `+brandCols,
				b.ClaimToken, b.ClaimedBy, b.ClaimedAt, b.EIN, b.SubjectID, staleBefore, liveAfter))
			if errors.Is(err, pgx.ErrNoRows) {
				out = cur
				return nil
			}
			claimed = err == nil
			return err
		}
		return errClaimVanished
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
	tag, err := db.pool.Exec(ctx, `UPDATE brands SET carrier_id = $1, updated_at = $2
		WHERE subject_id = $3 AND claim_token = $4 AND status = 'registering'`,
		carrierID, norm(at), subjectID, claimToken)
	return affected(tag, err, store.ErrConflict)
}

// CompleteBrand marks the brand registered, with its verification, if
// claimToken still holds its claim.
func (db *DB) CompleteBrand(ctx context.Context, subjectID, claimToken, carrierID, verification string, at time.Time) error {
	if claimToken == "" {
		return store.ErrConflict
	}
	tag, err := db.pool.Exec(ctx, `UPDATE brands SET status = 'registered', carrier_id = $1, claim_token = '',
		verification = $2, updated_at = $3
		WHERE subject_id = $4 AND claim_token = $5 AND status = 'registering'`,
		carrierID, verification, norm(at), subjectID, claimToken)
	return affected(tag, err, store.ErrConflict)
}

// VerifyBrand marks a registered brand awaiting its verification text
// verified; false when it awaits none (verified already, or standard).
func (db *DB) VerifyBrand(ctx context.Context, subjectID string, at time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE brands SET verification = 'verified', updated_at = $1
		WHERE subject_id = $2 AND status = 'registered' AND verification = 'pending_otp'`, norm(at), subjectID)
	return claimedRow(tag, err)
}

// SetBrandVerificationSent moves a pending brand's verification_sent_at
// from from to to, if it still is from (nil: never sent).
func (db *DB) SetBrandVerificationSent(ctx context.Context, sc naive.Scope, subjectID string, from, to *time.Time, at time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE brands SET verification_sent_at = $1, updated_at = $2
		WHERE operator_id = $3 AND mode = $4 AND subject_id = $5 AND status = 'registered' AND verification = 'pending_otp'
		AND verification_sent_at IS NOT DISTINCT FROM $6::timestamptz`,
		normPtr(to), norm(at), sc.OperatorID, sc.Mode, subjectID, normPtr(from))
	return claimedRow(tag, err)
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
	tag, err := db.pool.Exec(ctx, `UPDATE campaigns SET deferred_claim = $1, claimed_by = $2, claimed_at = $3
		WHERE id = $4 AND kind = '10dlc' AND carrier_id = '' AND status = 'created' AND claim_token = ''
		AND (deferred_claim = '' OR claimed_at < $5 OR `+claimerGone("6")+`)`,
		token, owner, norm(at), id, norm(staleBefore), norm(liveAfter))
	return claimedRow(tag, err)
}

// CompleteDeferredCampaign stores the carrier's id and status of a
// deferred campaign still claimed with token, ending the claim.
func (db *DB) CompleteDeferredCampaign(ctx context.Context, id, token, carrierID, status string, at time.Time) error {
	if token == "" {
		return store.ErrConflict
	}
	tag, err := db.pool.Exec(ctx, `UPDATE campaigns SET carrier_id = $1, status = $2, deferred_claim = '', updated_at = $3
		WHERE id = $4 AND deferred_claim = $5 AND carrier_id = ''`, carrierID, status, norm(at), id, token)
	return affected(tag, err, store.ErrConflict)
}

// ReleaseDeferredCampaign lets go of a deferred campaign's claim, changing
// nothing else.
func (db *DB) ReleaseDeferredCampaign(ctx context.Context, id, token string) error {
	if token == "" {
		return nil
	}
	_, err := db.pool.Exec(ctx, `UPDATE campaigns SET deferred_claim = '' WHERE id = $1 AND deferred_claim = $2`, id, token)
	return mapErr(err)
}

// claimedRow reports whether a conditional write matched its row.
func claimedRow(tag pgconnTag, err error) (bool, error) {
	if err := affected(tag, err, store.ErrConflict); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// AbandonBrand gives up a registering brand's claim held with claimToken:
// a brand without a carrier id is deleted, one with a carrier id keeps its
// row with the claim released (claim_token ”), so the next claim takes it
// over and reuses the carrier's brand. With the claim lost it does
// nothing, as the brand is someone else's now. Both are one statement.
func (db *DB) AbandonBrand(ctx context.Context, subjectID, claimToken string) error {
	if claimToken == "" {
		return nil
	}
	_, err := db.pool.Exec(ctx, `WITH d AS (DELETE FROM brands
			WHERE subject_id = $1 AND claim_token = $2 AND status = 'registering' AND carrier_id = '' RETURNING 1)
		UPDATE brands SET claim_token = ''
		WHERE subject_id = $1 AND claim_token = $2 AND status = 'registering' AND carrier_id <> ''`,
		subjectID, claimToken)
	return mapErr(err)
}

// GetBrand returns a subject's brand.
func (db *DB) GetBrand(ctx context.Context, sc naive.Scope, subjectID string) (*naive.Brand, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+brandCols+` FROM brands
		WHERE operator_id = $1 AND mode = $2 AND subject_id = $3`, sc.OperatorID, sc.Mode, subjectID), scanBrand)
}

// GetBrandByCarrierID finds a registered brand of any tenant by carrier id.
func (db *DB) GetBrandByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Brand, error) {
	if carrierID == "" {
		return nil, store.ErrNotFound
	}
	return one(db.pool.QueryRow(ctx, `SELECT `+brandCols+` FROM brands
		WHERE mode = $1 AND carrier_id = $2 AND status = 'registered'`, mode, carrierID), scanBrand)
}

// campaignInsertCols are the columns a new campaign is inserted with;
// campaignCols are those read back.
const campaignInsertCols = `id, subject_id, operator_id, mode, kind, status, eta, carrier_id, claim_token, claimed_by,
	claimed_at, created_at, updated_at`

const campaignCols = campaignInsertCols + `, rejection_reason`

func campaignDests(c *naive.Campaign) []any {
	return []any{&c.ID, &c.SubjectID, &c.OperatorID, &c.Mode, &c.Kind, &c.Status, &c.ETA, &c.CarrierID, &c.ClaimToken,
		&c.ClaimedBy, &c.ClaimedAt, &c.CreatedAt, &c.UpdatedAt, &c.RejectionReason}
}

func scanCampaign(r pgx.Row) (*naive.Campaign, error) {
	var c naive.Campaign
	if err := r.Scan(campaignDests(&c)...); err != nil {
		return nil, err
	}
	return &c, nil
}

// ClaimCampaign returns the subject's campaign of c.Kind, inserting c when
// there is none or taking over an unregistered one (claim token set) whose
// claim is stale or held by a process that is gone, keeping its id; like
// ClaimBrand, exactly one concurrent claimer wins. A registered campaign
// has no claim token and may have no carrier id (toll-free verification
// has no carrier API).
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
	staleBefore, liveAfter = norm(staleBefore), norm(liveAfter)
	var (
		out     *naive.Campaign
		claimed bool
	)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		claimed = false
		// The subject's row, shared: a PatchCampaignContent holding it
		// (FOR UPDATE) commits first, so the content the registration
		// reads after this claim has its patch; one coming after sees
		// this campaign and is refused.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM subjects WHERE id = $1 FOR SHARE`, c.SubjectID); err != nil {
			return err
		}
		for range claimAttempts {
			var err error
			out, err = scanCampaign(tx.QueryRow(ctx, `INSERT INTO campaigns (`+campaignInsertCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $10, $11, $12)
				ON CONFLICT (subject_id, kind) DO NOTHING RETURNING `+campaignCols,
				c.ID, c.SubjectID, c.OperatorID, c.Mode, c.Kind, c.Status, c.ETA, c.ClaimToken, c.ClaimedBy,
				c.ClaimedAt, c.CreatedAt, c.UpdatedAt))
			if err == nil {
				claimed = true
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			cur, err := scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns
				WHERE subject_id = $1 AND kind = $2 FOR UPDATE`, c.SubjectID, c.Kind))
			if errors.Is(err, pgx.ErrNoRows) {
				continue // abandoned since our insert; try again
			}
			switch {
			case err != nil:
				return err
			case cur.OperatorID != c.OperatorID || cur.Mode != c.Mode:
				return store.ErrNotFound
			case cur.ClaimToken == "":
				out = cur
				return nil
			}
			// A statement after the lock: it reads the claimer's
			// heartbeat as of now.
			out, err = scanCampaign(tx.QueryRow(ctx, `UPDATE campaigns SET claim_token = $1, claimed_by = $2, claimed_at = $3
				WHERE id = $4 AND claim_token <> '' AND (claimed_at < $5 OR `+claimerGone("6")+`)
				RETURNING `+campaignCols, c.ClaimToken, c.ClaimedBy, c.ClaimedAt, cur.ID, staleBefore, liveAfter))
			if errors.Is(err, pgx.ErrNoRows) {
				out = cur
				return nil
			}
			claimed = err == nil
			return err
		}
		return errClaimVanished
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
	tag, err := db.pool.Exec(ctx, `UPDATE campaigns SET carrier_id = $1, status = $2, claim_token = '', updated_at = $3
		WHERE id = $4 AND claim_token = $5`,
		carrierID, status, norm(at), id, claimToken)
	return affected(tag, err, store.ErrConflict)
}

// AbandonCampaign deletes an unregistered campaign still claimed with
// claimToken; with the claim lost it does nothing.
func (db *DB) AbandonCampaign(ctx context.Context, id, claimToken string) error {
	if claimToken == "" {
		return nil // '' is the token of every registered campaign
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM campaigns WHERE id = $1 AND claim_token = $2`, id, claimToken)
	return mapErr(err)
}

// GetCampaign returns a campaign in scope, registered or not.
func (db *DB) GetCampaign(ctx context.Context, sc naive.Scope, id string) (*naive.Campaign, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanCampaign)
}

// ListCampaigns lists the subject's registered campaigns, newest first.
func (db *DB) ListCampaigns(ctx context.Context, sc naive.Scope, subjectID string) ([]naive.Campaign, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE operator_id = $1 AND mode = $2 AND subject_id = $3 AND claim_token = '' ORDER BY id DESC`,
		sc.OperatorID, sc.Mode, subjectID)
	return collect(rows, err, scanCampaign)
}

// ListOpenCampaigns lists registered campaigns still created or in review,
// least recently updated first, so a poller with a limit gets round to all.
func (db *DB) ListOpenCampaigns(ctx context.Context, n int) ([]naive.Campaign, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE claim_token = '' AND status IN ('created', 'in_review') ORDER BY updated_at, id LIMIT $1`, limit(n))
	return collect(rows, err, scanCampaign)
}

// rankSQL is naive.CampaignRank of the stored status, so the forward-only
// check and the write are one statement, re-checked after a row-lock wait.
const rankSQL = `CASE status WHEN 'created' THEN 1 WHEN 'in_review' THEN 2 WHEN 'active' THEN 3 WHEN 'rejected' THEN 3 ELSE 0 END`

// AdvanceCampaign records ce, then stores status if it ranks above the
// stored one, with events; an unknown campaign or status changes nothing,
// and a ce recorded before stores nothing.
func (db *DB) AdvanceCampaign(ctx context.Context, id, status, reason string, at time.Time, events []*naive.Event, ce *store.CarrierEvent) (bool, error) {
	return db.advanceCampaign(ctx, id, status, reason, at, nil, nil, events, ce)
}

// AdvanceCampaignFrom is AdvanceCampaign for a status learnt from the
// campaign as read at readAt (its updated_at): it stores nothing if the
// campaign changed since.
func (db *DB) AdvanceCampaignFrom(ctx context.Context, id string, readAt time.Time, status, reason string, at, staleBefore time.Time, events []*naive.Event) (bool, error) {
	readAt, staleBefore = norm(readAt), norm(staleBefore)
	return db.advanceCampaign(ctx, id, status, reason, at, &readAt, &staleBefore, events, nil)
}

// MarkResubmitting marks a rejected campaign as being resubmitted.
func (db *DB) MarkResubmitting(ctx context.Context, sc naive.Scope, id, token, owner string, at, staleBefore time.Time) (bool, error) {
	if token == "" {
		return false, errNoClaimToken
	}
	tag, err := db.pool.Exec(ctx, `UPDATE campaigns SET deferred_claim = $1, claimed_by = $2, claimed_at = $3
		WHERE operator_id = $4 AND mode = $5 AND id = $6 AND status = 'rejected' AND claim_token = ''
		AND (deferred_claim = '' OR claimed_at < $7)`, token, owner, norm(at), sc.OperatorID, sc.Mode, id, norm(staleBefore))
	return claimedRow(tag, err)
}

func (db *DB) advanceCampaign(ctx context.Context, id, status, reason string, at time.Time, readAt, staleBefore *time.Time, events []*naive.Event, ce *store.CarrierEvent) (bool, error) {
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
	err := db.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		if fresh, err := insertCarrierEvent(ctx, tx, ce); err != nil || !fresh || rank == 0 {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET status = $1, updated_at = $2, rejection_reason = $5
			WHERE id = $3 AND `+rankSQL+` < $4
			AND ($6::timestamptz IS NULL OR (updated_at = $6 AND (deferred_claim = '' OR claimed_at < $7::timestamptz)))`,
			status, norm(at), id, rank, store.RejectionReason(status, reason), readAt, staleBefore)
		if err != nil || tag.RowsAffected() == 0 {
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
		return false, err
	}
	return changed, nil
}

// GetCampaignByCarrierID finds a campaign of any tenant by carrier id.
func (db *DB) GetCampaignByCarrierID(ctx context.Context, mode naive.Mode, carrierID string) (*naive.Campaign, error) {
	if carrierID == "" {
		return nil, store.ErrNotFound
	}
	return one(db.pool.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE mode = $1 AND carrier_id = $2 AND claim_token = ''`, mode, carrierID), scanCampaign)
}

// ListRegisteredBrands lists registered brands of every tenant by subject id.
func (db *DB) ListRegisteredBrands(ctx context.Context, afterSubjectID string, n int) ([]naive.Brand, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+brandCols+` FROM brands
		WHERE status = 'registered' AND subject_id > $1 ORDER BY subject_id LIMIT $2`, afterSubjectID, limit(n))
	return collect(rows, err, scanBrand)
}

// affected returns ifNone when a write matched no row.
func affected(tag pgconnTag, err, ifNone error) error {
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ifNone
	}
	return nil
}

// pgconnTag is the part of pgconn.CommandTag affected needs.
type pgconnTag interface{ RowsAffected() int64 }
