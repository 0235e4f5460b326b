package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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

func scanSubject(s scanner) (*naive.Subject, error) {
	var (
		v                naive.Subject
		address, contact string
		kit              sql.NullString
	)
	f := &v.Formation
	if err := s.Scan(&v.ID, &v.OperatorID, &v.Mode, &v.IsDefault,
		&v.LegalName, &v.State, &v.Website, &v.Industry, &v.PrivacyPolicyURL, &v.TermsURL, &address, &contact,
		&f.Status, &f.EntityType, &f.State, &f.LegalName,
		nullTimeCol{&f.FormedAt}, nullTimeCol{&f.SubmittedAt}, nullTimeCol{&f.CompletesAt},
		timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt}, &kit); err != nil {
		return nil, notFound(err)
	}
	v.AccountKitID = kit.String
	if err := json.Unmarshal([]byte(address), &v.Address); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(contact), &v.Contact); err != nil {
		return nil, err
	}
	return &v, nil
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

func insertSubject(ctx context.Context, ex execer, s *naive.Subject) error {
	if s.ID == "" {
		s.ID = newID()
	}
	s.CreatedAt = orNow(s.CreatedAt)
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
	return insertSubject(ctx, db.w, s)
}

// GetSubject returns a subject in scope.
func (db *DB) GetSubject(ctx context.Context, sc naive.Scope, id string) (*naive.Subject, error) {
	return scanSubject(db.r.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// GetDefaultSubject returns the scope's default subject.
func (db *DB) GetDefaultSubject(ctx context.Context, sc naive.Scope) (*naive.Subject, error) {
	return scanSubject(db.r.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND is_default = 1`, sc.OperatorID, sc.Mode))
}

// ListSubjects lists subjects, newest first.
func (db *DB) ListSubjects(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Subject, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+subjectCols+` FROM subjects
		WHERE operator_id = ? AND mode = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanSubject)
}

// UpdateSubject stores a subject's profile, formation and kit (not its
// default flag), setting UpdatedAt to now when it is zero. A kit not in
// the subject's scope is not found.
func (db *DB) UpdateSubject(ctx context.Context, s *naive.Subject) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = time.Now()
	}
	s.UpdatedAt = norm(s.UpdatedAt)
	address, contact, err := prepareSubject(s)
	if err != nil {
		return err
	}
	f := &s.Formation
	kit := nullID(s.AccountKitID)
	res, err := db.w.ExecContext(ctx, `UPDATE subjects SET
		legal_name = ?, state = ?, website = ?, industry = ?, privacy_policy_url = ?, terms_url = ?,
		address = ?, contact = ?,
		formation_status = ?, formation_entity_type = ?, formation_state = ?, formation_legal_name = ?,
		formed_at = ?, submitted_at = ?, completes_at = ?, updated_at = ?, account_kit_id = ?
		WHERE operator_id = ? AND mode = ? AND id = ? AND `+kitInScope,
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
	if a.ID == "" {
		a.ID = newID()
	}
	a.CreatedAt = orNow(a.CreatedAt)
	_, err := db.w.ExecContext(ctx, `INSERT INTO agents (`+agentCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, a.OperatorID, a.Mode, a.Name, a.WebhookURL, ts(a.CreatedAt))
	return mapErr(err)
}

// GetAgent returns an agent in scope.
func (db *DB) GetAgent(ctx context.Context, sc naive.Scope, id string) (*naive.Agent, error) {
	return scanAgent(db.r.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = ? AND mode = ? AND id = ?`, sc.OperatorID, sc.Mode, id))
}

// ListAgents lists agents, newest first.
func (db *DB) ListAgents(ctx context.Context, sc naive.Scope, p naive.Page) ([]naive.Agent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+agentCols+` FROM agents
		WHERE operator_id = ? AND mode = ? AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, p.After, p.After, limit(p.Limit))
	return collect(rows, err, scanAgent)
}
