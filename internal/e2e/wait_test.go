package e2e_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

// timed is an answer and how long it took to come.
type timed struct {
	resp
	err  error
	took time.Duration
}

// waitCall sends GET path in the background, as a client waiting for a
// text does, and hands the answer over when it comes.
func (h *harness) waitCall(path, token string) <-chan timed {
	ch := make(chan timed, 1)
	began := time.Now()
	go func() {
		req, _ := http.NewRequest("GET", h.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- timed{err: err, took: time.Since(began)}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		ch <- timed{resp: resp{Status: res.StatusCode, Header: res.Header, Body: b}, took: time.Since(began)}
	}()
	return ch
}

// within waits at most d for a background answer.
func within(t *testing.T, d time.Duration, ch <-chan timed) timed {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("wait request: %v", r.err)
		}
		return r
	case <-time.After(d):
		t.Fatalf("no answer within %s", d)
	}
	return timed{}
}

// codesOf are a message's codes as the API wrote them.
func codesOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	raw, ok := m["codes"].([]any)
	if !ok {
		t.Fatalf("no codes on %v", m)
	}
	out := []string{}
	for _, c := range raw {
		out = append(out, c.(string))
	}
	return out
}

// TestWaitForText: a wait answers the inbound text the moment the sandbox
// delivers it, with its codes; the timeout is 204; after= resumes.
func TestWaitForText(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		id, e164 := ph["id"].(string), ph["e164"].(string)
		next := "/v1/phone/" + id + "/messages/next"

		// Nothing arrives: 204 No Content at the timeout.
		r := within(t, 10*time.Second, h.waitCall(next+"?timeout=1s", h.testKey))
		if r.Status != http.StatusNoContent || len(r.Body) != 0 || r.took < time.Second {
			t.Fatalf("timeout: %d %s after %s", r.Status, r.Body, r.took)
		}
		// A bad timeout is refused with a hint.
		for _, q := range []string{"?timeout=soon", "?timeout=0", "?timeout=2m", "?timeout=500ms"} {
			bad := h.call("GET", next+q, h.testKey, nil)
			if bad.Status != 400 || bad.errField(t, "param") != "timeout" || bad.errField(t, "hint") == nil {
				t.Fatalf("%s: %d %s", q, bad.Status, bad.Body)
			}
		}
		if bad := h.call("GET", next+"?after=yesterday", h.testKey, nil); bad.Status != 400 || bad.errField(t, "param") != "after" {
			t.Fatalf("bad after: %d %s", bad.Status, bad.Body)
		}

		// Waiting, a text arrives: the answer comes at once, with its codes.
		ch := h.waitCall(next+"?timeout=30s", h.testKey)
		time.Sleep(300 * time.Millisecond) // the wait is under way
		sent := time.Now()
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, map[string]any{"to": e164, "from": "+14155550123",
			"body": "G-123456 is your Google verification code."}))
		r = within(t, 10*time.Second, ch)
		if since := time.Since(sent); r.Status != 200 || since > 3*time.Second {
			t.Fatalf("answer %d %s, %s after the text", r.Status, r.Body, since)
		}
		m := r.json(t)
		if m["body"] != "G-123456 is your Google verification code." || m["direction"] != "inbound" || m["phone_id"] != id ||
			strings.Join(codesOf(t, m), ",") != "G-123456,123456" {
			t.Fatalf("message %v", m)
		}
		first := m["id"].(string)

		// after= the text read: the next one, at once when it is there.
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, map[string]any{"to": e164, "body": "Your WhatsApp code: 123-456"}))
		waitFor(t, "the second text", func() bool {
			return len(h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any)) == 2
		})
		r = within(t, 5*time.Second, h.waitCall(next+"?after="+first+"&timeout=5", h.testKey))
		if r.Status != 200 || r.took > 2*time.Second || strings.Join(codesOf(t, r.json(t)), ",") != "123456" {
			t.Fatalf("after the first: %d %s in %s", r.Status, r.Body, r.took)
		}
		second := r.json(t)["id"].(string)
		// The subject-scoped form, after the newest: nothing yet.
		sid := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)["default_subject_id"].(string)
		r = within(t, 10*time.Second, h.waitCall("/v1/subjects/"+sid+"/phone/"+id+"/messages/next?after="+second+"&timeout=1s", h.testKey))
		if r.Status != http.StatusNoContent {
			t.Fatalf("scoped, after the newest: %d %s", r.Status, r.Body)
		}

		// The codes are on the texts wherever they are shown.
		list := h.must(200, h.call("GET", "/v1/phone/"+id+"/messages", h.testKey, nil)).json(t)["data"].([]any)
		if got := codesOf(t, list[1].(map[string]any)); strings.Join(got, ",") != "G-123456,123456" {
			t.Fatalf("listed codes %v", got)
		}
		if got := codesOf(t, h.must(200, h.call("GET", "/v1/phone/messages/"+second, h.testKey, nil)).json(t)); strings.Join(got, ",") != "123456" {
			t.Fatalf("read codes %v", got)
		}
		evs := h.must(200, h.call("GET", "/v1/events?type=sms.received", h.testKey, nil)).json(t)["data"].([]any)
		if got := codesOf(t, evs[0].(map[string]any)["data"].(map[string]any)); strings.Join(got, ",") != "123456" {
			t.Fatalf("sms.received codes %v", got)
		}

		// An agent's key needs receive_sms on the number; an unknown
		// number is 404.
		human := h.login()
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"reader"}`)).json(t)["id"].(string)
		bound := h.must(201, h.call("POST", "/v1/keys", human, `{"name":"reader","mode":"test","agent_id":"`+agent+`"}`)).json(t)["secret"].(string)
		if r := h.call("GET", next+"?timeout=1s", bound, nil); r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("unassigned agent: %d %s", r.Status, r.Body)
		}
		h.must(201, h.call("POST", "/v1/phone/"+id+"/assign", h.testKey, `{"agent_id":"`+agent+`","permissions":["receive_sms"]}`))
		if r := within(t, 10*time.Second, h.waitCall(next+"?after="+first+"&timeout=1s", bound)); r.Status != 200 {
			t.Fatalf("assigned agent: %d %s", r.Status, r.Body)
		}
		if r := h.call("GET", "/v1/phone/01a23282-2040-7abf-b767-8b37cf23cc09/messages/next?timeout=1s", h.testKey, nil); r.Status != 404 {
			t.Fatalf("unknown phone: %d %s", r.Status, r.Body)
		}
	})
}

// TestWaitForTextAcrossProcesses: two servers on one database; a wait on
// B answers the text that arrives through A — on PostgreSQL through
// LISTEN/NOTIFY, well before its 5 s poll; on SQLite through the
// second's poll.
func TestWaitForTextAcrossProcesses(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		a := start(t, db)
		b := start(t, db) // a second process on the same database
		key := a.testKey
		ph := a.must(202, a.call("POST", "/v1/phone/provision", key, seedBody)).json(t)["phone"].(map[string]any)
		id, e164 := ph["id"].(string), ph["e164"].(string)
		ch := b.waitCall("/v1/phone/"+id+"/messages/next?timeout=30s", key)
		time.Sleep(300 * time.Millisecond)
		sent := time.Now()
		a.must(202, a.call("POST", "/v1/sandbox/sms", key, map[string]any{"to": e164, "body": "Your Uber code: 4821. Never share this code."}))
		r := within(t, 10*time.Second, ch)
		if since := time.Since(sent); r.Status != 200 || since > 3*time.Second {
			t.Fatalf("B answered %d %s, %s after the text", r.Status, r.Body, since)
		}
		if m := r.json(t); m["body"] != "Your Uber code: 4821. Never share this code." || strings.Join(codesOf(t, m), ",") != "4821" {
			t.Fatalf("message %v", m)
		}
	})
}

// TestWaitEndsAtShutdown: a server stopping answers its waits 204 at once
// rather than hold its shutdown for them.
func TestWaitEndsAtShutdown(t *testing.T) {
	a, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "naive.db"),
		AdminPassword: "correct horse battery staple", SandboxReviewDelay: time.Hour, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, app: a, url: a.URL(), testKey: a.Bootstrapped().TestKey}
	id := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
	ch := h.waitCall("/v1/phone/"+id+"/messages/next?timeout=60s", h.testKey)
	time.Sleep(300 * time.Millisecond)
	began := time.Now()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	r := within(t, 5*time.Second, ch)
	if r.Status != http.StatusNoContent || time.Since(began) > 5*time.Second {
		t.Fatalf("at shutdown: %d %s, close took %s", r.Status, r.Body, time.Since(began))
	}
}
