package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

const subjectCols = `id, operator_id, mode, is_default,
	legal_name, state, website, industry, privacy_policy_url, terms_url, address, contact,
	formation_status, formation_entity_type, formation_state, formation_legal_name,
	formed_at, submitted_at, completes_at, created_at, updated_at, account_kit_id`

// kitInScope is the condition, on the positional arguments kit, kit,
// operator, mode, that a subject's kit (NULL for none) is a kit of the
// subject's scope. SQLite cannot add the (kit, operator, mode) foreign key
// to an existing table, so the statements that write account_kit_id check
// it themselves; under the write lock check and write are atomic.
const kitInScope = `(? IS NULL OR EXISTS (SELECT 1 FROM account_kits
	WHERE id = ? AND operator_id = ? AND mode = ?))`

// subjectRow is a subject as scanned: its columns' destinations, then
// finish, so a joined row can scan it beside another table's columns.
type subjectRow struct {
	v                naive.Subject
	address, contact string
	kit              sql.NullString
}

func (x *subjectRow) dests() []any {
	v, f := &x.v, &x.v.Formation
	return []any{&v.ID, &v.OperatorID, &v.Mode, &v.IsDefault,
		&v.LegalName, &v.State, &v.Website, &v.Industry, &v.PrivacyPolicyURL, &v.TermsURL, &x.address, &x.contact,
		&f.Status, &f.EntityType, &f.State, &f.LegalName,
		nullTimeCol{&f.FormedAt}, nullTimeCol{&f.SubmittedAt}, nullTimeCol{&f.CompletesAt},
		timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt}, &x.kit}
}

func (x *subjectRow) finish() (*naive.Subject, error) {
	x.v.AccountKitID = x.kit.String
	if err := json.Unmarshal([]byte(x.address), &x.v.Address); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(x.contact), &x.v.Contact); err != nil {
		return nil, err
	}
	return &x.v, nil
}

func scanSubject(s scanner) (*naive.Subject, error) {
	var x subjectRow
	if err := s.Scan(x.dests()...); err != nil {
		return nil, notFound(err)
	}
	return x.finish()
}

// prepareSubject fills defaults and normalizes times, and returns the
// profile's JSON columns.
func prepareSubject(s *naive.Subject) (address, contact string, err error) {
	if s.Formation.Status == "" {
		s.Formation.Status = naive.FormationNotStarted
	}
	s.Formation.FormedAt = normPtr(s.Formation.FormedAt)
	s.Formation.SubmittedAt = normPtr(s.Formation.SubmittedAt)
	s.Formation.CompletesAt = normPtr(s.Formation.CompletesAt)
	a, err := json.Marshal(s.Address)
	if err != nil {
		return "", "", err
	}
	c, err := json.Marshal(s.Contact)
	if err != nil {
		return "", "", err
	}
	return string(a), string(c), nil
}

func insertSubject(ctx context.Context, ex execer, method string, s *naive.Subject) error {
	if s.ID == "" || s.CreatedAt.IsZero() {
		return required(method, "ID", "CreatedAt")
	}
	s.CreatedAt = norm(s.CreatedAt)
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = s.CreatedAt
	}
	s.UpdatedAt = norm(s.UpdatedAt)
	address, contact, err := prepareSubject(s)
	if err != nil {
		return err
	}
	f := &s.Formation
	kit := nullID(s.AccountKitID)
	res, err := ex.ExecContext(ctx, `INSERT INTO subjects (`+subjectCols+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE `+kitInScope,
		s.ID, s.OperatorID, s.Mode, s.IsDefault,
		s.LegalName, s.State, s.Website, s.Industry, s.PrivacyPolicyURL, s.TermsURL, address, contact,
		f.Status, f.EntityType, f.State, f.LegalName,
		nts(f.FormedAt), nts(f.SubmittedAt), nts(f.CompletesAt), ts(s.CreatedAt), ts(s.UpdatedAt), kit,
		kit, kit, s.OperatorID, s.Mode)
	return affected(res, err, store.ErrNotFound) // no row: the kit is not in scope
}

// nullID is an optional id as stored: NULL for "".
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// CreateSubject stores a subject; a second default in one scope is a
// conflict, a kit not in the subject's scope not found.
func (db *DB) CreateSubject(ctx context.Context, s *naive.Subject) error {
	return insertSubject(ctx, db.writer, "CreateSubject", s)
}

// GetSubject returns a subject in scope.
func (db *DB) GetSubject(ctx context.Context, sc naive.Scope, id string) (*naive.Subject, error) {
	return scanSubject(db.reader.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND id = ? AND deleted_at IS NULL`, sc.OperatorID, sc.Mode, id))
}

// GetDefaultSubject returns the scope's default subject.
func (db *DB) GetDefaultSubject(ctx context.Context, sc naive.Scope) (*naive.Subject, error) {
	return scanSubject(db.reader.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND is_default = 1 AND deleted_at IS NULL`, sc.OperatorID, sc.Mode))
}

// ListSubjects lists subjects not deleted, newest first.
func (db *DB) ListSubjects(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Subject, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND deleted_at IS NULL AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
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
	address, contact, err := prepareSubject(s)
	if err != nil {
		return err
	}
	f := &s.Formation
	kit := nullID(s.AccountKitID)
	res, err := db.writer.ExecContext(ctx, `UPDATE subjects SET
		legal_name = ?, state = ?, website = ?, industry = ?, privacy_policy_url = ?, terms_url = ?,
		address = ?, contact = ?,
		formation_status = ?, formation_entity_type = ?, formation_state = ?, formation_legal_name = ?,
		formed_at = ?, submitted_at = ?, completes_at = ?, updated_at = ?, account_kit_id = ?
		WHERE operator_id = ? AND mode = ? AND id = ? AND deleted_at IS NULL AND `+kitInScope,
		s.LegalName, s.State, s.Website, s.Industry, s.PrivacyPolicyURL, s.TermsURL,
		address, contact,
		f.Status, f.EntityType, f.State, f.LegalName,
		nts(f.FormedAt), nts(f.SubmittedAt), nts(f.CompletesAt), ts(s.UpdatedAt), kit,
		s.OperatorID, s.Mode, s.ID,
		kit, kit, s.OperatorID, s.Mode)
	if err != nil {
		return mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteSubject soft-deletes a subject in scope. Under the write lock the
// checks and the update are one statement, atomic with ReservePhone.
func (db *DB) DeleteSubject(ctx context.Context, sc naive.Scope, id string, at time.Time) error {
	return db.tx(ctx, func(tx *txn) error {
		var isDefault, busy bool
		err := tx.QueryRowContext(ctx, `SELECT is_default, EXISTS (SELECT 1 FROM phones
			WHERE subject_id = subjects.id AND status IN ('active', 'provisioning'))
			FROM subjects WHERE operator_id = ? AND mode = ? AND id = ? AND deleted_at IS NULL`,
			sc.OperatorID, sc.Mode, id).Scan(&isDefault, &busy)
		if err != nil {
			return notFound(err)
		}
		if isDefault || busy {
			return store.ErrConflict
		}
		_, err = tx.ExecContext(ctx, `UPDATE subjects SET deleted_at = ?, updated_at = ? WHERE id = ?`, ts(at), ts(at), id)
		return err
	})
}

const agentCols = `id, operator_id, mode, name, webhook_url, created_at`

func scanAgent(s scanner) (*naive.Agent, error) {
	var a naive.Agent
	if err := s.Scan(&a.ID, &a.OperatorID, &a.Mode, &a.Name, &a.WebhookURL, timeCol{&a.CreatedAt}); err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// CreateAgent stores an agent.
func (db *DB) CreateAgent(ctx context.Context, a *naive.Agent) error {
	if a.ID == "" || a.CreatedAt.IsZero() {
		return required("CreateAgent", "ID", "CreatedAt")
	}
	a.CreatedAt = norm(a.CreatedAt)
	_, err := db.writer.ExecContext(ctx, `INSERT INTO agents (`+agentCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, a.OperatorID, a.Mode, a.Name, a.WebhookURL, ts(a.CreatedAt))
	return mapErr(err)
}

// GetAgent returns an agent in scope.
func (db *DB) GetAgent(ctx context.Context, sc naive.Scope, id string) (*naive.Agent, error) {
	return scanAgent(db.reader.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListAgents lists agents, newest first.
func (db *DB) ListAgents(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Agent, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = ? AND mode = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanAgent)
}

// UpdateAgent stores an agent's name and webhook URL and keeps its own
// webhook endpoint in step, in one transaction.
func (db *DB) UpdateAgent(ctx context.Context, a *naive.Agent, ep *naive.WebhookEndpoint) (created bool, err error) {
	if a.WebhookURL != "" && (ep == nil || ep.ID == "" || ep.CreatedAt.IsZero()) {
		return false, required("UpdateAgent", "endpoint ID", "CreatedAt")
	}
	err = db.tx(ctx, func(tx *txn) error {
		created = false
		got, err := scanAgent(tx.QueryRowContext(ctx, `UPDATE agents SET name = ?, webhook_url = ?
			WHERE operator_id = ? AND mode = ? AND id = ? RETURNING `+agentCols,
			a.Name, a.WebhookURL, a.OperatorID, a.Mode, a.ID))
		if err != nil {
			return err
		}
		a.CreatedAt = got.CreatedAt
		if a.WebhookURL == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE agent_id = ?`, a.ID)
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ? WHERE agent_id = ?`, a.WebhookURL, a.ID)
		if err := affected(res, err, store.ErrNotFound); !errors.Is(err, store.ErrNotFound) {
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
// webhook endpoint. Under the write lock the key check is atomic with
// CreateAPIKey.
func (db *DB) DeleteAgent(ctx context.Context, sc naive.Scope, id string) error {
	return db.tx(ctx, func(tx *txn) error {
		var bound bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys
			WHERE agent_id = agents.id AND revoked_at IS NULL)
			FROM agents WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id).Scan(&bound)
		if err != nil {
			return notFound(err)
		}
		if bound {
			return store.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM phone_assignments WHERE agent_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE agent_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM agents WHERE id = ?`, id)
		return err
	})
}
