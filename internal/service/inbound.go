package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/surge"
)

// Opt-out and opt-in keywords (CTIA): the whole body, trimmed, any case.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	optInWords  = map[string]bool{"START": true, "UNSTOP": true}
)

// applyMessageEvent handles message.* carrier events.
func (s *Service) applyMessageEvent(ctx context.Context, mode naive.Mode, ev *surge.Event) error {
	var d surge.MessageEventData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return naive.InvalidParam("data", "%s data is not a message.", ev.Type)
	}
	switch ev.Type {
	case surge.EventMessageReceived:
		return s.receive(ctx, mode, &d)
	case surge.EventMessageSent:
		return s.messageStatus(ctx, mode, &d, naive.MessageSent, "")
	case surge.EventMessageDelivered:
		return s.messageStatus(ctx, mode, &d, naive.MessageDelivered, "")
	case surge.EventMessageFailed:
		reason := "unknown"
		if d.FailureReason != nil {
			reason = *d.FailureReason
		}
		return s.messageStatus(ctx, mode, &d, naive.MessageFailed, reason)
	}
	return nil
}

// receive stores an inbound text on the number it was sent to, with its
// sms.received event, once per carrier message id; STOP and START keywords
// record the sender's opt-out.
func (s *Service) receive(ctx context.Context, mode naive.Mode, d *surge.MessageEventData) error {
	to := d.Conversation.PhoneNumber.Number
	ph, err := s.store.GetPhoneByE164(ctx, mode, to)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("inbound text for a number we do not hold", "to", to, "carrier_id", d.ID)
		return nil
	}
	if err != nil {
		return err
	}
	from := ""
	if d.Conversation.Contact.PhoneNumber != nil {
		from = *d.Conversation.Contact.PhoneNumber
	}
	body := ""
	if d.Body != nil {
		body = *d.Body
	}
	atts, err := json.Marshal(attachmentsOf(d.Attachments))
	if err != nil {
		return err
	}
	at := s.now()
	if d.ReceivedAt != nil {
		at = d.ReceivedAt.UTC()
	}
	sc := naive.Scope{OperatorID: ph.OperatorID, Mode: ph.Mode}
	m := &naive.Message{ID: newID(), OperatorID: ph.OperatorID, Mode: ph.Mode, PhoneID: ph.ID, SubjectID: ph.SubjectID,
		Direction: naive.DirectionInbound, From: from, To: ph.E164, Body: body, Attachments: atts, Status: naive.MessageReceived,
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

// MessageAttachment is an attachment as naive shows it.
type MessageAttachment struct {
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

func attachmentsOf(in []surge.Attachment) []MessageAttachment {
	out := make([]MessageAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, MessageAttachment{Type: a.Type, URL: a.URL})
	}
	return out
}

// messageStatus moves an outbound message's status forward, with its
// sms.status event, whatever order the carrier's events arrive in.
func (s *Service) messageStatus(ctx context.Context, mode naive.Mode, d *surge.MessageEventData, status, reason string) error {
	at := s.now()
	switch {
	case d.SentAt != nil && status == naive.MessageSent:
		at = d.SentAt.UTC()
	case d.DeliveredAt != nil && status == naive.MessageDelivered:
		at = d.DeliveredAt.UTC()
	case d.FailedAt != nil && status == naive.MessageFailed:
		at = d.FailedAt.UTC()
	}
	changed, err := s.store.AdvanceMessage(ctx, mode, d.ID, status, reason, at, func(m *naive.Message) (*naive.Event, error) {
		return s.event(naive.Scope{OperatorID: m.OperatorID, Mode: m.Mode}, naive.EventSMSStatus, m)
	})
	if errors.Is(err, store.ErrNotFound) {
		// Not known by its carrier id: a send whose answer was lost or is
		// still being recorded. The metadata names our message: record the
		// carrier id now and apply the status.
		id := d.Metadata["naive_message_id"]
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
func (s *Service) applyOptEvent(ctx context.Context, mode naive.Mode, ev *surge.Event) error {
	var d surge.ContactEventData
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.ID == "" {
		return naive.InvalidParam("data", "%s data is not {id}.", ev.Type)
	}
	brand, err := s.store.GetBrandByCarrierID(ctx, mode, ev.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("opt-out for an account we do not hold", "account_id", ev.AccountID)
		return nil
	}
	if err != nil {
		return err
	}
	carrier := s.cfg.Carrier(mode)
	if carrier == nil {
		return nil
	}
	c, err := carrier.GetContact(ctx, d.ID)
	if err != nil {
		return carrierError("look up the contact", err)
	}
	if c.PhoneNumber == nil {
		return nil
	}
	at := ev.Timestamp.UTC()
	if ev.Timestamp.IsZero() {
		at = s.now()
	}
	sc := naive.Scope{OperatorID: brand.OperatorID, Mode: brand.Mode}
	return s.store.SetOptOut(ctx, sc, brand.SubjectID, *c.PhoneNumber, ev.Type == surge.EventContactOptedOut, at)
}
