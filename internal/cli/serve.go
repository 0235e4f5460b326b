package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/naive-oss/naive/internal/app"
)

type serveOptions struct {
	addr, databaseURL, carrier  string
	sandboxURL, sandboxSecret   string
	sandboxTelnyxURL            string
	sandboxTelnyxPub            string
	price                       int64
	reviewDelay, pollInterval   time.Duration
	approvalTTL, webhookBackoff time.Duration
	smsPrice                    int64
	rateLimit                   float64
	rateBurst                   int
	trustForwardedFor           bool
	logLevel                    string
	metricsAddr                 string
	fallbackCarrier             string
	sandboxCarrier              string
	sandboxFallback             string
}

// newServeCmd is `naive serve`: flags fall back to NAIVE_* environment
// variables, which fall back to the defaults.
func newServeCmd(e *env) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the naive server (REST API, sandbox carrier, background work)",
		Long: `Run the naive server.

With no configuration it uses an SQLite file ./naive.db and the sandbox
carrier for test keys. On the first start it prints a human admin, a test API
key and a ready-to-paste curl.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	f.StringVar(&o.databaseURL, "database-url", "sqlite:./naive.db", "sqlite:PATH or postgres://…")
	f.StringVar(&o.sandboxURL, "sandbox-url", "", "test mode's carrier: a standalone sandbox (Surge simulator) shared by several processes; default one in-process")
	f.StringVar(&o.sandboxSecret, "sandbox-webhook-secret", "", "the whsec_… secret of the --sandbox-url sandbox's webhooks")
	f.StringVar(&o.sandboxTelnyxURL, "sandbox-telnyx-url", "", "test mode's Telnyx carrier: a standalone Telnyx sandbox (naive sandbox telnyx) shared by several processes; default one in-process")
	f.StringVar(&o.sandboxTelnyxPub, "sandbox-telnyx-public-key", "", "the base64 public key the --sandbox-telnyx-url sandbox signs its webhooks with (its banner prints it)")
	f.StringVar(&o.carrier, "carrier", "none", "live-mode carriers: none, surge (SURGE_API_KEY, SURGE_BASE_URL, SURGE_WEBHOOK_SECRET), telnyx (TELNYX_API_KEY, TELNYX_MESSAGING_PROFILE_ID, TELNYX_PUBLIC_KEY, TELNYX_WEBHOOK_URL), or both as surge,telnyx (the first is the default)")
	f.StringVar(&o.fallbackCarrier, "fallback-carrier", "", "live mode: the carrier a subject's first number goes to while the default carrier is down (one of --carrier's)")
	f.StringVar(&o.sandboxCarrier, "sandbox-carrier", "surge", "test mode's default carrier: surge or telnyx (both simulators run; a provision may choose with \"carrier\")")
	f.StringVar(&o.sandboxFallback, "sandbox-fallback-carrier", "", "test mode: the other sandbox carrier, to fail first numbers over to while the default is down")
	f.Int64Var(&o.price, "phone-price", 50, "credits per number")
	f.Int64Var(&o.smsPrice, "sms-price", 1, "credits per outbound SMS segment")
	f.DurationVar(&o.reviewDelay, "sandbox-review-delay", 20*time.Second, "test-mode campaign review time")
	f.DurationVar(&o.pollInterval, "poll-interval", 2*time.Second, "how often open campaigns are checked")
	f.DurationVar(&o.approvalTTL, "approval-ttl", 72*time.Hour, "how long an approval waits for a human")
	f.DurationVar(&o.webhookBackoff, "webhook-backoff", 10*time.Second, "first wait between outgoing webhook attempts, doubling up to 1h")
	f.Float64Var(&o.rateLimit, "rate-limit", 100, "requests per second per API key or human; on PostgreSQL shared by every process, on SQLite per process (negative: no limit)")
	f.IntVar(&o.rateBurst, "rate-burst", 500, "requests a caller may send at once before --rate-limit applies")
	f.BoolVar(&o.trustForwardedFor, "trust-forwarded-for", false, "behind a reverse proxy: take a login's client address (failed logins are throttled by it) from X-Forwarded-For")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve GET /metrics (Prometheus) and /debug/pprof/ on this separate address, such as 127.0.0.1:9090; off by default, never on --addr")
	f.VisitAll(func(fl *pflag.Flag) { fl.Usage += " (env " + envName(fl.Name) + ")" })
	return cmd
}

// envName is the environment variable behind a serve flag.
func envName(flag string) string {
	return "NAIVE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its NAIVE_*
// variable, refusing a malformed value rather than ignoring it.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(fl *pflag.Flag) {
		v := getenv(envName(fl.Name))
		if err != nil || fl.Changed || v == "" {
			return
		}
		if serr := fs.Set(fl.Name, v); serr != nil {
			err = usageError{fmt.Errorf("%s=%q: %w", envName(fl.Name), v, serr)}
		}
	})
	return err
}

func runServe(cmd *cobra.Command, e *env, o *serveOptions) error {
	if err := applyEnv(cmd.Flags(), e.getenv); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level: %w", err)}
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.Start(cmd.Context(), app.Options{
		Addr:                     o.addr,
		DatabaseURL:              o.databaseURL,
		PhonePrice:               o.price,
		SMSPrice:                 o.smsPrice,
		WebhookBackoff:           o.webhookBackoff,
		RateLimit:                o.rateLimit,
		RateBurst:                o.rateBurst,
		TrustForwardedFor:        o.trustForwardedFor,
		SandboxReviewDelay:       o.reviewDelay,
		PollInterval:             o.pollInterval,
		SandboxURL:               o.sandboxURL,
		MetricsAddr:              o.metricsAddr,
		SandboxWebhookSecret:     o.sandboxSecret,
		SandboxTelnyxURL:         o.sandboxTelnyxURL,
		SandboxTelnyxPublicKey:   o.sandboxTelnyxPub,
		ApprovalTTL:              o.approvalTTL,
		Carrier:                  o.carrier,
		FallbackCarrier:          o.fallbackCarrier,
		SandboxCarrier:           o.sandboxCarrier,
		SandboxFallback:          o.sandboxFallback,
		TelnyxAPIKey:             e.getenv("TELNYX_API_KEY"),
		TelnyxBaseURL:            e.getenv("TELNYX_BASE_URL"),
		TelnyxMessagingProfileID: e.getenv("TELNYX_MESSAGING_PROFILE_ID"),
		TelnyxPublicKey:          e.getenv("TELNYX_PUBLIC_KEY"),
		TelnyxWebhookURL:         e.getenv("TELNYX_WEBHOOK_URL"),
		SurgeAPIKey:              e.getenv("SURGE_API_KEY"),
		SurgeBaseURL:             e.getenv("SURGE_BASE_URL"),
		SurgeWebhookSecret:       e.getenv("SURGE_WEBHOOK_SECRET"),
		AdminEmail:               e.getenv("NAIVE_ADMIN_EMAIL"),
		AdminPassword:            e.getenv("NAIVE_ADMIN_PASSWORD"),
		Stdout:                   e.stdout,
		Logger:                   logger,
	})
	if err != nil {
		return err
	}
	werr := a.Wait(cmd.Context())
	logger.Info("shutting down")
	if err := a.Close(); err != nil && werr == nil {
		werr = err
	}
	return werr
}
