package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// CreditsOptions are the inputs of `naive credits`.
type CreditsOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
}

// NewCmdCredits is `naive credits` (the balance) and its subcommands.
func NewCmdCredits(f *Factory, runF func(*CreditsOptions) error) *cobra.Command {
	opts := &CreditsOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "credits",
		Short: "Show the credit balance; see its ledger; grant credits",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return creditsRun(cmd.Context(), opts)
		},
	}
	cmd.AddCommand(NewCmdCreditsLedger(f, nil), NewCmdCreditsGrant(f, nil))
	return cmd
}

func creditsRun(ctx context.Context, opts *CreditsOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	c, err := svc.Credits(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, c)
	}
	fmt.Fprintf(opts.IO.Out, "Balance: %d credits (%s mode)\n", c.Balance, c.Mode)
	nextSteps(opts.IO.Out, "naive credits ledger", "where they went")
	return nil
}

// CreditsLedgerOptions are the inputs of `naive credits ledger`.
type CreditsLedgerOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdCreditsLedger is `naive credits ledger`.
func NewCmdCreditsLedger(f *Factory, runF func(*CreditsLedgerOptions) error) *cobra.Command {
	opts := &CreditsLedgerOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "ledger [--limit N] [--cursor C]",
		Short: "List credit movements, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return creditsLedgerRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func creditsLedgerRun(ctx context.Context, opts *CreditsLedgerOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.Ledger(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "WHEN\tAMOUNT\tBALANCE\tREASON\tREFERENCE\tMEMO")
	for _, e := range l.Data {
		fmt.Fprintf(tw, "%s\t%+d\t%d\t%s\t%s\t%s\n", when(e.CreatedAt), e.Amount, e.BalanceAfter, e.Reason, orDash(e.ReferenceID), orDash(e.Memo))
	}
	tw.Flush()
	moreHint(out, "naive credits ledger", l.NextCursor)
	return nil
}

// CreditsGrantOptions are the inputs of `naive credits grant`.
type CreditsGrantOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.GrantRequest
}

// NewCmdCreditsGrant is `naive credits grant <amount>` (humans only).
func NewCmdCreditsGrant(f *Factory, runF func(*CreditsGrantOptions) error) *cobra.Command {
	opts := &CreditsGrantOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "grant <amount> [--memo TEXT]",
		Short: "Add credits to the balance (humans only)",
		Long: `Add credits to the operator's balance in the session's mode (--mode).
Only a logged-in human may grant credits: run ` + "`naive login`" + ` first.`,
		Args: exactArgs(1, "an amount of credits"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || n <= 0 {
				return usageError{errorf("amount must be a positive whole number of credits, not %q", args[0])}
			}
			opts.JSON, opts.Request.Amount = f.JSONOutput(), n
			if runF != nil {
				return runF(opts)
			}
			return creditsGrantRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.Memo, "memo", "", "why the credits were granted")
	return cmd
}

func creditsGrantRun(ctx context.Context, opts *CreditsGrantOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	e, err := svc.GrantCredits(ctx, opts.Request)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, e)
	}
	fmt.Fprintf(opts.IO.Out, "Granted %d credits; the balance is now %d.\n", e.Amount, e.BalanceAfter)
	return nil
}
