package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/bench"
	"github.com/naive-oss/naive/internal/cli"
)

// serveEnv makes this test binary act as `naive` (for the child server
// the harness starts), since it has no serve command of its own.
const serveEnv = "NAIVE_BENCH_TEST_AS_NAIVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serveCommand runs this test binary as `naive serve`.
func serveCommand(ctx context.Context, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	return cmd
}

// TestRun runs the harness briefly on each database and checks only that
// every baseline and scenario completed requests without an error and
// that the report has every row. Timing never decides this test: the
// ratios and targets are printed, not asserted.
func TestRun(t *testing.T) {
	dbs := map[string]string{"sqlite": ""}
	if u := os.Getenv("NAIVE_TEST_POSTGRES_URL"); u != "" {
		dbs["postgres"] = u
	} else {
		t.Log("NAIVE_TEST_POSTGRES_URL not set; running on SQLite only")
	}
	for name, dbURL := range dbs {
		t.Run(name, func(t *testing.T) {
			var progress bytes.Buffer
			rep, err := bench.Run(t.Context(), bench.Config{DatabaseURL: dbURL, Duration: 200 * time.Millisecond,
				IdleWait: 100 * time.Millisecond, ServeCommand: serveCommand, Progress: &progress})
			if err != nil {
				t.Fatalf("run: %v\n%s", err, progress.String())
			}
			var table bytes.Buffer
			if err := rep.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", table.String())

			if rep.Database != name {
				t.Errorf("report says database %q, want %q", rep.Database, name)
			}
			want := []string{bench.RowB0, bench.RowB1, bench.RowGet, bench.RowProvision, bench.RowWebhook, bench.RowSMS}
			if len(rep.Rows) != len(want) {
				t.Errorf("report has %d rows, want %d", len(rep.Rows), len(want))
			}
			for _, s := range want {
				row := rep.Row(s)
				switch {
				case row == nil:
					t.Errorf("no row %q", s)
				case row.Requests == 0:
					t.Errorf("%s completed no request", s)
				case row.Errors > 0:
					t.Errorf("%s: %d errors, the first: %s", s, row.Errors, row.FirstError)
				}
				if row != nil && row.Baseline != "" && (row.Result != bench.ResultOK && row.Result != bench.ResultBelow) {
					t.Errorf("%s: result %q", s, row.Result)
				}
			}
			for _, s := range []string{bench.CheckStartup, bench.CheckIdleRSS} {
				c := rep.Check(s)
				switch {
				case c == nil:
					t.Errorf("no check %q", s)
				case c.Result == bench.ResultFailed:
					t.Errorf("%s not measured: %s", s, c.Error)
				}
			}
			// The JSON report carries the same rows.
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range want {
				if !strings.Contains(string(b), `"scenario":"`+s+`"`) {
					t.Errorf("JSON report lacks %q: %s", s, b)
				}
			}
		})
	}
}
