package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// NewCmdSandbox is `naive sandbox …`.
func NewCmdSandbox(f *Factory) *cobra.Command {
	cmd := newGroup("sandbox", "Test mode's carriers: text your numbers, or run the Surge or Telnyx simulator alone")
	cmd.Long = `Test mode uses sandbox carriers: faithful simulations of Surge's and Telnyx's
HTTP APIs. ` + "`naive sandbox sms`" + ` texts one of your test numbers through them;
` + "`naive sandbox surge`" + ` and ` + "`naive sandbox telnyx`" + ` run a simulator on its own, for
several servers or a real carrier client.`
	cmd.AddCommand(NewCmdSandboxSMS(f, nil), NewCmdSandboxSurge(f, nil), NewCmdSandboxTelnyx(f, nil))
	return cmd
}

// sandboxTexter is the client call behind `naive sandbox sms`; it is not
// part of naive.Service (the sandbox is an adapter's knob).
type sandboxTexter interface {
	SandboxSMS(ctx context.Context, to, from, body string) (*client.SandboxSMSResult, error)
}

var _ sandboxTexter = (*client.Client)(nil)

// SandboxSMSOptions are the inputs of `naive sandbox sms`.
type SandboxSMSOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	To      string
	From    string
	Body    string
}

// NewCmdSandboxSMS is `naive sandbox sms --to <number> --body <text>`.
func NewCmdSandboxSMS(f *Factory, runF func(*SandboxSMSOptions) error) *cobra.Command {
	opts := &SandboxSMSOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "sms --to <our e164 or phone id> [--from +1…] --body <text>",
		Short: "Text one of your test numbers, as a phone would (test mode)",
		Long: `Make the sandbox carrier deliver an inbound text to one of the operator's
test numbers, as if a phone had texted it: the server receives it as Surge's
signed message.received webhook, stores it on the number (see
` + "`naive phone messages <phone-id>`" + `), emits sms.received and delivers it to
subscribed webhooks and agents. A body of STOP opts the sender out; START
opts it back in. Needs a test key or --mode test.`,
		Example: `  naive sandbox sms --to +14155550001 --from +14155550123 --body "Is my order ready?"
  naive sandbox sms --to 01f0… --body STOP`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			var missing []string
			if strings.TrimSpace(opts.To) == "" {
				missing = append(missing, "--to")
			}
			if strings.TrimSpace(opts.Body) == "" {
				missing = append(missing, "--body")
			}
			if len(missing) > 0 {
				return usageError{errorf("%s required", strings.Join(missing, ", "))}
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxSMSRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "the operator's number that receives the text: E.164 or its phone id")
	cmd.Flags().StringVar(&opts.From, "from", "", "the sender in E.164 (default: the sandbox's +14155550199)")
	cmd.Flags().StringVar(&opts.Body, "body", "", "the text")
	return cmd
}

func sandboxSMSRun(ctx context.Context, opts *SandboxSMSOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	tx, ok := svc.(sandboxTexter)
	if !ok {
		return errors.New("this client cannot reach the sandbox")
	}
	to, phoneID := opts.To, ""
	if !strings.HasPrefix(to, "+") {
		p, err := svc.GetPhone(ctx, "", to)
		if err != nil {
			return err
		}
		to, phoneID = p.E164, p.ID
	}
	res, err := tx.SandboxSMS(ctx, to, opts.From, opts.Body)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, res)
	}
	if phoneID == "" {
		phoneID = phoneIDOf(ctx, svc, to)
	}
	fmt.Fprintf(out, "Texted %s from %s through the sandbox carrier.\n", res.To, res.From)
	fmt.Fprintln(out, "It arrives as a signed message.received webhook, within a moment.")
	if phoneID != "" {
		nextSteps(out, "naive phone messages "+phoneID, "see it on the number")
	} else {
		nextSteps(out, "naive phone list", "find the number's id, then `naive phone messages <id>`")
	}
	return nil
}

// phoneIDOf finds the id of the subject's number e164 on the first page of
// numbers, or "".
func phoneIDOf(ctx context.Context, svc naive.Service, e164 string) string {
	l, err := svc.ListPhones(ctx, "", "", naive.ListParams{Limit: 200})
	if err != nil {
		return ""
	}
	for _, p := range l.Data {
		if p.E164 == e164 && p.Status == naive.PhoneActive {
			return p.ID
		}
	}
	return ""
}

// SandboxSurgeOptions are the inputs of `naive sandbox surge`.
type SandboxSurgeOptions struct {
	IO            *IOStreams
	Addr          string
	APIKey        string
	ReviewDelay   time.Duration
	DeliveryDelay time.Duration
	WebhookURL    string
	WebhookSecret string
	DatabaseURL   string
	LogLevel      string
	// Ready, when set, is called with the simulator's URL once it listens
	// (tests use it instead of reading stdout).
	Ready func(url string)
}

// NewCmdSandboxSurge is `naive sandbox surge`.
func NewCmdSandboxSurge(f *Factory, runF func(*SandboxSurgeOptions) error) *cobra.Command {
	opts := &SandboxSurgeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "surge [--addr 127.0.0.1:8099] [--database-url sqlite:./naive-sandbox.db] [--review-delay 20s] [--webhook-url URL] [--webhook-secret whsec_…] [--api-key sk_sandbox]",
		Short: "Run the Surge simulator alone, for several servers or a real Surge client",
		Long: `Run the Surge simulator on its own until interrupted (SIGINT or SIGTERM stop
it gracefully). It answers Surge's API (accounts, campaigns, phone numbers,
messages, contacts) with the sandbox's magic values, and posts its events,
signed with --webhook-secret, to --webhook-url. A route it does not model
answers a Surge-shaped JSON error naming it.

Its state (accounts, campaigns, numbers, messages, pending reviews and
webhooks) lives in --database-url, a database of its own (default the SQLite
file ./naive-sandbox.db): a restart carries on where it stopped, and several
sandbox processes on one PostgreSQL database serve one simulator. The webhook
secret is kept there too: generated on the first start, reused after, and
replaced by --webhook-secret when given.

Uses:
  - several ` + "`naive serve --sandbox-url URL --sandbox-webhook-secret whsec_…`" + `
    processes on different databases share one test carrier (one set of
    numbers and campaigns); it must accept the key sk_sandbox, and
    --webhook-url names one of them (http://host:port/webhooks/surge).
    Servers on one database need none of this: they share the sandbox
    each runs on that database;
  - a real Surge client (e.g. ` + "`naive serve --carrier surge`" + ` with SURGE_BASE_URL,
    SURGE_API_KEY and SURGE_WEBHOOK_SECRET) talks to it as if it were Surge.`,
		Example: `  naive sandbox surge --addr 127.0.0.1:8099 --review-delay 5s
  naive sandbox surge --database-url postgres://localhost/sandbox
  naive sandbox surge --webhook-url http://127.0.0.1:8080/webhooks/surge --webhook-secret whsec_…`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.ReviewDelay < 0 || opts.DeliveryDelay < 0 {
				return usageError{errorf("--review-delay and --delivery-delay cannot be negative")}
			}
			if opts.WebhookSecret != "" {
				if _, err := webhooksig.Sign(opts.WebhookSecret, "probe", time.Now(), nil); err != nil || !strings.HasPrefix(opts.WebhookSecret, "whsec_") {
					return usageError{errorf("--webhook-secret must be whsec_ followed by base64 (as Surge's are)")}
				}
			}
			if err := checkSandboxFlags(opts.WebhookURL, opts.APIKey, opts.DatabaseURL, opts.LogLevel); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxSurgeRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8099", "listen address (:0 picks a port)")
	fl.StringVar(&opts.APIKey, "api-key", "sk_sandbox", "the bearer key it accepts (naive serve --sandbox-url sends sk_sandbox)")
	fl.DurationVar(&opts.ReviewDelay, "review-delay", surgesim.DefaultReviewDelay, "how long a campaign review takes")
	fl.DurationVar(&opts.DeliveryDelay, "delivery-delay", surgesim.DefaultDeliveryDelay, "time to message.sent, and again to message.delivered")
	fl.StringVar(&opts.WebhookURL, "webhook-url", "", "where to post its signed events, e.g. http://127.0.0.1:8080/webhooks/surge")
	fl.StringVar(&opts.WebhookSecret, "webhook-secret", "", "the whsec_… secret that signs them (default: the stored one, generated on the first start)")
	fl.StringVar(&opts.DatabaseURL, "database-url", "sqlite:./naive-sandbox.db", "where its state lives: sqlite:PATH or postgres://…")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "debug, info, warn or error (JSON logs on stderr)")
	return cmd
}

func sandboxSurgeRun(ctx context.Context, opts *SandboxSurgeOptions) error {
	return runStandalone(ctx, standaloneRun{IO: opts.IO, Addr: opts.Addr, LogLevel: opts.LogLevel, Carrier: "Surge", Ready: opts.Ready,
		Open: func(ctx context.Context, logger *slog.Logger) (*app.Standalone, http.Handler, error) {
			sb, err := app.OpenStandalone(ctx, opts.DatabaseURL, surgesim.Config{APIKey: opts.APIKey, ReviewDelay: opts.ReviewDelay,
				DeliveryDelay: opts.DeliveryDelay, WebhookURL: opts.WebhookURL, WebhookSecret: opts.WebhookSecret, Logger: logger,
				Standalone: true})
			if err != nil {
				return nil, nil, err
			}
			opts.WebhookSecret = sb.Sim.WebhookSecret()
			return sb, sb.Sim, nil
		},
		Banner: func(url string) { printSandboxBanner(opts, url) }})
}

// checkSandboxFlags checks the flags a standalone sandbox command shares
// (before anything starts: a usage error).
func checkSandboxFlags(webhookURL, apiKey, databaseURL, logLevel string) error {
	if webhookURL != "" && !strings.HasPrefix(webhookURL, "http://") && !strings.HasPrefix(webhookURL, "https://") {
		return usageError{errorf("--webhook-url must be an http(s) URL, not %q", webhookURL)}
	}
	if strings.TrimSpace(apiKey) == "" {
		return usageError{errorf("--api-key cannot be empty")}
	}
	if strings.TrimSpace(databaseURL) == "" {
		return usageError{errorf("--database-url cannot be empty: give sqlite:PATH or postgres://…")}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level: %w", err)}
	}
	return nil
}

// standaloneRun is one run of a standalone sandbox command.
type standaloneRun struct {
	IO       *IOStreams
	Addr     string
	LogLevel string
	// Carrier names the simulator in the first and last lines.
	Carrier string
	Ready   func(url string)
	// Open opens the simulator, logging to logger, and returns it with
	// the handler to serve.
	Open func(ctx context.Context, logger *slog.Logger) (*app.Standalone, http.Handler, error)
	// Banner prints how to use it, once it listens on url.
	Banner func(url string)
}

// runStandalone serves a standalone simulator on r.Addr until ctx ends or
// SIGINT or SIGTERM, then stops it gracefully.
func runStandalone(ctx context.Context, r standaloneRun) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var level slog.Level
	_ = level.UnmarshalText([]byte(r.LogLevel))
	logger := slog.New(slog.NewJSONHandler(r.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", r.Addr, err)
	}
	defer ln.Close()
	sb, h, err := r.Open(ctx, logger)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := sb.Close(cctx); err != nil {
			logger.Warn("close", "err", err)
		}
	}()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	r.Banner(url)
	if r.Ready != nil {
		r.Ready(url)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	fmt.Fprintf(r.IO.Out, "naive: %s sandbox stopped.\n", r.Carrier)
	return nil
}

func printSandboxBanner(opts *SandboxSurgeOptions, url string) {
	w := opts.IO.Out
	fmt.Fprintf(w, "naive: Surge sandbox listening on %s\n\n", url)
	tw := newTable(w)
	fmt.Fprintf(tw, "  API key:\t%s\n", opts.APIKey)
	fmt.Fprintf(tw, "  Webhook secret:\t%s\n", opts.WebhookSecret)
	if opts.WebhookURL != "" {
		fmt.Fprintf(tw, "  Webhooks to:\t%s\n", opts.WebhookURL)
	} else {
		fmt.Fprintf(tw, "  Webhooks to:\tnone (no --webhook-url; campaign status is still read by polling)\n")
	}
	fmt.Fprintf(tw, "  Review delay:\t%s\n", opts.ReviewDelay)
	fmt.Fprintf(tw, "  State in:\t%s\n", app.RedactURL(opts.DatabaseURL))
	tw.Flush()
	fmt.Fprintf(w, "\nShare it between naive servers (their test mode):\n  naive serve --sandbox-url %s --sandbox-webhook-secret %s\n", url, opts.WebhookSecret)
	if opts.WebhookURL == "" {
		fmt.Fprintln(w, "  (for its events, start it with --webhook-url http://<one of the servers>/webhooks/surge)")
	}
	if opts.APIKey != "sk_sandbox" {
		fmt.Fprintln(w, "  (naive serve --sandbox-url sends the key sk_sandbox: start the sandbox with --api-key sk_sandbox for it)")
	}
	fmt.Fprintf(w, "\nOr point a Surge client at it as if it were Surge:\n  SURGE_BASE_URL=%s SURGE_API_KEY=%s SURGE_WEBHOOK_SECRET=%s naive serve --carrier surge\n",
		url, opts.APIKey, opts.WebhookSecret)
	fmt.Fprintln(w, "\nMagic values: area code 555 (no inventory), 500 (carrier outage), EIN 99-9999999 (rejected),")
	fmt.Fprintln(w, "\"[sandbox:reject]\" in a campaign description (review ends rejected), a text to +1…0000 (fails).")
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// SandboxTelnyxOptions are the inputs of `naive sandbox telnyx`.
type SandboxTelnyxOptions struct {
	IO            *IOStreams
	Addr          string
	APIKey        string
	ReviewDelay   time.Duration
	DeliveryDelay time.Duration
	OrderDelay    time.Duration
	WebhookURL    string
	DatabaseURL   string
	LogLevel      string
	// PublicKey is the base64 Ed25519 key its webhooks verify with, once
	// it is open.
	PublicKey string
	// Ready, when set, is called with the simulator's URL once it listens
	// (tests use it instead of reading stdout).
	Ready func(url string)
}

// NewCmdSandboxTelnyx is `naive sandbox telnyx`.
func NewCmdSandboxTelnyx(f *Factory, runF func(*SandboxTelnyxOptions) error) *cobra.Command {
	opts := &SandboxTelnyxOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "telnyx [--addr 127.0.0.1:8098] [--database-url sqlite:./naive-sandbox-telnyx.db] [--review-delay 20s] [--order-delay 0s] [--webhook-url URL] [--api-key KEY_sandbox]",
		Short: "Run the Telnyx simulator alone, for several servers or a real Telnyx client",
		Long: `Run the Telnyx simulator on its own until interrupted (SIGINT or SIGTERM stop
it gracefully). It answers Telnyx's API v2 under /v2 (10DLC brands and
campaigns, available numbers, number orders, phone numbers, messages) with
the sandbox's magic values, and posts its events, signed with its Ed25519
key: an event that names a webhook of its own (a text's, a campaign's) to
that webhook, as Telnyx does; an inbound text to --webhook-url, or without
it to the webhook of the campaign of the number's brand (its owner's, as
Telnyx posts to the number's messaging profile's). A route it
does not model answers a Telnyx-shaped 404 naming it. POST /sandbox/inbound ({"from","to","text"}, with the API key)
texts one of its numbers as a phone would.

Its state (brands, campaigns, orders, numbers, messages, pending reviews and
webhooks) lives in --database-url, a database of its own (default the SQLite
file ./naive-sandbox-telnyx.db): a restart carries on where it stopped, and
several sandbox processes on one PostgreSQL database serve one simulator.
The webhook signing key is kept there too: generated on the first start and
reused after; the banner prints its public key.

Uses:
  - several ` + "`naive serve --sandbox-carrier telnyx --sandbox-telnyx-url URL --sandbox-telnyx-public-key KEY`" + `
    processes on different databases share one test carrier (one set of
    numbers and campaigns); it must accept the key KEY_sandbox. Without
    --webhook-url each server gets the events of its own texts, campaigns
    and numbers; with it (one of them, http://host:port/webhooks/telnyx)
    that server gets every inbound text.
    Servers on one database need none of this: they share the sandbox
    each runs on that database;
  - a real Telnyx client (e.g. ` + "`naive serve --carrier telnyx`" + ` with TELNYX_BASE_URL=URL/v2,
    TELNYX_API_KEY, TELNYX_PUBLIC_KEY and TELNYX_MESSAGING_PROFILE_ID, any
    id) talks to it as if it were Telnyx.`,
		Example: `  naive sandbox telnyx --addr 127.0.0.1:8098 --review-delay 5s
  naive sandbox telnyx --database-url postgres://localhost/sandbox-telnyx --order-delay 10s
  naive sandbox telnyx --webhook-url http://127.0.0.1:8080/webhooks/telnyx`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.ReviewDelay < 0 || opts.DeliveryDelay < 0 || opts.OrderDelay < 0 {
				return usageError{errorf("--review-delay, --delivery-delay and --order-delay cannot be negative")}
			}
			if err := checkSandboxFlags(opts.WebhookURL, opts.APIKey, opts.DatabaseURL, opts.LogLevel); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxTelnyxRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8098", "listen address (:0 picks a port)")
	fl.StringVar(&opts.APIKey, "api-key", app.SandboxTelnyxKey, "the bearer key it accepts (naive serve --sandbox-telnyx-url sends "+app.SandboxTelnyxKey+")")
	fl.DurationVar(&opts.ReviewDelay, "review-delay", telnyxsim.DefaultReviewDelay, "how long a campaign review takes")
	fl.DurationVar(&opts.DeliveryDelay, "delivery-delay", telnyxsim.DefaultDeliveryDelay, "time to message.sent, and again to message.finalized")
	fl.DurationVar(&opts.OrderDelay, "order-delay", 0, "how long a number order stays pending (0: decided at once)")
	fl.StringVar(&opts.WebhookURL, "webhook-url", "", "where to post its signed events, e.g. http://127.0.0.1:8080/webhooks/telnyx")
	fl.StringVar(&opts.DatabaseURL, "database-url", "sqlite:./naive-sandbox-telnyx.db", "where its state lives: sqlite:PATH or postgres://…")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "debug, info, warn or error (JSON logs on stderr)")
	return cmd
}

func sandboxTelnyxRun(ctx context.Context, opts *SandboxTelnyxOptions) error {
	return runStandalone(ctx, standaloneRun{IO: opts.IO, Addr: opts.Addr, LogLevel: opts.LogLevel, Carrier: "Telnyx", Ready: opts.Ready,
		Open: func(ctx context.Context, logger *slog.Logger) (*app.Standalone, http.Handler, error) {
			sb, err := app.OpenStandaloneTelnyx(ctx, opts.DatabaseURL, telnyxsim.Config{APIKey: opts.APIKey, ReviewDelay: opts.ReviewDelay,
				DeliveryDelay: opts.DeliveryDelay, OrderDelay: opts.OrderDelay, WebhookURL: opts.WebhookURL, Logger: logger,
				Standalone: true})
			if err != nil {
				return nil, nil, err
			}
			opts.PublicKey = sb.Telnyx.PublicKey()
			return sb, sb.Telnyx, nil
		},
		Banner: func(url string) { printTelnyxSandboxBanner(opts, url) }})
}

func printTelnyxSandboxBanner(opts *SandboxTelnyxOptions, url string) {
	w := opts.IO.Out
	fmt.Fprintf(w, "naive: Telnyx sandbox listening on %s\n\n", url)
	tw := newTable(w)
	fmt.Fprintf(tw, "  API key:\t%s\n", opts.APIKey)
	fmt.Fprintf(tw, "  Public key:\t%s\n", opts.PublicKey)
	if opts.WebhookURL != "" {
		fmt.Fprintf(tw, "  Webhooks to:\t%s\n", opts.WebhookURL)
	} else {
		fmt.Fprintf(tw, "  Webhooks to:\teach number's owner (the URLs its texts and campaigns name)\n")
	}
	fmt.Fprintf(tw, "  Review delay:\t%s\n", opts.ReviewDelay)
	if opts.OrderDelay > 0 {
		fmt.Fprintf(tw, "  Order delay:\t%s\n", opts.OrderDelay)
	}
	fmt.Fprintf(tw, "  State in:\t%s\n", app.RedactURL(opts.DatabaseURL))
	tw.Flush()
	fmt.Fprintf(w, "\nShare it between naive servers (their test mode):\n  naive serve --sandbox-carrier telnyx --sandbox-telnyx-url %s --sandbox-telnyx-public-key %s\n", url, opts.PublicKey)
	if opts.APIKey != app.SandboxTelnyxKey {
		fmt.Fprintf(w, "  (naive serve --sandbox-telnyx-url sends the key %s: start the sandbox with --api-key %[1]s for it)\n", app.SandboxTelnyxKey)
	}
	fmt.Fprintf(w, "\nOr point a Telnyx client at it as if it were Telnyx:\n  TELNYX_BASE_URL=%s/v2 TELNYX_API_KEY=%s TELNYX_PUBLIC_KEY=%s TELNYX_MESSAGING_PROFILE_ID=mp-sandbox naive serve --carrier telnyx\n",
		url, opts.APIKey, opts.PublicKey)
	fmt.Fprintf(w, "\nText one of its numbers as a phone would: POST %s/sandbox/inbound {\"from\",\"to\",\"text\"} with the API key.\n", url)
	fmt.Fprintln(w, "\nMagic values: area code 555 (no inventory), 500 (carrier outage), EIN 99-9999999 (brand rejected),")
	fmt.Fprintln(w, "\"[sandbox:reject]\" in a campaign description (review ends TELNYX_FAILED), a text to +1…0000 (fails),")
	fmt.Fprintf(w, "OTP PIN %s (verifies a sole proprietor's brand).\n", telnyxsim.SandboxOTPPin)
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}
