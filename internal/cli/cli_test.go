package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// testFactory is a Factory over in-memory streams and svc.
func testFactory(t *testing.T, svc naive.Service, tty bool) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := filepath.Join(t.TempDir(), "config.json")
	f := &Factory{
		IO:         &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, stdoutTTY: tty},
		Getenv:     func(string) string { return "" },
		Flags:      &GlobalFlags{},
		ConfigPath: func() string { return cfg },
	}
	f.Config = func() (*Config, error) { return LoadConfig(cfg) }
	f.Service = func() (naive.Service, error) { return svc, nil }
	f.AnonService = f.Service
	return f, &out, &errOut
}

// fakeService answers the calls a test sets; the others panic.
type fakeService struct {
	naive.Service
	provision   func(req naive.ProvisionRequest) (*naive.ProvisionResult, error)
	phoneStatus func() (*naive.PhoneStatus, error)
	getPhone    func(id string) (*naive.Phone, error)
	login       func(req naive.LoginRequest) (*naive.LoginResult, error)
}

func (f *fakeService) ProvisionPhone(_ context.Context, _ string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	return f.provision(req)
}
func (f *fakeService) PhoneStatus(context.Context, string) (*naive.PhoneStatus, error) {
	return f.phoneStatus()
}
func (f *fakeService) GetPhone(_ context.Context, _, id string) (*naive.Phone, error) {
	return f.getPhone(id)
}
func (f *fakeService) Login(_ context.Context, req naive.LoginRequest) (*naive.LoginResult, error) {
	return f.login(req)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{usageError{errors.New("bad flag")}, ExitUsage},
		{naive.NotFound("phone", "x"), ExitNotFound},
		{naive.Errorf(naive.EUnauthorized, "no"), ExitAuth},
		{naive.Errorf(naive.EForbidden, "no"), ExitAuth},
		{naive.Errorf(naive.EInsufficientCredits, "poor"), ExitPayment},
		{&PendingApprovalError{ApprovalID: "apr_1"}, ExitPending},
		{naive.Errorf(naive.ERateLimited, "slow"), ExitRateLimited},
		{&WaitTimeoutError{What: "campaign"}, ExitWaitTimeout},
		{naive.Errorf(naive.EConflict, "no"), ExitError},
		{naive.Errorf(naive.EInvalidInput, "no"), ExitError},
		{fmt.Errorf("wrapped: %w", naive.NotFound("phone", "x")), ExitNotFound},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// TestProvisionFlags checks flag parsing, cli/cli style: runF sees the
// options the flags set.
func TestProvisionFlags(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory(t, nil, false)
	var got *PhoneProvisionOptions
	cmd := NewCmdPhoneProvision(f, func(o *PhoneProvisionOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--ein", "12-3456789", "--area-code", "415", "--type", "toll_free", "--label", "Support",
		"--agent-id", "ag-1", "--wait", "--timeout", "90s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415", Type: "toll_free", Label: "Support", AgentID: "ag-1"}
	if !reflect.DeepEqual(got.Request, want) || !got.Wait || got.Timeout != 90*time.Second || !got.JSON {
		t.Fatalf("options %+v", got)
	}

	cmd = NewCmdPhoneProvision(f, func(o *PhoneProvisionOptions) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Wait || got.Timeout != 10*time.Minute {
		t.Fatalf("defaults %+v", got)
	}
}

// TestUsageErrors checks command-line mistakes exit 2 through Run.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bogus"},
		{"phone", "provison"},
		{"phone", "get"},
		{"phone", "get", "a", "b"},
		{"phone", "list", "--bogus"},
		{"phone", "provision", "--timeout", "0s"},
		{"credits", "grant", "lots"},
		{"keys", "create"},
		{"keys", "create", "--name", "x", "--mode", "prod"},
		{"config", "set", "colour", "blue"},
		{"--mode", "prod", "whoami"},
	} {
		var out, errOut bytes.Buffer
		env := map[string]string{"NAIVE_CONFIG": filepath.Join(t.TempDir(), "c.json"), "NAIVE_API_KEY": "nv_sk_test_x",
			"NAIVE_API_URL": "http://127.0.0.1:1"}
		code := Run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if code != ExitUsage {
			t.Errorf("naive %s: exit %d, want 2; stderr:\n%s", strings.Join(args, " "), code, errOut.String())
		}
		if !strings.Contains(errOut.String(), "--help") {
			t.Errorf("naive %s: no pointer to --help in %q", strings.Join(args, " "), errOut.String())
		}
	}
}

func provisioned() *naive.ProvisionResult {
	eta := "1-2 business days"
	return &naive.ProvisionResult{Provisioned: &naive.Provisioned{
		Phone: naive.Phone{ID: "ph-1", E164: "+14155551234", Type: "local", Status: "active", SubjectID: "sub-1", Label: "Support",
			Capabilities: naive.Capabilities{SMSInbound: true}},
		Campaign:    naive.CampaignSummary{ID: "camp-1", Status: "created", ETA: &eta},
		CreditsUsed: 50, CreditsRemaining: 950}}
}

// TestProvisionOutput checks the human summary and the JSON answer.
func TestProvisionOutput(t *testing.T) {
	t.Parallel()
	svc := &fakeService{provision: func(req naive.ProvisionRequest) (*naive.ProvisionResult, error) { return provisioned(), nil }}

	f, out, _ := testFactory(t, svc, true)
	opts := &PhoneProvisionOptions{IO: f.IO, Service: f.Service, Now: time.Now}
	if err := phoneProvisionRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Provisioned +14155551234 (local)", "50 used, 950 remaining", "Next:", "naive phone get ph-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}

	f, out, _ = testFactory(t, svc, false)
	opts = &PhoneProvisionOptions{IO: f.IO, Service: f.Service, JSON: true, Now: time.Now}
	if err := phoneProvisionRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("JSON output %q: %v", out, err)
	}
	if m["phone"].(map[string]any)["e164"] != "+14155551234" || m["credits_remaining"] != 950.0 {
		t.Fatalf("JSON %v", m)
	}
}

// TestProvisionPending checks a pending approval prints its id and exits 6.
func TestProvisionPending(t *testing.T) {
	t.Parallel()
	svc := &fakeService{provision: func(req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
		return &naive.ProvisionResult{Pending: &naive.PendingApproval{Status: "pending_approval", ApprovalID: "apr_42",
			Action: "phone.provision", Primitive: "phone", Title: "Provision a number for Acme", Message: "A human must approve."}}, nil
	}}
	for _, tty := range []bool{true, false} {
		f, out, _ := testFactory(t, svc, tty)
		opts := &PhoneProvisionOptions{IO: f.IO, Service: f.Service, JSON: !tty, Wait: true, Timeout: time.Second, Interval: time.Millisecond, Now: time.Now}
		err := phoneProvisionRun(context.Background(), opts)
		if ExitCode(err) != ExitPending {
			t.Fatalf("tty=%v: exit %d (%v), want 6", tty, ExitCode(err), err)
		}
		if !strings.Contains(out.String(), "apr_42") {
			t.Fatalf("tty=%v: approval id not printed:\n%s", tty, out)
		}
		if !tty && !strings.Contains(out.String(), `"status": "pending_approval"`) {
			t.Fatalf("JSON output %s", out)
		}
	}
}

// TestProvisionWait checks --wait: active exits 0, rejected 1, a review
// that outlasts --timeout 8; JSON mode prints one document either way.
func TestProvisionWait(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, statuses []string, timeout time.Duration) (map[string]any, error) {
		i := 0
		svc := &fakeService{
			provision: func(naive.ProvisionRequest) (*naive.ProvisionResult, error) { return provisioned(), nil },
			phoneStatus: func() (*naive.PhoneStatus, error) {
				st := statuses[min(i, len(statuses)-1)]
				i++
				return &naive.PhoneStatus{Campaigns: []naive.Campaign{{ID: "other", Status: "active"}, {ID: "camp-1", Status: st}}}, nil
			},
			getPhone: func(id string) (*naive.Phone, error) {
				p := provisioned().Provisioned.Phone
				p.Capabilities.SMSOutbound = true
				return &p, nil
			},
		}
		f, out, _ := testFactory(t, svc, false)
		opts := &PhoneProvisionOptions{IO: f.IO, Service: f.Service, JSON: true, Wait: true, Timeout: timeout, Interval: time.Millisecond, Now: time.Now}
		err := phoneProvisionRun(context.Background(), opts)
		var m map[string]any
		if jerr := json.Unmarshal(out.Bytes(), &m); jerr != nil {
			t.Fatalf("output is not one JSON document: %v\n%s", jerr, out)
		}
		return m, err
	}
	t.Run("active", func(t *testing.T) {
		m, err := run(t, []string{"created", "in_review", "in_review", "active"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if m["campaign"].(map[string]any)["status"] != "active" || m["phone"].(map[string]any)["capabilities"].(map[string]any)["sms_outbound"] != true {
			t.Fatalf("final state %v", m)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		m, err := run(t, []string{"in_review", "rejected"}, time.Minute)
		if ExitCode(err) != ExitError || m["campaign"].(map[string]any)["status"] != "rejected" {
			t.Fatalf("exit %d (%v), state %v", ExitCode(err), err, m)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		m, err := run(t, []string{"in_review"}, 20*time.Millisecond)
		if ExitCode(err) != ExitWaitTimeout || m["campaign"].(map[string]any)["status"] != "in_review" {
			t.Fatalf("exit %d (%v), state %v", ExitCode(err), err, m)
		}
	})
}

// TestLoginStoresSession checks `naive login` keeps the session, the server
// and the mode in the config file, and that later commands use them.
func TestLoginStoresSession(t *testing.T) {
	t.Parallel()
	var got naive.LoginRequest
	svc := &fakeService{login: func(req naive.LoginRequest) (*naive.LoginResult, error) {
		got = req
		return &naive.LoginResult{Token: "nv_sess_secret", UserID: "u1", Operator: "op1", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}}
	f, out, _ := testFactory(t, svc, true)
	f.IO.In = strings.NewReader("hunter2hunter2\n")
	f.Flags.APIURL = "http://example.test:9"
	cmd := NewCmdLogin(f, nil)
	cmd.SetArgs([]string{"--email", "Ada@Example.test", "--password-stdin", "--mode", "test"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Email != "Ada@Example.test" || got.Password != "hunter2hunter2" {
		t.Fatalf("login request %+v", got)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SessionToken != "nv_sess_secret" || cfg.Mode != "test" || cfg.BaseURL != "http://example.test:9" || cfg.Email != "ada@example.test" {
		t.Fatalf("config %+v", cfg)
	}
	if strings.Contains(out.String(), "nv_sess_secret") {
		t.Fatal("the session token was printed")
	}
	f.Flags.APIURL = ""
	s, err := f.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Token != "nv_sess_secret" || s.APIURL != "http://example.test:9" || s.Mode != "test" {
		t.Fatalf("settings after login %+v", s)
	}
}

// TestSettingsPrecedence checks flags > environment > config file.
func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory(t, nil, false)
	cfg := &Config{BaseURL: "http://config", APIKey: "nv_sk_test_config", Subject: "sub-config"}
	if err := cfg.Save(f.ConfigPath()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	f.Getenv = func(k string) string { return env[k] }
	s, _ := f.Settings()
	if s.APIURL != "http://config" || s.Token != "nv_sk_test_config" || s.Subject != "sub-config" {
		t.Fatalf("from config: %+v", s)
	}
	env["NAIVE_API_URL"], env["NAIVE_API_KEY"], env["NAIVE_SUBJECT"] = "http://env", "nv_sk_test_env", "sub-env"
	s, _ = f.Settings()
	if s.APIURL != "http://env" || s.Token != "nv_sk_test_env" || s.Subject != "sub-env" {
		t.Fatalf("from env: %+v", s)
	}
	f.Flags.APIURL, f.Flags.APIKey, f.Flags.Subject = "http://flag", "nv_sk_test_flag", "sub-flag"
	s, _ = f.Settings()
	if s.APIURL != "http://flag" || s.Token != "nv_sk_test_flag" || s.Subject != "sub-flag" {
		t.Fatalf("from flags: %+v", s)
	}
}

// TestConfigCommand checks set, get (masked) and unset.
func TestConfigCommand(t *testing.T) {
	t.Parallel()
	f, out, _ := testFactory(t, nil, false)
	for _, args := range [][]string{{"set", "apiKey", "nv_sk_test_abcdefgh"}, {"set", "mode", "test"}, {"get", "apiKey"}} {
		cmd := NewCmdConfig(f, nil)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("config %v: %v", args, err)
		}
	}
	if got := strings.TrimSpace(out.String()); got != "nv_sk_test_abcd…" {
		t.Fatalf("config get apiKey printed %q", got)
	}
	cmd := NewCmdConfig(f, nil)
	cmd.SetArgs([]string{"unset", "apiKey"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg, _ := f.Config()
	if cfg.APIKey != "" || cfg.Mode != "test" {
		t.Fatalf("config %+v", cfg)
	}
}

// TestPhoneListAgainstStub runs the whole program against a stubbed HTTP
// server: the request the client sends, and the table a person sees.
func TestPhoneListAgainstStub(t *testing.T) {
	t.Parallel()
	var gotAuth, gotSubject, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/phone" {
			http.NotFound(w, r)
			return
		}
		gotAuth, gotSubject, gotQuery = r.Header.Get("Authorization"), r.Header.Get("Naive-Subject"), r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"id":"ph-1","e164":"+14155551234","type":"local","status":"active",
			"capabilities":{"voice":false,"sms_inbound":true,"sms_outbound":false,"mms":false},"label":"Support",
			"subject_id":"sub-1","mode":"test","created_at":"2026-01-02T03:04:05Z"}],"next_cursor":"c2"}`))
	}))
	defer srv.Close()
	env := map[string]string{"NAIVE_API_URL": srv.URL, "NAIVE_API_KEY": "nv_sk_test_abc", "NAIVE_FORCE_TTY": "1",
		"NAIVE_CONFIG": filepath.Join(t.TempDir(), "c.json")}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"--subject", "sub-1", "phone", "list", "--limit", "1"},
		func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if gotAuth != "Bearer nv_sk_test_abc" || gotSubject != "sub-1" || gotQuery != "limit=1" {
		t.Fatalf("request: auth %q subject %q query %q", gotAuth, gotSubject, gotQuery)
	}
	for _, want := range []string{"ID", "NUMBER", "+14155551234", "Support", "More: naive phone list --cursor c2", "naive phone get ph-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestServeEnv(t *testing.T) {
	var stderr strings.Builder
	getenv := func(k string) string {
		return map[string]string{"NAIVE_PHONE_PRICE": "fifty"}[k]
	}
	code := Run(t.Context(), []string{"serve"}, getenv, strings.NewReader(""), io.Discard, &stderr)
	if code != ExitUsage || !strings.Contains(stderr.String(), "NAIVE_PHONE_PRICE") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
