package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/naive"
)

// waitService records the NextMessage it is asked and answers answer.
type waitService struct {
	naive.Service
	subject, phone string
	req            naive.NextMessageRequest
	answer         *naive.Message
}

func (s *waitService) NextMessage(_ context.Context, subjectID, phoneID string, req naive.NextMessageRequest) (*naive.Message, error) {
	s.subject, s.phone, s.req = subjectID, phoneID, req
	return s.answer, nil
}

// anyKey takes every token for a test key.
type anyKey struct{}

func (anyKey) Authenticate(context.Context, string, string) (naive.Principal, error) {
	return naive.Principal{Kind: naive.PrincipalAgent, OperatorID: "op", Mode: naive.ModeTest, KeyID: "key"}, nil
}

// TestNextMessageHandler: the route reads after and timeout (a duration
// or seconds) and answers the message with its codes, or 204.
func TestNextMessageHandler(t *testing.T) {
	t.Parallel()
	svc := &waitService{}
	srv := api.NewServer(api.Config{}, api.Deps{Service: svc, Auth: anyKey{}}, slog.New(slog.DiscardHandler))
	get := func(path string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer nv_sk_test_x")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	svc.answer = &naive.Message{ID: "m2", Direction: naive.DirectionInbound, Body: "Your WhatsApp code: 123-456"}
	rec := get("/v1/phone/p1/messages/next?after=m1&timeout=45s")
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); rec.Code != 200 || err != nil {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	if codes, _ := m["codes"].([]any); len(codes) != 1 || codes[0] != "123456" {
		t.Fatalf("codes of %v", m)
	}
	if svc.phone != "p1" || svc.subject != "" || svc.req != (naive.NextMessageRequest{After: "m1", Timeout: 45 * time.Second}) {
		t.Fatalf("asked %q %q %+v", svc.subject, svc.phone, svc.req)
	}
	for q, want := range map[string]time.Duration{"?timeout=20": 20 * time.Second, "?timeout=1m": time.Minute, "": 0} {
		if rec := get("/v1/phone/p1/messages/next" + q); rec.Code != 200 || svc.req.Timeout != want {
			t.Fatalf("%q: %d, timeout %s, want %s", q, rec.Code, svc.req.Timeout, want)
		}
	}

	svc.answer = nil
	rec = get("/v1/subjects/s1/phone/p1/messages/next?timeout=1s")
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 || svc.subject != "s1" {
		t.Fatalf("nothing arrived: %d %q (subject %q)", rec.Code, rec.Body, svc.subject)
	}

	for _, q := range []string{"soon", "0", "-5s", "0s"} {
		rec := get("/v1/phone/p1/messages/next?timeout=" + q)
		var e struct {
			Error struct{ Code, Param, Hint string } `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != 400 || e.Error.Code != naive.EInvalidInput || e.Error.Param != "timeout" || e.Error.Hint == "" {
			t.Fatalf("timeout=%s: %d %s", q, rec.Code, rec.Body)
		}
	}
}
