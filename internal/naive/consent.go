package naive

import "time"

// Consent bases: why a number may text a contact. A number keeps one
// consent record per contact, the latest one recorded.
const (
	// ConsentExpressWritten: the contact agreed in writing (a web form,
	// a signed paper, a checkbox), ideally with evidence_url.
	ConsentExpressWritten = "express_written"
	// ConsentExpressOral: the contact agreed by voice (a call, in person).
	ConsentExpressOral = "express_oral"
	// ConsentConversation: the contact texted the number first; recorded
	// by the service when the first text arrives.
	ConsentConversation = "conversation"
	// ConsentExistingCustomer: the contact is a customer who gave the
	// number for this purpose.
	ConsentExistingCustomer = "existing_customer"
	// ConsentNone is recorded on a text sent without any consent record,
	// which only a kit that does not require consent lets through.
	ConsentNone = "none"
)

// ConsentBases are the bases a consent record may hold, in the order
// documents list them.
var ConsentBases = []string{ConsentExpressWritten, ConsentExpressOral, ConsentConversation, ConsentExistingCustomer}

// Kit settings of primitives_config.phone.consent.
const (
	KitConsentRequired    = "required"
	KitConsentNotRequired = "not_required"
)

// QuietHours is the window of the recipient's local day in which texts
// may go ("08:00" to "21:00"); a start after the end runs past midnight.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// ConsentRequest is the body of POST /v1/phone/{id}/contacts/{e164}/consent.
type ConsentRequest struct {
	Basis       string `json:"basis"`
	EvidenceURL string `json:"evidence_url,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Consent is a number's consent record for one contact.
type Consent struct {
	Basis       string `json:"basis"`
	EvidenceURL string `json:"evidence_url,omitempty"`
	Note        string `json:"note,omitempty"`
	// MessageID is the inbound text that opened a conversation.
	MessageID  string    `json:"message_id,omitempty"`
	RecordedBy Actor     `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PhoneContact is one person a number has a consent record for, or who opted
// out of its subject's texts, with both states.
type PhoneContact struct {
	PhoneID string `json:"phone_id"`
	// Contact is the person's number in E.164.
	Contact string `json:"contact"`
	// Consent is nil when the number holds no consent record for them.
	Consent *Consent `json:"consent"`
	// OptedOut is the STOP/START state, per subject: it wins over any
	// consent.
	OptedOut      bool       `json:"opted_out"`
	OptOutUpdated *time.Time `json:"opt_out_updated_at,omitempty"`
	Mode          Mode       `json:"mode"`
}
