package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// approvalService serves GetApproval from a sequence of states.
type approvalService struct {
	naive.Service
	states []naive.Approval
	calls  int
}

func (s *approvalService) GetApproval(_ context.Context, id string) (*naive.Approval, error) {
	a := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	a.ID = id
	return &a, nil
}

func pendingApproval() naive.Approval {
	return naive.Approval{Action: "phone.provision", Primitive: "phone", Title: "Provision a local phone number for Acme",
		Status: naive.ApprovalPending, Cost: 50, SubjectID: "sub-1", RequestedBy: naive.Actor{Type: "agent", ID: "key-1"},
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(72 * time.Hour), Payload: json.RawMessage(`{"ein":"12-3456789"}`)}
}

// TestApprovalsWatch checks watch's exit codes: 0 executed, 1 failed, denied
// or expired (with the error or reason), 8 still pending after --timeout;
// in JSON mode stdout is one document either way.
func TestApprovalsWatch(t *testing.T) {
	t.Parallel()
	res := provisioned().Provisioned
	raw, _ := json.Marshal(res)
	executed := pendingApproval()
	executed.Status, executed.Result = naive.ApprovalExecuted, raw
	failed := pendingApproval()
	failed.Status = naive.ApprovalFailed
	failed.Error = &naive.ErrorObject{Code: naive.EInsufficientCredits, Message: "Not enough credits.", Hint: "Grant credits."}
	denied := pendingApproval()
	denied.Status, denied.Reason = naive.ApprovalDenied, "One number is enough"
	denied.ResolvedBy = &naive.Actor{Type: "human", ID: "user-1"}
	expired := pendingApproval()
	expired.Status = naive.ApprovalExpired

	cases := []struct {
		name    string
		final   naive.Approval
		timeout time.Duration
		code    int
		errText string
	}{
		{"executed", executed, time.Minute, ExitOK, ""},
		{"failed", failed, time.Minute, ExitError, "Not enough credits."},
		{"denied", denied, time.Minute, ExitError, "denied by human user-1: One number is enough"},
		{"expired", expired, time.Minute, ExitError, "expired at"},
		{"timeout", pendingApproval(), 30 * time.Millisecond, ExitWaitTimeout, "timed out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			svc := &approvalService{states: []naive.Approval{pendingApproval(), pendingApproval(), c.final}}
			f, out, _ := testFactory(t, svc, false)
			opts := &ApprovalsWatchOptions{IO: f.IO, Service: f.Service, JSON: true, ID: "apr-1", Timeout: c.timeout,
				Interval: time.Millisecond, Now: time.Now}
			if c.name == "timeout" {
				opts.Interval = 10 * time.Millisecond
			}
			err := approvalsWatchRun(context.Background(), opts)
			if got := ExitCode(err); got != c.code {
				t.Fatalf("exit %d (%v), want %d", got, err, c.code)
			}
			if c.errText != "" && (err == nil || !strings.Contains(err.Error(), c.errText)) {
				t.Fatalf("error %v lacks %q", err, c.errText)
			}
			var m map[string]any
			if jerr := json.Unmarshal(out.Bytes(), &m); jerr != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", jerr, out)
			}
			if c.name != "timeout" && svc.calls < 3 {
				t.Fatalf("watch stopped after %d reads, before the decision", svc.calls)
			}
		})
	}
}

// TestApprovalsWatchProgress checks the progress indicator shows on a
// terminal's stderr only, and that a failed approval prints its hint.
func TestApprovalsWatchProgress(t *testing.T) {
	t.Parallel()
	failed := pendingApproval()
	failed.Status = naive.ApprovalFailed
	failed.Error = &naive.ErrorObject{Code: naive.ENoMatchingNumbers, Message: "No numbers in 555.", Hint: "Try another area code."}
	for _, tty := range []bool{true, false} {
		svc := &approvalService{states: []naive.Approval{pendingApproval(), pendingApproval(), failed}}
		f, out, errOut := testFactory(t, svc, true)
		f.IO.stderrTTY = tty
		opts := &ApprovalsWatchOptions{IO: f.IO, Service: f.Service, ID: "apr-1", Timeout: time.Minute, Interval: time.Millisecond, Now: time.Now}
		err := approvalsWatchRun(context.Background(), opts)
		if ExitCode(err) != ExitError {
			t.Fatalf("tty=%v: exit %d", tty, ExitCode(err))
		}
		if got := strings.Contains(errOut.String(), "Waiting for a human"); got != tty {
			t.Fatalf("tty=%v: progress shown=%v: %q", tty, got, errOut)
		}
		if !strings.Contains(out.String(), "Status:") || !strings.Contains(out.String(), "Try another area code.") {
			t.Fatalf("human output:\n%s", out)
		}
		var buf bytes.Buffer
		printError(&buf, err)
		if !strings.Contains(buf.String(), "(no_matching_numbers)") || !strings.Contains(buf.String(), "Hint: Try another area code.") {
			t.Fatalf("printed error %q", buf.String())
		}
	}
}

// TestPrintApproval checks the human view holds what a human decides on:
// cost, title, status, requester, expiry and the next commands.
func TestPrintApproval(t *testing.T) {
	t.Parallel()
	a := pendingApproval()
	a.ID = "apr-9"
	var buf bytes.Buffer
	printApproval(&buf, &a)
	approvalNextSteps(&buf, &a)
	for _, want := range []string{"Provision a local phone number for Acme", "Status:", "pending", "Cost:", "50 credits",
		"Requested by:", "agent key key-1", "Expires:", "naive approvals approve apr-9", "naive approvals deny apr-9 --reason",
		`{"ein":"12-3456789"}`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}

	raw, _ := json.Marshal(provisioned().Provisioned)
	a.Status, a.Result = naive.ApprovalExecuted, raw
	buf.Reset()
	printApproval(&buf, &a)
	approvalNextSteps(&buf, &a)
	for _, want := range []string{"+14155551234 provisioned (phone ph-1)", "50 used, 950 remaining", "naive --subject sub-1 phone get ph-1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("executed output lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestApprovalsCommandsUsage checks the approvals commands' usage errors
// exit 2 through Run, before any call.
func TestApprovalsCommandsUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"approvals", "deny", "apr-1"},
		{"approvals", "deny", "apr-1", "--reason", "  "},
		{"approvals", "approve"},
		{"approvals", "list", "--status", "maybe"},
		{"approvals", "watch", "apr-1", "--timeout", "0s"},
		{"approvals", "bogus"},
		{"phone", "send", "--from", "ph-1", "--to", "+14155550123"},
		{"phone", "assign", "ph-1"},
		{"phone", "assign", "ph-1", "--agent-id", "ag-1", "--permissions", "call"},
		{"phone", "unassign", "ph-1"},
		{"webhooks", "create"},
		{"events", "list", "--follow", "--cursor", "x"},
		{"account-kits", "create", "--name", "k", "--requires-approval", "maybe"},
		{"account-kits", "assign", "kit-1"},
		{"sandbox", "sms", "--to", "+14155551234"},
		{"sandbox", "surge", "--webhook-secret", "nope"},
	} {
		var out, errOut bytes.Buffer
		env := map[string]string{"NAIVE_CONFIG": filepath.Join(t.TempDir(), "c.json"), "NAIVE_API_KEY": "nv_sk_test_x",
			"NAIVE_API_URL": "http://127.0.0.1:1"}
		code := Run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if code != ExitUsage {
			t.Errorf("naive %s: exit %d, want 2; stderr:\n%s", strings.Join(args, " "), code, errOut.String())
		}
	}
}

// TestPendingPrintsApproveCommand checks a gated provision names the exact
// approve command on stdout (terminal) and on stderr (always), and exits 6.
func TestPendingPrintsApproveCommand(t *testing.T) {
	t.Parallel()
	svc := &fakeService{provision: func(req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
		return &naive.ProvisionResult{Pending: &naive.PendingApproval{Status: "pending_approval", ApprovalID: "apr_42",
			Action: "phone.provision", Primitive: "phone", Title: "Provision a number for Acme"}}, nil
	}}
	f, out, _ := testFactory(t, svc, true)
	opts := &PhoneProvisionOptions{IO: f.IO, Service: f.Service, Now: time.Now, Timeout: time.Minute, Interval: time.Second}
	err := phoneProvisionRun(context.Background(), opts)
	if ExitCode(err) != ExitPending {
		t.Fatalf("exit %d", ExitCode(err))
	}
	if !strings.Contains(out.String(), "naive approvals approve apr_42") {
		t.Fatalf("stdout lacks the approve command:\n%s", out)
	}
	var buf bytes.Buffer
	printError(&buf, err)
	if !strings.Contains(buf.String(), "`naive approvals approve apr_42`") {
		t.Fatalf("stderr lacks the approve command: %q", buf.String())
	}
}

// TestComplianceErrorShowsCampaign checks compliance_pending prints the
// campaign status and exits 1.
func TestComplianceErrorShowsCampaign(t *testing.T) {
	t.Parallel()
	err := (&naive.Error{Code: naive.ECompliancePending, Message: "Outbound SMS unlocks when the carriers approve the campaign; it is in_review."}).
		WithHint("Nothing was sent or charged.").With("campaign_status", "in_review").With("retryable", true)
	var buf bytes.Buffer
	printError(&buf, err)
	if !strings.Contains(buf.String(), "Campaign status: in_review (retry once it is active") {
		t.Fatalf("printed %q", buf.String())
	}
	if ExitCode(err) != ExitError {
		t.Fatalf("exit %d", ExitCode(err))
	}
	if ExitCode(&exitError{code: ExitError, err: naive.Errorf(naive.EInsufficientCredits, "x")}) != ExitError {
		t.Fatal("an explicit exit code must win over the wrapped error's")
	}
	if !errors.Is(&exitError{code: 1, err: context.Canceled}, context.Canceled) {
		t.Fatal("exitError does not unwrap")
	}
}
