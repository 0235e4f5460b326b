package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// EventTypes are the event types endpoints may subscribe to.
var EventTypes = []string{naive.EventPhoneProvisioned, naive.EventPhoneReleased, naive.EventPhoneOutboundEnabled,
	naive.EventCampaignUpdated, naive.EventSMSReceived, naive.EventSMSStatus, naive.EventApprovalRequested, naive.EventApprovalResolved}

// EventWebhookTest is the type of the event POST /v1/webhooks/{id}/test sends.
const EventWebhookTest = "webhook.test"

// CreateWebhook registers an endpoint for the caller's events; its signing
// secret (whsec_…) is shown once.
//
// Errors: invalid_input.
func (s *Service) CreateWebhook(ctx context.Context, req naive.WebhookRequest) (*naive.WebhookEndpoint, error) {
	if err := s.owner(ctx, "managing webhook endpoints"); err != nil {
		return nil, err
	}
	p, err := s.operatorWide(ctx, "managing webhook endpoints")
	if err != nil {
		return nil, err
	}
	if !validURL(req.URL) {
		return nil, naive.InvalidParam("url", "url must be an http(s) URL of at most 255 characters.")
	}
	types := []string{}
	for _, t := range req.EventTypes {
		if !slices.Contains(EventTypes, t) {
			return nil, naive.InvalidParam("event_types", "Unknown event type %q.", t).WithHint("Use any of: %v; an empty list means all.", EventTypes)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	e := &naive.WebhookEndpoint{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, URL: req.URL, EventTypes: types,
		SigningSecret: webhooksig.NewSecret(), CreatedAt: s.now()}
	if err := s.store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, err
	}
	e.Secret = e.SigningSecret
	return e, nil
}

// ListWebhooks lists the caller's endpoints (never their secrets).
func (s *Service) ListWebhooks(ctx context.Context, lp naive.ListParams) (*naive.List[naive.WebhookEndpoint], error) {
	if _, err := s.operatorWide(ctx, "managing webhook endpoints"); err != nil {
		return nil, err
	}
	return list(ctx, s, lp, func(p naive.Principal, pg naive.Page) ([]naive.WebhookEndpoint, error) {
		return s.store.ListWebhookEndpoints(ctx, p.Scope(), false, pg)
	}, func(x naive.WebhookEndpoint) string { return x.ID })
}

func (s *Service) endpoint(ctx context.Context, p naive.Principal, id string) (*naive.WebhookEndpoint, error) {
	if !validUUID(id) {
		return nil, naive.NotFound("webhook", id)
	}
	e, err := s.store.GetWebhookEndpoint(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.AgentID != "") {
		return nil, naive.NotFound("webhook", id)
	}
	return e, err
}

// callerEndpoint is the caller of an action on one of its endpoints, and
// the endpoint (agents' own endpoints are not found here).
func (s *Service) callerEndpoint(ctx context.Context, id string) (naive.Principal, *naive.WebhookEndpoint, error) {
	p, err := s.operatorWide(ctx, "managing webhook endpoints")
	if err != nil {
		return p, nil, err
	}
	e, err := s.endpoint(ctx, p, id)
	return p, e, err
}

// GetWebhook returns one of the caller's endpoints, never its secret.
func (s *Service) GetWebhook(ctx context.Context, id string) (*naive.WebhookEndpoint, error) {
	_, e, err := s.callerEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	out := *e
	out.SigningSecret = "" // not even in process: no caller needs it
	return &out, nil
}

// DeleteWebhook removes an endpoint; its pending deliveries stop.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if err := s.owner(ctx, "managing webhook endpoints"); err != nil {
		return err
	}
	p, _, err := s.callerEndpoint(ctx, id)
	if err != nil {
		return err
	}
	err = s.store.DeleteWebhookEndpoint(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) {
		return naive.NotFound("webhook", id)
	}
	return err
}

// TestWebhook sends a signed webhook.test event to an endpoint now, once,
// and answers the delivery with its attempt.
func (s *Service) TestWebhook(ctx context.Context, id string) (*naive.Delivery, error) {
	if err := s.owner(ctx, "sending test webhooks"); err != nil {
		return nil, err
	}
	p, e, err := s.callerEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	ev, err := s.event(p.Scope(), EventWebhookTest, map[string]string{"endpoint_id": e.ID, "message": "This is a test event from naive."})
	if err != nil {
		return nil, err
	}
	if err := s.store.AddEvent(ctx, ev); err != nil {
		return nil, err
	}
	d, _, err := s.store.CreateDelivery(ctx, &naive.Delivery{ID: newID(), EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type,
		Status: naive.DeliveryPending, OperatorID: p.OperatorID, Mode: p.Mode, CreatedAt: s.now(), UpdatedAt: s.now()})
	if err != nil {
		return nil, err
	}
	_ = s.AttemptDelivery(ctx, d.ID, 1, time.Time{})
	return s.store.GetDelivery(ctx, d.ID)
}

// ListDeliveries lists an endpoint's deliveries with their attempts.
func (s *Service) ListDeliveries(ctx context.Context, id string, lp naive.ListParams) (*naive.List[naive.Delivery], error) {
	p, _, err := s.callerEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListDeliveries(ctx, p.Scope(), id, pg)
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(x naive.Delivery) string { return x.ID })
	return &l, nil
}

// ResendDelivery makes one more attempt of a finished delivery now — after
// its endpoint was fixed, say — and answers the delivery with it. The
// attempt is signed afresh with the event's own id (webhook-id), so a
// receiver that took an earlier one deduplicates this one. A delivery still
// pending (its retries scheduled) is refused: the next retry sends it.
func (s *Service) ResendDelivery(ctx context.Context, endpointID, deliveryID string) (*naive.Delivery, error) {
	if err := s.owner(ctx, "resending webhook deliveries"); err != nil {
		return nil, err
	}
	p, e, err := s.callerEndpoint(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	if !validUUID(deliveryID) {
		return nil, naive.NotFound("delivery", deliveryID)
	}
	d, err := s.store.GetDelivery(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.OperatorID != p.OperatorID || d.Mode != p.Mode || d.EndpointID != e.ID)) {
		return nil, naive.NotFound("delivery", deliveryID)
	}
	if err != nil {
		return nil, err
	}
	errPending := naive.Errorf(naive.EConflict, "Delivery %s is still being retried; nothing was sent now.", deliveryID).
		WithHint("Wait for its next attempt, then resend it if it failed: GET /v1/webhooks/%s/deliveries (or `naive webhooks deliveries %s`) shows each attempt.", endpointID, endpointID)
	if d.Status == naive.DeliveryPending {
		return nil, errPending
	}
	att, err := s.post(ctx, d, e)
	if err != nil {
		return nil, err
	}
	status := naive.DeliverySucceeded
	if att.Error != "" {
		status = naive.DeliveryFailed
	}
	// The attempt and the status in one transaction: never left pending
	// with no retry to come.
	got, err := s.store.RecordResend(context.WithoutCancel(ctx), p.Scope(), e.ID, d.ID, att, status)
	if errors.Is(err, store.ErrConflict) {
		return nil, errPending
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("delivery", deliveryID)
	}
	return got, err
}

// FanOutEvent creates one delivery per endpoint that wants an event and
// returns their ids, new or not (a retried fan-out finds the same ones).
// An agent's own endpoint gets sms.received only for numbers it is
// assigned to with receive_sms.
func (s *Service) FanOutEvent(ctx context.Context, eventID string) ([]string, error) {
	ev, err := s.store.GetEvent(ctx, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || ev.Type == EventWebhookTest {
		return nil, err
	}
	sc := naive.Scope{OperatorID: ev.OperatorID, Mode: ev.Mode}
	var ids []string
	after := ""
	for {
		eps, err := s.store.ListWebhookEndpoints(ctx, sc, true, naive.Page{Limit: 200, After: after})
		if err != nil {
			return nil, err
		}
		for _, e := range eps {
			ok, err := s.wants(ctx, sc, &e, ev)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			d, _, err := s.store.CreateDelivery(ctx, &naive.Delivery{ID: newID(), EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type,
				Status: naive.DeliveryPending, OperatorID: ev.OperatorID, Mode: ev.Mode, CreatedAt: s.now(), UpdatedAt: s.now()})
			if err != nil {
				return nil, err
			}
			if d.Status == naive.DeliveryPending {
				ids = append(ids, d.ID)
			}
		}
		if len(eps) < 200 {
			return ids, nil
		}
		after = eps[len(eps)-1].ID
	}
}

func (s *Service) wants(ctx context.Context, sc naive.Scope, e *naive.WebhookEndpoint, ev *naive.Event) (bool, error) {
	if len(e.EventTypes) > 0 && !slices.Contains(e.EventTypes, ev.Type) {
		return false, nil
	}
	if e.AgentID == "" {
		return true, nil
	}
	if ev.Type != naive.EventSMSReceived {
		return false, nil
	}
	var m naive.Message
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		return false, nil
	}
	as, err := s.store.ListAssignments(ctx, sc, m.PhoneID)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.AgentID == e.AgentID && slices.Contains(a.Permissions, naive.PermReceiveSMS) {
			return true, nil
		}
	}
	return false, nil
}

// webhookBody is what an endpoint receives.
type webhookBody struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Mode      naive.Mode      `json:"mode"`
	Data      json.RawMessage `json:"data"`
}

// ErrDeliveryFailed is returned by AttemptDelivery when the endpoint did not
// take the event; the caller retries later.
var ErrDeliveryFailed = errors.New("webhook delivery failed")

// AttemptDelivery makes attempt n of a delivery: a POST signed per
// Standard Webhooks (webhook-id is the event id, stable across retries),
// recorded with its status and duration. A 2xx answer succeeds; anything
// else returns ErrDeliveryFailed and records next as the time of the next
// attempt — or, when next is zero (the last attempt), ends the delivery
// failed.
// A delivery that is no longer pending (done, or its endpoint deleted) is
// left alone and returns nil.
func (s *Service) AttemptDelivery(ctx context.Context, deliveryID string, n int, next time.Time) error {
	d, err := s.store.GetDelivery(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Status != naive.DeliveryPending {
		return nil
	}
	sc := naive.Scope{OperatorID: d.OperatorID, Mode: d.Mode}
	e, err := s.store.GetWebhookEndpoint(ctx, sc, d.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	att, err := s.post(ctx, d, e)
	if err != nil {
		return err
	}
	att.N = n
	status, nextAt := naive.DeliverySucceeded, (*time.Time)(nil)
	if att.Error != "" {
		status = naive.DeliveryFailed
		if !next.IsZero() {
			status, nextAt = naive.DeliveryPending, &next
		}
	}
	if rerr := s.store.RecordAttempt(context.WithoutCancel(ctx), d.ID, att, status, nextAt); rerr != nil && !errors.Is(rerr, store.ErrConflict) {
		return rerr
	}
	if status != naive.DeliverySucceeded {
		return fmt.Errorf("%w: %s", ErrDeliveryFailed, att.Error)
	}
	return nil
}

// post makes one attempt of a delivery to its endpoint: a POST signed per
// Standard Webhooks (webhook-id is the event id, stable across attempts),
// answered as the attempt to record — its Error set when the endpoint did
// not take it. An error is one of reading or signing, before any POST.
func (s *Service) post(ctx context.Context, d *naive.Delivery, e *naive.WebhookEndpoint) (naive.Attempt, error) {
	ev, err := s.store.GetEvent(ctx, d.EventID)
	if err != nil {
		return naive.Attempt{}, err
	}
	body, err := json.Marshal(webhookBody{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt, Mode: ev.Mode, Data: ev.Data})
	if err != nil {
		return naive.Attempt{}, err
	}
	now := s.now()
	sig, err := webhooksig.Sign(e.SigningSecret, ev.ID, now, body)
	if err != nil {
		return naive.Attempt{}, err
	}
	att := naive.Attempt{At: now}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "naive-webhooks/1")
		req.Header.Set(webhooksig.HeaderID, ev.ID)
		req.Header.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(webhooksig.HeaderSignature, sig)
		var res *http.Response
		res, err = s.webhookClient(d.Mode).Do(req)
		if err == nil {
			att.StatusCode = res.StatusCode
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
		}
	}
	att.DurationMS = time.Since(start).Milliseconds()
	switch {
	case err != nil:
		att.Error = deliveryError(err, d.Mode)
	case att.StatusCode < 200 || att.StatusCode > 299:
		att.Error = fmt.Sprintf("endpoint answered %d", att.StatusCode)
	}
	return att, nil
}

// webhookClient posts deliveries: bounded time, no redirects followed (a
// redirect is an answer, not a delivery). Deliveries may not reach
// private, link-local, carrier-grade NAT or otherwise internal addresses
// (checked on the resolved address, at connect time), so an endpoint URL
// cannot be used to probe the server's own network; test mode may reach
// loopback, for local development, and nothing else internal.
func (s *Service) webhookClient(mode naive.Mode) *http.Client {
	if s.cfg.WebhookClient != nil {
		return s.cfg.WebhookClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	control := publicOnly
	if mode == naive.ModeTest {
		control = publicOrLoopback
	}
	d := &net.Dialer{Timeout: 5 * time.Second, Control: control}
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{Timeout: webhookTimeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// webhookTimeout bounds one delivery attempt.
const webhookTimeout = 10 * time.Second

// errInternalAddress refuses a webhook target inside the server's network.
var errInternalAddress = errors.New("webhook target resolves to an internal address")

// publicOnly is a net.Dialer Control refusing non-public addresses.
func publicOnly(_, address string, _ syscall.RawConn) error {
	ip, err := dialedIP(address)
	if err != nil {
		return err
	}
	if internal(ip) {
		return fmt.Errorf("%w (%s)", errInternalAddress, ip)
	}
	return nil
}

// publicOrLoopback is publicOnly that lets loopback through.
func publicOrLoopback(_, address string, _ syscall.RawConn) error {
	ip, err := dialedIP(address)
	if err != nil {
		return err
	}
	if internal(ip) && !ip.IsLoopback() {
		return fmt.Errorf("%w (%s)", errInternalAddress, ip)
	}
	return nil
}

func dialedIP(address string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return netip.Addr{}, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, err
	}
	return ip.Unmap(), nil
}

func internal(ip netip.Addr) bool {
	return !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// deliveryError says why an attempt did not reach the endpoint, in words
// that tell the endpoint's owner what to fix and nothing of the server's
// network (no internal addresses, ports or resolver details).
func deliveryError(err error, mode naive.Mode) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, errInternalAddress):
		if mode == naive.ModeTest {
			return "refused: the endpoint's address is internal (private, link-local or similar); test mode reaches public and loopback addresses only"
		}
		return "refused: the endpoint's address is internal (loopback, private, link-local or similar); deliveries go to public addresses only"
	case errors.As(err, &dnsErr):
		return "could not resolve the endpoint's host name"
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timed out (no answer within %s)", webhookTimeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before an answer"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "TLS failed (check the endpoint's certificate)"
	}
	return "could not connect to the endpoint"
}

// operatorWide is the caller of an action on the operator's whole stream
// (events, webhook endpoints): humans and keys not bound to an agent. An
// agent-bound key sees only the numbers it is assigned to, and hears of
// them through its agent's own webhook_url.
func (s *Service) operatorWide(ctx context.Context, what string) (naive.Principal, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return p, err
	}
	if p.Kind == naive.PrincipalAgent && p.AgentID != "" {
		return p, (&naive.Error{Code: naive.EForbidden, Message: "A key bound to an agent cannot do this: " + what + "."}).
			WithHint("Use an operator key or a human session; the agent receives its texts at its webhook_url (PATCH /v1/agents/%s).", p.AgentID)
	}
	return p, nil
}
