package cli

import (
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/bench"
)

// newBenchCmd is `naive bench`: the load harness (internal/bench).
func newBenchCmd(f *Factory) *cobra.Command {
	var (
		databaseURL    string
		duration       time.Duration
		strict         bool
		durableSandbox bool
		cpuProfile     string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the server's speed as ratios to baselines measured on this machine",
		Long: `Measure the server's speed as ratios to baselines measured in the same run.

It first measures two baselines on this machine:

  B0  a bare net/http server on loopback answering a small JSON GET,
      at 32 concurrent requests;
  B1  one raw store transaction with a provision's writes (balance debit,
      phone, ledger entry) on the store's own driver, 16 at once, no HTTP.

Then it starts the real server in-process (test mode, the sandbox carrier, no
rate limit) on a temporary SQLite file, or with --database-url on a scratch
PostgreSQL database it creates and drops, and measures:

  GET  /v1/phone/{id}          32 at once   target ≥ 0.50 × B0
  POST /v1/phone/provision     16 at once   target ≥ 0.40 × B1
  POST /webhooks/surge         16 at once   target ≥ 0.50 × B1  (inbound texts)
  POST /v1/phone/{id}/sms      16 at once   target ≥ 0.40 × B1

each after a short warm-up. Last it starts ` + "`naive serve`" + ` as a child process on a
fresh SQLite file, three times, and times each until /readyz answers (the
median, target ≤ 150 ms), then reads the last one's idle resident memory a few
seconds later (target < 40 MB).

Raw rates depend on the machine; compare machines by the ratios. The exit
status is 0 whether or not the targets are met, unless --strict. The table is
printed even when stdout is not a terminal; --json prints the report as JSON.`,
		Example: `  naive bench
  naive bench --duration 10s --strict
  naive bench --database-url "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if duration <= 0 {
				return usageError{errorf("--duration must be positive, not %s", duration)}
			}
			if databaseURL != "" && !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
				return usageError{errorf("--database-url takes a postgres:// URL (without it the bench runs on temporary SQLite files)")}
			}
			if cpuProfile != "" {
				// The server runs in this process: the profile shows where
				// its time goes (and the load generator's).
				out, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer out.Close()
				if err := pprof.StartCPUProfile(out); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			rep, err := bench.Run(cmd.Context(), bench.Config{DatabaseURL: databaseURL, Duration: duration, Progress: f.IO.ErrOut,
				DurableSandbox: durableSandbox})
			if err != nil {
				return err
			}
			if f.Flags.JSON {
				err = printJSON(f.IO.Out, rep)
			} else {
				err = rep.WriteTable(f.IO.Out)
			}
			if err != nil {
				return err
			}
			if missed := rep.Missed(); strict && len(missed) > 0 {
				return &exitError{code: ExitError, err: errorf("--strict: %d short of target: %s", len(missed), strings.Join(missed, "; "))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&databaseURL, "database-url", "", "run on scratch databases of this PostgreSQL server (postgres://…); default temporary SQLite files")
	fl.DurationVar(&duration, "duration", 5*time.Second, "how long each scenario is measured, after its warm-up")
	fl.BoolVar(&strict, "strict", false, "exit 1 when a target is missed or a request failed")
	fl.BoolVar(&durableSandbox, "durable-sandbox", false, "keep the sandbox carrier's state in the database during the scenarios, as naive serve does (default: in memory, to measure the server alone)")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (server included) to this file, for go tool pprof")
	return cmd
}
