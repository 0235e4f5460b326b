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
func (s *Server) authed(h handlerFunc) http.Handler { return s.authedRoute(h, false) }

// phased is authed for a route whose action runs in phases that record
// their own progress under the Idempotency-Key (provision, release, send,
// grant): the action creates the key's record in its first phase and
// stores the response in its last, so the idempotency layer only looks
// the key up, waits for a live duplicate and hands a dead run over.
func (s *Server) phased(h handlerFunc) http.Handler { return s.authedRoute(h, true) }

func (s *Server) authedRoute(h handlerFunc, phased bool) http.Handler {
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
		if err := s.checkRate(r.Context(), w.Header(), p); err != nil {
			return err
		}
		r = r.WithContext(naive.WithPrincipal(r.Context(), p))
		if key := r.Header.Get("Idempotency-Key"); key != "" && (r.Method == http.MethodPost || r.Method == http.MethodDelete) {
			return s.idempotent(w, r, p, key, h, phased)
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

// idempotent runs h at most once per (caller, key), across processes and
// crashes: a repeat with the same request gets the stored response, with a
// different request 409 idempotency_key_reused, and while the first still
// runs it waits, then 409. A key whose run's process died (its heartbeat
// stopped) is taken over at once, and the action resumes the run from its
// recovery point. Server errors and 429s are not stored as the answer.
//
// For a phased route the action writes the key's record itself, in its
// phases' transactions; for any other route this layer records the key
// before h runs and its response after (a run of such a handler that dies
// between the two is run again by the retry that takes it over).
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p naive.Principal, key string, h handlerFunc, phased bool) error {
	if len(key) > 255 {
		return naive.InvalidParam("Idempotency-Key", "Idempotency-Key must be at most 255 characters.").
			WithHint("Use a shorter key, such as a UUID.")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%s\n%s\n%s\n", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Naive-Subject"))
	sum.Write(body)
	k := &naive.Idempotency{Key: key, RequestHash: hex.EncodeToString(sum.Sum(nil)), Method: r.Method, Path: r.URL.Path,
		RequestID: w.Header().Get("Request-Id")}
	ctx := r.Context()
	deadline := time.Now().Add(s.cfg.IdempotencyWait)
	for {
		existing, err := s.idem.LookupKey(ctx, p, key)
		if err != nil {
			return err
		}
		var rec *store.IdempotencyRecord
		switch {
		case existing == nil && phased:
			// The action creates the record in its first phase.
		case existing == nil:
			var ok bool
			if rec, ok, err = s.idem.BeginKey(ctx, p, k); err != nil {
				return err
			}
			if !ok {
				continue // a concurrent request took it: look again
			}
		case existing.RequestHash != k.RequestHash:
			return (&naive.Error{Code: naive.EIdempotencyKeyReused, Message: "This Idempotency-Key was used with a different request."}).
				WithHint("Use a new Idempotency-Key for a different request; reuse a key only to retry the same one.")
		case existing.Completed:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(existing.Status)
			_, _ = w.Write(existing.Body)
			return nil
		case existing.LockedBy == "" || !existing.OwnerAlive:
			// Its run's process died, or let the run go: take it over.
			ok, err := s.idem.TakeOverKey(ctx, existing)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			k.Resume, rec = true, existing
			s.log.Info("idempotency key taken over", "key_action", existing.Action, "recovery_point", existing.RecoveryPoint,
				"request_id", k.RequestID)
		default:
			if time.Now().After(deadline) {
				return (&naive.Error{Code: naive.EConflict, Message: "A request with this Idempotency-Key is still in progress."}).
					WithHint("Retry in a few seconds with the same key to get its result.").With("retryable", true)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(25 * time.Millisecond):
			}
			continue
		}
		done, err := s.runKeyed(w, r, p, k, rec, h, phased)
		if done || err != nil {
			return err
		}
		// The action found the key taken between the look-up and its first
		// phase: nothing was done; look again.
	}
}

// runKeyed runs h under a key: rec is the record this request holds (nil
// when a phased action is to create it). It reports false when the action
// found the key taken by a concurrent request and must look again.
func (s *Server) runKeyed(w http.ResponseWriter, r *http.Request, p naive.Principal, k *naive.Idempotency, rec *store.IdempotencyRecord,
	h handlerFunc, phased bool) (bool, error) {
	bg := context.WithoutCancel(r.Context())
	if rec != nil && phased {
		k.Owned = true
	}
	rc := &recorder{header: w.Header()}
	defer func() {
		if v := recover(); v != nil {
			// A crashed handler must not hold the key: let a retry take it.
			s.releaseKey(bg, p, k, rec, phased)
			panic(v)
		}
	}()
	herr := h(rc, r.WithContext(naive.WithIdempotency(r.Context(), k)))
	if errors.Is(herr, naive.ErrKeyBusy) {
		s.releaseKey(bg, p, k, rec, phased)
		return false, nil
	}
	if herr != nil {
		writeError(rc, r, s.log, herr)
	}
	if phased {
		// The action stored its outcome (or let the record go) itself.
		if k.Owned && !k.Stored {
			s.releaseKey(bg, p, k, rec, phased)
		}
	} else if rc.status >= 500 || rc.status == http.StatusTooManyRequests || rc.status == 0 || transient(herr) {
		if err := s.idem.AbortKey(bg, rec); err != nil {
			s.log.Error("abort idempotency key", "err", err)
		}
	} else if err := s.idem.CompleteKey(bg, rec, rc.status, rc.body.Bytes()); err != nil {
		s.log.Error("store idempotent response", "err", err)
	}
	if rc.status == 0 {
		rc.status = http.StatusNoContent
	}
	w.WriteHeader(rc.status)
	_, _ = w.Write(rc.body.Bytes())
	return true, nil
}

// transient reports whether an error says a retry may get another answer
// (retryable: true, such as an approval still being executed): it is not
// stored as the key's answer, like a 5xx.
func transient(err error) bool {
	if err == nil {
		return false
	}
	r, _ := naive.AsError(err).Fields["retryable"].(bool)
	return r
}

// releaseKey lets go of a key's record this request holds without an
// outcome: a phased run's is unlocked (a retry resumes it), a plain one's
// deleted (a retry runs afresh).
func (s *Server) releaseKey(ctx context.Context, p naive.Principal, k *naive.Idempotency, rec *store.IdempotencyRecord, phased bool) {
	var err error
	switch {
	case phased && k.Owned:
		err = s.idem.ReleaseKey(ctx, p, k.Key)
	case !phased && rec != nil:
		err = s.idem.AbortKey(ctx, rec)
	}
	if err != nil {
		s.log.Error("release idempotency key", "err", err)
	}
}
