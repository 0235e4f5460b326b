package postgres

import (
	"context"
	"fmt"

	"github.com/naive-oss/naive/internal/store"
)

var _ store.Stats = (*DB)(nil)

// statQueries are the queries of Stats: each GROUP BY's label columns,
// then its value columns (store.StatGroup documents them).
var statQueries = map[store.StatGroup]struct {
	labels int
	sql    string
}{
	store.StatPhones:    {2, `SELECT mode, status, count(*) FROM phones GROUP BY mode, status`},
	store.StatMessages:  {3, `SELECT mode, direction, status, count(*) FROM messages GROUP BY mode, direction, status`},
	store.StatApprovals: {2, `SELECT mode, status, count(*) FROM approvals GROUP BY mode, status`},
	store.StatLedger: {2, `SELECT mode, reason, count(*),
		COALESCE(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0)::bigint,
		COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0)::bigint
		FROM ledger_entries GROUP BY mode, reason`},
	store.StatDeliveries: {2, `SELECT mode, status, count(*) FROM webhook_deliveries GROUP BY mode, status`},
	store.StatJobs:       {2, `SELECT kind, state::text, count(*) FROM river_job GROUP BY kind, state`},
}

// Stats reads one group of counts.
func (db *DB) Stats(ctx context.Context, g store.StatGroup) ([]store.StatRow, error) {
	q, ok := statQueries[g]
	if !ok {
		return nil, fmt.Errorf("postgres: unknown stat group %q", g)
	}
	rows, err := db.pool.Query(ctx, q.sql)
	if err != nil {
		return nil, fmt.Errorf("postgres: stats %s: %w", g, err)
	}
	defer rows.Close()
	var out []store.StatRow
	for rows.Next() {
		n := len(rows.FieldDescriptions())
		r := store.StatRow{Labels: make([]string, q.labels), Values: make([]int64, n-q.labels)}
		dest := make([]any, 0, n)
		for i := range r.Labels {
			dest = append(dest, &r.Labels[i])
		}
		for i := range r.Values {
			dest = append(dest, &r.Values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("postgres: stats %s: %w", g, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: stats %s: %w", g, err)
	}
	return out, nil
}
