package store

import "context"

// StatGroup names one group of counts that Stats reads. Each group is one
// query, across every operator (no tenant is named in a count).
type StatGroup string

// The groups, with the labels and values of their rows, in order.
const (
	// StatPhones: phones by (mode, status); value: how many.
	StatPhones StatGroup = "phones"
	// StatMessages: texts by (mode, direction, status); value: how many.
	StatMessages StatGroup = "messages"
	// StatApprovals: approvals by (mode, status); value: how many.
	StatApprovals StatGroup = "approvals"
	// StatLedger: ledger entries by (mode, reason); values: how many
	// entries, the credits they took (the sum of the debits, positive) and
	// the credits they gave (the sum of grants and refunds).
	StatLedger StatGroup = "ledger"
	// StatDeliveries: webhook deliveries by (mode, status); value: how many.
	StatDeliveries StatGroup = "webhook_deliveries"
	// StatJobs: River's jobs by (kind, state); value: how many. It reads
	// River's table on the store's database, so it needs River's
	// migrations applied (internal/jobs does at start).
	StatJobs StatGroup = "jobs"
)

// StatGroups lists every group.
var StatGroups = []StatGroup{StatPhones, StatMessages, StatApprovals, StatLedger, StatDeliveries, StatJobs}

// StatRow is one row of a group: its labels and values, in the order the
// group's doc gives.
type StatRow struct {
	Labels []string
	Values []int64
}

// Stats reads counts for the server's metrics. Both backends implement it
// beside Store. A call is one read-only query (GROUP BY), so its cost is
// bounded by the number of distinct label values, not by the tenants.
type Stats interface {
	// Stats returns the rows of group g (in no particular order). An
	// unknown group is an error.
	Stats(ctx context.Context, g StatGroup) ([]StatRow, error)
}
