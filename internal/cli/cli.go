// Package cli is the naive command line: `naive serve` runs the server and
// the other commands are clients of its REST API.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// Exit codes: they tell an agent what to do next.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitNotFound    = 3
	ExitAuth        = 4
	ExitPayment     = 5
	ExitPending     = 6
	ExitRateLimited = 7
	ExitWaitTimeout = 8
)

// env is what a command sees of the world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// started is set once a command's own code runs: an error before that
	// (unknown command, bad flag or arguments) is a usage error.
	started bool
}

// usageError marks a command-line mistake (exit 2).
type usageError struct{ error }

// exitError carries an explicit exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the cause, so printError can show a *naive.Error's hint.
func (e *exitError) Unwrap() error { return e.err }

// ExitCode maps an error to the documented exit code, in one place.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	var pe *PendingApprovalError
	if errors.As(err, &pe) {
		return ExitPending
	}
	var we *WaitTimeoutError
	if errors.As(err, &we) {
		return ExitWaitTimeout
	}
	switch naive.ErrorCode(err) {
	case naive.ENotFound:
		return ExitNotFound
	case naive.EUnauthorized, naive.EForbidden:
		return ExitAuth
	case naive.EInsufficientCredits:
		return ExitPayment
	case naive.ERateLimited:
		return ExitRateLimited
	}
	return ExitError
}

// Run runs the command line and returns the exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && !e.started && !errors.As(err, new(usageError)) && !errors.As(err, new(*exitError)) {
		err = usageError{err}
	}
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			printError(stderr, err)
		}
		if errors.As(err, new(usageError)) {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", usagePath(root, args))
		}
	}
	return ExitCode(err)
}

// usagePath names the command whose help fits a usage error.
func usagePath(root *cobra.Command, args []string) string {
	if c, _, err := root.Find(args); err == nil && c != nil {
		return c.CommandPath()
	}
	return root.CommandPath()
}

// printError writes err for people: the message and code, the hint that
// says what to do, and the request id of a server failure.
func printError(w io.Writer, err error) {
	var pe *PendingApprovalError
	if errors.As(err, &pe) {
		fmt.Fprintf(w, "%s\n", pe.Error())
		fmt.Fprintf(w, "Hint: a human approves it with `naive approvals approve %s` (after `naive login`); follow it with `naive approvals watch %s`.\n",
			pe.ApprovalID, pe.ApprovalID)
		return
	}
	var ne *naive.Error
	if errors.As(err, &ne) {
		msg := ne.Message
		if ne.Param != "" && !strings.Contains(msg, ne.Param) {
			msg += " (param " + ne.Param + ")"
		}
		fmt.Fprintf(w, "Error: %s (%s)\n", msg, ne.Code)
		if ne.Hint != "" {
			fmt.Fprintf(w, "Hint: %s\n", hints.For(hints.CLI, ne.Hint))
		}
		if ne.RetryAfter > 0 {
			fmt.Fprintf(w, "Retry after: %s\n", ne.RetryAfter)
		}
		if cs, ok := ne.Fields["campaign_status"].(string); ok {
			retry := ""
			if r, _ := ne.Fields["retryable"].(bool); r {
				retry = " (retry once it is active: `naive phone status`)"
			}
			fmt.Fprintf(w, "Campaign status: %s%s\n", cs, retry)
		}
		if id := client.RequestID(err); id != "" && ne.Status() >= 500 {
			fmt.Fprintf(w, "Request id: %s\n", id)
		}
		return
	}
	fmt.Fprintf(w, "Error: %v\n", err)
	var we *WaitTimeoutError
	if errors.As(err, &we) && we.Hint != "" {
		fmt.Fprintf(w, "Hint: %s\n", we.Hint)
	}
	var ce *client.ConnError
	if errors.As(err, &ce) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(w, "Hint: is the server running at that address? Start one with `naive serve`, or point the CLI at yours with --api-url or NAIVE_API_URL.\n")
	}
}

// PendingApprovalError says the action waits for a human's approval; the
// agent should not retry it (exit 6).
type PendingApprovalError struct {
	ApprovalID string
	Title      string
}

// Error implements error.
func (e *PendingApprovalError) Error() string {
	return fmt.Sprintf("Pending approval %s: a human must approve it; nothing was bought or charged.", e.ApprovalID)
}

// WaitTimeoutError says --wait gave up before the outcome was known (exit 8).
type WaitTimeoutError struct {
	What  string
	After time.Duration
	Hint  string
}

// Error implements error.
func (e *WaitTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s waiting for %s", e.After, e.What)
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "naive",
		Short:         "Phone numbers for AI agents: server, CLI and MCP server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		e.started = true
		return nil
	}
	f := newFactory(e)
	pf := root.PersistentFlags()
	pf.BoolVar(&f.Flags.JSON, "json", false, "print the API's JSON (the default when stdout is not a terminal)")
	pf.StringVar(&f.Flags.APIURL, "api-url", "", "server URL (env NAIVE_API_URL, default "+client.DefaultBaseURL+")")
	pf.StringVar(&f.Flags.APIKey, "api-key", "", "API key or session token (env NAIVE_API_KEY)")
	pf.StringVar(&f.Flags.Subject, "subject", "", "act on this subject instead of the default one (env NAIVE_SUBJECT)")
	pf.StringVar(&f.Flags.Mode, "mode", "", "test or live: the mode a human session acts in (env NAIVE_MODE)")

	root.AddGroup(&cobra.Group{ID: "phone", Title: "Phone numbers:"},
		&cobra.Group{ID: "control", Title: "Approvals, policy, events and webhooks:"},
		&cobra.Group{ID: "account", Title: "Account:"},
		&cobra.Group{ID: "server", Title: "Server and sandbox:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("phone", NewCmdPhone(f))
	add("control", NewCmdApprovals(f), NewCmdAccountKits(f), NewCmdEvents(f), NewCmdWebhooks(f))
	add("account", NewCmdCredits(f, nil), NewCmdLogin(f, nil), NewCmdLogout(f, nil), NewCmdWhoami(f, nil),
		NewCmdKeys(f), NewCmdUsers(f), NewCmdAcceptInvite(f, nil), NewCmdSubjects(f), NewCmdAgents(f), NewCmdConfig(f, nil))
	add("server", newServeCmd(e), NewCmdAdmin(f), newBenchCmd(f), NewCmdMCP(f, nil), NewCmdSandbox(f))
	root.SetHelpCommandGroupID("account")
	root.SetCompletionCommandGroupID("account")
	return root
}
