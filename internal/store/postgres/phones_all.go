package postgres

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// ListAllPhones lists the active and released phones of every subject in
// scope, newest first; f.AgentID keeps those bought for or assigned to the
// agent, as in ListPhones.
func (db *DB) ListAllPhones(ctx context.Context, sc naive.Scope, f naive.PhoneFilter) ([]naive.Phone, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = $1 AND mode = $2 AND status IN ('active', 'released')
		AND ($3 = '' OR agent_id = $3 OR EXISTS (SELECT 1 FROM phone_assignments a WHERE a.phone_id = phones.id AND a.agent_id = $3))
		AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5`,
		sc.OperatorID, sc.Mode, f.AgentID, f.After, limit(f.Limit))
	return collect(rows, err, scanPhone)
}
