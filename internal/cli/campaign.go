package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// PhoneCampaignResubmitOptions are the inputs of `naive phone campaign resubmit`.
type PhoneCampaignResubmitOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.CampaignResubmission
}

// NewCmdPhoneCampaignResubmit is `naive phone campaign resubmit`.
func NewCmdPhoneCampaignResubmit(f *Factory, runF func(*PhoneCampaignResubmitOptions) error) *cobra.Command {
	opts := &PhoneCampaignResubmitOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "resubmit [--description TEXT] [--message-sample TEXT]... [--consent-flow TEXT] [--privacy-policy-url URL] [--terms-url URL]",
		Short: "Send the subject's rejected campaign back to the carrier's review (free)",
		Long: `Send the subject's rejected 10DLC campaign back to the carrier's review. It is
the subject's campaign content (` + "`naive subjects campaign-content get`" + `; fix the
profile first with ` + "`naive subjects update`" + ` when the reason is about the
company), with the changes given here, which are kept; every flag is optional.
The compliance rules run first (` + "`naive phone preflight`" + ` shows them): a failing one
refuses it, unless a human accepts it with --override-check RULE. The campaign moves to in_review,
then to active or rejected again. Nothing is charged, and the subject's
numbers stay yours and keep receiving SMS meanwhile.

A campaign that is not rejected cannot be resubmitted (conflict).`,
		Example: `  naive phone campaign resubmit
  naive phone campaign resubmit --description "Acme Robotics uses SMS to answer customer care requests of customers who opted in."
  naive phone campaign resubmit --message-sample "You are now opted in to Acme texts. Reply STOP to opt out." --message-sample "Acme: your ticket [id] was updated. Reply STOP to opt out."`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return phoneCampaignResubmitRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.Description, "description", "", "what the company does and how it uses SMS (40–4096 characters)")
	fl.StringArrayVar(&opts.Request.MessageSamples, "message-sample", nil, "an example text; repeat 2–5 times (the first is usually the opt-in confirmation)")
	fl.StringVar(&opts.Request.ConsentFlow, "consent-flow", "", "how recipients opt in (40–4096 characters)")
	fl.StringVar(&opts.Request.PrivacyPolicyURL, "privacy-policy-url", "", "the privacy policy's URL")
	fl.StringVar(&opts.Request.TermsURL, "terms-url", "", "the terms' URL")
	fl.StringArrayVar(&opts.Request.OverrideChecks, "override-check", nil, "a failing compliance rule to accept anyway (humans only; recorded on the campaign); repeatable")
	return cmd
}

func phoneCampaignResubmitRun(ctx context.Context, opts *PhoneCampaignResubmitOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	c, err := svc.ResubmitCampaign(ctx, "", opts.Request)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, c)
	}
	fmt.Fprintf(opts.IO.Out, "Campaign %s resubmitted: %s.\n", c.ID, c.Status)
	nextSteps(opts.IO.Out, "naive phone status", "follow the review; sending unlocks when it is active")
	return nil
}

// PhoneBrandVerificationOptions are the inputs of `naive phone
// brand-verification resend` and `submit`.
type PhoneBrandVerificationOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	// Code is submit's --code.
	Code string
}

// NewCmdPhoneBrandVerification is `naive phone brand-verification resend|submit`.
func NewCmdPhoneBrandVerification(f *Factory, runF func(*PhoneBrandVerificationOptions) error) *cobra.Command {
	cmd := newGroup("brand-verification", "A sole proprietor's verification text")
	cmd.Long = `A sole proprietor's brand (` + "`naive phone provision --tier sole_proprietor`" + `) is
verified by a text the carrier sends to the subject's contact.phone. How the
owner confirms it depends on the carrier (` + "`naive phone status`" + ` says which):
on Surge they reply YES to the text; on Telnyx the text carries a one-time
code, which is submitted with ` + "`naive phone brand-verification submit --code <code>`" + `.
The campaign is registered after that.

In test mode the sandbox sends no real text: on Surge, reply with
` + "`naive sandbox sms --to " + surgesim.VerificationNumber + " --from <contact.phone> --body YES`" + `;
on Telnyx, submit the sandbox's code ` + telnyxsim.SandboxOTPPin + `.`
	opts := &PhoneBrandVerificationOptions{IO: f.IO, Service: f.Service}
	resend := &cobra.Command{
		Use:   "resend",
		Short: "Ask the carrier to text the owner the verification message again (once a minute at most)",
		Long: `Ask the carrier to text the sole proprietor's contact.phone the verification
message again (on Telnyx, with a new code). At most one resend a minute per
brand (rate_limited, with the wait, otherwise). A company's brand, or one
verified already, needs none (conflict).`,
		Example: `  naive phone brand-verification resend
  naive --subject 01f0… phone brand-verification resend`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return phoneBrandVerificationResendRun(cmd.Context(), opts)
		},
	}
	submit := &cobra.Command{
		Use:   "submit --code CODE",
		Short: "Submit the one-time code the carrier texted the owner (Telnyx)",
		Long: `Submit the one-time code the carrier texted the sole proprietor's
contact.phone, on a carrier that verifies by code (Telnyx). Accepted, the brand
is verified and the campaign is registered moments later. A wrong or expired
code fails (invalid_input on code: check the text, or resend a new one);
after 5 wrong codes in a row submissions are refused for 10 minutes
(rate_limited). On Surge the owner replies YES instead: there is no code
(conflict).`,
		Example: `  naive phone brand-verification submit --code 123456
  naive --subject 01f0… phone brand-verification submit --code 123456`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if opts.Code == "" {
				return usageError{errorf("--code is required: the digits of the carrier's verification text")}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneBrandVerificationSubmitRun(cmd.Context(), opts)
		},
	}
	submit.Flags().StringVar(&opts.Code, "code", "", "the one-time code the owner received (digits)")
	cmd.AddCommand(resend, submit)
	return cmd
}

func phoneBrandVerificationResendRun(ctx context.Context, opts *PhoneBrandVerificationOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.ResendBrandVerification(ctx, "")
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, res)
	}
	fmt.Fprintf(opts.IO.Out, "The carrier is texting the verification message to %s again.\n", res.SentTo)
	if res.VerificationMethod == naive.BrandVerifyCode {
		fmt.Fprintln(opts.IO.Out, "It carries a new one-time code; the campaign is registered once it is submitted.")
		nextSteps(opts.IO.Out, "naive phone brand-verification submit --code <code>", "submit the code the owner received")
		return nil
	}
	fmt.Fprintln(opts.IO.Out, "The owner replies YES to it; the campaign is registered once they do.")
	nextSteps(opts.IO.Out, "naive phone status", "see when the brand is verified and the campaign in review")
	return nil
}

func phoneBrandVerificationSubmitRun(ctx context.Context, opts *PhoneBrandVerificationOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.SubmitBrandVerification(ctx, "", opts.Code)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, res)
	}
	fmt.Fprintln(opts.IO.Out, "The carrier accepted the code: the brand is verified.")
	fmt.Fprintln(opts.IO.Out, "The campaign is registered with the carrier within moments, then reviewed.")
	nextSteps(opts.IO.Out, "naive phone status", "follow the campaign; sending unlocks when it is active")
	return nil
}
