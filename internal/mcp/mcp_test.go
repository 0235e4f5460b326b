package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/mcp"
	"github.com/naive-oss/naive/internal/naive"
)

// naiveBin is the naive binary, built once for the stdio tests.
var naiveBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "naive-mcp-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	naiveBin = filepath.Join(dir, "naive")
	build := exec.Command("go", "build", "-o", naiveBin, "github.com/naive-oss/naive/cmd/naive")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build naive:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminPassword = "correct horse battery staple"

// startServer boots a real server on :0 with a temp SQLite database.
func startServer(t *testing.T) *app.App {
	t.Helper()
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "n.db"), AdminPassword: adminPassword,
		SandboxReviewDelay: time.Minute, PollInterval: time.Second, FormationDelay: time.Millisecond})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// fakeService answers the calls a test sets and panics on the others.
type fakeService struct {
	naive.Service
	provision func(subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error)
	getPhone  func(subjectID, id string) (*naive.Phone, error)
}

func (f *fakeService) ProvisionPhone(_ context.Context, subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	return f.provision(subjectID, req)
}

func (f *fakeService) GetPhone(_ context.Context, subjectID, id string) (*naive.Phone, error) {
	return f.getPhone(subjectID, id)
}

// connect runs an MCP server over svc and returns a client session to it.
func connect(t *testing.T, svc naive.Service) *sdk.ClientSession {
	t.Helper()
	ct, st := sdk.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := mcp.NewServer(svc).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) *sdk.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

// structured returns a result's structured content as a map.
func structured(t *testing.T, res *sdk.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return m
}

func text(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestUserErrorIsToolResult checks a user-fixable failure is an isError
// result carrying the code and hint in text and structured content.
func TestUserErrorIsToolResult(t *testing.T) {
	t.Parallel()
	svc := &fakeService{provision: func(string, naive.ProvisionRequest) (*naive.ProvisionResult, error) {
		return nil, (&naive.Error{Code: naive.EInsufficientCredits, Message: "Not enough credits: 50 needed, 10 left."}).
			WithHint("A human can grant credits.").With("credits_needed", 50)
	}}
	res := call(t, connect(t, svc), "naive_phone_provision", map[string]any{"area_code": "415"})
	if !res.IsError {
		t.Fatal("not an error result")
	}
	if got := text(res); !strings.Contains(got, "insufficient_credits") || !strings.Contains(got, "A human can grant credits.") {
		t.Fatalf("text %q lacks the code or the hint", got)
	}
	e := structured(t, res)["error"].(map[string]any)
	if e["code"] != "insufficient_credits" || e["hint"] != "A human can grant credits." || e["details"].(map[string]any)["credits_needed"] != 50.0 {
		t.Fatalf("structured error %v", e)
	}
}

// TestBugIsGoError checks an internal error is not dressed as a user error:
// the handler returns a Go error (the SDK reports it without our structure).
func TestBugIsGoError(t *testing.T) {
	t.Parallel()
	svc := &fakeService{getPhone: func(string, string) (*naive.Phone, error) {
		return nil, errors.New("database on fire")
	}}
	res := call(t, connect(t, svc), "naive_phone_get", map[string]any{"id": "x"})
	if !res.IsError || res.StructuredContent != nil || !strings.Contains(text(res), "database on fire") {
		t.Fatalf("result %+v, text %q", res, text(res))
	}
}

// TestPendingApprovalIsResult checks a gated provision is a normal result
// that names the approval.
func TestPendingApprovalIsResult(t *testing.T) {
	t.Parallel()
	var gotSubject string
	svc := &fakeService{provision: func(subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
		gotSubject = subjectID
		return &naive.ProvisionResult{Pending: &naive.PendingApproval{Status: "pending_approval", ApprovalID: "apr_123",
			Action: "phone.provision", Primitive: "phone", Title: "Provision a number for Acme", Message: "A human must approve."}}, nil
	}}
	res := call(t, connect(t, svc), "naive_phone_provision", map[string]any{"ein": "12-3456789", "subject_id": "sub-9"})
	if res.IsError {
		t.Fatalf("pending approval reported as an error: %s", text(res))
	}
	m := structured(t, res)
	if m["status"] != "pending_approval" || m["approval"].(map[string]any)["id"] != "apr_123" || m["phone"] != nil {
		t.Fatalf("structured %v", m)
	}
	if gotSubject != "sub-9" {
		t.Fatalf("subject %q did not reach the service", gotSubject)
	}
}

// TestStdio drives `naive mcp` — the built binary, spawned by the SDK's
// client over stdio — against a real server.
func TestStdio(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	cmd := exec.Command(naiveBin, "mcp")
	cmd.Env = append(os.Environ(), "NAIVE_API_URL="+a.URL(), "NAIVE_API_KEY="+a.Bootstrapped().TestKey,
		"NAIVE_CONFIG="+filepath.Join(t.TempDir(), "config.json"))
	cmd.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to naive mcp: %v", err)
	}
	defer cs.Close()
	journey(t, cs, a)
}

// journey lists the tools, provisions a number, reads it back and hits a
// user error, through whatever transport cs uses.
func journey(t *testing.T, cs *sdk.ClientSession, a *app.App) {
	t.Helper()
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != len(mcp.Tools()) {
		t.Fatalf("%d tools listed, want %d", len(tools.Tools), len(mcp.Tools()))
	}
	for _, tl := range tools.Tools {
		if tl.OutputSchema == nil || tl.Annotations == nil {
			t.Fatalf("%s listed without output schema or annotations", tl.Name)
		}
	}
	status := structured(t, call(t, cs, "naive_status", nil))
	if status["credits"].(map[string]any)["balance"] != 1000.0 || status["formation"].(map[string]any)["status"] != naive.FormationCompleted {
		t.Fatalf("naive_status %v", status)
	}

	res := call(t, cs, "naive_phone_provision", map[string]any{"ein": "12-3456789", "area_code": "415", "label": "Support"})
	if res.IsError {
		t.Fatalf("provision failed: %s", text(res))
	}
	m := structured(t, res)
	phone := m["phone"].(map[string]any)
	if m["status"] != "provisioned" || m["credits_used"] != 50.0 || m["credits_remaining"] != 950.0 ||
		!strings.HasPrefix(phone["e164"].(string), "+1415") || phone["capabilities"].(map[string]any)["sms_inbound"] != true {
		t.Fatalf("provision %v", m)
	}
	id := phone["id"].(string)
	got := structured(t, call(t, cs, "naive_phone_get", map[string]any{"id": id}))
	if got["e164"] != phone["e164"] || got["label"] != "Support" {
		t.Fatalf("get %v", got)
	}
	list := structured(t, call(t, cs, "naive_phone_list", nil))
	if phones := list["phones"].([]any); len(phones) != 1 || phones[0].(map[string]any)["id"] != id {
		t.Fatalf("list %v", list)
	}
	pipeline := structured(t, call(t, cs, "naive_phone_status", nil))
	if camps := pipeline["campaigns"].([]any); len(camps) != 1 || pipeline["brand"] == nil {
		t.Fatalf("status %v", pipeline)
	}

	// A user error: no inventory in the sandbox's magic area code.
	bad := call(t, cs, "naive_phone_provision", map[string]any{"area_code": "555"})
	if !bad.IsError || structured(t, bad)["error"].(map[string]any)["code"] != naive.ENoMatchingNumbers ||
		!strings.Contains(text(bad), "Hint:") {
		t.Fatalf("no_matching_numbers result: isError=%v %s", bad.IsError, text(bad))
	}
	missing := call(t, cs, "naive_phone_get", map[string]any{"id": "01a2239c-0000-7000-8000-000000000000"})
	if !missing.IsError || structured(t, missing)["error"].(map[string]any)["code"] != naive.ENotFound {
		t.Fatalf("not_found result: %s", text(missing))
	}

	released := structured(t, call(t, cs, "naive_phone_release", map[string]any{"id": id}))
	if released["status"] != naive.PhoneReleased {
		t.Fatalf("release %v", released)
	}
	if n := len(a.Sandbox().AllNumbers()); n != 0 {
		t.Fatalf("%d numbers left at the carrier after release", n)
	}
}

// bearer adds a bearer token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func connectHTTP(t *testing.T, a *app.App, token string) (*sdk.ClientSession, error) {
	t.Helper()
	tr := &sdk.StreamableClientTransport{Endpoint: a.URL() + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}, Timeout: 30 * time.Second}}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(), tr, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

// TestHTTP drives /mcp on `naive serve` with the SDK's streamable HTTP
// client: the same journey, then a key revoked mid-session fails on its
// next call.
func TestHTTP(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	cs, err := connectHTTP(t, a, a.Bootstrapped().TestKey)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	journey(t, cs, a)

	// An agent's number for another subject waits for a human: a normal
	// result that names the approval, not an error.
	ctx := context.Background()
	agent, _ := client.New(client.Options{BaseURL: a.URL(), Token: a.Bootstrapped().TestKey})
	acme, err := agent.CreateSubject(ctx, naive.SubjectProfile{LegalName: "Acme Robotics LLC", State: "DE", Website: "https://acme.example",
		Industry: "technology", PrivacyPolicyURL: "https://acme.example/privacy", TermsURL: "https://acme.example/terms",
		Address: naive.Address{Line1: "1 Main St", City: "Dover", Region: "DE", PostalCode: "19901", Country: "US"},
		Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example", Phone: "+13025550100", Title: "ceo"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.StartFormation(ctx, acme.ID, naive.FormationRequest{EntityType: "LLC", State: "DE"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // the simulated filing completes after 1ms
	res := call(t, cs, "naive_phone_provision", map[string]any{"ein": "12-3456789", "subject_id": acme.ID})
	if res.IsError {
		t.Fatalf("pending approval as an error: %s", text(res))
	}
	if m := structured(t, res); m["status"] != "pending_approval" || m["approval"].(map[string]any)["id"] == "" {
		t.Fatalf("provision for another subject: %v", m)
	}

	if _, err := connectHTTP(t, a, "nv_sk_test_unknown"); err == nil {
		t.Fatal("an unknown key connected")
	}

	// A fresh key, revoked while its session is open.
	anon, _ := client.New(client.Options{BaseURL: a.URL()})
	login, err := anon.Login(ctx, naive.LoginRequest{Email: "admin@localhost", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	human, _ := client.New(client.Options{BaseURL: a.URL(), Token: login.Token, Mode: naive.ModeTest})
	key, err := human.CreateKey(ctx, naive.KeyRequest{Name: "mcp", Mode: naive.ModeTest})
	if err != nil {
		t.Fatal(err)
	}
	cs2, err := connectHTTP(t, a, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if res := call(t, cs2, "naive_status", nil); res.IsError {
		t.Fatalf("status with a fresh key: %s", text(res))
	}
	if _, err := human.RevokeKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	res, err = cs2.CallTool(ctx, &sdk.CallToolParams{Name: "naive_status"})
	t.Logf("call with the revoked key: %v", err)
	if err == nil && !res.IsError {
		t.Fatalf("a revoked key still works: %s", text(res))
	}
	if err != nil && !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Fatalf("revoked key failed for another reason: %v", err)
	}
}
