package surgesim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// Webhook delivery makes this many attempts per event, backing off from 100ms.
const deliveryAttempts = 5

// emitLocked records an event, queues it for delivery when a WebhookURL is set, and returns it.
func (s *Server) emitLocked(accountID, typ string, data any) surge.Event {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("surgesim: encode %s event: %v", typ, err))
	}
	now := s.now()
	ev := surge.Event{ID: newID("evt", now), Type: typ, Timestamp: now.UTC().Truncate(time.Second), AccountID: accountID, Data: raw}
	s.addEventLocked(s.nextSeq(), ev)
	if s.store != nil {
		// Stored with the write under way; sent by a task, from whichever
		// process runs it, to that process's WebhookURL.
		s.touch(kindEvent, ev.ID)
		if s.cfg.WebhookURL != "" {
			s.queueWebhookLocked(ev.ID, now)
		}
		return ev
	}
	if s.cfg.WebhookURL == "" || s.closed {
		return ev
	}
	s.outbox = append(s.outbox, ev)
	if !s.workerOn {
		s.workerOn = true
		s.wg.Add(1)
		go s.deliverLoop()
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return ev
}

// deliverLoop posts queued events one at a time so the receiver sees them in order.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.outbox) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		ev := s.outbox[0]
		s.outbox = s.outbox[1:]
		s.mu.Unlock()
		s.deliver(ev)
	}
}

// encodeEvent is an event's delivery body.
func encodeEvent(ev surge.Event) []byte {
	body, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("surgesim: encode event: %v", err))
	}
	return body
}

func (s *Server) deliver(ev surge.Event) {
	body := encodeEvent(ev)
	for attempt := range deliveryAttempts {
		if attempt > 0 && !s.wait(s.ctx, 100*time.Millisecond<<(attempt-1)) {
			return
		}
		err := s.post(s.ctx, ev.ID, body)
		if err == nil {
			return
		}
		s.log.Warn("surgesim: webhook delivery failed", "event", ev.ID, "type", ev.Type, "attempt", attempt+1, "err", err)
	}
	s.log.Error("surgesim: webhook dropped after retries", "event", ev.ID, "type", ev.Type)
}

// post sends one signed delivery: Standard Webhooks headers plus the legacy surge-signature.
func (s *Server) post(ctx context.Context, id string, body []byte) error {
	s.mu.Lock()
	secret, url := s.cfg.WebhookSecret, s.cfg.WebhookURL
	s.mu.Unlock()
	ts := s.now()
	sig, err := webhooksig.Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	legacy := hmac.New(sha256.New, []byte(secret))
	legacy.Write([]byte(unix + "."))
	legacy.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "surgesim")
	req.Header.Set(webhooksig.HeaderID, id)
	req.Header.Set(webhooksig.HeaderTimestamp, unix)
	req.Header.Set(webhooksig.HeaderSignature, sig)
	req.Header.Set("surge-signature", "t="+unix+",v1="+hex.EncodeToString(legacy.Sum(nil)))
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}
