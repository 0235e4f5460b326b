package sqlite

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// RequesterStates reads whether each approval's
// requesting key is revoked (or gone) and whether the agent it is bound to
// was deleted.
func (db *DB) RequesterStates(ctx context.Context, sc naive.Scope, as []naive.Approval) (map[string]naive.RequesterState, error) {
	out := make(map[string]naive.RequesterState, len(as))
	for _, a := range as {
		if a.RequestedBy.Type != string(naive.PrincipalAgent) {
			continue
		}
		var st naive.RequesterState
		err := db.reader.QueryRowContext(ctx, `SELECT
			NOT EXISTS (SELECT 1 FROM api_keys WHERE operator_id = ? AND id = ? AND revoked_at IS NULL),
			? <> '' AND NOT EXISTS (SELECT 1 FROM agents WHERE operator_id = ? AND mode = ? AND id = ?)`,
			sc.OperatorID, a.RequestedBy.ID, a.RequesterAgentID, sc.OperatorID, sc.Mode, a.RequesterAgentID).
			Scan(&st.KeyRevoked, &st.AgentDeleted)
		if err != nil {
			return nil, mapErr(err)
		}
		out[a.ID] = st
	}
	return out, nil
}
