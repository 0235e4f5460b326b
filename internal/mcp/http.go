package mcp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// Authenticator resolves a bearer token to a principal; the in-process
// service implements it. mode is the Naive-Mode header ("" for none).
type Authenticator interface {
	Authenticate(ctx context.Context, token, mode string) (naive.Principal, error)
}

// LocalService is the in-process service: the contract plus authentication.
type LocalService interface {
	naive.Service
	Authenticator
}

type serverKey struct{}

// NewHTTPHandler returns the streamable HTTP MCP endpoint over the
// in-process service. Every HTTP request is authenticated on its own — the
// endpoint is stateless, so there is no session whose credentials could
// outlive a revoked key: a bad, missing or revoked key answers 401 (the error
// envelope) and no tool runs. Each request gets a server whose tools act
// through svc as the request's principal.
func NewHTTPHandler(svc LocalService, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := sdk.NewStreamableHTTPHandler(func(r *http.Request) *sdk.Server {
		s, _ := r.Context().Value(serverKey{}).(*sdk.Server)
		return s
	}, &sdk.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: log})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = strings.TrimSpace(v)
		}
		for _, name := range []string{"Naive-Mode", "Naive-Subject"} {
			if err := naive.CheckHeaderText(name, r.Header.Get(name)); err != nil {
				writeAuthError(w, err)
				return
			}
		}
		p, err := svc.Authenticate(r.Context(), token, r.Header.Get("Naive-Mode"))
		if err != nil {
			writeAuthError(w, err)
			return
		}
		view := Bind(svc, p, r.Header.Get("Naive-Subject"))
		r = r.WithContext(context.WithValue(r.Context(), serverKey{}, NewServer(view)))
		h.ServeHTTP(w, r)
	})
}

// writeAuthError answers a refused credential or header with the API's
// error envelope.
func writeAuthError(w http.ResponseWriter, err error) {
	e := naive.AsError(err)
	obj := map[string]any{"code": e.Code, "message": e.Message, "request_id": w.Header().Get("Request-Id")}
	if e.Param != "" {
		obj["param"] = e.Param
	}
	if e.Hint != "" {
		obj["hint"] = hints.For(hints.MCP, e.Hint)
	}
	if e.Code == naive.EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="naive"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status())
	_ = json.NewEncoder(w).Encode(map[string]any{"error": obj})
}
