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
	m := structured(t, res)
	if m["status"] != "pending_approval" || m["approval"].(map[string]any)["id"] == "" {
		t.Fatalf("provision for another subject: %v", m)
	}
	approvalID := m["approval"].(map[string]any)["id"].(string)

	// The approvals tools: the pending approval is a normal result, with
	// its cost and the next step; after a human approves, the result holds
	// the number, bought once.
	lst := call(t, cs, "naive_approvals_list", map[string]any{"status": "pending"})
	if lst.IsError {
		t.Fatalf("approvals list: %s", text(lst))
	}
	if l := structured(t, lst)["approvals"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != approvalID ||
		l[0].(map[string]any)["cost"] != 50.0 || l[0].(map[string]any)["subject_id"] != acme.ID {
		t.Fatalf("pending approvals %v", l)
	}
	got := call(t, cs, "naive_approvals_get", map[string]any{"id": approvalID})
	if got.IsError {
		t.Fatalf("approvals get: %s", text(got))
	}
	if g := structured(t, got); g["status"] != "pending" || g["requested_by"].(map[string]any)["actor_type"] != "agent" ||
		g["request"].(map[string]any)["ein"] != "**-***6789" || !strings.Contains(g["next_step"].(string), "Waiting for a human") {
		t.Fatalf("pending approval %v", g)
	}
	anon0, _ := client.New(client.Options{BaseURL: a.URL()})
	login0, err := anon0.Login(ctx, naive.LoginRequest{Email: "admin@localhost", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := client.New(client.Options{BaseURL: a.URL(), Token: login0.Token, Mode: naive.ModeTest})
	if _, err := admin.ApproveApproval(ctx, approvalID, naive.ApproveRequest{}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	g := structured(t, call(t, cs, "naive_approvals_get", map[string]any{"id": approvalID}))
	r, _ := g["result"].(map[string]any)
	if g["status"] != "executed" || r == nil || !strings.HasPrefix(r["phone"].(map[string]any)["e164"].(string), "+1") ||
		g["resolved_by"].(map[string]any)["actor_type"] != "human" {
		t.Fatalf("executed approval %v", g)
	}
	phones := structured(t, call(t, cs, "naive_phone_list", map[string]any{"subject_id": acme.ID}))["phones"].([]any)
	if len(phones) != 1 || phones[0].(map[string]any)["id"] != r["phone"].(map[string]any)["id"] {
		t.Fatalf("subject's numbers after approval %v", phones)
	}
	if nf := call(t, cs, "naive_approvals_get", map[string]any{"id": "01a2239c-0000-7000-8000-000000000000"}); !nf.IsError ||
		structured(t, nf)["error"].(map[string]any)["code"] != naive.ENotFound {
		t.Fatalf("unknown approval: %s", text(nf))
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

// sendService answers SendSMS and GetApproval.
type sendService struct {
	naive.Service
	send func(subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error)
}

func (s *sendService) SendSMS(_ context.Context, subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
	return s.send(subjectID, phoneID, req)
}

// TestCompliancePendingIsToolError checks sending before the campaign is
// active is an isError result whose details carry the campaign status and
// retryable, so the agent knows to wait rather than give up.
func TestCompliancePendingIsToolError(t *testing.T) {
	t.Parallel()
	var got naive.SendRequest
	svc := &sendService{send: func(_, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
		got = req
		return nil, (&naive.Error{Code: naive.ECompliancePending, Message: "Outbound SMS unlocks when the carriers approve the campaign; it is in_review."}).
			WithHint("Nothing was sent or charged.").With("campaign_status", "in_review").With("retryable", true)
	}}
	res := call(t, connect(t, svc), "naive_phone_send", map[string]any{"phone_id": "ph-1", "to": "+14155550123", "body": "hi"})
	if !res.IsError {
		t.Fatal("not an error result")
	}
	e := structured(t, res)["error"].(map[string]any)
	d := e["details"].(map[string]any)
	if e["code"] != naive.ECompliancePending || d["campaign_status"] != "in_review" || d["retryable"] != true {
		t.Fatalf("structured error %v", e)
	}
	if got != (naive.SendRequest{To: "+14155550123", Body: "hi"}) {
		t.Fatalf("request %+v", got)
	}
	// A missing required input is refused before the service is called.
	bad, err := connect(t, svc).CallTool(context.Background(), &sdk.CallToolParams{Name: "naive_phone_send", Arguments: map[string]any{"phone_id": "ph-1"}})
	if err == nil && !bad.IsError {
		t.Fatal("naive_phone_send without to and body was accepted")
	}
}

// TestMessagingStdio drives the messaging tools through `naive mcp` (the
// built binary, over the Go client) against a real server: preflight,
// send before the campaign is active (compliance_pending), an inbound text
// via the sandbox, messages and read, then a send once the campaign is
// active, and agents on the number.
func TestMessagingStdio(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	cmd := exec.Command(naiveBin, "mcp")
	cmd.Env = append(os.Environ(), "NAIVE_API_URL="+a.URL(), "NAIVE_API_KEY="+a.Bootstrapped().TestKey,
		"NAIVE_CONFIG="+filepath.Join(t.TempDir(), "config.json"))
	cmd.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to naive mcp: %v", err)
	}
	defer cs.Close()

	pf := structured(t, call(t, cs, "naive_phone_preflight", map[string]any{"ein": "12-3456789", "area_code": "415"}))
	if pf["ready"] != true || pf["approval_required"] != false || len(pf["checks"].([]any)) == 0 {
		t.Fatalf("preflight %v", pf)
	}
	prov := structured(t, call(t, cs, "naive_phone_provision", map[string]any{"ein": "12-3456789", "area_code": "415"}))
	phone := prov["phone"].(map[string]any)
	phoneID, e164 := phone["id"].(string), phone["e164"].(string)

	early := call(t, cs, "naive_phone_send", map[string]any{"phone_id": phoneID, "to": "+14155550123", "body": "too early"})
	if !early.IsError {
		t.Fatalf("send before the campaign is active: %s", text(early))
	}
	if e := structured(t, early)["error"].(map[string]any); e["code"] != naive.ECompliancePending ||
		e["details"].(map[string]any)["retryable"] != true {
		t.Fatalf("compliance error %v", e)
	}

	agent, _ := client.New(client.Options{BaseURL: a.URL(), Token: a.Bootstrapped().TestKey})
	if _, err := agent.SandboxSMS(ctx, e164, "+14155550123", "Is my order ready?"); err != nil {
		t.Fatalf("sandbox sms: %v", err)
	}
	var msgs []any
	waitFor(t, "the inbound text", func() bool {
		m := structured(t, call(t, cs, "naive_phone_messages", map[string]any{"phone_id": phoneID}))
		msgs = m["messages"].([]any)
		return len(msgs) == 1
	})
	in := msgs[0].(map[string]any)
	if in["direction"] != "inbound" || in["body"] != "Is my order ready?" || in["from"] != "+14155550123" {
		t.Fatalf("inbound %v", in)
	}
	read := structured(t, call(t, cs, "naive_phone_read", map[string]any{"id": in["id"]}))
	if read["body"] != "Is my order ready?" || read["received_at"] == "" {
		t.Fatalf("read %v", read)
	}
	// Waiting for the next text: nothing within a second, then the code
	// as soon as it arrives.
	none := structured(t, call(t, cs, "naive_phone_wait_for_text", map[string]any{"phone_id": phoneID, "after": in["id"], "timeout_seconds": 1}))
	if none["received"] != false || len(none["codes"].([]any)) != 0 || none["next_step"] == "" {
		t.Fatalf("wait without a text %v", none)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = agent.SandboxSMS(ctx, e164, "+18885550123", "G-123456 is your Google verification code.")
	}()
	got := structured(t, call(t, cs, "naive_phone_wait_for_text", map[string]any{"phone_id": phoneID, "after": in["id"], "timeout_seconds": 20}))
	if got["received"] != true || fmt.Sprint(got["codes"]) != "[G-123456 123456]" ||
		got["message"].(map[string]any)["body"] != "G-123456 is your Google verification code." ||
		fmt.Sprint(got["message"].(map[string]any)["codes"]) != "[G-123456 123456]" {
		t.Fatalf("wait %v", got)
	}

	for _, c := range a.Sandbox().Campaigns() {
		if err := a.Sandbox().SetCampaignStatus(c.ID, "active"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "outbound to unlock", func() bool {
		p := structured(t, call(t, cs, "naive_phone_get", map[string]any{"id": phoneID}))
		return p["capabilities"].(map[string]any)["sms_outbound"] == true
	})
	sent := call(t, cs, "naive_phone_send", map[string]any{"phone_id": phoneID, "to": "+14155550123", "body": "Yes, it shipped today."})
	if sent.IsError {
		t.Fatalf("send: %s", text(sent))
	}
	s := structured(t, sent)
	if s["status"] != "queued" || s["segments"] != 1.0 || s["credits_used"] != 1.0 || s["credits_remaining"] != 949.0 {
		t.Fatalf("send %v", s)
	}
	waitFor(t, "delivery", func() bool {
		return structured(t, call(t, cs, "naive_phone_read", map[string]any{"id": s["id"]}))["status"] == "delivered"
	})

	bot, err := agent.CreateAgent(ctx, naive.AgentRequest{Name: "support-bot"})
	if err != nil {
		t.Fatal(err)
	}
	as := structured(t, call(t, cs, "naive_phone_assign", map[string]any{"phone_id": phoneID, "agent_id": bot.ID, "permissions": []string{"receive_sms"}}))
	if as["agent_id"] != bot.ID || fmt.Sprint(as["permissions"]) != "[receive_sms]" {
		t.Fatalf("assign %v", as)
	}
	list := structured(t, call(t, cs, "naive_phone_assignments", map[string]any{"phone_id": phoneID}))
	if l := list["assignments"].([]any); len(l) != 1 || l[0].(map[string]any)["agent_id"] != bot.ID {
		t.Fatalf("assignments %v", list)
	}
	missing := call(t, cs, "naive_phone_messages", map[string]any{"phone_id": "01a2239c-0000-7000-8000-000000000000"})
	if !missing.IsError || structured(t, missing)["error"].(map[string]any)["code"] != naive.ENotFound {
		t.Fatalf("messages of an unknown number: %s", text(missing))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
