package service

import (
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

func TestFailureRefunded(t *testing.T) {
	cases := []struct {
		reason string
		sent   bool
		want   bool
	}{
		{"invalid_mobile_number", false, true},
		{"invalid_mobile_number", true, true}, // Surge reports it after message.sent
		{"unreachable_carrier", true, true},
		{"opted_out", true, true},
		{"blocked", true, true},
		{"carrier_rejected", true, true},
		{"unreachable_destination", true, false},
		{"unreachable_destination", false, false}, // undelivered, whatever order the reports came in
		{"undelivered", false, false},
		{"unknown", false, true},
		{"unknown", true, false},
		{"", false, true},
		{"", true, false},
	}
	for _, c := range cases {
		if got := FailureRefunded(c.reason, c.sent); got != c.want {
			t.Errorf("FailureRefunded(%q, sent %v) = %v, want %v", c.reason, c.sent, got, c.want)
		}
	}
}

func TestRefundFor(t *testing.T) {
	s := &Service{cfg: Config{Now: time.Now}}
	at := time.Now()
	m := &naive.Message{ID: "m1", OperatorID: "op", Mode: naive.ModeTest, Direction: naive.DirectionOutbound,
		Status: naive.MessageFailed, FailureReason: "invalid_mobile_number", CreditsUsed: 3, SentAt: &at}
	r := s.refundFor(m)
	if r == nil || r.Amount != 3 || r.Reason != naive.LedgerSMSRefund || r.ReferenceID != "m1" || r.OperatorID != "op" || r.Mode != naive.ModeTest || r.ID == "" {
		t.Fatalf("refund %+v", r)
	}
	for name, f := range map[string]func(m *naive.Message){
		"delivered":  func(m *naive.Message) { m.Status = naive.MessageDelivered },
		"inbound":    func(m *naive.Message) { m.Direction = naive.DirectionInbound },
		"free":       func(m *naive.Message) { m.CreditsUsed = 0 },
		"post-send":  func(m *naive.Message) { m.FailureReason = "unreachable_destination" },
		"after sent": func(m *naive.Message) { m.FailureReason = "other" },
	} {
		c := *m
		f(&c)
		if r := s.refundFor(&c); r != nil {
			t.Errorf("%s: refunded %+v", name, r)
		}
	}
}
