package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
			os.Exit(cli.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

const scriptAdminPassword = "correct horse battery staple"

// appKey finds a script's *holder among its values.
type appKey struct{}

// holder keeps the server a script started, for its sandbox knobs.
type holder struct{ app *app.App }

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
			env.Values[appKey{}] = &holder{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"startserver": cmdStartServer,
			"exitcode":    cmdExitCode,
			"getjson":     cmdGetJSON,
			"sandboxfail": cmdSandboxFail,
			"sleep":       cmdSleep,
		},
	})
}

// startserver [-price N] [-review D]: start a server on :0 with a temp
// database and set NAIVE_API_URL and NAIVE_API_KEY (the first start's test
// key) for the commands that follow.
func cmdStartServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! startserver")
	}
	fs := flag.NewFlagSet("startserver", flag.ContinueOnError)
	price := fs.Int64("price", 0, "phone price")
	review := fs.Duration("review", time.Hour, "sandbox campaign review delay")
	ts.Check(fs.Parse(args))
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(ts.Getenv("WORK"), "naive.db"), AdminPassword: scriptAdminPassword,
		PhonePrice: *price, SandboxReviewDelay: *review, PollInterval: 100 * time.Millisecond, FormationDelay: 100 * time.Millisecond})
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

func serverOf(ts *testscript.TestScript) *app.App {
	a := ts.Value(appKey{}).(*holder).app
	if a == nil {
		ts.Fatalf("no server: run startserver first")
	}
	return a
}
