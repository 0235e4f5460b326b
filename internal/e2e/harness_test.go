package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
)

// backends lists the databases every end-to-end test runs against:
// SQLite always, PostgreSQL when NAIVE_TEST_POSTGRES_URL is set.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	m := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "naive.db") },
	}
	m["postgres"] = func(t *testing.T) string {
		admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
		if admin == "" {
			t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping the PostgreSQL run of this test")
		}
		return pgtest.NewDatabase(t, admin)
	}
	return m
}

// testCarrier is the test-mode carrier the suite runs on: NAIVE_TEST_CARRIER
// (surge or telnyx), Surge by default. .ci/run runs the suite once per
// carrier; a test about one carrier's own wire format picks that carrier
// itself (Options.SandboxCarrier), so it runs in both passes.
func testCarrier() string {
	if c := os.Getenv("NAIVE_TEST_CARRIER"); c != "" {
		return c
	}
	return "surge"
}

// eachDB runs fn once per database, as subtests.
func eachDB(t *testing.T, fn func(t *testing.T, dbURL string)) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// harness is a real server on :0 with a temp database.
type harness struct {
	t        testing.TB
	app      *app.App
	url      string
	testKey  string
	admin    string
	password string
	stdout   string
}

type opts func(*app.Options)

func start(t testing.TB, dbURL string, o ...opts) *harness {
	t.Helper()
	var out bytes.Buffer
	options := app.Options{Addr: "127.0.0.1:0", DatabaseURL: dbURL, AdminPassword: "correct horse battery staple",
		SandboxReviewDelay: 30 * time.Second, PollInterval: 100 * time.Millisecond, Stdout: &out, SandboxCarrier: testCarrier()}
	for _, f := range o {
		f(&options)
	}
	a, err := app.Start(context.Background(), options)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	h := &harness{t: t, app: a, url: a.URL(), admin: "admin@localhost", password: options.AdminPassword, stdout: out.String()}
	if b := a.Bootstrapped(); b != nil {
		h.testKey = b.TestKey
	}
	return h
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return m
}

func (r resp) errCode(t testing.TB) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error envelope in %d %s", r.Status, r.Body)
	}
	return e["code"].(string)
}

func (r resp) errField(t testing.TB, f string) any {
	t.Helper()
	return r.json(t)["error"].(map[string]any)[f]
}

// call sends a request; body may be a string (raw) or a value (JSON).
func (h *harness) call(method, path, token string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (h *harness) must(want int, r resp) resp {
	h.t.Helper()
	if r.Status != want {
		h.t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// login returns a human session token (test mode is chosen per request).
func (h *harness) login() string {
	h.t.Helper()
	r := h.must(200, h.call("POST", "/v1/auth/login", "", map[string]string{"email": h.admin, "password": h.password}))
	return r.json(h.t)["token"].(string)
}

// grant adds test credits as the admin.
func (h *harness) grant(session string, amount int64) {
	h.t.Helper()
	h.must(201, h.call("POST", "/v1/credits/grant", session, map[string]any{"amount": amount}, "Naive-Mode", "test"))
}

func (h *harness) balance(token string, mode ...string) int64 {
	h.t.Helper()
	hdr := []string{}
	if len(mode) > 0 {
		hdr = []string{"Naive-Mode", mode[0]}
	}
	r := h.must(200, h.call("GET", "/v1/credits", token, nil, hdr...))
	return int64(r.json(h.t)["balance"].(float64))
}
