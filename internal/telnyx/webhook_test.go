package telnyx_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/telnyx"
)

func TestParseWebhookShapes(t *testing.T) {
	cu := []byte(`{"brandId":"b1","campaignId":"c1","type":"MNO_REVIEW","status":"ACCEPTED","description":"ok (#1)"}`)
	ev, err := telnyx.ParseWebhook(cu)
	if err != nil || ev.Campaign == nil || ev.Campaign.CampaignID != "c1" || ev.Type != telnyx.EventCampaignStatus {
		t.Fatalf("campaign update = %+v, %v", ev, err)
	}
	again, _ := telnyx.ParseWebhook(cu)
	other, _ := telnyx.ParseWebhook([]byte(`{"brandId":"b1","campaignId":"c1","type":"MNO_REVIEW","status":"ACCEPTED","description":"ok (#2)"}`))
	if again.ID != ev.ID || other.ID == ev.ID {
		t.Fatalf("ids: %s %s %s", ev.ID, again.ID, other.ID)
	}
	unknown := []byte(`{"data":{"id":"e1","event_type":"number_order.complete","occurred_at":"2026-03-01T12:00:00Z","payload":{"id":"o1"}}}`)
	ev, err = telnyx.ParseWebhook(unknown)
	if err != nil || ev.ID != "e1" || ev.Message != nil || ev.Campaign != nil || ev.OccurredAt.IsZero() {
		t.Fatalf("unknown type = %+v, %v", ev, err)
	}
	if _, err := telnyx.ParseWebhook([]byte(`[1,2]`)); !errors.Is(err, telnyx.ErrWebhookUnreadable) {
		t.Fatalf("array body: %v", err)
	}
	ev, err = telnyx.ParseWebhook([]byte(`{"data":{"id":"e2","event_type":"message.sent","payload":{"text":"no id"}}}`))
	if !errors.Is(err, telnyx.ErrWebhookUnreadable) || ev == nil || ev.ID != "e2" {
		t.Fatalf("message without id = %+v, %v", ev, err)
	}

	// Through the adapter: an authentic event of no use is EventOther, and
	// an authentic unreadable one is still returned for the record.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	cr, err := telnyx.NewCarrier(nil, telnyx.CarrierConfig{PublicKey: encode(pub)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	out, err := cr.ParseWebhook(telnyx.SignWebhook(priv, now, unknown), unknown, now)
	if err != nil || out.Kind != carrier.EventOther || out.ID != "e1" || out.Type != "number_order.complete" {
		t.Fatalf("other event = %+v, %v", out, err)
	}
	bad := []byte(`{"data":{"id":"e2","event_type":"message.sent","payload":{"text":"no id"}}}`)
	out, err = cr.ParseWebhook(telnyx.SignWebhook(priv, now, bad), bad, now)
	if !errors.Is(err, carrier.ErrUnreadable) || out == nil || out.ID != "e2" || out.Kind != carrier.EventOther {
		t.Fatalf("unreadable event = %+v, %v", out, err)
	}
	dormant := []byte(`{"brandId":"b1","campaignId":"c1","type":"TELNYX_EVENT","status":"DORMANT"}`)
	out, err = cr.ParseWebhook(telnyx.SignWebhook(priv, now, dormant), dormant, now)
	if err != nil || out.Kind != carrier.EventOther || out.BrandID != "b1" {
		t.Fatalf("dormant update = %+v, %v", out, err)
	}
}

func encode(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }
