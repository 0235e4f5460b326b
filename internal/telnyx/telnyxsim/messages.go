package telnyxsim

import (
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
)

// routes is the whole modelled surface; anything else panics in ServeHTTP
// (or gets a 404 when Standalone). Every route but POST /sandbox/inbound is
// a Telnyx route.
func (s *Server) routes() {
	for pattern, h := range map[string]handlerFunc{
		"POST /v2/10dlc/brand":             s.createBrand,
		"GET /v2/10dlc/brand":              s.listBrands,
		"GET /v2/10dlc/brand/{brandId}":    s.getBrand,
		"PUT /v2/10dlc/brand/{brandId}":    s.updateBrand,
		"DELETE /v2/10dlc/brand/{brandId}": s.deleteBrand,
		// GET /v2/10dlc/brand/feedback/{brandId} and GET
		// /v2/10dlc/brand/{brandId}/smsOtp overlap as ServeMux patterns:
		// one pattern serves both (brandGet2).
		"GET /v2/10dlc/brand/{a}/{b}":                           s.brandGet2,
		"POST /v2/10dlc/brand/{brandId}/smsOtp":                 s.triggerOTP,
		"PUT /v2/10dlc/brand/{brandId}/smsOtp":                  s.verifyOTP,
		"POST /v2/10dlc/campaignBuilder":                        s.createCampaign,
		"GET /v2/10dlc/campaign":                                s.listCampaigns,
		"GET /v2/10dlc/campaign/{campaignId}":                   s.getCampaign,
		"PUT /v2/10dlc/campaign/{campaignId}":                   s.updateCampaign,
		"DELETE /v2/10dlc/campaign/{campaignId}":                s.deactivateCampaign,
		"POST /v2/10dlc/campaign/{campaignId}/appeal":           s.appealCampaign,
		"POST /v2/10dlc/phone_number_campaigns":                 s.assign,
		"GET /v2/10dlc/phone_number_campaigns":                  s.listAssignments,
		"GET /v2/10dlc/phone_number_campaigns/{phoneNumber}":    s.getAssignment,
		"DELETE /v2/10dlc/phone_number_campaigns/{phoneNumber}": s.unassign,
		"GET /v2/available_phone_numbers":                       s.availableNumbers,
		"POST /v2/number_orders":                                s.createOrder,
		"GET /v2/number_orders":                                 s.listOrders,
		"GET /v2/number_orders/{id}":                            s.getOrder,
		"GET /v2/phone_numbers":                                 s.listNumbers,
		"GET /v2/phone_numbers/{id}":                            s.getNumber,
		"PATCH /v2/phone_numbers/{id}":                          s.updateNumber,
		"DELETE /v2/phone_numbers/{id}":                         s.deleteNumber,
		"GET /v2/phone_numbers/{id}/messaging":                  s.getMessaging,
		"PATCH /v2/phone_numbers/{id}/messaging":                s.updateMessaging,
		"POST /v2/messages":                                     s.createMessage,
		"GET /v2/messages/{id}":                                 s.getMessage,
		"GET /v2/detail_records":                                s.detailRecords,
		// Sandbox-only, NOT a Telnyx route: simulates an inbound text
		// ({"from","to","text"}), answering 200 with the message.received
		// payload (404 when the account holds no number "to").
		"POST /sandbox/inbound": s.sandboxInbound,
	} {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
	}
}

// brandGet2 serves GET /v2/10dlc/brand/feedback/{brandId} and GET
// /v2/10dlc/brand/{brandId}/smsOtp, and fails loudly on any other path of
// that shape, as an unmodelled route does.
func (s *Server) brandGet2(r *http.Request, body []byte) (int, any, error) {
	a, b := r.PathValue("a"), r.PathValue("b")
	switch {
	case a == "feedback":
		r.SetPathValue("brandId", b)
		return s.brandFeedback(r, body)
	case b == "smsOtp":
		r.SetPathValue("brandId", a)
		return s.otpStatus(r, body)
	}
	if s.cfg.Standalone {
		return 0, nil, notFound("route GET " + r.URL.Path)
	}
	panic("telnyxsim: unmodelled route GET " + r.URL.Path)
}

// OptOutWords opt a sender out; OptInWords opt it back in.
var (
	OptOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	OptInWords  = []string{"START", "UNSTOP"}
)

type message struct {
	seq      int64
	accepted time.Time
	delay    time.Duration // Config.DeliveryDelay when it was sent
	stage    int           // 0 queued, 1 sent, 2 finalized
	fail     *telnyx.APIError
	mdr      *telnyx.MessageRecord // its detail record, once sent
	telnyx.Message
}

// optKey scopes opt-outs as Telnyx does, by messaging profile (by number
// when the number has none).
func (s *Server) optKey(n *number, contact string) string {
	scope := n.MessagingProfileID
	if scope == "" {
		scope = n.PhoneNumber.PhoneNumber
	}
	return scope + "|" + contact
}

func (s *Server) createMessage(r *http.Request, body []byte) (int, any, error) {
	var in telnyx.MessageCreate
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	var m missing
	if in.From == "" {
		m.add("from", "from is required when sending from a phone number.")
	}
	if in.To == "" {
		m.add("to", "to is required.")
	}
	if strings.TrimSpace(in.Text) == "" {
		m.add("text", "text is required for SMS.")
	}
	if err := m.err(); err != nil {
		return 0, nil, err
	}
	if !e164.MatchString(in.To) {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeNotE164, "Phone number must be in +E.164 format",
			"The 'to' number must be in +E.164 format.", "/to")
	}
	id, owned := s.inUse[in.From]
	if !owned {
		return 0, nil, one(http.StatusBadRequest, "40013", "Invalid source number", "The 'from' number is not a number of this account.", "/from")
	}
	n := s.numbers[id]
	if n.MessagingProfileID == "" {
		return 0, nil, one(http.StatusBadRequest, "40013", "Invalid source number",
			"The 'from' number is not assigned to a messaging profile.", "/from")
	}
	if s.optOuts[s.optKey(n, in.To)] {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBlockedStop, "Blocked due to STOP message",
			"The recipient replied STOP to this messaging profile.", "/to")
	}
	now := s.now()
	msg := &message{seq: s.nextSeq(), accepted: now, delay: s.deliveryDelay, Message: telnyx.Message{ID: s.newID(), RecordType: "message", Direction: "outbound", Type: "SMS",
		From: telnyx.Endpoint{PhoneNumber: in.From, Carrier: "Telnyx", LineType: "Wireless"},
		To:   []telnyx.Endpoint{{PhoneNumber: in.To, Carrier: "T-Mobile USA", LineType: "Wireless", Status: telnyx.DeliveryQueued}},
		Text: in.Text, MessagingProfileID: n.MessagingProfileID, WebhookURL: in.WebhookURL, WebhookFailoverURL: in.WebhookFailoverURL,
		Encoding: "GSM-7", Parts: 1 + len(in.Text)/160, Errors: []telnyx.APIError{}, ReceivedAt: ptr(now.UTC())}}
	switch {
	case strings.HasSuffix(in.To, "0000"):
		msg.fail = &telnyx.APIError{Code: telnyx.CodeInvalidDestination, Title: "Invalid destination number",
			Detail: "The destination carrier rejected the number."}
	case n.PhoneNumberType == telnyx.NumberLocal && !s.assignedActiveLocked(in.From):
		msg.fail = &telnyx.APIError{Code: "40008", Title: "Undeliverable",
			Detail: "The sending number is not assigned to an active 10DLC campaign."}
	}
	s.messages[msg.ID] = msg
	s.touch(kindMessage, msg.ID)
	return http.StatusOK, map[string]any{"data": msg.Message}, nil
}

// assignedActiveLocked reports whether a number is assigned to an active campaign.
func (s *Server) assignedActiveLocked(e164 string) bool {
	a, ok := s.assignments[e164]
	if !ok {
		return false
	}
	c, ok := s.campaigns[a.CampaignID]
	return ok && c.CampaignStatus == telnyx.CampaignMNOProvisioned
}

// advanceMessageLocked sends and finalizes an outbound text on its clock.
func (s *Server) advanceMessageLocked(m *message, now time.Time) {
	if m.Direction != "outbound" {
		return
	}
	if m.stage == 0 && now.Sub(m.accepted) >= m.delay {
		m.stage = 1
		s.touch(kindMessage, m.ID)
		at := m.accepted.Add(m.delay).UTC()
		m.SentAt, m.To[0].Status = &at, telnyx.DeliverySent
		m.mdr = &telnyx.MessageRecord{UUID: m.ID, RecordType: "message_detail_record", Direction: "outbound", Status: "sent",
			CLI: m.From.PhoneNumber, CLD: m.To[0].PhoneNumber, ProfileID: m.MessagingProfileID, DeliveryStatusWebhookURL: m.WebhookURL,
			CreatedAt: m.accepted.UTC(), SentAt: at}
		s.emitLocked(m.WebhookURL, telnyx.EventMessageSent, s.envelopeLocked(telnyx.EventMessageSent, at, m.Message, m.WebhookURL))
	}
	if m.stage == 1 && now.Sub(m.accepted) >= 2*m.delay {
		m.stage = 2
		s.touch(kindMessage, m.ID)
		at := m.accepted.Add(2 * m.delay).UTC()
		m.CompletedAt, m.To[0].Status = &at, telnyx.DeliveryDelivered
		if m.fail != nil {
			m.To[0].Status, m.Errors = telnyx.DeliveryFailed, []telnyx.APIError{*m.fail}
		}
		if m.mdr != nil {
			m.mdr.Status = map[bool]string{true: "failed", false: "delivered"}[m.fail != nil]
			if m.fail != nil {
				m.mdr.Errors = []string{m.fail.Code}
			}
		}
		s.emitLocked(m.WebhookURL, telnyx.EventMessageFinalized, s.envelopeLocked(telnyx.EventMessageFinalized, at, m.Message, m.WebhookURL))
	}
}

func (s *Server) getMessage(r *http.Request, _ []byte) (int, any, error) {
	m, ok := s.messages[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound("message")
	}
	return http.StatusOK, map[string]any{"data": m.Message}, nil
}

// detailRecords answers GET /detail_records for record_type messaging,
// filtering on any record attribute given as filter[<attribute>].
func (s *Server) detailRecords(r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	if q.Get("filter[record_type]") != "messaging" {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBadRequest, "Bad Request",
			"The sandbox models only filter[record_type]=messaging.", "/filter/record_type")
	}
	var out []telnyx.MessageRecord
	for _, m := range sortedBySeq(s.messages, func(m *message) int64 { return m.seq }) {
		if m.mdr == nil {
			continue
		}
		rec := *m.mdr
		keep := true
		for k, v := range map[string]string{"direction": rec.Direction, "status": rec.Status, "cli": rec.CLI, "cld": rec.CLD,
			"profile_id": rec.ProfileID, "delivery_status_webhook_url": rec.DeliveryStatusWebhookURL, "uuid": rec.UUID} {
			if want, ok := q["filter["+k+"]"]; ok && want[0] != v {
				keep = false
			}
		}
		if keep {
			out = append(out, rec)
		}
	}
	return paginateFlat(r, out)
}

// InboundRequest is the body of POST /sandbox/inbound.
type InboundRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
	Text string `json:"text"`
}

func (s *Server) sandboxInbound(r *http.Request, body []byte) (int, any, error) {
	var in InboundRequest
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	m, err := s.inboundLocked(in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"data": m}, nil
}

// Inbound simulates a text from a handset to one of the account's numbers:
// message.received goes to Config.WebhookURL, and STOP or START words opt
// the sender out or in.
func (s *Server) Inbound(from, to, text string) (telnyx.Message, error) {
	var m telnyx.Message
	err := s.mutate(func() error {
		var err error
		m, err = s.inboundLocked(InboundRequest{From: from, To: to, Text: text})
		return err
	})
	s.kick()
	return m, err
}

func (s *Server) inboundLocked(in InboundRequest) (telnyx.Message, error) {
	id, owned := s.inUse[in.To]
	if !owned {
		return telnyx.Message{}, notFound("phone number " + in.To)
	}
	if !e164.MatchString(in.From) {
		return telnyx.Message{}, one(http.StatusUnprocessableEntity, telnyx.CodeNotE164, "Phone number must be in +E.164 format",
			"from must be in +E.164 format.", "/from")
	}
	n := s.numbers[id]
	word := strings.ToUpper(strings.TrimSpace(in.Text))
	for _, w := range OptOutWords {
		if word == w {
			s.optOuts[s.optKey(n, in.From)] = true
			s.touch(kindOptOut, s.optKey(n, in.From))
		}
	}
	for _, w := range OptInWords {
		if word == w {
			delete(s.optOuts, s.optKey(n, in.From))
			s.touch(kindOptOut, s.optKey(n, in.From))
		}
	}
	now := s.now().UTC()
	m := telnyx.Message{ID: s.newID(), RecordType: "message", Direction: "inbound", Type: "SMS",
		From: telnyx.Endpoint{PhoneNumber: in.From, Carrier: "T-Mobile USA", LineType: "Wireless"},
		To:   []telnyx.Endpoint{{PhoneNumber: in.To, Carrier: "Telnyx", LineType: "Wireless", Status: "webhook_delivered"}},
		Text: in.Text, MessagingProfileID: n.MessagingProfileID, Encoding: "GSM-7", Parts: 1, Errors: []telnyx.APIError{}, ReceivedAt: &now}
	s.messages[m.ID] = &message{seq: s.nextSeq(), accepted: now, stage: 2, Message: m}
	s.touch(kindMessage, m.ID)
	url := s.inboundURLLocked(n)
	s.emitLocked(url, telnyx.EventMessageReceived, s.envelopeLocked(telnyx.EventMessageReceived, now, m, url))
	return m, nil
}

// inboundURLLocked is where a text to n is posted: Config.WebhookURL, or,
// on a standalone simulator that names none (it serves several servers),
// its owner's webhook, as Telnyx posts to the number's messaging
// profile's: that of the campaign the number is assigned to, else of the
// newest campaign of the brand naive tagged the number with.
func (s *Server) inboundURLLocked(n *number) string {
	if !s.cfg.Standalone || s.cfg.WebhookURL != "" {
		return ""
	}
	if a, ok := s.assignments[n.PhoneNumber.PhoneNumber]; ok {
		if c, ok := s.campaigns[a.CampaignID]; ok && c.WebhookURL != "" {
			return c.WebhookURL
		}
	}
	url := ""
	for _, tag := range n.Tags {
		if brand, ok := strings.CutPrefix(tag, telnyx.BrandTagPrefix); ok {
			for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
				if c.BrandID == brand && c.WebhookURL != "" {
					url = c.WebhookURL
				}
			}
		}
	}
	return url
}

// OptedOut reports whether contact opted out of texts from the number's messaging profile.
func (s *Server) OptedOut(number, contact string) bool {
	s.lockInspected(false)
	defer s.mu.Unlock()
	id, ok := s.inUse[number]
	if !ok {
		return false
	}
	return s.optOuts[s.optKey(s.numbers[id], contact)]
}

// Messages returns every message, sent and received, in order.
func (s *Server) Messages() []telnyx.Message {
	s.lockInspected(false)
	defer s.mu.Unlock()
	var out []telnyx.Message
	for _, m := range sortedBySeq(s.messages, func(m *message) int64 { return m.seq }) {
		out = append(out, m.Message)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
