package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Opt-out and opt-in keywords (CTIA): the whole body, trimmed, any case.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	optInWords  = map[string]bool{"START": true, "UNSTOP": true}
)

// receive stores an inbound text on the number it was sent to, with its
// sms.received event, the conversation it opens (consent) and, for a STOP
// or START keyword, the sender's opt-out, in one transaction with the carrier event's record: once per
// carrier message id and once per event id.
func (s *Service) receive(ctx context.Context, mode naive.Mode, d *carrier.MessageEvent, ce *store.CarrierEvent) error {
	to := d.To
	ph, err := s.store.GetPhoneByE164(ctx, mode, to)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("inbound text for a number we do not hold", "to", to, "carrier_id", d.ID)
		return s.record(ctx, ce)
	}
	if err != nil {
		return err
	}
	from, body := d.From, d.Body
	atts := d.Attachments
	if atts == nil {
		atts = []carrier.Attachment{}
	}
	attsJSON, err := json.Marshal(atts)
	if err != nil {
		return err
	}
	at := s.now()
	if !d.At.IsZero() {
		at = d.At
	}
	sc := naive.Scope{OperatorID: ph.OperatorID, Mode: ph.Mode}
	m := &naive.Message{ID: newID(), OperatorID: ph.OperatorID, Mode: ph.Mode, PhoneID: ph.ID, SubjectID: ph.SubjectID,
		Direction: naive.DirectionInbound, From: from, To: ph.E164, Body: body, Attachments: attsJSON, Status: naive.MessageReceived,
		CarrierID: d.ID, CreatedAt: s.now(), ReceivedAt: &at}
	ev, err := s.event(sc, naive.EventSMSReceived, m)
	if err != nil {
		return err
	}
	in := &store.Inbound{Message: m, Event: ev}
	word := strings.ToUpper(strings.TrimSpace(body))
	if optOutWords[word] || optInWords[word] {
		in.OptOut = &store.OptOut{Scope: sc, SubjectID: ph.SubjectID, Contact: from, OptedOut: optOutWords[word], At: at}
	}
	if !optOutWords[word] && ValidE164(from) {
		// Texting the number opens a conversation: consent to answer, in
		// the transaction that stores the text (unless the number holds a
		// consent for them already, which stays). A STOP opens none.
		in.Consent = &store.ConsentRecord{Scope: sc, PhoneID: ph.ID, Contact: from, Consent: naive.Consent{
			Basis: naive.ConsentConversation, MessageID: m.ID, RecordedBy: inboundConsentActor, CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}}
	}
	stored, err := s.store.RecordInbound(ctx, in, ce)
	if err != nil {
		return err
	}
	if stored {
		s.log.Info("sms received", "message_id", m.ID, "phone_id", ph.ID)
		s.notifyInbound(ctx, ph.ID)
	}
	return nil
}

// messageStatus moves an outbound message's status forward, with its
// sms.status event, whatever order the carrier's events arrive in.
// A text not known by its carrier id (a send whose answer was lost, or
// that is still being recorded) is found by our id, which the carrier
// carries back (Ref), and gets its carrier id in the same transaction.
func (s *Service) messageStatus(ctx context.Context, mode naive.Mode, d *carrier.MessageEvent, ce *store.CarrierEvent) error {
	at := s.now()
	if !d.At.IsZero() {
		at = d.At
	}
	ref := d.Ref
	if !validUUID(ref) {
		ref = ""
	}
	changed, err := s.store.AdvanceMessage(ctx, &store.MessageAdvance{Mode: mode, CarrierID: d.ID, Ref: ref, Status: d.Status,
		Reason: d.FailureReason, At: at, RefundFor: s.refundFor}, func(m *naive.Message) (*naive.Event, error) {
		return s.event(naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}, naive.EventSMSStatus, m)
	}, ce)
	if changed {
		s.log.Info("sms status", "carrier_id", d.ID, "status", d.Status)
	}
	return err
}

// applyOptEvent records a contact's opt-out or opt-in that the carrier
// reports on its own (from a STOP we also see as a text, or from the
// carrier's side): the contact's number is asked of the carrier, the
// subject is the brand's. An older event never undoes a newer one.
func (s *Service) applyOptEvent(ctx context.Context, mode naive.Mode, ev *carrier.Event, ce *store.CarrierEvent) error {
	brand, err := s.store.GetBrandByCarrierID(ctx, mode, ev.BrandID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("opt-out for a brand we do not hold", "brand_id", ev.BrandID)
		return s.record(ctx, ce)
	}
	if err != nil {
		return err
	}
	cr := s.carrierOrNil(mode, brand)
	if cr == nil {
		return s.record(ctx, ce)
	}
	number, err := cr.ContactNumber(ctx, ev.Contact.ContactID)
	if err != nil {
		return carrierError("look up the contact", err)
	}
	if number == "" {
		return s.record(ctx, ce)
	}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	sc := naive.Scope{OperatorID: brand.OperatorID, Mode: brand.Mode}
	_, err = s.store.SetOptOut(ctx, &store.OptOut{Scope: sc, SubjectID: brand.SubjectID, Contact: number, OptedOut: ev.Contact.OptedOut, At: at}, ce)
	return err
}
