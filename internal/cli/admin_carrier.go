package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

type adminCarrierOptions struct {
	*AdminOptions
	Operator, Mode, Carrier, Fallback string
}

// newCmdAdminOperatorsSetCarrier is `naive admin operators set-carrier`.
func newCmdAdminOperatorsSetCarrier(f *Factory, admin *AdminOptions) *cobra.Command {
	opts := &adminCarrierOptions{AdminOptions: admin}
	cmd := &cobra.Command{
		Use:   "set-carrier --operator ID --mode test|live --carrier surge|telnyx [--fallback surge|telnyx]",
		Short: "Give an operator its own default (and fallback) carrier in a mode",
		Long: `Choose the carrier an operator's subjects register their brand with on their
first number, in one mode, instead of the server's default (--carrier's first,
or --sandbox-carrier in test mode), and optionally the fallback a first number
goes to while that carrier is down. The carrier must be one the servers run
(--carrier): a provision naming one they do not is refused as not configured.
Subjects whose brand exists keep their brand's carrier; a provision may still
name its own carrier with "carrier".`,
		Example: `  naive admin operators set-carrier --operator 0197… --mode live --carrier telnyx --fallback surge`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			var missing []string
			for _, fl := range []string{"operator", "mode", "carrier"} {
				if !cmd.Flags().Changed(fl) {
					missing = append(missing, "--"+fl)
				}
			}
			if len(missing) > 0 {
				return usageError{errorf("%s required", strings.Join(missing, ", "))}
			}
			a, err := opts.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			c, err := a.Service().AdminSetCarriers(cmd.Context(), service.AdminCarriersRequest{OperatorID: strings.TrimSpace(opts.Operator),
				Mode: naive.Mode(opts.Mode), Default: opts.Carrier, Fallback: opts.Fallback})
			if err != nil {
				return err
			}
			if opts.JSON {
				return printJSON(opts.IO.Out, c)
			}
			fallback := "no fallback"
			if c.Fallback != "" {
				fallback = "fallback " + c.Fallback
			}
			fmt.Fprintf(opts.IO.Out, "Operator %s, %s mode: first numbers register with %s (%s).\n", opts.Operator, opts.Mode, c.Default, fallback)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Operator, "operator", "", "the operator's id (naive admin operators list)")
	fl.StringVar(&opts.Mode, "mode", "", "test or live")
	fl.StringVar(&opts.Carrier, "carrier", "", "surge or telnyx")
	fl.StringVar(&opts.Fallback, "fallback", "", "the other carrier, for first numbers while the default is down (optional)")
	return cmd
}
