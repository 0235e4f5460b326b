package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// PhonePreflightOptions are the inputs of `naive phone preflight`.
type PhonePreflightOptions struct {
	IO        *IOStreams
	Service   func() (naive.Service, error)
	JSON      bool
	SubjectID string
	Request   naive.ProvisionRequest
}

// NewCmdPhonePreflight is `naive phone preflight`.
func NewCmdPhonePreflight(f *Factory, runF func(*PhonePreflightOptions) error) *cobra.Command {
	opts := &PhonePreflightOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "preflight [--ein EIN] [--area-code NNN] [--type local|toll_free]",
		Short: "Check what provisioning a number needs, before anything is spent",
		Long: `Check, before anything is spent, whether ` + "`naive phone provision`" + ` with the same
flags would pass: the LLC formation, the EIN, the legal profile the carriers
need for brand and campaign registration, the credits and the carrier. Each
check that fails comes with its fix.

Exit 0 when the subject is ready, 1 when something must be fixed first.`,
		Example: `  naive phone preflight --ein 12-3456789 --area-code 415
  naive --subject 01f0… phone preflight`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return phonePreflightRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.EIN, "ein", "", "the company's EIN (needed for its first number)")
	fl.StringVar(&opts.Request.AreaCode, "area-code", "", "3-digit area code")
	fl.StringVar(&opts.Request.Type, "type", "", "local (default) or toll_free")
	return cmd
}

func phonePreflightRun(ctx context.Context, opts *PhonePreflightOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	pf, err := svc.Preflight(ctx, opts.SubjectID, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		if err := printJSON(out, pf); err != nil {
			return err
		}
	} else {
		printPreflight(out, pf, opts.Request)
	}
	if pf.Ready {
		return nil
	}
	failed := 0
	for _, c := range pf.Checks {
		if !c.OK {
			failed++
		}
	}
	return &exitError{code: ExitError, err: errorf("subject %s is not ready for a number: %d of %d checks fail", pf.SubjectID, failed, len(pf.Checks))}
}

func printPreflight(w io.Writer, pf *naive.Preflight, req naive.ProvisionRequest) {
	if pf.Ready {
		fmt.Fprintf(w, "Subject %s is ready for a number.\n\n", pf.SubjectID)
	} else {
		fmt.Fprintf(w, "Subject %s is not ready for a number yet: fix the ✗ checks.\n\n", pf.SubjectID)
	}
	for _, c := range pf.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(w, "  %s %-10s %s\n", mark, c.Check, c.Detail)
		if c.OK {
			continue
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "    %-10s Fix: %s\n", "", c.Fix)
		}
		if cmd := preflightCommand(pf.SubjectID, c, req); cmd != "" {
			fmt.Fprintf(w, "    %-10s Run: %s\n", "", cmd)
		}
	}
	approval := "not needed"
	if pf.ApprovalRequired {
		approval = "a human must approve an agent's number (exit 6 on provision)"
	}
	fmt.Fprintf(w, "\nPrice: %d credits (balance %d). Approval: %s.\n", pf.Price, pf.Balance, approval)
	if pf.Ready {
		cmd := "naive phone provision"
		if req.EIN != "" {
			cmd += " --ein " + req.EIN
		}
		if req.AreaCode != "" {
			cmd += " --area-code " + req.AreaCode
		}
		if req.Type != "" {
			cmd += " --type " + req.Type
		}
		nextSteps(w, cmd, "buy the number")
	}
}

// profileFlagOf maps a profile field (as preflight names it) to the flag of
// `naive subjects update` that sets it.
var profileFlagOf = map[string]string{
	"legal_name": "--legal-name", "website": "--website", "industry": "--industry",
	"privacy_policy_url": "--privacy-policy-url", "terms_url": "--terms-url",
	"address.line1": "--address-line1", "address.city": "--city", "address.region": "--region",
	"address.postal_code": "--postal-code", "address.country": "--country",
	"contact.first_name": "--contact-first-name", "contact.last_name": "--contact-last-name",
	"contact.email": "--contact-email", "contact.phone": "--contact-phone", "contact.title": "--contact-title",
}

// preflightCommand is the CLI command that fixes a failed check, if there
// is one.
func preflightCommand(subjectID string, c naive.PreflightCheck, req naive.ProvisionRequest) string {
	switch c.Check {
	case "formation":
		return "naive subjects formation " + subjectID + " --start --state DE"
	case "ein":
		if req.EIN == "" {
			return "naive phone preflight --ein <EIN>, then provision with the same --ein"
		}
	case "profile":
		if fl, ok := profileFlagOf[c.Field]; ok {
			return "naive subjects update " + subjectID + " " + fl + " " + placeholder(c.Field)
		}
	case "credits":
		return "naive credits grant <amount> (a human, after `naive login`)"
	}
	return ""
}

func placeholder(field string) string {
	switch {
	case strings.HasSuffix(field, "url") || field == "website":
		return "https://…"
	case field == "contact.phone":
		return "+1…"
	case field == "contact.email":
		return "name@…"
	}
	return "…"
}

// PhoneCampaignOptions are the inputs of `naive phone campaign`.
type PhoneCampaignOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
}

// NewCmdPhoneCampaign is `naive phone campaign <phone-id>`.
func NewCmdPhoneCampaign(f *Factory, runF func(*PhoneCampaignOptions) error) *cobra.Command {
	opts := &PhoneCampaignOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "campaign <phone-id>",
		Short: "Show the carrier campaign of a number (sending unlocks when it is active)",
		Args:  exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneCampaignRun(cmd.Context(), opts)
		},
	}
}

func phoneCampaignRun(ctx context.Context, opts *PhoneCampaignOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	c, err := svc.PhoneCampaign(ctx, "", opts.PhoneID)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, c)
	}
	tw := newTable(out)
	fmt.Fprintf(tw, "Campaign:\t%s\n", c.ID)
	fmt.Fprintf(tw, "Kind:\t%s\n", c.Kind)
	fmt.Fprintf(tw, "Status:\t%s\n", c.Status)
	if c.ETA != nil && c.Status != naive.CampaignActive && c.Status != naive.CampaignRejected {
		fmt.Fprintf(tw, "ETA:\t%s\n", *c.ETA)
	}
	fmt.Fprintf(tw, "Subject:\t%s\n", c.SubjectID)
	fmt.Fprintf(tw, "Created:\t%s\n", when(c.CreatedAt))
	fmt.Fprintf(tw, "Updated:\t%s\n", when(c.UpdatedAt))
	tw.Flush()
	switch c.Status {
	case naive.CampaignActive:
		nextSteps(out, "naive phone send --from "+opts.PhoneID+" --to +1… --body \"…\"", "send a text")
	case naive.CampaignRejected:
		nextSteps(out, "naive subjects get "+c.SubjectID, "check the legal profile the carriers reviewed")
	default:
		nextSteps(out, "naive phone campaign "+opts.PhoneID, "check again later; the number already receives SMS")
	}
	return nil
}
