package telnyxsim

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
)

// RejectToken in a campaign's description (or appeal reason) makes its review end rejected.
const RejectToken = "[sandbox:reject]"

// RejectReason is the failureReasons of a campaign the review rejected
// (one pinned rejected by SetCampaignStatus too).
const RejectReason = "The campaign's description and samples do not show a compliant use case."

// magicEINs are the EINs whose brand registration fails.
var magicEINs = []string{"99-9999999", "999999999"}

var entityTypes = []string{telnyx.EntityPrivateProfit, telnyx.EntityPublicProfit, telnyx.EntityNonProfit,
	telnyx.EntityGovernment, telnyx.EntitySoleProprietor}

var verticals = strings.Fields("AGRICULTURE COMMUNICATION CONSTRUCTION EDUCATION ENERGY ENTERTAINMENT FINANCIAL GAMBLING " +
	"GOVERNMENT HEALTHCARE HOSPITALITY HUMAN_RESOURCES INSURANCE LEGAL MANUFACTURING NGO POLITICAL POSTAL PROFESSIONAL " +
	"REAL_ESTATE RETAIL TECHNOLOGY TRANSPORTATION")

var usecases = strings.Fields("2FA ACCOUNT_NOTIFICATION CUSTOMER_CARE DELIVERY_NOTIFICATION FRAUD_ALERT HIGHER_EDUCATION " +
	"LOW_VOLUME MARKETING MIXED POLLING_VOTING PUBLIC_SERVICE_ANNOUNCEMENT SECURITY_ALERT SOLE_PROPRIETOR")

type brand struct {
	seq int64
	telnyx.Brand
	// A sole proprietor's one-time password: the PIN last texted, when,
	// to whom, how often.
	otpPin, otpRef string
	otpAt          time.Time
	otpSends       int
}

type campaign struct {
	seq     int64
	started time.Time // submission or last appeal
	delay   time.Duration
	reject  bool
	reason  string
	pinned  string // SetCampaignStatus
	appeal  string // the last appeal's reason
	telnyx.Campaign
}

// --- brands ---

func (s *Server) createBrand(r *http.Request, body []byte) (int, any, error) {
	var in telnyx.Brand
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if err := validateBrand(in); err != nil {
		return 0, nil, err
	}
	now := s.now()
	b := &brand{seq: s.nextSeq(), Brand: in}
	b.BrandID, b.TCRBrandID = s.newID(), "B"+strings.ToUpper(s.newID()[:6])
	b.CreatedAt, b.UpdatedAt = stamp(now), stamp(now)
	s.judgeBrand(b)
	s.brands[b.BrandID] = b
	s.touch(kindBrand, b.BrandID)
	return http.StatusOK, b.Brand, nil
}

// validateBrand checks the fields Telnyx requires of every brand, and of
// its entity type.
func validateBrand(in telnyx.Brand) error {
	var m missing
	if !slices.Contains(entityTypes, in.EntityType) {
		m.add("entityType", "entityType must be one of "+strings.Join(entityTypes, ", ")+".")
	}
	for f, v := range map[string]string{"displayName": in.DisplayName, "country": in.Country, "email": in.Email} {
		if strings.TrimSpace(v) == "" {
			m.add(f, f+" is required.")
		}
	}
	if !slices.Contains(verticals, in.Vertical) {
		m.add("vertical", "vertical must be one of the 10DLC verticals.")
	}
	if in.EntityType == telnyx.EntitySoleProprietor {
		for f, v := range map[string]string{"firstName": in.FirstName, "lastName": in.LastName, "mobilePhone": in.MobilePhone} {
			if strings.TrimSpace(v) == "" {
				m.add(f, f+" is required for a SOLE_PROPRIETOR brand.")
			}
		}
	} else if in.EntityType != "" {
		for f, v := range map[string]string{"companyName": in.CompanyName, "ein": in.EIN} {
			if strings.TrimSpace(v) == "" {
				m.add(f, f+" is required for a "+in.EntityType+" brand.")
			}
		}
	}
	slices.SortFunc(m, func(a, b telnyx.APIError) int { return strings.Compare(a.Source.Pointer, b.Source.Pointer) })
	return m.err()
}

// judgeBrand decides a brand at once: REGISTRATION_FAILED for a magic EIN,
// OK otherwise; a sole proprietor stays UNVERIFIED until its OTP is.
func (s *Server) judgeBrand(b *brand) {
	b.Status, b.FailureReasons = telnyx.BrandOK, ""
	if b.EntityType != telnyx.EntitySoleProprietor && slices.Contains(magicEINs, strings.TrimSpace(b.EIN)) {
		b.Status, b.FailureReasons = telnyx.BrandRegistrationFailed, "TAX_ID: the EIN does not match the company name in the IRS records."
	}
	switch {
	case b.EntityType == telnyx.EntitySoleProprietor && b.IdentityStatus != telnyx.IdentityVerified:
		b.IdentityStatus = telnyx.IdentityUnverified
	case b.EntityType != telnyx.EntitySoleProprietor && b.Status == telnyx.BrandOK:
		b.IdentityStatus = telnyx.IdentityVerified
	case b.EntityType != telnyx.EntitySoleProprietor:
		b.IdentityStatus = telnyx.IdentityUnverified
	}
}

func (s *Server) brandOf(r *http.Request) (*brand, error) {
	b, ok := s.brands[r.PathValue("brandId")]
	if !ok {
		return nil, notFound("brand")
	}
	return b, nil
}

func (s *Server) getBrand(r *http.Request, _ []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	for _, c := range s.campaigns {
		if c.BrandID == b.BrandID {
			n++
		}
	}
	return http.StatusOK, struct {
		telnyx.Brand
		AssignedCampaignsCount int `json:"assignedCampaignsCount"`
	}{b.Brand, n}, nil
}

func (s *Server) updateBrand(r *http.Request, body []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.Brand
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if err := validateBrand(in); err != nil {
		return 0, nil, err
	}
	id, tcr, created, identity := b.BrandID, b.TCRBrandID, b.CreatedAt, b.IdentityStatus
	b.Brand = in
	b.BrandID, b.TCRBrandID, b.CreatedAt, b.UpdatedAt, b.IdentityStatus = id, tcr, created, stamp(s.now()), identity
	s.judgeBrand(b)
	s.touch(kindBrand, b.BrandID)
	return http.StatusOK, b.Brand, nil
}

func (s *Server) listBrands(r *http.Request, _ []byte) (int, any, error) {
	name := r.URL.Query().Get("displayName")
	var out []telnyx.Brand
	for _, b := range sortedBySeq(s.brands, func(b *brand) int64 { return b.seq }) {
		if name == "" || b.DisplayName == name {
			out = append(out, b.Brand)
		}
	}
	return paginateRecords(r, out)
}

func (s *Server) deleteBrand(r *http.Request, _ []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	delete(s.brands, b.BrandID)
	s.touch(kindBrand, b.BrandID)
	return http.StatusNoContent, nil, nil
}

func (s *Server) brandFeedback(r *http.Request, _ []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	fb := telnyx.BrandFeedback{BrandID: b.BrandID, Category: []telnyx.FeedbackCategory{}}
	if b.Status == telnyx.BrandRegistrationFailed {
		fb.Category = append(fb.Category, telnyx.FeedbackCategory{ID: "TAX_ID", DisplayName: "Tax ID",
			Description: "The EIN does not match the company name in the IRS records.", Fields: []string{"ein"}})
	}
	return http.StatusOK, fb, nil
}

func (s *Server) triggerOTP(r *http.Request, body []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.OTPTrigger
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case b.EntityType != telnyx.EntitySoleProprietor:
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBadRequest, "Bad Request", "SMS OTP is only allowed for SOLE_PROPRIETOR brands.", "")
	case !strings.Contains(in.PinSMS, "@OTP_PIN@"):
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Invalid value", "pinSms must contain @OTP_PIN@.", "/pinSms")
	}
	b.otpPin = fmt.Sprintf("%06d", mrand.IntN(1000000))
	b.otpRef, b.otpAt = s.newID(), s.now()
	b.otpSends++
	s.touch(kindBrand, b.BrandID)
	return http.StatusOK, telnyx.OTPTriggered{BrandID: b.BrandID, ReferenceID: b.otpRef}, nil
}

func (s *Server) otpStatus(r *http.Request, _ []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	if b.otpRef == "" {
		return 0, nil, notFound("OTP request")
	}
	st := telnyx.OTPStatus{BrandID: b.BrandID, ReferenceID: b.otpRef, MobilePhone: b.MobilePhone, DeliveryStatus: "DELIVERED_HANDSET", RequestDate: b.otpAt}
	return http.StatusOK, st, nil
}

// SandboxOTPPin is the sandbox's magic PIN: it verifies any sole
// proprietor's brand that was sent a PIN and is not verified yet, as the
// PIN actually sent does (BrandOTP reveals that one). Not Telnyx
// behaviour: test mode texts nobody, so its users have no PIN to read.
const SandboxOTPPin = "000000"

func (s *Server) verifyOTP(r *http.Request, body []byte) (int, any, error) {
	b, err := s.brandOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		OtpPin string `json:"otpPin"`
	}
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	magic := in.OtpPin == SandboxOTPPin && b.otpRef != "" && b.EntityType == telnyx.EntitySoleProprietor &&
		b.IdentityStatus != telnyx.IdentityVerified
	if !magic && (b.otpPin == "" || in.OtpPin != b.otpPin) {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBadRequest, "Invalid OTP", "The OTP PIN is invalid or expired.", "/otpPin")
	}
	b.IdentityStatus, b.otpPin = telnyx.IdentityVerified, ""
	s.touch(kindBrand, b.BrandID)
	return http.StatusNoContent, nil, nil
}

// BrandOTP returns the PIN last texted to a sole proprietor brand's
// contact and how many were sent ("" and 0 if none).
func (s *Server) BrandOTP(brandID string) (pin string, sends int) {
	s.lockInspected(false)
	defer s.mu.Unlock()
	if b, ok := s.brands[brandID]; ok {
		return b.otpPin, b.otpSends
	}
	return "", 0
}

// VerifyBrand marks a brand's identity VERIFIED, as the contact's OTP reply would.
func (s *Server) VerifyBrand(brandID string) error {
	return s.mutate(func() error {
		b, ok := s.brands[brandID]
		if !ok {
			return fmt.Errorf("telnyxsim: no brand %q", brandID)
		}
		b.IdentityStatus, b.otpPin = telnyx.IdentityVerified, ""
		s.touch(kindBrand, b.BrandID)
		return nil
	})
}

// Brands returns every brand in creation order.
func (s *Server) Brands() []telnyx.Brand {
	s.lockInspected(false)
	defer s.mu.Unlock()
	var out []telnyx.Brand
	for _, b := range sortedBySeq(s.brands, func(b *brand) int64 { return b.seq }) {
		out = append(out, b.Brand)
	}
	return out
}

// --- campaigns ---

func (s *Server) createCampaign(r *http.Request, body []byte) (int, any, error) {
	var in telnyx.Campaign
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	var m missing
	if in.BrandID == "" {
		m.add("brandId", "brandId is required.")
	}
	if strings.TrimSpace(in.Description) == "" {
		m.add("description", "description is required.")
	}
	if !slices.Contains(usecases, in.Usecase) {
		m.add("usecase", "usecase must be one of "+strings.Join(usecases, ", ")+".")
	}
	if in.Sample1 == "" {
		m.add("sample1", "At least one message sample is required.")
	}
	if (in.Usecase == "MIXED" || in.Usecase == "LOW_VOLUME") && (len(in.SubUsecases) < 2 || len(in.SubUsecases) > 5) {
		m.add("subUsecases", in.Usecase+" campaigns need 2 to 5 sub-usecases.")
	}
	if err := m.err(); err != nil {
		return 0, nil, err
	}
	b, ok := s.brands[in.BrandID]
	if !ok {
		return 0, nil, notFound("brand")
	}
	switch {
	case b.Status != telnyx.BrandOK:
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Brand not registered",
			"The brand's registration is "+b.Status+"; campaigns can be created only for a registered brand.", "/brandId")
	case b.EntityType == telnyx.EntitySoleProprietor && b.IdentityStatus != telnyx.IdentityVerified:
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Brand not verified",
			"A SOLE_PROPRIETOR brand must complete its SMS OTP verification before campaigns can be created.", "/brandId")
	case b.EntityType == telnyx.EntitySoleProprietor && s.brandCampaignsLocked(b.BrandID) > 0:
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Campaign limit reached",
			"A SOLE_PROPRIETOR brand may have one campaign.", "/brandId")
	}
	now := s.now()
	c := &campaign{seq: s.nextSeq(), started: now, delay: s.reviewDelay, Campaign: in}
	c.reject = strings.Contains(in.Description, RejectToken)
	c.CampaignID, c.TCRCampaignID = s.newID(), "C"+strings.ToUpper(s.newID()[:6])
	c.CreateDate, c.Status, c.SubmissionStatus = stamp(now), "ACTIVE", "CREATED"
	c.CampaignStatus = telnyx.CampaignTCRPending
	s.campaigns[c.CampaignID] = c
	s.touch(kindCampaign, c.CampaignID)
	return http.StatusOK, c.Campaign, nil
}

func (s *Server) brandCampaignsLocked(brandID string) int {
	n := 0
	for _, c := range s.campaigns {
		if c.BrandID == brandID {
			n++
		}
	}
	return n
}

// statusAt is a campaign's status at now on its review's clock.
func (c *campaign) statusAt(now time.Time) string {
	if c.pinned != "" {
		return c.pinned
	}
	age := now.Sub(c.started)
	switch {
	case age >= c.delay && c.reject:
		return telnyx.CampaignTelnyxFailed
	case age >= c.delay:
		return telnyx.CampaignMNOProvisioned
	case age >= min(time.Second, c.delay/2):
		return telnyx.CampaignTCRAccepted
	}
	return telnyx.CampaignTCRPending
}

// advanceCampaignLocked moves a campaign to its status at now, emitting
// the status updates Telnyx posts on the way.
func (s *Server) advanceCampaignLocked(c *campaign, now time.Time) {
	if c.Status == "EXPIRED" {
		return
	}
	st := c.statusAt(now)
	if st == c.CampaignStatus {
		return
	}
	if c.CampaignStatus == telnyx.CampaignTCRPending && c.pinned == "" && st != telnyx.CampaignTCRAccepted {
		// A clock that jumped past the whole review: its first step was
		// taken all the same.
		s.campaignEventLocked(c, telnyx.CampaignEventRegistration, telnyx.CampaignEventSuccess, "The campaign was registered with TCR.")
	}
	c.CampaignStatus = st
	s.touch(kindCampaign, c.CampaignID)
	switch st {
	case telnyx.CampaignTCRAccepted:
		s.campaignEventLocked(c, telnyx.CampaignEventRegistration, telnyx.CampaignEventSuccess, "The campaign was registered with TCR.")
	case telnyx.CampaignMNOProvisioned:
		c.FailureReasons = ""
		s.campaignEventLocked(c, telnyx.CampaignEventTelnyxReview, telnyx.CampaignEventAccepted, "Telnyx accepted the campaign.")
		s.campaignEventLocked(c, telnyx.CampaignEventMNOReview, telnyx.CampaignEventAccepted, "The mobile operators accepted the campaign.")
	case telnyx.CampaignTelnyxFailed, telnyx.CampaignMNORejected:
		c.FailureReasons = c.reason
		if c.FailureReasons == "" {
			c.FailureReasons = RejectReason
		}
		s.campaignEventLocked(c, telnyx.CampaignEventTelnyxReview, telnyx.CampaignEventRejected, c.FailureReasons)
	}
}

// campaignEventLocked emits a 10DLC campaign status update (a bare
// object); its description carries the event's sequence so that two
// updates alike are told apart.
func (s *Server) campaignEventLocked(c *campaign, typ, status, desc string) {
	cu := telnyx.CampaignStatusUpdate{BrandID: c.BrandID, CampaignID: c.CampaignID, CSPID: "SANDBOX", CreateDate: c.CreateDate,
		Description: desc + " (#" + strconv.FormatInt(s.nextSeq(), 10) + ")", Type: typ, Status: status}
	b, err := json.Marshal(cu)
	if err != nil {
		panic(err)
	}
	s.emitLocked(c.WebhookURL, telnyx.EventCampaignStatus, b)
}

func (s *Server) campaignOf(r *http.Request) (*campaign, error) {
	c, ok := s.campaigns[r.PathValue("campaignId")]
	if !ok {
		return nil, notFound("campaign")
	}
	return c, nil
}

func (s *Server) getCampaign(r *http.Request, _ []byte) (int, any, error) {
	c, err := s.campaignOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.Campaign, nil
}

func (s *Server) listCampaigns(r *http.Request, _ []byte) (int, any, error) {
	id := r.URL.Query().Get("brandId")
	if id == "" {
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeMissingParameter, "Missing required parameter", "brandId is required.", "/brandId")
	}
	var out []telnyx.Campaign
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		if c.BrandID == id {
			out = append(out, c.Campaign)
		}
	}
	return paginateRecords(r, out)
}

func (s *Server) updateCampaign(r *http.Request, body []byte) (int, any, error) {
	c, err := s.campaignOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.CampaignUpdate
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if c.Status == "EXPIRED" {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBadRequest, "Campaign deactivated", "A deactivated campaign cannot be edited.", "")
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.MessageFlow, in.MessageFlow)
	set(&c.HelpMessage, in.HelpMessage)
	set(&c.Sample1, in.Sample1)
	set(&c.Sample2, in.Sample2)
	set(&c.Sample3, in.Sample3)
	set(&c.Sample4, in.Sample4)
	set(&c.Sample5, in.Sample5)
	set(&c.WebhookURL, in.WebhookURL)
	s.touch(kindCampaign, c.CampaignID)
	return http.StatusOK, c.Campaign, nil
}

// appealCampaign resets a rejected campaign to TCR_ACCEPTED and starts its
// review again; the appeal reason decides the new verdict ([sandbox:reject]).
func (s *Server) appealCampaign(r *http.Request, body []byte) (int, any, error) {
	c, err := s.campaignOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.CampaignAppeal
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(in.AppealReason) == "" {
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeMissingParameter, "Missing required parameter", "appeal_reason is required.", "/appeal_reason")
	}
	if c.CampaignStatus != telnyx.CampaignTelnyxFailed && c.CampaignStatus != telnyx.CampaignMNORejected {
		return 0, nil, one(http.StatusBadRequest, telnyx.CodeBadRequest, "Campaign not appealable",
			"Only campaigns in TELNYX_FAILED or MNO_REJECTED status can be appealed; this one is "+c.CampaignStatus+".", "")
	}
	now := s.now()
	c.pinned, c.started, c.delay = "", now.Add(-min(time.Second, s.reviewDelay/2)), s.reviewDelay
	c.reject, c.reason, c.appeal = strings.Contains(in.AppealReason, RejectToken), "", in.AppealReason
	c.CampaignStatus, c.FailureReasons = telnyx.CampaignTCRAccepted, ""
	s.touch(kindCampaign, c.CampaignID)
	return http.StatusOK, telnyx.CampaignAppealed{AppealedAt: now.UTC()}, nil
}

func (s *Server) deactivateCampaign(r *http.Request, _ []byte) (int, any, error) {
	c, err := s.campaignOf(r)
	if err != nil {
		return 0, nil, err
	}
	c.Status = "EXPIRED"
	c.CampaignStatus = telnyx.CampaignTCRExpired
	s.touch(kindCampaign, c.CampaignID)
	for e164, a := range s.assignments {
		if a.CampaignID == c.CampaignID {
			delete(s.assignments, e164)
			s.touch(kindAssignment, e164)
		}
	}
	return http.StatusOK, telnyx.CampaignDeactivated{Time: float64(s.now().Unix()), Message: "Campaign deactivated", RecordType: "campaign"}, nil
}

// SetCampaignStatus pins a campaign's status (a Campaign* constant); the clock stops for it.
func (s *Server) SetCampaignStatus(id, status string) error {
	return s.mutate(func() error {
		c, ok := s.campaigns[id]
		if !ok {
			return fmt.Errorf("telnyxsim: no campaign %q", id)
		}
		c.pinned = status
		s.touch(kindCampaign, id)
		s.advanceCampaignLocked(c, s.now())
		return nil
	})
}

// AppealReason returns the reason of a campaign's last appeal ("" if none).
func (s *Server) AppealReason(id string) string {
	s.lockInspected(false)
	defer s.mu.Unlock()
	if c, ok := s.campaigns[id]; ok {
		return c.appeal
	}
	return ""
}

// Campaigns returns every campaign in creation order, as of Now.
func (s *Server) Campaigns() []telnyx.Campaign {
	s.lockInspected(true)
	defer s.mu.Unlock()
	var out []telnyx.Campaign
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		out = append(out, c.Campaign)
	}
	return out
}

// paginateRecords answers a 10DLC list: {records, page, totalRecords}.
func paginateRecords[T any](r *http.Request, all []T) (int, any, error) {
	page, per := intParam(r, "page", 1), intParam(r, "recordsPerPage", 10)
	if all == nil {
		all = []T{}
	}
	from := min((page-1)*per, len(all))
	to := min(from+per, len(all))
	return http.StatusOK, map[string]any{"records": all[from:to], "page": page, "totalRecords": len(all)}, nil
}

// paginateFlat answers a v2 list: {data, meta}.
func paginateFlat[T any](r *http.Request, all []T) (int, any, error) {
	page, size := intParam(r, "page[number]", 1), intParam(r, "page[size]", 20)
	if all == nil {
		all = []T{}
	}
	from := min((page-1)*size, len(all))
	to := min(from+size, len(all))
	pages := (len(all) + size - 1) / size
	return http.StatusOK, map[string]any{"data": all[from:to],
		"meta": map[string]any{"page_number": page, "page_size": size, "total_pages": pages, "total_results": len(all)}}, nil
}

func intParam(r *http.Request, k string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(k))
	if err != nil || n < 1 {
		return def
	}
	return min(n, 250)
}
