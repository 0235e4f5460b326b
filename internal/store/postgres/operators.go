package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// insertSeedData stores s — an operator and what it starts with — in q
// (Seed's and CreateTenant's transaction).
func insertSeedData(ctx context.Context, q pgx.Tx, method string, s *store.SeedData) error {
	if err := insertOperator(ctx, q, method, &s.Operator); err != nil {
		return err
	}
	op := s.Operator.ID
	if s.User.Email != "" {
		if s.User.OperatorID == "" {
			s.User.OperatorID = op
		}
		if err := insertUser(ctx, q, method, &s.User); err != nil {
			return err
		}
	}
	for i := range s.Subjects {
		if s.Subjects[i].OperatorID == "" {
			s.Subjects[i].OperatorID = op
		}
		if err := insertSubject(ctx, q, method, &s.Subjects[i]); err != nil {
			return err
		}
	}
	for i := range s.Keys {
		if s.Keys[i].OperatorID == "" {
			s.Keys[i].OperatorID = op
		}
		if err := insertAPIKey(ctx, q, method, &s.Keys[i]); err != nil {
			return err
		}
	}
	for i := range s.Grants {
		if s.Grants[i].OperatorID == "" {
			s.Grants[i].OperatorID = op
		}
		if _, err := applyLedger(ctx, q, method, &s.Grants[i]); err != nil {
			return err
		}
	}
	return nil
}

// CreateTenant stores s in one transaction; a taken email or id is a
// conflict and stores nothing.
func (db *DB) CreateTenant(ctx context.Context, s *store.SeedData) error {
	if s == nil {
		return errors.New("postgres: CreateTenant: no data")
	}
	return db.tx(ctx, func(tx pgx.Tx) error { return insertSeedData(ctx, tx, "CreateTenant", s) })
}

// ListOperators lists operators oldest first, each with its humans.
func (db *DB) ListOperators(ctx context.Context, p naive.Page) ([]store.OperatorUsers, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, created_at FROM operators
		WHERE ($1 = '' OR id > $1) ORDER BY id LIMIT $2`, p.After, limit(p.Limit))
	ops, err := collect(rows, err, func(r pgx.Row) (*store.OperatorUsers, error) {
		var o store.OperatorUsers
		err := r.Scan(&o.Operator.ID, &o.Operator.Name, &o.Operator.CreatedAt)
		return &o, err
	})
	if err != nil || len(ops) == 0 {
		return ops, err
	}
	ids := make([]string, len(ops))
	at := map[string]int{}
	for i := range ops {
		ids[i] = ops[i].Operator.ID
		at[ops[i].Operator.ID] = i
		ops[i].Users = []naive.User{}
	}
	rows, err = db.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE operator_id = ANY($1) ORDER BY created_at, id`, ids)
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
