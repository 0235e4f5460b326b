package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Key and token prefixes.
const (
	LiveKeyPrefix = "nv_sk_live_"
	TestKeyPrefix = "nv_sk_test_"
	SessionPrefix = "nv_sess_"
)

// SessionLifetime is how long a login lasts.
const SessionLifetime = 7 * 24 * time.Hour

// randomToken returns n random bytes as unpadded base62-ish text.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	s = strings.NewReplacer("-", "a", "_", "b").Replace(s)
	return s
}

// hashToken hashes a high-entropy secret for storage and lookup. Keys carry
// 192 bits of randomness, so a fast hash is safe here; passwords are not
// and use argon2id.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newAPIKey returns a key's secret and its stored record.
func newAPIKey(mode naive.Mode) (secret string, prefix string) {
	p := LiveKeyPrefix
	if mode == naive.ModeTest {
		p = TestKeyPrefix
	}
	secret = p + randomToken(24)
	return secret, secret[:len(p)+4]
}

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of password.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches a HashPassword hash.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the email is unknown, so a login takes
// as long for an unknown user as for a wrong password.
// It is made on the first login, not at start: argon2id's 19 MiB would
// otherwise sit in every process, CLI runs included.
var dummyHash = sync.OnceValue(func() string { return HashPassword("naive-dummy-password") })

func errUnauthorized(msg string) *naive.Error {
	return (&naive.Error{Code: naive.EUnauthorized, Message: msg}).
		WithHint("Send \"Authorization: Bearer nv_sk_test_…\" (an API key) or a session token from POST /v1/auth/login.")
}

// Authenticate resolves a bearer token to a principal. mode is the
// Naive-Mode header: humans choose the mode they act in (default live);
// keys carry theirs, and a header that disagrees is refused.
func (s *Service) Authenticate(ctx context.Context, token string, mode string) (naive.Principal, error) {
	if token == "" {
		return naive.Principal{}, errUnauthorized("Missing bearer token.")
	}
	if mode != "" && !naive.Mode(mode).Valid() {
		return naive.Principal{}, naive.InvalidParam("Naive-Mode", "Naive-Mode must be \"live\" or \"test\"; got %q.", mode)
	}
	switch {
	case strings.HasPrefix(token, LiveKeyPrefix), strings.HasPrefix(token, TestKeyPrefix):
		k, subj, v, err := s.caller(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return naive.Principal{}, errUnauthorized("Unknown or revoked API key.")
		}
		if err != nil {
			return naive.Principal{}, err
		}
		if mode != "" && naive.Mode(mode) != k.Mode {
			return naive.Principal{}, naive.InvalidParam("Naive-Mode", "This key acts in %s mode; Naive-Mode %q disagrees.", k.Mode, mode).
				WithHint("Drop the Naive-Mode header; keys carry their mode.")
		}
		return naive.Principal{Kind: naive.PrincipalAgent, OperatorID: k.OperatorID, Mode: k.Mode, KeyID: k.ID, AgentID: k.AgentID,
			DefaultSubject: subj, NumbersVersion: v.Numbers, NumbersRead: true}, nil
	case strings.HasPrefix(token, SessionPrefix):
		sess, err := s.store.GetSessionByHash(ctx, hashToken(token), s.now())
		if errors.Is(err, store.ErrNotFound) {
			return naive.Principal{}, errUnauthorized("Unknown or expired session.").WithHint("Log in again: POST /v1/auth/login or `naive login`.")
		}
		if err != nil {
			return naive.Principal{}, err
		}
		m := naive.ModeLive
		if mode != "" {
			m = naive.Mode(mode)
		}
		return naive.Principal{Kind: naive.PrincipalHuman, OperatorID: sess.OperatorID, Mode: m, UserID: sess.UserID, SessionID: sess.ID,
			Role: sess.Role.EffectiveRole()}, nil
	}
	return naive.Principal{}, errUnauthorized("Malformed bearer token.")
}

// Login checks a human's password and opens a session.
func (s *Service) Login(ctx context.Context, req naive.LoginRequest) (*naive.LoginResult, error) {
	email, password := req.Email, req.Password
	if email == "" {
		return nil, naive.InvalidParam("email", "email is required.")
	}
	if password == "" {
		return nil, naive.InvalidParam("password", "password is required.")
	}
	keys := loginKeys(email, naive.ClientFrom(ctx).Addr)
	if err := s.loginThrottled(ctx, keys); err != nil {
		return nil, err
	}
	u, err := s.store.GetUserByEmail(ctx, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == "" {
		// No such human, or one invited who has set no password yet: as
		// long as a wrong password takes, so timing tells neither.
		CheckPassword(dummyHash(), password)
		return nil, s.loginFailed(ctx, keys)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, s.loginFailed(ctx, keys)
	}
	if err := s.store.ClearLoginFailures(ctx, keys[0]); err != nil {
		s.log.Warn("clear login failures", "err", err)
	}
	tok, sess := s.newSession(ctx)
	sess.UserID, sess.OperatorID = u.ID, u.OperatorID
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return &naive.LoginResult{Token: tok, ExpiresAt: sess.ExpiresAt, UserID: u.ID, Operator: u.OperatorID}, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	p, err := s.principal(ctx)
	if err != nil {
		return err
	}
	if p.Kind != naive.PrincipalHuman {
		return errHumanOnly("logging out")
	}
	return s.store.DeleteSession(ctx, p.SessionID)
}

// Login throttling. Failed logins are counted in the database per email
// and per client address, so that every process agrees: after
// LoginFreeFailures failures for an email (LoginFreeAddrFailures from one
// address, which may be an office behind one NAT) each further attempt
// waits twice as long as the last, from one second up to
// LoginMaxBackoff, refused meanwhile with 429 before the password is even
// checked. A success clears the email's count; counts lapse an hour after
// their last failure.
const (
	LoginFreeFailures     = 5
	LoginFreeAddrFailures = 20
	LoginMaxBackoff       = 15 * time.Minute
	loginFailureWindow    = time.Hour
)

// loginKeys are the counters a login attempt is throttled by: its email
// first, then its client's address (when known).
func loginKeys(email, addr string) []string {
	keys := []string{"email:" + strings.ToLower(strings.TrimSpace(email))}
	if addr != "" {
		keys = append(keys, "addr:"+addr)
	}
	return keys
}

// loginBackoff is how long after its last failure a counter refuses
// logins, for failures past free.
func loginBackoff(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Second << min(failures-free, 20)
	return min(d, LoginMaxBackoff)
}

// loginThrottled refuses a login while any of its counters waits.
func (s *Service) loginThrottled(ctx context.Context, keys []string) error {
	now := s.now()
	fs, err := s.store.LoginFailures(ctx, keys, now.Add(-loginFailureWindow))
	if err != nil {
		return err
	}
	var wait time.Duration
	var by string
	for _, k := range keys {
		f, ok := fs[k]
		if !ok {
			continue
		}
		free := LoginFreeFailures
		if strings.HasPrefix(k, "addr:") {
			free = LoginFreeAddrFailures
		}
		if d := f.Last.Add(loginBackoff(f.Failures, free)).Sub(now); d > wait {
			wait, by = d, k
		}
	}
	if wait <= 0 {
		return nil
	}
	what := "this email"
	if strings.HasPrefix(by, "addr:") {
		what = "your address"
	}
	secs := int((wait + time.Second - 1) / time.Second)
	return (&naive.Error{Code: naive.ERateLimited, RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("Too many failed logins for %s; nothing was checked. Try again in %d s.", what, secs)}).
		WithHint("Wait for Retry-After seconds; each further failure doubles the wait. An owner can reset a forgotten password.")
}

// loginFailed counts a failed login and answers it.
func (s *Service) loginFailed(ctx context.Context, keys []string) error {
	now := s.now()
	if err := s.store.RecordLoginFailure(context.WithoutCancel(ctx), keys, now, now.Add(-loginFailureWindow)); err != nil {
		s.log.Warn("record a login failure", "err", err)
	}
	return errUnauthorized("Wrong email or password.").WithHint("Check the credentials; the first start printed the admin's.")
}

// newSession makes a session token and its record (the human's ids are
// the caller's to set), with what the request came from.
func (s *Service) newSession(ctx context.Context) (string, *naive.Session) {
	tok := SessionPrefix + randomToken(24)
	now := s.now()
	cl := naive.ClientFrom(ctx)
	return tok, &naive.Session{ID: newID(), TokenHash: hashToken(tok), CreatedAt: now, ExpiresAt: now.Add(SessionLifetime),
		UserAgent: clip(cl.UserAgent, 255), ClientAddr: clip(cl.Addr, 64)}
}

// checkNewPassword refuses a password outside MinPassword..MaxPassword
// characters, naming param.
func checkNewPassword(param, pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPassword || len(pw) > MaxPassword {
		return naive.InvalidParam(param, "%s must be %d to %d characters long.", param, MinPassword, MaxPassword).
			WithHint("Choose a longer passphrase, for example four unrelated words.")
	}
	return nil
}

// clip cuts s to at most n bytes on a rune boundary, and drops what no
// database can store (it is informational, never refused).
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// Password lengths: long enough to resist guessing, short enough that
// hashing it costs nothing unusual.
const (
	MinPassword = 12
	MaxPassword = 256
)

// ChangePassword changes the calling human's password, after checking
// their current one, and ends every other session of theirs in the same
// transaction: whoever else held one is out.
func (s *Service) ChangePassword(ctx context.Context, req naive.PasswordRequest) (*naive.PasswordChanged, error) {
	p, err := s.human(ctx, "changing a password")
	if err != nil {
		return nil, err
	}
	if req.CurrentPassword == "" {
		return nil, naive.InvalidParam("current_password", "current_password is required.")
	}
	if err := checkNewPassword("new_password", req.NewPassword); err != nil {
		return nil, err
	}
	if req.NewPassword == req.CurrentPassword {
		return nil, naive.InvalidParam("new_password", "new_password is the same as the current one.")
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if !CheckPassword(u.PasswordHash, req.CurrentPassword) {
		// 400, not 401: the session is fine, the field is wrong.
		return nil, naive.InvalidParam("current_password", "The current password is wrong; nothing was changed.").
			WithHint("Type the password you logged in with as current_password.")
	}
	n, err := s.store.SetPassword(ctx, u.ID, HashPassword(req.NewPassword), p.SessionID)
	if err != nil {
		return nil, err
	}
	s.log.Info("password changed", "user_id", u.ID, "ended_sessions", n)
	return &naive.PasswordChanged{EndedSessions: n}, nil
}

// ListSessions lists the calling human's unexpired sessions, newest first,
// marking the one in use.
func (s *Service) ListSessions(ctx context.Context) (*naive.List[naive.SessionInfo], error) {
	p, err := s.human(ctx, "listing sessions")
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListUserSessions(ctx, p.UserID, s.now())
	if err != nil {
		return nil, err
	}
	out := &naive.List[naive.SessionInfo]{Data: make([]naive.SessionInfo, 0, len(rows))}
	for _, r := range rows {
		out.Data = append(out.Data, naive.SessionInfo{ID: r.ID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
			UserAgent: r.UserAgent, ClientAddr: r.ClientAddr, Current: r.ID == p.SessionID})
	}
	return out, nil
}

// EndSessions ends every session of the calling human, this one too.
func (s *Service) EndSessions(ctx context.Context) (*naive.SessionsEnded, error) {
	p, err := s.human(ctx, "logging out everywhere")
	if err != nil {
		return nil, err
	}
	n, err := s.store.DeleteUserSessions(ctx, p.UserID, "")
	if err != nil {
		return nil, err
	}
	return &naive.SessionsEnded{EndedSessions: n}, nil
}

// Whoami returns who the caller is.
func (s *Service) Whoami(ctx context.Context) (*naive.Whoami, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	w := &naive.Whoami{Kind: p.Kind, OperatorID: p.OperatorID, Mode: p.Mode, KeyID: p.KeyID, AgentID: p.AgentID, UserID: p.UserID}
	if p.Kind == naive.PrincipalHuman {
		w.Role = p.Role.EffectiveRole()
		if u, err := s.store.GetUser(ctx, p.UserID); err == nil {
			w.Email = u.Email
		}
	}
	if d, err := s.store.GetDefaultSubject(ctx, p.Scope()); err == nil {
		w.SubjectID = d.ID
	}
	return w, nil
}

func errHumanOnly(what string) *naive.Error {
	return (&naive.Error{Code: naive.EForbidden, Message: "Only a human may do this: " + what + "."}).
		WithHint("Log in as a human (POST /v1/auth/login or `naive login`) and use the session token; API keys are agent credentials.")
}
