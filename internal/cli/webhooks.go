package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// eventTypes are the event types endpoints subscribe to.
var eventTypes = []string{naive.EventPhoneProvisioned, naive.EventPhoneReleased, naive.EventPhoneOutboundEnabled,
	naive.EventCampaignUpdated, naive.EventSMSReceived, naive.EventSMSStatus, naive.EventApprovalRequested, naive.EventApprovalResolved}

// NewCmdWebhooks is `naive webhooks …`.
func NewCmdWebhooks(f *Factory) *cobra.Command {
	cmd := newGroup("webhooks", "Send the operator's events to your HTTPS endpoints, signed")
	cmd.Long = `Register endpoints that receive the operator's events as signed POSTs
(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). Failed
deliveries are retried with exponential backoff for at least 24 hours; every
attempt is recorded (` + "`naive webhooks deliveries <id>`" + `).

Event types: ` + strings.Join(eventTypes, ", ") + `.`
	cmd.AddCommand(NewCmdWebhooksList(f, nil), NewCmdWebhooksCreate(f, nil), NewCmdWebhooksDelete(f, nil),
		NewCmdWebhooksTest(f, nil), NewCmdWebhooksDeliveries(f, nil), NewCmdWebhooksResend(f, nil))
	return cmd
}

// WebhooksListOptions are the inputs of `naive webhooks list`.
type WebhooksListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdWebhooksList is `naive webhooks list`.
func NewCmdWebhooksList(f *Factory, runF func(*WebhooksListOptions) error) *cobra.Command {
	opts := &WebhooksListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List webhook endpoints (their secrets are never shown again)",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return webhooksListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func webhooksListRun(ctx context.Context, opts *WebhooksListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListWebhooks(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No webhook endpoints yet.")
		nextSteps(out, "naive webhooks create --url https://example.com/hooks/naive", "receive every event")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tCREATED")
	for _, e := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.URL, eventList(e.EventTypes), when(e.CreatedAt))
	}
	tw.Flush()
	moreHint(out, "naive webhooks list", l.NextCursor)
	nextSteps(out, "naive webhooks test "+l.Data[0].ID, "send a signed test event now")
	return nil
}

func eventList(types []string) string {
	if len(types) == 0 {
		return "all"
	}
	return strings.Join(types, ",")
}

// WebhooksCreateOptions are the inputs of `naive webhooks create`.
type WebhooksCreateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.WebhookRequest
}

// NewCmdWebhooksCreate is `naive webhooks create --url URL [--event-types a,b]`.
func NewCmdWebhooksCreate(f *Factory, runF func(*WebhooksCreateOptions) error) *cobra.Command {
	opts := &WebhooksCreateOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "create --url URL [--event-types a,b]",
		Short: "Register an endpoint; its signing secret is printed once",
		Long: `Register an endpoint for the operator's events (all types unless
--event-types names some). The answer holds the endpoint's signing secret
(whsec_…), shown this once: store it to verify each delivery's signature.`,
		Example: `  naive webhooks create --url https://example.com/hooks/naive --event-types sms.received,approval.resolved`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if strings.TrimSpace(opts.Request.URL) == "" {
				return usageError{errorf("--url is required")}
			}
			if opts.Request.EventTypes == nil {
				opts.Request.EventTypes = []string{}
			}
			if runF != nil {
				return runF(opts)
			}
			return webhooksCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.URL, "url", "", "the endpoint's http(s) URL")
	cmd.Flags().StringSliceVar(&opts.Request.EventTypes, "event-types", nil, "only these event types (default all): "+strings.Join(eventTypes, ", "))
	return cmd
}

const secretWarning = "Store the signing secret now: it is never shown again. Verify each delivery's webhook-signature with it."

func webhooksCreateRun(ctx context.Context, opts *WebhooksCreateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	e, err := svc.CreateWebhook(ctx, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %s\n", secretWarning)
		return printJSON(out, e)
	}
	fmt.Fprintf(out, "Created webhook %s → %s (events: %s)\n\n", e.ID, e.URL, eventList(e.EventTypes))
	fmt.Fprintf(out, "Signing secret (shown once):\n%s\n\nWarning: %s\n", e.Secret, secretWarning)
	nextSteps(out, "naive webhooks test "+e.ID, "send a signed test event now")
	return nil
}

// WebhookOptions are the inputs of `naive webhooks delete|test <id>`.
type WebhookOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdWebhooksDelete is `naive webhooks delete <id>`.
func NewCmdWebhooksDelete(f *Factory, runF func(*WebhookOptions) error) *cobra.Command {
	opts := &WebhookOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:     "delete <webhook-id>",
		Aliases: []string{"rm"},
		Short:   "Delete an endpoint; its pending deliveries stop",
		Args:    exactArgs(1, "a webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return webhooksDeleteRun(cmd.Context(), opts)
		},
	}
}

func webhooksDeleteRun(ctx context.Context, opts *WebhookOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.DeleteWebhook(ctx, opts.ID); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"id": opts.ID, "deleted": true})
	}
	fmt.Fprintf(opts.IO.Out, "Deleted webhook %s.\n", opts.ID)
	return nil
}

// NewCmdWebhooksTest is `naive webhooks test <id>`.
func NewCmdWebhooksTest(f *Factory, runF func(*WebhookOptions) error) *cobra.Command {
	opts := &WebhookOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "test <webhook-id>",
		Short: "Send a signed webhook.test event to an endpoint now (exit 1 if it fails)",
		Args:  exactArgs(1, "a webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return webhooksTestRun(cmd.Context(), opts)
		},
	}
}

func webhooksTestRun(ctx context.Context, opts *WebhookOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	d, err := svc.TestWebhook(ctx, opts.ID)
	if err != nil {
		return err
	}
	verb := "accepted"
	if d.Status != naive.DeliverySucceeded {
		verb = "did not accept"
	}
	return reportDelivery(opts.IO.Out, opts.JSON, d, fmt.Sprintf("The endpoint %s the test event %s.", verb, d.EventID),
		"webhook "+opts.ID+" did not accept the test event")
}

// reportDelivery prints a delivery just attempted — its JSON, or headline
// and its attempts — and fails (exit 1) with failed and the last attempt's
// outcome unless the endpoint took it.
func reportDelivery(out io.Writer, asJSON bool, d *naive.Delivery, headline, failed string) error {
	if asJSON {
		if err := printJSON(out, d); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out, headline)
		printAttempts(out, d.Attempts)
	}
	if d.Status == naive.DeliverySucceeded {
		return nil
	}
	last := "no attempt was made"
	if n := len(d.Attempts); n > 0 {
		last = attemptOutcome(d.Attempts[n-1])
	}
	return &exitError{code: ExitError, err: errorf("%s: %s", failed, last)}
}

func attemptOutcome(a naive.Attempt) string {
	switch {
	case a.Error != "":
		return a.Error
	case a.StatusCode != 0:
		return fmt.Sprintf("HTTP %d", a.StatusCode)
	}
	return "-"
}

func printAttempts(w io.Writer, as []naive.Attempt) {
	tw := newTable(w)
	for _, a := range as {
		fmt.Fprintf(tw, "  Attempt %d:\t%s\t%s\t%dms\n", a.N, when(a.At), attemptOutcome(a), a.DurationMS)
	}
	tw.Flush()
}

// WebhooksDeliveriesOptions are the inputs of `naive webhooks deliveries`.
type WebhooksDeliveriesOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	List    naive.ListParams
}

// NewCmdWebhooksDeliveries is `naive webhooks deliveries <id>`.
func NewCmdWebhooksDeliveries(f *Factory, runF func(*WebhooksDeliveriesOptions) error) *cobra.Command {
	opts := &WebhooksDeliveriesOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "deliveries <webhook-id> [--limit N] [--cursor C]",
		Short: "List an endpoint's deliveries and every attempt",
		Args:  exactArgs(1, "a webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return webhooksDeliveriesRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func webhooksDeliveriesRun(ctx context.Context, opts *WebhooksDeliveriesOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListDeliveries(ctx, opts.ID, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No deliveries yet.")
		nextSteps(out, "naive webhooks test "+opts.ID, "send a test event")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tEVENT\tTYPE\tSTATUS\tATTEMPTS\tLAST\tNEXT TRY")
	for _, d := range l.Data {
		last := "-"
		if n := len(d.Attempts); n > 0 {
			last = attemptOutcome(d.Attempts[n-1])
		}
		next := "-"
		if d.NextTryAt != nil && d.Status == naive.DeliveryPending {
			next = when(*d.NextTryAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.EventType, d.Status, len(d.Attempts), snippet(last, 40), next)
	}
	tw.Flush()
	moreHint(out, "naive webhooks deliveries "+opts.ID, l.NextCursor)
	return nil
}

// WebhooksResendOptions are the inputs of `naive webhooks resend`.
type WebhooksResendOptions struct {
	IO         *IOStreams
	Service    func() (naive.Service, error)
	JSON       bool
	ID         string
	DeliveryID string
}

// NewCmdWebhooksResend is `naive webhooks resend <webhook-id> <delivery-id>`.
func NewCmdWebhooksResend(f *Factory, runF func(*WebhooksResendOptions) error) *cobra.Command {
	opts := &WebhooksResendOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "resend <webhook-id> <delivery-id>",
		Short: "Send a finished delivery again now (exit 1 if the endpoint does not take it)",
		Long: `Make one more attempt of a delivery that succeeded or failed, now — after
fixing the endpoint, say. It is signed afresh with the event's own webhook-id,
so a receiver that took it before deduplicates it. A delivery still being
retried is refused: its next retry sends it. ` + "`naive webhooks deliveries <webhook-id>`" + `
lists the delivery ids.`,
		Args: exactArgs(2, "a webhook id and a delivery id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID, opts.DeliveryID = f.JSONOutput(), args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return webhooksResendRun(cmd.Context(), opts)
		},
	}
}

func webhooksResendRun(ctx context.Context, opts *WebhooksResendOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	d, err := svc.ResendDelivery(ctx, opts.ID, opts.DeliveryID)
	if err != nil {
		return err
	}
	verb := "accepted"
	if d.Status != naive.DeliverySucceeded {
		verb = "did not accept"
	}
	return reportDelivery(opts.IO.Out, opts.JSON, d, fmt.Sprintf("The endpoint %s event %s (%s) again.", verb, d.EventID, d.EventType),
		"webhook "+opts.ID+" did not accept delivery "+opts.DeliveryID)
}
