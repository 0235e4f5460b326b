package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// TestSandboxTelnyxFlags checks `naive sandbox telnyx` refuses bad flags
// with a usage error (exit 2) before anything starts, and hands good ones,
// defaults included, to the run.
func TestSandboxTelnyxFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // "" for accepted
	}{
		{[]string{"--webhook-url", "ftp://x"}, "--webhook-url must be an http(s) URL"},
		{[]string{"--webhook-url", "127.0.0.1:8080/webhooks/telnyx"}, "--webhook-url must be an http(s) URL"},
		{[]string{"--review-delay", "-1s"}, "cannot be negative"},
		{[]string{"--delivery-delay", "-1ms"}, "cannot be negative"},
		{[]string{"--order-delay", "-5s"}, "cannot be negative"},
		{[]string{"--api-key", " "}, "--api-key cannot be empty"},
		{[]string{"--database-url", ""}, "--database-url cannot be empty"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"extra"}, "takes no arguments"},
		{nil, ""},
		{[]string{"--webhook-url", "https://example.test/webhooks/telnyx", "--order-delay", "3s", "--api-key", "KEY_x"}, ""},
	} {
		f, _, _ := testFactory(t, nil, false)
		var got *SandboxTelnyxOptions
		cmd := NewCmdSandboxTelnyx(f, func(o *SandboxTelnyxOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tc.want == "" {
			if err != nil || got == nil {
				t.Errorf("%q: %v (ran: %v)", tc.args, err, got != nil)
			}
			continue
		}
		if got != nil {
			t.Errorf("%q: ran despite a bad flag", tc.args)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %q", tc.args, err, tc.want)
		}
		if !errors.As(err, new(usageError)) {
			t.Errorf("%q: %T is not a usage error (exit 2)", tc.args, err)
		}
	}

	// The defaults.
	f, _, _ := testFactory(t, nil, false)
	var got *SandboxTelnyxOptions
	cmd := NewCmdSandboxTelnyx(f, func(o *SandboxTelnyxOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:8098" || got.APIKey != "KEY_sandbox" || got.DatabaseURL != "sqlite:./naive-sandbox-telnyx.db" ||
		got.ReviewDelay != telnyxsim.DefaultReviewDelay || got.DeliveryDelay != telnyxsim.DefaultDeliveryDelay || got.OrderDelay != 0 ||
		got.WebhookURL != "" || got.LogLevel != "info" {
		t.Errorf("defaults: %+v", got)
	}
}

// runSandboxTelnyx runs `naive sandbox telnyx` in-process with args until
// the returned stop is called; it returns the simulator's URL and stdout.
func runSandboxTelnyx(t *testing.T, args ...string) (url string, out *bytes.Buffer, stop func()) {
	return runSandboxCmd(t, func(f *Factory, ctx context.Context, ready func(string)) *cobra.Command {
		return NewCmdSandboxTelnyx(f, func(o *SandboxTelnyxOptions) error {
			o.Ready = ready
			return sandboxTelnyxRun(ctx, o)
		})
	}, args...)
}

var publicKeyLine = regexp.MustCompile(`Public key: +(\S+)`)

// TestSandboxTelnyx runs `naive sandbox telnyx` in-process on :0: the
// real Telnyx client orders a number from it (pending for --order-delay,
// then decided by a task its River queue runs), an inbound text reaches
// --webhook-url signed with the printed public key, cancelling stops it
// with exit 0, and a restart on the same database keeps the number and
// the key.
func TestSandboxTelnyx(t *testing.T) {
	t.Parallel()
	hooks := make(chan *http.Request, 16)
	bodies := make(chan []byte, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hooks <- r
		bodies <- body
	}))
	defer hook.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sandbox-telnyx.db")
	ctx := t.Context()

	url, out, stop := runSandboxTelnyx(t, "--order-delay", "300ms", "--webhook-url", hook.URL+"/webhooks/telnyx",
		"--api-key", "KEY_custom", "--database-url", db)
	m := publicKeyLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no public key in the banner:\n%s", out)
	}
	pub, err := telnyx.ParsePublicKey(m[1])
	if err != nil {
		t.Fatalf("the printed public key: %v", err)
	}
	tc := telnyx.NewClient(telnyx.Options{BaseURL: url + "/v2", APIKey: "KEY_custom"})
	avail, err := tc.AvailableNumbers(ctx, telnyx.AvailableFilter{CountryCode: "US", NationalDestinationCode: "415", Limit: 1})
	if err != nil || len(avail) == 0 {
		t.Fatalf("available numbers: %+v %v", avail, err)
	}
	e164 := avail[0].PhoneNumber
	order, err := tc.CreateNumberOrder(ctx, telnyx.NumberOrderCreate{PhoneNumbers: []telnyx.OrderNumber{{PhoneNumber: e164}}, MessagingProfileID: "mp-1"})
	if err != nil || order.Status != telnyx.OrderPending {
		t.Fatalf("order (--order-delay keeps it pending): %+v %v", order, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for order.Status == telnyx.OrderPending && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if order, err = tc.GetNumberOrder(ctx, order.ID); err != nil {
			t.Fatal(err)
		}
	}
	if order.Status != telnyx.OrderSuccess {
		t.Fatalf("the order after its delay: %+v", order)
	}
	if _, err := telnyx.NewClient(telnyx.Options{BaseURL: url + "/v2", APIKey: "KEY_other"}).ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{}); err == nil {
		t.Fatal("a wrong key was accepted")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/sandbox/inbound",
		strings.NewReader(`{"from":"+14155550123","to":"`+e164+`","text":"hello"}`))
	req.Header.Set("Authorization", "Bearer KEY_custom")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /sandbox/inbound: %s", res.Status)
	}
	for got := false; !got; {
		select {
		case r := <-hooks:
			body := <-bodies
			if r.URL.Path != "/webhooks/telnyx" {
				t.Errorf("a webhook went to %s", r.URL.Path)
			}
			if err := telnyx.VerifyWebhook(pub, r.Header, body, time.Now(), 0); err != nil {
				t.Fatalf("webhook signature with the printed key: %v", err)
			}
			got = strings.Contains(string(body), telnyx.EventMessageReceived)
		case <-time.After(15 * time.Second):
			t.Fatal("no message.received webhook")
		}
	}
	stop()
	for _, want := range []string{"Telnyx sandbox listening on " + url, "API key:", "KEY_custom", "Webhooks to:", hook.URL,
		"naive serve --sandbox-carrier telnyx --sandbox-telnyx-url " + url + " --sandbox-telnyx-public-key " + m[1],
		"TELNYX_BASE_URL=" + url + "/v2 TELNYX_API_KEY=KEY_custom TELNYX_PUBLIC_KEY=" + m[1], "--api-key KEY_sandbox",
		"Order delay:", "300ms", "State in:", "sandbox-telnyx.db", "000000", "Press Ctrl-C to stop.", "Telnyx sandbox stopped."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	// A restart on the same file: the same number, the same key.
	url, out, _ = runSandboxTelnyx(t, "--api-key", "KEY_custom", "--database-url", db)
	tc = telnyx.NewClient(telnyx.Options{BaseURL: url + "/v2", APIKey: "KEY_custom"})
	nums, err := tc.ListPhoneNumbers(ctx, telnyx.PhoneNumberFilter{})
	if err != nil || len(nums) != 1 || nums[0].PhoneNumber != e164 {
		t.Fatalf("numbers after a restart: %+v %v", nums, err)
	}
	if m2 := publicKeyLine.FindStringSubmatch(out.String()); m2 == nil || m2[1] != m[1] {
		t.Errorf("the restarted sandbox does not sign with the stored key (%q then %q):\n%s", m[1], m2, out)
	}
}
