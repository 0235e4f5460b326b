package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdPhone is `naive phone …`.
func NewCmdPhone(f *Factory) *cobra.Command {
	cmd := newGroup("phone", "Provision and manage phone numbers")
	cmd.Long = `Provision and manage the subject's phone numbers.

A number receives SMS as soon as it is provisioned; sending unlocks when the
carrier approves the subject's campaign (` + "`naive phone status`" + ` shows it).`
	cmd.AddCommand(NewCmdPhoneProvision(f, nil), NewCmdPhoneList(f, nil), NewCmdPhoneGet(f, nil),
		NewCmdPhoneStatus(f, nil), NewCmdPhoneRelabel(f, nil), NewCmdPhoneRelease(f, nil), NewCmdPhonePreflight(f, nil), NewCmdPhoneSearch(f, nil), NewCmdPhoneCampaign(f, nil),
		NewCmdPhoneBrandVerification(f, nil),
		NewCmdPhoneSend(f, nil), NewCmdPhoneMessages(f, nil), NewCmdPhoneRead(f, nil), NewCmdPhoneCancel(f, nil),
		NewCmdPhoneContacts(f, nil), NewCmdPhoneConsent(f, nil), NewCmdPhoneWait(f, nil),
		NewCmdPhoneAssign(f, nil), NewCmdPhoneUnassign(f, nil), NewCmdPhoneAssignments(f, nil))
	return cmd
}

// PhoneProvisionOptions are the inputs of `naive phone provision`.
type PhoneProvisionOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool

	Request naive.ProvisionRequest
	Wait    bool
	Timeout time.Duration
	// Interval is how often --wait polls.
	Interval time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// NewCmdPhoneProvision is `naive phone provision`.
func NewCmdPhoneProvision(f *Factory, runF func(*PhoneProvisionOptions) error) *cobra.Command {
	opts := &PhoneProvisionOptions{IO: f.IO, Service: f.Service, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "provision [--ein EIN | --tier sole_proprietor] [--area-code NNN] [--type local|toll_free] [--e164 +1NNNNNNNNNN] [--label TEXT] [--agent-id ID] [--wait]",
		Short: "Buy a US phone number for the subject",
		Long: `Buy a US phone number for the subject (the company the call acts for).

The subject's first number registers the carrier brand, so it needs --ein.
--tier sole_proprietor registers one person without an LLC or an EIN instead:
the subject's contact.phone must be a US mobile number, which the carrier
texts: the owner replies YES on Surge, or the code it carries is submitted with
` + "`naive phone brand-verification submit --code <code>`" + ` on Telnyx (` + "`naive phone brand-verification resend`" + `
sends it again), then the campaign is registered. A sole proprietor holds one number.
--e164 buys exactly a number ` + "`naive phone search`" + ` listed (one taken meanwhile
fails with no_matching_numbers, nothing charged: search again). The number receives SMS at once; sending unlocks when the carrier campaign is
active. With --wait the command follows the campaign until it is active
(exit 0) or rejected (exit 1), or gives up after --timeout (exit 8).

If the subject's policy needs a human to approve, nothing is bought: the
approval id is printed and the exit code is 6.`,
		Example: `  naive phone provision --ein 12-3456789 --area-code 415 --label Support
  naive phone provision --area-code 212 --wait --timeout 5m
  naive phone provision --e164 +14155551234
  naive phone provision --tier sole_proprietor --area-code 415`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if opts.Timeout <= 0 {
				return usageError{errorf("--timeout must be positive")}
			}
			if opts.Interval <= 0 {
				return usageError{errorf("--interval must be positive")}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneProvisionRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.EIN, "ein", "", "the company's EIN (needed for its first number)")
	fl.StringVar(&opts.Request.Tier, "tier", "", "standard (a company with an EIN; the default) or sole_proprietor (one person, no EIN)")
	fl.StringVar(&opts.Request.Carrier, "carrier", "", "the carrier of the subject's first number: surge or telnyx (default: the server's; later numbers follow the brand)")
	fl.StringVar(&opts.Request.AreaCode, "area-code", "", "3-digit area code")
	fl.StringVar(&opts.Request.Type, "type", "", "local (default) or toll_free")
	fl.StringVar(&opts.Request.Label, "label", "", "friendly name, at most 64 characters")
	fl.StringVar(&opts.Request.AgentID, "agent-id", "", "connect the number to this agent")
	fl.StringVar(&opts.Request.E164, "e164", "", "buy exactly this number, one that naive phone search listed")
	fl.StringArrayVar(&opts.Request.OverrideChecks, "override-check", nil, "a failing campaign compliance rule to accept anyway (humans only; recorded on the campaign); repeatable")
	fl.BoolVar(&opts.Wait, "wait", false, "wait until the carrier campaign is active or rejected")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "how long --wait waits")
	fl.DurationVar(&opts.Interval, "interval", 2*time.Second, "how often --wait checks")
	_ = fl.MarkHidden("interval")
	return cmd
}

func phoneProvisionRun(ctx context.Context, opts *PhoneProvisionOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	// The subject comes from --subject through the client's Naive-Subject
	// header, so the request is the same one a retry would send.
	res, err := svc.ProvisionPhone(ctx, "", opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if p := res.Pending; p != nil {
		if opts.JSON {
			if err := printJSON(out, res); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(out, "Approval needed: %s\n", p.Title)
			if p.Message != "" {
				fmt.Fprintf(out, "%s\n", p.Message)
			}
			fmt.Fprintf(out, "Approval id: %s\n", p.ApprovalID)
			fmt.Fprintln(out, "Nothing was bought or charged; once a human approves, the request runs exactly once.")
			nextSteps(out,
				"naive approvals approve "+p.ApprovalID, "a human approves it (after `naive login`)",
				"naive approvals watch "+p.ApprovalID, "wait for the decision and its result")
		}
		return &PendingApprovalError{ApprovalID: p.ApprovalID, Title: p.Title}
	}
	prov := res.Provisioned
	if !opts.Wait {
		if opts.JSON {
			return printJSON(out, res)
		}
		printProvisioned(out, prov)
		nextSteps(out,
			"naive phone get "+prov.Phone.ID, "see when sending SMS unlocks",
			"naive phone status", "follow the carrier campaign")
		return nil
	}
	if !opts.JSON {
		printProvisioned(out, prov)
	}
	werr := waitForCampaign(ctx, svc, opts, prov)
	if opts.JSON {
		if err := printJSON(out, prov); err != nil {
			return err
		}
	} else if werr == nil {
		fmt.Fprintf(out, "\nCampaign %s is active: %s sends and receives SMS.\n", prov.Campaign.ID, prov.Phone.E164)
		nextSteps(out, "naive phone get "+prov.Phone.ID, "see the number")
	}
	return werr
}

// waitForCampaign polls until prov's campaign is active (nil), rejected (an
// error) or the timeout passes (*WaitTimeoutError), updating prov with the
// last state seen. A spinner on stderr shows progress on a terminal.
func waitForCampaign(ctx context.Context, svc naive.Service, opts *PhoneProvisionOptions, prov *naive.Provisioned) error {
	start := opts.Now()
	deadline := start.Add(opts.Timeout)
	spin := newSpinner(opts.IO)
	defer spin.stop()
	for {
		st, err := svc.PhoneStatus(ctx, prov.Phone.SubjectID)
		if err != nil {
			return err
		}
		for _, c := range st.Campaigns {
			if c.ID == prov.Campaign.ID {
				prov.Campaign.Status, prov.Campaign.ETA = c.Status, c.ETA
			}
		}
		switch prov.Campaign.Status {
		case naive.CampaignActive:
			if p, err := svc.GetPhone(ctx, prov.Phone.SubjectID, prov.Phone.ID); err == nil {
				prov.Phone = *p
			}
			spin.stop()
			return nil
		case naive.CampaignRejected:
			spin.stop()
			return (&naive.Error{Code: naive.EConflict, Message: fmt.Sprintf("The carriers rejected campaign %s: %s cannot send SMS.", prov.Campaign.ID, prov.Phone.E164)}).
				WithHint("The number still receives SMS. Check the subject's legal profile (`naive subjects get`) and `naive phone status`.")
		}
		now := opts.Now()
		if !now.Before(deadline) {
			spin.stop()
			return &WaitTimeoutError{What: "campaign " + prov.Campaign.ID + " (status " + prov.Campaign.Status + ")", After: opts.Timeout,
				Hint: "The campaign is still under review; the number already receives SMS. Run `naive phone status` later."}
		}
		spin.update(fmt.Sprintf("Waiting for the carriers to approve campaign %s: %s (%s)", prov.Campaign.ID,
			prov.Campaign.Status, now.Sub(start).Round(time.Second)))
		wait := min(opts.Interval, deadline.Sub(now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func printProvisioned(w io.Writer, p *naive.Provisioned) {
	fmt.Fprintf(w, "Provisioned %s (%s) for subject %s\n", p.Phone.E164, p.Phone.Type, p.Phone.SubjectID)
	tw := newTable(w)
	fmt.Fprintf(tw, "  Phone id:\t%s\n", p.Phone.ID)
	if p.Carrier != "" {
		carrier := p.Carrier
		if p.FailoverFrom != "" {
			carrier += " (failed over: " + p.FailoverFrom + " was down)"
		}
		fmt.Fprintf(tw, "  Carrier:\t%s\n", carrier)
	}
	if p.Phone.Label != "" {
		fmt.Fprintf(tw, "  Label:\t%s\n", p.Phone.Label)
	}
	out := "when the campaign is active"
	if p.Phone.Capabilities.SMSOutbound {
		out = "yes"
	}
	fmt.Fprintf(tw, "  SMS:\tinbound %s, outbound %s\n", yesNo(p.Phone.Capabilities.SMSInbound), out)
	eta := ""
	if p.Campaign.ETA != nil {
		eta = ", eta " + *p.Campaign.ETA
	}
	fmt.Fprintf(tw, "  Campaign:\t%s (%s%s)\n", p.Campaign.ID, p.Campaign.Status, eta)
	if p.BrandVerification == naive.BrandVerificationPendingOTP {
		if p.BrandVerificationMethod == naive.BrandVerifyCode {
			fmt.Fprintf(tw, "  Brand:\tawaiting the one-time code the carrier texted the owner (`naive phone brand-verification submit --code <code>`; the campaign is registered after it)\n")
		} else {
			fmt.Fprintf(tw, "  Brand:\tawaiting the owner's YES to the carrier's verification text (the campaign is registered after it)\n")
		}
	}
	fmt.Fprintf(tw, "  Credits:\t%d used, %d remaining\n", p.CreditsUsed, p.CreditsRemaining)
	tw.Flush()
}

// spinner shows progress on stderr when it is a terminal; elsewhere it is
// silent, so agents and logs see only the result.
type spinner struct {
	w      io.Writer
	on     bool
	frame  int
	active bool
}

func newSpinner(s *IOStreams) *spinner { return &spinner{w: s.ErrOut, on: s.IsStderrTTY()} }

func (s *spinner) update(msg string) {
	if !s.on {
		return
	}
	frames := `|/-\`
	fmt.Fprintf(s.w, "\r\033[K%c %s", frames[s.frame%len(frames)], msg)
	s.frame++
	s.active = true
}

func (s *spinner) stop() {
	if s.on && s.active {
		fmt.Fprint(s.w, "\r\033[K")
		s.active = false
	}
}

// PhoneListOptions are the inputs of `naive phone list`.
type PhoneListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	AgentID string
	List    naive.ListParams
	// AllSubjects lists the numbers of every subject of the mode.
	AllSubjects bool
	// Subject is --subject, which --all-subjects excludes.
	Subject string
}

// NewCmdPhoneList is `naive phone list`.
func NewCmdPhoneList(f *Factory, runF func(*PhoneListOptions) error) *cobra.Command {
	opts := &PhoneListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list [--all-subjects] [--agent ID] [--limit N] [--cursor C]",
		Aliases: []string{"ls"},
		Short:   "List the subject's numbers (or every subject's, with --all-subjects)",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON, opts.Subject = f.JSONOutput(), f.Flags.Subject
			if runF != nil {
				return runF(opts)
			}
			return phoneListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.AgentID, "agent", "", "only numbers of this agent")
	cmd.Flags().BoolVar(&opts.AllSubjects, "all-subjects", false, "list the numbers of every subject of the mode (not for agent-bound keys)")
	listFlags(cmd, &opts.List)
	return cmd
}

func listFlags(cmd *cobra.Command, lp *naive.ListParams) {
	cmd.Flags().IntVar(&lp.Limit, "limit", 0, "page size, 1 to 200")
	cmd.Flags().StringVar(&lp.Cursor, "cursor", "", "next_cursor of the previous page")
}

// moreHint prints how to read the next page.
func moreHint(w io.Writer, cmd string, next *string) {
	if next != nil && *next != "" {
		fmt.Fprintf(w, "\nMore: %s --cursor %s\n", cmd, *next)
	}
}

func phoneListRun(ctx context.Context, opts *PhoneListOptions) error {
	if opts.AllSubjects && opts.Subject != "" {
		return usageError{errorf("--all-subjects lists every subject; drop --subject")}
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if opts.AllSubjects {
		return phoneListAllRun(ctx, svc, opts)
	}
	l, err := svc.ListPhones(ctx, "", opts.AgentID, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No numbers yet.")
		nextSteps(out, "naive phone provision --ein 12-3456789 --area-code 415", "buy the subject's first number")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tNUMBER\tTYPE\tSTATUS\tSMS OUT\tLABEL\tCREATED")
	for _, p := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.E164, p.Type, p.Status, yesNo(p.Capabilities.SMSOutbound), orDash(p.Label), when(p.CreatedAt))
	}
	tw.Flush()
	moreHint(out, "naive phone list", l.NextCursor)
	nextSteps(out, "naive phone get "+l.Data[0].ID, "details of a number")
	return nil
}

// PhoneGetOptions are the inputs of `naive phone get`.
type PhoneGetOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdPhoneGet is `naive phone get <id>`.
func NewCmdPhoneGet(f *Factory, runF func(*PhoneGetOptions) error) *cobra.Command {
	opts := &PhoneGetOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get <phone-id>",
		Short: "Show one number",
		Args:  exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneGetRun(cmd.Context(), opts)
		},
	}
}

func phoneGetRun(ctx context.Context, opts *PhoneGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	p, err := svc.GetPhone(ctx, "", opts.ID)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, p)
	}
	printPhone(out, p)
	if p.Status == naive.PhoneActive {
		if p.Capabilities.SMSOutbound {
			nextSteps(out, "naive phone release "+p.ID, "release it for good")
		} else {
			nextSteps(out, "naive phone status", "follow the campaign that unlocks sending")
		}
	}
	return nil
}

func printPhone(w io.Writer, p *naive.Phone) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Number:\t%s\n", p.E164)
	fmt.Fprintf(tw, "Id:\t%s\n", p.ID)
	fmt.Fprintf(tw, "Type:\t%s\n", p.Type)
	fmt.Fprintf(tw, "Status:\t%s\n", p.Status)
	if p.Label != "" {
		fmt.Fprintf(tw, "Label:\t%s\n", p.Label)
	}
	c := p.Capabilities
	fmt.Fprintf(tw, "SMS:\tinbound %s, outbound %s\n", yesNo(c.SMSInbound), yesNo(c.SMSOutbound))
	fmt.Fprintf(tw, "Subject:\t%s\n", p.SubjectID)
	if p.AgentID != "" {
		fmt.Fprintf(tw, "Agent:\t%s\n", p.AgentID)
	}
	if p.CampaignID != "" {
		fmt.Fprintf(tw, "Campaign:\t%s\n", p.CampaignID)
	}
	fmt.Fprintf(tw, "Created:\t%s\n", when(p.CreatedAt))
	if p.ReleasedAt != nil {
		fmt.Fprintf(tw, "Released:\t%s\n", when(*p.ReleasedAt))
	}
	tw.Flush()
}

// PhoneStatusOptions are the inputs of `naive phone status`.
type PhoneStatusOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
}

// NewCmdPhoneStatus is `naive phone status`.
func NewCmdPhoneStatus(f *Factory, runF func(*PhoneStatusOptions) error) *cobra.Command {
	opts := &PhoneStatusOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "status",
		Short: "Show the pipeline: formation, carrier brand, campaign, numbers",
		Long: `Show the subject's pipeline: its LLC formation, carrier brand, campaigns and
active numbers, and the next step. Once the brand is registered, the carrier
is asked (one request) whether it still has the brand's account and the
numbers: a ✗ check says what was lost and how to recover; a ? check could
not be made (the carrier did not answer) and says nothing was lost; retry.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return phoneStatusRun(cmd.Context(), opts)
		},
	}
}

func phoneStatusRun(ctx context.Context, opts *PhoneStatusOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	st, err := svc.PhoneStatus(ctx, "")
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, st)
	}
	tw := newTable(out)
	fmt.Fprintf(tw, "Subject:\t%s\n", st.SubjectID)
	fmt.Fprintf(tw, "Formation:\t%s\n", st.Formation.Status)
	if st.Brand != nil {
		switch {
		case st.Brand.Tier == naive.TierSoleProprietor && st.Brand.Verification == naive.BrandVerificationPendingOTP &&
			st.Brand.VerificationMethod == naive.BrandVerifyCode:
			fmt.Fprintf(tw, "Brand:\t%s, sole proprietor, awaiting the one-time code the carrier texted the owner (`naive phone brand-verification submit --code <code>`)\n", st.Brand.Status)
		case st.Brand.Tier == naive.TierSoleProprietor && st.Brand.Verification == naive.BrandVerificationPendingOTP:
			fmt.Fprintf(tw, "Brand:\t%s, sole proprietor, awaiting the owner's YES to the verification text (`naive phone brand-verification resend`)\n", st.Brand.Status)
		case st.Brand.Tier == naive.TierSoleProprietor:
			fmt.Fprintf(tw, "Brand:\t%s, sole proprietor (%s)\n", st.Brand.Status, orDash(st.Brand.Verification))
		default:
			fmt.Fprintf(tw, "Brand:\t%s (EIN %s)\n", st.Brand.Status, st.Brand.EIN)
		}
	} else {
		fmt.Fprintf(tw, "Brand:\tnot registered (the first number registers it)\n")
	}
	for _, c := range st.Campaigns {
		eta := ""
		if c.ETA != nil && c.Status != naive.CampaignActive && c.Status != naive.CampaignRejected {
			eta = ", eta " + *c.ETA
		}
		fmt.Fprintf(tw, "Campaign:\t%s %s (%s%s)\n", c.ID, c.Kind, c.Status, eta)
		if c.RejectionReason != nil {
			fmt.Fprintf(tw, "\trejected: %s (fix it, then `naive phone campaign resubmit`)\n", *c.RejectionReason)
		}
	}
	tw.Flush()
	if len(st.Numbers) > 0 {
		fmt.Fprintln(out)
		tw = newTable(out)
		fmt.Fprintln(tw, "ID\tNUMBER\tSMS IN\tSMS OUT\tLABEL")
		for _, p := range st.Numbers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.E164, yesNo(p.Capabilities.SMSInbound), yesNo(p.Capabilities.SMSOutbound), orDash(p.Label))
		}
		tw.Flush()
	}
	if len(st.Checks) > 0 {
		fmt.Fprintln(out, "\nAt the carrier:")
		printChecks(out, "  ", st.Checks, func(c naive.PreflightCheck) string { return carrierCheckCommand(c, "naive phone status") })
	}
	if st.NextStep != "" {
		fmt.Fprintf(out, "\nNext step: %s\n", hints.For(hints.CLI, st.NextStep))
	}
	return nil
}

// PhoneReleaseOptions are the inputs of `naive phone release`.
type PhoneReleaseOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Yes     bool
}

// NewCmdPhoneRelease is `naive phone release <id>`.
func NewCmdPhoneRelease(f *Factory, runF func(*PhoneReleaseOptions) error) *cobra.Command {
	opts := &PhoneReleaseOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "release <phone-id> [--yes]",
		Short: "Release a number permanently",
		Long: `Release a number permanently: it stops receiving SMS and cannot be recovered.
On a terminal the command asks first unless --yes is given.`,
		Args: exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneReleaseRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func phoneReleaseRun(ctx context.Context, opts *PhoneReleaseOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if !opts.Yes && opts.IO.IsStdinTTY() && opts.IO.IsStdoutTTY() {
		p, err := svc.GetPhone(ctx, "", opts.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "Release %s (%s) permanently? It cannot be recovered. [y/N] ", p.E164, orDash(p.Label))
		line, _ := bufio.NewReader(opts.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return &exitError{code: ExitError, err: errorf("not released")}
		}
	}
	p, err := svc.ReleasePhone(ctx, "", opts.ID)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, p)
	}
	fmt.Fprintf(out, "Released %s (%s). It no longer receives SMS.\n", p.E164, p.ID)
	nextSteps(out, "naive phone list", "the numbers left")
	return nil
}

// PhoneRelabelOptions are the inputs of `naive phone relabel`.
type PhoneRelabelOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Label   string
}

// NewCmdPhoneRelabel is `naive phone relabel <phone-id> --label L`.
func NewCmdPhoneRelabel(f *Factory, runF func(*PhoneRelabelOptions) error) *cobra.Command {
	opts := &PhoneRelabelOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "relabel <phone-id> --label L",
		Short: "Set a number's label (--label \"\" removes it)",
		Args:  exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if !cmd.Flags().Changed("label") {
				return usageError{errorf("naive phone relabel needs --label (an empty one removes the label)")}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneRelabelRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Label, "label", "", "the new label, at most 64 characters")
	return cmd
}

func phoneRelabelRun(ctx context.Context, opts *PhoneRelabelOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	p, err := svc.UpdatePhone(ctx, "", opts.ID, naive.PhonePatch{Label: &opts.Label})
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, p)
	}
	fmt.Fprintf(opts.IO.Out, "%s (%s) is now labelled %s.\n", p.E164, p.ID, orDash(p.Label))
	return nil
}
