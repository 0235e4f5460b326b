package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// approvalStatuses are the statuses a list can filter on, as callers see
// them (executing is internal and reads as pending).
var approvalStatuses = []string{naive.ApprovalPending, naive.ApprovalExecuted, naive.ApprovalFailed,
	naive.ApprovalDenied, naive.ApprovalExpired}

// NewCmdApprovals is `naive approvals …`.
func NewCmdApprovals(f *Factory) *cobra.Command {
	cmd := newGroup("approvals", "Review, approve and follow actions that wait for a human")
	cmd.Long = `Review, approve and follow the actions that wait for a human.

When a subject's policy (its Account Kit) gates an action, an agent's call
stores the request in a pending approval and does nothing else: nothing is
bought or charged. A human of the operator approves it (the request then
runs exactly once, as if the agent had just sent it) or denies it with a
reason. Agents follow the outcome with ` + "`naive approvals watch <id>`" + `.

Only humans approve or deny (` + "`naive login`" + ` first), and never their own
request.`
	cmd.AddCommand(NewCmdApprovalsList(f, nil), NewCmdApprovalsGet(f, nil), NewCmdApprovalsApprove(f, nil),
		NewCmdApprovalsDeny(f, nil), NewCmdApprovalsWatch(f, nil))
	return cmd
}

// ApprovalsListOptions are the inputs of `naive approvals list`.
type ApprovalsListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Params  naive.ApprovalListParams
}

// NewCmdApprovalsList is `naive approvals list`.
func NewCmdApprovalsList(f *Factory, runF func(*ApprovalsListOptions) error) *cobra.Command {
	opts := &ApprovalsListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list [--status pending|executed|failed|denied|expired] [--subject ID]",
		Aliases: []string{"ls"},
		Short:   "List approvals, newest first",
		Long: `List the operator's approvals in the current mode, newest first. --status
keeps one status; the global --subject flag keeps one subject's approvals.`,
		Example: `  naive approvals list --status pending
  naive approvals list --subject 01f0… --status executed`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if s := opts.Params.Status; s != "" && !slices.Contains(approvalStatuses, s) {
				return usageError{errorf("--status must be one of %s, not %q", strings.Join(approvalStatuses, ", "), s)}
			}
			// Approvals are the operator's, not a subject's: only an explicit
			// --subject narrows the list.
			opts.Params.SubjectID = f.Flags.Subject
			if runF != nil {
				return runF(opts)
			}
			return approvalsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Params.Status, "status", "", "only approvals in this status: "+strings.Join(approvalStatuses, ", "))
	listFlags(cmd, &opts.Params.ListParams)
	return cmd
}

func approvalsListRun(ctx context.Context, opts *ApprovalsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListApprovals(ctx, opts.Params)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		if opts.Params.Status != "" {
			fmt.Fprintf(out, "No %s approvals.\n", opts.Params.Status)
		} else {
			fmt.Fprintln(out, "No approvals yet. They appear when an agent asks for a gated action.")
		}
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tSTATUS\tACTION\tCOST\tTITLE\tREQUESTED BY\tEXPIRES")
	var pending string
	for _, a := range l.Data {
		if a.Status == naive.ApprovalPending && pending == "" {
			pending = a.ID
		}
		expires := "-"
		if a.Status == naive.ApprovalPending {
			expires = when(a.ExpiresAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", a.ID, a.Status, a.Action, a.Cost, a.Title, actor(a.RequestedBy), expires)
	}
	tw.Flush()
	moreHint(out, "naive approvals list", l.NextCursor)
	if pending != "" {
		nextSteps(out,
			"naive approvals get "+pending, "see what it asks for",
			"naive approvals approve "+pending, "approve it (humans only)")
	} else {
		nextSteps(out, "naive approvals get "+l.Data[0].ID, "see one in full")
	}
	return nil
}

// actor shows who did something.
func actor(a naive.Actor) string {
	if a.ID == "" {
		return "-"
	}
	kind := a.Type
	if kind == string(naive.PrincipalAgent) {
		kind = "agent key"
	}
	return kind + " " + a.ID
}

// ApprovalOptions are the inputs of `naive approvals get|approve <id>`.
type ApprovalOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	// ConfirmRevoked approves a request whose key was revoked or whose
	// agent was deleted since it asked.
	ConfirmRevoked bool
}

// NewCmdApprovalsGet is `naive approvals get <id>`.
func NewCmdApprovalsGet(f *Factory, runF func(*ApprovalOptions) error) *cobra.Command {
	opts := &ApprovalOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get <approval-id>",
		Short: "Show one approval: what it asks for, its cost and its outcome",
		Args:  exactArgs(1, "an approval id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return approvalsGetRun(cmd.Context(), opts)
		},
	}
}

func approvalsGetRun(ctx context.Context, opts *ApprovalOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.GetApproval(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, a)
	}
	printApproval(opts.IO.Out, a)
	approvalNextSteps(opts.IO.Out, a)
	return nil
}

// NewCmdApprovalsApprove is `naive approvals approve <id>`.
func NewCmdApprovalsApprove(f *Factory, runF func(*ApprovalOptions) error) *cobra.Command {
	opts := &ApprovalOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "approve <approval-id> [--confirm-revoked-requester]",
		Short: "Approve a pending approval: its request runs now, once (humans only)",
		Long: `Approve a pending approval. Its frozen request runs now, exactly once, as if
the agent had just sent it, and may spend credits (its cost is shown by
` + "`naive approvals get`" + `). The answer carries the result, or the error
if the request failed (exit 1). Humans only: ` + "`naive login`" + ` first.

If the key that asked was revoked, or its agent deleted, since it asked, the
approve is refused (exit 1) unless --confirm-revoked-requester says to run it
anyway.`,
		Args: exactArgs(1, "an approval id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return approvalsApproveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.ConfirmRevoked, "confirm-revoked-requester", false, "approve even though the requesting key was revoked or its agent deleted")
	return cmd
}

func approvalsApproveRun(ctx context.Context, opts *ApprovalOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.ApproveApproval(ctx, opts.ID, naive.ApproveRequest{ConfirmRevokedRequester: opts.ConfirmRevoked})
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		if err := printJSON(out, a); err != nil {
			return err
		}
	} else {
		if a.Status == naive.ApprovalExecuted {
			fmt.Fprintf(out, "Approved and executed: %s\n\n", a.Title)
		} else {
			fmt.Fprintf(out, "Approved, but the request failed: %s\n\n", a.Title)
		}
		printApproval(out, a)
		approvalNextSteps(out, a)
	}
	return approvalOutcome(a)
}

// ApprovalsDenyOptions are the inputs of `naive approvals deny`.
type ApprovalsDenyOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Reason  string
}

// NewCmdApprovalsDeny is `naive approvals deny <id> --reason TEXT`.
func NewCmdApprovalsDeny(f *Factory, runF func(*ApprovalsDenyOptions) error) *cobra.Command {
	opts := &ApprovalsDenyOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "deny <approval-id> --reason TEXT",
		Short:   "Deny a pending approval with a reason the agent sees (humans only)",
		Args:    exactArgs(1, "an approval id"),
		Example: `  naive approvals deny 01f0… --reason "We already have a support number"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			opts.Reason = strings.TrimSpace(opts.Reason)
			if opts.Reason == "" {
				return usageError{errorf("--reason is required: say why, the agent sees it")}
			}
			if runF != nil {
				return runF(opts)
			}
			return approvalsDenyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why it is denied (required; shown to the agent)")
	return cmd
}

func approvalsDenyRun(ctx context.Context, opts *ApprovalsDenyOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.DenyApproval(ctx, opts.ID, naive.DenyRequest{Reason: opts.Reason})
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, a)
	}
	fmt.Fprintf(out, "Denied: %s\n\n", a.Title)
	printApproval(out, a)
	return nil
}

// ApprovalsWatchOptions are the inputs of `naive approvals watch`.
type ApprovalsWatchOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Timeout time.Duration
	// Interval is how often the approval is read.
	Interval time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// NewCmdApprovalsWatch is `naive approvals watch <id>`.
func NewCmdApprovalsWatch(f *Factory, runF func(*ApprovalsWatchOptions) error) *cobra.Command {
	opts := &ApprovalsWatchOptions{IO: f.IO, Service: f.Service, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "watch <approval-id> [--timeout 10m]",
		Short: "Wait until an approval is decided; the exit code tells the outcome",
		Long: `Wait until a human decides an approval, then print it. The exit code tells
the outcome: 0 executed (the result is printed), 1 failed, denied or expired
(the error or the reason is printed), 8 still pending after --timeout.

A progress indicator shows on stderr when it is a terminal.`,
		Example: `  naive approvals watch 01f0… --timeout 30m`,
		Args:    exactArgs(1, "an approval id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if opts.Timeout <= 0 {
				return usageError{errorf("--timeout must be positive")}
			}
			if opts.Interval <= 0 {
				return usageError{errorf("--interval must be positive")}
			}
			if runF != nil {
				return runF(opts)
			}
			return approvalsWatchRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "how long to wait for the decision")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "how often to check")
	_ = cmd.Flags().MarkHidden("interval")
	return cmd
}

func approvalsWatchRun(ctx context.Context, opts *ApprovalsWatchOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	start := opts.Now()
	deadline := start.Add(opts.Timeout)
	spin := newSpinner(opts.IO)
	defer spin.stop()
	out := opts.IO.Out
	for {
		a, err := svc.GetApproval(ctx, opts.ID)
		if err != nil {
			return err
		}
		if a.Status != naive.ApprovalPending {
			spin.stop()
			if opts.JSON {
				if err := printJSON(out, a); err != nil {
					return err
				}
			} else {
				printApproval(out, a)
				approvalNextSteps(out, a)
			}
			return approvalOutcome(a)
		}
		now := opts.Now()
		if !now.Before(deadline) {
			spin.stop()
			if opts.JSON {
				if err := printJSON(out, a); err != nil {
					return err
				}
			}
			return &WaitTimeoutError{What: "approval " + a.ID + " (still pending)", After: opts.Timeout,
				Hint: fmt.Sprintf("No human has decided yet (it expires %s). A human approves it with `naive approvals approve %s`; watch again later.",
					when(a.ExpiresAt), a.ID)}
		}
		spin.update(fmt.Sprintf("Waiting for a human to decide %q: pending (%s)", a.Title, now.Sub(start).Round(time.Second)))
		wait := min(opts.Interval, deadline.Sub(now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// approvalOutcome is the error (exit 1) of an approval that ended without
// executing, or nil.
func approvalOutcome(a *naive.Approval) error {
	switch a.Status {
	case naive.ApprovalExecuted, naive.ApprovalPending:
		return nil
	case naive.ApprovalFailed:
		e := &naive.Error{Code: naive.EInternal, Message: fmt.Sprintf("Approval %s was approved, but its request failed.", a.ID)}
		if a.Error != nil {
			e.Code, e.Param, e.Hint = a.Error.Code, a.Error.Param, a.Error.Hint
			e.Message = fmt.Sprintf("Approval %s was approved, but its request failed: %s", a.ID, a.Error.Message)
		}
		return &exitError{code: ExitError, err: e}
	case naive.ApprovalDenied:
		by := ""
		if a.ResolvedBy != nil {
			by = " by " + actor(*a.ResolvedBy)
		}
		return &exitError{code: ExitError, err: errorf("approval %s was denied%s: %s", a.ID, by, orDash(a.Reason))}
	case naive.ApprovalExpired:
		return &exitError{code: ExitError, err: errorf("approval %s expired at %s before a human decided; nothing was done. Send the request again to ask anew", a.ID, when(a.ExpiresAt))}
	}
	return &exitError{code: ExitError, err: errorf("approval %s ended %s", a.ID, a.Status)}
}

// printApproval shows an approval for people: what it asks, what it costs,
// who asked, until when, and what came of it.
func printApproval(w io.Writer, a *naive.Approval) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Approval:\t%s\n", a.Title)
	fmt.Fprintf(tw, "Id:\t%s\n", a.ID)
	fmt.Fprintf(tw, "Status:\t%s\n", a.Status)
	fmt.Fprintf(tw, "Action:\t%s\n", a.Action)
	fmt.Fprintf(tw, "Subject:\t%s\n", a.SubjectID)
	fmt.Fprintf(tw, "Cost:\t%d credits\n", a.Cost)
	if len(a.Payload) > 0 && string(a.Payload) != "null" {
		fmt.Fprintf(tw, "Request:\t%s\n", compactJSON(a.Payload))
	}
	fmt.Fprintf(tw, "Requested by:\t%s\n", actor(a.RequestedBy))
	fmt.Fprintf(tw, "Created:\t%s\n", when(a.CreatedAt))
	if a.Status == naive.ApprovalPending || a.Status == naive.ApprovalExpired {
		fmt.Fprintf(tw, "Expires:\t%s\n", when(a.ExpiresAt))
	}
	if a.ResolvedBy != nil {
		fmt.Fprintf(tw, "Resolved by:\t%s\n", actor(*a.ResolvedBy))
	}
	if a.ResolvedAt != nil {
		fmt.Fprintf(tw, "Resolved:\t%s\n", when(*a.ResolvedAt))
	}
	if a.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", a.Reason)
	}
	if e := a.Error; e != nil {
		fmt.Fprintf(tw, "Error:\t%s (%s)\n", e.Message, e.Code)
		if e.Hint != "" {
			fmt.Fprintf(tw, "Hint:\t%s\n", e.Hint)
		}
	}
	if r := provisionedResult(a); r != nil {
		fmt.Fprintf(tw, "Result:\t%s provisioned (phone %s), campaign %s\n", r.Phone.E164, r.Phone.ID, r.Campaign.Status)
		fmt.Fprintf(tw, "Credits:\t%d used, %d remaining\n", r.CreditsUsed, r.CreditsRemaining)
	} else if len(a.Result) > 0 && string(a.Result) != "null" {
		fmt.Fprintf(tw, "Result:\t%s\n", compactJSON(a.Result))
	}
	tw.Flush()
}

// approvalNextSteps prints what to do with an approval in its status.
func approvalNextSteps(w io.Writer, a *naive.Approval) {
	switch a.Status {
	case naive.ApprovalPending:
		nextSteps(w,
			"naive approvals approve "+a.ID, fmt.Sprintf("approve it: runs the request once, %d credits (humans only)", a.Cost),
			"naive approvals deny "+a.ID+" --reason \"…\"", "deny it (humans only)",
			"naive approvals watch "+a.ID, "wait for the decision")
	case naive.ApprovalExecuted:
		if r := provisionedResult(a); r != nil {
			nextSteps(w,
				"naive --subject "+a.SubjectID+" phone get "+r.Phone.ID, "see the number",
				"naive --subject "+a.SubjectID+" phone status", "follow the campaign that unlocks sending")
		}
	}
}

// provisionedResult decodes the result of an executed phone.provision.
func provisionedResult(a *naive.Approval) *naive.Provisioned {
	if a.Action != "phone.provision" || len(a.Result) == 0 {
		return nil
	}
	var p naive.Provisioned
	if json.Unmarshal(a.Result, &p) != nil || p.Phone.ID == "" {
		return nil
	}
	return &p
}

// compactJSON shows a JSON value on one line.
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
