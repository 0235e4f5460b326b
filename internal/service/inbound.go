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
// sms.received event, once per carrier message id; STOP and START keywords
// record the sender's opt-out.
func (s *Service) receive(ctx context.Context, mode naive.Mode, d *carrier.MessageEvent) error {
	to := d.To
	ph, err := s.store.GetPhoneByE164(ctx, mode, to)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("inbound text for a number we do not hold", "to", to, "carrier_id", d.ID)
		return nil
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
	stored, err := s.store.RecordInbound(ctx, m, ev)
	if err != nil {
		return err
	}
	if stored {
		s.log.Info("sms received", "message_id", m.ID, "phone_id", ph.ID)
	}
	word := strings.ToUpper(strings.TrimSpace(body))
	switch {
	case optOutWords[word]:
		return s.store.SetOptOut(ctx, sc, ph.SubjectID, from, true, at)
	case optInWords[word]:
		return s.store.SetOptOut(ctx, sc, ph.SubjectID, from, false, at)
	}
	return nil
}

// messageStatus moves an outbound message's status forward, with its
// sms.status event, whatever order the carrier's events arrive in.
func (s *Service) messageStatus(ctx context.Context, mode naive.Mode, d *carrier.MessageEvent) error {
	status, reason := d.Status, d.FailureReason
	at := s.now()
	if !d.At.IsZero() {
		at = d.At
	}
	changed, err := s.store.AdvanceMessage(ctx, mode, d.ID, status, reason, at, func(m *naive.Message) (*naive.Event, error) {
		return s.event(naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}, naive.EventSMSStatus, m)
	})
	if errors.Is(err, store.ErrNotFound) {
		// Not known by its carrier id: a send whose answer was lost or is
		// still being recorded. The metadata names our message: record the
		// carrier id now and apply the status.
		id := d.Ref
		if id == "" || !validUUID(id) {
			return nil
		}
		if err := s.store.SetMessageCarrierID(ctx, id, d.ID); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		changed, err = s.store.AdvanceMessage(ctx, mode, d.ID, status, reason, at, func(m *naive.Message) (*naive.Event, error) {
			return s.event(naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}, naive.EventSMSStatus, m)
		})
	}
	if changed {
		s.log.Info("sms status", "carrier_id", d.ID, "status", status)
	}
	return err
}

// applyOptEvent records a contact's opt-out or opt-in that the carrier
// reports on its own (from a STOP we also see as a text, or from the
// carrier's side): the contact's number is asked of the carrier, the
// subject is the brand's. An older event never undoes a newer one.
func (s *Service) applyOptEvent(ctx context.Context, mode naive.Mode, ev *carrier.Event) error {
	brand, err := s.store.GetBrandByCarrierID(ctx, mode, ev.BrandID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("opt-out for a brand we do not hold", "brand_id", ev.BrandID)
		return nil
	}
	if err != nil {
		return err
	}
	cr := s.cfg.Carrier(mode)
	if cr == nil {
		return nil
	}
	number, err := cr.ContactNumber(ctx, ev.Contact.ContactID)
	if err != nil {
		return carrierError("look up the contact", err)
	}
	if number == "" {
		return nil
	}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	sc := naive.Scope{OperatorID: brand.OperatorID, Mode: brand.Mode}
	return s.store.SetOptOut(ctx, sc, brand.SubjectID, number, ev.Contact.OptedOut, at)
}
