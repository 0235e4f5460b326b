// Package bench is naive's load harness, run by `naive bench`. In one run
// it measures two baselines on this machine and then the real server under
// the same load, and reports each scenario's rate as a ratio of its
// baseline's:
//
//   - B0, a bare net/http server on loopback answering a small JSON GET,
//     driven like the GET scenario: what the machine, Go's HTTP stack and
//     the load generator cost with no product at all;
//   - B1, one raw store transaction doing a provision's minimal writes
//     (the balance debit, a phone row, a ledger entry) on the store's own
//     driver and connection settings, with no HTTP: what the database costs
//     a purchase.
//
// Raw rates differ from machine to machine; the ratios say what the
// product adds over what the machine and the database cost anyway, so
// machines are compared by ratio, never by raw times. Each scenario has a
// target ratio; missing one is reported, and decides the exit status only
// under `naive bench --strict`.
//
// Besides the load, a real `naive serve` child process on a fresh SQLite
// file is timed from start until /readyz answers (the median of three
// starts), and its idle resident memory is read a few seconds later.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Concurrency of the scenarios: the read scenario and its baseline B0 run
// this many workers, the write scenarios and B1 WriteConcurrency.
const (
	ReadConcurrency  = 32
	WriteConcurrency = 16
)

// Names of the rows of a report, in the order they are measured.
const (
	RowB0        = "B0 bare net/http GET"
	RowB1        = "B1 raw store write"
	RowGet       = "GET /v1/phone/{id}"
	RowProvision = "POST /v1/phone/provision"
	RowWebhook   = "POST /webhooks/surge"
	RowSMS       = "POST /v1/phone/{id}/sms"
)

// Names of the process checks.
const (
	CheckStartup = "start until /readyz"
	CheckIdleRSS = "idle RSS"
)

// Baselines, as the Baseline of a row names them.
const (
	B0 = "B0"
	B1 = "B1"
)

// Targets: the least ratio to its baseline each scenario should reach,
// and the process limits.
const (
	TargetGet       = 0.50
	TargetProvision = 0.40
	TargetWebhook   = 0.50
	TargetSMS       = 0.40

	TargetStartupMillis = 150 // at most
	TargetIdleRSSMB     = 40  // less than
)

// Results of a row or check.
const (
	ResultOK     = "ok"
	ResultBelow  = "below"  // a ratio under its target
	ResultAbove  = "above"  // a process measure over its limit
	ResultFailed = "failed" // could not be measured
)

// Config configures a run. Zero values take the defaults.
type Config struct {
	// DatabaseURL is "" to run on temporary SQLite files, or a postgres://
	// URL of a server on which the run creates scratch databases
	// (naive_bench_<random>) and drops them at the end. The database the
	// URL names is only used to connect.
	DatabaseURL string
	// Duration of each measured scenario (default 5s).
	Duration time.Duration
	// Warmup run before each scenario, not measured (default a fifth of
	// Duration, at most 1s).
	Warmup time.Duration
	// IdleWait is how long after /readyz answers the child's resident
	// memory is read (default 3s).
	IdleWait time.Duration
	// ServeCommand returns the command that runs `naive serve` with args,
	// for the startup and memory checks. The default runs this executable
	// (os.Executable) with "serve" and args, with the NAIVE_* variables
	// removed from its environment so that it starts with the defaults.
	ServeCommand func(ctx context.Context, args ...string) *exec.Cmd
	// Progress, when set, receives a line as each step begins.
	Progress io.Writer
	// DurableSandbox runs the scenarios with test mode's sandbox carrier
	// on the database, as `naive serve` runs it. By default it is kept in
	// memory: the scenarios measure the server, and the simulated
	// carrier's own writes (which a real carrier makes on its side) would
	// share the database's one writer with what is measured.
	DurableSandbox bool
}

func (c *Config) defaults() error {
	if c.Duration == 0 {
		c.Duration = 5 * time.Second
	}
	if c.Duration < 0 {
		return errors.New("bench: duration must be positive")
	}
	if c.Warmup == 0 {
		c.Warmup = min(c.Duration/5, time.Second)
	}
	if c.IdleWait == 0 {
		c.IdleWait = 3 * time.Second
	}
	if c.ServeCommand == nil {
		c.ServeCommand = defaultServeCommand
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.DatabaseURL != "" && !isPostgres(c.DatabaseURL) {
		return fmt.Errorf("bench: database URL %q: give a postgres:// URL, or none for temporary SQLite files", c.DatabaseURL)
	}
	return nil
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Report is what a run measured.
type Report struct {
	// Database is "sqlite" or "postgres".
	Database string `json:"database"`
	// Sandbox is where test mode's simulated carrier kept its state during
	// the scenarios: "memory" or "database".
	Sandbox string `json:"sandbox"`
	// DurationSeconds is each scenario's measured duration.
	DurationSeconds float64 `json:"duration_s"`
	// WarmupSeconds is each scenario's warm-up.
	WarmupSeconds float64 `json:"warmup_s"`
	// The machine: logical CPUs, GOMAXPROCS, Go version, OS/architecture.
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
	// Rows are the baselines and the scenarios, in the order measured.
	Rows []Row `json:"scenarios"`
	// Process are the startup and idle memory checks of a child server.
	Process []Check `json:"process"`
	// OK is whether every target was met and every request answered 2xx.
	OK bool `json:"ok"`
}

// Row is one baseline or scenario.
type Row struct {
	Scenario    string `json:"scenario"`
	Concurrency int    `json:"concurrency"`
	// Requests completed in the measured duration (transactions, for B1).
	Requests uint64 `json:"requests"`
	// Rate is Requests over the time from the first's start to the last's end.
	Rate  float64 `json:"req_per_s"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	// Errors counts answers other than 2xx (and, for B1, failed
	// transactions); FirstError is the first one's status and body.
	Errors     uint64 `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Baseline names the row the ratio is taken against ("" for baselines);
	// Ratio is Rate over the baseline's Rate; Target the least Ratio wanted.
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Target   float64 `json:"target,omitempty"`
	// Result is "ok" or "below" for scenarios, "" for baselines.
	Result string `json:"result,omitempty"`
}

// Check is one measure of the child process.
type Check struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Target says the limit, e.g. "≤ 150 ms".
	Target string `json:"target"`
	// Result is "ok", "above", or "failed" with Error saying why.
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// Row returns the row named scenario, or nil.
func (r *Report) Row(scenario string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Scenario == scenario {
			return &r.Rows[i]
		}
	}
	return nil
}

// Check returns the check named name, or nil.
func (r *Report) Check(name string) *Check {
	for i := range r.Process {
		if r.Process[i].Name == name {
			return &r.Process[i]
		}
	}
	return nil
}

// Missed lists what fell short: scenarios below target or with errors,
// process checks over their limit or not measured.
func (r *Report) Missed() []string {
	var out []string
	for _, row := range r.Rows {
		if row.Errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d errors", row.Scenario, row.Errors))
		}
		if row.Result == ResultBelow {
			out = append(out, fmt.Sprintf("%s: ratio %.2f below target %.2f", row.Scenario, row.Ratio, row.Target))
		}
	}
	for _, c := range r.Process {
		if c.Result != ResultOK {
			out = append(out, fmt.Sprintf("%s: %s", c.Name, c.Result))
		}
	}
	return out
}

// Run measures the baselines, then the scenarios, then the child process,
// and returns the report. It fails only when something could not be set
// up (a database, the server); failed requests are counted in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &Report{Database: "sqlite", DurationSeconds: cfg.Duration.Seconds(), WarmupSeconds: cfg.Warmup.Seconds(),
		Sandbox: map[bool]string{false: "memory", true: "database"}[cfg.DurableSandbox],
		CPUs:    runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if cfg.DatabaseURL != "" {
		r.Database = "postgres"
	}
	dbs, err := newDatabases(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer dbs.cleanup()

	b0, err := runB0(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	r.Rows = append(r.Rows, b0)
	b1URL, err := dbs.create(ctx, "b1")
	if err != nil {
		return nil, err
	}
	b1, err := runB1(ctx, &cfg, b1URL)
	if err != nil {
		return nil, err
	}
	r.Rows = append(r.Rows, b1)
	if err := dbs.drop(b1URL); err != nil {
		return nil, err
	}
	appURL, err := dbs.create(ctx, "app")
	if err != nil {
		return nil, err
	}
	rows, err := runScenarios(ctx, &cfg, appURL, b0.Rate, b1.Rate)
	if err != nil {
		return nil, err
	}
	r.Rows = append(r.Rows, rows...)
	if err := dbs.drop(appURL); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Process = measureProcess(ctx, &cfg)
	r.OK = len(r.Missed()) == 0
	return r, nil
}

// scenario returns a scenario's row, its ratio and result filled in.
func scenario(name string, conc int, s stats, baseline string, baseRate, target float64) Row {
	row := s.row(name, conc)
	row.Baseline, row.Target = baseline, target
	if baseRate > 0 {
		row.Ratio = row.Rate / baseRate
	}
	row.Result = ResultOK
	if row.Ratio < target {
		row.Result = ResultBelow
	}
	return row
}

// progress announces a step.
func (c *Config) progress(format string, args ...any) {
	fmt.Fprintf(c.Progress, "bench: "+format+"\n", args...)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
