package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdSubjectsCampaignContent is `naive subjects campaign-content get|set`.
func NewCmdSubjectsCampaignContent(f *Factory) *cobra.Command {
	cmd := newGroup("campaign-content", "See or change what the subject's 10DLC campaign submits")
	cmd.Long = `See or change what the subject's 10DLC campaign submits to the carrier: its
description, message samples, consent flow, use cases, volume, help and
opt-out messages, privacy policy and terms URLs. Each field is what the
subject set or a default built from its profile; it is exactly what the first
provision registers and what a resubmission sends.

The content can change before the first provision and after a rejection
(then resubmit with ` + "`naive phone campaign resubmit`" + `), not while the carrier reviews or
holds it. ` + "`naive phone preflight`" + ` runs the compliance rules on it.`
	cmd.AddCommand(NewCmdSubjectsCampaignContentGet(f, nil), NewCmdSubjectsCampaignContentSet(f, nil))
	return cmd
}

// CampaignContentOptions are the inputs of `naive subjects campaign-content get|set`.
type CampaignContentOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Patch   naive.CampaignContentPatch
}

// NewCmdSubjectsCampaignContentGet is `naive subjects campaign-content get [<id>]`.
func NewCmdSubjectsCampaignContentGet(f *Factory, runF func(*CampaignContentOptions) error) *cobra.Command {
	opts := &CampaignContentOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get [<subject-id>]",
		Short: "Show what the subject's campaign submits (defaults from its profile where unset)",
		Example: `  naive subjects campaign-content get
  naive subjects campaign-content get 01f0… --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSONOutput()
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return campaignContentRun(cmd.Context(), opts, false)
		},
	}
}

// NewCmdSubjectsCampaignContentSet is `naive subjects campaign-content set [<id>] --…`.
func NewCmdSubjectsCampaignContentSet(f *Factory, runF func(*CampaignContentOptions) error) *cobra.Command {
	opts := &CampaignContentOptions{IO: f.IO, Service: f.Service}
	var (
		p      naive.CampaignContent
		reset  []string
		fields = []string{"description", "message-sample", "consent-flow", "use-case", "volume", "help-message", "opt-out-message",
			"privacy-policy-url", "terms-url"}
	)
	cmd := &cobra.Command{
		Use:   "set [<subject-id>] [--description TEXT] [--message-sample TEXT]... [--consent-flow TEXT] [--use-case NAME]... [--reset FIELD]...",
		Short: "Change the fields given; --reset puts a field back to its default",
		Long: `Change the fields given (the others stay). Repeat --message-sample 2–5 times
and --use-case 1–5 times: they replace the list whole. --reset FIELD (repeatable)
puts a field back to the default built from the profile.

Limits: description and consent flow 40–4096 characters; samples 1–1024 each;
use cases from ` + strings.Join(naive.CampaignUseCases, ", ") + `;
volume low or high; help and opt-out messages 1–320 characters.`,
		Example: `  naive subjects campaign-content set --message-sample "Acme: you are now opted in. Msg&data rates apply. Reply STOP to opt out." --message-sample "Acme: your order [id] shipped. Reply STOP to opt out."
  naive subjects campaign-content set --consent-flow "Customers opt in by checking an unchecked box on https://acme.example/signup."
  naive subjects campaign-content set --reset description --reset message_samples`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSONOutput()
			if len(args) == 1 {
				opts.ID = args[0]
			}
			fs := cmd.Flags()
			str := func(name string, dst **string, v string) {
				if fs.Changed(name) {
					*dst = &v
				}
			}
			str("description", &opts.Patch.Description, p.Description)
			str("consent-flow", &opts.Patch.ConsentFlow, p.ConsentFlow)
			str("volume", &opts.Patch.Volume, p.Volume)
			str("help-message", &opts.Patch.HelpMessage, p.HelpMessage)
			str("opt-out-message", &opts.Patch.OptOutMessage, p.OptOutMessage)
			str("privacy-policy-url", &opts.Patch.PrivacyPolicyURL, p.PrivacyPolicyURL)
			str("terms-url", &opts.Patch.TermsURL, p.TermsURL)
			if fs.Changed("message-sample") {
				opts.Patch.MessageSamples = p.MessageSamples
			}
			if fs.Changed("use-case") {
				opts.Patch.UseCases = p.UseCases
			}
			empty := ""
			for _, r := range reset {
				switch strings.ReplaceAll(r, "-", "_") {
				case "description":
					opts.Patch.Description = &empty
				case "message_samples", "message_sample":
					opts.Patch.MessageSamples = []string{}
				case "consent_flow":
					opts.Patch.ConsentFlow = &empty
				case "use_cases", "use_case":
					opts.Patch.UseCases = []string{}
				case "volume":
					opts.Patch.Volume = &empty
				case "help_message":
					opts.Patch.HelpMessage = &empty
				case "opt_out_message":
					opts.Patch.OptOutMessage = &empty
				case "privacy_policy_url":
					opts.Patch.PrivacyPolicyURL = &empty
				case "terms_url":
					opts.Patch.TermsURL = &empty
				default:
					return usageError{errorf("--reset %q: name one of description, message_samples, consent_flow, use_cases, volume, help_message, opt_out_message, privacy_policy_url, terms_url", r)}
				}
			}
			if !slices.ContainsFunc(fields, fs.Changed) && len(reset) == 0 {
				return usageError{errorf("give at least one field to change (--description, --message-sample, …) or --reset FIELD")}
			}
			if runF != nil {
				return runF(opts)
			}
			return campaignContentRun(cmd.Context(), opts, true)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&p.Description, "description", "", "what the company does and how it uses SMS (40–4096 characters)")
	fl.StringArrayVar(&p.MessageSamples, "message-sample", nil, "an example text naming the company; repeat 2–5 times (the first is usually the opt-in confirmation)")
	fl.StringVar(&p.ConsentFlow, "consent-flow", "", "how and where recipients opt in: the form's URL, or the keyword they text (40–4096 characters)")
	fl.StringArrayVar(&p.UseCases, "use-case", nil, "a use case; repeat 1–5 times")
	fl.StringVar(&p.Volume, "volume", "", "low or high")
	fl.StringVar(&p.HelpMessage, "help-message", "", "the answer to HELP (1–320 characters)")
	fl.StringVar(&p.OptOutMessage, "opt-out-message", "", "the confirmation of STOP (1–320 characters)")
	fl.StringVar(&p.PrivacyPolicyURL, "privacy-policy-url", "", "the privacy policy's URL (default: the profile's)")
	fl.StringVar(&p.TermsURL, "terms-url", "", "the terms' URL (default: the profile's)")
	fl.StringArrayVar(&reset, "reset", nil, "a field to put back to its default; repeatable")
	return cmd
}

func campaignContentRun(ctx context.Context, opts *CampaignContentOptions, set bool) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	var c *naive.CampaignContent
	if set {
		c, err = svc.UpdateCampaignContent(ctx, opts.ID, opts.Patch)
	} else {
		c, err = svc.GetCampaignContent(ctx, opts.ID)
	}
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, c)
	}
	mark := func(field string) string {
		if slices.Contains(c.Customized, field) {
			return ""
		}
		return " (default)"
	}
	tw := newTable(out)
	fmt.Fprintf(tw, "Description%s:\t%s\n", mark("description"), c.Description)
	for i, m := range c.MessageSamples {
		fmt.Fprintf(tw, "Sample %d%s:\t%s\n", i+1, mark("message_samples"), m)
	}
	fmt.Fprintf(tw, "Consent flow%s:\t%s\n", mark("consent_flow"), c.ConsentFlow)
	fmt.Fprintf(tw, "Use cases%s:\t%s\n", mark("use_cases"), strings.Join(c.UseCases, ", "))
	fmt.Fprintf(tw, "Volume%s:\t%s\n", mark("volume"), c.Volume)
	fmt.Fprintf(tw, "Help message%s:\t%s\n", mark("help_message"), c.HelpMessage)
	fmt.Fprintf(tw, "Opt-out message%s:\t%s\n", mark("opt_out_message"), c.OptOutMessage)
	fmt.Fprintf(tw, "Privacy policy%s:\t%s\n", mark("privacy_policy_url"), c.PrivacyPolicyURL)
	fmt.Fprintf(tw, "Terms%s:\t%s\n", mark("terms_url"), c.TermsURL)
	status := "not registered yet"
	if c.CampaignStatus != nil {
		status = *c.CampaignStatus
	}
	fmt.Fprintf(tw, "Campaign:\t%s\n", status)
	if err := tw.Flush(); err != nil {
		return err
	}
	if c.Editable {
		if set {
			nextSteps(out, "naive phone preflight", "run the compliance rules on it before any fee")
		} else {
			nextSteps(out, "naive subjects campaign-content set --description …", "change a field")
		}
	} else {
		fmt.Fprintln(out, "The carrier holds this content: it can change only after a rejection, then `naive phone campaign resubmit`.")
	}
	return nil
}

// printCampaignChecks prints the compliance rules preflight ran on the
// campaign content, with the fix of each that fails.
func printCampaignChecks(w io.Writer, checks []naive.CampaignCheck) {
	if len(checks) == 0 {
		return
	}
	fmt.Fprintln(w, "\n  Campaign compliance (`naive subjects campaign-content get` shows the content):")
	for _, c := range checks {
		mark := map[string]string{naive.CheckOK: "✓", naive.CheckUnknown: "?"}[c.Status]
		switch {
		case c.Overridden:
			mark = "~"
		case mark == "":
			mark = "✗"
		}
		fmt.Fprintf(w, "    %s %-26s %s\n", mark, c.Rule, c.Message)
		if c.Status == naive.CheckFailed && !c.Overridden && c.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", hints.For(hints.CLI, c.Fix))
		}
	}
}
