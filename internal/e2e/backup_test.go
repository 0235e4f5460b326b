package e2e_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store/sqlite"
)

// TestAdminBackup: `naive admin backup` copies an SQLite database while a
// server writes to it; the copy opens, holds what was written before the
// backup began, and its ledger adds up. An existing file is refused.
func TestAdminBackup(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "naive.db")
	h := start(t, db)
	human := h.login()
	h.grant(human, 100000)
	before := map[string]bool{}
	for i := range 5 {
		id := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"before-`+strconv.Itoa(i)+`"}`)).json(t)["id"].(string)
		before[id] = true
	}
	ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)

	// Writers keep the server busy during the backup.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				r := h.call("POST", "/v1/agents", h.testKey, `{"name":"during-`+strconv.Itoa(w)+`-`+strconv.Itoa(i)+`"}`)
				if r.Status != 201 {
					t.Errorf("agent during the backup: %d %s", r.Status, r.Body)
					return
				}
				if i%5 == 0 {
					if r := h.call("POST", "/v1/credits/grant", human, `{"amount":1}`, "Naive-Mode", "test"); r.Status != 201 {
						t.Errorf("grant during the backup: %d %s", r.Status, r.Body)
						return
					}
				}
				written.Add(1)
			}
		}()
	}
	waitFor(t, "writes", func() bool { return written.Load() >= 10 })
	copyPath := filepath.Join(dir, "copy.db")
	code, out, errOut := naiveCmd(t, "", "admin", "backup", "--database-url", db, "--to", copyPath, "--json")
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut := naiveCmd(t, "", "admin", "backup", "--database-url", db, "--to", copyPath); code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("backup to an existing file: exit %d: %s", code, errOut)
	}

	cp, err := sqlite.Open(t.Context(), "sqlite:"+copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	sc := naive.Scope{OperatorID: h.app.Bootstrapped().OperatorID, Mode: naive.ModeTest}
	agents, err := cp.ListAgents(t.Context(), sc, naive.Page{})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, a := range agents {
		if before[a.ID] {
			found++
		}
	}
	if found != len(before) {
		t.Fatalf("the copy has %d of the %d agents made before the backup (%d agents in all)", found, len(before), len(agents))
	}
	if _, err := cp.GetPhone(t.Context(), sc, ph); err != nil {
		t.Fatalf("the number bought before the backup: %v", err)
	}
	bal, err := cp.Balance(t.Context(), sc)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := cp.ListLedger(t.Context(), sc, naive.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range entries {
		sum += e.Amount
	}
	if sum != bal || bal < 100000+1000-50 {
		t.Fatalf("the copy's balance %d, ledger sum %d (%d entries)", bal, sum, len(entries))
	}
	t.Logf("copied %d agents, %d ledger entries while %d writes ran", len(agents), len(entries), written.Load())
}
