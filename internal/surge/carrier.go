package surge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// Carrier adapts a Client to the service's carrier port: a Surge account is
// a brand, a Surge campaign a campaign, numbers are named with our phone ids
// and texts carry our message id in their metadata.
type Carrier struct {
	c      *Client
	secret string
}

// metaRef is the metadata key of our message id on a Surge message.
const metaRef = "naive_message_id"

var _ carrier.Carrier = (*Carrier)(nil)

// NewCarrier returns the adapter over c; webhookSecret (whsec_…) verifies
// the webhooks Surge sends for this account ("" refuses them all).
func NewCarrier(c *Client, webhookSecret string) *Carrier {
	return &Carrier{c: c, secret: webhookSecret}
}

// Name is "surge".
func (a *Carrier) Name() string { return "surge" }

// CreateBrand creates the Surge account of a company.
func (a *Carrier) CreateBrand(ctx context.Context, b carrier.BrandRegistration) (string, error) {
	acct, err := a.c.CreateAccount(ctx, accountCreate(b))
	if err != nil {
		return "", translate(err)
	}
	return acct.ID, nil
}

// UpdateBrand sends the account the corrected organization.
func (a *Carrier) UpdateBrand(ctx context.Context, brandID string, b carrier.BrandRegistration) error {
	in := accountCreate(b)
	_, err := a.c.UpdateAccount(ctx, brandID, AccountUpdate{Name: &in.Name, Organization: in.Organization})
	return translate(err)
}

// BrandStatus reads the account's local_messaging capability.
func (a *Carrier) BrandStatus(ctx context.Context, brandID string) (carrier.Brand, error) {
	st, err := a.c.AccountStatus(ctx, brandID, CapabilityLocalMessaging)
	if err != nil {
		return carrier.Brand{ID: brandID}, translate(err)
	}
	cs := st.Capabilities[CapabilityLocalMessaging]
	out := carrier.Brand{ID: brandID, Ready: cs.Status == CapabilityReady, FieldsNeeded: []string{}}
	for _, f := range cs.FieldsNeeded {
		out.FieldsNeeded = append(out.FieldsNeeded, fieldToParam(f))
	}
	for _, e := range cs.Errors {
		if e.Type == StatusBrandVerificationPending {
			// Not a wrong field: the sole proprietor has yet to confirm
			// the verification text.
			out.Verification = naive.BrandVerificationPendingOTP
			continue
		}
		p := carrier.Problem{Field: fieldToParam(e.Field), Code: e.Type, Message: e.Message}
		if e.Type == "ein_mismatch" {
			p.Field = "ein"
		}
		out.Problems = append(out.Problems, p)
	}
	return out, nil
}

// ResendBrandVerification enqueues the sole proprietor's verification text
// again (POST /accounts/{id}/brand_verification_messages). Surge does not
// document its refusal of an account that awaits no verification; any 422
// is read as that (Invalid).
func (a *Carrier) ResendBrandVerification(ctx context.Context, brandID string) error {
	_, err := a.c.SendBrandVerification(ctx, brandID)
	var se *Error
	if errors.As(err, &se) && se.StatusCode == http.StatusUnprocessableEntity {
		return &carrier.Error{Kind: carrier.Invalid, Message: se.Message, Err: err}
	}
	return translate(err)
}

// BrandVerificationMethod is naive.BrandVerifyReply: Surge texts a sole
// proprietor's contact and the owner replies YES to Surge itself.
func (a *Carrier) BrandVerificationMethod() string { return naive.BrandVerifyReply }

// SubmitBrandVerification is always Invalid: Surge verifies a sole
// proprietor by the owner's reply to its text, so there is no code to
// submit (and Surge has no route for one).
func (a *Carrier) SubmitBrandVerification(context.Context, string, string) error {
	return &carrier.Error{Kind: carrier.Invalid,
		Message: "Surge verifies a sole proprietor by the owner's YES reply to its text; there is no code to submit."}
}

// ArchiveBrand archives the account (DELETE /accounts/{id}): Surge releases its
// numbers and deactivates its campaigns. Archiving is final, so an account
// already archived (410 account_archived) or gone (404) counts as archived:
// a repeated call, or one whose first answer was lost, is harmless.
func (a *Carrier) ArchiveBrand(ctx context.Context, brandID string) error {
	if _, err := a.c.ArchiveAccount(ctx, brandID); err != nil && !IsArchived(err) && !IsNotFound(err) {
		return translate(err)
	}
	return nil
}

// CreateCampaign registers the campaign on the account.
func (a *Carrier) CreateCampaign(ctx context.Context, brandID string, c carrier.CampaignRequest) (carrier.Campaign, error) {
	cp, err := a.c.CreateCampaign(ctx, brandID, CampaignCreate{
		ConsentFlow: c.ConsentFlow, Description: c.Description, MessageSamples: c.MessageSamples,
		PrivacyPolicyURL: c.PrivacyPolicyURL, TermsAndConditionsURL: c.TermsURL, UseCases: c.UseCases, Volume: c.Volume,
	})
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	return carrier.Campaign{ID: cp.ID, Status: campaignStatus(cp.Status)}, nil
}

// FindCampaign returns the account's first campaign (naive registers one
// per account).
func (a *Carrier) FindCampaign(ctx context.Context, brandID string) (carrier.Campaign, bool, error) {
	cps, err := a.c.ListCampaigns(ctx, brandID)
	if err != nil {
		return carrier.Campaign{}, false, translate(err)
	}
	if len(cps) == 0 {
		return carrier.Campaign{}, false, nil
	}
	return carrier.Campaign{ID: cps[0].ID, Status: campaignStatus(cps[0].Status)}, true, nil
}

// CampaignStatus reads a campaign's status and rejection reason.
func (a *Carrier) CampaignStatus(ctx context.Context, campaignID string) (carrier.Campaign, error) {
	cp, err := a.c.GetCampaign(ctx, campaignID)
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	return reviewed(cp), nil
}

// BuyNumber buys a number named order.Ref: exactly order.E164 when it is
// set (Surge then ignores every search field), else one of the type and
// area code.
func (a *Carrier) BuyNumber(ctx context.Context, brandID string, order carrier.NumberOrder) (carrier.Number, error) {
	in := NumberPurchase{Type: order.Type, AreaCode: order.AreaCode, Name: order.Ref}
	if order.E164 != "" {
		in = NumberPurchase{PhoneNumber: order.E164, Name: order.Ref}
	}
	pn, err := a.c.PurchaseNumber(ctx, brandID, in)
	if err != nil {
		return carrier.Number{}, translate(err)
	}
	return number(pn), nil
}

// ListNumbers lists the account's numbers.
func (a *Carrier) ListNumbers(ctx context.Context, brandID string) ([]carrier.Number, error) {
	nums, err := a.c.ListNumbers(ctx, brandID)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]carrier.Number, 0, len(nums))
	for _, n := range nums {
		out = append(out, number(n))
	}
	return out, nil
}

// FindNumber finds the account's number named ref (Surge cannot search by
// name, so the account's numbers are listed).
func (a *Carrier) FindNumber(ctx context.Context, brandID, ref string) (carrier.Number, bool, error) {
	nums, err := a.ListNumbers(ctx, brandID)
	if err != nil {
		return carrier.Number{}, false, err
	}
	for _, n := range nums {
		if n.Ref == ref {
			return n, true, nil
		}
	}
	return carrier.Number{}, false, nil
}

// ReleaseNumber releases a number; one Surge no longer has counts as released.
func (a *Carrier) ReleaseNumber(ctx context.Context, numberID string) error {
	if _, err := a.c.ReleaseNumber(ctx, numberID); err != nil && !IsNotFound(err) {
		return translate(err)
	}
	return nil
}

// SendMessage sends a text carrying our id in its metadata.
func (a *Carrier) SendMessage(ctx context.Context, brandID string, m carrier.OutboundMessage) (carrier.SentMessage, error) {
	msg, err := a.c.SendMessage(ctx, brandID, MessageCreate{To: m.To, From: m.FromNumberID, Body: m.Body,
		Metadata: map[string]string{metaRef: m.Ref}})
	if err != nil {
		return carrier.SentMessage{}, translate(err)
	}
	return carrier.SentMessage{ID: msg.ID}, nil
}

// FindMessage finds a text of the account carrying ref in its metadata.
func (a *Carrier) FindMessage(ctx context.Context, brandID, ref string) (carrier.SentMessage, bool, error) {
	msgs, err := a.c.ListMessages(ctx, brandID)
	if err != nil {
		return carrier.SentMessage{}, false, translate(err)
	}
	for _, m := range msgs {
		if m.Metadata[metaRef] == ref {
			return carrier.SentMessage{ID: m.ID}, true, nil
		}
	}
	return carrier.SentMessage{}, false, nil
}

// ContactNumber returns a contact's phone number.
func (a *Carrier) ContactNumber(ctx context.Context, contactID string) (string, error) {
	c, err := a.c.GetContact(ctx, contactID)
	if err != nil {
		return "", translate(err)
	}
	if c.PhoneNumber == nil {
		return "", nil
	}
	return *c.PhoneNumber, nil
}

// ParseWebhook verifies a Surge webhook (Standard Webhooks, 5 minutes of
// tolerance) and reads it. An authentic event whose data cannot be read is
// returned with ErrUnreadable, so it can still be recorded.
func (a *Carrier) ParseWebhook(h http.Header, body []byte, now time.Time) (*carrier.Event, error) {
	if a.secret == "" {
		return nil, carrier.ErrBadSignature
	}
	if err := webhooksig.Verify(a.secret, h, body, now, webhooksig.DefaultTolerance); err != nil {
		if errors.Is(err, webhooksig.ErrTimestampOutOfRange) {
			return nil, carrier.ErrStaleSignature
		}
		return nil, carrier.ErrBadSignature
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		return nil, carrier.ErrUnreadable
	}
	if ev.ID == "" {
		ev.ID = h.Get(webhooksig.HeaderID)
	}
	out := &carrier.Event{ID: ev.ID, Kind: carrier.EventOther, Type: ev.Type, At: ev.Timestamp.UTC(), BrandID: ev.AccountID}
	if ev.Timestamp.IsZero() {
		out.At = time.Time{}
	}
	if err := readEvent(&ev, out); err != nil {
		out.Kind = carrier.EventOther
		return out, err
	}
	return out, nil
}

func readEvent(ev *Event, out *carrier.Event) error {
	bad := func() error {
		return errors.Join(carrier.ErrUnreadable, errors.New(ev.Type+" data is not what Surge documents"))
	}
	switch ev.Type {
	case EventCampaignApproved:
		var d struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if json.Unmarshal(ev.Data, &d) != nil || d.ID == "" {
			return bad()
		}
		out.Kind, out.Campaign = carrier.EventCampaignStatus, &carrier.CampaignEvent{CampaignID: d.ID, Status: campaignStatus(d.Status)}
	case EventPhoneNumberAttachedToCampaign:
		var pn PhoneNumber
		if json.Unmarshal(ev.Data, &pn) != nil {
			return bad()
		}
		// Surge attaches numbers only to an active campaign.
		if pn.Campaign != nil && pn.Campaign.AttachmentStatus == AttachmentAttached {
			out.Kind, out.Campaign = carrier.EventCampaignStatus, &carrier.CampaignEvent{CampaignID: pn.Campaign.ID, Status: naive.CampaignActive}
		}
	case EventMessageReceived, EventMessageSent, EventMessageDelivered, EventMessageFailed:
		var d MessageEventData
		if json.Unmarshal(ev.Data, &d) != nil || d.ID == "" {
			return bad()
		}
		m := &carrier.MessageEvent{ID: d.ID, Ref: d.Metadata[metaRef]}
		if d.Body != nil {
			m.Body = *d.Body
		}
		for _, at := range d.Attachments {
			m.Attachments = append(m.Attachments, carrier.Attachment{Type: at.Type, URL: at.URL})
		}
		m.To = d.Conversation.PhoneNumber.Number
		if d.Conversation.Contact.PhoneNumber != nil {
			m.From = *d.Conversation.Contact.PhoneNumber
		}
		when := func(t *time.Time) {
			if t != nil {
				m.At = t.UTC()
			}
		}
		out.Kind, out.Message = carrier.EventMessageStatus, m
		switch ev.Type {
		case EventMessageReceived:
			out.Kind, m.Status = carrier.EventMessageReceived, naive.MessageReceived
			when(d.ReceivedAt)
		case EventMessageSent:
			m.Status = naive.MessageSent
			when(d.SentAt)
		case EventMessageDelivered:
			m.Status = naive.MessageDelivered
			when(d.DeliveredAt)
		case EventMessageFailed:
			m.Status, m.FailureReason = naive.MessageFailed, "unknown"
			if d.FailureReason != nil {
				m.FailureReason = *d.FailureReason
			}
			when(d.FailedAt)
		}
	case EventContactOptedOut, EventContactOptedIn:
		var d ContactEventData
		if json.Unmarshal(ev.Data, &d) != nil || d.ID == "" {
			return bad()
		}
		out.Kind, out.Contact = carrier.EventContactOpt, &carrier.ContactEvent{ContactID: d.ID, OptedOut: ev.Type == EventContactOptedOut}
	}
	return nil
}

func number(pn PhoneNumber) carrier.Number {
	n := carrier.Number{ID: pn.ID, E164: pn.Number}
	if pn.Name != nil {
		n.Ref = *pn.Name
	}
	return n
}

// campaignStatus maps Surge's campaign statuses onto naive's; canceled and
// deactivated campaigns cannot send, like rejected ones.
func campaignStatus(st string) string {
	switch st {
	case CampaignCreated:
		return naive.CampaignCreated
	case CampaignActive:
		return naive.CampaignActive
	case CampaignRejected, CampaignCanceled, CampaignDeactivated:
		return naive.CampaignRejected
	}
	return naive.CampaignInReview // in_review, pending and anything new
}

// translate turns the client's errors into the port's.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	hasSE := errors.As(err, &se)
	if errors.Is(err, ErrUnknownOutcome) {
		msg := "the request's outcome is unknown"
		if hasSE {
			msg = se.Message
		}
		return &carrier.Error{Kind: carrier.Unavailable, Message: msg, UnknownOutcome: true, Err: err}
	}
	if !hasSE {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &carrier.Error{Kind: carrier.Unavailable, Message: "Surge could not be reached", Err: err}
	}
	e := &carrier.Error{Kind: carrier.Refused, Message: se.Message, Err: err}
	switch {
	case se.StatusCode == http.StatusNotFound, IsArchived(err):
		// An archived account is gone for good, for the service as for Surge.
		e.Kind = carrier.NotFound
	case se.Type == "no_matching_numbers":
		e.Kind = carrier.NoInventory
	case se.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = carrier.RateLimited, se.RetryAfter
	case se.StatusCode >= 500:
		e.Kind = carrier.Unavailable
	case se.Type == "phone_number_limit":
		e.Kind = carrier.NumberLimit
	case se.Type == "opted_out":
		e.Kind = carrier.OptedOut
	case se.Type == "validation_error" || se.Type == "account_not_ready":
		e.Kind = carrier.Invalid
		for k := range se.Detail {
			e.Fields = append(e.Fields, fieldToParam(k))
		}
		sort.Strings(e.Fields)
	}
	return e
}

// accountCreate builds the Surge account of a brand registration.
func accountCreate(b carrier.BrandRegistration) AccountCreate {
	p := b.Profile
	if b.Tier == naive.TierSoleProprietor {
		return soleProprietorAccount(p)
	}
	return AccountCreate{
		Name: p.LegalName,
		Organization: &Organization{
			Type:               String("llc"),
			RegisteredName:     ptr(p.LegalName),
			IdentifierType:     String("ein"),
			Identifier:         ptr(b.EIN),
			Country:            String("US"),
			Website:            ptr(p.Website),
			Email:              ptr(p.Contact.Email),
			Industry:           ptr(p.Industry),
			RegionsOfOperation: []string{"usa_and_canada"},
			Address: &Address{
				Line1: ptr(p.Address.Line1), Line2: ptr(p.Address.Line2), Locality: ptr(p.Address.City),
				Region: ptr(p.Address.Region), PostalCode: ptr(p.Address.PostalCode), Country: String("US"),
			},
			Contact: &Contact{
				FirstName: ptr(p.Contact.FirstName), LastName: ptr(p.Contact.LastName), Email: ptr(p.Contact.Email),
				PhoneNumber: ptr(p.Contact.Phone), Title: ptr(p.Contact.Title),
			},
		},
	}
}

// soleProprietorAccount is the account of one person trading without an
// EIN: organization type sole_proprietor, no identifier, and the contact's
// mobile number, which receives the carrier's verification text.
func soleProprietorAccount(p naive.SubjectProfile) AccountCreate {
	name := p.LegalName
	if name == "" {
		name = strings.TrimSpace(p.Contact.FirstName + " " + p.Contact.LastName)
	}
	return AccountCreate{
		Name: name,
		Organization: &Organization{
			Type:               String("sole_proprietor"),
			RegisteredName:     ptr(name),
			Country:            String("US"),
			Website:            ptr(p.Website),
			Email:              ptr(p.Contact.Email),
			MobileNumber:       ptr(p.Contact.Phone),
			Industry:           ptr(p.Industry),
			RegionsOfOperation: []string{"usa_and_canada"},
			Address: &Address{
				Line1: ptr(p.Address.Line1), Line2: ptr(p.Address.Line2), Locality: ptr(p.Address.City),
				Region: ptr(p.Address.Region), PostalCode: ptr(p.Address.PostalCode), Country: String("US"),
			},
			Contact: &Contact{
				FirstName: ptr(p.Contact.FirstName), LastName: ptr(p.Contact.LastName), Email: ptr(p.Contact.Email),
				PhoneNumber: ptr(p.Contact.Phone), Title: ptr(p.Contact.Title),
			},
		},
	}
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fieldToParam maps a Surge organization or campaign field path to the
// subject field that feeds it.
func fieldToParam(f string) string {
	f = strings.TrimPrefix(f, "organization.")
	switch f {
	case "registered_name":
		return "legal_name"
	case "identifier", "identifier_type":
		return "ein"
	case "address.locality":
		return "address.city"
	case "contact.phone_number", "mobile_number":
		return "contact.phone"
	case "email":
		return "contact.email"
	case "terms_and_conditions_url":
		return "terms_url"
	}
	return f
}
