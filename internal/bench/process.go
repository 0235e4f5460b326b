package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultServeCommand runs this executable's `serve` with the NAIVE_*
// environment removed, so the child starts with the defaults whatever
// the caller's configuration.
func defaultServeCommand(ctx context.Context, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"serve"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NAIVE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// startupRuns is how many first starts are timed; the check reports
// their median, since one start on a busy machine can take twice another.
const startupRuns = 3

// measureProcess starts `naive serve` startupRuns times, each on a fresh
// SQLite file and a free port, times each from start until /readyz answers
// 200 and takes the median; it reads the last one's resident memory
// IdleWait after it was ready, and stops them.
func measureProcess(ctx context.Context, cfg *Config) []Check {
	startup := Check{Name: CheckStartup, Unit: "ms", Target: fmt.Sprintf("≤ %d ms", TargetStartupMillis)}
	rss := Check{Name: CheckIdleRSS, Unit: "MB", Target: fmt.Sprintf("< %d MB", TargetIdleRSSMB)}
	fail := func(err error) []Check {
		for _, c := range []*Check{&startup, &rss} {
			if c.Result == "" {
				c.Result, c.Error = ResultFailed, err.Error()
			}
		}
		return []Check{startup, rss}
	}
	cfg.progress("timing %d first starts of `naive serve` until /readyz, then idle memory after %s", startupRuns, cfg.IdleWait)
	var took []time.Duration
	for i := range startupRuns {
		last := i == startupRuns-1
		d, kb, err := startOnce(ctx, cfg, last)
		// The free port may be taken by another program between our
		// probe and the child's bind: a start that lost it is tried again
		// on another port.
		for retry := 0; err != nil && retry < 3 && strings.Contains(err.Error(), "address already in use"); retry++ {
			d, kb, err = startOnce(ctx, cfg, last)
		}
		if err != nil {
			return fail(err)
		}
		took = append(took, d)
		if last {
			rss.Value = float64(kb) / 1024
		}
	}
	slices.Sort(took)
	startup.Value = float64(took[len(took)/2].Microseconds()) / 1000
	startup.Result = ResultOK
	if startup.Value > TargetStartupMillis {
		startup.Result = ResultAbove
	}
	rss.Result = ResultOK
	if rss.Value >= TargetIdleRSSMB {
		rss.Result = ResultAbove
	}
	return []Check{startup, rss}
}

// startOnce starts `naive serve` on a fresh SQLite file and a free port
// and returns how long it took until /readyz answered 200 and, when idle
// is set, its resident memory (kB) IdleWait later; then it stops it.
func startOnce(ctx context.Context, cfg *Config, idle bool) (time.Duration, int64, error) {
	dir, err := os.MkdirTemp("", "naive-bench-serve-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := cfg.ServeCommand(ctx, "--addr", addr, "--database-url", "sqlite:"+filepath.Join(dir, "naive.db"), "--log-level", "warn")
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out

	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	defer stop(cmd, exited)
	exitedErr := func() error {
		return fmt.Errorf("the server exited (%v): %s", waitErr, out.String())
	}

	took, err := waitReady(ctx, "http://"+addr+"/readyz", begin, exited, 30*time.Second)
	if err != nil {
		select {
		case <-exited:
			return 0, 0, exitedErr()
		default:
		}
		return 0, 0, err
	}
	if !idle {
		return took, 0, nil
	}
	select {
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	case <-exited:
		return 0, 0, exitedErr()
	case <-time.After(cfg.IdleWait):
	}
	kb, err := readRSS(cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	return took, kb, nil
}

// waitReady polls url until it answers 200 and returns how long after
// begin that was.
func waitReady(ctx context.Context, url string, begin time.Time, exited <-chan struct{}, limit time.Duration) (time.Duration, error) {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if res, err := hc.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(begin), nil
			}
		}
		if time.Since(begin) > limit {
			return 0, fmt.Errorf("/readyz did not answer 200 within %s", limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-exited:
			return 0, errors.New("the server exited")
		case <-time.After(time.Millisecond):
		}
	}
}

// stop interrupts the child, as Ctrl-C would, and kills it if it has not
// shut down in 15 seconds.
func stop(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// readRSS reads VmRSS, in kB, from /proc/<pid>/status.
func readRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read resident memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read resident memory: VmRSS %q: %w", v, err)
			}
			return kb, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("read resident memory: no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
}

// tail keeps the last 4 KiB a child wrote, to explain a failure.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf) - 4096; n > 0 {
		t.buf = t.buf[n:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
