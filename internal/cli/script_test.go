package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/cli"
)

// TestMain makes the test binary the naive binary too, so scripts `exec
// naive …` the real program in its own process (testscript's convention).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"naive": func() {
			// As cmd/naive does: an interrupt (testscript's `kill -INT`)
			// cancels the context, so long-running commands stop gracefully.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

const scriptAdminPassword = "correct horse battery staple"

// appKey finds a script's *holder among its values.
type appKey struct{}

// holder keeps the server a script started, for its sandbox knobs.
type holder struct {
	app       *app.App
	receivers map[string]*receiver
}

// TestScripts runs the CLI journeys in testdata/script against a real
// server on :0 that each script starts with `startserver`.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("NAIVE_CONFIG", filepath.Join(env.WorkDir, ".naive", "config.json"))
			env.Setenv("ADMIN_PASSWORD", scriptAdminPassword)
			// Under -race every `exec naive` would sleep 1s at exit (the race
			// runtime's default atexit_sleep_ms); scripts run dozens of them.
			if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
				env.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
			}
			env.Values[appKey{}] = &holder{receivers: map[string]*receiver{}}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"startserver": cmdStartServer,
			"exitcode":    cmdExitCode,
			"getjson":     cmdGetJSON,
			"getmatch":    cmdGetMatch,
			"sandboxfail": cmdSandboxFail,
			"sandboxlose": cmdSandboxLose,
			"sleep":       cmdSleep,
			"waitfor":     cmdWaitFor,
			"campaigns":   cmdCampaigns,
			"receiver":    cmdReceiver,
			"received":    cmdReceived,
			"freeport":    cmdFreePort,
			"waitport":    cmdWaitPort,
			"curl":        cmdCurl,
		},
	})
}

// startserver [-price N] [-review D] [-approval-ttl D] [-sandbox-url URL]
// [-sandbox-carrier C] [-sandbox-telnyx-url URL -sandbox-telnyx-public-key K]
// [-db NAME]: start a server on :0 with a database in $WORK and set
// NAIVE_API_URL and NAIVE_API_KEY (the first start's test key) for the
// commands that follow. A script may start several (each -db its own).
func cmdStartServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! startserver")
	}
	fs := flag.NewFlagSet("startserver", flag.ContinueOnError)
	price := fs.Int64("price", 0, "phone price")
	review := fs.Duration("review", time.Hour, "sandbox campaign review delay")
	ttl := fs.Duration("approval-ttl", 0, "approval lifetime (default the server's)")
	sandboxURL := fs.String("sandbox-url", "", "a standalone sandbox (naive sandbox surge)")
	sandboxCarrier := fs.String("sandbox-carrier", "", "test mode's default carrier")
	telnyxURL := fs.String("sandbox-telnyx-url", "", "a standalone Telnyx sandbox (naive sandbox telnyx)")
	telnyxKey := fs.String("sandbox-telnyx-public-key", "", "its webhooks' public key")
	db := fs.String("db", "naive.db", "database file name in $WORK")
	ts.Check(fs.Parse(args))
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(ts.Getenv("WORK"), *db), AdminPassword: scriptAdminPassword,
		PhonePrice: *price, SandboxReviewDelay: *review, PollInterval: 100 * time.Millisecond, FormationDelay: 100 * time.Millisecond,
		ApprovalTTL: *ttl, SandboxURL: *sandboxURL, SandboxCarrier: *sandboxCarrier,
		SandboxTelnyxURL: *telnyxURL, SandboxTelnyxPublicKey: *telnyxKey})
	ts.Check(err)
	ts.Defer(func() { _ = a.Close() })
	ts.Setenv("NAIVE_API_URL", a.URL())
	ts.Setenv("NAIVE_API_KEY", a.Bootstrapped().TestKey)
	ts.Setenv("ADMIN_EMAIL", a.Bootstrapped().AdminEmail)
	ts.Value(appKey{}).(*holder).app = a
}

// sandboxfail STATUS|off: make the sandbox carrier answer every request
// with STATUS, or behave again.
func cmdSandboxFail(ts *testscript.TestScript, neg bool, args []string) {
	a := serverOf(ts)
	if len(args) != 1 {
		ts.Fatalf("usage: sandboxfail STATUS|off")
	}
	if args[0] == "off" {
		a.Sandbox().SetBeforeFunc(nil)
		return
	}
	status, err := strconv.Atoi(args[0])
	ts.Check(err)
	a.Sandbox().SetBeforeFunc(func(*http.Request) (int, []byte, bool) {
		return status, []byte(`{"error":{"type":"fault","message":"sandbox fault"}}`), true
	})
}

// sandboxlose: make the sandbox carrier answer account_not_found for every
// account, as one restarted without its state does; `sandboxfail off`
// makes it behave again.
func cmdSandboxLose(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: sandboxlose")
	}
	serverOf(ts).Sandbox().SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
		if !strings.HasPrefix(r.URL.Path, "/accounts/") {
			return 0, nil, false
		}
		return http.StatusNotFound, []byte(`{"error":{"type":"account_not_found","message":"The account could not be found."}}`), true
	})
}

// sleep DURATION: wait, e.g. for a simulated filing to complete.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// exitcode N command args...: run command (like exec) and fail unless it
// exits N; its stdout and stderr are kept for the assertions that follow.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// getjson PATH VAR: set VAR to the value at the dotted PATH (numbers index
// arrays) of the JSON the last command printed on stdout.
func cmdGetJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: getjson PATH VAR")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	for _, k := range strings.Split(args[0], ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				ts.Fatalf("%s: no index %s", args[0], k)
			}
			v = x[i]
		default:
			ts.Fatalf("%s: %s is not in %v", args[0], k, v)
		}
	}
	if v == nil {
		ts.Fatalf("%s: no value", args[0])
	}
	ts.Setenv(args[1], fmt.Sprint(v))
}

// getmatch REGEXP VAR: set VAR to the first group of REGEXP's first match
// in stdout (multi-line mode).
func cmdGetMatch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: getmatch REGEXP VAR")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("no stdout matching %q with a group", args[0])
	}
	ts.Setenv(args[1], m[1])
}

// waitfor TIMEOUT REGEXP command args...: run command (like exec) until it
// succeeds with stdout matching REGEXP, or fail after TIMEOUT; its last
// stdout and stderr are kept for the assertions that follow.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: waitfor TIMEOUT REGEXP command [args...]")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	deadline := time.Now().Add(d)
	for {
		err := ts.Exec(args[2], args[3:]...)
		if err == nil && re.MatchString(ts.ReadFile("stdout")) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: no stdout matching %q within %s (last error: %v)", strings.Join(args[2:], " "), args[1], d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// campaigns active|rejected: end every campaign's review at the sandbox
// carrier now, as the carriers would.
func cmdCampaigns(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: campaigns active|rejected")
	}
	sim := serverOf(ts).Sandbox()
	for _, c := range sim.Campaigns() {
		ts.Check(sim.SetCampaignStatus(c.ID, args[0]))
	}
}

// receiver NAME [STATUS]: start a webhook receiver that answers STATUS
// (default 204) and checks each request's Standard Webhooks headers; its
// URL goes in $NAME.
func cmdReceiver(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: receiver NAME [STATUS]")
	}
	status := http.StatusNoContent
	if len(args) == 2 {
		var err error
		status, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		signed := req.Header.Get("webhook-id") != "" && req.Header.Get("webhook-timestamp") != "" &&
			strings.HasPrefix(req.Header.Get("webhook-signature"), "v1,")
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		if !signed {
			r.unsigned++
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
	ts.Value(appKey{}).(*holder).receivers[args[0]] = r
}

type receiver struct {
	mu       sync.Mutex
	bodies   []string
	unsigned int
}

// received NAME REGEXP: wait (up to 10s) until receiver NAME has got a
// signed request whose body matches REGEXP.
func cmdReceived(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: received NAME REGEXP")
	}
	r := ts.Value(appKey{}).(*holder).receivers[args[0]]
	if r == nil {
		ts.Fatalf("no receiver %s", args[0])
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		bodies, unsigned := slices.Clone(r.bodies), r.unsigned
		r.mu.Unlock()
		if unsigned > 0 {
			ts.Fatalf("receiver %s got %d unsigned requests", args[0], unsigned)
		}
		for _, b := range bodies {
			if re.MatchString(b) {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("receiver %s got no body matching %q; got %q", args[0], args[1], bodies)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeport VAR: set VAR to a free TCP port on 127.0.0.1.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ts.Check(ln.Close())
	ts.Setenv(args[0], port)
}

// waitport ADDR: wait (up to 10s) until something listens on ADDR.
func cmdWaitPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitport ADDR")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on %s: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// curl [-key KEY] [-X METHOD] [-d BODY] URL: send an HTTP request (with
// KEY as its bearer token, BODY as JSON) and put the response's body in
// stdout; it fails unless the status is 2xx (with !, unless it is not).
func cmdCurl(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("curl", flag.ContinueOnError)
	key := fs.String("key", "", "bearer token")
	method := fs.String("X", "", "method (default GET, or POST with -d)")
	data := fs.String("d", "", "JSON body")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("usage: curl [-key KEY] [-X METHOD] [-d BODY] URL")
	}
	m := *method
	if m == "" {
		m = http.MethodGet
		if *data != "" {
			m = http.MethodPost
		}
	}
	var body io.Reader
	if *data != "" {
		body = strings.NewReader(*data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, m, fs.Arg(0), body)
	ts.Check(err)
	if *key != "" {
		req.Header.Set("Authorization", "Bearer "+*key)
	}
	if *data != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	ts.Check(err)
	_, _ = ts.Stdout().Write(b)
	if ok := res.StatusCode/100 == 2; ok == neg {
		ts.Fatalf("%s %s: %s\n%s", m, fs.Arg(0), res.Status, b)
	}
}

func serverOf(ts *testscript.TestScript) *app.App {
	a := ts.Value(appKey{}).(*holder).app
	if a == nil {
		ts.Fatalf("no server: run startserver first")
	}
	return a
}
