package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// creditsStart is start with a short 10DLC review, so numbers can send
// texts (and be charged for them) within a test.
func creditsStart(t testing.TB) *server {
	t.Helper()
	return start(t, func(o *app.Options) {
		o.SandboxReviewDelay, o.PollInterval = 50*time.Millisecond, 50*time.Millisecond
	})
}

func TestCreditsPage(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	// The first start's grant, said in words.
	p := b.raw("GET", "/console/credits", nil)
	if p.status != 200 {
		t.Fatalf("credits: %d", p.status)
	}
	mustContain(t, p, `id="balance">1,000<`, "Credits granted", "“first start”", "naive, at the first start", "+1,000",
		`action="/console/credits/grant"`, "in test mode")

	// A number the agent bought: its row links to the number's page.
	id, e164 := numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415"}`)
	p = b.raw("GET", "/console/credits", nil)
	mustContain(t, p, `id="balance">950<`, "Number bought", `href="/console/numbers/`+id+`?subject=`, "-50",
		"agent key “first-start test key”", "<code>phone.provision</code>")
	mustShow(t, p, e164)
	token := p.csrf(t)

	// Refused grants: no token (403), not a number, out of bounds, a
	// memo too long: each 400 in place with what was typed; nothing granted.
	if p := b.raw("POST", "/console/credits/grant", url.Values{"amount": {"100"}}); p.status != 403 {
		t.Fatalf("grant without token: %d", p.status)
	}
	if p := b.raw("POST", "/console/credits/grant", url.Values{"csrf": {"x" + token}, "amount": {"100"}}); p.status != 403 {
		t.Fatalf("grant with a wrong token: %d", p.status)
	}
	for _, c := range []struct{ amount, memo, want string }{
		{"lots", "", "must be a whole number"},
		{"", "", "must be a whole number"},
		{"0", "", "between 1 and 10000000"},
		{"20000000", "", "between 1 and 10000000"},
		{"100", strings.Repeat("m", 256), "at most 255 characters"},
		{"100", "bad\x00memo", "cannot be stored"},
	} {
		p := b.raw("POST", "/console/credits/grant", url.Values{"csrf": {token}, "amount": {c.amount}, "memo": {c.memo}})
		if p.status != 400 {
			t.Fatalf("grant %q %q: %d %.300s", c.amount, c.memo, p.status, p.body)
		}
		mustContain(t, p, `role="alert"`, c.want, "Ledger")
		if c.want != "cannot be stored" {
			mustContain(t, p, `value="`+c.amount+`"`)
		}
	}
	if s.balance() != 950 {
		t.Fatalf("a refused grant granted: %v", s.balance())
	}

	// A grant: the notice, the balance, the ledger row with its memo
	// (escaped) and who granted it.
	p = b.raw("POST", "/console/credits/grant", url.Values{"csrf": {token}, "amount": {"1,250"}, "memo": {"Q3 <budget>"}})
	if p.status != http.StatusSeeOther || p.location != "/console/credits" {
		t.Fatalf("grant: %d %q %.300s", p.status, p.location, p.body)
	}
	if s.balance() != 2200 {
		t.Fatalf("balance after the grant: %v", s.balance())
	}
	_, ledger := s.api("GET", "/v1/credits/ledger", s.testKey, "")
	top := ledger["data"].([]any)[0].(map[string]any)
	if top["amount"] != 1250.0 || top["memo"] != "Q3 <budget>" || top["reason"] != "grant" {
		t.Fatalf("ledger top %v", top)
	}
	p = b.raw("GET", "/console/credits", nil)
	mustContain(t, p, "Granted 1,250 credits in test mode. The balance is now 2,200.", `id="balance">2,200<`,
		"Q3 &lt;budget&gt;", "you (admin@localhost)", "+1,250")
	if strings.Contains(p.body, "<budget>") {
		t.Fatal("the memo is not escaped")
	}
	// The balance shows elsewhere too.
	mustContain(t, b.raw("GET", "/console/numbers/new", nil), `id="balance">2,200<`)

	// The ledger pages with the API's cursors.
	first := b.raw("GET", "/console/credits?limit=2", nil)
	next := numbersNext(first)
	if next == "" || strings.Count(first.body, "<tr>") != 3 { // header + 2 rows
		t.Fatalf("first ledger page: next %q, %d rows", next, strings.Count(first.body, "<tr>")-1)
	}
	older := b.raw("GET", next, nil)
	mustContain(t, older, "“first start”", "← Newest")
	if numbersNext(older) != "" {
		t.Fatal("a third ledger page")
	}
	if p := b.raw("GET", "/console/credits?cursor=bogus", nil); p.status != 400 {
		t.Fatalf("bad cursor: %d", p.status)
	}

	// Live mode has its own balance and ledger.
	home := b.raw("GET", "/console/", nil)
	b.raw("POST", "/console/mode", url.Values{"csrf": {home.csrf(t)}, "mode": {"live"}, "next": {"/console/credits"}})
	live := b.raw("GET", "/console/credits", nil)
	mustContain(t, live, `id="balance">0<`, "No credit movements in live mode yet", "Live credits pay for real numbers")
}

// TestCreditsTextRows checks the rows of texts: sms.send links to the
// number the text was sent from, and a failed text's refund too.
func TestCreditsTextRows(t *testing.T) {
	t.Parallel()
	s := creditsStart(t)
	id, e164 := numbersProvision(t, s, `{"ein":"12-3456789","area_code":"415"}`)
	numbersWait(t, "the campaign", func() bool {
		caps, _ := numbersPhone(t, s, id)["capabilities"].(map[string]any)
		return caps["sms_outbound"] == true
	})
	if st, m := s.api("POST", "/v1/phone/"+id+"/sms", s.testKey, `{"to":"+14155550123","body":"Your code is 1234"}`); st != 201 {
		t.Fatalf("send: %d %v", st, m)
	}
	// A number ending 0000 fails at the sandbox (invalid_mobile_number).
	if st, m := s.api("POST", "/v1/phone/"+id+"/sms", s.testKey, `{"to":"+14155550000","body":"Nobody home"}`); st != 201 && st >= 500 {
		t.Fatalf("send to 0000: %d %v", st, m)
	}
	numbersWait(t, "the failed text", func() bool {
		for _, x := range numbersMessages(t, s, id) {
			if m := x.(map[string]any); m["to"] == "+14155550000" && m["status"] == "failed" {
				return true
			}
		}
		return false
	})
	b := s.browser()
	b.mustLogin()
	b.testMode()
	p := b.raw("GET", "/console/credits", nil)
	mustContain(t, p, "Text sent", "<code>sms.send</code>", `href="/console/numbers/`+id+`?subject=`)
	mustShow(t, p, "text from "+e164+" to +14155550123", "text from "+e164+" to +14155550000")
	_, ledger := s.api("GET", "/v1/credits/ledger", s.testKey, "")
	refunded := false
	for _, x := range ledger["data"].([]any) {
		refunded = refunded || x.(map[string]any)["reason"] == "sms.send.refund"
	}
	if refunded {
		mustContain(t, p, "Refund: the text was not sent")
	}

	// The number's page shows both outbound texts, the failure's reason,
	// and no "not enabled" explanation now that the campaign is active.
	page := b.raw("GET", "/console/numbers/"+id, nil)
	mustContain(t, page, "Your code is 1234", "Nobody home", "Sent", `class="badge failed">failed<`, "Failed: ", "campaign active")
	if strings.Contains(page.body, "Sending texts is not enabled") {
		t.Fatal("an active campaign is explained as not enabled")
	}
}
