package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// waitService answers NextMessage: nothing for the first empty waits, then
// a text; each empty wait moves the clock on by its timeout.
type waitService struct {
	naive.Service
	mu     sync.Mutex
	now    time.Time
	empty  int
	newest string
	afters []string
	waits  []time.Duration
}

func (s *waitService) clock() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }

func (s *waitService) ListMessages(_ context.Context, _, _ string, lp naive.ListParams) (*naive.List[naive.Message], error) {
	if lp.Limit != 1 {
		return nil, errors.New("the mark is the newest message alone")
	}
	if s.newest == "" {
		return &naive.List[naive.Message]{Data: []naive.Message{}}, nil
	}
	return &naive.List[naive.Message]{Data: []naive.Message{{ID: s.newest, Direction: naive.DirectionOutbound}}}, nil
}

func (s *waitService) NextMessage(_ context.Context, _, phoneID string, req naive.NextMessageRequest) (*naive.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afters = append(s.afters, req.After)
	s.waits = append(s.waits, req.Timeout)
	if req.Timeout > naive.MaxWait {
		return nil, naive.InvalidParam("timeout", "too long")
	}
	if s.empty > 0 {
		s.empty--
		s.now = s.now.Add(req.Timeout)
		return nil, nil
	}
	m := naive.Message{ID: "m-new", PhoneID: phoneID, Direction: naive.DirectionInbound, From: "+18885550123", To: "+14155550100",
		Body: "G-123456 is your Google verification code.", Status: naive.MessageReceived, CreatedAt: s.now}
	m = m.WithCodes()
	return &m, nil
}

// TestPhoneWait: a long --timeout is several waits of at most a minute,
// all after the message that was newest at the start; the text is printed
// with its codes.
func TestPhoneWait(t *testing.T) {
	t.Parallel()
	svc := &waitService{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), empty: 2, newest: "m-old"}
	f, out, _ := testFactory(t, svc, true)
	opts := &PhoneWaitOptions{IO: f.IO, Service: f.Service, PhoneID: "ph-1", Timeout: 150 * time.Second, Now: svc.clock}
	if err := phoneWaitRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if strings.Join(svc.afters, ",") != "m-old,m-old,m-old" {
		t.Fatalf("afters %v", svc.afters)
	}
	if svc.waits[0] != time.Minute || svc.waits[1] != time.Minute || svc.waits[2] != 30*time.Second {
		t.Fatalf("waits %v", svc.waits)
	}
	for _, want := range []string{"G-123456 is your Google verification code.", "Codes: G-123456, 123456", "naive phone wait ph-1 --after m-new"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestPhoneWaitJSON: --json prints the message with its codes.
func TestPhoneWaitJSON(t *testing.T) {
	t.Parallel()
	svc := &waitService{now: time.Now()}
	f, out, _ := testFactory(t, svc, false)
	opts := &PhoneWaitOptions{IO: f.IO, Service: f.Service, JSON: true, PhoneID: "ph-1", After: "m-given", Timeout: time.Minute, Now: svc.clock}
	if err := phoneWaitRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if codes, _ := m["codes"].([]any); len(codes) != 2 || codes[1] != "123456" || svc.afters[0] != "m-given" {
		t.Fatalf("printed %v after %v", m, svc.afters)
	}
}

// TestPhoneWaitTimeout: no text within --timeout is exit 8, with the
// command that waits on.
func TestPhoneWaitTimeout(t *testing.T) {
	t.Parallel()
	svc := &waitService{now: time.Now(), empty: 100}
	f, out, _ := testFactory(t, svc, false)
	opts := &PhoneWaitOptions{IO: f.IO, Service: f.Service, PhoneID: "ph-1", Timeout: 90 * time.Second, Now: svc.clock}
	err := phoneWaitRun(context.Background(), opts)
	var we *WaitTimeoutError
	if ExitCode(err) != ExitWaitTimeout || !errors.As(err, &we) || !strings.Contains(we.Hint, "naive phone wait ph-1") || out.Len() != 0 {
		t.Fatalf("err %v (exit %d), out %q", err, ExitCode(err), out)
	}
	if len(svc.waits) != 2 || strings.Join(svc.afters, ",") != beforeAll+","+beforeAll {
		t.Fatalf("waits %v after %v", svc.waits, svc.afters)
	}
}
