package service

import (
	"slices"

	"github.com/naive-oss/naive/internal/naive"
)

// Failure reasons a carrier reports (Surge's message.failed failure_reason
// slugs, and the generic ones carriers use). A text that failed for a
// pre-send reason never reached a handset's network: it is refunded. One
// that failed for a post-send reason was carried and not delivered: it
// keeps its charge.
var (
	// preSendFailures: the number cannot take texts (invalid, a landline,
	// no carrier to hand it to), the recipient opted out at the carrier,
	// or the carrier blocked or rejected the text before carrying it.
	preSendFailures = []string{
		"invalid_mobile_number", "invalid_number", "unreachable_carrier",
		"opted_out", "blocked", "carrier_rejected", "rejected",
	}
	// postSendFailures: the carrier carried the text and the handset did
	// not take it.
	postSendFailures = []string{"unreachable_destination", "undelivered", "expired"}
)

// carrierActor is the actor of a refund the carrier's report causes.
var carrierActor = naive.Actor{Type: "system", ID: "carrier"}

// FailureRefunded reports whether an outbound text the carrier reports
// failed is refunded: always for a pre-send reason (it failed before it
// was sent); never for a post-send reason (it was sent, then undelivered);
// for any other reason, when the text was never marked sent (no sent_at)
// when the failure is recorded. Texts that fail before the carrier takes
// them (our refusal, the carrier's refusal of the send request, a send
// that never reached it) are refunded by the send itself.
func FailureRefunded(reason string, sent bool) bool {
	switch {
	case slices.Contains(preSendFailures, reason):
		return true
	case slices.Contains(postSendFailures, reason):
		return false
	}
	return !sent
}

// refundFor returns the refund of an outbound text that has just been
// marked failed, when FailureRefunded says so: its whole charge, once (the
// store applies it with the status change, which happens once).
func (s *Service) refundFor(m *naive.Message) *naive.LedgerEntry {
	if m.Direction != naive.DirectionOutbound || m.Status != naive.MessageFailed || m.CreditsUsed <= 0 ||
		!FailureRefunded(m.FailureReason, m.SentAt != nil) {
		return nil
	}
	return &naive.LedgerEntry{ID: newID(), OperatorID: m.OperatorID, Mode: m.Mode, Amount: m.CreditsUsed,
		Reason: naive.LedgerSMSRefund, ReferenceID: m.ID, Actor: carrierActor,
		Memo: "the carrier failed the text before sending it (" + m.FailureReason + ")", CreatedAt: s.now()}
}
