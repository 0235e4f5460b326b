package e2e_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// simView is test mode's simulator of the carrier the suite runs on, seen
// the same way whichever it is: its numbers and campaigns, its fault
// knobs, outages of one kind of call, and a purchase made behind the
// server's back. Tests that check invariants at the carrier use it, so
// they run on every carrier.
type simView interface {
	// Carrier is the simulated carrier's name ("surge", "telnyx").
	Carrier() string
	// Numbers lists every number the carrier holds, in purchase order.
	Numbers() []simNumber
	// Campaigns lists every campaign the carrier holds, in creation order.
	Campaigns() []simCampaign
	// SetFaults draws random faults on every call; the zero value stops them.
	SetFaults(f simFaults)
	// Down makes the carrier answer these kinds of calls with its 503
	// (nil or none: every call is served again).
	Down(ops ...simOp)
	// SetCampaignStatus pins a campaign's review at the carrier to one
	// of naive's campaign statuses (in_review, active, rejected,
	// deactivated), in the carrier's own vocabulary.
	SetCampaignStatus(carrierID, status string) error
	// BuyStray buys a number for the brand outside the server (a purchase
	// that landed after its call gave up), named ref ("" names it with a
	// fresh uuid), and returns it.
	BuyStray(t *testing.T, brandID, areaCode, ref string) simNumber
	// Requests counts the calls of one kind that reached the carrier.
	Requests(op simOp) int
	// Lose makes the carrier carry out the calls of the kinds lost and
	// then drop the connection before answering (the action done, the
	// answer lost), and answer the kinds down with its 503 as Down does.
	// It replaces an earlier Down or Lose; Down() ends both. A lost call
	// is carried out by a second request to the simulator: Requests
	// counts it twice.
	Lose(lost []simOp, down ...simOp)
	// Texts counts the texts the carrier holds between the account's
	// numbers and contact, either way.
	Texts(contact string) int
	// Slow makes every call of kind op take d longer, calling during(+1)
	// as one starts sleeping and during(-1) as it wakes; Slow("", 0, nil)
	// ends it. It replaces Down and Lose.
	Slow(op simOp, d time.Duration, during func(delta int32))
}

// simNumber is a number the carrier holds; Ref is the name naive gave it
// (its phone id), "" if none.
type simNumber struct {
	ID, E164, Ref string
}

// simCampaign is a campaign the carrier holds, in naive's words.
type simCampaign struct {
	ID, Description, ConsentFlow string
	Samples                      []string
}

// simFaults are the fault rates of simView.SetFaults.
type simFaults struct {
	RateLimit, Error, Timeout, LoseResponse float64
	Seed                                    int64
}

// simOp is a kind of carrier call.
type simOp string

const (
	opListNumbers simOp = "list_numbers" // the brand's (or account's) number list
	opBuy         simOp = "buy"          // a number purchase or order
	opRelease     simOp = "release"      // a number's release
	opSend        simOp = "send"         // an outbound text
	opFindMessage simOp = "find_message" // a text looked up after a lost answer
	opRegister    simOp = "register"     // a brand's registration
)

// simOf is the view of h's test-mode simulator of the suite's carrier.
func simOf(t testing.TB, h *harness) simView {
	t.Helper()
	switch testCarrier() {
	case "telnyx":
		if s := h.app.TelnyxSandbox(); s != nil {
			return telnyxView{s}
		}
	default:
		if s := h.app.Sandbox(); s != nil {
			return surgeView{s}
		}
	}
	t.Fatalf("no in-process %s simulator", testCarrier())
	return nil
}

// slowOp is the BeforeFunc of Slow on a simulator whose requests of kind
// op match tells.
func slowOp(match func(*http.Request, simOp) bool, op simOp, d time.Duration, during func(int32)) func(*http.Request) (int, []byte, bool) {
	if op == "" {
		return nil
	}
	return func(r *http.Request) (int, []byte, bool) {
		if match(r, op) {
			during(1)
			time.Sleep(d)
			during(-1)
		}
		return 0, nil, false
	}
}

// loseHeader marks the request by which Lose carries a lost call out.
const loseHeader = "X-Simview-Lost-Call"

// loseOrDown is the BeforeFunc of Lose on a simulator served by sim, whose
// requests of kind op match tells and whose 503 body is unavailable: a
// call of a lost kind is carried out by a request of its own (marked, so
// that it passes), then its connection dropped; a call of a down kind is
// answered 503.
func loseOrDown(sim http.Handler, match func(*http.Request, simOp) bool, unavailable []byte, lost, down []simOp) func(*http.Request) (int, []byte, bool) {
	return func(r *http.Request) (int, []byte, bool) {
		if r.Header.Get(loseHeader) != "" {
			return 0, nil, false
		}
		for _, op := range down {
			if match(r, op) {
				return http.StatusServiceUnavailable, unavailable, true
			}
		}
		for _, op := range lost {
			if !match(r, op) {
				continue
			}
			body, _ := io.ReadAll(r.Body) // the simulator has read it into memory
			in := r.Clone(r.Context())
			in.Body = io.NopCloser(bytes.NewReader(body))
			in.Header.Set(loseHeader, "1")
			sim.ServeHTTP(httptest.NewRecorder(), in)
			panic(http.ErrAbortHandler) // the simulator's way to drop the connection
		}
		return 0, nil, false
	}
}

// --- Surge ---

type surgeView struct{ s *surgesim.Server }

func (v surgeView) Carrier() string { return "surge" }

func (v surgeView) Numbers() []simNumber {
	var out []simNumber
	for _, n := range v.s.AllNumbers() {
		sn := simNumber{ID: n.ID, E164: n.Number}
		if n.Name != nil {
			sn.Ref = *n.Name
		}
		out = append(out, sn)
	}
	return out
}

func (v surgeView) Campaigns() []simCampaign {
	var out []simCampaign
	for _, c := range v.s.Campaigns() {
		out = append(out, simCampaign{ID: c.ID, Description: c.Description, ConsentFlow: c.ConsentFlow, Samples: c.MessageSamples})
	}
	return out
}

func (v surgeView) SetFaults(f simFaults) {
	v.s.SetFaults(surgesim.Faults{RateLimitRate: f.RateLimit, ErrorRate: f.Error, TimeoutRate: f.Timeout, LoseResponseRate: f.LoseResponse, Seed: f.Seed})
}

// surgeOp tells whether a request to the Surge simulator is of kind op.
func surgeOp(r *http.Request, op simOp) bool {
	p := r.URL.Path
	switch op {
	case opListNumbers:
		return r.Method == http.MethodGet && strings.HasSuffix(p, "/phone_numbers")
	case opBuy:
		return r.Method == http.MethodPost && strings.HasSuffix(p, "/phone_numbers")
	case opRelease:
		return r.Method == http.MethodDelete && strings.Contains(p, "/phone_numbers/")
	case opSend:
		return r.Method == http.MethodPost && strings.HasSuffix(p, "/messages")
	case opFindMessage:
		return r.Method == http.MethodGet && strings.Contains(p, "/messages")
	case opRegister:
		return r.Method == http.MethodPost && p == "/accounts"
	}
	return false
}

func (v surgeView) Down(ops ...simOp) {
	if len(ops) == 0 {
		v.s.SetBeforeFunc(nil)
		return
	}
	v.s.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		for _, op := range ops {
			if surgeOp(r, op) {
				return http.StatusServiceUnavailable, []byte(`{"error":{"type":"service_unavailable","message":"down"}}`), true
			}
		}
		return 0, nil, false
	})
}

const surgeUnavailable = `{"error":{"type":"service_unavailable","message":"down"}}`

func (v surgeView) Lose(lost []simOp, down ...simOp) {
	v.s.SetBeforeFunc(loseOrDown(v.s, surgeOp, []byte(surgeUnavailable), lost, down))
}

func (v surgeView) Slow(op simOp, d time.Duration, during func(int32)) {
	v.s.SetBeforeFunc(slowOp(surgeOp, op, d, during))
}

func (v surgeView) Texts(contact string) int {
	n := 0
	for _, a := range v.s.Accounts() {
		for _, m := range v.s.Messages(a.ID) {
			if c := m.Conversation.Contact.PhoneNumber; c != nil && *c == contact {
				n++
			}
		}
	}
	return n
}

func (v surgeView) SetCampaignStatus(id, status string) error {
	return v.s.SetCampaignStatus(id, status)
}

func (v surgeView) BuyStray(t *testing.T, brandID, areaCode, ref string) simNumber {
	t.Helper()
	if ref == "" {
		ref = uuid.NewString()
	}
	c := surge.NewClient(surge.Options{BaseURL: "http://sandbox", APIKey: "sk_sandbox", HTTPClient: &http.Client{Transport: v.s.Transport()}})
	pn, err := c.PurchaseNumber(context.Background(), brandID, surge.NumberPurchase{Type: "local", AreaCode: areaCode, Name: ref})
	if err != nil {
		t.Fatalf("buy a stray number at Surge: %v", err)
	}
	return simNumber{ID: pn.ID, E164: pn.Number, Ref: ref}
}

func (v surgeView) Requests(op simOp) int {
	switch op {
	case opListNumbers:
		return v.s.RequestCount("GET", "/accounts/{account_id}/phone_numbers")
	case opBuy:
		return v.s.RequestCount("POST", "/accounts/{account_id}/phone_numbers")
	case opSend:
		return v.s.RequestCount("POST", "/accounts/{account_id}/messages")
	}
	return 0
}

// --- Telnyx ---

type telnyxView struct{ s *telnyxsim.Server }

func (v telnyxView) Carrier() string { return "telnyx" }

func (v telnyxView) Numbers() []simNumber {
	var out []simNumber
	for _, n := range v.s.Numbers() {
		out = append(out, simNumber{ID: n.ID, E164: n.PhoneNumber, Ref: n.CustomerReference})
	}
	return out
}

func (v telnyxView) Campaigns() []simCampaign {
	var out []simCampaign
	for _, c := range v.s.Campaigns() {
		out = append(out, simCampaign{ID: c.CampaignID, Description: c.Description, ConsentFlow: c.MessageFlow, Samples: c.Samples()})
	}
	return out
}

func (v telnyxView) SetFaults(f simFaults) {
	v.s.SetFaults(telnyxsim.Faults{RateLimitRate: f.RateLimit, ErrorRate: f.Error, TimeoutRate: f.Timeout, LoseResponseRate: f.LoseResponse, Seed: f.Seed})
}

// telnyxOp tells whether a request to the Telnyx simulator is of kind op.
func telnyxOp(r *http.Request, op simOp) bool {
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	switch op {
	case opListNumbers:
		return r.Method == http.MethodGet && p == "/phone_numbers"
	case opBuy:
		return r.Method == http.MethodPost && p == "/number_orders"
	case opRelease:
		return r.Method == http.MethodDelete && strings.HasPrefix(p, "/phone_numbers/")
	case opSend:
		return r.Method == http.MethodPost && p == "/messages"
	case opFindMessage:
		return r.Method == http.MethodGet && (strings.HasPrefix(p, "/messages/") || strings.HasPrefix(p, "/detail_records"))
	case opRegister:
		return r.Method == http.MethodPost && p == "/10dlc/brand"
	}
	return false
}

func (v telnyxView) Down(ops ...simOp) {
	if len(ops) == 0 {
		v.s.SetBeforeFunc(nil)
		return
	}
	v.s.SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		for _, op := range ops {
			if telnyxOp(r, op) {
				return http.StatusServiceUnavailable, []byte(`{"errors":[{"code":"10007","title":"Unexpected error","detail":"down"}]}`), true
			}
		}
		return 0, nil, false
	})
}

const telnyxUnavailable = `{"errors":[{"code":"10007","title":"Unexpected error","detail":"down"}]}`

func (v telnyxView) Lose(lost []simOp, down ...simOp) {
	v.s.SetBeforeFunc(loseOrDown(v.s, telnyxOp, []byte(telnyxUnavailable), lost, down))
}

func (v telnyxView) Slow(op simOp, d time.Duration, during func(int32)) {
	v.s.SetBeforeFunc(slowOp(telnyxOp, op, d, during))
}

func (v telnyxView) Texts(contact string) int {
	n := 0
	for _, m := range v.s.Messages() {
		if m.Direction == "inbound" && m.From.PhoneNumber == contact || m.Direction == "outbound" && len(m.To) > 0 && m.To[0].PhoneNumber == contact {
			n++
		}
	}
	return n
}

// telnyxStatus is the Telnyx campaign status that reads as naive's status.
var telnyxStatus = map[string]string{
	"in_review":   telnyx.CampaignTCRAccepted,
	"active":      telnyx.CampaignMNOProvisioned,
	"rejected":    telnyx.CampaignTelnyxFailed,
	"deactivated": telnyx.CampaignTCRExpired,
}

func (v telnyxView) SetCampaignStatus(id, status string) error {
	st, ok := telnyxStatus[status]
	if !ok {
		st = status // a Telnyx status already
	}
	return v.s.SetCampaignStatus(id, st)
}

func (v telnyxView) BuyStray(t *testing.T, brandID, areaCode, ref string) simNumber {
	t.Helper()
	if ref == "" {
		ref = uuid.NewString()
	}
	ctx := context.Background()
	c := telnyx.NewClient(telnyx.Options{BaseURL: "http://telnyx.sandbox/v2", APIKey: "KEY_sandbox", HTTPClient: &http.Client{Transport: handlerRoundTripper{v.s}}})
	avail, err := c.AvailableNumbers(ctx, telnyx.AvailableFilter{NationalDestinationCode: areaCode, Limit: 1})
	if err != nil || len(avail) == 0 {
		t.Fatalf("search a stray number at Telnyx: %v (%d found)", err, len(avail))
	}
	e164 := avail[0].PhoneNumber
	if _, err := c.CreateNumberOrder(ctx, telnyx.NumberOrderCreate{PhoneNumbers: []telnyx.OrderNumber{{PhoneNumber: e164}}, CustomerReference: ref}); err != nil {
		t.Fatalf("order a stray number at Telnyx: %v", err)
	}
	nums, err := c.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{PhoneNumber: e164})
	if err != nil || len(nums) != 1 {
		t.Fatalf("find the stray number at Telnyx: %v (%d found)", err, len(nums))
	}
	// Tagged with the brand, as the adapter tags what it buys for it: the
	// order landed, and was set up, after its call gave up.
	tags := []string{telnyx.BrandTagPrefix + brandID}
	if _, err := c.UpdatePhoneNumber(ctx, nums[0].ID, telnyx.PhoneNumberUpdate{Tags: tags}); err != nil {
		t.Fatalf("tag the stray number at Telnyx: %v", err)
	}
	return simNumber{ID: nums[0].ID, E164: e164, Ref: ref}
}

func (v telnyxView) Requests(op simOp) int {
	switch op {
	case opListNumbers:
		return v.s.RequestCount("GET", "/v2/phone_numbers")
	case opBuy:
		return v.s.RequestCount("POST", "/v2/number_orders")
	case opSend:
		return v.s.RequestCount("POST", "/v2/messages")
	}
	return 0
}

// handlerRoundTripper serves a client's requests with a handler in this
// process.
type handlerRoundTripper struct{ h http.Handler }

func (rt handlerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		// A server's request always has a body (the simulator reads it).
		req = req.Clone(req.Context())
		req.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}
