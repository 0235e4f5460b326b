package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// Config configures the HTTP server.
type Config struct {
	// RateLimit is each caller's sustained requests per second (0: no
	// limit), with RateBurst requests allowed at once.
	RateLimit float64
	RateBurst int
	// IdempotencyWait bounds how long a duplicate request waits for the
	// first one with the same key (default 30s).
	IdempotencyWait time.Duration
	// Sandbox, when set, is mounted at /sandbox/surge/ (test mode's carrier).
	Sandbox http.Handler
	// SandboxInbound, when set, makes the sandbox carrier deliver an inbound
	// text (POST /v1/sandbox/sms, test mode only).
	SandboxInbound func(carrier, to, from, body string) error
	// SandboxVerificationNumber is the sandbox's number that sole
	// proprietors' verification texts come from; a text to it from the
	// contact's phone is the owner's reply (YES verifies).
	SandboxVerificationNumber string
	// MCP, when set, is mounted at /mcp: the streamable HTTP MCP endpoint,
	// which authenticates every request itself.
	MCP http.Handler
	// TrustForwardedFor takes a login's client address (what failed logins
	// are throttled by) from X-Forwarded-For, for a server behind a
	// reverse proxy that sets it; otherwise it is the peer's address.
	TrustForwardedFor bool
	// Console, when set, is mounted at /console/: the web console for
	// humans (internal/console). GET / then redirects a browser (Accept:
	// text/html) to it; other clients keep the JSON 404.
	Console http.Handler
}

// Server is the REST API.
type Server struct {
	limit *limiter
	cfg   Config
	// svc runs the operations; handlers call nothing else but the
	// interfaces below (deps.go).
	svc     naive.Service
	auth    Authenticator
	carrier CarrierWebhookReceiver
	idem    IdempotencyStore
	pinger  Pinger
	phones  PhoneFinder
	log     *slog.Logger
	mux     *http.ServeMux
	// patterns are the registered routes' patterns (routes.go).
	patterns []string
}

// NewServer returns the API as an http.Handler, acting through d.
func NewServer(cfg Config, d Deps, log *slog.Logger) *Server {
	if cfg.IdempotencyWait == 0 {
		cfg.IdempotencyWait = 30 * time.Second
	}
	s := &Server{cfg: cfg, svc: d.Service, auth: d.Auth, carrier: d.Carrier, idem: d.Idempotency, pinger: d.Ready, phones: d.Phones,
		log: log, mux: http.NewServeMux(), limit: newLimiter(cfg.RateLimit, cfg.RateBurst, d.Rates, log)}
	s.routes()
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.outer(http.HandlerFunc(s.dispatch)).ServeHTTP(w, r)
}

// dispatch routes a request, answering unknown routes and methods with the
// error envelope rather than the mux's plain text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// No route: the mux's own answer says whether it is a 405, a
		// redirect or a 404. Catch it to reword it.
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeError(w, r, s.log, (&naive.Error{Code: naive.EMethodNotAllowed,
				Message: r.Method + " is not allowed on " + r.URL.Path + "."}).WithHint("Allowed: %s.", rec.header.Get("Allow")))
			return
		}
		if rec.status != http.StatusNotFound {
			// A redirect the mux makes (path cleaning): pass it on.
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers a path no route serves with the error envelope.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, s.log, (&naive.Error{Code: naive.ENotFound, Message: "No route " + r.Method + " " + r.URL.Path + "."}).
		WithHint("See GET /v1/openapi.json for the routes."))
}

// root sends a browser asking for / to the console; any other request
// for / gets the API's 404, as it would without a console.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/console/", http.StatusFound)
		return
	}
	s.noRoute(w, r)
}

// ready reports whether the database answers.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.pinger.Ping(ctx)
}
