package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// grantAmount is what each grant adds: the most one grant may, enough for
// 200,000 numbers at the default price.
const grantAmount = 10_000_000

// Where the texts of the SMS and webhook scenarios come from and go to.
const (
	contactNumber = "+14155550123"
	provisionEIN  = "12-3456789"
)

// areaCodes are the local area codes provisions cycle through: the
// sandbox has fewer than 9,000 numbers per area code and looks for a
// free one by scanning them, so spreading purchases keeps the simulator
// from running out, or from becoming what the scenario measures.
var areaCodes = []string{
	"201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216", "217", "218",
	"219", "224", "225", "228", "301", "302", "303", "304", "305", "307", "308", "309", "310", "312", "313", "314",
	"401", "402", "404", "405", "406", "407", "408", "409", "410", "412", "413", "414", "415", "417", "419", "423",
}

// runScenarios starts the real server in-process on dbURL, prepares a
// number that can text, and measures the four scenarios.
func runScenarios(ctx context.Context, cfg *Config, dbURL string, b0, b1 float64) ([]Row, error) {
	cfg.progress("starting the server (%s)", redact(dbURL))
	password := randomHex(16)
	a, err := app.Start(ctx, app.Options{
		Addr:          "127.0.0.1:0",
		DatabaseURL:   dbURL,
		AdminPassword: password,
		// A campaign is approved a second after the first number, so the
		// SMS scenario need not wait long; the poller notices it soon.
		SandboxReviewDelay: time.Second,
		PollInterval:       250 * time.Millisecond,
		RateLimit:          -1,
		SandboxInMemory:    !cfg.DurableSandbox,
	})
	if err != nil {
		return nil, fmt.Errorf("bench: start server: %w", err)
	}
	defer a.Close()
	boot := a.Bootstrapped()
	if boot == nil {
		return nil, fmt.Errorf("bench: the server's database was seeded before; it must be fresh")
	}
	c := &setupClient{base: a.URL(), hc: &http.Client{Timeout: 30 * time.Second}}
	defer c.hc.CloseIdleConnections()

	// A human grants credits; the agent's test key provisions the number
	// every scenario uses, and waits until its campaign lets it text.
	var login struct{ Token string }
	if err := c.do(ctx, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": boot.AdminEmail, "password": password}, 200, &login); err != nil {
		return nil, err
	}
	grant := func() error {
		return c.do(ctx, http.MethodPost, "/v1/credits/grant", login.Token, map[string]any{"amount": grantAmount}, 201, nil, "Naive-Mode", "test")
	}
	if err := grant(); err != nil {
		return nil, err
	}
	var prov struct {
		Phone struct{ ID string }
	}
	if err := c.do(ctx, http.MethodPost, "/v1/phone/provision", boot.TestKey,
		map[string]string{"ein": provisionEIN, "area_code": "415", "label": "bench"}, 202, &prov); err != nil {
		return nil, err
	}
	phoneID := prov.Phone.ID
	cfg.progress("waiting for number %s to be able to text", phoneID)
	e164, err := c.waitTexting(ctx, boot.TestKey, phoneID, 60*time.Second)
	if err != nil {
		return nil, err
	}

	key := boot.TestKey
	runID := randomHex(4)
	var rows []Row
	run := func(name string, workers int, tr vegeta.Targeter) stats {
		l := newLoader(workers)
		defer l.close()
		cfg.progress("%s: %d workers, %s warm-up, %s", name, workers, cfg.Warmup, cfg.Duration)
		l.attack(ctx, cfg.Warmup, tr)
		return l.attack(ctx, cfg.Duration, tr)
	}

	// GET /v1/phone/{id}: authentication and one read, against B0.
	get := vegeta.Target{Method: http.MethodGet, URL: a.URL() + "/v1/phone/" + phoneID,
		Header: http.Header{"Authorization": {"Bearer " + key}}}
	s := run(RowGet, ReadConcurrency, vegeta.NewStaticTargeter(get))
	rows = append(rows, scenario(RowGet, ReadConcurrency, s, B0, b0, TargetGet))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// POST /v1/phone/provision, each with its own Idempotency-Key.
	if err := grant(); err != nil {
		return nil, err
	}
	var n atomic.Uint64
	s = run(RowProvision, WriteConcurrency, func(t *vegeta.Target) error {
		i := n.Add(1)
		t.Method, t.URL = http.MethodPost, a.URL()+"/v1/phone/provision"
		t.Body = fmt.Appendf(nil, `{"ein":%q,"area_code":%q,"label":"bench"}`, provisionEIN, areaCodes[i%uint64(len(areaCodes))])
		t.Header = http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"},
			"Idempotency-Key": {"bench-" + runID + "-provision-" + strconv.FormatUint(i, 10)}}
		return nil
	})
	rows = append(rows, scenario(RowProvision, WriteConcurrency, s, B1, b1, TargetProvision))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// POST /webhooks/surge: a text arriving at the number, as the carrier
	// sends it, signed, with a fresh event and message id each.
	secret := a.Sandbox().WebhookSecret()
	s = run(RowWebhook, WriteConcurrency, func(t *vegeta.Target) error {
		i := n.Add(1)
		id := "evt_bench_" + runID + "_" + strconv.FormatUint(i, 10)
		body, err := inboundEvent(id, "msg_bench_"+runID+"_"+strconv.FormatUint(i, 10), e164)
		if err != nil {
			return err
		}
		t.Method, t.URL, t.Body = http.MethodPost, a.URL()+"/webhooks/surge", body
		t.Header = http.Header{"Content-Type": {"application/json"}}
		return webhooksig.SetHeaders(t.Header, secret, id, time.Now(), body)
	})
	rows = append(rows, scenario(RowWebhook, WriteConcurrency, s, B1, b1, TargetWebhook))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// POST /v1/phone/{id}/sms, each with its own Idempotency-Key.
	if err := grant(); err != nil {
		return nil, err
	}
	smsBody := fmt.Appendf(nil, `{"to":%q,"body":"hi"}`, contactNumber)
	s = run(RowSMS, WriteConcurrency, func(t *vegeta.Target) error {
		i := n.Add(1)
		t.Method, t.URL, t.Body = http.MethodPost, a.URL()+"/v1/phone/"+phoneID+"/sms", smsBody
		t.Header = http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"},
			"Idempotency-Key": {"bench-" + runID + "-sms-" + strconv.FormatUint(i, 10)}}
		return nil
	})
	rows = append(rows, scenario(RowSMS, WriteConcurrency, s, B1, b1, TargetSMS))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg.progress("stopping the server")
	return rows, nil
}

// inboundEvent is Surge's message.received webhook for a text from
// contactNumber to the number to.
func inboundEvent(eventID, messageID, to string) ([]byte, error) {
	now := time.Now().UTC()
	data, err := json.Marshal(surge.MessageEventData{
		Message: surge.Message{ID: messageID, Body: surge.String("hi"), Attachments: []surge.Attachment{},
			Conversation: surge.Conversation{ID: "cnv_bench",
				Contact:     surge.Contact{ID: "ctc_bench", PhoneNumber: surge.String(contactNumber)},
				PhoneNumber: surge.PhoneNumber{ID: "pn_bench", Number: to, Type: surge.NumberLocal}}},
		ReceivedAt: &now,
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(surge.Event{ID: eventID, Type: surge.EventMessageReceived, Timestamp: now.Truncate(time.Second),
		AccountID: "acct_bench", Data: data})
}

// setupClient makes the few calls that prepare the scenarios.
type setupClient struct {
	base string
	hc   *http.Client
}

// do sends a JSON request and decodes the answer into out, failing on
// any status but want.
func (c *setupClient) do(ctx context.Context, method, path, token string, in any, want int, out any, headers ...string) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	if res.StatusCode != want {
		return fmt.Errorf("bench: %s %s answered %d, want %d: %s", method, path, res.StatusCode, want, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("bench: %s %s: decode %s: %w", method, path, b, err)
	}
	return nil
}

// waitTexting waits until the number can send texts and returns it.
func (c *setupClient) waitTexting(ctx context.Context, key, phoneID string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		var ph struct {
			E164         string
			Status       string
			Capabilities struct {
				SMSOutbound bool `json:"sms_outbound"`
			}
		}
		if err := c.do(ctx, http.MethodGet, "/v1/phone/"+phoneID, key, nil, 200, &ph); err != nil {
			return "", err
		}
		if ph.Capabilities.SMSOutbound && ph.E164 != "" {
			return ph.E164, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("bench: number %s still cannot text after %s (status %s)", phoneID, limit, ph.Status)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// redact hides a database URL's password for progress lines.
func redact(dbURL string) string {
	if !isPostgres(dbURL) {
		return dbURL
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
