package e2e_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// TestCrashRecovery is the operator's bad day: storms of provisions, each
// with its own Idempotency-Key, while the real `naive serve` process is
// killed with SIGKILL at several moments — during the first brand's
// registration and mid-purchase — and restarted on the same database, with
// every client retrying its same key until it gets an answer. Afterwards,
// in the database and at the carrier: each key has exactly one number and
// one charge, every retry answers what the first answer said, the balance
// equals the ledger and is zero (credits were granted for exactly one
// number per key, so a second charge would show as a 402), every number at
// the carrier is ours, no key is left unfinished and no phone provisioning.
// The carrier is a standalone simulator of the suite's carrier (Surge's or
// Telnyx's, NAIVE_TEST_CARRIER), outliving every kill.
func TestCrashRecovery(t *testing.T) {
	bin := buildNaive(t)
	dbs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "naive.db") },
		"postgres": func(t *testing.T) string {
			admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
			if admin == "" {
				t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping the PostgreSQL crash suite")
			}
			return pgtest.NewDatabase(t, admin)
		},
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			crashSuite(t, bin, open(t))
		})
	}
}

// crashServer is one naive serve that the suite kills and restarts on the
// same address and database, with a sandbox carrier that outlives it.
type crashServer struct {
	t      *testing.T
	bin    string
	env    []string
	args   []string
	url    string
	proc   *process
	stderr []string // every killed process's log
}

func (c *crashServer) start() {
	c.t.Helper()
	p, err := serve(c.t, c.bin, c.env, c.args...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.proc = p
}

// kill sends SIGKILL: no shutdown, no deferred writes, whatever was in flight.
func (c *crashServer) kill() {
	c.t.Helper()
	_ = c.proc.cmd.Process.Kill()
	<-c.proc.exited
	c.stderr = append(c.stderr, c.proc.stderr.String())
}

func (c *crashServer) logs() string {
	return strings.Join(append(c.stderr, c.proc.stderr.String()), "\n")
}

func crashSuite(t *testing.T, bin, dbURL string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The carrier lives outside the server: a purchase it received is
	// carried out whether or not the server lives to hear the answer.
	view, carrierArgs := crashCarrier(t, "http://"+addr)
	const password = "correct horse battery staple"
	env := serveEnv(password)
	srv := &crashServer{t: t, bin: bin, env: env, url: "http://" + addr,
		args: append([]string{"--addr", addr, "--database-url", dbURL, "--poll-interval", "1s", "--log-level", "info",
			// Recovery is under test, not the request budget.
			"--rate-limit", "-1"}, carrierArgs...)}
	srv.start()
	m := testKeyRE.FindStringSubmatch(srv.proc.banner)
	if m == nil {
		t.Fatalf("no test key in the first start's banner:\n%s", srv.proc.banner)
	}
	h := &harness{t: t, url: srv.url, testKey: m[1], admin: "admin@localhost", password: password}

	// Each round: a storm of provisions with fresh keys, a SIGKILL at a
	// moment chosen to land mid-action, a restart, every key retried.
	rounds := []struct {
		name string
		keys int
		// The kill comes after killAfter answers, or after killAt when no
		// answer is expected before it (the brand is registered first).
		killAfter int
		killAt    time.Duration
		slow      simOp // the carrier call slowed down so the kill lands in it
		delay     time.Duration
	}{
		{"first brand registration", 8, 0, 400 * time.Millisecond, opRegister, time.Second},
		{"purchases 1", 40, 8, 0, opBuy, 150 * time.Millisecond},
		{"purchases 2", 40, 20, 0, opBuy, 100 * time.Millisecond},
		{"purchases 3", 40, 1, 0, opBuy, 250 * time.Millisecond},
		{"mid-storm", 40, 16, 0, opBuy, 40 * time.Millisecond},
	}
	total := 0
	for _, r := range rounds {
		total += r.keys
	}
	human := h.login()
	// Credits for exactly one number per key (the first start grants 1000).
	h.grant(human, int64(total)*50-1000)

	answers := map[string]resp{} // key → the first definitive answer
	var mu sync.Mutex
	for ri, r := range rounds {
		// inSlow counts the carrier calls sleeping in the slowed call:
		// each belongs to a run past its reserve, so a kill while one
		// sleeps lands mid-action whatever the machine's speed.
		var inSlow atomic.Int32
		view.Slow(r.slow, r.delay, func(d int32) { inSlow.Add(d) })
		keys := make([]string, r.keys)
		for i := range keys {
			keys[i] = fmt.Sprintf("crash-%d-%d-%s", ri, i, uuid.NewString())
		}
		began := time.Now()
		answered, wait := storm(t, srv.url, h.testKey, keys, 16, func(k string, res resp) {
			mu.Lock()
			answers[k] = res
			mu.Unlock()
		})
		if r.killAfter > 0 {
			for range r.killAfter {
				<-answered
			}
		} else {
			time.Sleep(r.killAt)
		}
		// On a loaded machine the requests still in flight may not have
		// reached the carrier yet: wait until one is inside the slowed call.
		for deadline := time.Now().Add(10 * time.Second); inSlow.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		killedAt := time.Since(began)
		srv.kill()
		view.Slow("", 0, nil)
		srv.start() // same address, same database
		wait()
		if t.Failed() {
			t.Fatalf("round %q failed; server log:\n%s", r.name, tail(srv.logs(), 6000))
		}
		resumed := strings.Count(srv.proc.stderr.String(), "idempotency key taken over")
		t.Logf("round %q: SIGKILL %v into the storm, restart; %d keys answered after %v, %d of them by resuming a dead run",
			r.name, killedAt.Round(time.Millisecond), r.keys, time.Since(began).Round(time.Millisecond), resumed)
		if resumed == 0 {
			t.Errorf("round %q: no retry resumed a dead run: the kill landed nowhere that matters", r.name)
		}
	}
	// Every key answered 202 with its own number; a retry now replays
	// exactly what the first answer said.
	phones := map[string]string{} // phone id → key
	for k, first := range answers {
		if first.Status != http.StatusAccepted {
			t.Errorf("key %s answered %d: %s", k, first.Status, first.Body)
			continue
		}
		id := first.json(t)["phone"].(map[string]any)["id"].(string)
		if other, dup := phones[id]; dup {
			t.Errorf("keys %s and %s answered the same phone %s", k, other, id)
		}
		phones[id] = k
		again := h.call("POST", "/v1/phone/provision", h.testKey, seedBody, "Idempotency-Key", k)
		if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
			t.Errorf("key %s: first answer %d %s, retry %d %s", k, first.Status, first.Body, again.Status, again.Body)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Restart once more, gracefully: the new leader's reconciliation pass
	// releases any number the carrier holds that is not ours.
	srv.proc.stop(t)
	srv.stderr = append(srv.stderr, srv.proc.stderr.String())
	srv.start()
	ours := func() (extra []string) {
		active := activeCarrierIDs(t, dbURL)
		for _, n := range view.Numbers() {
			if !active[n.ID] {
				extra = append(extra, n.ID+" (named "+n.Ref+")")
			}
		}
		return extra
	}
	deadline := time.Now().Add(30 * time.Second)
	for extra := ours(); len(extra) > 0; extra = ours() {
		if time.Now().After(deadline) {
			t.Fatalf("the carrier holds numbers that are not ours: %v", extra)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The database: balance = ledger = 0, one charge per key's phone and
	// none kept for any other, no key unfinished, nothing provisioning.
	if b := h.balance(h.testKey); b != 0 {
		t.Errorf("balance %d, want 0", b)
	}
	sum, kept := ledgerTotals(h)
	if sum != 0 || kept != total {
		t.Errorf("ledger sums to %d with %d charges kept, want 0 and %d", sum, kept, total)
	}
	if a := activePhones(h); a != total {
		t.Errorf("%d active phones, want %d (one per key)", a, total)
	}
	if n := len(view.Numbers()); n != total {
		t.Errorf("the carrier holds %d numbers, want %d", n, total)
	}
	st := crashState(t, dbURL)
	if st.unfinishedKeys != 0 || st.provisioning != 0 || st.lockedApprovals != 0 {
		t.Errorf("left behind: %d unfinished keys, %d provisioning phones", st.unfinishedKeys, st.provisioning)
	}
	for id := range phones {
		if !st.active[id] {
			t.Errorf("phone %s that a key answered is not active", id)
		}
	}
	takeovers := strings.Count(srv.logs(), "idempotency key taken over")
	t.Logf("%d keys over %d SIGKILLs: %d answers resumed a dead run; each key one number, one charge; balance = ledger = 0; "+
		"%d numbers at the carrier, all ours; %d phones refunded after an interrupted run",
		total, len(rounds), takeovers, len(view.Numbers()), st.failed)
}

// crashCarrier serves a standalone simulator of the suite's carrier
// (testCarrier) that posts its signed webhooks to the server at serverURL,
// and returns its view and the serve flags that point test mode at it.
func crashCarrier(t *testing.T, serverURL string) (simView, []string) {
	if testCarrier() == "telnyx" {
		sim := telnyxsim.New(telnyxsim.Config{APIKey: "KEY_sandbox", ReviewDelay: time.Hour, WebhookURL: serverURL + "/webhooks/telnyx"})
		srv := httptest.NewServer(sim)
		t.Cleanup(func() {
			srv.Close()
			sim.Close()
		})
		return telnyxView{sim}, []string{"--sandbox-carrier", "telnyx", "--sandbox-telnyx-url", srv.URL,
			"--sandbox-telnyx-public-key", sim.PublicKey()}
	}
	secret := webhooksig.NewSecret()
	sim := surgesim.New(surgesim.Config{APIKey: "sk_sandbox", ReviewDelay: time.Hour,
		WebhookURL: serverURL + "/webhooks/surge", WebhookSecret: secret})
	return surgeView{sim}, []string{"--sandbox-url", serveSandbox(t, sim).URL, "--sandbox-webhook-secret", secret}
}

// storm provisions with each key from workers goroutines at once, each
// until answered (provisionUntilAnswered), passing every answer to got; it
// returns a channel that receives once per answer and a wait for them all.
func storm(t *testing.T, url, token string, keys []string, workers int, got func(key string, r resp)) (<-chan struct{}, func()) {
	work := make(chan string, len(keys))
	for _, k := range keys {
		work <- k
	}
	close(work)
	answered := make(chan struct{}, len(keys))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := range work {
				got(k, provisionUntilAnswered(t, url, token, k, 2*time.Minute))
				answered <- struct{}{}
			}
		})
	}
	return answered, wg.Wait
}

// provisionUntilAnswered sends one provision with key until it gets a
// definitive answer: any 2xx or 4xx but a retryable 409. Connection errors
// (the server is down) and 5xx are retried, as any client would.
func provisionUntilAnswered(t *testing.T, url, token, key string, within time.Duration) resp {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: 30 * time.Second}
	for attempt := 0; ; attempt++ {
		if time.Now().After(deadline) {
			t.Errorf("key %s: no answer within %v", key, within)
			return resp{}
		}
		req, _ := http.NewRequest("POST", url+"/v1/phone/provision", strings.NewReader(seedBody))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			r := resp{Status: res.StatusCode, Header: res.Header, Body: b}
			retry := rerr != nil || res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests ||
				(res.StatusCode == http.StatusConflict && bytes.Contains(b, []byte(`"retryable":true`)))
			if !retry {
				return r
			}
		}
		time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
	}
}

// crashLeft is what the database holds after the storms.
type crashLeft struct {
	unfinishedKeys, provisioning, lockedApprovals, failed int
	active                                                map[string]bool
}

// crashState reads the run records and phones straight from the database.
func crashState(t *testing.T, dbURL string) crashLeft {
	t.Helper()
	out := crashLeft{active: map[string]bool{}}
	queries := []struct {
		q   string
		dst *int
	}{
		{`SELECT count(*) FROM idempotency_keys WHERE completed = false AND action <> ''`, &out.unfinishedKeys},
		{`SELECT count(*) FROM phones WHERE status = 'provisioning'`, &out.provisioning},
		{`SELECT count(*) FROM phones WHERE status = 'failed'`, &out.failed},
		{`SELECT count(*) FROM approvals WHERE status = 'executing'`, &out.lockedApprovals},
	}
	rowsOf(t, dbURL, `SELECT id FROM phones WHERE status = 'active'`, func(v string) { out.active[v] = true })
	for _, q := range queries {
		rowsOf(t, dbURL, q.q, func(v string) { *q.dst, _ = strconv.Atoi(v) })
	}
	return out
}

// activeCarrierIDs returns the carrier ids of every active phone.
func activeCarrierIDs(t *testing.T, dbURL string) map[string]bool {
	out := map[string]bool{}
	rowsOf(t, dbURL, `SELECT carrier_id FROM phones WHERE status = 'active'`, func(v string) { out[v] = true })
	return out
}

// rowsOf runs a one-column query on either database, passing each value
// as text.
func rowsOf(t *testing.T, dbURL, q string, each func(string)) {
	t.Helper()
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(strings.ReplaceAll(q, "= false", "= 0"))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v any
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			each(fmt.Sprint(v))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	query(t, dbURL, func(c *pgx.Conn) error {
		rows, err := c.Query(context.Background(), q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v any
			if err := rows.Scan(&v); err != nil {
				return err
			}
			each(fmt.Sprint(v))
		}
		return rows.Err()
	})
}
