package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/api"
	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// check returns the named check of checks, failing the test without it.
func check(t *testing.T, checks []naive.PreflightCheck, name string) naive.PreflightCheck {
	t.Helper()
	for _, c := range checks {
		if c.Check == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, checks)
	return naive.PreflightCheck{}
}

// brandAccount provisions the subject's first number and returns the
// carrier account of its brand, as PhoneStatus shows it.
func (f *fixture) brandAccount(t *testing.T) (string, *naive.Phone) {
	t.Helper()
	res, err := f.svc.ProvisionPhone(f.ctx, "", firstNumber)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand == nil || st.Brand.CarrierID == "" {
		t.Fatalf("brand %+v, want one registered at the carrier", st.Brand)
	}
	return st.Brand.CarrierID, &res.Provisioned.Phone
}

// TestStatusWithTheCarrierWell: with the carrier holding everything, the
// carrier checks pass and nothing else changes.
func TestStatusWithTheCarrierWell(t *testing.T) {
	f := setup(t)
	acct, _ := f.brandAccount(t)
	pf, err := f.svc.Preflight(f.ctx, "", naive.ProvisionRequest{AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	if c := check(t, pf.Checks, "carrier_account"); !c.OK || c.Status != naive.CheckOK || !strings.Contains(c.Detail, acct) {
		t.Fatalf("carrier_account %+v, want ok naming %s", c, acct)
	}
	if !pf.Ready {
		t.Fatalf("preflight %+v, want ready", pf.Checks)
	}
	for _, c := range pf.Checks {
		if want := map[bool]string{true: naive.CheckOK, false: naive.CheckFailed}[c.OK]; c.Status != want {
			t.Errorf("check %s: ok %v, status %q; want %q", c.Check, c.OK, c.Status, want)
		}
	}
	st, err := f.svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Checks) != 2 || !st.Checks[0].OK || !st.Checks[1].OK || st.Checks[1].Check != "carrier_numbers" {
		t.Fatalf("checks %+v, want carrier_account and carrier_numbers ok", st.Checks)
	}
	if !strings.HasPrefix(st.NextStep, "Inbound SMS works now") {
		t.Fatalf("next step %q", st.NextStep)
	}
}

// TestStatusWhenTheCarrierLostTheAccount: the carrier no longer has the
// brand's account (a memory-only sandbox restarted, a standalone one
// reset, an account archived at the carrier): preflight is not ready and
// says why and what to do, and status's next step says it instead of
// "works now" — each with one carrier request.
func TestStatusWhenTheCarrierLostTheAccount(t *testing.T) {
	f := setup(t)
	acct, _ := f.brandAccount(t)
	f.cr.forgotten[acct] = true

	before := f.cr.lookups
	pf, err := f.svc.Preflight(f.ctx, "", naive.ProvisionRequest{AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.cr.lookups - before; n != 1 {
		t.Errorf("preflight asked the carrier %d times, want once", n)
	}
	c := check(t, pf.Checks, "carrier_account")
	if pf.Ready || c.OK || c.Status != naive.CheckFailed {
		t.Fatalf("ready %v, carrier_account %+v; want not ready, failed", pf.Ready, c)
	}
	if !strings.Contains(c.Detail, "has no account "+acct) || !strings.Contains(c.Detail, "sandbox") {
		t.Errorf("detail %q, want it to name the missing sandbox account", c.Detail)
	}
	if !strings.Contains(c.Fix, "POST /v1/subjects") {
		t.Errorf("fix %q, want the REST route to a new subject", c.Fix)
	}
	// The sandbox is durable: the hint names what loses an account now,
	// and the wrong sandbox as a fixable cause.
	for _, want := range []string{"keeps its state in the database", "memory-only", "archived", "--sandbox-url"} {
		if !strings.Contains(c.Detail, want) {
			t.Errorf("detail %q, want it to say %q", c.Detail, want)
		}
	}
	if strings.Contains(c.Detail, "keeps its state in memory") {
		t.Errorf("detail %q still says the sandbox keeps its state in memory", c.Detail)
	}
	if !strings.Contains(c.Fix, "--sandbox-url") {
		t.Errorf("fix %q, want pointing at the right sandbox", c.Fix)
	}

	before = f.cr.lookups
	st, err := f.svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := f.cr.lookups - before; n != 1 {
		t.Errorf("status asked the carrier %d times, want once", n)
	}
	if len(st.Checks) != 1 || st.Checks[0].Check != "carrier_account" || st.Checks[0].Status != naive.CheckFailed {
		t.Fatalf("checks %+v, want carrier_account failed alone", st.Checks)
	}
	if !strings.Contains(st.Checks[0].Detail, "1 active number") {
		t.Errorf("detail %q, want the numbers lost with it", st.Checks[0].Detail)
	}
	if !strings.Contains(st.NextStep, "lost the subject's brand account") || !strings.Contains(st.NextStep, "POST /v1/subjects") {
		t.Errorf("next step %q, want the account's fix", st.NextStep)
	}
}

// TestStatusWhenTheCarrierLostANumber: of many numbers, the one the
// carrier no longer holds is named, found with one carrier request (not
// one per number), with how to replace it.
func TestStatusWhenTheCarrierLostANumber(t *testing.T) {
	f := setup(t)
	_, first := f.brandAccount(t)
	for range 4 {
		if _, err := f.svc.ProvisionPhone(f.ctx, "", naive.ProvisionRequest{AreaCode: "415"}); err != nil {
			t.Fatal(err)
		}
	}
	// The carrier loses the first number (as if it took it back).
	if err := f.cr.ReleaseNumber(context.Background(), first.CarrierID); err != nil {
		t.Fatal(err)
	}
	before := f.cr.lookups
	st, err := f.svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := f.cr.lookups - before; n != 1 {
		t.Errorf("status asked the carrier %d times for 5 numbers, want once", n)
	}
	if c := check(t, st.Checks, "carrier_account"); c.Status != naive.CheckOK {
		t.Fatalf("carrier_account %+v, want ok", c)
	}
	c := check(t, st.Checks, "carrier_numbers")
	if c.OK || c.Status != naive.CheckFailed || !strings.Contains(c.Detail, "1 of the subject's 5") || !strings.Contains(c.Detail, first.E164) {
		t.Fatalf("carrier_numbers %+v, want failed naming %s", c, first.E164)
	}
	for _, ph := range st.Numbers {
		if ph.ID != first.ID && strings.Contains(c.Detail, ph.E164) {
			t.Errorf("detail %q names %s, which the carrier holds", c.Detail, ph.E164)
		}
	}
	if !strings.Contains(c.Fix, "DELETE /v1/phone/{id}") || !strings.Contains(st.NextStep, "DELETE /v1/phone/{id}") {
		t.Errorf("fix %q, next step %q; want the release route", c.Fix, st.NextStep)
	}
	// The fix works: the release succeeds, and status is whole again.
	if _, err := f.svc.ReleasePhone(f.ctx, "", first.ID); err != nil {
		t.Fatal(err)
	}
	st, err = f.svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if c := check(t, st.Checks, "carrier_numbers"); c.Status != naive.CheckOK || !strings.Contains(c.Detail, "4 active") {
		t.Fatalf("after the release: %+v", c)
	}
}

// TestCarrierDownIsNotMissing: when the carrier fails, is rate limiting or
// does not answer, the checks say they could not check — not that the
// account is gone — with when to retry, and the reads still answer 200.
func TestCarrierDownIsNotMissing(t *testing.T) {
	for _, tc := range []struct {
		name, why, when string
		outage          error
	}{
		{"outage", "failed or could not be reached", "in a minute",
			&carrier.Error{Kind: carrier.Unavailable, Message: "Surge could not be reached"}},
		{"rate limited", "rate limiting", "after 30s",
			&carrier.Error{Kind: carrier.RateLimited, Message: "slow down", RetryAfter: 30 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.brandAccount(t)
			f.cr.outage = tc.outage
			pf, err := f.svc.Preflight(f.ctx, "", naive.ProvisionRequest{AreaCode: "415"})
			if err != nil {
				t.Fatalf("preflight with the carrier down: %v", err)
			}
			c := check(t, pf.Checks, "carrier_account")
			if pf.Ready || c.OK || c.Status != naive.CheckUnknown {
				t.Fatalf("ready %v, carrier_account %+v; want not ready, unknown", pf.Ready, c)
			}
			unchecked(t, c, tc.why, "Retry GET /v1/phone/preflight "+tc.when)

			st, err := f.svc.PhoneStatus(f.ctx, "")
			if err != nil {
				t.Fatalf("status with the carrier down: %v", err)
			}
			if len(st.Checks) != 2 {
				t.Fatalf("checks %+v, want carrier_account and carrier_numbers", st.Checks)
			}
			for _, c := range st.Checks {
				if c.Status != naive.CheckUnknown {
					t.Fatalf("%+v, want unknown", c)
				}
				unchecked(t, c, tc.why, "Retry GET /v1/phone/status "+tc.when)
			}
			if strings.Contains(st.NextStep, "lost") || !strings.Contains(st.NextStep, "Not confirmed with the carrier") {
				t.Errorf("next step %q, want it unconfirmed, not lost", st.NextStep)
			}

			// Through REST: 200s, not 502s.
			for _, path := range []string{"/v1/phone/status", "/v1/phone/preflight"} {
				code, body := f.get(t, path)
				if code != http.StatusOK || !strings.Contains(body, `"status":"unknown"`) {
					t.Errorf("GET %s with the carrier down: %d %s", path, code, body)
				}
			}
		})
	}
}

func unchecked(t *testing.T, c naive.PreflightCheck, why, fix string) {
	t.Helper()
	if !strings.Contains(c.Detail, "Could not check") || !strings.Contains(c.Detail, why) || strings.Contains(c.Detail, "has no account") {
		t.Errorf("%s detail %q, want could-not-check because %s", c.Check, c.Detail, why)
	}
	if !strings.HasPrefix(c.Fix, fix) {
		t.Errorf("%s fix %q, want %q…", c.Check, c.Fix, fix)
	}
}

// TestCarrierHangsStatusAnswers: a carrier that never answers costs a
// status read the check's bound, and reads as unknown.
func TestCarrierHangsStatusAnswers(t *testing.T) {
	defer service.SetCarrierCheckTimeout(50 * time.Millisecond)()
	f := setup(t)
	f.brandAccount(t)
	svc, err := service.New(service.Config{Store: f.st, Now: f.clock.now, ProcessID: "process-1",
		Carrier: testOnly(&hangingCarrier{f.cr}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := svc.PhoneStatus(f.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	pf, err := svc.Preflight(f.ctx, "", naive.ProvisionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("status and preflight took %s with a hanging carrier", d)
	}
	for _, c := range append(st.Checks, check(t, pf.Checks, "carrier_account")) {
		if c.Check != "carrier_account" && c.Check != "carrier_numbers" {
			continue
		}
		if c.Status != naive.CheckUnknown || !strings.Contains(c.Detail, "did not answer within 50ms") {
			t.Errorf("%+v, want unknown: no answer within 50ms", c)
		}
	}
}

// hangingCarrier answers the status checks' reads only when they give up.
type hangingCarrier struct{ *fakeCarrier }

func (h *hangingCarrier) BrandStatus(ctx context.Context, id string) (carrier.Brand, error) {
	<-ctx.Done()
	return carrier.Brand{ID: id}, &carrier.Error{Kind: carrier.Unavailable, Message: "Surge could not be reached", Err: ctx.Err()}
}

func (h *hangingCarrier) ListNumbers(ctx context.Context, _ string) ([]carrier.Number, error) {
	<-ctx.Done()
	return nil, &carrier.Error{Kind: carrier.Unavailable, Message: "Surge could not be reached", Err: ctx.Err()}
}

// get makes a GET request through the REST API with a test key.
func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(api.NewServer(api.Config{}, api.Deps{Service: f.svc, Auth: f.svc, Carrier: f.svc, Idempotency: f.svc,
		Ready: f.st, Phones: f.svc}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+f.newKey(t))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var compact strings.Builder
	var v any
	if json.Unmarshal(b, &v) == nil {
		out, _ := json.Marshal(v)
		compact.Write(out)
	} else {
		compact.Write(b)
	}
	return res.StatusCode, compact.String()
}
