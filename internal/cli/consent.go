package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// PhoneContactsOptions are the inputs of `naive phone contacts`.
type PhoneContactsOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	List    naive.ListParams
}

// NewCmdPhoneContacts is `naive phone contacts <phone-id>`.
func NewCmdPhoneContacts(f *Factory, runF func(*PhoneContactsOptions) error) *cobra.Command {
	opts := &PhoneContactsOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "contacts <phone-id> [--limit N] [--cursor C]",
		Short: "List a number's contacts with their consent and opt-out state",
		Long: `List the people a number holds a consent record for (how they opted in) and
those who opted out of the subject's texts (STOP), by number. An opt-out wins
over any consent; only the contact's START undoes it.`,
		Args: exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneContactsRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func phoneContactsRun(ctx context.Context, opts *PhoneContactsOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListContacts(ctx, "", opts.PhoneID, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No contacts yet. Someone who texts the number counts as consent (conversation).")
		nextSteps(out, "naive phone consent "+opts.PhoneID+" <e164> --basis express_written --evidence-url https://…", "record an opt-in")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "CONTACT\tCONSENT\tSINCE\tOPTED OUT")
	for _, c := range l.Data {
		basis, since := "-", "-"
		if c.Consent != nil {
			basis, since = c.Consent.Basis, when(c.Consent.UpdatedAt)
		}
		opted := "no"
		if c.OptedOut {
			opted = "yes (STOP)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Contact, basis, since, opted)
	}
	tw.Flush()
	moreHint(out, "naive phone contacts "+opts.PhoneID, l.NextCursor)
	return nil
}

// PhoneConsentOptions are the inputs of `naive phone consent`.
type PhoneConsentOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	Contact string
	Request naive.ConsentRequest
}

// NewCmdPhoneConsent is `naive phone consent <phone-id> <e164> --basis …`.
func NewCmdPhoneConsent(f *Factory, runF func(*PhoneConsentOptions) error) *cobra.Command {
	opts := &PhoneConsentOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "consent <phone-id> <e164> --basis <basis> [--evidence-url URL] [--note TEXT]",
		Short: "Record how a contact opted in to a number's texts",
		Long: `Record a contact's consent to texts from a number, replacing the record it
held. --basis is one of:

  express_written    they agreed in writing (a form, a checkbox); give --evidence-url
  express_oral       they agreed by voice
  existing_customer  a customer who gave this number for it
  conversation       they texted the number first (recorded on its own)

When the subject's Account Kit requires consent, a text to a contact without a
record is refused. Recording consent does not undo a STOP.`,
		Example: `  naive phone consent 01f0… +14155550123 --basis express_written --evidence-url https://example.com/optins/42`,
		Args:    exactArgs(2, "a phone id and the contact's number in E.164"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID, opts.Contact = f.JSONOutput(), args[0], args[1]
			if strings.TrimSpace(opts.Request.Basis) == "" {
				return usageError{errorf("--basis is required (%s)", strings.Join(naive.ConsentBases, ", "))}
			}
			if !slices.Contains(naive.ConsentBases, opts.Request.Basis) {
				return usageError{errorf("--basis takes %s, not %q", strings.Join(naive.ConsentBases, ", "), opts.Request.Basis)}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneConsentRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.Basis, "basis", "", "how they opted in: "+strings.Join(naive.ConsentBases, ", "))
	fl.StringVar(&opts.Request.EvidenceURL, "evidence-url", "", "an https link to the proof (the form, the recording)")
	fl.StringVar(&opts.Request.Note, "note", "", "a note kept with the record")
	return cmd
}

func phoneConsentRun(ctx context.Context, opts *PhoneConsentOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	c, err := svc.RecordConsent(ctx, "", opts.PhoneID, opts.Contact, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, c)
	}
	fmt.Fprintf(out, "Consent recorded: %s may be texted from phone %s (%s).\n", c.Contact, c.PhoneID, c.Consent.Basis)
	if c.OptedOut {
		fmt.Fprintln(out, "They opted out (STOP), though: nothing goes to them until they text START.")
	}
	nextSteps(out, "naive phone contacts "+c.PhoneID, "the number's contacts")
	return nil
}

// PhoneCancelOptions are the inputs of `naive phone cancel`.
type PhoneCancelOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdPhoneCancel is `naive phone cancel <message-id>`.
func NewCmdPhoneCancel(f *Factory, runF func(*PhoneCancelOptions) error) *cobra.Command {
	opts := &PhoneCancelOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "cancel <message-id>",
		Short: "Cancel a scheduled text before it goes",
		Long: `Cancel a text that quiet hours held as scheduled (` + "`naive phone send --schedule`" + `):
it is never sent nor charged. A text already sent cannot be called back.`,
		Args: exactArgs(1, "a message id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneCancelRun(cmd.Context(), opts)
		},
	}
}

func phoneCancelRun(ctx context.Context, opts *PhoneCancelOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	m, err := svc.CancelMessage(ctx, "", opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, m)
	}
	fmt.Fprintf(opts.IO.Out, "Canceled: the text to %s will not be sent, and nothing was charged.\n", m.To)
	return nil
}
