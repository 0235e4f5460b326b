package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// PhoneSendOptions are the inputs of `naive phone send`.
type PhoneSendOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	Request naive.SendRequest
}

// NewCmdPhoneSend is `naive phone send --from <phone-id> --to <e164> --body <text>`.
func NewCmdPhoneSend(f *Factory, runF func(*PhoneSendOptions) error) *cobra.Command {
	opts := &PhoneSendOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "send --from <phone-id> --to <e164> --body <text>",
		Short: "Send an SMS from one of the subject's numbers",
		Long: `Send an SMS from one of the subject's numbers. Credits are charged per
segment (160 GSM-7 or 70 UCS-2 characters; 153/67 when concatenated).

Until the carriers approve the subject's campaign the server refuses with
compliance_pending (exit 1) and the campaign status: nothing is sent or
charged, and the same command works once ` + "`naive phone campaign <phone-id>`" + `
shows active.

The subject's Account Kit may require consent (record it with
` + "`naive phone consent`" + `) and set quiet hours in the recipient's local time:
outside them the text is refused with retry_at, or, with --schedule, kept
as scheduled and sent (and charged) when the window opens; cancel it with
` + "`naive phone cancel <message-id>`" + ` until then.`,
		Example: `  naive phone send --from 01f0… --to +14155550123 --body "Your order shipped"
  naive phone send --from 01f0… --to +14155550123 --body "Good morning" --schedule`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			var missing []string
			for _, fl := range []struct{ name, v string }{{"--from", opts.PhoneID}, {"--to", opts.Request.To}, {"--body", opts.Request.Body}} {
				if strings.TrimSpace(fl.v) == "" {
					missing = append(missing, fl.name)
				}
			}
			if len(missing) > 0 {
				return usageError{errorf("%s required", strings.Join(missing, ", "))}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneSendRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.PhoneID, "from", "", "the id of the number to send from (see `naive phone list`)")
	fl.StringVar(&opts.Request.To, "to", "", "the recipient in E.164, e.g. +14155550123")
	fl.StringVar(&opts.Request.Body, "body", "", "the text")
	fl.BoolVar(&opts.Request.Schedule, "schedule", false, "outside the kit's quiet hours, schedule the text for the window's start instead of refusing it")
	return cmd
}

func phoneSendRun(ctx context.Context, opts *PhoneSendOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.SendSMS(ctx, "", opts.PhoneID, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, res)
	}
	fmt.Fprintf(out, "Text from %s to %s: %s\n", res.From, res.To, res.Status)
	tw := newTable(out)
	fmt.Fprintf(tw, "  Message id:\t%s\n", res.ID)
	fmt.Fprintf(tw, "  Segments:\t%d\n", res.Segments)
	if res.ConsentBasis != "" {
		fmt.Fprintf(tw, "  Consent:\t%s\n", res.ConsentBasis)
	}
	if res.Status == naive.MessageScheduled && res.SendAt != nil {
		fmt.Fprintf(tw, "  Sends at:\t%s (charged then; %d credits remaining now)\n", when(*res.SendAt), res.CreditsRemaining)
		tw.Flush()
		nextSteps(out, "naive phone cancel "+res.ID, "cancel it before it goes")
		return nil
	}
	fmt.Fprintf(tw, "  Credits:\t%d used, %d remaining\n", res.CreditsUsed, res.CreditsRemaining)
	tw.Flush()
	nextSteps(out, "naive phone read "+res.ID, "follow its delivery (queued → sent → delivered | failed)")
	return nil
}

// PhoneMessagesOptions are the inputs of `naive phone messages`.
type PhoneMessagesOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	List    naive.ListParams
}

// NewCmdPhoneMessages is `naive phone messages <phone-id>`.
func NewCmdPhoneMessages(f *Factory, runF func(*PhoneMessagesOptions) error) *cobra.Command {
	opts := &PhoneMessagesOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "messages <phone-id> [--limit N] [--cursor C]",
		Short: "List a number's messages, received and sent, newest first",
		Args:  exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneMessagesRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func phoneMessagesRun(ctx context.Context, opts *PhoneMessagesOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListMessages(ctx, "", opts.PhoneID, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No messages yet. The number receives SMS as soon as it is provisioned.")
		nextSteps(out, "naive sandbox sms --to "+opts.PhoneID+" --body hello", "text it from the sandbox (test mode)")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tDIRECTION\tFROM\tTO\tSTATUS\tAT\tBODY")
	for _, m := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Direction, m.From, m.To, m.Status, when(messageTime(&m)), snippet(m.Body, 40))
	}
	tw.Flush()
	moreHint(out, "naive phone messages "+opts.PhoneID, l.NextCursor)
	nextSteps(out, "naive phone read "+l.Data[0].ID, "read the newest in full")
	return nil
}

// messageTime is when a message arrived or was created.
func messageTime(m *naive.Message) (t time.Time) {
	if m.ReceivedAt != nil {
		return *m.ReceivedAt
	}
	return m.CreatedAt
}

// snippet shortens s to n characters on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// PhoneReadOptions are the inputs of `naive phone read`.
type PhoneReadOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdPhoneRead is `naive phone read <message-id>`.
func NewCmdPhoneRead(f *Factory, runF func(*PhoneReadOptions) error) *cobra.Command {
	opts := &PhoneReadOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "read <message-id>",
		Short: "Show one message in full, with its delivery status",
		Args:  exactArgs(1, "a message id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneReadRun(cmd.Context(), opts)
		},
	}
}

func phoneReadRun(ctx context.Context, opts *PhoneReadOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	m, err := svc.GetMessage(ctx, "", opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, m)
	}
	printMessage(opts.IO.Out, m)
	return nil
}

func printMessage(w io.Writer, m *naive.Message) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Message:\t%s\n", m.ID)
	fmt.Fprintf(tw, "Direction:\t%s\n", m.Direction)
	fmt.Fprintf(tw, "From:\t%s\n", m.From)
	fmt.Fprintf(tw, "To:\t%s\n", m.To)
	fmt.Fprintf(tw, "Status:\t%s\n", m.Status)
	if m.FailureReason != "" {
		fmt.Fprintf(tw, "Failure:\t%s\n", m.FailureReason)
	}
	fmt.Fprintf(tw, "Phone:\t%s\n", m.PhoneID)
	if m.Segments > 0 {
		fmt.Fprintf(tw, "Segments:\t%d (%d credits)\n", m.Segments, m.CreditsUsed)
	}
	if m.ConsentBasis != "" {
		fmt.Fprintf(tw, "Consent:\t%s\n", m.ConsentBasis)
	}
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"Received", m.ReceivedAt}, {"Send at", m.SendAt}, {"Sent", m.SentAt}, {"Delivered", m.DeliveredAt}, {"Failed", m.FailedAt}, {"Canceled", m.CanceledAt}} {
		if t.at != nil {
			fmt.Fprintf(tw, "%s:\t%s\n", t.name, when(*t.at))
		}
	}
	if m.ReceivedAt == nil {
		fmt.Fprintf(tw, "Created:\t%s\n", when(m.CreatedAt))
	}
	if a := strings.TrimSpace(string(m.Attachments)); a != "" && a != "[]" && a != "null" {
		fmt.Fprintf(tw, "Attachments:\t%s\n", a)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", m.Body)
}

// PhoneAssignOptions are the inputs of `naive phone assign`.
type PhoneAssignOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	Request naive.AssignRequest
}

// NewCmdPhoneAssign is `naive phone assign <phone-id> --agent-id <id>`.
func NewCmdPhoneAssign(f *Factory, runF func(*PhoneAssignOptions) error) *cobra.Command {
	opts := &PhoneAssignOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "assign <phone-id> --agent-id <id> [--permissions send_sms,receive_sms]",
		Short: "Connect an agent to a number, with permissions",
		Long: `Connect an agent to a number. send_sms lets keys bound to the agent send from
it; receive_sms lets them read its messages and sends its inbound texts to the
agent's webhook_url. Without --permissions the agent gets both. Assigning
again replaces the permissions.`,
		Example: `  naive phone assign 01f0… --agent-id 01f1… --permissions receive_sms`,
		Args:    exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if strings.TrimSpace(opts.Request.AgentID) == "" {
				return usageError{errorf("--agent-id is required")}
			}
			for _, p := range opts.Request.Permissions {
				if p != naive.PermSendSMS && p != naive.PermReceiveSMS {
					return usageError{errorf("--permissions takes send_sms and receive_sms, not %q", p)}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneAssignRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.AgentID, "agent-id", "", "the agent to connect (see `naive agents list`)")
	cmd.Flags().StringSliceVar(&opts.Request.Permissions, "permissions", nil, "send_sms, receive_sms or both (default both)")
	return cmd
}

func phoneAssignRun(ctx context.Context, opts *PhoneAssignOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.AssignAgent(ctx, "", opts.PhoneID, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, a)
	}
	fmt.Fprintf(out, "Agent %s is on phone %s with %s.\n", a.AgentID, a.PhoneID, strings.Join(a.Permissions, ", "))
	nextSteps(out, "naive phone assignments "+a.PhoneID, "the number's agents")
	return nil
}

// PhoneUnassignOptions are the inputs of `naive phone unassign`.
type PhoneUnassignOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	AgentID string
}

// NewCmdPhoneUnassign is `naive phone unassign <phone-id> <agent-id>`.
func NewCmdPhoneUnassign(f *Factory, runF func(*PhoneUnassignOptions) error) *cobra.Command {
	opts := &PhoneUnassignOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "unassign <phone-id> <agent-id>",
		Short: "Disconnect an agent from a number",
		Args:  exactArgs(2, "a phone id and an agent id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID, opts.AgentID = f.JSONOutput(), args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return phoneUnassignRun(cmd.Context(), opts)
		},
	}
}

func phoneUnassignRun(ctx context.Context, opts *PhoneUnassignOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.UnassignAgent(ctx, "", opts.PhoneID, opts.AgentID); err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, map[string]any{"phone_id": opts.PhoneID, "agent_id": opts.AgentID, "deleted": true})
	}
	fmt.Fprintf(out, "Agent %s is no longer on phone %s.\n", opts.AgentID, opts.PhoneID)
	return nil
}

// PhoneAssignmentsOptions are the inputs of `naive phone assignments`.
type PhoneAssignmentsOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
}

// NewCmdPhoneAssignments is `naive phone assignments <phone-id>`.
func NewCmdPhoneAssignments(f *Factory, runF func(*PhoneAssignmentsOptions) error) *cobra.Command {
	opts := &PhoneAssignmentsOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "assignments <phone-id>",
		Short: "List the agents connected to a number and their permissions",
		Args:  exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return phoneAssignmentsRun(cmd.Context(), opts)
		},
	}
}

func phoneAssignmentsRun(ctx context.Context, opts *PhoneAssignmentsOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListAssignments(ctx, "", opts.PhoneID)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No agents on this number.")
		nextSteps(out, "naive phone assign "+opts.PhoneID+" --agent-id <agent-id>", "connect one")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "AGENT\tPERMISSIONS\tSINCE")
	for _, a := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.AgentID, strings.Join(a.Permissions, ","), when(a.CreatedAt))
	}
	tw.Flush()
	return nil
}
