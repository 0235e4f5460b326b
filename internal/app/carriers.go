package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// Carriers. Live mode runs on the carriers Options.Carrier names ("surge",
// "telnyx", or both as "surge,telnyx": the first is the default a
// subject's first number registers its brand with, FallbackCarrier the
// one a first number goes to while the default is down). Test mode has
// both simulators; SandboxCarrier is its default.

// liveCarrierNames parses Options.Carrier.
func liveCarrierNames(s string) ([]string, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []string
	for n := range strings.SplitSeq(s, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n != naive.CarrierSurge && n != naive.CarrierTelnyx:
			return nil, fmt.Errorf("unknown carrier %q: use surge, telnyx, both as \"surge,telnyx\", or none", n)
		case slices.Contains(out, n):
			return nil, fmt.Errorf("carrier %q named twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkCarriers validates the carrier options.
func (o *Options) checkCarriers() error {
	names, err := liveCarrierNames(o.Carrier)
	if err != nil {
		return err
	}
	for _, n := range names {
		switch {
		case n == naive.CarrierSurge && o.SurgeAPIKey == "":
			return errors.New("--carrier surge needs SURGE_API_KEY")
		case n == naive.CarrierTelnyx && (o.TelnyxAPIKey == "" || o.TelnyxMessagingProfileID == ""):
			return errors.New("--carrier telnyx needs TELNYX_API_KEY and TELNYX_MESSAGING_PROFILE_ID")
		}
	}
	if o.FallbackCarrier != "" && (!slices.Contains(names, o.FallbackCarrier) || (len(names) > 0 && names[0] == o.FallbackCarrier)) {
		return fmt.Errorf("--fallback-carrier %q must be one of --carrier's, other than its default", o.FallbackCarrier)
	}
	switch o.SandboxCarrier {
	case "":
		o.SandboxCarrier = naive.CarrierSurge
	case naive.CarrierSurge, naive.CarrierTelnyx:
	default:
		return fmt.Errorf("unknown sandbox carrier %q: use surge or telnyx", o.SandboxCarrier)
	}
	if o.SandboxFallback != "" && (o.SandboxFallback == o.SandboxCarrier ||
		(o.SandboxFallback != naive.CarrierSurge && o.SandboxFallback != naive.CarrierTelnyx)) {
		return fmt.Errorf("sandbox fallback %q must be the other sandbox carrier", o.SandboxFallback)
	}
	// Keys are checked here, before the database is opened.
	for _, k := range []struct {
		name, key string
		used      bool
	}{{"TELNYX_PUBLIC_KEY", o.TelnyxPublicKey, slices.Contains(names, naive.CarrierTelnyx)}, {"--sandbox-telnyx-public-key", o.SandboxTelnyxPublicKey, true}} {
		if k.key == "" || !k.used {
			continue
		}
		if _, err := telnyx.ParsePublicKey(k.key); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
	}
	if o.SandboxTelnyxURL != "" && !strings.HasPrefix(o.SandboxTelnyxURL, "http://") && !strings.HasPrefix(o.SandboxTelnyxURL, "https://") {
		return fmt.Errorf("--sandbox-telnyx-url must be an http(s) URL, not %q", o.SandboxTelnyxURL)
	}
	if o.SandboxTelnyxPublicKey != "" && o.SandboxTelnyxURL == "" {
		return errors.New("--sandbox-telnyx-public-key needs --sandbox-telnyx-url (the standalone sandbox whose webhooks it verifies)")
	}
	return nil
}

// openLiveCarriers builds live mode's carriers.
func (a *App) openLiveCarriers() (service.CarrierSet, error) {
	opts := a.opts
	names, err := liveCarrierNames(opts.Carrier)
	if err != nil || len(names) == 0 {
		return service.CarrierSet{}, err
	}
	set := service.CarrierSet{Default: names[0], Fallback: opts.FallbackCarrier, ByName: map[string]carrier.Carrier{}}
	for _, n := range names {
		switch n {
		case naive.CarrierSurge:
			set.ByName[n] = surge.NewCarrier(surge.NewClient(surge.Options{BaseURL: opts.SurgeBaseURL, APIKey: opts.SurgeAPIKey,
				HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("live", cmp.Or(opts.SurgeBaseURL, surge.DefaultBaseURL), nil),
					Timeout: opts.CarrierTimeout}}), opts.SurgeWebhookSecret)
		case naive.CarrierTelnyx:
			base := cmp.Or(opts.TelnyxBaseURL, telnyx.DefaultBaseURL)
			c := telnyx.NewClient(telnyx.Options{BaseURL: base, APIKey: opts.TelnyxAPIKey,
				HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("live", base, nil), Timeout: opts.CarrierTimeout}})
			cr, err := telnyx.NewCarrier(c, telnyx.CarrierConfig{MessagingProfileID: opts.TelnyxMessagingProfileID,
				WebhookURL: opts.TelnyxWebhookURL, PublicKey: opts.TelnyxPublicKey})
			if err != nil {
				return service.CarrierSet{}, fmt.Errorf("TELNYX_PUBLIC_KEY: %w", err)
			}
			set.ByName[n] = cr
		}
	}
	return set, nil
}

// SandboxTelnyxKey is the API key test mode sends its Telnyx simulator
// (in process or standalone, `naive sandbox telnyx`).
const SandboxTelnyxKey = "KEY_sandbox"

// openTelnyxSandbox starts test mode's Telnyx simulator on the store's
// sandbox tables beside the Surge one (or in memory with
// Options.SandboxInMemory), driven through the real Telnyx client, its
// signed webhooks sent to this server's POST /webhooks/telnyx; the queue
// then runs both simulators' tasks.
func (a *App) openTelnyxSandbox(ctx context.Context) (carrier.Carrier, error) {
	opts := a.opts
	webhook := a.URL() + "/webhooks/telnyx"
	if opts.SandboxTelnyxURL != "" {
		// A standalone one (`naive sandbox telnyx`), shared by servers on
		// different databases; its webhooks carry its own key.
		base := telnyxSandboxBase(opts.SandboxTelnyxURL)
		c := telnyx.NewClient(telnyx.Options{BaseURL: base, APIKey: SandboxTelnyxKey,
			HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("test", base, nil), Timeout: opts.CarrierTimeout}})
		cr, err := telnyx.NewCarrier(c, telnyx.CarrierConfig{MessagingProfileID: "mp-sandbox", WebhookURL: webhook, PublicKey: opts.SandboxTelnyxPublicKey})
		if err != nil {
			return nil, fmt.Errorf("--sandbox-telnyx-public-key: %w", err)
		}
		return cr, nil
	}
	cfg := telnyxsim.Config{APIKey: SandboxTelnyxKey, ReviewDelay: opts.SandboxReviewDelay, WebhookURL: webhook, Logger: opts.Logger}
	if opts.SandboxInMemory {
		a.tsim = telnyxsim.New(cfg)
	} else {
		db, ok := a.store.(store.Sandbox)
		if !ok {
			return nil, fmt.Errorf("a %T store cannot keep the sandbox's state", a.store)
		}
		var err error
		if a.tsim, err = telnyxsim.Open(ctx, cfg, sandboxStorage{db}); err != nil {
			return nil, fmt.Errorf("open the Telnyx sandbox: %w", err)
		}
		a.jobs.SetSandbox(sandboxRunner{surge: a.sim, telnyx: a.tsim})
	}
	base := "http://telnyx.sandbox/v2"
	c := telnyx.NewClient(telnyx.Options{BaseURL: base, APIKey: SandboxTelnyxKey,
		HTTPClient: &http.Client{Transport: a.metrics.CarrierTransport("test", base, handlerTransport{a.tsim}), Timeout: opts.CarrierTimeout}})
	return telnyx.NewCarrier(c, telnyx.CarrierConfig{MessagingProfileID: "mp-sandbox", WebhookURL: webhook, PublicKey: a.tsim.PublicKey()})
}

// telnyxSandboxBase is the API base of a standalone Telnyx sandbox given
// by its address, with or without the /v2 of Telnyx's API.
func telnyxSandboxBase(url string) string {
	return strings.TrimSuffix(strings.TrimRight(url, "/"), "/v2") + "/v2"
}

// handlerTransport serves requests by calling a handler in this process;
// a handler's panic (an unmodelled route) is the request's error.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (res *http.Response, err error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	var body bytes.Buffer
	if req.Body != nil {
		if _, err := body.ReadFrom(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("sandbox: %v", p)
		}
	}()
	t.h.ServeHTTP(rec, in)
	return &http.Response{StatusCode: rec.status, Status: http.StatusText(rec.status), Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()), Request: req,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// recorder is the http.ResponseWriter of an in-process request.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// SandboxNumberCount is how many numbers both test-mode simulators hold,
// for tests that check nothing was bought twice, whichever carrier they
// run on.
func (a *App) SandboxNumberCount() int {
	n := 0
	if a.sim != nil {
		n += len(a.sim.AllNumbers())
	}
	if a.tsim != nil {
		n += len(a.tsim.Numbers())
	}
	return n
}
