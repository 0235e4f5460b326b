package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

const adminPassword = "correct horse battery staple"

// server is a real naive server on :0 with a temp SQLite database.
type server struct {
	app *app.App
	key string // the first start's test key
}

func startServer(t *testing.T, price int64) *server {
	t.Helper()
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0",
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "n.db"), AdminPassword: adminPassword,
		PhonePrice: price, SandboxReviewDelay: time.Minute, PollInterval: time.Second, FormationDelay: time.Millisecond})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return &server{app: a, key: a.Bootstrapped().TestKey}
}

func (s *server) client(t *testing.T, token string, mode naive.Mode) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{BaseURL: s.app.URL(), Token: token, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// as returns a ctx carrying the principal token stands for, to call the
// in-process service as the client's request would.
func (s *server) as(t *testing.T, token string, mode naive.Mode) context.Context {
	t.Helper()
	p, err := s.app.Service().Authenticate(context.Background(), token, string(mode))
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return naive.WithPrincipal(context.Background(), p)
}

func (s *server) login(t *testing.T) string {
	t.Helper()
	c := s.client(t, "", "")
	res, err := c.Login(context.Background(), naive.LoginRequest{Email: "admin@localhost", Password: adminPassword})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return res.Token
}

// sameError fails unless the client's error is the service's error as the
// server wrote it: code, message, param, hint and extra fields.
func sameError(t *testing.T, wantCode string, local, remote error) {
	t.Helper()
	var le, re *naive.Error
	if !errors.As(local, &le) {
		t.Fatalf("in-process error %v (%T) is not a *naive.Error", local, local)
	}
	if !errors.As(remote, &re) {
		t.Fatalf("client error %v (%T) is not a *naive.Error", remote, remote)
	}
	if le.Code != wantCode || re.Code != wantCode {
		t.Fatalf("codes %q (in-process) and %q (client), want %q: %v", le.Code, re.Code, wantCode, remote)
	}
	// The REST API renders the hint in its own words (routes, no CLI
	// commands): the same hint, for that surface.
	if le.Message != re.Message || le.Param != re.Param || hints.For(hints.REST, le.Hint) != re.Hint {
		t.Fatalf("error differs:\nin-process %q %q %q\nclient     %q %q %q", le.Message, le.Param, le.Hint, re.Message, re.Param, re.Hint)
	}
	if want := jsonNormal(t, le.Fields); !reflect.DeepEqual(want, re.Fields) {
		t.Fatalf("fields: in-process %v, client %v", want, re.Fields)
	}
	if client.RequestID(remote) == "" {
		t.Fatalf("no request id on %v", remote)
	}
}

// jsonNormal returns m as it reads after a JSON round trip (nil if empty).
func jsonNormal(t *testing.T, m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestErrorsRoundTripFromRealServer calls a real server through the client
// and the in-process service the same way, and checks the client returns the
// very error the service did, for every code a call can reach.
func TestErrorsRoundTripFromRealServer(t *testing.T) {
	t.Parallel()
	s := startServer(t, 0)
	ctx := context.Background()
	agent := s.client(t, s.key, "")
	agentCtx := s.as(t, s.key, "")
	local := s.app.Service()

	// A first number registers the brand with EIN 12-3456789.
	if _, err := agent.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415"}); err != nil {
		t.Fatalf("first provision: %v", err)
	}
	// A subject without a formation.
	bare, err := agent.CreateSubject(ctx, naive.SubjectProfile{LegalName: "Bare LLC", State: "DE", Website: "https://bare.example",
		Industry: "technology", PrivacyPolicyURL: "https://bare.example/privacy", TermsURL: "https://bare.example/terms",
		Address: naive.Address{Line1: "1 Main St", City: "Dover", Region: "DE", PostalCode: "19901", Country: "US"},
		Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@bare.example", Phone: "+13025550100", Title: "ceo"}})
	if err != nil {
		t.Fatalf("create subject: %v", err)
	}
	missing := uuid.NewString()
	session := s.login(t)
	live := s.client(t, session, naive.ModeLive)
	liveCtx := s.as(t, session, naive.ModeLive)
	human := s.client(t, session, naive.ModeTest)
	humanCtx := s.as(t, session, naive.ModeTest)

	cases := []struct {
		name string
		code string
		svc  naive.Service
		ctx  context.Context
		call func(ctx context.Context, svc naive.Service) error
	}{
		{"invalid ein", naive.EInvalidInput, agent, agentCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-34", AreaCode: "415"})
			return err
		}},
		{"agent creates a key", naive.EForbidden, agent, agentCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.CreateKey(ctx, naive.KeyRequest{Name: "x", Mode: naive.ModeTest})
			return err
		}},
		{"unknown phone", naive.ENotFound, agent, agentCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.GetPhone(ctx, "", missing)
			return err
		}},
		{"another EIN", naive.EConflict, agent, agentCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "98-7654321", AreaCode: "415"})
			return err
		}},
		{"no formation", naive.EFormationIncomplete, human, humanCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, bare.ID, naive.ProvisionRequest{EIN: "12-3456789"})
			return err
		}},
		{"no inventory", naive.ENoMatchingNumbers, agent, agentCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "555"})
			return err
		}},
		{"live filing", naive.ENotConfigured, live, liveCtx, func(ctx context.Context, svc naive.Service) error {
			_, err := svc.StartFormation(ctx, "", naive.FormationRequest{EntityType: "LLC", State: "DE"})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sameError(t, c.code, c.call(c.ctx, local), c.call(ctx, c.svc))
		})
	}

	t.Run("pending approval", func(t *testing.T) {
		// An agent's number for a subject other than the default one waits
		// for a human: a 202 answer, not an error.
		formed, err := agent.CreateSubject(ctx, naive.SubjectProfile{LegalName: "Formed LLC", State: "DE", Website: "https://acme.example",
			Industry: "technology", PrivacyPolicyURL: "https://acme.example/privacy", TermsURL: "https://acme.example/terms",
			Address: naive.Address{Line1: "1 Main St", City: "Dover", Region: "DE", PostalCode: "19901", Country: "US"},
			Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example", Phone: "+13025550100", Title: "ceo"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agent.StartFormation(ctx, formed.ID, naive.FormationRequest{EntityType: "LLC", State: "DE"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // the simulated filing completes after 1ms
		res, err := agent.ProvisionPhone(ctx, formed.ID, naive.ProvisionRequest{EIN: "12-3456789"})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Pending
		if p == nil || res.Provisioned != nil || p.Status != "pending_approval" || p.ApprovalID == "" || p.Action != "phone.provision" {
			t.Fatalf("got %+v / %+v", res.Pending, res.Provisioned)
		}
	})

	t.Run("carrier down", func(t *testing.T) {
		s.app.Sandbox().SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
			return http.StatusServiceUnavailable, []byte(`{"error":{"type":"unavailable","message":"down"}}`), true
		})
		defer s.app.Sandbox().SetBeforeFunc(nil)
		call := func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "212"})
			return err
		}
		// The client sends every write with an Idempotency-Key; an answer
		// about an undecided purchase depends on having one (a retry
		// without it would buy again), so the in-process call has one too.
		keyed := naive.WithIdempotency(agentCtx, &naive.Idempotency{Key: "local-" + uuid.NewString(), RequestHash: "local"})
		sameError(t, naive.EProviderError, call(keyed, local), call(ctx, agent))
	})

	t.Run("carrier rate limit", func(t *testing.T) {
		s.app.Sandbox().SetBeforeFunc(func(r *http.Request) (int, []byte, bool) {
			return http.StatusTooManyRequests, []byte(`{"error":{"type":"rate_limited","message":"slow down"}}`), true
		})
		defer s.app.Sandbox().SetBeforeFunc(nil)
		call := func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{AreaCode: "212"})
			return err
		}
		remote := call(ctx, agent)
		sameError(t, naive.ERateLimited, call(agentCtx, local), remote)
		var ne *naive.Error
		errors.As(remote, &ne)
		if ne.RetryAfter < time.Second {
			t.Fatalf("RetryAfter %v, want the Retry-After header's delay", ne.RetryAfter)
		}
	})

	t.Run("unauthorized", func(t *testing.T) {
		_, lerr := local.Authenticate(ctx, "nv_sk_test_nope", "")
		_, rerr := s.client(t, "nv_sk_test_nope", "").Whoami(ctx)
		sameError(t, naive.EUnauthorized, lerr, rerr)
	})

	t.Run("insufficient credits", func(t *testing.T) {
		poor := startServer(t, 5000)
		call := func(ctx context.Context, svc naive.Service) error {
			_, err := svc.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415"})
			return err
		}
		sameError(t, naive.EInsufficientCredits, call(poor.as(t, poor.key, ""), poor.app.Service()), call(ctx, poor.client(t, poor.key, "")))
	})

	t.Run("idempotency key reused", func(t *testing.T) {
		kctx := client.WithIdempotencyKey(ctx, "key-"+uuid.NewString())
		if _, err := agent.CreateAgent(kctx, naive.AgentRequest{Name: "one"}); err != nil {
			t.Fatal(err)
		}
		_, err := agent.CreateAgent(kctx, naive.AgentRequest{Name: "two"})
		if naive.ErrorCode(err) != naive.EIdempotencyKeyReused || naive.AsError(err).Hint == "" {
			t.Fatalf("got %v, want idempotency_key_reused with a hint", err)
		}
	})

	t.Run("payload too large", func(t *testing.T) {
		_, err := agent.CreateSubject(ctx, naive.SubjectProfile{LegalName: strings.Repeat("x", 2<<20)})
		if naive.ErrorCode(err) != naive.EPayloadTooLarge {
			t.Fatalf("got %v, want payload_too_large", err)
		}
	})
}

// TestIdempotencyKey checks a key set on ctx replays the first answer, and
// that every mutating call without one gets a fresh key.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, 0)
	agent := s.client(t, s.key, "")
	ctx := client.WithIdempotencyKey(context.Background(), "provision-once")
	req := naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415", Label: "Support"}
	first, err := agent.ProvisionPhone(ctx, "", req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := agent.ProvisionPhone(ctx, "", req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Provisioned.Phone.ID != again.Provisioned.Phone.ID || again.Provisioned.CreditsRemaining != 950 {
		t.Fatalf("retry with the same key bought again: %+v then %+v", first.Provisioned, again.Provisioned)
	}
	other, err := agent.ProvisionPhone(context.Background(), "", naive.ProvisionRequest{AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	if other.Provisioned.Phone.ID == first.Provisioned.Phone.ID || other.Provisioned.CreditsRemaining != 900 {
		t.Fatalf("a call without a key was replayed: %+v", other.Provisioned)
	}
}

// TestEveryCodeParses checks every code of the table comes back from its
// envelope as the same *naive.Error, with Retry-After as RetryAfter.
func TestEveryCodeParses(t *testing.T) {
	t.Parallel()
	for _, code := range naive.Codes() {
		t.Run(code, func(t *testing.T) {
			want := &naive.Error{Code: code, Message: "Something about " + code + ".", Param: "area_code",
				Hint: "Do the other thing.", Fields: map[string]any{"retryable": true, "campaign_status": "in_review"}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				obj := map[string]any{"code": want.Code, "message": want.Message, "param": want.Param, "hint": want.Hint, "request_id": "req_1"}
				for k, v := range want.Fields {
					obj[k] = v
				}
				if code == naive.ERateLimited {
					w.Header().Set("Retry-After", "7")
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(naive.HTTPStatus(code))
				_ = json.NewEncoder(w).Encode(map[string]any{"error": obj})
			}))
			defer srv.Close()
			c, _ := client.New(client.Options{BaseURL: srv.URL, Token: "nv_sk_test_x", Retries: -1})
			_, err := c.GetPhone(context.Background(), "", "x")
			var got *naive.Error
			if !errors.As(err, &got) {
				t.Fatalf("%T %v", err, err)
			}
			if got.Code != want.Code || got.Message != want.Message || got.Param != want.Param || got.Hint != want.Hint ||
				!reflect.DeepEqual(got.Fields, want.Fields) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if wantRA := map[bool]time.Duration{true: 7 * time.Second}[code == naive.ERateLimited]; got.RetryAfter != wantRA {
				t.Fatalf("RetryAfter %v, want %v", got.RetryAfter, wantRA)
			}
			if got.Status() != naive.HTTPStatus(code) || client.RequestID(err) != "req_1" {
				t.Fatalf("status %d, request id %q", got.Status(), client.RequestID(err))
			}
		})
	}
}

// TestNonEnvelopeAnswer checks a proxy's plain answer still becomes a typed
// error with the status's code.
func TestNonEnvelopeAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, _ := client.New(client.Options{BaseURL: srv.URL, Retries: -1})
	_, err := c.Credits(context.Background())
	if naive.ErrorCode(err) != naive.EProviderError || !strings.Contains(err.Error(), "502") {
		t.Fatalf("got %v", err)
	}
}

// TestHeadersAndRetries checks what the client sends: bearer, Naive-Subject,
// Naive-Mode, a JSON body, one Idempotency-Key per mutating call kept across
// its retries, and none on reads.
func TestHeadersAndRetries(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		paths = append(paths, r.Method+" "+r.URL.Path)
		n := len(seen)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"pending_approval","approval_id":"apr_1","action":"phone.provision","primitive":"phone","title":"t","message":"m"}`))
	}))
	defer srv.Close()
	c, _ := client.New(client.Options{BaseURL: srv.URL, Token: "nv_sess_abc", Subject: "sub-1", Mode: naive.ModeTest, RetryBackoff: time.Millisecond})
	res, err := c.ProvisionPhone(context.Background(), "sub-2", naive.ProvisionRequest{AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending == nil || res.Pending.ApprovalID != "apr_1" || res.Provisioned != nil {
		t.Fatalf("pending answer not decoded: %+v", res)
	}
	if len(seen) != 2 {
		t.Fatalf("%d requests, want a retry after the 503", len(seen))
	}
	for _, h := range seen {
		if h.Get("Authorization") != "Bearer nv_sess_abc" || h.Get("Naive-Subject") != "sub-1" || h.Get("Naive-Mode") != "test" ||
			h.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", h)
		}
	}
	if k := seen[0].Get("Idempotency-Key"); k == "" || seen[1].Get("Idempotency-Key") != k {
		t.Fatalf("retry changed the Idempotency-Key: %q then %q", k, seen[1].Get("Idempotency-Key"))
	}
	if paths[0] != "POST /v1/subjects/sub-2/phone/provision" {
		t.Fatalf("path %s", paths[0])
	}
	if _, err := c.ProvisionPhone(context.Background(), "", naive.ProvisionRequest{}); err != nil {
		t.Fatal(err)
	}
	if seen[2].Get("Idempotency-Key") == seen[0].Get("Idempotency-Key") {
		t.Fatal("two calls shared an Idempotency-Key")
	}
	_, _ = c.Credits(context.Background())
	if seen[3].Get("Idempotency-Key") != "" || seen[3].Get("Content-Type") != "" {
		t.Fatalf("a read sent %v", seen[3])
	}
}

// TestConnectionError checks an unreachable server is a ConnError, not an
// API error.
func TestConnectionError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := client.New(client.Options{BaseURL: url, Retries: -1})
	_, err := c.Whoami(context.Background())
	var ce *client.ConnError
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v", err, err)
	}
	var ne *naive.Error
	if errors.As(err, &ne) {
		t.Fatal("a connection failure must not look like an API error")
	}
}

// TestSandboxSMS checks the sandbox call outside naive.Service: a text to a
// test number arrives on it; an unknown number is not_found; live mode is
// refused.
func TestSandboxSMS(t *testing.T) {
	t.Parallel()
	s := startServer(t, 0)
	ctx := context.Background()
	c := s.client(t, s.key, "")
	res, err := c.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	out, err := c.SandboxSMS(ctx, ph.E164, "+14155550123", "hello from the sandbox")
	if err != nil {
		t.Fatalf("sandbox sms: %v", err)
	}
	if out.Status != "sent" || out.To != ph.E164 || out.From != "+14155550123" {
		t.Fatalf("answer %+v", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := c.ListMessages(ctx, "", ph.ID, naive.ListParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Data) == 1 && l.Data[0].Body == "hello from the sandbox" && l.Data[0].Direction == naive.DirectionInbound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the text did not arrive: %+v", l.Data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if def, err := c.SandboxSMS(ctx, ph.E164, "", "no sender"); err != nil || def.From == "" {
		t.Fatalf("default sender: %+v %v", def, err)
	}
	if _, err := c.SandboxSMS(ctx, "+12125550000", "+14155550123", "hi"); naive.ErrorCode(err) != naive.ENotFound {
		t.Fatalf("unknown number: %v", err)
	}
	live := s.client(t, s.login(t), naive.ModeLive)
	if _, err := live.SandboxSMS(ctx, ph.E164, "+14155550123", "hi"); naive.ErrorCode(err) != naive.EForbidden {
		t.Fatalf("live mode: %v", err)
	}
}
