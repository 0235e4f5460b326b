package telnyxsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/telnyx"
)

// Sandbox area codes: NoInventoryAreaCode has no numbers for sale, and
// OutageAreaCode answers every search and order with a 503.
const (
	NoInventoryAreaCode = "555"
	OutageAreaCode      = "500"
)

// defaultAreaCode is searched when a local search names none.
const defaultAreaCode = "415"

// tollFreeCodes are the toll-free prefixes of the inventory.
var tollFreeCodes = []string{"833", "844", "855", "866", "877", "888"}

// areas names a few area codes' state and city; others get none.
var areas = map[string][2]string{
	"415": {"CA", "San Francisco"}, "212": {"NY", "New York"}, "312": {"IL", "Chicago"}, "512": {"TX", "Austin"},
	"617": {"MA", "Boston"}, "206": {"WA", "Seattle"}, "305": {"FL", "Miami"},
}

var e164 = regexp.MustCompile(`^\+1[2-9]\d{9}$`)

type order struct {
	seq     int64
	created time.Time
	delay   time.Duration // Config.OrderDelay when it was placed
	telnyx.NumberOrder
}

type number struct {
	seq int64
	telnyx.PhoneNumber
}

// inventory is the numbers for sale of an area code (or toll-free prefix):
// +1 <code> 555 0100–0699 for a local code, +1 <code> 555 0700–1199 for a
// toll-free one, less those owned — below the Surge simulator's lines
// (1234 up), so the two sandboxes never sell the same number.
func (s *Server) inventoryLocked(code string) []string {
	first, count := 100, 600
	if slices.Contains(tollFreeCodes, code) {
		first, count = 700, 500
	}
	var out []string
	for i := range count {
		n := fmt.Sprintf("+1%s555%04d", code, first+i)
		if _, owned := s.inUse[n]; !owned {
			out = append(out, n)
		}
	}
	return out
}

// forSaleLocked reports whether n is in the inventory and not owned.
func (s *Server) forSaleLocked(n string) bool {
	if !e164.MatchString(n) {
		return false
	}
	code := n[2:5]
	if code == NoInventoryAreaCode {
		return false
	}
	return slices.Contains(s.inventoryLocked(code), n)
}

func outage() error {
	return one(http.StatusServiceUnavailable, telnyx.CodeUnexpected, "Service unavailable",
		"The number inventory for area code "+OutageAreaCode+" is unavailable (sandbox outage).", "")
}

func (s *Server) availableNumbers(r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	typ := q.Get("filter[phone_number_type]")
	code := q.Get("filter[national_destination_code]")
	if cc := q.Get("filter[country_code]"); cc != "" && cc != "US" {
		return http.StatusOK, map[string]any{"data": []any{}, "meta": map[string]any{"total_results": 0, "best_effort_results": 0}}, nil
	}
	if code == OutageAreaCode {
		return 0, nil, outage()
	}
	limit := intParam(r, "filter[limit]", 20)
	var codes []string
	switch {
	case typ == telnyx.NumberTollFree && code == "":
		codes = tollFreeCodes
	case typ == telnyx.NumberTollFree && !slices.Contains(tollFreeCodes, code):
		codes = nil
	case code == "":
		codes = []string{defaultAreaCode}
	case code == NoInventoryAreaCode:
		codes = nil
	case typ != telnyx.NumberTollFree && slices.Contains(tollFreeCodes, code):
		codes = nil
	default:
		codes = []string{code}
	}
	out := []telnyx.AvailableNumber{}
	for _, c := range codes {
		for _, n := range s.inventoryLocked(c) {
			if len(out) >= limit {
				break
			}
			out = append(out, availableOf(n, c))
		}
	}
	return http.StatusOK, map[string]any{"data": out, "meta": map[string]any{"total_results": len(out), "best_effort_results": 0}}, nil
}

func availableOf(n, code string) telnyx.AvailableNumber {
	a := telnyx.AvailableNumber{PhoneNumber: n, RecordType: "available_phone_number", Reservable: true, Quickship: true,
		Features:          []telnyx.Feature{{Name: "sms"}, {Name: "mms"}, {Name: "voice"}},
		RegionInformation: []telnyx.RegionInfo{{RegionType: "country_code", RegionName: "US"}},
		CostInformation:   &telnyx.Cost{UpfrontCost: "1.00", MonthlyCost: "1.00", Currency: "USD"}}
	if ar, ok := areas[code]; ok {
		a.RegionInformation = append(a.RegionInformation, telnyx.RegionInfo{RegionType: "state", RegionName: ar[0]},
			telnyx.RegionInfo{RegionType: "rate_center", RegionName: strings.ToUpper(ar[1])}, telnyx.RegionInfo{RegionType: "location", RegionName: ar[1]})
	}
	return a
}

// createOrder accepts an order at once; each number is decided then (or
// after OrderDelay): success if it is for sale, failure otherwise.
func (s *Server) createOrder(r *http.Request, body []byte) (int, any, error) {
	var in telnyx.NumberOrderCreate
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if len(in.PhoneNumbers) == 0 {
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeMissingParameter, "Missing required parameter", "phone_numbers is required.", "/phone_numbers")
	}
	for i, pn := range in.PhoneNumbers {
		if !e164.MatchString(pn.PhoneNumber) {
			return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeNotE164, "Phone number must be in +E.164 format",
				"The specified phone number parameter must be in +E.164 format.", fmt.Sprintf("/phone_numbers/%d/phone_number", i))
		}
		if pn.PhoneNumber[2:5] == OutageAreaCode {
			return 0, nil, outage()
		}
	}
	now := s.now()
	o := &order{seq: s.nextSeq(), created: now, delay: s.cfg.OrderDelay, NumberOrder: telnyx.NumberOrder{ID: s.newID(), RecordType: "number_order", Status: telnyx.OrderPending,
		CustomerReference: in.CustomerReference, MessagingProfileID: in.MessagingProfileID, ConnectionID: in.ConnectionID,
		PhoneNumbersCount: len(in.PhoneNumbers), RequirementsMet: true, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}}
	for _, pn := range in.PhoneNumbers {
		o.PhoneNumbers = append(o.PhoneNumbers, telnyx.OrderedNumber{ID: s.newID(), RecordType: "number_order_phone_number",
			PhoneNumber: pn.PhoneNumber, PhoneNumberType: numberType(pn.PhoneNumber), Status: telnyx.OrderPending, RequirementsMet: true})
	}
	s.orders[o.ID] = o
	s.touch(kindOrder, o.ID)
	s.advanceOrderLocked(o, now)
	return http.StatusOK, map[string]any{"data": o.NumberOrder}, nil
}

func numberType(n string) string {
	if len(n) > 5 && slices.Contains(tollFreeCodes, n[2:5]) {
		return telnyx.NumberTollFree
	}
	return telnyx.NumberLocal
}

// advanceOrderLocked decides a pending order once OrderDelay has passed.
func (s *Server) advanceOrderLocked(o *order, now time.Time) {
	if o.Status != telnyx.OrderPending || now.Sub(o.created) < o.delay {
		return
	}
	s.touch(kindOrder, o.ID)
	ok := 0
	for i := range o.PhoneNumbers {
		on := &o.PhoneNumbers[i]
		if !s.forSaleLocked(on.PhoneNumber) {
			on.Status = telnyx.OrderFailure
			continue
		}
		on.Status = telnyx.OrderSuccess
		ok++
		n := &number{seq: s.nextSeq(), PhoneNumber: telnyx.PhoneNumber{ID: s.newID(), RecordType: "phone_number", PhoneNumber: on.PhoneNumber,
			Status: "active", PhoneNumberType: on.PhoneNumberType, CountryISOAlpha2: "US", Tags: []string{},
			MessagingProfileID: o.MessagingProfileID, ConnectionID: o.ConnectionID, PurchasedAt: stamp(now), CreatedAt: stamp(now), UpdatedAt: stamp(now)}}
		s.numbers[n.ID] = n
		s.inUse[n.PhoneNumber.PhoneNumber] = n.ID
		s.touch(kindNumber, n.ID)
	}
	o.Status, o.UpdatedAt = telnyx.OrderFailure, now.UTC()
	if ok > 0 {
		o.Status = telnyx.OrderSuccess
	}
}

func (s *Server) getOrder(r *http.Request, _ []byte) (int, any, error) {
	o, ok := s.orders[r.PathValue("id")]
	if !ok {
		return 0, nil, notFound("number order")
	}
	return http.StatusOK, map[string]any{"data": o.NumberOrder}, nil
}

func (s *Server) listOrders(r *http.Request, _ []byte) (int, any, error) {
	ref := r.URL.Query().Get("filter[customer_reference]")
	var out []telnyx.NumberOrder
	for _, o := range sortedBySeq(s.orders, func(o *order) int64 { return o.seq }) {
		if ref == "" || o.CustomerReference == ref {
			out = append(out, o.NumberOrder)
		}
	}
	return paginateFlat(r, out)
}

func (s *Server) numberOf(r *http.Request) (*number, error) {
	n, ok := s.numbers[r.PathValue("id")]
	if !ok {
		return nil, notFound("phone number")
	}
	return n, nil
}

func (s *Server) listNumbers(r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	digits := strings.TrimPrefix(q.Get("filter[phone_number]"), "+")
	tag, ref, status := q.Get("filter[tag]"), q.Get("filter[customer_reference]"), q.Get("filter[status]")
	var out []telnyx.PhoneNumber
	for _, n := range sortedBySeq(s.numbers, func(n *number) int64 { return n.seq }) {
		switch {
		case digits != "" && !strings.Contains(n.PhoneNumber.PhoneNumber, digits),
			tag != "" && !slices.Contains(n.Tags, tag),
			ref != "" && n.CustomerReference != ref,
			status != "" && n.Status != status:
			continue
		}
		out = append(out, n.PhoneNumber)
	}
	return paginateFlat(r, out)
}

func (s *Server) getNumber(r *http.Request, _ []byte) (int, any, error) {
	n, err := s.numberOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"data": n.PhoneNumber}, nil
}

func (s *Server) updateNumber(r *http.Request, body []byte) (int, any, error) {
	n, err := s.numberOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.PhoneNumberUpdate
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	if in.CustomerReference != nil {
		n.CustomerReference = *in.CustomerReference
	}
	if in.Tags != nil {
		n.Tags = slices.Clone(in.Tags)
	}
	n.UpdatedAt = stamp(s.now())
	s.touch(kindNumber, n.ID)
	return http.StatusOK, map[string]any{"data": n.PhoneNumber}, nil
}

// deleteNumber releases a number: it goes back to the inventory and loses
// its campaign assignment.
func (s *Server) deleteNumber(r *http.Request, _ []byte) (int, any, error) {
	n, err := s.numberOf(r)
	if err != nil {
		return 0, nil, err
	}
	delete(s.numbers, n.ID)
	delete(s.inUse, n.PhoneNumber.PhoneNumber)
	delete(s.assignments, n.PhoneNumber.PhoneNumber)
	s.touch(kindNumber, n.ID)
	s.touch(kindAssignment, n.PhoneNumber.PhoneNumber)
	out := n.PhoneNumber
	out.Status = "deleted"
	return http.StatusOK, map[string]any{"data": out}, nil
}

func (s *Server) numberMessaging(n *number) telnyx.NumberMessaging {
	return telnyx.NumberMessaging{ID: n.ID, RecordType: "messaging_settings", PhoneNumber: n.PhoneNumber.PhoneNumber,
		MessagingProfileID: n.MessagingProfileID, Type: "long-code", UpdatedAt: n.UpdatedAt}
}

func (s *Server) getMessaging(r *http.Request, _ []byte) (int, any, error) {
	n, err := s.numberOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"data": s.numberMessaging(n)}, nil
}

func (s *Server) updateMessaging(r *http.Request, body []byte) (int, any, error) {
	n, err := s.numberOf(r)
	if err != nil {
		return 0, nil, err
	}
	var in telnyx.NumberMessagingUpdate
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	n.MessagingProfileID, n.UpdatedAt = in.MessagingProfileID, stamp(s.now())
	s.touch(kindNumber, n.ID)
	return http.StatusOK, map[string]any{"data": s.numberMessaging(n)}, nil
}

// --- campaign assignments ---

func (s *Server) assign(r *http.Request, body []byte) (int, any, error) {
	var in telnyx.NumberCampaign
	if err := decode(body, &in); err != nil {
		return 0, nil, err
	}
	var m missing
	if in.PhoneNumber == "" {
		m.add("phoneNumber", "phoneNumber is required.")
	}
	if in.CampaignID == "" {
		m.add("campaignId", "campaignId is required.")
	}
	if err := m.err(); err != nil {
		return 0, nil, err
	}
	id, owned := s.inUse[in.PhoneNumber]
	if !owned {
		return 0, nil, notFound("phone number")
	}
	c, ok := s.campaigns[in.CampaignID]
	if !ok {
		return 0, nil, notFound("campaign")
	}
	switch n := s.numbers[id]; {
	case n.MessagingProfileID == "":
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Number not on a messaging profile",
			"Assign the number to a messaging profile before assigning it to a campaign.", "/phoneNumber")
	case c.CampaignStatus != telnyx.CampaignMNOProvisioned:
		return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Campaign not active",
			"Numbers can be assigned only to an active campaign; this one is "+c.CampaignStatus+".", "/campaignId")
	}
	if a, ok := s.assignments[in.PhoneNumber]; ok {
		return 0, nil, one(http.StatusUnprocessableEntity, "10012", "Duplicate resource",
			"The number is already assigned to campaign "+a.CampaignID+".", "/phoneNumber")
	}
	if b := s.brands[c.BrandID]; b != nil && b.EntityType == telnyx.EntitySoleProprietor {
		for _, a := range s.assignments {
			if a.CampaignID == c.CampaignID {
				return 0, nil, one(http.StatusUnprocessableEntity, telnyx.CodeBadRequest, "Number limit reached",
					"A SOLE_PROPRIETOR campaign may have one phone number.", "/campaignId")
			}
		}
	}
	now := stamp(s.now())
	a := &telnyx.NumberCampaign{PhoneNumber: in.PhoneNumber, CampaignID: c.CampaignID, BrandID: c.BrandID, TelnyxCampaignID: c.CampaignID,
		AssignmentStatus: telnyx.AssignmentAssigned, CreatedAt: now, UpdatedAt: now}
	s.assignments[in.PhoneNumber] = a
	s.touch(kindAssignment, in.PhoneNumber)
	return http.StatusOK, *a, nil
}

func (s *Server) getAssignment(r *http.Request, _ []byte) (int, any, error) {
	a, ok := s.assignments[r.PathValue("phoneNumber")]
	if !ok {
		return 0, nil, notFound("phone number campaign")
	}
	return http.StatusOK, *a, nil
}

func (s *Server) listAssignments(r *http.Request, _ []byte) (int, any, error) {
	cid := r.URL.Query().Get("filter[telnyx_campaign_id]")
	bid := r.URL.Query().Get("filter[telnyx_brand_id]")
	var out []telnyx.NumberCampaign
	for _, a := range s.assignments {
		if (cid == "" || a.CampaignID == cid) && (bid == "" || a.BrandID == bid) {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b telnyx.NumberCampaign) int { return strings.Compare(a.PhoneNumber, b.PhoneNumber) })
	return paginateRecords(r, out)
}

func (s *Server) unassign(r *http.Request, _ []byte) (int, any, error) {
	a, ok := s.assignments[r.PathValue("phoneNumber")]
	if !ok {
		return 0, nil, notFound("phone number campaign")
	}
	delete(s.assignments, a.PhoneNumber)
	s.touch(kindAssignment, a.PhoneNumber)
	out := *a
	out.AssignmentStatus = telnyx.UnassignmentPending
	return http.StatusOK, out, nil
}

// Numbers returns every number the account holds, in purchase order.
func (s *Server) Numbers() []telnyx.PhoneNumber {
	s.lockInspected(false)
	defer s.mu.Unlock()
	var out []telnyx.PhoneNumber
	for _, n := range sortedBySeq(s.numbers, func(n *number) int64 { return n.seq }) {
		out = append(out, n.PhoneNumber)
	}
	return out
}

// Assignment returns a number's campaign assignment, if any.
func (s *Server) Assignment(e164 string) (telnyx.NumberCampaign, bool) {
	s.lockInspected(false)
	defer s.mu.Unlock()
	a, ok := s.assignments[e164]
	if !ok {
		return telnyx.NumberCampaign{}, false
	}
	return *a, true
}
