package surgesim

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/naive-oss/naive/internal/surge"
)

// Record kinds: one per object of the state, plus the simulator's own
// settings (kindMeta).
const (
	kindAccount      = "account"
	kindCampaign     = "campaign"
	kindNumber       = "number"
	kindContact      = "contact"
	kindConversation = "conversation"
	kindMessage      = "message"
	kindFlag         = "flag" // a flagged destination, by E.164
	kindEvent        = "event"
	kindMeta         = "meta"
)

// Meta record ids.
const (
	metaSeq     = "seq"            // the last object sequence number handed out
	metaSecret  = "webhook_secret" // the secret every simulator on the storage signs with
	metaAdvance = "advance"        // when the earliest TaskAdvance scheduled is due
	metaDrain   = "drain"          // when the last webhook drain was scheduled
)

// recKey names one record.
type recKey struct{ kind, id string }

// The records' JSON: every field of the state objects, exported.
type (
	accountRec struct {
		Seq          int64         `json:"seq"`
		Archived     bool          `json:"archived,omitempty"`
		Verification string        `json:"verification,omitempty"`
		OTPSends     int           `json:"otp_sends,omitempty"`
		OTPSentAt    time.Time     `json:"otp_sent_at,omitzero"`
		Account      surge.Account `json:"account"`
	}
	campaignRec struct {
		Seq       int64          `json:"seq"`
		AccountID string         `json:"account_id"`
		Created   time.Time      `json:"created"`
		Delay     time.Duration  `json:"delay"`
		Override  string         `json:"override,omitempty"`
		Reject    bool           `json:"reject,omitempty"`
		Activated bool           `json:"activated,omitempty"`
		Campaign  surge.Campaign `json:"campaign"`
	}
	numberRec struct {
		Seq         int64             `json:"seq"`
		AccountID   string            `json:"account_id"`
		PhoneNumber surge.PhoneNumber `json:"phone_number"`
	}
	contactRec struct {
		Seq       int64             `json:"seq"`
		AccountID string            `json:"account_id"`
		Phone     string            `json:"phone"`
		OptedOut  bool              `json:"opted_out,omitempty"`
		First     *string           `json:"first,omitempty"`
		Last      *string           `json:"last,omitempty"`
		Email     *string           `json:"email,omitempty"`
		Metadata  map[string]string `json:"metadata,omitempty"`
	}
	conversationRec struct {
		AccountID string    `json:"account_id"`
		ContactID string    `json:"contact_id"`
		Number    numberRef `json:"number"`
	}
	messageRec struct {
		Seq         int64              `json:"seq"`
		AccountID   string             `json:"account_id"`
		ConvID      string             `json:"conversation_id"`
		Body        *string            `json:"body,omitempty"`
		Attachments []surge.Attachment `json:"attachments,omitempty"`
		Metadata    map[string]string  `json:"metadata,omitempty"`
		Outbound    bool               `json:"outbound,omitempty"`
		To          string             `json:"to"`
		Stage       int                `json:"stage"`
		SentDue     time.Time          `json:"sent_due"`
		DoneDue     time.Time          `json:"done_due"`
		ReceivedAt  time.Time          `json:"received_at"`
	}
	flagRec struct {
		Reason string `json:"reason"`
	}
	eventRec struct {
		Seq   int64       `json:"seq"`
		Event surge.Event `json:"event"`
		// Undelivered: the event waits for a webhook drain.
		Undelivered bool `json:"undelivered,omitempty"`
	}
	timeRec struct {
		At time.Time `json:"at"`
	}
	seqRec struct {
		Seq int64 `json:"seq"`
	}
	secretRec struct {
		Secret string `json:"secret"`
	}
)

// touch marks an object as changed by the write under way, so it is
// stored with it (or deleted, when it is gone from the state by then).
// Without a Storage it does nothing.
func (s *Server) touch(kind, id string) {
	if s.dirty != nil {
		s.dirty[recKey{kind, id}] = struct{}{}
	}
}

// dirtyRecordsLocked encodes every object touched by the write under way,
// as the state holds it now.
func (s *Server) dirtyRecordsLocked() ([]Record, error) {
	keys := make([]recKey, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	// A stable order keeps the storage's writes (and their locks) in one
	// order whatever the map's.
	slices.SortFunc(keys, func(a, b recKey) int {
		if a.kind != b.kind {
			if a.kind < b.kind {
				return -1
			}
			return 1
		}
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	out := make([]Record, 0, len(keys))
	for _, k := range keys {
		v, ok := s.objectLocked(k)
		r := Record{Kind: k.kind, ID: k.id}
		if ok {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("surgesim: encode %s %s: %w", k.kind, k.id, err)
			}
			r.Data = b
		}
		out = append(out, r)
	}
	return out, nil
}

// objectLocked returns the record form of an object of the state, or
// false when the state has none by that key.
func (s *Server) objectLocked(k recKey) (any, bool) {
	switch k.kind {
	case kindAccount:
		if a, ok := s.accounts[k.id]; ok {
			return accountRec{Seq: a.seq, Archived: a.archived, Verification: a.verification, OTPSends: a.otpSends,
				OTPSentAt: a.otpSentAt, Account: a.Account}, true
		}
	case kindCampaign:
		if c, ok := s.campaigns[k.id]; ok {
			return campaignRec{Seq: c.seq, AccountID: c.accountID, Created: c.created, Delay: c.delay, Override: c.override,
				Reject: c.reject, Activated: c.activated, Campaign: c.Campaign}, true
		}
	case kindNumber:
		if n, ok := s.numbers[k.id]; ok {
			return numberRec{Seq: n.seq, AccountID: n.accountID, PhoneNumber: n.PhoneNumber}, true
		}
	case kindContact:
		if c, ok := s.msgs.contacts[k.id]; ok {
			return contactRec{Seq: c.seq, AccountID: c.accountID, Phone: c.phone, OptedOut: c.optedOut, First: c.first,
				Last: c.last, Email: c.email, Metadata: c.metadata}, true
		}
	case kindConversation:
		if cv, ok := s.msgs.conversations[k.id]; ok {
			return conversationRec{AccountID: cv.accountID, ContactID: cv.contactID, Number: cv.number}, true
		}
	case kindMessage:
		if m, ok := s.msgs.messages[k.id]; ok {
			return messageRec{Seq: m.seq, AccountID: m.accountID, ConvID: m.convID, Body: m.body, Attachments: m.attachments,
				Metadata: m.metadata, Outbound: m.outbound, To: m.to, Stage: m.stage, SentDue: m.sentDue, DoneDue: m.doneDue,
				ReceivedAt: m.receivedAt}, true
		}
	case kindFlag:
		if reason, ok := s.msgs.flagged[k.id]; ok {
			return flagRec{Reason: reason}, true
		}
	case kindEvent:
		if i, ok := s.eventAt[k.id]; ok {
			return eventRec{Seq: s.eventSeq[i], Event: s.events[i], Undelivered: s.undelivered[k.id]}, true
		}
	case kindMeta:
		switch k.id {
		case metaSeq:
			return seqRec{Seq: s.seq}, true
		case metaSecret:
			if s.cfg.WebhookSecret != "" {
				return secretRec{Secret: s.cfg.WebhookSecret}, true
			}
		case metaAdvance:
			return timeRec{At: s.advanceDue}, true
		case metaDrain:
			return timeRec{At: s.drainScheduled}, true
		}
	}
	return nil, false
}

// applyLocked brings the state to what the records say, keeping the
// indexes in step; records of kinds it does not know are skipped. An
// object already in memory is updated in place, so references to it (the
// pending deliveries) stay valid.
func (s *Server) applyLocked(recs []Record) error {
	for _, r := range recs {
		if err := s.applyOneLocked(r); err != nil {
			return fmt.Errorf("surgesim: stored %s %s: %w", r.Kind, r.ID, err)
		}
	}
	return nil
}

func (s *Server) applyOneLocked(r Record) error {
	gone := r.Data == nil
	switch r.Kind {
	case kindAccount:
		if gone {
			delete(s.accounts, r.ID)
			return nil
		}
		var v accountRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		a := s.accounts[r.ID]
		if a == nil {
			a = &account{}
			s.accounts[r.ID] = a
		}
		*a = account{seq: v.Seq, archived: v.Archived, verification: v.Verification, otpSends: v.OTPSends,
			otpSentAt: v.OTPSentAt, Account: v.Account}
	case kindCampaign:
		if gone {
			delete(s.campaigns, r.ID)
			return nil
		}
		var v campaignRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		c := s.campaigns[r.ID]
		if c == nil {
			c = &campaign{}
			s.campaigns[r.ID] = c
		}
		*c = campaign{seq: v.Seq, accountID: v.AccountID, created: v.Created, delay: v.Delay, override: v.Override,
			reject: v.Reject, activated: v.Activated, Campaign: v.Campaign}
	case kindNumber:
		if old := s.numbers[r.ID]; old != nil {
			delete(s.inUse, old.Number)
		}
		if gone {
			delete(s.numbers, r.ID)
			return nil
		}
		var v numberRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		n := s.numbers[r.ID]
		if n == nil {
			n = &number{}
			s.numbers[r.ID] = n
		}
		*n = number{seq: v.Seq, accountID: v.AccountID, PhoneNumber: v.PhoneNumber}
		s.inUse[n.Number] = true
	case kindContact:
		old := s.msgs.contacts[r.ID]
		if old != nil {
			delete(s.msgs.contactIndex, old.accountID+" "+old.phone)
		}
		if gone {
			delete(s.msgs.contacts, r.ID)
			return nil
		}
		var v contactRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		c := old
		if c == nil {
			c = &contact{}
			s.msgs.contacts[r.ID] = c
		}
		*c = contact{seq: v.Seq, id: r.ID, accountID: v.AccountID, phone: v.Phone, optedOut: v.OptedOut, first: v.First,
			last: v.Last, email: v.Email, metadata: v.Metadata}
		s.msgs.contactIndex[c.accountID+" "+c.phone] = c
	case kindConversation:
		if old := s.msgs.conversations[r.ID]; old != nil {
			delete(s.msgs.convIndex, old.contactID+" "+old.number.ID)
		}
		if gone {
			delete(s.msgs.conversations, r.ID)
			return nil
		}
		var v conversationRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		cv := s.msgs.conversations[r.ID]
		if cv == nil {
			cv = &conversation{}
			s.msgs.conversations[r.ID] = cv
		}
		*cv = conversation{id: r.ID, accountID: v.AccountID, contactID: v.ContactID, number: v.Number}
		s.msgs.convIndex[cv.contactID+" "+cv.number.ID] = cv
	case kindMessage:
		if gone {
			delete(s.msgs.messages, r.ID)
			s.msgs.pending = slices.DeleteFunc(s.msgs.pending, func(m *message) bool { return m.id == r.ID })
			return nil
		}
		var v messageRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		m := s.msgs.messages[r.ID]
		isNew := m == nil
		if isNew {
			m = &message{}
			s.msgs.messages[r.ID] = m
		}
		*m = message{seq: v.Seq, id: r.ID, accountID: v.AccountID, convID: v.ConvID, body: v.Body, attachments: v.Attachments,
			metadata: v.Metadata, outbound: v.Outbound, to: v.To, stage: v.Stage, sentDue: v.SentDue, doneDue: v.DoneDue,
			receivedAt: v.ReceivedAt}
		if isNew && m.outbound && m.stage != stageDone {
			s.msgs.pending = append(s.msgs.pending, m)
		}
	case kindFlag:
		if gone {
			delete(s.msgs.flagged, r.ID)
			return nil
		}
		var v flagRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.msgs.flagged[r.ID] = v.Reason
	case kindEvent:
		if gone {
			return nil // events are history: never deleted
		}
		var v eventRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		if v.Undelivered {
			s.undelivered[r.ID] = true
		} else {
			delete(s.undelivered, r.ID)
		}
		if _, ok := s.eventAt[r.ID]; !ok { // an event's content never changes
			s.addEventLocked(v.Seq, v.Event)
		}
	case kindMeta:
		if gone {
			return nil
		}
		switch r.ID {
		case metaSeq:
			var v seqRec
			if err := json.Unmarshal(r.Data, &v); err != nil {
				return err
			}
			s.seq = max(s.seq, v.Seq)
		case metaSecret:
			var v secretRec
			if err := json.Unmarshal(r.Data, &v); err != nil {
				return err
			}
			s.cfg.WebhookSecret = v.Secret
		case metaAdvance, metaDrain:
			var v timeRec
			if err := json.Unmarshal(r.Data, &v); err != nil {
				return err
			}
			if r.ID == metaAdvance {
				s.advanceDue = v.At
			} else {
				s.drainScheduled = v.At
			}
		}
	default:
		// Another simulator's record on a storage both share (the Telnyx
		// simulator's, kinds "telnyx.…"), or a later version's: not ours
		// to read.
	}
	return nil
}

// addEventLocked records an event in sequence order.
func (s *Server) addEventLocked(seq int64, ev surge.Event) {
	i := len(s.events)
	for i > 0 && s.eventSeq[i-1] > seq {
		i--
	}
	s.events = slices.Insert(s.events, i, ev)
	s.eventSeq = slices.Insert(s.eventSeq, i, seq)
	if i == len(s.events)-1 {
		s.eventAt[ev.ID] = i
		return
	}
	for j := i; j < len(s.events); j++ {
		s.eventAt[s.events[j].ID] = j
	}
}
