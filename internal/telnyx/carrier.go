package telnyx

import (
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
)

// RefParam is the query parameter of a text's webhook_url that carries our
// message id: Telnyx has no metadata on messages, but echoes webhook_url in
// every status event of the message (and keeps it in its detail record).
const RefParam = "naive_message_id"

// BrandTagPrefix prefixes the tag that names, on each phone number, the
// brand it was bought for: a Telnyx account holds the numbers of every
// brand, and a brand's numbers are listed by this tag (never the whole
// account, whose other numbers are not naive's to release).
const BrandTagPrefix = "naive-brand-"

// DefaultOrderWait is CarrierConfig.OrderWait's default.
const DefaultOrderWait = 10 * time.Second

// orderPoll is the interval between reads of a pending number order.
const orderPoll = 500 * time.Millisecond

// CarrierConfig configures the adapter.
type CarrierConfig struct {
	// MessagingProfileID is the messaging profile numbers are assigned to
	// and texts are sent through. Required to send; numbers bought without
	// it cannot text until assigned by hand.
	MessagingProfileID string
	// WebhookURL is the public URL of naive's Telnyx webhook endpoint
	// (POST /webhooks/telnyx). Each text is sent with it as its
	// webhook_url, our message id in its query (RefParam), so status
	// events and detail records carry the id; brands and campaigns get it
	// for their status updates. "" leaves the messaging profile's webhooks
	// in charge, and FindMessage cannot work.
	WebhookURL string
	// PublicKey is the account's webhook public key (base64 Ed25519, from
	// the Telnyx portal); "" refuses every webhook.
	PublicKey string
	// OrderWait bounds how long BuyNumber waits for a pending number
	// order before answering an unknown outcome; 0 means DefaultOrderWait.
	OrderWait time.Duration
	// Mock registers mock brands (Telnyx's flag for test registrations).
	Mock bool
	// OTPText is the sole proprietor's verification text; it must contain
	// "@OTP_PIN@". "" uses a default.
	OTPText string
}

// Carrier adapts a Client to the service's carrier port: a Telnyx 10DLC
// brand is a brand, a 10DLC campaign a campaign; numbers carry our phone id
// as customer_reference and their brand as a tag; texts carry our message
// id in their webhook_url.
type Carrier struct {
	c   *Client
	cfg CarrierConfig
	pub ed25519.PublicKey

	// e164 caches the number of a phone number id (it never changes);
	// assigned remembers the numbers known assigned to a campaign.
	e164     sync.Map // id → E.164
	assigned sync.Map // E.164 → campaign id
}

var _ carrier.Carrier = (*Carrier)(nil)

// NewCarrier returns the adapter over c. It fails only on a PublicKey that
// is not a base64 Ed25519 key.
func NewCarrier(c *Client, cfg CarrierConfig) (*Carrier, error) {
	a := &Carrier{c: c, cfg: cfg}
	if cfg.PublicKey != "" {
		pub, err := ParsePublicKey(cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		a.pub = pub
	}
	if a.cfg.OrderWait <= 0 {
		a.cfg.OrderWait = DefaultOrderWait
	}
	if a.cfg.OTPText == "" {
		a.cfg.OTPText = "Your verification code for business texting registration is @OTP_PIN@. Reply with it where you registered."
	}
	return a, nil
}

// Name is "telnyx".
func (a *Carrier) Name() string { return "telnyx" }

// Client returns the underlying client.
func (a *Carrier) Client() *Client { return a.c }

// --- brands ---

// CreateBrand registers the 10DLC brand. A sole proprietor's brand is then
// sent its verification text (best effort: the brand exists either way, and
// ResendBrandVerification sends it again).
func (a *Carrier) CreateBrand(ctx context.Context, b carrier.BrandRegistration) (string, error) {
	br, err := a.c.CreateBrand(ctx, a.brand(b))
	if err != nil {
		return "", translate(err)
	}
	if br.EntityType == EntitySoleProprietor || b.Tier == naive.TierSoleProprietor {
		_, _ = a.c.TriggerBrandOTP(ctx, br.BrandID, a.otp())
	}
	return br.BrandID, nil
}

// UpdateBrand replaces the brand's fields with the corrected profile.
func (a *Carrier) UpdateBrand(ctx context.Context, brandID string, b carrier.BrandRegistration) error {
	_, err := a.c.UpdateBrand(ctx, brandID, a.brand(b))
	return translate(err)
}

// BrandStatus reads the brand: Ready when its status is OK (and, for a sole
// proprietor, its identity VERIFIED); a failed registration's reasons come
// from the brand's feedback.
func (a *Carrier) BrandStatus(ctx context.Context, brandID string) (carrier.Brand, error) {
	br, err := a.c.GetBrand(ctx, brandID)
	if err != nil {
		return carrier.Brand{ID: brandID}, translate(err)
	}
	out := carrier.Brand{ID: brandID, Ready: br.Status == BrandOK, FieldsNeeded: []string{}}
	if br.Status == BrandRegistrationFailed {
		out.Problems = a.problems(ctx, br)
	}
	if br.EntityType == EntitySoleProprietor && br.IdentityStatus != IdentityVerified && br.IdentityStatus != IdentityVettedVerified {
		out.Ready, out.Verification = false, naive.BrandVerificationPendingOTP
	}
	return out, nil
}

// problems reads why a registration failed; without feedback, the brand's
// failureReasons is the one problem.
func (a *Carrier) problems(ctx context.Context, br Brand) []carrier.Problem {
	var out []carrier.Problem
	if fb, err := a.c.BrandFeedback(ctx, br.BrandID); err == nil {
		for _, cat := range fb.Category {
			p := carrier.Problem{Code: strings.ToLower(cat.ID), Message: cat.Description}
			if p.Message == "" {
				p.Message = cat.DisplayName
			}
			if len(cat.Fields) > 0 {
				p.Field = fieldToParam(cat.Fields[0])
			}
			if cat.ID == "TAX_ID" {
				p.Field, p.Code = "ein", "ein_mismatch"
			}
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		msg := br.FailureReasons
		if msg == "" {
			msg = "Telnyx refused the brand's registration without saying why."
		}
		out = append(out, carrier.Problem{Code: "registration_failed", Message: msg})
	}
	return out
}

// ResendBrandVerification texts a sole proprietor's contact the one-time
// password again (POST /10dlc/brand/{id}/smsOtp). Telnyx verifies only
// sole proprietors by text: any other brand, or one already verified, is
// Invalid.
func (a *Carrier) ResendBrandVerification(ctx context.Context, brandID string) error {
	br, err := a.c.GetBrand(ctx, brandID)
	if err != nil {
		return translate(err)
	}
	switch {
	case br.EntityType != EntitySoleProprietor:
		return &carrier.Error{Kind: carrier.Invalid, Message: "Telnyx verifies only sole proprietors' brands by text; this brand is " + br.EntityType + "."}
	case br.IdentityStatus == IdentityVerified || br.IdentityStatus == IdentityVettedVerified:
		return &carrier.Error{Kind: carrier.Invalid, Message: "The brand's contact has already confirmed the verification text."}
	}
	_, err = a.c.TriggerBrandOTP(ctx, brandID, a.otp())
	var te *Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusBadRequest || te.StatusCode == http.StatusUnprocessableEntity) {
		return &carrier.Error{Kind: carrier.Invalid, Message: te.Message(), Err: err}
	}
	return translate(err)
}

// BrandVerificationMethod is naive.BrandVerifyCode: Telnyx texts a sole
// proprietor's contact a one-time PIN, which SubmitBrandVerification
// submits.
func (a *Carrier) BrandVerificationMethod() string { return naive.BrandVerifyCode }

// SubmitBrandVerification submits the PIN the contact received (PUT
// /10dlc/brand/{id}/smsOtp). Telnyx refuses a wrong or expired PIN, and
// any PIN of a brand that awaits none, alike (400); the brand then tells
// them apart: verified already is success (a retried submission whose
// first answer was lost), any other brand than a sole proprietor's is
// Invalid, and a sole proprietor still unverified had a wrong PIN
// (Invalid, Fields ["code"]).
func (a *Carrier) SubmitBrandVerification(ctx context.Context, brandID, code string) error {
	err := a.c.VerifyBrandOTP(ctx, brandID, code)
	var te *Error
	if !errors.As(err, &te) || (te.StatusCode != http.StatusBadRequest && te.StatusCode != http.StatusUnprocessableEntity) {
		return translate(err)
	}
	br, gerr := a.c.GetBrand(ctx, brandID)
	if gerr != nil {
		return translate(gerr)
	}
	switch {
	case br.EntityType != EntitySoleProprietor:
		return &carrier.Error{Kind: carrier.Invalid, Message: "Telnyx verifies only sole proprietors' brands by a PIN; this brand is " + br.EntityType + ".", Err: err}
	case br.IdentityStatus == IdentityVerified || br.IdentityStatus == IdentityVettedVerified:
		return nil
	}
	return &carrier.Error{Kind: carrier.Invalid, Message: te.Message(), Fields: []string{"code"}, Err: err}
}

// ArchiveBrand retires the brand: its numbers are released, its campaigns
// deactivated, and the brand deleted. Anything already gone is done.
func (a *Carrier) ArchiveBrand(ctx context.Context, brandID string) error {
	nums, err := a.c.ListPhoneNumbers(ctx, PhoneNumberFilter{Tag: BrandTagPrefix + brandID})
	if err != nil {
		return translate(err)
	}
	for _, n := range nums {
		if err := a.ReleaseNumber(ctx, n.ID); err != nil {
			return err
		}
	}
	cps, err := a.c.ListCampaigns(ctx, brandID)
	if err != nil && !IsNotFound(err) {
		return translate(err)
	}
	for _, cp := range cps {
		if cp.Status == "EXPIRED" {
			continue
		}
		if _, err := a.c.DeactivateCampaign(ctx, cp.CampaignID); err != nil && !IsNotFound(err) {
			return translate(err)
		}
	}
	if err := a.c.DeleteBrand(ctx, brandID); err != nil && !IsNotFound(err) {
		return translate(err)
	}
	return nil
}

func (a *Carrier) otp() OTPTrigger {
	return OTPTrigger{PinSMS: a.cfg.OTPText, SuccessSMS: "Thank you: your business texting registration is verified."}
}

// brand builds the Telnyx brand of a registration: PRIVATE_PROFIT with the
// EIN, or SOLE_PROPRIETOR without one, whose contact's mobile number
// receives the verification text.
func (a *Carrier) brand(b carrier.BrandRegistration) Brand {
	p := b.Profile
	street := strings.TrimSpace(p.Address.Line1 + " " + p.Address.Line2)
	out := Brand{
		EntityType: EntityPrivateProfit, DisplayName: p.LegalName, CompanyName: p.LegalName, EIN: b.EIN,
		FirstName: p.Contact.FirstName, LastName: p.Contact.LastName, Phone: p.Contact.Phone, Email: p.Contact.Email,
		Street: street, City: p.Address.City, State: p.Address.Region, PostalCode: p.Address.PostalCode, Country: "US",
		Website: p.Website, Vertical: vertical(p.Industry), WebhookURL: a.cfg.WebhookURL, Mock: a.cfg.Mock,
	}
	if b.Tier == naive.TierSoleProprietor {
		name := p.LegalName
		if name == "" {
			name = strings.TrimSpace(p.Contact.FirstName + " " + p.Contact.LastName)
		}
		out.EntityType, out.DisplayName, out.CompanyName, out.EIN, out.MobilePhone = EntitySoleProprietor, name, "", "", p.Contact.Phone
	}
	return out
}

// verticals maps naive's industries onto Telnyx's verticals.
var verticals = map[string]string{
	"agriculture": "AGRICULTURE", "automotive": "TRANSPORTATION", "banking": "FINANCIAL", "construction": "CONSTRUCTION",
	"consumer": "RETAIL", "education": "EDUCATION", "electronics": "TECHNOLOGY", "energy": "ENERGY",
	"engineering": "PROFESSIONAL", "fast_moving_consumer_goods": "RETAIL", "financial": "FINANCIAL", "fintech": "FINANCIAL",
	"food_and_beverage": "HOSPITALITY", "government": "GOVERNMENT", "healthcare": "HEALTHCARE", "hospitality": "HOSPITALITY",
	"insurance": "INSURANCE", "jewelry": "RETAIL", "legal": "LEGAL", "manufacturing": "MANUFACTURING", "media": "ENTERTAINMENT",
	"not_for_profit": "NGO", "oil_and_gas": "ENERGY", "online": "TECHNOLOGY", "professional_services": "PROFESSIONAL",
	"raw_materials": "MANUFACTURING", "real_estate": "REAL_ESTATE", "religion": "NGO", "retail": "RETAIL",
	"technology": "TECHNOLOGY", "telecommunications": "COMMUNICATION", "transportation": "TRANSPORTATION", "travel": "HOSPITALITY",
}

func vertical(industry string) string {
	if v, ok := verticals[industry]; ok {
		return v
	}
	return "PROFESSIONAL"
}

// --- campaigns ---

// CreateCampaign submits the campaign through the campaign builder.
func (a *Carrier) CreateCampaign(ctx context.Context, brandID string, c carrier.CampaignRequest) (carrier.Campaign, error) {
	br, err := a.c.GetBrand(ctx, brandID)
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	cp, err := a.c.CreateCampaign(ctx, a.campaign(br, c))
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	return reviewed(cp), nil
}

// FindCampaign returns the brand's first campaign (naive registers one per brand).
func (a *Carrier) FindCampaign(ctx context.Context, brandID string) (carrier.Campaign, bool, error) {
	cps, err := a.c.ListCampaigns(ctx, brandID)
	if err != nil {
		return carrier.Campaign{}, false, translate(err)
	}
	if len(cps) == 0 {
		return carrier.Campaign{}, false, nil
	}
	return reviewed(cps[0]), true, nil
}

// CampaignStatus reads a campaign's status. Once it is active, the brand's
// numbers not yet assigned to it are assigned (Telnyx assigns numbers only
// to an approved campaign, and naive buys them during the review).
func (a *Carrier) CampaignStatus(ctx context.Context, campaignID string) (carrier.Campaign, error) {
	cp, err := a.c.GetCampaign(ctx, campaignID)
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	out := reviewed(cp)
	if out.Status == naive.CampaignActive {
		_ = a.assignAll(ctx, cp.BrandID, cp.CampaignID) // best effort: the next poll or send tries again
	}
	return out, nil
}

// AssignNumbers assigns every number of the brand to its active campaign;
// numbers already assigned are left alone. CampaignStatus and SendMessage
// do it too; call it when a campaign is known active by other means.
func (a *Carrier) AssignNumbers(ctx context.Context, brandID string) error {
	cp, ok, err := a.activeCampaign(ctx, brandID)
	if err != nil || !ok {
		return err
	}
	return a.assignAll(ctx, brandID, cp)
}

func (a *Carrier) assignAll(ctx context.Context, brandID, campaignID string) error {
	nums, err := a.c.ListPhoneNumbers(ctx, PhoneNumberFilter{Tag: BrandTagPrefix + brandID})
	if err != nil {
		return translate(err)
	}
	var errs []error
	for _, n := range nums {
		errs = append(errs, a.assign(ctx, n.PhoneNumber, campaignID))
	}
	return errors.Join(errs...)
}

// assign assigns one number unless it is assigned already.
func (a *Carrier) assign(ctx context.Context, e164, campaignID string) error {
	if v, ok := a.assigned.Load(e164); ok && v == campaignID {
		return nil
	}
	nc, err := a.c.NumberCampaign(ctx, e164)
	switch {
	case err == nil && nc.AssignmentStatus != AssignmentFailed && (nc.CampaignID == campaignID || nc.TelnyxCampaignID == campaignID):
	case err == nil || IsNotFound(err):
		if _, err := a.c.AssignCampaign(ctx, e164, campaignID); err != nil {
			return translate(err)
		}
	default:
		return translate(err)
	}
	a.assigned.Store(e164, campaignID)
	return nil
}

// activeCampaign is the brand's campaign, if it is active.
func (a *Carrier) activeCampaign(ctx context.Context, brandID string) (string, bool, error) {
	cp, ok, err := a.FindCampaign(ctx, brandID)
	if err != nil || !ok || cp.Status != naive.CampaignActive {
		return "", false, err
	}
	return cp.ID, true, nil
}

// campaign builds the campaign builder's body: the use case from naive's
// use cases (one as itself, several as MIXED, or LOW_VOLUME at low volume,
// with the rest as sub-use-cases; a sole proprietor's is SOLE_PROPRIETOR),
// the consent flow as messageFlow, and STOP/HELP handling declared.
func (a *Carrier) campaign(br Brand, c carrier.CampaignRequest) Campaign {
	name := br.DisplayName
	usecase, subs := usecases(c.UseCases, c.Volume)
	if br.EntityType == EntitySoleProprietor {
		usecase, subs = "SOLE_PROPRIETOR", nil
	}
	cp := Campaign{
		BrandID: br.BrandID, Usecase: usecase, SubUsecases: subs, Description: c.Description, MessageFlow: c.ConsentFlow,
		PrivacyPolicyLink: c.PrivacyPolicyURL, TermsAndConditionsLink: c.TermsURL,
		HelpKeywords: "HELP", HelpMessage: name + ": reply STOP to opt out. For help, reply HELP.",
		OptoutKeywords: "STOP", OptoutMessage: name + ": you are opted out and will receive no more texts.",
		TermsAndConditions: true, SubscriberOptin: true, SubscriberOptout: true, SubscriberHelp: true,
		WebhookURL: a.cfg.WebhookURL,
	}
	cp.SetSamples(c.MessageSamples)
	for _, s := range c.MessageSamples {
		if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
			cp.EmbeddedLink = true
		}
	}
	return cp
}

// usecaseNames maps naive's use cases onto Telnyx's.
var usecaseNames = map[string]string{
	"account_notification": "ACCOUNT_NOTIFICATION", "customer_care": "CUSTOMER_CARE",
	"delivery_notification": "DELIVERY_NOTIFICATION", "fraud_alert": "FRAUD_ALERT", "higher_education": "HIGHER_EDUCATION",
	"marketing": "MARKETING", "polling_voting": "POLLING_VOTING", "public_service_announcement": "PUBLIC_SERVICE_ANNOUNCEMENT",
	"security_alert": "SECURITY_ALERT", "two_factor_authentication": "2FA",
}

func usecases(cases []string, volume string) (string, []string) {
	var names []string
	for _, u := range cases {
		if n, ok := usecaseNames[u]; ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch {
	case len(names) == 0:
		return "CUSTOMER_CARE", nil
	case len(names) == 1:
		return names[0], nil
	case volume == "low":
		return "LOW_VOLUME", names
	}
	return "MIXED", names
}

// reviewed is a Telnyx campaign in naive's terms, with Telnyx's failure
// reasons for a rejected one.
func reviewed(cp Campaign) carrier.Campaign {
	out := carrier.Campaign{ID: cp.CampaignID, Status: campaignStatus(cp.CampaignStatus)}
	if cp.Status == "EXPIRED" {
		out.Status = naive.CampaignRejected
	}
	if out.Status == naive.CampaignRejected {
		out.Reason = cp.FailureReasons
		if out.Reason == "" {
			out.Reason = "Telnyx reports the campaign " + strings.ToLower(strings.ReplaceAll(cp.CampaignStatus, "_", " ")) + "."
		}
	}
	return out
}

// campaignStatus maps Telnyx's campaign statuses onto naive's, which only
// move forward: submitted (TCR_PENDING) is created; accepted by TCR,
// Telnyx or the operators but not yet provisioned is in review;
// provisioned at the operators is active; any failure, rejection,
// suspension or expiry is rejected. Anything new reads as in review.
func campaignStatus(st string) string {
	switch st {
	case CampaignTCRPending:
		return naive.CampaignCreated
	case CampaignMNOProvisioned:
		return naive.CampaignActive
	case CampaignTCRFailed, CampaignTelnyxFailed, CampaignMNORejected, CampaignMNOProvisioningFailed,
		CampaignTCRSuspended, CampaignTCRExpired:
		return naive.CampaignRejected
	}
	return naive.CampaignInReview
}

// campaignEventStatus maps a campaign status update onto naive's statuses:
// any rejection or failure is rejected, the operators' acceptance active,
// the registration's or Telnyx's acceptance in review. Others say nothing
// of the review ("").
func campaignEventStatus(cu CampaignStatusUpdate) string {
	switch {
	case cu.Status == CampaignEventRejected || cu.Status == CampaignEventFailed:
		return naive.CampaignRejected
	case cu.Type == CampaignEventMNOReview && cu.Status == CampaignEventAccepted:
		return naive.CampaignActive
	case cu.Type == CampaignEventRegistration && cu.Status == CampaignEventSuccess,
		cu.Type == CampaignEventTelnyxReview && cu.Status == CampaignEventAccepted:
		return naive.CampaignInReview
	}
	return ""
}

// ResubmitCampaign sends a rejected campaign back to review. Telnyx lets
// only the message samples and flow of a campaign change, and a campaign
// it or the operators rejected (TELNYX_FAILED, MNO_REJECTED) be appealed:
// the samples and flow are updated, then the campaign appealed with the
// new description as the reason. Use cases cannot change (Invalid, field
// use_cases), nor can a campaign in another state be resubmitted (Refused:
// nothing in the request is wrong, the campaign's state forbids it).
func (a *Carrier) ResubmitCampaign(ctx context.Context, campaignID string, c carrier.CampaignRequest) (carrier.Campaign, error) {
	cp, err := a.c.GetCampaign(ctx, campaignID)
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	if cp.CampaignStatus != CampaignTelnyxFailed && cp.CampaignStatus != CampaignMNORejected {
		return carrier.Campaign{}, &carrier.Error{Kind: carrier.Refused,
			Message: "Telnyx lets only a campaign it or the carriers rejected be resubmitted; this one is " + cp.CampaignStatus + "."}
	}
	if want, subs := usecases(c.UseCases, c.Volume); cp.Usecase != "SOLE_PROPRIETOR" && (want != cp.Usecase || !sameSet(subs, cp.SubUsecases)) {
		return carrier.Campaign{}, &carrier.Error{Kind: carrier.Invalid, Fields: []string{"use_cases"},
			Message: "Telnyx does not let a campaign's use cases change; this campaign's is " + cp.Usecase + "."}
	}
	var up CampaignUpdate
	var samples Campaign
	samples.SetSamples(c.MessageSamples)
	up.Sample1, up.Sample2, up.Sample3, up.Sample4, up.Sample5 = samples.Sample1, samples.Sample2, samples.Sample3, samples.Sample4, samples.Sample5
	up.MessageFlow = c.ConsentFlow
	if _, err := a.c.UpdateCampaign(ctx, campaignID, up); err != nil {
		return carrier.Campaign{}, translate(err)
	}
	if _, err := a.c.AppealCampaign(ctx, campaignID, appealReason(cp, c)); err != nil {
		return carrier.Campaign{}, translate(err)
	}
	cp, err = a.c.GetCampaign(ctx, campaignID)
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	return reviewed(cp), nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// maxAppealReason bounds an appeal's reason (bytes, cut at a character).
const maxAppealReason = 1000

// appealReason is the text of a resubmission's appeal: Telnyx's update
// takes only the samples and the flow, so the corrected description, and
// any privacy policy or terms link that changed, are told the reviewers
// here.
func appealReason(cp Campaign, c carrier.CampaignRequest) string {
	reason := "Content corrected. Description: " + c.Description
	if c.PrivacyPolicyURL != "" && c.PrivacyPolicyURL != cp.PrivacyPolicyLink {
		reason += " Privacy policy: " + c.PrivacyPolicyURL
	}
	if c.TermsURL != "" && c.TermsURL != cp.TermsAndConditionsLink {
		reason += " Terms and conditions: " + c.TermsURL
	}
	if len(reason) > maxAppealReason {
		cut := maxAppealReason
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	return reason
}

// --- numbers ---

// AvailableNumbers searches Telnyx's inventory of US numbers that can
// text (the inventory is the account's, whatever the brand), for as many
// as a search may show (naive.MaxNumberSearch).
func (a *Carrier) AvailableNumbers(ctx context.Context, _ string, f carrier.NumberFilter) ([]carrier.AvailableNumber, error) {
	nums, err := a.c.AvailableNumbers(ctx, availableFilter(f.Type, f.AreaCode, naive.MaxNumberSearch))
	if err != nil {
		return nil, translate(err)
	}
	out := make([]carrier.AvailableNumber, 0, len(nums))
	for _, n := range nums {
		loc := n.Region("location")
		if loc == "" {
			loc = n.Region("rate_center")
		}
		out = append(out, carrier.AvailableNumber{E164: n.PhoneNumber, Type: f.Type, Country: "US", Locality: loc, Region: n.Region("state")})
	}
	return out, nil
}

func availableFilter(typ, areaCode string, limit int) AvailableFilter {
	if typ == "" {
		typ = naive.PhoneLocal
	}
	return AvailableFilter{CountryCode: "US", NationalDestinationCode: areaCode, PhoneNumberType: typ, Features: []string{"sms"}, Limit: limit}
}

// BuyNumber orders a number named order.Ref (exactly order.E164 when set,
// else the first one for sale of the type and area code), waits for the
// order, then names the number (customer_reference, brand tag), assigns it
// to the messaging profile and, when the brand's campaign is active, to
// the campaign. A failed order line means the number was no longer for
// sale (NoInventory). Past the order, any failure is an unknown outcome:
// FindNumber finds the number by its reference and finishes the job.
func (a *Carrier) BuyNumber(ctx context.Context, brandID string, order carrier.NumberOrder) (carrier.Number, error) {
	if order.E164 != "" {
		return a.buyExact(ctx, brandID, order, order.E164)
	}
	// Telnyx orders exact numbers: search, then order one. Another buyer
	// (another request of ours, or anyone's) may order the same number
	// between the two; an order that surely failed bought nothing, so
	// another candidate is ordered instead. Candidates are tried in a
	// random order, so concurrent buyers of one area code spread over the
	// search's numbers rather than all racing for the first; a round
	// whose numbers were all taken searches again.
	var last error
	for range buyRounds {
		nums, err := a.c.AvailableNumbers(ctx, availableFilter(order.Type, order.AreaCode, buyCandidates))
		if err != nil {
			return carrier.Number{}, translate(err)
		}
		if len(nums) == 0 {
			return carrier.Number{}, &carrier.Error{Kind: carrier.NoInventory, Message: "Telnyx has no number for sale of that type and area code."}
		}
		rand.Shuffle(len(nums), func(i, j int) { nums[i], nums[j] = nums[j], nums[i] })
		for _, cand := range nums {
			n, err := a.buyExact(ctx, brandID, order, cand.PhoneNumber)
			if err == nil || !carrier.Is(err, carrier.NoInventory) {
				return n, err
			}
			last = err
		}
	}
	return carrier.Number{}, last
}

// A purchase without an exact number tries up to buyCandidates numbers of
// a search, for up to buyRounds searches, while others take them first.
const (
	buyCandidates = 20
	buyRounds     = 4
)

// buyExact orders exactly e164 for the brand, named order.Ref.
func (a *Carrier) buyExact(ctx context.Context, brandID string, order carrier.NumberOrder, e164 string) (carrier.Number, error) {
	no, err := a.c.CreateNumberOrder(ctx, NumberOrderCreate{PhoneNumbers: []OrderNumber{{PhoneNumber: e164}},
		CustomerReference: order.Ref, MessagingProfileID: a.cfg.MessagingProfileID})
	if err != nil {
		return carrier.Number{}, translate(err)
	}
	no, err = a.settle(ctx, no)
	if err != nil {
		return carrier.Number{}, unknownOutcome("the number order's outcome is not known yet", err)
	}
	switch no.Status {
	case OrderFailure:
		return carrier.Number{}, &carrier.Error{Kind: carrier.NoInventory, Message: "Telnyx could not fulfil the order of " + e164 + ": it is no longer for sale."}
	case OrderPending:
		return carrier.Number{}, unknownOutcome("the number order is still pending at Telnyx", nil)
	}
	n, ok, err := a.finish(ctx, brandID, order.Ref, e164)
	switch {
	case err != nil:
		return carrier.Number{}, unknownOutcome("the number was ordered, but could not be set up", err)
	case !ok:
		return carrier.Number{}, unknownOutcome("the number was ordered, but Telnyx does not list it yet", nil)
	}
	return n, nil
}

// settle reads a pending order again until it is decided or OrderWait passes.
func (a *Carrier) settle(ctx context.Context, no NumberOrder) (NumberOrder, error) {
	// Counted, not timed, so that a client whose SleepFunc does not sleep
	// (tests) makes the same number of reads.
	for polls := int(a.cfg.OrderWait / orderPoll); no.Status == OrderPending && polls > 0; polls-- {
		if err := a.c.sleep(ctx, orderPoll); err != nil {
			return no, err
		}
		next, err := a.c.GetNumberOrder(ctx, no.ID)
		if err != nil {
			return no, err
		}
		no = next
	}
	return no, nil
}

func unknownOutcome(msg string, err error) error {
	return &carrier.Error{Kind: carrier.Unavailable, Message: msg, UnknownOutcome: true, Err: errors.Join(ErrUnknownOutcome, err)}
}

// finish makes the bought number e164 the brand's number named ref: it is
// looked up, given its reference and brand tag and its messaging profile
// (each only if missing), and assigned to the brand's campaign if that is
// active. ok is false when Telnyx does not list the number.
func (a *Carrier) finish(ctx context.Context, brandID, ref, e164 string) (carrier.Number, bool, error) {
	nums, err := a.c.ListPhoneNumbers(ctx, PhoneNumberFilter{PhoneNumber: e164})
	if err != nil {
		return carrier.Number{}, false, translate(err)
	}
	i := slices.IndexFunc(nums, func(n PhoneNumber) bool { return n.PhoneNumber == e164 })
	if i < 0 {
		return carrier.Number{}, false, nil
	}
	pn := nums[i]
	tag := BrandTagPrefix + brandID
	if pn.CustomerReference != ref || !slices.Contains(pn.Tags, tag) {
		tags := append(slices.Clone(pn.Tags), tag)
		if slices.Contains(pn.Tags, tag) {
			tags = pn.Tags
		}
		if pn, err = a.c.UpdatePhoneNumber(ctx, pn.ID, PhoneNumberUpdate{CustomerReference: &ref, Tags: tags}); err != nil {
			return carrier.Number{}, false, translate(err)
		}
	}
	if a.cfg.MessagingProfileID != "" && pn.MessagingProfileID != a.cfg.MessagingProfileID {
		if _, err := a.c.UpdateNumberMessaging(ctx, pn.ID, a.cfg.MessagingProfileID); err != nil {
			return carrier.Number{}, false, translate(err)
		}
	}
	a.e164.Store(pn.ID, pn.PhoneNumber)
	if cp, ok, err := a.activeCampaign(ctx, brandID); err == nil && ok {
		_ = a.assign(ctx, pn.PhoneNumber, cp) // best effort: CampaignStatus and SendMessage retry
	}
	return carrier.Number{ID: pn.ID, E164: pn.PhoneNumber, Ref: ref}, true, nil
}

// ListNumbers lists the numbers tagged with the brand.
func (a *Carrier) ListNumbers(ctx context.Context, brandID string) ([]carrier.Number, error) {
	nums, err := a.c.ListPhoneNumbers(ctx, PhoneNumberFilter{Tag: BrandTagPrefix + brandID})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]carrier.Number, 0, len(nums))
	for _, n := range nums {
		out = append(out, carrier.Number{ID: n.ID, E164: n.PhoneNumber, Ref: n.CustomerReference})
	}
	return out, nil
}

// FindNumber finds the brand's number named ref: a number whose
// customer_reference is ref, or else one of a successful order made with
// that reference whose setup was cut short (it is finished now). While an
// order with that reference is still pending, the carrier cannot tell
// yet: that is an Unavailable error, never "not found" — the caller would
// buy again, and the pending order's number, once it lands, carries
// neither the reference nor the brand's tag (ListNumbers would never show
// it to be released).
func (a *Carrier) FindNumber(ctx context.Context, brandID, ref string) (carrier.Number, bool, error) {
	nums, err := a.c.ListPhoneNumbers(ctx, PhoneNumberFilter{CustomerReference: ref})
	if err != nil {
		return carrier.Number{}, false, translate(err)
	}
	for _, n := range nums {
		if n.CustomerReference == ref && slices.Contains(n.Tags, BrandTagPrefix+brandID) {
			return carrier.Number{ID: n.ID, E164: n.PhoneNumber, Ref: ref}, true, nil
		}
	}
	orders, err := a.c.ListNumberOrders(ctx, ref)
	if err != nil {
		return carrier.Number{}, false, translate(err)
	}
	pending := false
	for _, o := range orders {
		if o.CustomerReference != ref {
			continue
		}
		pending = pending || o.Status == OrderPending
		for _, on := range o.PhoneNumbers {
			if on.Status == OrderPending {
				pending = true
			}
			if on.Status != OrderSuccess {
				continue
			}
			n, ok, err := a.finish(ctx, brandID, ref, on.PhoneNumber)
			if err != nil || ok {
				return n, ok, err
			}
		}
	}
	if pending {
		return carrier.Number{}, false, &carrier.Error{Kind: carrier.Unavailable,
			Message: "a number order named " + ref + " is still pending at Telnyx: whether it buys a number is not known yet"}
	}
	return carrier.Number{}, false, nil
}

// ReleaseNumber deletes the number; one Telnyx no longer has counts as released.
func (a *Carrier) ReleaseNumber(ctx context.Context, numberID string) error {
	if _, err := a.c.DeletePhoneNumber(ctx, numberID); err != nil && !IsNotFound(err) {
		return translate(err)
	}
	return nil
}

// --- messages ---

// SendMessage sends a text from the number, through the messaging
// profile, with our id in its webhook_url. A sending number this process
// has not yet seen assigned is first made sure to be assigned to the
// brand's campaign, if that is active (a campaign activated by webhook
// alone has had no CampaignStatus call to assign its numbers).
func (a *Carrier) SendMessage(ctx context.Context, brandID string, m carrier.OutboundMessage) (carrier.SentMessage, error) {
	from, err := a.numberOf(ctx, m.FromNumberID)
	if err != nil {
		return carrier.SentMessage{}, err
	}
	if _, known := a.assigned.Load(from); !known {
		if cp, ok, err := a.activeCampaign(ctx, brandID); err == nil && ok {
			_ = a.assign(ctx, from, cp) // best effort: the text's status says if it mattered
		}
	}
	in := MessageCreate{From: from, To: m.To, Text: m.Body, MessagingProfileID: a.cfg.MessagingProfileID}
	if u := a.messageWebhook(m.Ref); u != "" {
		in.WebhookURL = u
	}
	msg, err := a.c.SendMessage(ctx, in)
	if err != nil {
		return carrier.SentMessage{}, translate(err)
	}
	return carrier.SentMessage{ID: msg.ID}, nil
}

// numberOf returns the E.164 number of a phone number id.
func (a *Carrier) numberOf(ctx context.Context, id string) (string, error) {
	if v, ok := a.e164.Load(id); ok {
		return v.(string), nil
	}
	pn, err := a.c.GetPhoneNumber(ctx, id)
	if err != nil {
		return "", translate(err)
	}
	a.e164.Store(id, pn.PhoneNumber)
	return pn.PhoneNumber, nil
}

// messageWebhook is the webhook_url of the text ref: WebhookURL with
// RefParam=ref added to its query ("" without a WebhookURL or a ref).
func (a *Carrier) messageWebhook(ref string) string {
	if a.cfg.WebhookURL == "" || ref == "" {
		return ""
	}
	u, err := url.Parse(a.cfg.WebhookURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set(RefParam, ref)
	u.RawQuery = q.Encode()
	return u.String()
}

// refOf reads our message id from a webhook_url.
func refOf(webhookURL string) string {
	if webhookURL == "" {
		return ""
	}
	u, err := url.Parse(webhookURL)
	if err != nil {
		return ""
	}
	return u.Query().Get(RefParam)
}

// FindMessage finds a text carrying ref by its message detail record
// (filter on delivery_status_webhook_url, which holds ref). Telnyx writes
// detail records after the fact, so a text sent moments ago may not be
// found yet; the text's own status webhooks carry ref too, and settle it
// as soon as they arrive. Without a WebhookURL no text carries ref: the
// lookup is refused (an error, so the service waits rather than resends).
func (a *Carrier) FindMessage(ctx context.Context, _ string, ref string) (carrier.SentMessage, bool, error) {
	u := a.messageWebhook(ref)
	if u == "" {
		return carrier.SentMessage{}, false, &carrier.Error{Kind: carrier.Unavailable,
			Message: "texts carry no id to find them by: the Telnyx adapter has no WebhookURL configured"}
	}
	recs, err := a.c.ListMessageRecords(ctx, map[string]string{"direction": "outbound", "delivery_status_webhook_url": u})
	if err != nil {
		return carrier.SentMessage{}, false, translate(err)
	}
	for _, r := range recs {
		if refOf(r.DeliveryStatusWebhookURL) == ref {
			return carrier.SentMessage{ID: r.UUID}, true, nil
		}
	}
	return carrier.SentMessage{}, false, nil
}

// ContactNumber returns the contact's number: Telnyx has no contacts, and
// the adapter names a contact by its E.164 number.
func (a *Carrier) ContactNumber(_ context.Context, contactID string) (string, error) {
	return contactID, nil
}

// --- webhooks ---

// ParseWebhook verifies a Telnyx webhook (Ed25519, 5 minutes of tolerance)
// and reads it. An authentic event whose payload cannot be read is
// returned with ErrUnreadable, so it can still be recorded.
func (a *Carrier) ParseWebhook(h http.Header, body []byte, now time.Time) (*carrier.Event, error) {
	if a.pub == nil {
		return nil, carrier.ErrBadSignature
	}
	if err := VerifyWebhook(a.pub, h, body, now, WebhookTolerance); err != nil {
		if errors.Is(err, ErrWebhookStale) {
			return nil, carrier.ErrStaleSignature
		}
		return nil, carrier.ErrBadSignature
	}
	ev, err := ParseWebhook(body)
	if ev == nil {
		return nil, carrier.ErrUnreadable
	}
	out := &carrier.Event{ID: ev.ID, Kind: carrier.EventOther, Type: ev.Type, At: ev.OccurredAt.UTC()}
	if ev.OccurredAt.IsZero() {
		out.At = time.Time{}
	}
	if err != nil {
		return out, errors.Join(carrier.ErrUnreadable, err)
	}
	switch {
	case ev.Campaign != nil:
		out.BrandID = ev.Campaign.BrandID
		if st := campaignEventStatus(*ev.Campaign); st != "" {
			out.Kind, out.Campaign = carrier.EventCampaignStatus, &carrier.CampaignEvent{CampaignID: ev.Campaign.CampaignID, Status: st}
		}
	case ev.Message != nil:
		out.Kind, out.Message = messageEvent(ev.Type, ev.Message)
	}
	return out, nil
}

// messageEvent reads a message.* event.
func messageEvent(typ string, m *Message) (carrier.EventKind, *carrier.MessageEvent) {
	me := &carrier.MessageEvent{ID: m.ID, Ref: refOf(m.WebhookURL), From: m.From.PhoneNumber, Body: m.Text}
	var to Endpoint
	if len(m.To) > 0 {
		to = m.To[0]
		me.To = to.PhoneNumber
	}
	for _, md := range m.Media {
		me.Attachments = append(me.Attachments, carrier.Attachment{Type: md.ContentType, URL: md.URL})
	}
	when := func(t *time.Time) {
		if t != nil {
			me.At = t.UTC()
		}
	}
	switch typ {
	case EventMessageReceived:
		me.Status = naive.MessageReceived
		when(m.ReceivedAt)
		return carrier.EventMessageReceived, me
	case EventMessageSent:
		me.Status = naive.MessageSent
		when(m.SentAt)
		return carrier.EventMessageStatus, me
	case EventMessageFinalized:
		when(m.CompletedAt)
		switch to.Status {
		case DeliveryDelivered:
			me.Status = naive.MessageDelivered
		case DeliverySendFailed, DeliveryFailed, DeliveryExpired:
			me.Status, me.FailureReason = naive.MessageFailed, failureReason(to.Status, m.Errors)
		default:
			// delivery_unconfirmed: carried, with no receipt from the handset's network.
			me.Status = naive.MessageSent
		}
		return carrier.EventMessageStatus, me
	}
	return carrier.EventOther, nil
}

// failureReasons maps Telnyx's delivery error codes onto the failure
// reasons the service tells pre-send from post-send failures by.
var failureReasons = map[string]string{
	"40001": "invalid_number", CodeInvalidDestination: "invalid_mobile_number", CodeInvalidPhoneNumber: "invalid_number",
	CodeBlockedStop: "opted_out", "40002": "blocked", "40003": "blocked", "40015": "blocked",
	"40004": "carrier_rejected", "40013": "rejected", "40005": "expired", "40014": "expired",
	"40006": "unreachable_destination", "40008": "undelivered",
}

func failureReason(status string, errs []APIError) string {
	for _, e := range errs {
		if r, ok := failureReasons[e.Code]; ok {
			return r
		}
	}
	switch {
	case status == DeliveryExpired:
		return "expired"
	case len(errs) > 0 && errs[0].Code != "":
		return "telnyx_" + errs[0].Code
	case status == DeliverySendFailed:
		return "rejected"
	}
	return "undelivered"
}

// --- errors ---

// translate turns the client's errors into the port's.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var te *Error
	hasTE := errors.As(err, &te)
	if errors.Is(err, ErrUnknownOutcome) {
		msg := "the request's outcome is unknown"
		if hasTE {
			msg = te.Message()
		}
		return &carrier.Error{Kind: carrier.Unavailable, Message: msg, UnknownOutcome: true, Err: err}
	}
	if !hasTE {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &carrier.Error{Kind: carrier.Unavailable, Message: "Telnyx could not be reached", Err: err}
	}
	e := &carrier.Error{Kind: carrier.Refused, Message: te.Message(), Err: err}
	switch {
	case te.StatusCode == http.StatusNotFound:
		e.Kind = carrier.NotFound
	case te.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = carrier.RateLimited, te.RetryAfter
	case te.StatusCode >= 500:
		e.Kind = carrier.Unavailable
	case HasCode(err, CodeBlockedStop):
		e.Kind = carrier.OptedOut
	case te.StatusCode == http.StatusBadRequest || te.StatusCode == http.StatusUnprocessableEntity:
		e.Kind = carrier.Invalid
		for _, x := range te.Errors {
			if f := x.Field(); f != "" && !slices.Contains(e.Fields, fieldToParam(f)) {
				e.Fields = append(e.Fields, fieldToParam(f))
			}
		}
		sort.Strings(e.Fields)
	}
	return e
}

// fieldToParam maps a Telnyx field (brand, campaign or message) to the
// naive field that feeds it.
func fieldToParam(f string) string {
	switch f {
	case "companyName", "displayName":
		return "legal_name"
	case "ein":
		return "ein"
	case "street":
		return "address.line1"
	case "city":
		return "address.city"
	case "state":
		return "address.region"
	case "postalCode":
		return "address.postal_code"
	case "country":
		return "address.country"
	case "email":
		return "contact.email"
	case "phone", "mobilePhone":
		return "contact.phone"
	case "firstName":
		return "contact.first_name"
	case "lastName":
		return "contact.last_name"
	case "website":
		return "website"
	case "vertical":
		return "industry"
	case "messageFlow":
		return "consent_flow"
	case "privacyPolicyLink":
		return "privacy_policy_url"
	case "termsAndConditionsLink":
		return "terms_url"
	case "usecase", "subUsecases":
		return "use_cases"
	case "text":
		return "body"
	}
	if strings.HasPrefix(f, "sample") {
		return "message_samples"
	}
	return f
}
