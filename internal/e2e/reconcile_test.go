package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// TestReconcileUnfinishedProvisions: a process that died between charging
// and recording leaves a phone provisioning. The reconciler records it when
// the carrier holds a number named with its id, and refunds it otherwise.
func TestReconcileUnfinishedProvisions(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		ctx := context.Background()
		// A first provision registers the brand and campaign.
		first := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
		subjectID := first["phone"].(map[string]any)["subject_id"].(string)
		who := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)
		sc := naive.Scope{OperatorID: who["operator_id"].(string), Mode: naive.ModeTest}
		st := h.app.Store()
		brand, err := st.GetBrand(ctx, sc, subjectID)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().UTC().Add(-time.Hour)
		reserve := func() *naive.Phone {
			ph := &naive.Phone{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, SubjectID: subjectID,
				Type: naive.PhoneLocal, Status: naive.PhoneProvisioning, Price: 50, CreatedAt: old}
			debit := &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, Amount: -50,
				Reason: naive.LedgerPhoneProvision, ReferenceID: ph.ID, Actor: naive.Actor{Type: "agent", ID: "test"}, CreatedAt: old}
			if _, err := st.ReservePhone(ctx, ph, debit, store.Progress{}); err != nil {
				t.Fatal(err)
			}
			return ph
		}
		bought, lost := reserve(), reserve()
		// The carrier sold a number for "bought" but the answer never came back.
		pn := simOf(t, h).BuyStray(t, brand.CarrierID, "212", bought.ID)
		if b := h.balance(h.testKey); b != 850 {
			t.Fatalf("balance before %d", b)
		}
		h.app.Service().ReconcileProvisioning(ctx)
		got := h.must(200, h.call("GET", "/v1/phone/"+bought.ID, h.testKey, nil)).json(t)
		if got["e164"] != pn.E164 || got["status"] != "active" {
			t.Fatalf("bought phone %v", got)
		}
		if r := h.call("GET", "/v1/phone/"+lost.ID, h.testKey, nil); r.Status != 404 {
			t.Fatalf("lost phone visible: %d", r.Status)
		}
		if b := h.balance(h.testKey); b != 900 {
			t.Fatalf("balance after %d, want 900 (one refund)", b)
		}
		// Running it again changes nothing.
		h.app.Service().ReconcileProvisioning(ctx)
		if b := h.balance(h.testKey); b != 900 {
			t.Fatalf("second run: balance %d", b)
		}
		checkLedger(t, h, 900, 2)
	})
}

// TestSettleStaleSends: a text charged by a process that died before
// sending it is refunded by the reconciler, once.
func TestSettleStaleSends(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		ctx := context.Background()
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		who := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)
		sc := naive.Scope{OperatorID: who["operator_id"].(string), Mode: naive.ModeTest}
		old := time.Now().UTC().Add(-time.Hour)
		m := &naive.Message{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, PhoneID: ph["id"].(string),
			SubjectID: ph["subject_id"].(string), Direction: naive.DirectionOutbound, From: ph["e164"].(string), To: "+14155550123",
			Body: "never sent", Attachments: []byte("[]"), Status: naive.MessageQueued, Segments: 1, CreditsUsed: 1, CreatedAt: old}
		debit := &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, Amount: -1,
			Reason: naive.LedgerSMSSend, ReferenceID: m.ID, Actor: naive.Actor{Type: "agent", ID: "test"}, CreatedAt: old}
		if _, err := h.app.Store().ReserveMessage(ctx, m, debit, store.Progress{}); err != nil {
			t.Fatal(err)
		}
		if h.balance(h.testKey) != 949 {
			t.Fatal("balance before")
		}
		h.app.Service().SettleStaleSends(ctx)
		h.app.Service().SettleStaleSends(ctx)
		if b := h.balance(h.testKey); b != 950 {
			t.Fatalf("balance after %d, want 950 (one refund)", b)
		}
		got := h.must(200, h.call("GET", "/v1/phone/messages/"+m.ID, h.testKey, nil)).json(t)
		if got["status"] != "failed" || got["failure_reason"] != "not_sent" {
			t.Fatalf("message %v", got)
		}
	})
}
