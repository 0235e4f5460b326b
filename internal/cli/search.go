package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// PhoneSearchOptions are the inputs of `naive phone search`.
type PhoneSearchOptions struct {
	IO        *IOStreams
	Service   func() (naive.Service, error)
	JSON      bool
	SubjectID string
	Request   naive.NumberSearch
}

// NewCmdPhoneSearch is `naive phone search`.
func NewCmdPhoneSearch(f *Factory, runF func(*PhoneSearchOptions) error) *cobra.Command {
	opts := &PhoneSearchOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "search [--type local|toll_free] [--area-code NNN] [--limit N]",
		Short: "List numbers the carrier offers for sale now",
		Long: `List numbers the carrier offers for sale right now, to choose one before
buying: ` + "`naive phone provision --e164 <number>`" + ` buys exactly it. Nothing is
reserved or charged, so a number may be gone by the time it is bought (the
provision then fails with no_matching_numbers: search again). An area code
with no inventory lists nothing.

The carrier is searched through the subject's carrier brand, which its
first number registers: before it, provision with --area-code instead.
Prints a table on a terminal, the API's JSON otherwise (or with --json).`,
		Example: `  naive phone search --area-code 415
  naive phone search --type toll_free --area-code 888 --limit 5`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if opts.Request.Limit < 0 || opts.Request.Limit > naive.MaxNumberSearch {
				return usageError{errorf("--limit must be between 1 and %d", naive.MaxNumberSearch)}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneSearchRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.Type, "type", "", "local (default) or toll_free")
	fl.StringVar(&opts.Request.AreaCode, "area-code", "", "3-digit area code")
	fl.IntVar(&opts.Request.Limit, "limit", 0, fmt.Sprintf("how many numbers, 1 to %d (default %d)", naive.MaxNumberSearch, naive.DefaultNumberSearch))
	return cmd
}

func phoneSearchRun(ctx context.Context, opts *PhoneSearchOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.SearchNumbers(ctx, opts.SubjectID, opts.Request)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, res)
	}
	printAvailable(opts.IO.Out, res.Data)
	return nil
}

func printAvailable(w io.Writer, nums []naive.AvailableNumber) {
	if len(nums) == 0 {
		fmt.Fprintln(w, "No numbers for sale there: try a nearby area code, or omit --area-code.")
		return
	}
	// Locality and region only when the carrier gives them (Surge does not).
	geo := false
	for _, n := range nums {
		geo = geo || n.Locality != "" || n.Region != ""
	}
	tw := newTable(w)
	if geo {
		fmt.Fprintln(tw, "NUMBER\tTYPE\tAREA CODE\tLOCALITY\tREGION")
	} else {
		fmt.Fprintln(tw, "NUMBER\tTYPE\tAREA CODE")
	}
	for _, n := range nums {
		if geo {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.E164, n.Type, n.AreaCode, orDash(n.Locality), orDash(n.Region))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n.E164, n.Type, n.AreaCode)
		}
	}
	_ = tw.Flush()
	nextSteps(w, "naive phone provision --e164 "+nums[0].E164, "buy exactly that number")
}
