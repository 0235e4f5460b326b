// Package console is the human door: a web console where people run their
// operator — approve what agents asked for, buy and release numbers, read
// the texts, hand out keys, onboard subjects, set policy, grant credits and
// wire webhooks. Pages are html/template files embedded in the binary,
// styled with plain CSS; no JavaScript is needed, and one small script
// (static/console.js) only adds copy buttons and stops a form from being
// submitted twice. It calls the in-process service directly, through the
// same naive.Service calls as the REST API, with the logged-in human as the
// principal.
//
// Sessions. Logging in (email + password, service Login) sets the
// naive_session cookie to the session token: HttpOnly, SameSite=Lax, Secure
// when the request came over TLS, and scoped to Path=/console so that the
// browser never sends it to the REST API, whose endpoints take no CSRF
// token. Only a human session token is accepted: an API key in the cookie
// is refused (keys are agent credentials). Logging out deletes the session
// on the server, so the token is dead even if copied.
//
// CSRF. Every POST carries a synchronizer token in a hidden field, checked
// before anything runs; a missing or wrong one is 403 and executes nothing.
// Inside a session the token is HMAC-SHA256(session token, "naive console
// csrf v1"): tied to the session (a new login changes it), unforgeable
// without the HttpOnly cookie, and stateless, so it verifies on any of
// several processes behind a load balancer and across restarts, which a
// per-process random key would not. The login form, before any session,
// uses a double-submit cookie (naive_login_csrf, random, HttpOnly,
// SameSite=Strict) against login CSRF. As a second layer, net/http's
// CrossOriginProtection refuses cross-origin browser POSTs (Sec-Fetch-Site,
// Origin), and SameSite keeps the cookie off cross-site POSTs.
//
// Mode. Humans choose test or live mode (the API's Naive-Mode header); the
// console keeps the choice in the naive_mode cookie, default live, switched
// by a POST form in the header.
package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// Cookie names and the path the console is mounted at.
const (
	// SessionCookie holds the human's session token (service Login).
	SessionCookie = "naive_session"
	// ModeCookie holds the mode the human acts in: "test" or "live".
	ModeCookie = "naive_mode"
	// LoginCSRFCookie is the login form's double-submit token.
	LoginCSRFCookie = "naive_login_csrf"
	// Path is where the console is mounted; its cookies are scoped to it.
	Path = "/console"
	// CSRFField is the hidden form field every POST carries.
	CSRFField = "csrf"
)

// Service is what the console needs: the contract every front door shares,
// session authentication, and the Idempotency-Key records forms that
// spend run once under. *service.Service implements it.
type Service interface {
	naive.Service
	Authenticate(ctx context.Context, token, mode string) (naive.Principal, error)
	Keys
}

// Config configures the console.
type Config struct {
	// Service is required.
	Service Service
	// Logger (default: discard).
	Logger *slog.Logger
	// TrustForwardedFor takes a login's client address from
	// X-Forwarded-For (behind a reverse proxy that sets it).
	TrustForwardedFor bool
}

// Console is the web console, an http.Handler for the paths under Path.
type Console struct {
	svc            Service
	log            *slog.Logger
	trustForwarded bool
	mux            *http.ServeMux
	cop            *http.CrossOriginProtection
}

// New returns the console.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{svc: cfg.Service, log: cfg.Logger, trustForwarded: cfg.TrustForwardedFor, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	c.routes()
	return c
}

func (c *Console) routes() {
	c.mux.Handle("GET "+Path+"/static/{file}", http.HandlerFunc(c.static))
	c.mux.Handle("GET "+Path+"/login", http.HandlerFunc(c.loginPage))
	c.mux.Handle("POST "+Path+"/login", http.HandlerFunc(c.loginSubmit))
	c.mux.Handle("POST "+Path+"/logout", c.authed(c.logout))
	c.mux.Handle("POST "+Path+"/mode", c.authed(c.switchMode))
	c.mux.Handle("GET "+Path+"/{$}", c.authed(c.inbox))
	c.mux.Handle("GET "+Path+"/approvals", c.authed(c.inbox))
	c.mux.Handle("GET "+Path+"/approvals/{id}", c.authed(c.detail))
	c.mux.Handle("POST "+Path+"/approvals/{id}/approve", c.authed(c.approve))
	c.mux.Handle("POST "+Path+"/approvals/{id}/deny", c.authed(c.deny))
	c.mux.Handle("GET "+Path+"/overview", c.authed(c.overview))
	// Each area of the console registers its pages in its own file.
	c.numberRoutes()
	c.creditRoutes()
	c.subjectRoutes()
	c.kitRoutes()
	c.keyRoutes()
	c.agentRoutes()
	c.webhookRoutes()
	c.eventRoutes()
	c.accountRoutes()
	c.userRoutes()
	c.mux.Handle(Path+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := c.session(r)
		c.fail(w, r, s, (&naive.Error{Code: naive.ENotFound, Message: "There is no console page at " + r.URL.Path + "."}).
			WithHint("Use the navigation at the top of the page."))
	}))
}

// securityHeaders are sent with every console answer.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	"X-Frame-Options":        "DENY",
	"Referrer-Policy":        "same-origin",
	"X-Content-Type-Options": "nosniff",
	"Permissions-Policy":     "camera=(), microphone=(), geolocation=()",
}

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if err := c.cop.Check(r); err != nil {
		c.fail(w, r, nil, (&naive.Error{Code: naive.EForbidden, Message: "Cross-origin form submissions are refused."}).
			WithHint("Submit the form from the console's own pages."))
		return
	}
	c.mux.ServeHTTP(w, r)
}

// session is a logged-in human and what pages need of them.
type session struct {
	token string
	p     naive.Principal
	ctx   context.Context // carries p
	email string
	csrf  string
}

// Mode returns the session's mode.
func (s *session) Mode() naive.Mode { return s.p.Mode }

// errNoSession is a request with no usable session.
var errNoSession = errors.New("no console session")

// modeOf returns the mode the request's cookie chooses, default live.
func modeOf(r *http.Request) naive.Mode {
	if ck, err := r.Cookie(ModeCookie); err == nil && naive.Mode(ck.Value).Valid() {
		return naive.Mode(ck.Value)
	}
	return naive.ModeLive
}

// session authenticates the request's cookie: a human session token only.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	if !strings.HasPrefix(ck.Value, service.SessionPrefix) {
		// An API key (or anything else): agents cannot use the console.
		return nil, errNoSession
	}
	p, err := c.svc.Authenticate(r.Context(), ck.Value, string(modeOf(r)))
	if err != nil {
		if naive.ErrorCode(err) == naive.EUnauthorized {
			return nil, errNoSession
		}
		return nil, err
	}
	if p.Kind != naive.PrincipalHuman {
		return nil, errNoSession
	}
	s := &session{token: ck.Value, p: p, ctx: naive.WithPrincipal(r.Context(), p), csrf: csrfToken(ck.Value)}
	if who, err := c.svc.Whoami(s.ctx); err == nil {
		s.email = who.Email
	}
	return s, nil
}

// csrfToken derives a session's CSRF token from its secret token.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("naive console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameToken compares two tokens in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func errCSRF() *naive.Error {
	return (&naive.Error{Code: naive.EForbidden, Message: "The form's security token is missing or does not match your session; nothing was done."}).
		WithHint("Go back, reload the page and submit the form again.")
}

// handler is a console page for a logged-in human.
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// authed runs h for a logged-in human. Without a session a page redirects
// to the login form and a form submission is refused; a POST's CSRF token
// is checked before h runs.
func (c *Console) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		if errors.Is(err, errNoSession) {
			if _, cerr := r.Cookie(SessionCookie); cerr == nil {
				c.clearCookie(w, r, SessionCookie) // dead, or not a session at all
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, Path+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, (&naive.Error{Code: naive.EUnauthorized, Message: "You are not logged in, or your session has ended; nothing was done."}).
				WithHint("Log in as a human (email and password); API keys cannot be used in the console."))
			return
		}
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue(CSRFField), s.csrf) {
			c.log.Warn("console: CSRF token refused", "path", r.URL.Path, "request_id", w.Header().Get("Request-Id"))
			c.fail(w, r, s, errCSRF())
			return
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

// secure reports whether cookies must be Secure: the request came over
// TLS, here or at a proxy in front.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time, same http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Path, Expires: expires, HttpOnly: true,
		Secure: secure(r), SameSite: same})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Path, MaxAge: -1, HttpOnly: true,
		Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

// localPath returns next when it is a console path on this server, else
// the inbox: no open redirects.
func localPath(next string) string {
	if !strings.HasPrefix(next, Path+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Path + "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return Path + "/"
	}
	return next
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// render executes a page into a buffer, then writes it: a template error
// becomes an error page, never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	v.RequestID = w.Header().Get("Request-Id")
	if v.LoggedIn && v.Notice == "" && status < 400 {
		v.Notice, v.NoticeBad = c.flash(w, r)
	}
	var buf bytes.Buffer
	t, err := pageTemplate(name)
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		c.log.Error("console: render", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error rendering the page; request id " + v.RequestID + "\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// fail renders err as an error page with its code, message and hint.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	e := naive.AsError(err)
	status := e.Status()
	if status >= 500 {
		c.log.Error("console: request failed", "request_id", w.Header().Get("Request-Id"), "path", r.URL.Path, "code", e.Code, "err", err)
	}
	hint := e.Hint
	if hint == "" {
		hint = naive.DefaultHint(e)
	}
	hint = inConsoleWords(hint)
	v := c.view(r, s, "Error", "")
	v.Data = errorView{Status: status, StatusText: http.StatusText(status), Code: e.Code, Message: e.Message, Param: e.Param, Hint: hint}
	c.render(w, r, status, "error", v)
}
