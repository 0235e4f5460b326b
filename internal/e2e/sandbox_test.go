package e2e_test

import (
	"database/sql"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
)

// The sandbox carrier keeps its state in the server's database: a restart,
// and every process on one database, serve the same test carrier, with no
// sandbox flags.

// sandboxArgs are the flags of a `naive serve` in these tests: no sandbox
// flags but a short campaign review, so a review outlives a restart.
func sandboxArgs(dbURL string) []string {
	return []string{"--addr", "127.0.0.1:0", "--database-url", dbURL, "--sandbox-review-delay", "4s",
		"--poll-interval", "300ms", "--log-level", "warn", "--sandbox-carrier", testCarrier()}
}

// sandboxKinds are the sandbox record kinds of a brand and a number of the
// simulator the suite runs on.
func sandboxKinds() (brand, number string) {
	if testCarrier() == "telnyx" {
		return "telnyx.brand", "telnyx.number"
	}
	return "account", "number"
}

// waitLong is waitFor with a deadline for what crosses a restart.
func waitLong(t *testing.T, what string, within time.Duration, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// carrierChecksOK asserts the number's status reports every carrier check ok.
func carrierChecksOK(t *testing.T, h *harness) {
	t.Helper()
	st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t)
	checks, _ := st["checks"].([]any)
	if len(checks) == 0 {
		t.Fatalf("status has no carrier checks: %v", st)
	}
	for _, c := range checks {
		if c := c.(map[string]any); c["status"] != "ok" {
			t.Fatalf("carrier check %v after a restart: %v", c["check"], c)
		}
	}
}

// textBothWays sends a text from number id through h and has the sandbox
// text it back, then waits until the outbound one is delivered and the
// inbound one is stored, reading through reader.
func textBothWays(t *testing.T, h, reader *harness, id, e164, from string) {
	t.Helper()
	out := h.must(201, h.call("POST", "/v1/phone/"+id+"/sms", h.testKey, `{"to":"`+from+`","body":"Your order is ready"}`)).json(t)
	mid := out["id"].(string)
	h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"`+from+`","body":"Thanks!"}`))
	waitLong(t, "the outbound text delivered (the sandbox's webhooks)", 40*time.Second, func() bool {
		return reader.must(200, reader.call("GET", "/v1/phone/messages/"+mid, reader.testKey, nil)).json(t)["status"] == "delivered"
	})
	waitLong(t, "the inbound text stored", 40*time.Second, func() bool {
		for _, m := range reader.must(200, reader.call("GET", "/v1/phone/"+id+"/messages", reader.testKey, nil)).json(t)["data"].([]any) {
			if m := m.(map[string]any); m["direction"] == "inbound" && m["from"] == from {
				return true
			}
		}
		return false
	})
}

// outbound reports whether number id can text.
func outbound(t *testing.T, h *harness, id string) bool {
	return h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(t)["capabilities"].(map[string]any)["sms_outbound"] == true
}

// TestSandboxSurvivesRestart: a number provisioned before a kill -9, whose
// campaign review was under way, works after the restart on the same
// SQLite file (its review completes, it texts both ways), and after a
// second, graceful restart a new number joins the same brand and the
// first is released.
func TestSandboxSurvivesRestart(t *testing.T) {
	bin := buildNaive(t)
	path := filepath.Join(t.TempDir(), "naive.db")
	dbURL := "sqlite:" + path
	const password = "correct horse battery staple"
	env := serveEnv(password)
	p, err := serve(t, bin, env, sandboxArgs(dbURL)...)
	if err != nil {
		t.Fatal(err)
	}
	m := testKeyRE.FindStringSubmatch(p.banner)
	if m == nil {
		t.Fatalf("no test key in the banner:\n%s", p.banner)
	}
	h := &harness{t: t, url: p.url, testKey: m[1], admin: "admin@localhost", password: password}
	r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)
	ph := r["phone"].(map[string]any)
	id, e164 := ph["id"].(string), ph["e164"].(string)
	if st := r["campaign"].(map[string]any)["status"]; st == "active" {
		t.Fatalf("campaign already active: the review must outlive the restart")
	}

	// kill -9 while the campaign is in review.
	_ = p.cmd.Process.Kill()
	<-p.exited
	if p, err = serve(t, bin, env, sandboxArgs(dbURL)...); err != nil {
		t.Fatal(err)
	}
	h.url = p.url
	waitLong(t, "the campaign reviewed before the restart to activate after it", 30*time.Second, func() bool { return outbound(t, h, id) })
	carrierChecksOK(t, h)
	textBothWays(t, h, h, id, e164, "+14155550123")

	// A graceful restart: a second number on the same brand and campaign.
	p.stop(t)
	if p, err = serve(t, bin, env, sandboxArgs(dbURL)...); err != nil {
		t.Fatal(err)
	}
	h.url = p.url
	r = h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"415"}`)).json(t)
	ph2 := r["phone"].(map[string]any)
	if ph2["e164"] == e164 || r["campaign"].(map[string]any)["status"] != "active" {
		t.Fatalf("second number after restarts: %v", r)
	}
	textBothWays(t, h, h, ph2["id"].(string), ph2["e164"].(string), "+14155550124")
	h.must(200, h.call("DELETE", "/v1/phone/"+id, h.testKey, nil))
	carrierChecksOK(t, h)
	p.stop(t)

	// In the database: one carrier brand, the one number left, and
	// messages for both.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	brandKind, numberKind := sandboxKinds()
	if n := count(`SELECT count(*) FROM sandbox_records WHERE kind = '` + brandKind + `' AND data IS NOT NULL`); n != 1 {
		t.Fatalf("the sandbox holds %d brands, want 1 (one brand across restarts)", n)
	}
	if n := count(`SELECT count(*) FROM sandbox_records WHERE kind = '` + numberKind + `' AND data IS NOT NULL`); n != 1 {
		t.Fatalf("the sandbox holds %d numbers, want 1 (two bought, one released)", n)
	}
	if n := count(`SELECT count(*) FROM phones WHERE status = 'active'`); n != 1 {
		t.Fatalf("%d active phones, want 1", n)
	}
}

// TestSandboxAcrossProcesses: three `naive serve` on one PostgreSQL with no
// sandbox flags share one test carrier: numbers provisioned through any of
// them join one brand, text both ways through each (webhooks sent by
// whichever process runs the sandbox's job), and are released through each.
func TestSandboxAcrossProcesses(t *testing.T) {
	admin := os.Getenv("NAIVE_TEST_POSTGRES_URL")
	if admin == "" {
		t.Skip("NAIVE_TEST_POSTGRES_URL not set; skipping three naive serve processes on one PostgreSQL")
	}
	bin := buildNaive(t)
	dbURL := pgtest.NewDatabase(t, admin)
	const password = "correct horse battery staple"
	env := serveEnv(password)
	procs := make([]*process, 3)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			var err error
			if procs[i], err = serve(t, bin, env, sandboxArgs(dbURL)...); err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	testKey := ""
	for _, p := range procs {
		if m := testKeyRE.FindStringSubmatch(p.banner); m != nil {
			testKey = m[1]
		}
	}
	hs := make([]*harness, 3)
	for i, p := range procs {
		hs[i] = &harness{t: t, url: p.url, testKey: testKey, admin: "admin@localhost", password: password}
	}

	// Six provisions at once, two through each process: the first to come
	// registers the brand at the carrier, the others find it there.
	const n = 6
	ids, e164s := make([]string, n), make([]string, n)
	for i := range n {
		wg.Go(func() {
			r := hs[i%3].call("POST", "/v1/phone/provision", testKey, seedBody, "Idempotency-Key", fmt.Sprintf("sandbox-%d", i))
			// A provision that met the brand's registration under way in
			// another process is answered to retry; the retry (same key)
			// resumes it.
			for tries := 0; r.Status == 409 && tries < 50; tries++ {
				time.Sleep(200 * time.Millisecond)
				r = hs[i%3].call("POST", "/v1/phone/provision", testKey, seedBody, "Idempotency-Key", fmt.Sprintf("sandbox-%d", i))
			}
			if r.Status != 202 {
				t.Errorf("provision %d through process %d: %d %s", i, i%3, r.Status, r.Body)
				return
			}
			ph := r.json(t)["phone"].(map[string]any)
			ids[i], e164s[i] = ph["id"].(string), ph["e164"].(string)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if u := slices.Compact(slices.Sorted(slices.Values(e164s))); len(u) != n {
		t.Fatalf("numbers handed out twice: %v", e164s)
	}
	waitLong(t, "the campaign to activate", 30*time.Second, func() bool { return outbound(t, hs[1], ids[0]) })
	for i, h := range hs {
		carrierChecksOK(t, h)
		// Texts through process i, read through the next one.
		textBothWays(t, h, hs[(i+1)%3], ids[i], e164s[i], fmt.Sprintf("+1415555013%d", i))
		h.must(200, h.call("DELETE", "/v1/phone/"+ids[i], testKey, nil))
	}
	for _, h := range hs {
		carrierChecksOK(t, h)
	}
	// Magic values hold across processes: a text to a number ending 0000
	// fails, and the carrier flags the destination, so a later text to it
	// through another process fails too.
	for i, h := range hs[:2] {
		mid := h.must(201, h.call("POST", "/v1/phone/"+ids[3]+"/sms", testKey, `{"to":"+14155550000","body":"x"}`)).json(t)["id"].(string)
		waitLong(t, fmt.Sprintf("text %d to the magic failing number to fail", i), 20*time.Second, func() bool {
			m := hs[2].must(200, hs[2].call("GET", "/v1/phone/messages/"+mid, testKey, nil)).json(t)
			return m["status"] == "failed" && m["failure_reason"] == "invalid_mobile_number"
		})
	}

	// In the database: one carrier account, the numbers left at the
	// carrier are exactly our active ones, the balance is what was spent.
	var accounts, carrierNumbers, active int
	brandKind, numberKind := sandboxKinds()
	query(t, dbURL, func(c *pgx.Conn) error {
		return c.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM sandbox_records WHERE kind = $1 AND data IS NOT NULL),
			(SELECT count(*) FROM sandbox_records WHERE kind = $2 AND data IS NOT NULL),
			(SELECT count(*) FROM phones WHERE status = 'active')`, brandKind, numberKind).Scan(&accounts, &carrierNumbers, &active)
	})
	if accounts != 1 || carrierNumbers != n-3 || active != n-3 {
		t.Fatalf("%d carrier accounts, %d carrier numbers, %d active phones; want 1, %d, %d", accounts, carrierNumbers, active, n-3, n-3)
	}
	// Five texts: the three delivered are charged, the two failed with
	// invalid_mobile_number are refunded.
	if b := hs[0].balance(testKey); b != 1000-n*50-3 {
		t.Fatalf("balance %d, want %d (six numbers, three delivered texts)", b, 1000-n*50-3)
	}
}

// TestCrashDurableSandbox: storms of provisions with the sandbox on the
// server's database, each cut by a SIGKILL and retried after the restart:
// the carrier's state and ours, written in separate transactions of one
// database, agree afterwards — one number per key, one charge, and every
// number the sandbox holds is an active phone of ours.
func TestCrashDurableSandbox(t *testing.T) {
	bin := buildNaive(t)
	eachDB(t, func(t *testing.T, dbURL string) {
		const password = "correct horse battery staple"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		srv := &crashServer{t: t, bin: bin, env: serveEnv(password), url: "http://" + addr,
			args: []string{"--addr", addr, "--database-url", dbURL, "--sandbox-review-delay", "1h",
				"--poll-interval", "1s", "--log-level", "info"}}
		srv.start()
		t.Cleanup(func() {
			if dir := os.Getenv("NAIVE_TEST_LOG_DIR"); dir != "" && t.Failed() {
				_ = os.WriteFile(filepath.Join(dir, "crash-durable.log"), []byte(srv.logs()), 0o644)
			}
		})
		m := testKeyRE.FindStringSubmatch(srv.proc.banner)
		if m == nil {
			t.Fatalf("no test key in the banner:\n%s", srv.proc.banner)
		}
		h := &harness{t: t, url: srv.url, testKey: m[1], admin: "admin@localhost", password: password}
		rounds := []struct{ keys, killAfter int }{{24, 0}, {24, 6}, {24, 14}, {24, 22}}
		total := 0
		for _, r := range rounds {
			total += r.keys
		}
		h.grant(h.login(), int64(total)*50-1000)
		answers := map[string]resp{}
		var mu sync.Mutex
		for ri, r := range rounds {
			keys := make([]string, r.keys)
			for i := range keys {
				keys[i] = fmt.Sprintf("durable-crash-%d-%d", ri, i)
			}
			answered, wait := storm(t, srv.url, h.testKey, keys, 8, func(k string, res resp) {
				mu.Lock()
				answers[k] = res
				mu.Unlock()
			})
			if r.killAfter == 0 {
				time.Sleep(30 * time.Millisecond) // the first brand's registration
			}
			for range r.killAfter {
				<-answered
			}
			srv.kill()
			srv.start()
			wait()
			if t.Failed() {
				t.Fatalf("round %d failed; server log:\n%s", ri, tail(srv.logs(), 6000))
			}
		}
		phones := map[string]bool{}
		for k, a := range answers {
			if a.Status != http.StatusAccepted {
				t.Fatalf("key %s answered %d: %s", k, a.Status, a.Body)
			}
			id := a.json(t)["phone"].(map[string]any)["id"].(string)
			if phones[id] {
				t.Fatalf("phone %s answered to two keys", id)
			}
			phones[id] = true
		}
		// A graceful restart: the new leader's reconciliation releases any
		// number the sandbox holds that is not ours.
		srv.proc.stop(t)
		srv.stderr = append(srv.stderr, srv.proc.stderr.String())
		srv.start()
		carrier := func() map[string]bool {
			out := map[string]bool{}
			rowsOf(t, dbURL, `SELECT id FROM sandbox_records WHERE kind = 'number' AND data IS NOT NULL`, func(v string) { out[v] = true })
			return out
		}
		deadline := time.Now().Add(30 * time.Second)
		for held, ours := carrier(), activeCarrierIDs(t, dbURL); !maps.Equal(held, ours); held, ours = carrier(), activeCarrierIDs(t, dbURL) {
			if time.Now().After(deadline) {
				var extra, missing []string
				for id := range held {
					if !ours[id] {
						extra = append(extra, id)
					}
				}
				for id := range ours {
					if !held[id] {
						missing = append(missing, id)
					}
				}
				var states []string
				for _, id := range append(extra, missing...) {
					rowsOf(t, dbURL, `SELECT id || ' ' || status || ' ' || carrier_id FROM phones WHERE carrier_id = '`+id+`'`, func(v string) { states = append(states, v) })
					rowsOf(t, dbURL, `SELECT coalesce(data, 'deleted') FROM sandbox_records WHERE kind = 'number' AND id = '`+id+`'`, func(v string) { states = append(states, v) })
				}
				t.Fatalf("the sandbox holds numbers not ours %v, and lacks ours %v:\n%s\nserver log:\n%s", extra, missing, strings.Join(states, "\n"),
					tail(srv.logs(), 3000))
			}
			time.Sleep(200 * time.Millisecond)
		}
		if n := len(carrier()); n != total {
			t.Fatalf("the sandbox holds %d numbers, want %d", n, total)
		}
		if b := h.balance(h.testKey); b != 0 {
			t.Fatalf("balance %d, want 0", b)
		}
		if sum, kept := ledgerTotals(h); sum != 0 || kept != total {
			t.Fatalf("ledger sums to %d with %d charges kept, want 0 and %d", sum, kept, total)
		}
		st := crashState(t, dbURL)
		if st.unfinishedKeys != 0 || st.provisioning != 0 {
			t.Fatalf("left behind: %d unfinished keys, %d provisioning phones", st.unfinishedKeys, st.provisioning)
		}
		t.Logf("%d keys over %d SIGKILLs with the sandbox on the database: %d numbers at the sandbox, all ours; %d resumed a dead run; %d phones refunded",
			total, len(rounds), total, strings.Count(srv.logs(), "idempotency key taken over"), st.failed)
	})
}
