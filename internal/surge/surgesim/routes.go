package surgesim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/surge"
)

// routes is the whole modelled surface; anything else panics in ServeHTTP (or is answered with
// an error when Standalone). Every route but POST /sandbox/inbound and the archive alias
// POST /accounts/{account_id}/archive is a Surge route.
func (s *Server) routes() {
	for pattern, h := range map[string]handlerFunc{
		"POST /accounts":                                          s.createAccount,
		"GET /accounts":                                           s.listAccounts,
		"GET /accounts/{account_id}":                              s.getAccount,
		"PATCH /accounts/{account_id}":                            s.updateAccount,
		"DELETE /accounts/{account_id}":                           s.archiveAccount,
		"GET /accounts/{account_id}/status":                       s.accountStatus,
		"POST /accounts/{account_id}/brand_verification_messages": s.sendBrandVerification,
		"POST /accounts/{account_id}/campaigns":                   s.createCampaign,
		"GET /accounts/{account_id}/campaigns":                    s.listCampaigns,
		"GET /campaigns/{id}":                                     s.getCampaign,
		"PATCH /campaigns/{id}":                                   s.updateCampaign,
		"POST /accounts/{account_id}/phone_numbers":               s.purchaseNumber,
		"GET /accounts/{account_id}/phone_numbers":                s.listNumbers,
		"GET /accounts/{account_id}/available_phone_numbers":      s.availableNumbers,
		"GET /phone_numbers/{id}":                                 s.getNumber,
		"PATCH /phone_numbers/{id}":                               s.updateNumber,
		"DELETE /phone_numbers/{id}":                              s.releaseNumber,
		"POST /accounts/{account_id}/messages":                    s.createMessage,
		"GET /accounts/{account_id}/messages":                     s.listMessages,
		"GET /messages/{id}":                                      s.getMessage,
		"POST /accounts/{account_id}/contacts":                    s.createContact,
		"GET /accounts/{account_id}/contacts":                     s.listContacts,
		"GET /contacts/{id}":                                      s.getContact,
		"PATCH /contacts/{id}":                                    s.updateContact,
		// Sandbox-only extension, NOT a Surge route: simulates an inbound text so that
		// `naive sandbox sms` and tests can drive message.received and STOP/START. It takes
		// an InboundRequest, needs the same bearer key and answers 201 with the
		// message.received event (404 not_found when no account owns "to").
		"POST /sandbox/inbound": s.sandboxInbound,
		// NOT a Surge route either: Surge's SDK (api.md) and docs archive an account with
		// DELETE /accounts/{id}, but the issue that asked for archiving ("durable sandbox",
		// item 3) named POST /accounts/{id}/archive, so the simulator answers both, the same.
		"POST /accounts/{account_id}/archive": s.archiveAccount,
	} {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
	}
}

// decode reads a JSON body the way Surge does: JSON content type, unknown fields ignored.
func decode(r *http.Request, body []byte, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return badRequest("Content-Type must be application/json.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return validation(map[string][]string{te.Field: {"is invalid"}})
		}
		return badRequest("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body is not valid JSON.")
	}
	return nil
}

// accountLocked returns the account in the path; any request but a GET to an archived one
// gets 410 account_archived.
func (s *Server) accountLocked(r *http.Request) (*account, error) {
	a, ok := s.accounts[r.PathValue("account_id")]
	if !ok {
		return nil, accountNotFound()
	}
	if r.Method != http.MethodGet {
		if err := s.mutableLocked(a.ID); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// mutableLocked refuses a mutation of an object of an archived account.
func (s *Server) mutableLocked(accountID string) error {
	if a, ok := s.accounts[accountID]; ok && a.archived {
		return accountArchived(accountID)
	}
	return nil
}

// --- accounts ---

func (s *Server) createAccount(r *http.Request, body []byte) (int, any, error) {
	var in surge.AccountCreate
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	detail := map[string][]string{}
	if strings.TrimSpace(in.Name) == "" {
		detail["name"] = []string{"can't be blank"}
	}
	if in.Organization != nil {
		validateOrganization(*in.Organization, detail)
	}
	if len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	a := &account{seq: s.nextSeq(), Account: surge.Account{
		ID: newID("acct", s.now()), Name: in.Name, BrandName: in.BrandName, TimeZone: in.TimeZone,
	}}
	if in.Organization != nil {
		a.Organization = mergeOrganization(surge.Organization{}, *in.Organization)
	}
	s.verifyLocked(a, s.now())
	s.accounts[a.ID] = a
	s.touch(kindAccount, a.ID)
	return http.StatusCreated, renderAccount(a.Account), nil
}

func (s *Server) listAccounts(r *http.Request, _ []byte) (int, any, error) {
	all := sortedBySeq(s.accounts, func(a *account) int64 { return a.seq })
	return paginate(r.URL.Query(), all, func(a *account) int64 { return a.seq }, func(a *account) accountOut { return renderAccount(a.Account) })
}

func (s *Server) getAccount(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderAccount(a.Account), nil
}

func (s *Server) updateAccount(r *http.Request, body []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var in surge.AccountUpdate
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	detail := map[string][]string{}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		detail["name"] = []string{"can't be blank"}
	}
	if in.Organization != nil {
		validateOrganization(*in.Organization, detail)
	}
	if len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	// State is copy-on-write: values handed out earlier never see this change.
	next := a.Account
	if in.Name != nil {
		next.Name = *in.Name
	}
	if in.BrandName != nil {
		next.BrandName = in.BrandName
	}
	if in.TimeZone != nil {
		next.TimeZone = in.TimeZone
	}
	if in.Organization != nil {
		next.Organization = mergeOrganization(a.Organization, *in.Organization)
	}
	a.Account = next
	s.verifyLocked(a, s.now())
	s.touch(kindAccount, a.ID)
	return http.StatusOK, renderAccount(a.Account), nil
}

// archiveAccount archives an account for good: every number it owns is released (back to
// the inventory), every campaign not already canceled is deactivated, and the account refuses
// every later mutation, this one included (410 account_archived). It answers 200 with the
// Account, as Surge's DELETE /accounts/{id} does.
func (s *Server) archiveAccount(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	for _, n := range s.accountNumbersLocked(a.ID) {
		delete(s.numbers, n.ID)
		delete(s.inUse, n.Number)
		s.touch(kindNumber, n.ID)
	}
	now := s.now()
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		if c.accountID != a.ID || c.statusAt(now, s.reviewDelay) == surge.CampaignCanceled {
			continue
		}
		c.override = surge.CampaignDeactivated
		s.touch(kindCampaign, c.ID)
	}
	a.archived = true
	s.touch(kindAccount, a.ID)
	return http.StatusOK, renderAccount(a.Account), nil
}

func (s *Server) accountStatus(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var caps []string
	for _, v := range r.URL.Query()["capabilities"] {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				caps = append(caps, c)
			}
		}
	}
	if len(caps) == 0 {
		return 0, nil, validation(map[string][]string{"capabilities": {"can't be blank"}})
	}
	out := surge.AccountStatus{Capabilities: map[string]surge.CapabilityStatus{}}
	for _, c := range caps {
		if _, ok := capabilityExtras[c]; !ok {
			return 0, nil, validation(map[string][]string{"capabilities": {"has an unsupported value: " + c}})
		}
		out.Capabilities[c] = s.capabilityOf(a, c)
	}
	return http.StatusOK, out, nil
}

// --- campaigns ---

func (s *Server) createCampaign(r *http.Request, body []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var in surge.CampaignCreate
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	if detail := validateCampaign(in); len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	if s.capabilityOf(a, surge.CapabilityLocalMessaging).Status != surge.CapabilityReady {
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "account_not_ready",
			"The account is missing information required to register a campaign. See GET /accounts/" + a.ID + "/status?capabilities=local_messaging.", nil}
	}
	now := s.now()
	c := &campaign{seq: s.nextSeq(), accountID: a.ID}
	c.ID = newID("cpn", now)
	c.submit(in, now, s.reviewDelay)
	s.campaigns[c.ID] = c
	s.touch(kindCampaign, c.ID)
	s.dueLocked(now.Add(c.delay))
	return http.StatusCreated, s.renderCampaign(c, now), nil
}

func (s *Server) updateCampaign(r *http.Request, body []byte) (int, any, error) {
	c, ok := s.campaigns[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	if err := s.mutableLocked(c.accountID); err != nil {
		return 0, nil, err
	}
	now := s.now()
	if st := c.statusAt(now, s.reviewDelay); st != surge.CampaignCreated && st != surge.CampaignRejected {
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "campaign_locked", "The campaign can't be updated while it is " + st + ".", nil}
	}
	var in surge.CampaignCreate
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	if detail := validateCampaign(in); len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	c.submit(in, now, s.reviewDelay)
	s.touch(kindCampaign, c.ID)
	s.dueLocked(now.Add(c.delay))
	return http.StatusOK, s.renderCampaign(c, now), nil
}

func (s *Server) getCampaign(r *http.Request, _ []byte) (int, any, error) {
	c, ok := s.campaigns[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	return http.StatusOK, s.renderCampaign(c, s.now()), nil
}

func (s *Server) listCampaigns(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var mine []*campaign
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		if c.accountID == a.ID {
			mine = append(mine, c)
		}
	}
	now := s.now()
	return paginate(r.URL.Query(), mine, func(c *campaign) int64 { return c.seq }, func(c *campaign) surge.Campaign { return s.renderCampaign(c, now) })
}

// --- phone numbers ---

func (s *Server) purchaseNumber(r *http.Request, body []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	var in surge.NumberPurchase
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	if detail := validatePurchase(in); len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	if in.AreaCode == MagicOutageAreaCode || outageNumber(in.PhoneNumber) {
		return 0, nil, &apiError{http.StatusServiceUnavailable, "service_unavailable",
			"The service is temporarily unavailable. Please try again later.", nil}
	}
	if lim := s.cfg.NumberLimit; lim > 0 && len(s.accountNumbersLocked(a.ID)) >= lim {
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "phone_number_limit",
			"The account has reached the phone number limit of its plan.", nil}
	}
	e164, typ, ok := s.pickNumberLocked(in)
	if !ok {
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "no_matching_numbers",
			"No phone numbers matching the criteria are available.", nil}
	}
	name := in.Name
	if name == "" {
		name = formatNumber(e164)
	}
	n := &number{seq: s.nextSeq(), accountID: a.ID, PhoneNumber: surge.PhoneNumber{
		ID: newID("pn", s.now()), Number: e164, Type: typ, Name: &name,
	}}
	s.numbers[n.ID] = n
	s.inUse[e164] = true
	s.touch(kindNumber, n.ID)
	// A local number bought while a campaign is active joins it as part of the purchase.
	if typ == surge.NumberLocal {
		if c := s.activeCampaignLocked(a.ID); c != nil {
			s.attachLocked(n, c)
		}
	}
	return http.StatusCreated, n.PhoneNumber, nil
}

func (s *Server) getNumber(r *http.Request, _ []byte) (int, any, error) {
	n, ok := s.numbers[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	return http.StatusOK, n.PhoneNumber, nil
}

func (s *Server) listNumbers(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	return paginate(r.URL.Query(), s.accountNumbersLocked(a.ID), func(n *number) int64 { return n.seq }, func(n *number) surge.PhoneNumber { return n.PhoneNumber })
}

func (s *Server) updateNumber(r *http.Request, body []byte) (int, any, error) {
	n, ok := s.numbers[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	var in surge.NumberUpdate
	if err := decode(r, body, &in); err != nil {
		return 0, nil, err
	}
	var c *campaign
	if in.CampaignID != "" {
		c, ok = s.campaigns[in.CampaignID]
		switch {
		case !ok || c.accountID != n.accountID:
			return 0, nil, validation(map[string][]string{"campaign_id": {"does not exist"}})
		case n.Type != surge.NumberLocal:
			return 0, nil, validation(map[string][]string{"campaign_id": {"can only be set on local numbers"}})
		}
	}
	s.touch(kindNumber, n.ID)
	if in.Name != "" {
		name := in.Name
		n.Name = &name
	}
	if c != nil && (n.Campaign == nil || n.Campaign.ID != c.ID) {
		if c.statusAt(s.now(), s.reviewDelay) == surge.CampaignActive {
			s.attachLocked(n, c)
		} else {
			// Attachment completes when the campaign is approved (see activateLocked).
			id := c.ID
			n.Campaign = &surge.NumberCampaign{ID: c.ID, AttachmentStatus: surge.AttachmentPending}
			n.CampaignID = &id
		}
	}
	return http.StatusOK, n.PhoneNumber, nil
}

func (s *Server) releaseNumber(r *http.Request, _ []byte) (int, any, error) {
	n, ok := s.numbers[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound()
	}
	delete(s.numbers, n.ID)
	delete(s.inUse, n.Number)
	s.touch(kindNumber, n.ID)
	return http.StatusOK, n.PhoneNumber, nil
}

func (s *Server) availableNumbers(r *http.Request, _ []byte) (int, any, error) {
	if _, err := s.accountLocked(r); err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	typ, area := q.Get("type"), q.Get("area_code")
	detail := map[string][]string{}
	switch typ {
	case surge.NumberLocal, surge.NumberTollFree:
	case "":
		detail["type"] = []string{"can't be blank"}
	default:
		detail["type"] = []string{"is not included in the list"}
	}
	if area != "" && !isAreaCode(area) {
		detail["area_code"] = []string{"must be 3 digits"}
	}
	if c := q.Get("country"); c != "" && c != "US" && c != "CA" {
		detail["country"] = []string{"is not included in the list"}
	}
	if len(detail) > 0 {
		return 0, nil, validation(detail)
	}
	if area == MagicOutageAreaCode {
		return 0, nil, &apiError{http.StatusServiceUnavailable, "service_unavailable",
			"The service is temporarily unavailable. Please try again later.", nil}
	}
	page := surge.Page[surge.AvailableNumber]{Data: []surge.AvailableNumber{}}
	if area == "" {
		area = defaultArea(typ)
	}
	// The first availablePage free numbers of the area, in order: what a
	// purchase of the area code would take first comes first.
	if areaType(area) == typ && area != MagicNoInventoryAreaCode {
		for nnnn := firstLine; nnnn <= lastLine && len(page.Data) < availablePage; nnnn++ {
			if e := lineNumber(area, nnnn); !s.inUse[e] {
				page.Data = append(page.Data, surge.AvailableNumber{Country: "US", Number: e, Type: typ})
			}
		}
	}
	return http.StatusOK, page, nil
}

// availablePage is how many numbers one inventory search lists.
const availablePage = 50

// --- pagination ---

const pageSize = 50

const cursorPrefix = "surgesim:"

func encodeCursor(seq int64) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
	return &c
}

func decodeCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n >= 0
}

// paginate cuts a page of up to 50 from items (ascending seq) using after/before cursors
// that name a position by sequence number, so they stay valid when items are deleted.
func paginate[T, O any](q url.Values, items []T, seq func(T) int64, render func(T) O) (int, any, error) {
	after, before := q.Get("after"), q.Get("before")
	invalid := &apiError{http.StatusUnprocessableEntity, "invalid_pagination", "The pagination cursor is invalid.", nil}
	lo, hi := 0, min(pageSize, len(items))
	switch {
	case after != "" && before != "":
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "invalid_pagination", "Only one of after and before may be given.", nil}
	case after != "":
		n, ok := decodeCursor(after)
		if !ok {
			return 0, nil, invalid
		}
		for lo < len(items) && seq(items[lo]) <= n {
			lo++
		}
		hi = min(lo+pageSize, len(items))
	case before != "":
		n, ok := decodeCursor(before)
		if !ok {
			return 0, nil, invalid
		}
		for hi = 0; hi < len(items) && seq(items[hi]) < n; hi++ {
		}
		lo = max(0, hi-pageSize)
	}
	page := surge.Page[O]{Data: make([]O, 0, hi-lo)}
	for _, it := range items[lo:hi] {
		page.Data = append(page.Data, render(it))
	}
	if hi > lo && hi < len(items) {
		page.Pagination.NextCursor = encodeCursor(seq(items[hi-1]))
	}
	if hi > lo && lo > 0 {
		page.Pagination.PreviousCursor = encodeCursor(seq(items[lo]))
	}
	return http.StatusOK, page, nil
}

// --- ids ---

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// newID returns prefix_ and 26 lowercase Crockford base32 characters, ULID-style (time then randomness).
func newID(prefix string, t time.Time) string {
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 10; i < len(b); i++ {
		b[i] = crockford[rand.IntN(32)]
	}
	return prefix + "_" + string(b[:])
}
