package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const subjectCols = `id, operator_id, mode, is_default,
	legal_name, state, website, industry, privacy_policy_url, terms_url, address, contact,
	formation_status, formation_entity_type, formation_state, formation_legal_name,
	formed_at, submitted_at, completes_at, created_at, updated_at, account_kit_id`

// subjectRow is a subject as scanned: its columns' destinations, then
// finish, so a joined row can scan it beside another table's columns.
type subjectRow struct {
	v   naive.Subject
	kit *string
}

func (x *subjectRow) dests() []any {
	v, f := &x.v, &x.v.Formation
	return []any{&v.ID, &v.OperatorID, &v.Mode, &v.IsDefault,
		&v.LegalName, &v.State, &v.Website, &v.Industry, &v.PrivacyPolicyURL, &v.TermsURL, &v.Address, &v.Contact,
		&f.Status, &f.EntityType, &f.State, &f.LegalName,
		&f.FormedAt, &f.SubmittedAt, &f.CompletesAt, &v.CreatedAt, &v.UpdatedAt, &x.kit}
}

func (x *subjectRow) finish() *naive.Subject {
	if x.kit != nil {
		x.v.AccountKitID = *x.kit
	}
	return &x.v
}

func scanSubject(r pgx.Row) (*naive.Subject, error) {
	var x subjectRow
	if err := r.Scan(x.dests()...); err != nil {
		return nil, err
	}
	return x.finish(), nil
}

// nullID is an optional id as stored: NULL for "".
func nullID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// prepareSubject fills the formation default and normalizes its times.
func prepareSubject(s *naive.Subject) {
	if s.Formation.Status == "" {
		s.Formation.Status = naive.FormationNotStarted
	}
	s.Formation.FormedAt = normPtr(s.Formation.FormedAt)
	s.Formation.SubmittedAt = normPtr(s.Formation.SubmittedAt)
	s.Formation.CompletesAt = normPtr(s.Formation.CompletesAt)
}

func insertSubject(ctx context.Context, q querier, method string, s *naive.Subject) error {
	if s.ID == "" || s.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	s.CreatedAt = norm(s.CreatedAt)
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = s.CreatedAt
	}
	s.UpdatedAt = norm(s.UpdatedAt)
	prepareSubject(s)
	f := &s.Formation
	// The foreign key to (kit, operator, mode) rejects a kit of another
	// scope as not found.
	_, err := q.Exec(ctx, `INSERT INTO subjects (`+subjectCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		s.ID, s.OperatorID, s.Mode, s.IsDefault,
		s.LegalName, s.State, s.Website, s.Industry, s.PrivacyPolicyURL, s.TermsURL, s.Address, s.Contact,
		f.Status, f.EntityType, f.State, f.LegalName,
		f.FormedAt, f.SubmittedAt, f.CompletesAt, s.CreatedAt, s.UpdatedAt, nullID(s.AccountKitID))
	return mapErr(err)
}

// CreateSubject stores a subject; a second default in one scope is a
// conflict, a kit not in the subject's scope not found.
func (db *DB) CreateSubject(ctx context.Context, s *naive.Subject) error {
	return insertSubject(ctx, db.pool, "CreateSubject", s)
}

// GetSubject returns a subject in scope.
func (db *DB) GetSubject(ctx context.Context, sc naive.Scope, id string) (*naive.Subject, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = $1 AND mode = $2 AND id = $3 AND deleted_at IS NULL`, sc.OperatorID, sc.Mode, id), scanSubject)
}

// GetDefaultSubject returns the scope's default subject.
func (db *DB) GetDefaultSubject(ctx context.Context, sc naive.Scope) (*naive.Subject, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = $1 AND mode = $2 AND is_default AND deleted_at IS NULL`, sc.OperatorID, sc.Mode), scanSubject)
}

// ListSubjects lists subjects not deleted, newest first.
func (db *DB) ListSubjects(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Subject, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = $1 AND mode = $2 AND deleted_at IS NULL AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		sc.OperatorID, sc.Mode, p.After, limit(p.Limit))
	return collect(rows, err, scanSubject)
}

// UpdateSubject stores a subject's profile, formation, kit (not its
// default flag) and UpdatedAt (required). A deleted subject, or a kit not
// in the subject's scope, is not found.
func (db *DB) UpdateSubject(ctx context.Context, s *naive.Subject) error {
	if s.UpdatedAt.IsZero() {
		return required("UpdateSubject", "UpdatedAt")
	}
	s.UpdatedAt = norm(s.UpdatedAt)
	prepareSubject(s)
	f := &s.Formation
	tag, err := db.pool.Exec(ctx, `UPDATE subjects SET
		legal_name = $1, state = $2, website = $3, industry = $4, privacy_policy_url = $5, terms_url = $6,
		address = $7, contact = $8,
		formation_status = $9, formation_entity_type = $10, formation_state = $11, formation_legal_name = $12,
		formed_at = $13, submitted_at = $14, completes_at = $15, updated_at = $16, account_kit_id = $20
		WHERE operator_id = $17 AND mode = $18 AND id = $19 AND deleted_at IS NULL`,
		s.LegalName, s.State, s.Website, s.Industry, s.PrivacyPolicyURL, s.TermsURL,
		s.Address, s.Contact,
		f.Status, f.EntityType, f.State, f.LegalName,
		f.FormedAt, f.SubmittedAt, f.CompletesAt, s.UpdatedAt,
		s.OperatorID, s.Mode, s.ID, nullID(s.AccountKitID))
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteSubject soft-deletes a subject in scope. It locks the subject's
// row first, so a ReservePhone holding it (FOR SHARE) commits before the
// phone check runs and is seen by it, and one coming after finds the
// subject deleted.
func (db *DB) DeleteSubject(ctx context.Context, sc naive.Scope, id string, at time.Time) error {
	at = norm(at)
	return db.tx(ctx, func(tx pgx.Tx) error {
		var isDefault bool
		err := tx.QueryRow(ctx, `SELECT is_default FROM subjects
			WHERE operator_id = $1 AND mode = $2 AND id = $3 AND deleted_at IS NULL FOR UPDATE`,
			sc.OperatorID, sc.Mode, id).Scan(&isDefault)
		if err != nil {
			return err
		}
		var busy bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM phones
			WHERE subject_id = $1 AND status IN ('active', 'provisioning'))`, id).Scan(&busy); err != nil {
			return err
		}
		if isDefault || busy {
			return store.ErrConflict
		}
		_, err = tx.Exec(ctx, `UPDATE subjects SET deleted_at = $1, updated_at = $1 WHERE id = $2`, at, id)
		return err
	})
}

const agentCols = `id, operator_id, mode, name, webhook_url, created_at`

func scanAgent(r pgx.Row) (*naive.Agent, error) {
	var a naive.Agent
	if err := r.Scan(&a.ID, &a.OperatorID, &a.Mode, &a.Name, &a.WebhookURL, &a.CreatedAt); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAgent stores an agent.
func (db *DB) CreateAgent(ctx context.Context, a *naive.Agent) error {
	if a.ID == "" || a.CreatedAt.IsZero() {
		return required("CreateAgent", "ID", "CreatedAt")
	}
	a.CreatedAt = norm(a.CreatedAt)
	_, err := db.pool.Exec(ctx, `INSERT INTO agents (`+agentCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, a.OperatorID, a.Mode, a.Name, a.WebhookURL, a.CreatedAt)
	return mapErr(err)
}

// GetAgent returns an agent in scope.
func (db *DB) GetAgent(ctx context.Context, sc naive.Scope, id string) (*naive.Agent, error) {
	return one(db.pool.QueryRow(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = $1 AND mode = $2 AND id = $3`, sc.OperatorID, sc.Mode, id), scanAgent)
}

// ListAgents lists agents, newest first.
func (db *DB) ListAgents(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Agent, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = $1 AND mode = $2 AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		sc.OperatorID, sc.Mode, p.After, limit(p.Limit))
	return collect(rows, err, scanAgent)
}

// UpdateAgent stores an agent's name and webhook URL and keeps its own
// webhook endpoint in step, in one transaction; the agent's row lock
// orders it with DeleteAgent and other updates.
func (db *DB) UpdateAgent(ctx context.Context, a *naive.Agent, ep *naive.WebhookEndpoint) (created bool, err error) {
	if a.WebhookURL != "" && (ep == nil || ep.ID == "" || ep.CreatedAt.IsZero()) {
		return false, required("UpdateAgent", "endpoint ID", "CreatedAt")
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		created = false
		got, err := scanAgent(tx.QueryRow(ctx, `UPDATE agents SET name = $1, webhook_url = $2
			WHERE operator_id = $3 AND mode = $4 AND id = $5 RETURNING `+agentCols,
			a.Name, a.WebhookURL, a.OperatorID, a.Mode, a.ID))
		if err != nil {
			return err
		}
		a.CreatedAt = got.CreatedAt
		if a.WebhookURL == "" {
			_, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE agent_id = $1`, a.ID)
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET url = $1 WHERE agent_id = $2`, a.WebhookURL, a.ID)
		if err := affected(tag, err, store.ErrNotFound); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ep.OperatorID, ep.Mode, ep.AgentID, ep.URL = a.OperatorID, a.Mode, a.ID, a.WebhookURL
		if err := insertEndpoint(ctx, tx, "UpdateAgent", ep); err != nil {
			return err
		}
		created = true
		return nil
	})
	return created, err
}

// DeleteAgent deletes an agent in scope with its assignments and its own
// webhook endpoint. It locks the agent's row first: a CreateAPIKey or
// UpsertAssignment naming the agent (both take a key-share lock on it)
// either commits before the key check runs, or waits and then finds the
// agent gone.
func (db *DB) DeleteAgent(ctx context.Context, sc naive.Scope, id string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `SELECT id FROM agents WHERE operator_id = $1 AND mode = $2 AND id = $3 FOR UPDATE`,
			sc.OperatorID, sc.Mode, id).Scan(&got)
		if err != nil {
			return err
		}
		var bound bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE agent_id = $1 AND revoked_at IS NULL)`,
			id).Scan(&bound); err != nil {
			return err
		}
		if bound {
			return store.ErrConflict
		}
		if _, err := tx.Exec(ctx, `DELETE FROM phone_assignments WHERE agent_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE agent_id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM agents WHERE id = $1`, id)
		return err
	})
}
