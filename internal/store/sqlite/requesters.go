package sqlite

import (
	"context"
	"encoding/json"

	"github.com/naive-oss/naive/internal/naive"
)

// RequesterStates reads, in one statement for them all (the approvals go
// in as one JSON array), whether each approval's requesting key is
// revoked (or gone) and whether the agent it is bound to was deleted.
func (db *DB) RequesterStates(ctx context.Context, sc naive.Scope, as []naive.Approval) (map[string]naive.RequesterState, error) {
	type asker struct {
		ID    string `json:"id"`
		Key   string `json:"key"`
		Agent string `json:"agent"`
	}
	var askers []asker
	for _, a := range as {
		if a.RequestedBy.Type == string(naive.PrincipalAgent) {
			askers = append(askers, asker{ID: a.ID, Key: a.RequestedBy.ID, Agent: a.RequesterAgentID})
		}
	}
	out := make(map[string]naive.RequesterState, len(askers))
	if len(askers) == 0 {
		return out, nil
	}
	arg, err := json.Marshal(askers)
	if err != nil {
		return nil, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT json_extract(r.value, '$.id'),
		NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.operator_id = ? AND k.id = json_extract(r.value, '$.key') AND k.revoked_at IS NULL),
		json_extract(r.value, '$.agent') <> '' AND NOT EXISTS (SELECT 1 FROM agents g
			WHERE g.operator_id = ? AND g.mode = ? AND g.id = json_extract(r.value, '$.agent'))
		FROM json_each(?) r`, sc.OperatorID, sc.OperatorID, sc.Mode, string(arg))
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
