package postgres

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// RequesterStates reads whether each approval's
// requesting key is revoked (or gone) and whether the agent it is bound to
// was deleted.
func (db *DB) RequesterStates(ctx context.Context, sc naive.Scope, as []naive.Approval) (map[string]naive.RequesterState, error) {
	var ids, keys, agents []string
	for _, a := range as {
		if a.RequestedBy.Type == string(naive.PrincipalAgent) {
			ids, keys, agents = append(ids, a.ID), append(keys, a.RequestedBy.ID), append(agents, a.RequesterAgentID)
		}
	}
	out := make(map[string]naive.RequesterState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT r.id,
		NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.operator_id = $1 AND k.id = r.key_id AND k.revoked_at IS NULL),
		r.agent_id <> '' AND NOT EXISTS (SELECT 1 FROM agents g WHERE g.operator_id = $1 AND g.mode = $2 AND g.id = r.agent_id)
		FROM unnest($3::text[], $4::text[], $5::text[]) AS r (id, key_id, agent_id)`,
		sc.OperatorID, sc.Mode, ids, keys, agents)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var st naive.RequesterState
		if err := rows.Scan(&id, &st.KeyRevoked, &st.AgentDeleted); err != nil {
			return nil, mapErr(err)
		}
		out[id] = st
	}
	return out, mapErr(rows.Err())
}
