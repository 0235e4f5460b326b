package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// eventService lists a growing, newest-first event log.
type eventService struct {
	naive.Service
	mu     sync.Mutex
	events []naive.Event // oldest first
	lists  int
}

func (s *eventService) add(typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.events)
	s.events = append(s.events, naive.Event{ID: fmt.Sprintf("ev-%03d", n), Type: typ, Data: json.RawMessage(`{"status":"x"}`),
		CreatedAt: time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC)})
}

func (s *eventService) ListEvents(_ context.Context, typ string, lp naive.ListParams) (*naive.List[naive.Event], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	var out []naive.Event
	for i := len(s.events) - 1; i >= 0; i-- {
		if lp.Cursor != "" && s.events[i].ID >= lp.Cursor {
			continue
		}
		out = append(out, s.events[i])
		if len(out) == lp.Limit {
			break
		}
	}
	l := &naive.List[naive.Event]{Data: out}
	if len(out) == lp.Limit && len(out) > 0 {
		c := out[len(out)-1].ID
		l.NextCursor = &c
	}
	return l, nil
}

// syncBuffer is a goroutine-safe writer.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestEventsFollow checks --follow --since prints the newest --limit events
// since then oldest first, then each new event once, newest last,
// including a burst larger than a page, and ends normally when
// interrupted.
func TestEventsFollow(t *testing.T) {
	t.Parallel()
	svc := &eventService{}
	for range 5 {
		svc.add("phone.provisioned")
	}
	var out syncBuffer
	f, _, _ := testFactory(t, svc, false)
	f.IO.Out = &out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := &EventsListOptions{IO: f.IO, Service: f.Service, JSON: true, Follow: true, List: naive.ListParams{Limit: 2}, Interval: 5 * time.Millisecond,
		Since: "2025-12-31T00:00:00Z"}
	go func() { done <- eventsFollowRun(ctx, opts) }()
	waitUntil(t, func() bool { return strings.Count(out.String(), "\n") == 2 })
	for range followPage + 30 { // more than one page arrives between two polls
		svc.add("sms.received")
	}
	waitUntil(t, func() bool { return strings.Count(out.String(), "\n") == 2+followPage+30 })
	svc.add("approval.requested")
	waitUntil(t, func() bool { return strings.Contains(out.String(), "approval.requested") })
	time.Sleep(30 * time.Millisecond) // a few more polls: nothing is printed twice
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow ended with %v", err)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e naive.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, e.ID)
	}
	if len(ids) != 2+followPage+30+1 {
		t.Fatalf("%d events printed, want %d", len(ids), 2+followPage+30+1)
	}
	for i := range ids {
		if want := fmt.Sprintf("ev-%03d", i+3); ids[i] != want {
			t.Fatalf("event %d is %s, want %s (each once, newest last)", i, ids[i], want)
		}
	}
}

// TestEventsFollowNewOnly: without --since, --follow prints only the
// events that happen after it starts.
func TestEventsFollowNewOnly(t *testing.T) {
	t.Parallel()
	svc := &eventService{}
	for range 5 {
		svc.add("phone.provisioned")
	}
	var out syncBuffer
	f, _, _ := testFactory(t, svc, false)
	f.IO.Out = &out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := &EventsListOptions{IO: f.IO, Service: f.Service, JSON: true, Follow: true, Interval: 5 * time.Millisecond}
	go func() { done <- eventsFollowRun(ctx, opts) }()
	time.Sleep(30 * time.Millisecond) // a few polls
	svc.add("sms.received")
	waitUntil(t, func() bool { return strings.Contains(out.String(), "sms.received") })
	time.Sleep(30 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow ended with %v", err)
	}
	if got := strings.Count(out.String(), "\n"); got != 1 || strings.Contains(out.String(), "phone.provisioned") {
		t.Fatalf("follow without --since printed %d lines: %s", got, out.String())
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// preflightService answers Preflight.
type preflightService struct {
	naive.Service
	pf  naive.Preflight
	got naive.ProvisionRequest
}

func (s *preflightService) Preflight(_ context.Context, _ string, req naive.ProvisionRequest) (*naive.Preflight, error) {
	s.got = req
	pf := s.pf
	return &pf, nil
}

// TestPreflight checks the checklist, the fixes and the exit codes: 0 when
// ready, 1 otherwise, in both output modes.
func TestPreflight(t *testing.T) {
	t.Parallel()
	notReady := naive.Preflight{SubjectID: "sub-1", Price: 50, Balance: 10, Checks: []naive.PreflightCheck{
		{Check: "formation", Detail: "The LLC formation is not_started.", Fix: "POST /v1/subjects/sub-1/formation"},
		{Check: "profile", Field: "contact.email", Detail: "contact.email is needed.", Fix: "PATCH /v1/subjects/sub-1"},
		{Check: "credits", Detail: "The balance (10) is below the price (50).", Fix: "A human grants credits."},
		{Check: "carrier", OK: true, Detail: "test mode uses the sandbox."},
	}}
	ready := naive.Preflight{SubjectID: "sub-1", Ready: true, Price: 50, Balance: 1000, ApprovalRequired: true,
		Checks: []naive.PreflightCheck{{Check: "formation", OK: true, Detail: "The LLC formation is completed."}}}
	for _, tty := range []bool{true, false} {
		svc := &preflightService{pf: notReady}
		f, out, _ := testFactory(t, svc, tty)
		cmd := NewCmdPhonePreflight(f, nil)
		cmd.SetArgs([]string{"--ein", "12-3456789", "--area-code", "415", "--type", "local"})
		cmd.SetOut(io.Discard)
		err := cmd.Execute()
		if ExitCode(err) != ExitError || !strings.Contains(err.Error(), "3 of 4 checks fail") {
			t.Fatalf("tty=%v: exit %d (%v)", tty, ExitCode(err), err)
		}
		if !reflect.DeepEqual(svc.got, naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415", Type: "local"}) {
			t.Fatalf("request %+v", svc.got)
		}
		if tty {
			for _, want := range []string{"✗ formation", "Fix: POST /v1/subjects/sub-1/formation", "Run: naive subjects formation sub-1 --start --state DE",
				"✗ profile", "Run: naive subjects update sub-1 --contact-email", "Run: naive credits grant", "✓ carrier", "Price: 50 credits (balance 10)"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("checklist lacks %q:\n%s", want, out)
				}
			}
		} else if !strings.Contains(out.String(), `"ready": false`) {
			t.Fatalf("JSON %s", out)
		}

		svc.pf = ready
		f, out, _ = testFactory(t, svc, tty)
		opts := &PhonePreflightOptions{IO: f.IO, Service: f.Service, JSON: !tty, Request: naive.ProvisionRequest{EIN: "12-3456789"}}
		if err := phonePreflightRun(context.Background(), opts); err != nil {
			t.Fatalf("ready: %v", err)
		}
		if tty && (!strings.Contains(out.String(), "is ready") || !strings.Contains(out.String(), "naive phone provision --ein 12-3456789") ||
			!strings.Contains(out.String(), "a human must approve")) {
			t.Fatalf("ready output:\n%s", out)
		}
	}
}

// TestKitsCreateFlags checks the flags build the kit request, and that no
// phone flag keeps the built-in policy.
func TestKitsCreateFlags(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory(t, nil, false)
	var got *KitsCreateOptions
	cmd := NewCmdKitsCreate(f, func(o *KitsCreateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--name", "trusted", "--requires-approval", "false", "--disabled", "--default-area-code", "212", "--default-label", "Ops"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	pc := got.Request.PrimitivesConfig["phone"]
	if *got.Request.Name != "trusted" || pc.RequiresApproval == nil || *pc.RequiresApproval || pc.Enabled == nil || *pc.Enabled ||
		pc.Defaults["area_code"] != "212" || pc.Defaults["label"] != "Ops" || len(pc.Defaults) != 2 {
		t.Fatalf("request %+v %+v", got.Request, pc)
	}
	cmd = NewCmdKitsCreate(f, func(o *KitsCreateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--name", "plain"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Request.PrimitivesConfig != nil {
		t.Fatalf("no phone flag set primitives %+v", got.Request.PrimitivesConfig)
	}
}

// TestSendAndAssignFlags checks the messaging commands pass their flags.
func TestSendAndAssignFlags(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory(t, nil, false)
	var send *PhoneSendOptions
	cmd := NewCmdPhoneSend(f, func(o *PhoneSendOptions) error { send = o; return nil })
	cmd.SetArgs([]string{"--from", "ph-1", "--to", "+14155550123", "--body", "hi there"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if send.PhoneID != "ph-1" || send.Request != (naive.SendRequest{To: "+14155550123", Body: "hi there"}) {
		t.Fatalf("send %+v", send)
	}
	var assign *PhoneAssignOptions
	cmd = NewCmdPhoneAssign(f, func(o *PhoneAssignOptions) error { assign = o; return nil })
	cmd.SetArgs([]string{"ph-1", "--agent-id", "ag-1", "--permissions", "send_sms,receive_sms"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if assign.PhoneID != "ph-1" || assign.Request.AgentID != "ag-1" || strings.Join(assign.Request.Permissions, ",") != "send_sms,receive_sms" {
		t.Fatalf("assign %+v", assign)
	}
	var hook *WebhooksCreateOptions
	cmd = NewCmdWebhooksCreate(f, func(o *WebhooksCreateOptions) error { hook = o; return nil })
	cmd.SetArgs([]string{"--url", "https://example.com/h", "--event-types", "sms.received,approval.resolved"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if hook.Request.URL != "https://example.com/h" || strings.Join(hook.Request.EventTypes, ",") != "sms.received,approval.resolved" {
		t.Fatalf("webhook %+v", hook.Request)
	}
}

// TestSandboxSMSClient checks `naive sandbox sms` sends POST /v1/sandbox/sms
// through the client, resolving a phone id to its number first.
func TestSandboxSMSClient(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/phone/ph-1":
			_, _ = w.Write([]byte(`{"id":"ph-1","e164":"+14155551234","status":"active"}`))
		case r.Method == http.MethodPost && r.URL.Path == "/v1/sandbox/sms":
			mu.Lock()
			_ = json.NewDecoder(r.Body).Decode(&got)
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"status":"sent","to":"+14155551234","from":"+14155550199"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: "nv_sk_test_x"})
	if err != nil {
		t.Fatal(err)
	}
	f, out, _ := testFactory(t, c, true)
	opts := &SandboxSMSOptions{IO: f.IO, Service: f.Service, To: "ph-1", Body: "hello"}
	if err := sandboxSMSRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["to"] != "+14155551234" || got["body"] != "hello" {
		t.Fatalf("request %v", got)
	}
	if _, ok := got["from"]; ok {
		t.Fatalf("an empty --from was sent: %v", got)
	}
	if !strings.Contains(out.String(), "naive phone messages ph-1") {
		t.Fatalf("output:\n%s", out)
	}
}

// runSandboxSurge runs `naive sandbox surge` in-process with args until
// the returned stop is called; it returns the simulator's URL and stdout.
func runSandboxSurge(t *testing.T, args ...string) (url string, out *bytes.Buffer, stop func()) {
	return runSandboxCmd(t, func(f *Factory, ctx context.Context, ready func(string)) *cobra.Command {
		return NewCmdSandboxSurge(f, func(o *SandboxSurgeOptions) error {
			o.Ready = ready
			return sandboxSurgeRun(ctx, o)
		})
	}, args...)
}

// runSandboxCmd runs the sandbox command newCmd builds (its run ending
// with ctx, calling ready with its URL) in-process with args until the
// returned stop is called; it returns the simulator's URL and stdout.
func runSandboxCmd(t *testing.T, newCmd func(f *Factory, ctx context.Context, ready func(string)) *cobra.Command, args ...string) (url string, out *bytes.Buffer, stop func()) {
	t.Helper()
	f, out, _ := testFactory(t, nil, false)
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cmd := newCmd(f, ctx, func(url string) { ready <- url })
	cmd.SetArgs(append([]string{"--addr", "127.0.0.1:0", "--log-level", "error"}, args...))
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("sandbox ended early: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("sandbox did not start")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stop: %v", err)
		}
	}
	t.Cleanup(stop)
	return url, out, stop
}

// TestSandboxSurge runs `naive sandbox surge` in-process on :0: the real
// Surge client works against it, its events go out signed with the printed
// secret, cancelling stops it with exit 0, and a restart on the same
// database file carries on with the same accounts, numbers and secret.
func TestSandboxSurge(t *testing.T) {
	t.Parallel()
	secret := webhooksig.NewSecret()
	got := make(chan error, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- webhooksig.Verify(secret, r.Header, body, time.Now(), 0)
	}))
	defer hook.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sandbox.db")
	ctx := t.Context()

	url, out, stop := runSandboxSurge(t, "--review-delay", "50ms", "--webhook-url", hook.URL, "--webhook-secret", secret,
		"--api-key", "sk_custom", "--database-url", db)
	sc := surge.NewClient(surge.Options{BaseURL: url, APIKey: "sk_custom"})
	acct, err := sc.CreateAccount(ctx, surge.AccountCreate{Name: "Acme", Organization: ptrTo(surgesim.SampleOrganization())})
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	if _, err := sc.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()); err != nil {
		t.Fatalf("create campaign: %v", err)
	}
	pn, err := sc.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "415"})
	if err != nil || !strings.HasPrefix(pn.Number, "+1415") {
		t.Fatalf("purchase: %+v %v", pn, err)
	}
	if _, err := surge.NewClient(surge.Options{BaseURL: url, APIKey: "sk_other"}).ListAccounts(ctx); err == nil {
		t.Fatal("a wrong key was accepted")
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("webhook signature: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook")
	}
	stop()
	for _, want := range []string{"Surge sandbox listening on " + url, "Webhook secret:", secret, "naive serve --sandbox-url " + url + " --sandbox-webhook-secret " + secret,
		"SURGE_BASE_URL=" + url + " SURGE_API_KEY=sk_custom", "--api-key sk_sandbox", "State in:", "sandbox.db", "Surge sandbox stopped."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	// A restart on the same file, without --webhook-secret: the same
	// account and number, the next number after them, the stored secret.
	url, out, _ = runSandboxSurge(t, "--api-key", "sk_custom", "--database-url", db)
	sc = surge.NewClient(surge.Options{BaseURL: url, APIKey: "sk_custom"})
	if a, err := sc.GetAccount(ctx, acct.ID); err != nil || a.ID != acct.ID {
		t.Fatalf("the account after a restart: %+v %v", a, err)
	}
	nums, err := sc.ListNumbers(ctx, acct.ID)
	if err != nil || len(nums) != 1 || nums[0].Number != pn.Number {
		t.Fatalf("numbers after a restart: %+v %v", nums, err)
	}
	pn2, err := sc.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{AreaCode: "415"})
	if err != nil || pn2.Number == pn.Number {
		t.Fatalf("purchase after a restart: %+v %v", pn2, err)
	}
	if !strings.Contains(out.String(), secret) {
		t.Errorf("the restarted sandbox does not sign with the stored secret:\n%s", out)
	}
}

func ptrTo[T any](v T) *T { return &v }
