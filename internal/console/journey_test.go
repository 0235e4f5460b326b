package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserJourneys clicks through what a human does in the console, in
// headless Chromium, checking each outcome through the REST API, and
// photographs every page at a phone's and a desktop's width (failing any
// page wider than the phone's screen). The screenshots go to
// NAIVE_CONSOLE_SCREENSHOTS, or a temp folder the test logs.
func TestBrowserJourneys(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := newChrome(t, s)
	c.login()
	c.testMode()
	defer func() { t.Logf("screenshots in %s", c.dir) }()

	t.Run("provision a number", func(t *testing.T) {
		c.t = t
		c.open("/console/numbers/new")
		c.see("the buy form", "Balance now", "1,000")
		c.shot("numbers-new")
		c.fill(`#buy-form input[name="area_code"]`, "415", `#buy-form input[name="ein"]`, "12-3456789", `#buy-form input[name="label"]`, "Front desk")
		c.click("Buy", "#buy")
		c.see("the number's page", "Front desk", "+1415")
		if got := s.balance(); got != 950 {
			t.Fatalf("balance after buying: %v, want 950", got)
		}
		if n := s.numbersBought(); n != 1 {
			t.Fatalf("%d numbers bought, want 1", n)
		}
	})

	nums := s.app.Sandbox().AllNumbers()
	if len(nums) != 1 {
		t.Fatalf("%d numbers", len(nums))
	}
	e164 := nums[0].Number
	_, l := s.api("GET", "/v1/phone", s.testKey, "")
	phoneID := l["data"].([]any)[0].(map[string]any)["id"].(string)

	t.Run("read the conversation", func(t *testing.T) {
		c.t = t
		numbersText(t, s, phoneID, e164, "+14155550199", "Is the shop open on Sunday?")
		c.open("/console/numbers/" + phoneID)
		c.see("the conversation", "Is the shop open on Sunday?", "+14155550199")
		c.shot("number")
		c.open("/console/numbers")
		c.see("the numbers list", e164, "Front desk")
		c.shot("numbers")
		c.open("/console/numbers/" + phoneID + "/release")
		c.see("the release confirmation", "permanent")
		c.shot("number-release")
	})

	t.Run("grant credits", func(t *testing.T) {
		c.t = t
		c.open("/console/credits")
		c.fill(`#grant-form input[name="amount"]`, "250", `#grant-form input[name="memo"]`, "December top-up")
		c.click("Grant", `#grant-form button[type="submit"]`)
		c.see("the ledger", "December top-up", "1,200")
		c.shot("credits")
		if got := s.balance(); got != 1200 {
			t.Fatalf("balance after the grant: %v, want 1200", got)
		}
	})

	t.Run("approve with a short balance, then after a grant", func(t *testing.T) {
		c.t = t
		id, sid := s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"Sales"}`)
		for s.balance() >= 50 {
			if st, m := s.api("POST", "/v1/phone/provision", s.testKey, `{"area_code":"415"}`); st != 202 {
				t.Fatalf("provision: %d %v", st, m)
			}
		}
		c.open("/console/approvals/" + id)
		c.see("the short balance", "The balance is short")
		c.click("Approve", "#approve")
		c.see("the refusal", "still pending", "Grant credits on the Credits page")
		c.shot("approval-short")
		if st := s.approvalStatus(id); st != "pending" {
			t.Fatalf("approval after a refused approve: %s", st)
		}
		c.open("/console/credits")
		c.fill(`#grant-form input[name="amount"]`, "100")
		c.click("Grant", `#grant-form button[type="submit"]`)
		c.open("/console/approvals/" + id)
		c.click("Approve", "#approve")
		c.do("see the outcome", chromedp.WaitVisible(chromedp.ID("outcome")))
		c.see("the outcome", "Number bought", "You approved this request")
		if st := s.approvalStatus(id); st != "executed" {
			t.Fatalf("approval after the grant: %s", st)
		}

		// The subject's pages, its kit and the rest, photographed.
		c.open("/console/subjects")
		c.shot("subjects")
		c.open("/console/subjects/" + sid)
		c.see("the pipeline", "Acme Robotics LLC")
		c.shot("subject")
		c.open("/console/subjects/" + sid + "/edit")
		c.shot("subject-edit")
		c.open("/console/kits/new")
		c.shot("kit-new")
		c.open("/console/kits")
		c.shot("kits")
		c.open("/console/approvals")
		c.shot("approvals-decided")
	})

	t.Run("create and revoke a key", func(t *testing.T) {
		c.t = t
		browserKeys(t, c)
	})

	t.Run("create a webhook and resend a delivery", func(t *testing.T) {
		c.t = t
		var up atomic.Bool
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !up.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(hook.Close)
		browserWebhooks(t, c, hook.URL, &up)
	})

	t.Run("events and agents", func(t *testing.T) {
		c.t = t
		human := s.loginToken(t, adminPassword)
		st, kit := s.apiMode("POST", "/v1/account-kits", human, `{"name":"Careful","primitives_config":{"phone":{"enabled":true,"requiresApproval":true}}}`, "test")
		if st != 201 {
			t.Fatalf("create a kit: %d %v", st, kit)
		}
		c.open("/console/kits/" + kit["id"].(string))
		c.see("the kit", "Careful")
		c.shot("kit")
		c.open("/console/events")
		c.see("the events", "sms.received")
		c.shot("events")
		c.open("/console/agents")
		c.shot("agents-empty")
		c.open("/console/overview")
		c.shot("overview")
	})
	if !strings.HasPrefix(e164, "+1") {
		t.Fatalf("number %q", e164)
	}
}

// browserKeys creates a key in the console, uses it over REST, and revokes
// it.
func browserKeys(t *testing.T, c *chrome) {
	s := c.s
	c.open("/console/keys/new")
	c.shot("key-new")
	c.fill("#name", "support-bot")
	c.click("Create key", `form[action="/console/keys"] button[type="submit"]`)
	secret, err := chromedp.Run(c.ctx, chromedp.Value(chromedp.ID("secret")))
	if err != nil || !strings.HasPrefix(secret, "nv_sk_test_") {
		t.Fatalf("the created key's secret: %q %v", secret, err)
	}
	c.see("the copy button", "Copy", "shown only this once")
	c.shot("key-created")
	if st, m := s.api("GET", "/v1/credits", secret, ""); st != 200 {
		t.Fatalf("the new key over REST: %d %v", st, m)
	}
	human := s.loginToken(t, adminPassword)
	_, keys := s.apiMode("GET", "/v1/keys", human, "", "test")
	var id string
	for _, k := range keys["data"].([]any) {
		if m := k.(map[string]any); m["name"] == "support-bot" {
			id = m["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no key named support-bot: %v", keys)
	}
	c.open("/console/keys")
	if strings.Contains(c.body(), secret) {
		t.Fatal("the key list shows the secret")
	}
	c.shot("keys")
	c.click("Revoke…", `#key-`+id+` a[href="/console/keys/`+id+`/revoke"]`)
	c.shot("key-revoke")
	c.click("Revoke the key", `form[action="/console/keys/`+id+`/revoke"] button[type="submit"]`)
	if st, _ := s.api("GET", "/v1/credits", secret, ""); st != 401 {
		t.Fatalf("the revoked key over REST: %d, want 401", st)
	}
}

// browserWebhooks adds an endpoint that is down, sends it a test event
// (failed, in red), brings it up and resends the delivery (succeeded).
func browserWebhooks(t *testing.T, c *chrome, url string, up *atomic.Bool) {
	s := c.s
	c.open("/console/webhooks/new")
	c.shot("webhook-new")
	c.fill("#url", url)
	c.click("Add endpoint", `form[action="/console/webhooks"] button[type="submit"]`)
	secret, err := chromedp.Run(c.ctx, chromedp.Value(chromedp.ID("secret")))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the endpoint's secret: %q %v", secret, err)
	}
	c.shot("webhook-created")
	_, l := s.api("GET", "/v1/webhooks", s.testKey, "")
	id := l["data"].([]any)[0].(map[string]any)["id"].(string)

	c.open("/console/webhooks/" + id)
	c.click("Send a test event", `form[action="/console/webhooks/`+id+`/test"] button`)
	c.do("see the failure in red", chromedp.WaitVisible(chromedp.CSS(".notice.bad-notice")))
	c.see("the failed attempt", "503")
	c.shot("webhook-failed")
	_, ds := s.api("GET", "/v1/webhooks/"+id+"/deliveries", s.testKey, "")
	did := ds["data"].([]any)[0].(map[string]any)["id"].(string)

	up.Store(true)
	c.click("Resend", `#delivery-`+did+` form[action="/console/webhooks/`+id+`/deliveries/`+did+`/resend"] button`)
	c.see("the resend", "resent: your endpoint answered 204")
	c.shot("webhook")
	_, ds = s.api("GET", "/v1/webhooks/"+id+"/deliveries", s.testKey, "")
	d := ds["data"].([]any)[0].(map[string]any)
	if d["status"] != "succeeded" || len(d["attempts"].([]any)) != 2 {
		t.Fatalf("the delivery after the resend: %v", d)
	}
	c.open("/console/webhooks")
	c.shot("webhooks")
}
