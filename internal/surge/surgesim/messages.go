package surgesim

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/surge"
)

// MagicFailureSuffix ends the destination numbers whose messages fail: message.sent, then
// message.failed with failure_reason invalid_mobile_number (e.g. to +14155550000).
const MagicFailureSuffix = "0000"

// maxSendAhead is how far in the future send_at may be.
const maxSendAhead = 60 * 24 * time.Hour

// attachmentBaseURL is where Surge serves its copies of attachments.
const attachmentBaseURL = "https://api.surge.app/attachments/"

// Keywords carriers and Surge treat as opt-out and opt-in, compared trimmed and upper-cased.
var (
	optOutKeywords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	optInKeywords  = []string{"START", "UNSTOP"}
	emailPattern   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// msgState is the messaging part of the simulator's state, guarded by Server.mu.
type msgState struct {
	contacts      map[string]*contact      // by ctc_ id
	contactIndex  map[string]*contact      // by account id + " " + E.164
	conversations map[string]*conversation // by cnv_ id
	convIndex     map[string]*conversation // by contact id + " " + pn_ id
	messages      map[string]*message      // by msg_ id
	pending       []*message               // outbound messages whose delivery has not ended
	flagged       map[string]string        // destination E.164 → failure reason that flagged it
}

func newMsgState() msgState {
	return msgState{
		contacts: map[string]*contact{}, contactIndex: map[string]*contact{},
		conversations: map[string]*conversation{}, convIndex: map[string]*conversation{},
		messages: map[string]*message{}, flagged: map[string]string{},
	}
}

// contact is a messaging contact; its fields are replaced, never mutated in place, so rendered
// values stay valid after the lock is released.
type contact struct {
	seq       int64
	id        string
	accountID string
	phone     string
	optedOut  bool // not exposed on the wire, as on Surge
	first     *string
	last      *string
	email     *string
	metadata  map[string]string
}

type conversation struct {
	id        string
	accountID string
	contactID string
	number    numberRef // the sending number as it was when the conversation began
}

// numberRef is the phone number embedded in a conversation: {id, name, number, type}.
type numberRef struct {
	ID     string  `json:"id"`
	Name   *string `json:"name"`
	Number string  `json:"number"`
	Type   string  `json:"type"`
}

// Delivery stages of an outbound message.
const (
	stageQueued = iota // accepted, message.sent pending
	stageSent          // message.sent emitted, the outcome pending
	stageDone          // delivered or failed
)

type message struct {
	seq         int64
	id          string
	accountID   string
	convID      string
	body        *string
	attachments []surge.Attachment
	metadata    map[string]string

	outbound   bool
	to         string
	stage      int
	sentDue    time.Time
	doneDue    time.Time
	receivedAt time.Time
}

// --- wire shapes (explicit nulls for nullable fields, as Surge sends them) ---

// msgContactOut is a messaging contact. The SDK types first_name, last_name and email as
// optional but not nullable, so an unset one is omitted, not null (the docs' examples show
// nulls; surge.md says to follow the SDK).
type msgContactOut struct {
	ID          string            `json:"id"`
	PhoneNumber string            `json:"phone_number"`
	FirstName   *string           `json:"first_name,omitempty"`
	LastName    *string           `json:"last_name,omitempty"`
	Email       *string           `json:"email,omitempty"`
	Metadata    map[string]string `json:"metadata"`
}

type conversationOut struct {
	ID          string        `json:"id"`
	Contact     msgContactOut `json:"contact"`
	PhoneNumber numberRef     `json:"phone_number"`
}

type messageOut struct {
	ID           string             `json:"id"`
	Body         *string            `json:"body"`
	Attachments  []surge.Attachment `json:"attachments"`
	BlastID      *string            `json:"blast_id"`
	Metadata     map[string]string  `json:"metadata"`
	Conversation conversationOut    `json:"conversation"`
}

// messageEventOut is the data of the message.* webhooks: the message and one timestamp.
type messageEventOut struct {
	messageOut
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
	FailureReason *string    `json:"failure_reason,omitempty"`
	ReceivedAt    *time.Time `json:"received_at,omitempty"`
}

// conversationCreatedOut is the data of conversation.created, with the complete PhoneNumber.
type conversationCreatedOut struct {
	ID          string            `json:"id"`
	Contact     msgContactOut     `json:"contact"`
	PhoneNumber surge.PhoneNumber `json:"phone_number"`
}

func renderContact(c *contact) msgContactOut {
	md := c.metadata
	if md == nil {
		md = map[string]string{}
	}
	return msgContactOut{ID: c.id, PhoneNumber: c.phone, FirstName: c.first, LastName: c.last, Email: c.email, Metadata: md}
}

func (s *Server) renderConversationLocked(cv *conversation) conversationOut {
	return conversationOut{ID: cv.id, Contact: renderContact(s.msgs.contacts[cv.contactID]), PhoneNumber: cv.number}
}

func (s *Server) renderMessageLocked(m *message) messageOut {
	md := m.metadata
	if md == nil {
		md = map[string]string{}
	}
	att := m.attachments
	if att == nil {
		att = []surge.Attachment{}
	}
	return messageOut{ID: m.id, Body: m.body, Attachments: att, Metadata: md,
		Conversation: s.renderConversationLocked(s.msgs.conversations[m.convID])}
}

// stamp is an event timestamp: UTC, whole seconds, like Surge's.
func stamp(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Second)
	return &t
}

// --- request bodies ---

// contactIn is a contact body; pointers tell an absent field from a blank one.
type contactIn struct {
	PhoneNumber *string           `json:"phone_number"`
	FirstName   *string           `json:"first_name"`
	LastName    *string           `json:"last_name"`
	Email       *string           `json:"email"`
	Metadata    map[string]string `json:"metadata"`
}

type messageIn struct {
	To           *string `json:"to"`
	From         *string `json:"from"`
	Conversation *struct {
		Contact     *contactIn `json:"contact"`
		PhoneNumber *string    `json:"phone_number"`
	} `json:"conversation"`
	Body        *string `json:"body"`
	Attachments []struct {
		URL string `json:"url"`
	} `json:"attachments"`
	Metadata map[string]string `json:"metadata"`
	SendAt   *string           `json:"send_at"`
	Settings *struct {
		LinkShortening *string `json:"link_shortening"`
	} `json:"settings"`
}

// validateContact checks a contact body under prefix ("" or "conversation.contact."); every
// contact body requires phone_number.
func validateContact(in *contactIn, prefix string, d map[string][]string) {
	switch {
	case in.PhoneNumber == nil || strings.TrimSpace(*in.PhoneNumber) == "":
		d[prefix+"phone_number"] = append(d[prefix+"phone_number"], "can't be blank")
	case !e164Pattern.MatchString(*in.PhoneNumber):
		d[prefix+"phone_number"] = append(d[prefix+"phone_number"], "is not a valid E.164 phone number")
	}
	if in.Email != nil && *in.Email != "" && !emailPattern.MatchString(*in.Email) {
		d[prefix+"email"] = append(d[prefix+"email"], "is not a valid email address")
	}
}

// isNumberRef reports whether v names a phone number: E.164 or a pn_ ID.
func isNumberRef(v string) bool {
	return e164Pattern.MatchString(v) || strings.HasPrefix(v, "pn_")
}

func validateAttachments(urls []string, d map[string][]string) {
	for _, u := range urls {
		if !isURL(u) {
			d["attachments"] = append(d["attachments"], fmt.Sprintf("has an invalid url %q", u))
		}
	}
}

func validateMessage(in messageIn, now time.Time) (map[string][]string, *time.Time) {
	d := map[string][]string{}
	add := func(f, msg string) { d[f] = append(d[f], msg) }
	// Exactly one of to and conversation; from only with to.
	switch {
	case in.Conversation != nil:
		if in.To != nil {
			add("to", "can't be given together with conversation")
		}
		if in.From != nil {
			add("from", "can't be given together with conversation; use conversation.phone_number")
		}
		c := in.Conversation
		if c.Contact == nil {
			add("conversation.contact.phone_number", "can't be blank")
		} else {
			validateContact(c.Contact, "conversation.contact.", d)
		}
		if c.PhoneNumber != nil && !isNumberRef(*c.PhoneNumber) {
			add("conversation.phone_number", "is not a valid E.164 phone number or phone number ID")
		}
	case in.To == nil || strings.TrimSpace(*in.To) == "":
		add("to", "can't be blank")
	case !e164Pattern.MatchString(*in.To):
		add("to", "is not a valid E.164 phone number")
	}
	if in.From != nil && in.Conversation == nil && !isNumberRef(*in.From) {
		add("from", "is not a valid E.164 phone number or phone number ID")
	}
	if (in.Body == nil || strings.TrimSpace(*in.Body) == "") && len(in.Attachments) == 0 {
		add("body", "can't be blank")
	}
	urls := make([]string, len(in.Attachments))
	for i, a := range in.Attachments {
		urls[i] = a.URL
	}
	validateAttachments(urls, d)
	var sendAt *time.Time
	if in.SendAt != nil {
		t, err := time.Parse(time.RFC3339, *in.SendAt)
		switch {
		case err != nil:
			add("send_at", "is not a valid ISO 8601 timestamp")
		case t.Sub(now) > maxSendAhead:
			add("send_at", "must be at most 60 days in the future")
		default:
			sendAt = &t
		}
	}
	if in.Settings != nil && in.Settings.LinkShortening != nil {
		if v := *in.Settings.LinkShortening; v != "enabled" && v != "disabled" {
			add("settings.link_shortening", "is not included in the list")
		}
	}
	return d, sendAt
}

// --- messages ---

func (s *Server) createMessage(r *http.Request, body []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var in messageIn
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	now := s.now()
	detail, sendAt := validateMessage(in, now)
	if len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	var to, from string
	ci := &contactIn{}
	if in.Conversation != nil {
		ci = in.Conversation.Contact
		to = *ci.PhoneNumber
		if in.Conversation.PhoneNumber != nil {
			from = *in.Conversation.PhoneNumber
		}
	} else {
		to = *in.To
		ci.PhoneNumber = &to
		if in.From != nil {
			from = *in.From
		}
	}
	n, err := s.senderLocked(a.ID, from)
	if err != nil {
		return 0, nil, err
	}
	if c := s.msgs.contactIndex[a.ID+" "+to]; c != nil && c.optedOut {
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "opted_out",
			"The recipient has opted out of messages from this account.", nil}
	}
	c := s.upsertContactLocked(a.ID, ci)
	cv := s.conversationLocked(c, n)
	m := &message{seq: s.nextSeq(), id: newID("msg", now), accountID: a.ID, convID: cv.id, body: nonBlank(in.Body),
		metadata: cloneMap(in.Metadata), outbound: true, to: to}
	for _, at := range in.Attachments {
		m.attachments = append(m.attachments, newAttachment(at.URL, now))
	}
	start := now
	if sendAt != nil && sendAt.After(now) {
		start = *sendAt
	}
	m.sentDue = start.Add(s.deliveryDelay)
	m.doneDue = m.sentDue.Add(s.deliveryDelay)
	s.msgs.messages[m.id] = m
	s.msgs.pending = append(s.msgs.pending, m)
	s.touch(kindMessage, m.id)
	s.dueLocked(m.sentDue)
	s.dueLocked(m.doneDue)
	return http.StatusCreated, s.renderMessageLocked(m), nil
}

func (s *Server) getMessage(r *http.Request, _ []byte) (int, any, error) {
	m, ok := s.msgs.messages[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	return http.StatusOK, s.renderMessageLocked(m), nil
}

func (s *Server) listMessages(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	return paginate(r.URL.Query(), s.accountMessagesLocked(a.ID), func(m *message) int64 { return m.seq }, s.renderMessageLocked)
}

func (s *Server) accountMessagesLocked(accountID string) []*message {
	var out []*message
	for _, m := range sortedBySeq(s.msgs.messages, func(m *message) int64 { return m.seq }) {
		if m.accountID == accountID {
			out = append(out, m)
		}
	}
	return out
}

// senderLocked resolves the sending number: ref (E.164 or pn_ ID) on the account, or the
// account's first-bought number when ref is empty.
func (s *Server) senderLocked(accountID, ref string) (*number, error) {
	if ref == "" {
		nums := s.accountNumbersLocked(accountID)
		if len(nums) == 0 {
			return nil, &apiError{http.StatusUnprocessableEntity, "no_phone_number",
				"The account has no phone number to send from. Purchase one or pass from.", nil}
		}
		return nums[0], nil
	}
	// By id first (what naive sends), without sorting every number.
	if n, ok := s.numbers[ref]; ok && n.accountID == accountID {
		return n, nil
	}
	for _, n := range s.numbers {
		if n.accountID == accountID && n.Number == ref {
			return n, nil
		}
	}
	return nil, &apiError{http.StatusUnprocessableEntity, "phone_number_not_found",
		"The phone number " + ref + " could not be found on this account.", nil}
}

// newAttachment records an attachment; Surge serves its own copy, typed by the file's extension.
func newAttachment(u string, now time.Time) surge.Attachment {
	id := newID("att", now)
	typ := surge.AttachmentTypeFile
	ext := strings.ToLower(path.Ext(strings.SplitN(strings.SplitN(u, "?", 2)[0], "#", 2)[0]))
	switch ext {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic":
		typ = surge.AttachmentTypeImage
	case ".mp4", ".mov", ".3gp", ".webm":
		typ = surge.AttachmentTypeVideo
	case ".vcf":
		typ = surge.AttachmentTypeContact
	}
	return surge.Attachment{ID: id, Type: typ, URL: attachmentBaseURL + id}
}

func nonBlank(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	v := *p
	return &v
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// --- contacts and conversations ---

// upsertContactLocked finds the account's contact for in.PhoneNumber, creating it if needed,
// and applies the fields in sets.
func (s *Server) upsertContactLocked(accountID string, in *contactIn) *contact {
	key := accountID + " " + *in.PhoneNumber
	c := s.msgs.contactIndex[key]
	if c == nil {
		c = &contact{seq: s.nextSeq(), id: newID("ctc", s.now()), accountID: accountID, phone: *in.PhoneNumber}
		s.msgs.contacts[c.id] = c
		s.msgs.contactIndex[key] = c
	}
	c.apply(in)
	s.touch(kindContact, c.id)
	return c
}

// apply sets the fields in carries; a non-nil Metadata replaces the map.
func (c *contact) apply(in *contactIn) {
	set := func(dst **string, v *string) {
		if v != nil {
			x := *v
			*dst = &x
		}
	}
	set(&c.first, in.FirstName)
	set(&c.last, in.LastName)
	set(&c.email, in.Email)
	if in.Metadata != nil {
		c.metadata = cloneMap(in.Metadata)
	}
}

// conversationLocked returns the conversation between c and n, creating it (and emitting
// conversation.created) on first use.
func (s *Server) conversationLocked(c *contact, n *number) *conversation {
	key := c.id + " " + n.ID
	if cv := s.msgs.convIndex[key]; cv != nil {
		return cv
	}
	cv := &conversation{id: newID("cnv", s.now()), accountID: c.accountID, contactID: c.id,
		number: numberRef{ID: n.ID, Name: n.Name, Number: n.Number, Type: n.Type}}
	s.msgs.conversations[cv.id] = cv
	s.msgs.convIndex[key] = cv
	s.touch(kindConversation, cv.id)
	s.emitLocked(c.accountID, surge.EventConversationCreated,
		conversationCreatedOut{ID: cv.id, Contact: renderContact(c), PhoneNumber: n.PhoneNumber})
	return cv
}

func (s *Server) createContact(r *http.Request, body []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var in contactIn
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	d := map[string][]string{}
	validateContact(&in, "", d)
	if len(d) == 0 && s.msgs.contactIndex[a.ID+" "+*in.PhoneNumber] != nil {
		d["phone_number"] = []string{"has already been taken"}
	}
	if len(d) > 0 {
		return 0, nil, validation(d)
	}
	return http.StatusCreated, renderContact(s.upsertContactLocked(a.ID, &in)), nil
}

func (s *Server) getContact(r *http.Request, _ []byte) (int, any, error) {
	c, ok := s.msgs.contacts[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	return http.StatusOK, renderContact(c), nil
}

func (s *Server) updateContact(r *http.Request, body []byte) (int, any, error) {
	c, ok := s.msgs.contacts[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	if err := s.mutableLocked(c.accountID); err != nil {
		return 0, nil, err
	}
	var in contactIn
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	d := map[string][]string{}
	// The SDK types phone_number as required on update too (Surge's official SDK), though its API reference says
	// unspecified fields are unchanged: follow the SDK.
	validateContact(&in, "", d)
	moved := in.PhoneNumber != nil && *in.PhoneNumber != c.phone
	if len(d) == 0 && moved && s.msgs.contactIndex[c.accountID+" "+*in.PhoneNumber] != nil {
		d["phone_number"] = []string{"has already been taken"}
	}
	if len(d) > 0 {
		return 0, nil, validation(d)
	}
	if moved {
		delete(s.msgs.contactIndex, c.accountID+" "+c.phone)
		c.phone = *in.PhoneNumber
		s.msgs.contactIndex[c.accountID+" "+c.phone] = c
	}
	c.apply(&in)
	s.touch(kindContact, c.id)
	return http.StatusOK, renderContact(c), nil
}

func (s *Server) listContacts(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	return paginate(r.URL.Query(), s.accountContactsLocked(a.ID), func(c *contact) int64 { return c.seq }, renderContact)
}

func (s *Server) accountContactsLocked(accountID string) []*contact {
	var out []*contact
	for _, c := range sortedBySeq(s.msgs.contacts, func(c *contact) int64 { return c.seq }) {
		if c.accountID == accountID {
			out = append(out, c)
		}
	}
	return out
}

// --- delivery ---

// advanceMessagesLocked emits, in time order, every delivery step due by now.
func (s *Server) advanceMessagesLocked(now time.Time) {
	type step struct {
		at    time.Time
		m     *message
		stage int
	}
	var steps []step
	for _, m := range s.msgs.pending {
		if m.stage == stageQueued && !m.sentDue.After(now) {
			steps = append(steps, step{m.sentDue, m, stageQueued})
		}
		if !m.doneDue.After(now) {
			steps = append(steps, step{m.doneDue, m, stageSent})
		}
	}
	if len(steps) == 0 {
		return
	}
	slices.SortFunc(steps, func(a, b step) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.m.seq, b.m.seq), cmp.Compare(a.stage, b.stage))
	})
	for _, st := range steps {
		if st.m.stage != st.stage {
			continue // cancelled before reaching the carrier
		}
		s.deliveryStepLocked(st.m, st.at)
	}
	s.msgs.pending = slices.DeleteFunc(s.msgs.pending, func(m *message) bool { return m.stage == stageDone })
}

// deliveryStepLocked moves m one stage on at time at and emits the matching webhook.
func (s *Server) deliveryStepLocked(m *message, at time.Time) {
	ev := messageEventOut{messageOut: s.renderMessageLocked(m)}
	s.touch(kindMessage, m.id)
	fail := func(reason string) {
		ev.FailedAt, ev.FailureReason = stamp(at), &reason
		m.stage = stageDone
		s.emitLocked(m.accountID, surge.EventMessageFailed, ev)
	}
	switch m.stage {
	case stageQueued:
		// A flagged destination is cancelled before reaching the carrier: no message.sent.
		if reason, ok := s.msgs.flagged[m.to]; ok {
			fail(reason)
			return
		}
		ev.SentAt = stamp(at)
		m.stage = stageSent
		s.emitLocked(m.accountID, surge.EventMessageSent, ev)
	case stageSent:
		if strings.HasSuffix(m.to, MagicFailureSuffix) {
			s.msgs.flagged[m.to] = surge.FailureInvalidMobileNumber
			s.touch(kindFlag, m.to)
			fail(surge.FailureInvalidMobileNumber)
			return
		}
		delete(s.msgs.flagged, m.to)
		s.touch(kindFlag, m.to)
		ev.DeliveredAt = stamp(at)
		m.stage = stageDone
		s.emitLocked(m.accountID, surge.EventMessageDelivered, ev)
	}
}

// --- inbound (sandbox only) ---

// InboundRequest is the body of POST /sandbox/inbound, a simulator extension that is NOT part
// of Surge's API: it makes the simulator receive a text from From to To (one of an account's
// numbers), as if a handset had sent it.
type InboundRequest struct {
	To          string             `json:"to"`
	From        string             `json:"from"`
	Body        string             `json:"body,omitempty"`
	Attachments []surge.Attachment `json:"attachments,omitempty"`
}

// Inbound simulates a text from the handset from (E.164) to accountNumber (an account's number,
// E.164 or pn_ ID), with optional attachment URLs. It records the message, creates the contact
// and conversation as needed (conversation.created), emits message.received and returns that
// event. An opt-out keyword body (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT; trimmed, any
// case) then opts the contact out and emits contact.opted_out; START or UNSTOP opts it back in
// and emits contact.opted_in. The keyword events are emitted every time, opted out or not.
func (s *Server) Inbound(accountNumber, from, body string, attachments ...string) (surge.Event, error) {
	if s.store == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advanceLocked(s.now())
		return s.inboundLocked(accountNumber, from, body, attachments)
	}
	var (
		ev  surge.Event
		err error
	)
	if serr := s.write(context.Background(), func() { ev, err = s.inboundLocked(accountNumber, from, body, attachments) }); serr != nil {
		s.log.Error("surgesim: storage", "err", serr)
		return surge.Event{}, errStorage
	}
	return ev, err
}

func (s *Server) inboundLocked(to, from, body string, attachments []string) (surge.Event, error) {
	d := map[string][]string{}
	switch {
	case to == "":
		d["to"] = []string{"can't be blank"}
	case !isNumberRef(to):
		d["to"] = []string{"is not a valid E.164 phone number or phone number ID"}
	}
	switch {
	case from == "":
		d["from"] = []string{"can't be blank"}
	case !e164Pattern.MatchString(from):
		d["from"] = []string{"is not a valid E.164 phone number"}
	}
	if strings.TrimSpace(body) == "" && len(attachments) == 0 {
		d["body"] = []string{"can't be blank"}
	}
	validateAttachments(attachments, d)
	if len(d) > 0 {
		return surge.Event{}, validation(d)
	}
	if to == VerificationNumber {
		return s.verificationReplyLocked(from, body)
	}
	var n *number
	for _, cand := range s.numbers {
		if cand.ID == to || cand.Number == to {
			n = cand
			break
		}
	}
	if n == nil {
		return surge.Event{}, &apiError{http.StatusNotFound, "not_found", "No account owns the phone number " + to + ".", nil}
	}
	now := s.now()
	c := s.upsertContactLocked(n.accountID, &contactIn{PhoneNumber: &from})
	cv := s.conversationLocked(c, n)
	m := &message{seq: s.nextSeq(), id: newID("msg", now), accountID: n.accountID, convID: cv.id,
		body: nonBlank(&body), to: n.Number, stage: stageDone, receivedAt: now}
	for _, u := range attachments {
		m.attachments = append(m.attachments, newAttachment(u, now))
	}
	s.msgs.messages[m.id] = m
	s.touch(kindMessage, m.id)
	ev := s.emitLocked(n.accountID, surge.EventMessageReceived,
		messageEventOut{messageOut: s.renderMessageLocked(m), ReceivedAt: stamp(now)})
	switch kw := strings.ToUpper(strings.TrimSpace(body)); {
	case slices.Contains(optOutKeywords, kw):
		c.optedOut = true
		s.touch(kindContact, c.id)
		s.emitLocked(n.accountID, surge.EventContactOptedOut, surge.ContactEventData{ID: c.id})
	case slices.Contains(optInKeywords, kw):
		c.optedOut = false
		s.touch(kindContact, c.id)
		s.emitLocked(n.accountID, surge.EventContactOptedIn, surge.ContactEventData{ID: c.id})
	}
	return ev, nil
}

func (s *Server) sandboxInbound(r *http.Request, body []byte) (int, any, error) {
	var in InboundRequest
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	urls := make([]string, len(in.Attachments))
	for i, a := range in.Attachments {
		urls[i] = a.URL
	}
	ev, err := s.inboundLocked(in.To, in.From, in.Body, urls)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, ev, nil
}

// --- inspection ---

// Messages returns an account's messages, sent and received, in creation order, as
// GET /messages/{id} renders them.
func (s *Server) Messages(accountID string) []surge.Message {
	s.lockInspected(true)
	defer s.mu.Unlock()
	out := []surge.Message{}
	for _, m := range s.accountMessagesLocked(accountID) {
		out = append(out, convert[surge.Message](s.renderMessageLocked(m)))
	}
	return out
}

// Contacts returns an account's contacts in creation order.
func (s *Server) Contacts(accountID string) []surge.Contact {
	s.lockInspected(false)
	defer s.mu.Unlock()
	out := []surge.Contact{}
	for _, c := range s.accountContactsLocked(accountID) {
		out = append(out, convert[surge.Contact](renderContact(c)))
	}
	return out
}

// OptedOut reports whether phone (E.164) has opted out of the account's messages.
func (s *Server) OptedOut(accountID, phone string) bool {
	s.lockInspected(false)
	defer s.mu.Unlock()
	c := s.msgs.contactIndex[accountID+" "+phone]
	return c != nil && c.optedOut
}

// convert turns a wire shape into the client's type, exactly as the client would decode it.
func convert[T any](v any) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("surgesim: encode %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("surgesim: decode %T: %v", out, err))
	}
	return out
}
