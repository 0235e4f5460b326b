package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// process is one `naive serve` started by the test.
type process struct {
	cmd    *exec.Cmd
	url    string
	banner string // stdout before the listening line
	stderr *syncBuffer
	exited chan error
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// buildNaive builds cmd/naive into a temp dir (with the race detector when
// the tests have it, so the processes are checked too).
func buildNaive(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "naive")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/naive-oss/naive/cmd/naive")
	began := time.Now()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build naive: %v", err)
	}
	out, err := exec.Command(goBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/naive: %v\n%s", err, out)
	}
	t.Logf("built naive (race %v) in %v", raceEnabled, time.Since(began).Round(time.Millisecond))
	return bin
}

var listeningRE = regexp.MustCompile(`^naive: listening on (http://\S+)$`)

// serve starts `naive serve` with args; it reads stdout up to the listening
// line. Cleanup stops it with SIGTERM, as an operator would. It may run
// on any goroutine.
func serve(t *testing.T, bin string, env []string, args ...string) (*process, error) {
	p := &process{stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner strings.Builder
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil, fmt.Errorf("naive serve exited before listening:\n%s\nstderr:\n%s", banner.String(), p.stderr)
			}
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				p.url, p.banner = m[1], banner.String()
				go func() { // keep draining
					for range lines {
					}
				}()
				return p, nil
			}
			banner.WriteString(line + "\n")
		case <-timeout:
			return nil, fmt.Errorf("naive serve did not listen within 2 minutes; stderr:\n%s", p.stderr)
		}
	}
}

// serveEnv is the environment of a `naive serve` the tests start: theirs
// without NAIVE_ and SURGE_ settings, with the first start's admin password.
func serveEnv(password string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NAIVE_") && !strings.HasPrefix(kv, "SURGE_") {
			env = append(env, kv)
		}
	}
	return append(env, "NAIVE_ADMIN_PASSWORD="+password)
}

// serveSandbox serves a standalone sandbox carrier for the test's processes.
func serveSandbox(t *testing.T, sim *surgesim.Server) *httptest.Server {
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	return srv
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("naive serve %s exited: %v\nstderr:\n%s", p.url, err, tail(p.stderr.String(), 4000))
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("naive serve %s did not stop within 30s of SIGTERM", p.url)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var testKeyRE = regexp.MustCompile(`(?m)^Test API key \(shown once; store it now\):\n(\S+)$`)

// TestMultiProcess: three `naive serve` processes on one PostgreSQL and one
// sandbox carrier keep every invariant: no
// negative balance, one number per idempotent request, one execution per
// approval, whichever process each request reaches. On Surge the carrier
// is a standalone simulator over HTTP (--sandbox-url); on Telnyx, which
// has none, it is the durable sandbox: each process's own simulator on the
// shared database's tables.
func TestMultiProcess(t *testing.T) {
	admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
	if admin == "" {
		t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping the multi-process test (three naive serve processes on one PostgreSQL)")
	}
	bin := buildNaive(t)
	dbURL := pgtest.NewDatabase(t, admin)
	var (
		sandbox []string   // the processes' sandbox flags
		numbers func() int // how many numbers the carrier holds
	)
	switch testCarrier() {
	case "telnyx":
		sandbox = []string{"--sandbox-carrier", "telnyx", "--sandbox-review-delay", "1h"}
		_, numberKind := sandboxKinds()
		numbers = func() int {
			var n int
			query(t, dbURL, func(c *pgx.Conn) error {
				return c.QueryRow(t.Context(), `SELECT count(*) FROM sandbox_records WHERE kind = $1 AND data IS NOT NULL`, numberKind).Scan(&n)
			})
			return n
		}
	default:
		sim := surgesim.New(surgesim.Config{APIKey: "sk_sandbox", ReviewDelay: time.Hour})
		simSrv := serveSandbox(t, sim)
		sandbox = []string{"--sandbox-url", simSrv.URL}
		numbers = func() int { return len(sim.AllNumbers()) }
	}
	const password = "correct horse battery staple"
	env := serveEnv(password)

	// Three processes start at once on the new database: one migrates
	// (ours and River's) while the others wait, one seeds.
	began := time.Now()
	procs := make([]*process, 3)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			var err error
			// The three share one request budget per key (on PostgreSQL):
			// raise it above the storms below.
			procs[i], err = serve(t, bin, env, append([]string{"--addr", "127.0.0.1:0", "--database-url", dbURL,
				"--poll-interval", "500ms", "--log-level", "warn", "--rate-limit", "1000", "--rate-burst", "5000"}, sandbox...)...)
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("3 processes up in %v", time.Since(began).Round(time.Millisecond))
	testKey, seeded := "", 0
	for _, p := range procs {
		if m := testKeyRE.FindStringSubmatch(p.banner); m != nil {
			testKey = m[1]
			seeded++
		}
	}
	if seeded != 1 {
		t.Fatalf("%d processes seeded, want exactly 1", seeded)
	}
	hs := make([]*harness, len(procs))
	for i, p := range procs {
		hs[i] = &harness{t: t, url: p.url, testKey: testKey, admin: "admin@localhost", password: password}
	}
	// A session made at one process is good at every other.
	human := hs[0].login()

	// 1. 300 provisions at once over the three, credits for exactly 150.
	hs[1].grant(human, 150*50-1000)
	const n = 300
	results := make([]resp, n)
	began = time.Now()
	for i := range n {
		wg.Go(func() { results[i] = hs[i%3].call("POST", "/v1/phone/provision", testKey, seedBody) })
	}
	wg.Wait()
	elapsed := time.Since(began)
	ok, refused := 0, 0
	seen := map[string]bool{}
	perProc := make([]int, 3)
	for i, r := range results {
		switch r.Status {
		case 202:
			ok++
			perProc[i%3]++
			e := r.json(t)["phone"].(map[string]any)["e164"].(string)
			if seen[e] {
				t.Fatalf("number %s handed out twice", e)
			}
			seen[e] = true
		case 402:
			if code := r.errCode(t); code != "insufficient_credits" {
				t.Fatalf("402 with code %s", code)
			}
			refused++
		default:
			t.Fatalf("unexpected %d %s", r.Status, r.Body)
		}
	}
	if ok != 150 || refused != 150 {
		t.Fatalf("%d provisioned, %d refused; want 150/150", ok, refused)
	}
	if b := hs[2].balance(testKey); b != 0 {
		t.Fatalf("balance %d, want 0", b)
	}
	if c := numbers(); c != 150 {
		t.Fatalf("the carrier has %d numbers, want 150", c)
	}
	if a := activePhones(hs[0]); a != 150 {
		t.Fatalf("%d active phones, want 150", a)
	}
	checkLedger(t, hs[1], 0, 150)
	t.Logf("300 concurrent provisions over 3 processes in %v (%.0f req/s): %d × 202 (per process %v), %d × 402; balance 0, 150 active phones, 150 numbers at the carrier, ledger consistent",
		elapsed.Round(time.Millisecond), n/elapsed.Seconds(), ok, perProc, refused)

	// 2. One Idempotency-Key sent to all three at once, five times each.
	hs[0].grant(human, 100)
	key := "multi-" + uuid.NewString()
	const each = 5
	idem := make([]resp, 3*each)
	began = time.Now()
	for i := range idem {
		wg.Go(func() {
			idem[i] = hs[i%3].call("POST", "/v1/phone/provision", testKey, seedBody, "Idempotency-Key", key)
		})
	}
	wg.Wait()
	elapsed = time.Since(began)
	replayed := 0
	for _, r := range idem {
		if r.Status != 202 {
			t.Fatalf("idempotent request: %d %s", r.Status, r.Body)
		}
		if !bytes.Equal(r.Body, idem[0].Body) {
			t.Fatalf("bodies differ:\n%s\n%s", r.Body, idem[0].Body)
		}
		if r.Header.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	if replayed != len(idem)-1 {
		t.Fatalf("%d of %d answers replayed, want all but one", replayed, len(idem))
	}
	if c := numbers(); c != 151 {
		t.Fatalf("the carrier has %d numbers after one idempotent request, want 151", c)
	}
	if b := hs[1].balance(testKey); b != 50 {
		t.Fatalf("balance %d after one idempotent request, want 50 (one charge)", b)
	}
	checkLedger(t, hs[2], 50, 151)
	t.Logf("one Idempotency-Key, %d concurrent requests over 3 processes in %v: one number, one charge, %d replays with identical bodies",
		len(idem), elapsed.Round(time.Millisecond), replayed)

	// 3. One approval approved at all three at once, five times each.
	hs[2].grant(human, 100)
	sid := hs[1].formedSubject()
	id := hs[2].must(202, hs[2].call("POST", "/v1/subjects/"+sid+"/phone/provision", testKey, seedBody)).json(t)["approval_id"].(string)
	if c := countJobs(t, dbURL, "approval.expire", id); c != 1 {
		t.Fatalf("%d expiry jobs for the approval, want 1", c)
	}
	approvals := make([]resp, 3*each)
	began = time.Now()
	for i := range approvals {
		wg.Go(func() {
			approvals[i] = hs[i%3].call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")
		})
	}
	wg.Wait()
	elapsed = time.Since(began)
	executed, conflicts := 0, 0
	for _, r := range approvals {
		switch r.Status {
		case 200:
			if st := r.json(t)["status"]; st != "executed" {
				t.Fatalf("approve answered 200 with status %v: %s", st, r.Body)
			}
			executed++
		case 409:
			conflicts++
		default:
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
	}
	if executed != 1 || conflicts != len(approvals)-1 {
		t.Fatalf("%d executed, %d conflicts; want 1 and %d", executed, conflicts, len(approvals)-1)
	}
	if c := numbers(); c != 152 {
		t.Fatalf("the carrier has %d numbers after one approval, want 152", c)
	}
	if b := hs[0].balance(testKey); b != 100 {
		t.Fatalf("balance %d after one approval, want 100 (one charge)", b)
	}
	if sum, kept := ledgerTotals(hs[0]); sum != 100 || kept != 152 {
		t.Fatalf("ledger sums to %d with %d charges kept, want 100 and 152", sum, kept)
	}
	for _, r := range approvals {
		if r.Status == 200 {
			ph := r.json(t)["result"].(map[string]any)["phone"].(map[string]any)
			hs[1].must(200, hs[1].call("GET", "/v1/subjects/"+sid+"/phone/"+ph["id"].(string), testKey, nil))
		}
	}
	t.Logf("one approval, %d concurrent approves over 3 processes in %v: 1 × 200 executed, %d × 409; one number, one charge",
		len(approvals), elapsed.Round(time.Millisecond), conflicts)

	// The periodic passes ran on River's leader alone: one campaign poll
	// per 500ms between the three processes, not three.
	polls, leaders, since := periodicFigures(t, dbURL)
	periods := int(since/(500*time.Millisecond)) + 1
	t.Logf("periodic: %d campaign polls in %v (%d periods of 500ms) across 3 processes; %d leader", polls, since.Round(time.Millisecond), periods, leaders)
	if leaders != 1 {
		t.Fatalf("%d River leaders, want 1", leaders)
	}
	if polls > periods+3 {
		t.Fatalf("%d campaign polls in %d periods: more than the leader inserts them", polls, periods)
	}

	// Failed logins are counted in the database: five spread over the
	// three processes lock the email at every one of them.
	wrong := `{"email":"admin@localhost","password":"not the password"}`
	for i := range 5 {
		if r := hs[i%3].call("POST", "/v1/auth/login", "", wrong); r.Status != 401 {
			t.Fatalf("wrong password %d at process %d: %d %s", i+1, i%3, r.Status, r.Body)
		}
	}
	for i, h := range hs {
		r := h.call("POST", "/v1/auth/login", "", `{"email":"admin@localhost","password":"`+password+`"}`)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the right password at process %d after 5 failures elsewhere: %d %s", i, r.Status, r.Body)
		}
	}
	t.Logf("5 failed logins over 3 processes: the email is throttled (429 + Retry-After) at all three")
}

// activePhones counts the default subject's active phones, page by page.
func activePhones(h *harness) int {
	h.t.Helper()
	active, cursor := 0, ""
	for {
		path := "/v1/phone?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		l := h.must(200, h.call("GET", path, h.testKey, nil)).json(h.t)
		for _, x := range l["data"].([]any) {
			if x.(map[string]any)["status"] == "active" {
				active++
			}
		}
		if l["next_cursor"] == nil {
			return active
		}
		cursor = l["next_cursor"].(string)
	}
}

// ledgerTotals sums the whole ledger and counts the charges neither
// refunded nor refunded twice.
func ledgerTotals(h *harness) (sum int64, kept int) {
	h.t.Helper()
	charges := map[string]int{}
	cursor := ""
	for {
		path := "/v1/credits/ledger?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		l := h.must(200, h.call("GET", path, h.testKey, nil)).json(h.t)
		for _, x := range l["data"].([]any) {
			e := x.(map[string]any)
			sum += int64(e["amount"].(float64))
			switch e["reason"] {
			case "phone.provision":
				charges[e["reference_id"].(string)]++
			case "phone.provision.refund":
				charges[e["reference_id"].(string)]--
			}
		}
		if l["next_cursor"] == nil {
			break
		}
		cursor = l["next_cursor"].(string)
	}
	for id, c := range charges {
		switch c {
		case 0:
		case 1:
			kept++
		default:
			h.t.Fatalf("phone %s charged %d times net", id, c)
		}
	}
	return sum, kept
}

// countJobs counts River jobs of kind for an approval, in any state.
func countJobs(t *testing.T, dbURL, kind, approvalID string) int {
	t.Helper()
	var n int
	query(t, dbURL, func(c *pgx.Conn) error {
		return c.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'approval_id' = $2`,
			kind, approvalID).Scan(&n)
	})
	return n
}

// periodicFigures returns how many campaign polls River has run and over
// how long, and how many leaders it has.
func periodicFigures(t *testing.T, dbURL string) (polls, leaders int, since time.Duration) {
	t.Helper()
	query(t, dbURL, func(c *pgx.Conn) error {
		var first time.Time
		if err := c.QueryRow(context.Background(), `SELECT count(*), coalesce(min(created_at), now()) FROM river_job WHERE kind = 'campaign.poll'`).
			Scan(&polls, &first); err != nil {
			return err
		}
		since = time.Since(first)
		return c.QueryRow(context.Background(), `SELECT count(*) FROM river_leader`).Scan(&leaders)
	})
	return polls, leaders, since
}

func query(t *testing.T, dbURL string, fn func(*pgx.Conn) error) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := fn(c); err != nil {
		t.Fatal(fmt.Errorf("query %s: %w", dbURL, err))
	}
}

// raceEnabled is set by race_test.go when the tests run with -race.
var raceEnabled bool
