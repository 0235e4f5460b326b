package store

import "github.com/naive-oss/naive/internal/naive"

// RejectionReason is the value AdvanceCampaign stores in a campaign's
// rejection_reason column: reason for a rejection that has one, NULL
// otherwise.
func RejectionReason(status, reason string) any {
	if status != naive.CampaignRejected || reason == "" {
		return nil
	}
	return reason
}
