package sqlite

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// ListAllPhones lists the active and released phones of every subject in
// scope, newest first; f.AgentID keeps those bought for or assigned to the
// agent, as in ListPhones.
func (db *DB) ListAllPhones(ctx context.Context, sc naive.Scope, f naive.PhoneFilter) ([]naive.Phone, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+phoneCols+` FROM phones
		WHERE operator_id = ? AND mode = ? AND status IN ('active', 'released')
		AND (? = '' OR agent_id = ? OR EXISTS (SELECT 1 FROM phone_assignments a WHERE a.phone_id = phones.id AND a.agent_id = ?))
		AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		sc.OperatorID, sc.Mode, f.AgentID, f.AgentID, f.AgentID, f.After, f.After, limit(f.Limit))
	return collect(rows, err, scanPhone)
}
