package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// TestLoginThrottle: failed logins are counted in the database, so a
// guesser refused by one process is refused by another; the right
// password waits too, then works and clears the count. One address
// guessing many emails is refused as well.
func TestLoginThrottle(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		a := start(t, db)
		b := start(t, db) // a second process on the same database
		wrong := `{"email":"admin@localhost","password":"not it"}`
		right := `{"email":"admin@localhost","password":"` + a.password + `"}`
		for i := range 5 {
			h := a
			if i%2 == 1 {
				h = b
			}
			if r := h.call("POST", "/v1/auth/login", "", wrong); r.Status != 401 {
				t.Fatalf("wrong password %d: %d %s", i+1, r.Status, r.Body)
			}
		}
		r := b.call("POST", "/v1/auth/login", "", right)
		if r.Status != 429 || r.errCode(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the right password after 5 failures, on the other process: %d %s", r.Status, r.Body)
		}
		wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if wait < 1 || wait > 2 {
			t.Fatalf("Retry-After %q, want the first backoff (1 s)", r.Header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(wait)*time.Second + 100*time.Millisecond)
		a.must(200, a.call("POST", "/v1/auth/login", "", right))
		// The success cleared the email's count: a wrong password is a
		// plain 401 again.
		if r := b.call("POST", "/v1/auth/login", "", wrong); r.Status != 401 {
			t.Fatalf("a wrong password after a success: %d", r.Status)
		}

		// Many emails from one address: refused after 20 failures (6 so
		// far), whatever the email.
		for i := range 20 - 6 {
			if r := a.call("POST", "/v1/auth/login", "", `{"email":"guess`+strconv.Itoa(i)+`@example.com","password":"x"}`); r.Status != 401 {
				t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
			}
		}
		r = b.call("POST", "/v1/auth/login", "", `{"email":"another@example.com","password":"x"}`)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("a login after 20 failures from one address: %d %s", r.Status, r.Body)
		}
	})
}

// TestSlowBodyIsCutOff: a client that sends its body a byte at a time is
// cut off at the read timeout, answered 400, with nothing done.
func TestSlowBodyIsCutOff(t *testing.T) {
	h := start(t, "sqlite:"+filepath.Join(t.TempDir(), "naive.db"), func(o *app.Options) { o.ReadTimeout = 700 * time.Millisecond })
	u, _ := url.Parse(h.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"ein":"12-3456789","area_code":"415","label":"slow"}`
	fmt.Fprintf(conn, "POST /v1/phone/provision HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.Host, h.testKey, len(body))
	start := time.Now()
	go func() {
		for i := range len(body) {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(8 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(start)
	if took > 4*time.Second {
		t.Fatalf("the server waited %s for a slow body (sending it takes %s)", took, time.Duration(len(body))*200*time.Millisecond)
	}
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(b), "did not arrive in time") {
		t.Fatalf("slow body: %d %s", res.StatusCode, b)
	}
	if n := h.app.SandboxNumberCount(); n != 0 {
		t.Fatalf("a cut-off request bought %d numbers", n)
	}
}

// TestRateLimitAcrossProcesses: on PostgreSQL, two `naive serve`
// processes share each caller's request budget, where on SQLite each
// would allow it in full.
func TestRateLimitAcrossProcesses(t *testing.T) {
	db := backends(t)["postgres"](t)
	bin := buildNaive(t)
	const password = "correct horse battery staple"
	var procs []*process
	for range 2 {
		p, err := serve(t, bin, serveEnv(password), "--addr", "127.0.0.1:0", "--database-url", db, "--log-level", "warn",
			"--rate-limit", "2", "--rate-burst", "10")
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	var testKey string
	for _, p := range procs {
		if m := testKeyRE.FindStringSubmatch(p.banner); m != nil {
			testKey = m[1]
		}
	}
	if testKey == "" {
		t.Fatal("no process printed the test key")
	}
	began := time.Now()
	ok := 0
	for i := range 30 {
		h := &harness{t: t, url: procs[i%2].url}
		switch r := h.call("GET", "/v1/credits", testKey, nil); r.Status {
		case 200:
			ok++
		case 429:
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After: %v", r.Header)
			}
		default:
			t.Fatalf("GET /v1/credits: %d %s", r.Status, r.Body)
		}
	}
	// The burst, what refilled meanwhile, and a lease (1 token) a process.
	most := 10 + int(2*time.Since(began).Seconds()) + 2
	if ok < 10 || ok > most {
		t.Fatalf("%d of 30 requests over two processes allowed; want the shared burst of 10 (at most %d)", ok, most)
	}
	t.Logf("%d of 30 requests over two processes allowed with --rate-limit 2 --rate-burst 10", ok)
}
