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
		Use:   "preflight [--ein EIN | --tier sole_proprietor] [--area-code NNN] [--type local|toll_free]",
		Short: "Check what provisioning a number needs, before anything is spent",
		Long: `Check, before anything is spent, whether ` + "`naive phone provision`" + ` with the same
flags would pass: the LLC formation, the EIN, the legal profile the carriers
need for brand and campaign registration, the credits and the carrier. Once
the brand is registered, carrier_account asks the carrier whether it still
has the brand's account. Each check that fails (✗) comes with its fix; one
that could not be made (?, the carrier did not answer) says when to retry.

Exit 0 when the subject is ready, 1 when something must be fixed first or
could not be checked.`,
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
	fl.StringVar(&opts.Request.Tier, "tier", "", "standard (a company with an EIN) or sole_proprietor (one person, no EIN)")
	fl.StringVar(&opts.Request.AreaCode, "area-code", "", "3-digit area code")
	fl.StringVar(&opts.Request.Type, "type", "", "local (default) or toll_free")
	fl.StringArrayVar(&opts.Request.OverrideChecks, "override-check", nil, "a campaign compliance rule a human would override; repeatable")
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
	failed, unknown := 0, 0
	for _, c := range pf.Checks {
		switch checkStatus(c) {
		case naive.CheckFailed:
			failed++
		case naive.CheckUnknown:
			unknown++
		}
	}
	if failed == 0 {
		return &exitError{code: ExitError, err: errorf("subject %s is not known to be ready for a number: %d of %d checks could not be made; retry in a minute",
			pf.SubjectID, unknown, len(pf.Checks))}
	}
	return &exitError{code: ExitError, err: errorf("subject %s is not ready for a number: %d of %d checks fail", pf.SubjectID, failed, len(pf.Checks))}
}

// checkStatus is a check's status; answers from servers that do not send
// one have only ok.
func checkStatus(c naive.PreflightCheck) string {
	switch {
	case c.Status != "":
		return c.Status
	case c.OK:
		return naive.CheckOK
	}
	return naive.CheckFailed
}

// checkMark is the mark a check is printed with: ✓ ok, ✗ failed, ? could
// not be checked.
func checkMark(c naive.PreflightCheck) string {
	switch checkStatus(c) {
	case naive.CheckOK:
		return "✓"
	case naive.CheckUnknown:
		return "?"
	}
	return "✗"
}

func printPreflight(w io.Writer, pf *naive.Preflight, req naive.ProvisionRequest) {
	marks := map[string]bool{}
	for _, c := range pf.Checks {
		marks[checkMark(c)] = true
	}
	switch {
	case pf.Ready:
		fmt.Fprintf(w, "Subject %s is ready for a number.\n\n", pf.SubjectID)
	case marks["✗"]:
		fmt.Fprintf(w, "Subject %s is not ready for a number yet: fix the ✗ checks.\n\n", pf.SubjectID)
	default:
		fmt.Fprintf(w, "Subject %s could not be checked in full: retry the ? checks in a minute.\n\n", pf.SubjectID)
	}
	printChecks(w, "  ", pf.Checks, func(c naive.PreflightCheck) string { return preflightCommand(pf.SubjectID, c, req) })
	printCampaignChecks(w, pf.CampaignChecks) // campaigncontent.go
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
		if req.Tier != "" {
			cmd += " --tier " + req.Tier
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

// printChecks prints checks, one a line after indent, with the fix (and
// the command from run, if any) of each that is not ok.
func printChecks(w io.Writer, indent string, checks []naive.PreflightCheck, run func(naive.PreflightCheck) string) {
	for _, c := range checks {
		fmt.Fprintf(w, "%s%s %-15s %s\n", indent, checkMark(c), c.Check, c.Detail)
		if checkStatus(c) == naive.CheckOK {
			continue
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "%s  %-15s Fix: %s\n", indent, "", c.Fix)
		}
		if cmd := run(c); cmd != "" {
			fmt.Fprintf(w, "%s  %-15s Run: %s\n", indent, "", cmd)
		}
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
	return carrierCheckCommand(c, "naive phone preflight")
}

// carrierCheckCommand is the CLI command that follows a carrier check that
// is not ok: again for one that could not be made, a new subject for a
// lost account, a release for a lost number.
func carrierCheckCommand(c naive.PreflightCheck, again string) string {
	if checkStatus(c) == naive.CheckUnknown {
		return again + " (in a minute)"
	}
	switch c.Check {
	case "carrier_account":
		return "naive subjects create --legal-name … (a new subject), then naive subjects formation <id> --start --state DE and naive --subject <id> phone provision --ein <EIN>"
	case "carrier_numbers":
		return "naive phone release <phone-id> for each, then naive phone provision"
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
	cmd := &cobra.Command{
		Use:   "campaign <phone-id>",
		Short: "Show the carrier campaign of a number (sending unlocks when it is active)",
		Long: `Show the carrier campaign of a number: created → in_review → active | rejected;
sending unlocks when it is active. A rejected campaign shows the carrier's
reason; fix what it names and run ` + "`naive phone campaign resubmit`" + `.`,
		Args: exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneCampaignRun(cmd.Context(), opts)
		},
	}
	cmd.AddCommand(NewCmdPhoneCampaignResubmit(f, nil))
	return cmd
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
	if c.RejectionReason != nil {
		fmt.Fprintf(tw, "Reason:\t%s\n", *c.RejectionReason)
	}
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
		nextSteps(out, "naive subjects get "+c.SubjectID, "check the legal profile the carriers reviewed",
			"naive phone campaign resubmit", "send the fixed campaign back to review (free)")
	default:
		nextSteps(out, "naive phone campaign "+opts.PhoneID, "check again later; the number already receives SMS")
	}
	return nil
}
