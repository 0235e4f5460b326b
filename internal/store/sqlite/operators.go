package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// insertSeedData stores s — an operator and what it starts with — in ex
// (Seed's and CreateTenant's transaction).
func insertSeedData(ctx context.Context, ex *txn, method string, s *store.SeedData) error {
	if err := insertOperator(ctx, ex, method, &s.Operator); err != nil {
		return err
	}
	op := s.Operator.ID
	if s.User.Email != "" {
		if s.User.OperatorID == "" {
			s.User.OperatorID = op
		}
		if err := insertUser(ctx, ex, method, &s.User); err != nil {
			return err
		}
	}
	for i := range s.Subjects {
		if s.Subjects[i].OperatorID == "" {
			s.Subjects[i].OperatorID = op
		}
		if err := insertSubject(ctx, ex, method, &s.Subjects[i]); err != nil {
			return err
		}
	}
	for i := range s.Keys {
		if s.Keys[i].OperatorID == "" {
			s.Keys[i].OperatorID = op
		}
		if err := insertAPIKey(ctx, ex, method, &s.Keys[i]); err != nil {
			return err
		}
	}
	for i := range s.Grants {
		if s.Grants[i].OperatorID == "" {
			s.Grants[i].OperatorID = op
		}
		if _, err := applyLedger(ctx, ex, method, &s.Grants[i]); err != nil {
			return err
		}
	}
	return nil
}

// CreateTenant stores s in one transaction; a taken email or id is a
// conflict and stores nothing.
func (db *DB) CreateTenant(ctx context.Context, s *store.SeedData) error {
	if s == nil {
		return errors.New("sqlite: CreateTenant: no data")
	}
	return db.tx(ctx, func(tx *txn) error { return insertSeedData(ctx, tx, "CreateTenant", s) })
}

// ListOperators lists operators oldest first, each with its humans.
func (db *DB) ListOperators(ctx context.Context, p naive.Page) ([]store.OperatorUsers, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, name, created_at FROM operators
		WHERE (? = '' OR id > ?) ORDER BY id LIMIT ?`, p.After, p.After, limit(p.Limit))
	ops, err := collect(rows, err, func(r scanner) (*store.OperatorUsers, error) {
		var o store.OperatorUsers
		err := r.Scan(&o.Operator.ID, &o.Operator.Name, timeCol{&o.Operator.CreatedAt})
		return &o, err
	})
	if err != nil || len(ops) == 0 {
		return ops, err
	}
	ids := make([]any, len(ops))
	at := map[string]int{}
	for i := range ops {
		ids[i] = ops[i].Operator.ID
		at[ops[i].Operator.ID] = i
		ops[i].Users = []naive.User{}
	}
	rows, err = db.reader.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE operator_id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`) ORDER BY created_at, id`, ids...)
	users, err := collect(rows, err, scanUser)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		i := at[u.OperatorID]
		ops[i].Users = append(ops[i].Users, u)
	}
	return ops, nil
}

// Backup writes a consistent copy of the SQLite database dsn names to the
// file to, with VACUUM INTO, while other processes read and write it: the
// copy is one read transaction's snapshot. It neither creates nor
// migrates the database, so a backup taken before an upgrade is of the
// schema the old version wrote. It refuses a to that exists.
func Backup(ctx context.Context, dsn, to string) error {
	path, err := parseDSN(dsn)
	if err != nil {
		return err
	}
	if isMemory(path) {
		return errors.New("sqlite: an in-memory database has nothing to back up")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: backup: the database %s: %w", path, err)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("sqlite: backup: %s exists; choose a new file (a backup never overwrites one)", to)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// mode=rw: open an existing database only, never create an empty one.
	conn, err := sql.Open("sqlite", withQuery("file:"+path, "mode=rw&_busy_timeout=30000"))
	if err != nil {
		return fmt.Errorf("sqlite: backup: open %s: %w", path, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return fmt.Errorf("sqlite: backup %s to %s: %w", path, to, err)
	}
	return nil
}
