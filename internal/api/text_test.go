package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/naive"
)

// anyone authenticates every request as a test-mode agent.
type anyone struct{}

func (anyone) Authenticate(ctx context.Context, token, mode string) (naive.Principal, error) {
	return naive.Principal{Kind: naive.PrincipalAgent, OperatorID: "op", KeyID: "key", Mode: naive.ModeTest}, nil
}

// TestTextRefusedAtTheEdge checks that a NUL or invalid UTF-8 in a body,
// a path value, a query value or a text header is invalid_input naming
// it, before any service call: the server here has no service at all.
func TestTextRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	srv := api.NewServer(api.Config{}, api.Deps{Auth: anyone{}}, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		name, method, target, body string
		header                     []string
		param, says                string
	}{
		{"body NUL", "POST", "/v1/subjects", `{"legal_name":"Acme\u0000"}`, nil, "legal_name", "NUL"},
		{"body nested", "PATCH", "/v1/subjects/x", `{"address":{"city":"\u0000"}}`, nil, "address.city", "NUL"},
		{"body invalid", "POST", "/v1/agents", "{\"name\":\"\xff\"}", nil, "name", "UTF-8"},
		{"body key", "POST", "/v1/agents", `{"na\u0000me":"x"}`, nil, `na\x00me`, "field name"},
		{"path NUL", "GET", "/v1/subjects/a%00b", "", nil, "sid", "NUL"},
		{"path invalid", "GET", "/v1/subjects/a/phone/%ff", "", nil, "id", "UTF-8"},
		{"path second", "DELETE", "/v1/phone/x/assign/%00", "", nil, "agent", "NUL"},
		{"query NUL", "GET", "/v1/events?type=%00", "", nil, "type", "NUL"},
		{"query invalid", "GET", "/v1/phone?agent=%ff", "", nil, "agent", "UTF-8"},
		{"query key", "GET", "/v1/events?ty%00pe=x", "", nil, "ty%00pe", "NUL"},
		{"query unauthenticated route", "GET", "/healthz?x=%00", "", nil, "x", "NUL"},
		{"Idempotency-Key invalid", "POST", "/v1/agents", `{"name":"a"}`, []string{"Idempotency-Key", "k\xff"}, "Idempotency-Key", "UTF-8"},
		{"Idempotency-Key tab", "POST", "/v1/agents", `{"name":"a"}`, []string{"Idempotency-Key", "k\tk"}, "Idempotency-Key", "control"},
		{"Naive-Subject NUL", "GET", "/v1/phone", "", []string{"Naive-Subject", "a\x00"}, "Naive-Subject", "NUL"},
		{"Naive-Mode invalid", "GET", "/v1/phone", "", []string{"Naive-Mode", "t\xffst"}, "Naive-Mode", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Set(tc.header[i], tc.header[i+1])
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			var body struct {
				Error struct{ Code, Param, Message, Hint string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", rec.Code, rec.Body, err)
			}
			e := body.Error
			if rec.Code != http.StatusBadRequest || e.Code != naive.EInvalidInput || e.Param != tc.param ||
				!strings.Contains(e.Message, tc.says) || e.Hint == "" {
				t.Fatalf("got %d %s, want 400 invalid_input on %q saying %q", rec.Code, rec.Body, tc.param, tc.says)
			}
		})
	}
}
