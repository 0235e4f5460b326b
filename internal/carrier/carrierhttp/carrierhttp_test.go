package carrierhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

var errUnknown = errors.New("acme: request outcome unknown")

// client returns a Client on a server answering status to every call, and
// the count of calls it got.
func client(t *testing.T, status int, header http.Header) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	c := New("acme", srv.URL, Options{SleepFunc: func(context.Context, time.Duration) error { return nil }})
	c.UnknownOutcome = errUnknown
	c.ParseError = func(method, path string, resp *http.Response, body []byte) (time.Duration, error) {
		return ParseRetryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("acme: %s %s: %d", method, path, resp.StatusCode)
	}
	return c, &calls
}

// TestRetries: what may have acted is never repeated, and says so; what
// surely did nothing, or is harmless to repeat, is retried.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		method  string
		status  int
		calls   int32
		unknown bool
	}{
		{http.MethodPost, 500, 1, true},  // may have acted: once, outcome unknown
		{http.MethodGet, 500, 4, false},  // harmless: the first call and 3 retries
		{http.MethodPost, 429, 4, false}, // not processed: retried even as a POST
		{http.MethodPost, 422, 1, false}, // refused: final
		{http.MethodPost, 201, 1, false},
	} {
		c, calls := client(t, tc.status, nil)
		var out struct{ OK bool }
		err := c.Do(context.Background(), tc.method, "/things", nil, map[string]string{"a": "b"}, &out)
		if got := calls.Load(); got != tc.calls {
			t.Errorf("%s %d: %d calls, want %d", tc.method, tc.status, got, tc.calls)
		}
		if errors.Is(err, errUnknown) != tc.unknown {
			t.Errorf("%s %d: err %v, unknown outcome want %v", tc.method, tc.status, err, tc.unknown)
		}
		if tc.status < 300 && (err != nil || !out.OK) {
			t.Errorf("%s %d: err %v, decoded %v", tc.method, tc.status, err, out)
		}
	}
}

// TestUnknownOutcomeMessage: the sentinel leads the message, the cause
// follows without the client's name twice.
func TestUnknownOutcomeMessage(t *testing.T) {
	c, _ := client(t, 503, nil)
	err := c.Do(context.Background(), http.MethodPost, "/things", nil, nil, nil)
	if want := "acme: request outcome unknown: POST /things: 503"; err == nil || err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "2": 2 * time.Second, "-1": 0, "soon": 0,
		time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat): 0} {
		if got := ParseRetryAfter(in); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if d := ParseRetryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); d <= 0 || d > time.Minute {
		t.Errorf("a date a minute away reads %v", d)
	}
}
