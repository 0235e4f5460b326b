package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

// outer adds the request id, access log, panic recovery and body limit.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := newRequestID()
		w.Header().Set("Request-Id", reqID)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", reqID, "panic", v)
				if sw.status == 0 {
					writeError(sw, r, s.log, fmt.Errorf("panic: %v", v))
				}
			}
			s.log.Info("request", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(sw, r)
	})
}

// bearer returns the request's token: the Authorization header, else the
// console's session cookie.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if c, err := r.Cookie("naive_session"); err == nil {
		return c.Value
	}
	return ""
}

// authed authenticates the caller and runs h with the principal in ctx,
// behind the idempotency layer for POST and DELETE.
func (s *Server) authed(h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		for _, name := range textHeaders {
			if err := naive.CheckHeaderText(name, r.Header.Get(name)); err != nil {
				return err
			}
		}
		p, err := s.auth.Authenticate(r.Context(), bearer(r), r.Header.Get("Naive-Mode"))
		if err != nil {
			return err
		}
		if err := s.checkRate(w.Header(), p); err != nil {
			return err
		}
		r = r.WithContext(naive.WithPrincipal(r.Context(), p))
		if key := r.Header.Get("Idempotency-Key"); key != "" && (r.Method == http.MethodPost || r.Method == http.MethodDelete) {
			return s.idempotent(w, r, p, key, h)
		}
		return h(w, r)
	})
}

// textHeaders are the headers whose values the API reads as text.
var textHeaders = []string{"Idempotency-Key", "Naive-Subject", "Naive-Mode"}

// handle adapts a handlerFunc, writing its error as the envelope. A path
// or query value with a NUL or invalid UTF-8 is refused before h runs.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := checkURLText(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// checkURLText refuses a NUL or invalid UTF-8 in the request's path
// values (named by their wildcard) and query values (named by their key).
func checkURLText(r *http.Request) error {
	for _, name := range wildcards(r.Pattern) {
		if err := naive.CheckText(name, r.PathValue(name)); err != nil {
			return err
		}
	}
	q := r.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if err := naive.CheckText(url.QueryEscape(k), k); err != nil {
			return err // the key itself is at fault
		}
		for _, v := range q[k] {
			if err := naive.CheckText(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// wildcards returns the names of a route pattern's wildcards: sid and id
// for "GET /v1/subjects/{sid}/phone/{id}".
func wildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		if name := strings.TrimSuffix(pattern[i+1:i+j], "..."); name != "$" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}

// recorder buffers a response so it can be stored (idempotency) or
// reworded (the mux's 405s) before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}
func (rec *recorder) WriteHeader(s int) {
	if rec.status == 0 {
		rec.status = s
	}
}

// IdempotencyTTL is how long a key's response is kept.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyStale is when a key whose request never finished (its process
// died) is taken over by a retry; no request runs that long.
const IdempotencyStale = 10 * time.Minute

// idempotent runs h at most once per (principal, key): the first request
// runs and its response is stored in the database; a repeat with the same
// body gets the stored response, with a different body 409
// idempotency_key_reused, and while the first still runs it waits, then
// 409. Server errors and 429s are not stored, so a retry runs again.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p naive.Principal, key string, h handlerFunc) error {
	if len(key) > 255 {
		return naive.InvalidParam("Idempotency-Key", "Idempotency-Key must be at most 255 characters.")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%s\n%s\n%s\n", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Naive-Subject"))
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))
	// Keys are per caller and per mode: a human's key in test mode is not
	// the same key in live mode.
	rec := &store.IdempotencyRecord{OperatorID: p.OperatorID, PrincipalID: p.ID() + "/" + string(p.Mode), Key: key, Method: r.Method,
		Path: r.URL.Path, RequestHash: hash, CreatedAt: time.Now().UTC()}
	deadline := time.Now().Add(s.cfg.IdempotencyWait)
	expiredBefore := time.Now().Add(-IdempotencyTTL)
	for {
		existing, err := s.idem.BeginIdempotent(r.Context(), rec, expiredBefore)
		if err != nil {
			return err
		}
		if existing == nil {
			break // ours: run it
		}
		if existing.RequestHash != hash {
			return (&naive.Error{Code: naive.EIdempotencyKeyReused, Message: "This Idempotency-Key was used with a different request."}).
				WithHint("Use a new Idempotency-Key for a different request; reuse a key only to retry the same one.")
		}
		if existing.Completed {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(existing.Status)
			_, _ = w.Write(existing.Body)
			return nil
		}
		if time.Since(existing.CreatedAt) > IdempotencyStale {
			// The first request's process died mid-way: take the key over.
			// BeginIdempotent replaces it atomically, so one taker wins.
			expiredBefore = existing.CreatedAt.Add(time.Millisecond)
			continue
		}
		if time.Now().After(deadline) {
			return (&naive.Error{Code: naive.EConflict, Message: "A request with this Idempotency-Key is still in progress."}).
				WithHint("Retry in a few seconds with the same key to get its result.").With("retryable", true)
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	rc := &recorder{header: w.Header()}
	defer func() {
		if v := recover(); v != nil {
			// A crashed handler must not hold the key for its stale period.
			_ = s.idem.AbortIdempotent(context.WithoutCancel(r.Context()), rec)
			panic(v)
		}
	}()
	herr := h(rc, r)
	if herr != nil {
		writeError(rc, r, s.log, herr)
	}
	ctx := context.WithoutCancel(r.Context())
	if rc.status >= 500 || rc.status == http.StatusTooManyRequests || rc.status == 0 {
		if err := s.idem.AbortIdempotent(ctx, rec); err != nil {
			s.log.Error("abort idempotency key", "err", err)
		}
	} else {
		rec.Completed, rec.Status, rec.Body = true, rc.status, rc.body.Bytes()
		if err := s.idem.CompleteIdempotent(ctx, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("store idempotent response", "err", err)
		}
	}
	if rc.status == 0 {
		rc.status = http.StatusNoContent
	}
	w.WriteHeader(rc.status)
	_, _ = w.Write(rc.body.Bytes())
	return nil
}
