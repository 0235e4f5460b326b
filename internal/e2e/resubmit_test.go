package e2e_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// TestCampaignResubmit: a campaign the sandbox rejects (its description,
// which quotes the subject's legal name, carries [sandbox:reject]) shows the
// carrier's reason; resubmitting it unchanged is rejected again, two
// concurrent resubmissions make one, and a resubmission with a fixed
// description passes review and the number sends. A campaign that is not
// rejected cannot be resubmitted.
func TestCampaignResubmit(t *testing.T) {
	// The reason each carrier's sandbox gives for the rejection.
	reason := surgesim.RejectReason
	if testCarrier() == "telnyx" {
		reason = telnyxsim.RejectReason
	}
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, func(o *app.Options) { o.SandboxReviewDelay = 500 * time.Millisecond })
		human := h.login()
		sid := h.must(201, h.call("POST", "/v1/subjects", h.testKey, strings.Replace(acmeProfile, "Acme Robotics LLC", "Acme [sandbox:reject] LLC", 1))).json(t)["id"].(string)
		h.must(202, h.call("POST", "/v1/subjects/"+sid+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`))
		time.Sleep(100 * time.Millisecond)
		base := "/v1/subjects/" + sid + "/phone"
		resubmit := base + "/campaign/resubmit"
		// No campaign yet: 404.
		if r := h.call("POST", resubmit, h.testKey, nil); r.Status != 404 || r.errCode(t) != "not_found" {
			t.Fatalf("resubmit before any campaign: %d %s", r.Status, r.Body)
		}
		// An unknown subject: 404.
		if r := h.call("POST", "/v1/subjects/01a232d2-0000-7000-8000-000000000000/phone/campaign/resubmit", h.testKey, nil); r.Status != 404 {
			t.Fatalf("resubmit of an unknown subject: %d %s", r.Status, r.Body)
		}
		pid := h.must(202, h.call("POST", base+"/provision", human, seedBody, "Naive-Mode", "test")).json(t)["phone"].(map[string]any)["id"].(string)
		waitCampaign := func(want string) map[string]any {
			t.Helper()
			deadline := time.Now().Add(15 * time.Second)
			for {
				c := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)
				if c["status"] == want {
					return c
				}
				if time.Now().After(deadline) {
					t.Fatalf("campaign never %s: %v", want, c)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// In review: not rejected, so 409 with its status.
		if c := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t); c["status"] != "rejected" {
			if c["rejection_reason"] != nil {
				t.Fatalf("reason before rejection: %v", c)
			}
			r := h.call("POST", resubmit, h.testKey, nil)
			if st := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)["status"]; st != "rejected" {
				if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "status") == nil {
					t.Fatalf("resubmit in review: %d %s", r.Status, r.Body)
				}
			}
		}

		c := waitCampaign("rejected")
		if c["rejection_reason"] != reason {
			t.Fatalf("campaign reason %v", c["rejection_reason"])
		}
		st := h.must(200, h.call("GET", base+"/status", h.testKey, nil)).json(t)
		camp := st["campaigns"].([]any)[0].(map[string]any)
		if camp["rejection_reason"] != reason || !strings.Contains(st["next_step"].(string), reason) ||
			!strings.Contains(st["next_step"].(string), "/v1/phone/campaign/resubmit") {
			t.Fatalf("status %v / %v", camp, st["next_step"])
		}

		// Bad input changes nothing.
		for body, param := range map[string]string{
			`{"description":"too short"}`:              "description",
			`{"message_samples":["only one"]}`:         "message_samples",
			`{"terms_url":"ftp://acme.example/terms"}`: "terms_url",
			`{"consent_flow":"a\u0000b"}`:              "consent_flow",
		} {
			if r := h.call("POST", resubmit, h.testKey, body); r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		if r := h.call("POST", resubmit, h.testKey, `{"nope":1}`); r.Status != 400 {
			t.Fatalf("unknown field: %d %s", r.Status, r.Body)
		}
		if st := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t)["status"]; st != "rejected" {
			t.Fatalf("bad input moved the campaign to %v", st)
		}

		balance := h.balance(h.testKey)
		// Two concurrent resubmissions: exactly one reaches the carrier.
		var (
			wg    sync.WaitGroup
			codes [2]int
		)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.call("POST", resubmit, h.testKey, nil).Status
			}()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
			t.Fatalf("concurrent resubmits answered %v", codes)
		}
		// Still carrying the magic name: rejected again, with the reason.
		if c := waitCampaign("rejected"); c["rejection_reason"] != reason {
			t.Fatalf("second rejection reason %v", c["rejection_reason"])
		}

		// The carrier refuses the update (Surge locks a deactivated
		// campaign, Telnyx appeals only a campaign it or the operators
		// rejected): back to rejected with the same reason, 502, free.
		sim := simOf(t, h)
		carrierID := sim.Campaigns()[0].ID
		if err := sim.SetCampaignStatus(carrierID, "deactivated"); err != nil {
			t.Fatal(err)
		}
		if r := h.call("POST", resubmit, h.testKey, nil); r.Status != 502 || r.errCode(t) != "provider_error" {
			t.Fatalf("resubmit refused by the carrier: %d %s", r.Status, r.Body)
		}
		if c := h.must(200, h.call("GET", base+"/"+pid+"/campaign", h.testKey, nil)).json(t); c["status"] != "rejected" || c["rejection_reason"] != reason {
			t.Fatalf("after a refused resubmission: %v", c)
		}
		// The carrier already reviews it (naive's rejection is stale): the
		// resubmission adopts that instead of failing.
		if err := sim.SetCampaignStatus(carrierID, "in_review"); err != nil {
			t.Fatal(err)
		}
		if r := h.must(200, h.call("POST", resubmit, h.testKey, nil)).json(t); r["status"] != "in_review" {
			t.Fatalf("resubmit while the carrier reviews: %v", r)
		}
		if err := sim.SetCampaignStatus(carrierID, "rejected"); err != nil {
			t.Fatal(err)
		}
		waitCampaign("rejected")

		// The legal name cannot change after formation; fix the profile's
		// website, then resubmit with a description that no longer carries
		// the sandbox's magic (the default one quotes the legal name): in
		// review, then active.
		h.must(200, h.call("PATCH", "/v1/subjects/"+sid, h.testKey, `{"website":"https://acme-robotics.example"}`))
		r := h.must(200, h.call("POST", resubmit, h.testKey,
			`{"description":"Acme Robotics uses SMS to answer customer care requests and send account notifications to customers who opted in.",`+
				`"message_samples":["You are now opted in to texts from Acme Robotics. Reply STOP to opt out.","Acme Robotics: your order [order id] has shipped. Reply STOP to opt out."]}`)).json(t)
		if r["status"] != "in_review" || r["rejection_reason"] != nil {
			t.Fatalf("resubmitted %v", r)
		}
		waitCampaign("active")
		if b := h.balance(h.testKey); b != balance {
			t.Fatalf("resubmissions charged: balance %d, was %d", b, balance)
		}
		h.must(201, h.call("POST", base+"/"+pid+"/sms", h.testKey, `{"to":"+14155550123","body":"Back in business"}`))

		// Active: 409 with the status.
		if r := h.call("POST", resubmit, h.testKey, nil); r.Status != 409 || r.errField(t, "status") != "active" {
			t.Fatalf("resubmit active: %d %s", r.Status, r.Body)
		}
		// Events: rejected → in_review once per resubmission that reached the
		// carrier (the concurrent pair's winner, the refused one — followed
		// by its way back to rejected —, the adopted one, the fixed one).
		evs := h.must(200, h.call("GET", "/v1/events?type=campaign.updated&limit=100", h.testKey, nil)).json(t)["data"].([]any)
		resubmissions := 0
		for _, e := range evs {
			d := e.(map[string]any)["data"].(map[string]any)
			if d["previous_status"] == "rejected" && d["status"] == "in_review" {
				resubmissions++
			}
		}
		if resubmissions != 4 {
			t.Fatalf("%d resubmission events, want 4", resubmissions)
		}
	})
}
