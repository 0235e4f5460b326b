package telnyxsim

import (
	"cmp"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx"
)

// Record kinds: one per object of the state, plus the simulator's own
// settings (kindMeta), each prefixed KindPrefix so that they never meet
// surgesim's on a storage both share.
const (
	kindBrand      = KindPrefix + "brand"
	kindCampaign   = KindPrefix + "campaign"
	kindOrder      = KindPrefix + "order"
	kindNumber     = KindPrefix + "number"
	kindAssignment = KindPrefix + "assignment" // a number's campaign, by E.164
	kindMessage    = KindPrefix + "message"
	kindOptOut     = KindPrefix + "opt_out" // by optKey
	kindEvent      = KindPrefix + "event"   // by sequence number
	kindMeta       = KindPrefix + "meta"
)

// Meta record ids.
const (
	metaSeq     = "seq"         // the last sequence number handed out
	metaKey     = "webhook_key" // the key every simulator on the storage signs with
	metaAdvance = "advance"     // when the earliest TaskAdvance scheduled is due
	metaDrain   = "drain"       // when the last webhook drain was scheduled
)

// recKey names one record.
type recKey struct{ kind, id string }

// The records' JSON: every field of the state objects, exported.
type (
	brandRec struct {
		Seq      int64        `json:"seq"`
		OTPPin   string       `json:"otp_pin,omitempty"`
		OTPRef   string       `json:"otp_ref,omitempty"`
		OTPAt    time.Time    `json:"otp_at,omitzero"`
		OTPSends int          `json:"otp_sends,omitempty"`
		Brand    telnyx.Brand `json:"brand"`
	}
	campaignRec struct {
		Seq      int64           `json:"seq"`
		Started  time.Time       `json:"started"`
		Delay    time.Duration   `json:"delay"`
		Reject   bool            `json:"reject,omitempty"`
		Reason   string          `json:"reason,omitempty"`
		Pinned   string          `json:"pinned,omitempty"`
		Appeal   string          `json:"appeal,omitempty"`
		Campaign telnyx.Campaign `json:"campaign"`
	}
	orderRec struct {
		Seq     int64              `json:"seq"`
		Created time.Time          `json:"created"`
		Delay   time.Duration      `json:"delay,omitempty"`
		Order   telnyx.NumberOrder `json:"order"`
	}
	numberRec struct {
		Seq    int64              `json:"seq"`
		Number telnyx.PhoneNumber `json:"number"`
	}
	messageRec struct {
		Seq      int64                 `json:"seq"`
		Accepted time.Time             `json:"accepted"`
		Delay    time.Duration         `json:"delay,omitempty"`
		Stage    int                   `json:"stage"`
		Fail     *telnyx.APIError      `json:"fail,omitempty"`
		MDR      *telnyx.MessageRecord `json:"mdr,omitempty"`
		Message  telnyx.Message        `json:"message"`
	}
	optOutRec struct {
		OptedOut bool `json:"opted_out"`
	}
	eventRec struct {
		Seq int64 `json:"seq"`
		// URL is the one the event named itself; "" for the sending
		// simulator's Config.WebhookURL.
		URL  string          `json:"url,omitempty"`
		Type string          `json:"type"`
		Body json.RawMessage `json:"body"`
		// Undelivered: the event waits for a webhook drain.
		Undelivered bool `json:"undelivered,omitempty"`
	}
	timeRec struct {
		At time.Time `json:"at"`
	}
	seqRec struct {
		Seq int64 `json:"seq"`
	}
	keyRec struct {
		// Seed is the Ed25519 private key's seed (base64 in the JSON).
		Seed []byte `json:"seed"`
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
func (s *Server) dirtyRecordsLocked() ([]surgesim.Record, error) {
	keys := make([]recKey, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	// A stable order keeps the storage's writes (and their locks) in one
	// order whatever the map's.
	slices.SortFunc(keys, func(a, b recKey) int { return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.id, b.id)) })
	out := make([]surgesim.Record, 0, len(keys))
	for _, k := range keys {
		v, ok := s.objectLocked(k)
		r := surgesim.Record{Kind: k.kind, ID: k.id}
		if ok {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("telnyxsim: encode %s %s: %w", k.kind, k.id, err)
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
	case kindBrand:
		if b, ok := s.brands[k.id]; ok {
			return brandRec{Seq: b.seq, OTPPin: b.otpPin, OTPRef: b.otpRef, OTPAt: b.otpAt, OTPSends: b.otpSends, Brand: b.Brand}, true
		}
	case kindCampaign:
		if c, ok := s.campaigns[k.id]; ok {
			return campaignRec{Seq: c.seq, Started: c.started, Delay: c.delay, Reject: c.reject, Reason: c.reason, Pinned: c.pinned,
				Appeal: c.appeal, Campaign: c.Campaign}, true
		}
	case kindOrder:
		if o, ok := s.orders[k.id]; ok {
			return orderRec{Seq: o.seq, Created: o.created, Delay: o.delay, Order: o.NumberOrder}, true
		}
	case kindNumber:
		if n, ok := s.numbers[k.id]; ok {
			return numberRec{Seq: n.seq, Number: n.PhoneNumber}, true
		}
	case kindAssignment:
		if a, ok := s.assignments[k.id]; ok {
			return *a, true
		}
	case kindMessage:
		if m, ok := s.messages[k.id]; ok {
			return messageRec{Seq: m.seq, Accepted: m.accepted, Delay: m.delay, Stage: m.stage, Fail: m.fail, MDR: m.mdr,
				Message: m.Message}, true
		}
	case kindOptOut:
		if s.optOuts[k.id] {
			return optOutRec{OptedOut: true}, true
		}
	case kindEvent:
		if i, ok := s.eventAt[k.id]; ok {
			ev := s.events[i]
			return eventRec{Seq: ev.seq, URL: ev.own, Type: ev.Type, Body: ev.Body, Undelivered: s.undelivered[k.id]}, true
		}
	case kindMeta:
		switch k.id {
		case metaSeq:
			return seqRec{Seq: s.seq}, true
		case metaKey:
			if s.priv != nil {
				return keyRec{Seed: s.priv.Seed()}, true
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
// indexes in step. Records of kinds it does not know — the Surge
// simulator's, on a storage both share — are not its own: it skips them.
func (s *Server) applyLocked(recs []surgesim.Record) error {
	for _, r := range recs {
		if err := s.applyOneLocked(r); err != nil {
			return fmt.Errorf("telnyxsim: stored %s %s: %w", r.Kind, r.ID, err)
		}
	}
	return nil
}

func (s *Server) applyOneLocked(r surgesim.Record) error {
	gone := r.Data == nil
	switch r.Kind {
	case kindBrand:
		if gone {
			delete(s.brands, r.ID)
			return nil
		}
		var v brandRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.brands[r.ID] = &brand{seq: v.Seq, otpPin: v.OTPPin, otpRef: v.OTPRef, otpAt: v.OTPAt, otpSends: v.OTPSends, Brand: v.Brand}
	case kindCampaign:
		if gone {
			delete(s.campaigns, r.ID)
			return nil
		}
		var v campaignRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.campaigns[r.ID] = &campaign{seq: v.Seq, started: v.Started, delay: v.Delay, reject: v.Reject, reason: v.Reason, pinned: v.Pinned,
			appeal: v.Appeal, Campaign: v.Campaign}
	case kindOrder:
		if gone {
			delete(s.orders, r.ID)
			return nil
		}
		var v orderRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.orders[r.ID] = &order{seq: v.Seq, created: v.Created, delay: v.Delay, NumberOrder: v.Order}
	case kindNumber:
		if old := s.numbers[r.ID]; old != nil && s.inUse[old.PhoneNumber.PhoneNumber] == r.ID {
			delete(s.inUse, old.PhoneNumber.PhoneNumber)
		}
		if gone {
			delete(s.numbers, r.ID)
			return nil
		}
		var v numberRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.numbers[r.ID] = &number{seq: v.Seq, PhoneNumber: v.Number}
		s.inUse[v.Number.PhoneNumber] = r.ID
	case kindAssignment:
		if gone {
			delete(s.assignments, r.ID)
			return nil
		}
		var v telnyx.NumberCampaign
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.assignments[r.ID] = &v
	case kindMessage:
		if gone {
			delete(s.messages, r.ID)
			return nil
		}
		var v messageRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		s.messages[r.ID] = &message{seq: v.Seq, accepted: v.Accepted, delay: v.Delay, stage: v.Stage, fail: v.Fail, mdr: v.MDR,
			Message: v.Message}
	case kindOptOut:
		if gone {
			delete(s.optOuts, r.ID)
			return nil
		}
		var v optOutRec
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		if v.OptedOut {
			s.optOuts[r.ID] = true
		} else {
			delete(s.optOuts, r.ID)
		}
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
			s.addEventLocked(event{seq: v.Seq, id: r.ID, own: v.URL,
				Delivery: Delivery{URL: cmp.Or(v.URL, s.cfg.WebhookURL), Type: v.Type, Body: []byte(v.Body)}})
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
		case metaKey:
			var v keyRec
			if err := json.Unmarshal(r.Data, &v); err != nil {
				return err
			}
			if len(v.Seed) != ed25519.SeedSize {
				return fmt.Errorf("webhook key seed has %d bytes, not %d", len(v.Seed), ed25519.SeedSize)
			}
			s.priv = ed25519.NewKeyFromSeed(v.Seed)
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
	}
	// Any other kind is another simulator's (surgesim's, on a shared
	// storage), or a later version's: not ours to read.
	return nil
}

// eventID is the record id of the event with sequence number seq.
func eventID(seq int64) string { return strconv.FormatInt(seq, 10) }
