package cli

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/app"
)

type serveOptions struct {
	addr, databaseURL, carrier string
	sandboxURL, sandboxSecret  string
	price                      int64
	reviewDelay, pollInterval  time.Duration
	approvalTTL                time.Duration
	logLevel                   string
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
	f.StringVar(&o.addr, "addr", envOr(e, "NAIVE_ADDR", "127.0.0.1:8080"), "listen address (env NAIVE_ADDR)")
	f.StringVar(&o.databaseURL, "database-url", envOr(e, "NAIVE_DATABASE_URL", "sqlite:./naive.db"), "sqlite:PATH or postgres://… (env NAIVE_DATABASE_URL)")
	f.StringVar(&o.sandboxURL, "sandbox-url", envOr(e, "NAIVE_SANDBOX_URL", ""), "test mode's carrier: a standalone sandbox (Surge simulator) shared by several processes; default one in-process (env NAIVE_SANDBOX_URL)")
	f.StringVar(&o.sandboxSecret, "sandbox-webhook-secret", envOr(e, "NAIVE_SANDBOX_WEBHOOK_SECRET", ""), "the whsec_… secret of the --sandbox-url sandbox's webhooks (env NAIVE_SANDBOX_WEBHOOK_SECRET)")
	f.StringVar(&o.carrier, "carrier", envOr(e, "NAIVE_CARRIER", "none"), "live-mode carrier: none or surge (env NAIVE_CARRIER)")
	f.Int64Var(&o.price, "phone-price", envInt(e, "NAIVE_PHONE_PRICE", 50), "credits per number (env NAIVE_PHONE_PRICE)")
	f.DurationVar(&o.reviewDelay, "sandbox-review-delay", envDuration(e, "NAIVE_SANDBOX_REVIEW_DELAY", 20*time.Second), "test-mode campaign review time (env NAIVE_SANDBOX_REVIEW_DELAY)")
	f.DurationVar(&o.pollInterval, "poll-interval", envDuration(e, "NAIVE_POLL_INTERVAL", 2*time.Second), "how often open campaigns are checked (env NAIVE_POLL_INTERVAL)")
	f.DurationVar(&o.approvalTTL, "approval-ttl", envDuration(e, "NAIVE_APPROVAL_TTL", 72*time.Hour), "how long an approval waits for a human (env NAIVE_APPROVAL_TTL)")
	f.StringVar(&o.logLevel, "log-level", envOr(e, "NAIVE_LOG_LEVEL", "info"), "debug, info, warn or error (env NAIVE_LOG_LEVEL)")
	return cmd
}

func runServe(cmd *cobra.Command, e *env, o *serveOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level: %w", err)}
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.Start(cmd.Context(), app.Options{
		Addr:                 o.addr,
		DatabaseURL:          o.databaseURL,
		PhonePrice:           o.price,
		SandboxReviewDelay:   o.reviewDelay,
		PollInterval:         o.pollInterval,
		SandboxURL:           o.sandboxURL,
		SandboxWebhookSecret: o.sandboxSecret,
		ApprovalTTL:          o.approvalTTL,
		Carrier:              o.carrier,
		SurgeAPIKey:          e.getenv("SURGE_API_KEY"),
		SurgeBaseURL:         e.getenv("SURGE_BASE_URL"),
		SurgeWebhookSecret:   e.getenv("SURGE_WEBHOOK_SECRET"),
		AdminEmail:           e.getenv("NAIVE_ADMIN_EMAIL"),
		AdminPassword:        e.getenv("NAIVE_ADMIN_PASSWORD"),
		Stdout:               e.stdout,
		Logger:               logger,
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

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(e *env, key string, def int64) int64 {
	if v, err := strconv.ParseInt(e.getenv(key), 10, 64); err == nil {
		return v
	}
	return def
}

func envDuration(e *env, key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(e.getenv(key)); err == nil {
		return v
	}
	return def
}
