package e2e_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/telnyx"
)

// telnyxSigned posts a Telnyx webhook signed, at ts, with the key of the
// Telnyx simulator (the key test mode verifies Telnyx webhooks with).
func (h *harness) telnyxSigned(ts time.Time, body string) resp {
	h.t.Helper()
	return h.telnyxPost(h.app.TelnyxSandbox().SignWebhook(ts, []byte(body)), body)
}

// telnyxPost posts body to POST /webhooks/telnyx with the signature headers of sig.
func (h *harness) telnyxPost(sig http.Header, body string) resp {
	h.t.Helper()
	return h.call("POST", "/webhooks/telnyx", "", body,
		telnyx.HeaderSignature, sig.Get(telnyx.HeaderSignature), telnyx.HeaderTimestamp, sig.Get(telnyx.HeaderTimestamp))
}

// telnyxCampaignUpdate is a 10DLC campaign status update as Telnyx posts
// it: a bare object, no envelope, no event id.
func telnyxCampaignUpdate(brandID, campaignID, typ, status, desc string) string {
	b, err := json.Marshal(telnyx.CampaignStatusUpdate{BrandID: brandID, CampaignID: campaignID, CSPID: "SANDBOX",
		Type: typ, Status: status, Description: desc})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// telnyxEnvelope is a v2 event as Telnyx posts it: {"data":{...},"meta":{...}}.
func telnyxEnvelope(id, typ string, payload any) string {
	b, err := json.Marshal(map[string]any{
		"data": map[string]any{"id": id, "event_type": typ, "occurred_at": time.Now().UTC().Format(time.RFC3339Nano),
			"record_type": "event", "payload": payload},
		"meta": map[string]any{"attempt": 1, "delivered_to": "http://127.0.0.1/webhooks/telnyx"},
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// campaignUpdates returns the statuses of the campaign.updated events, oldest first.
func campaignUpdates(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	for _, e := range h.must(200, h.call("GET", "/v1/events?type=campaign.updated", h.testKey, nil)).json(t)["data"].([]any) {
		out = append([]string{e.(map[string]any)["data"].(map[string]any)["status"].(string)}, out...)
	}
	return out
}

// TestTelnyxWebhooks: the Telnyx sandbox approves the campaign and tells
// us with signed 10DLC campaign status updates, like Telnyx; outbound
// unlocks with its events once. POST /webhooks/telnyx verifies Ed25519
// signatures over "<timestamp>|<body>": missing, wrong-key, stale and
// tampered ones are 401; duplicates and unknown types are accepted and
// ignored; a signed body that is no Telnyx event is 400. It picks Telnyx
// itself, so it runs on every pass of the suite.
func TestTelnyxWebhooks(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		// A long poll interval: the webhooks, not the poller, must do it.
		h := start(t, db, sandboxCarrier("telnyx"), func(o *app.Options) { o.SandboxReviewDelay = time.Second; o.PollInterval = time.Hour })
		p1 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"212"}`))
		deadline := time.Now().Add(10 * time.Second)
		for {
			c := h.must(200, h.call("GET", "/v1/phone/"+p1+"/campaign", h.testKey, nil)).json(t)
			if c["status"] == "active" {
				if c["eta"] != nil {
					t.Fatalf("active campaign keeps an eta: %v", c)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("campaign never activated by webhook: %v", c)
			}
			time.Sleep(20 * time.Millisecond)
		}
		ph := h.must(200, h.call("GET", "/v1/phone/"+p1, h.testKey, nil)).json(t)
		if ph["capabilities"].(map[string]any)["sms_outbound"] != true {
			t.Fatalf("outbound not unlocked: %v", ph)
		}
		// Telnyx posts REGISTRATION success (in review), then TELNYX_REVIEW
		// and MNO_REVIEW accepted (active), and nothing per number: the
		// transitions yield one campaign.updated each, and one outbound
		// event per number.
		time.Sleep(300 * time.Millisecond) // let any late webhook land
		if n := len(h.must(200, h.call("GET", "/v1/events?type=phone.outbound_enabled", h.testKey, nil)).json(t)["data"].([]any)); n != 2 {
			t.Fatalf("%d phone.outbound_enabled events, want 2", n)
		}
		// (The registration's update may come before the provision has
		// recorded the campaign, on a busy machine: it is then ignored.)
		ups := fmt.Sprint(campaignUpdates(t, h))
		if ups != "[in_review active]" && ups != "[active]" {
			t.Fatalf("campaign.updated events %v, want in_review then active", ups)
		}

		// Verification: missing, wrong-key, stale and tampered signatures are 401.
		tsim := h.app.TelnyxSandbox()
		body := telnyxCampaignUpdate("nope", "cpn_nope", telnyx.CampaignEventMNOReview, telnyx.CampaignEventAccepted, "accepted")
		if r := h.call("POST", "/webhooks/telnyx", "", body); r.Status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("unsigned: %d %s", r.Status, r.Body)
		}
		signedAt := time.Now()
		sig := tsim.SignWebhook(signedAt, []byte(body))
		if r := h.call("POST", "/webhooks/telnyx", "", body, telnyx.HeaderSignature, sig.Get(telnyx.HeaderSignature)); r.Status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("no timestamp: %d %s", r.Status, r.Body)
		}
		_, other, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if r := h.telnyxPost(telnyx.SignWebhook(other, time.Now(), []byte(body)), body); r.Status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("wrong key: %d %s", r.Status, r.Body)
		}
		if r := h.telnyxSigned(time.Now().Add(-6*time.Minute), body); r.Status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("stale: %d %s", r.Status, r.Body)
		}
		if r := h.telnyxSigned(time.Now().Add(6*time.Minute), body); r.Status != 401 {
			t.Fatalf("from the future: %d %s", r.Status, r.Body)
		}
		if r := h.telnyxPost(sig, body+" "); r.Status != 401 {
			t.Fatalf("tampered body: %d %s", r.Status, r.Body)
		}
		// Signed over another timestamp than the header's: tampered too.
		// (Timestamps are whole seconds: sign two seconds before, so the
		// two never round to the same one.)
		moved := tsim.SignWebhook(signedAt.Add(-2*time.Second), []byte(body))
		moved.Set(telnyx.HeaderTimestamp, sig.Get(telnyx.HeaderTimestamp))
		if r := h.telnyxPost(moved, body); r.Status != 401 {
			t.Fatalf("tampered timestamp: %d %s", r.Status, r.Body)
		}
		// Authentic: accepted, though the campaign is none of ours.
		h.must(200, h.telnyxPost(sig, body))
		// Unknown types are accepted and ignored; duplicates too.
		unknown := telnyxEnvelope("evt_x2", "call.initiated", map[string]any{"call_control_id": "v3:x"})
		h.must(200, h.telnyxSigned(time.Now(), unknown))
		h.must(200, h.telnyxSigned(time.Now(), unknown))
		if r := h.telnyxSigned(time.Now(), `not json`); r.Status != 400 || r.errCode(t) != "invalid_input" {
			t.Fatalf("garbage: %d %s", r.Status, r.Body)
		}
		if r := h.telnyxSigned(time.Now(), `{"hello":"world"}`); r.Status != 400 || r.errCode(t) != "invalid_input" {
			t.Fatalf("not a Telnyx event: %d %s", r.Status, r.Body)
		}
		// None of it moved the campaign or made events.
		if after := fmt.Sprint(campaignUpdates(t, h)); after != ups {
			t.Fatalf("campaign.updated events %v after the forged webhooks, were %v", after, ups)
		}
	})
}

// TestTelnyxCampaignStatusNeverMovesBack: a campaign approved by Telnyx's
// signed status update stays active whatever comes later — a poll that
// still reads the review, a late or redelivered "in review" update, the
// approval again. It picks Telnyx itself.
func TestTelnyxCampaignStatusNeverMovesBack(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db", sandboxCarrier("telnyx"), func(o *app.Options) { o.PollInterval = time.Hour })
	r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
	pid := r["phone"].(map[string]any)["id"].(string)
	tsim := h.app.TelnyxSandbox()
	cp := tsim.Campaigns()[0]
	// The sandbox's review stays where it is (submitted), sending nothing.
	if err := tsim.SetCampaignStatus(cp.CampaignID, telnyx.CampaignTCRPending); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		return h.must(200, h.call("GET", "/v1/phone/"+pid+"/campaign", h.testKey, nil)).json(t)["status"].(string)
	}
	approve := telnyxCampaignUpdate(cp.BrandID, cp.CampaignID, telnyx.CampaignEventMNOReview, telnyx.CampaignEventAccepted,
		"The mobile operators accepted the campaign.")
	h.must(200, h.telnyxSigned(time.Now(), approve))
	if s := status(); s != "active" {
		t.Fatalf("after the approval: %s", s)
	}
	// The poller now reads the sandbox's campaign still submitted: nothing moves back.
	h.app.Service().PollCampaigns(context.Background())
	if s := status(); s != "active" {
		t.Fatalf("moved back by a poll: %s", s)
	}
	// Late "in review" updates (the registration, Telnyx's own review),
	// each twice, and the approval redelivered: acknowledged, no change.
	for _, late := range []string{
		telnyxCampaignUpdate(cp.BrandID, cp.CampaignID, telnyx.CampaignEventRegistration, telnyx.CampaignEventSuccess, "The campaign was registered with TCR."),
		telnyxCampaignUpdate(cp.BrandID, cp.CampaignID, telnyx.CampaignEventTelnyxReview, telnyx.CampaignEventAccepted, "Telnyx accepted the campaign."),
		approve,
	} {
		h.must(200, h.telnyxSigned(time.Now(), late))
		h.must(200, h.telnyxSigned(time.Now(), late))
		if s := status(); s != "active" {
			t.Fatalf("moved back by %s: %s", late, s)
		}
	}
	if ups := campaignUpdates(t, h); fmt.Sprint(ups) != "[active]" {
		t.Fatalf("campaign.updated events %v, want one (active)", ups)
	}
}
