package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPasswordAndSessions: a human sees their sessions, changes their
// password (which ends the others), and logs out everywhere.
func TestPasswordAndSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		first := h.login()
		second := h.call("POST", "/v1/auth/login", "", `{"email":"admin@localhost","password":"`+h.password+`"}`, "User-Agent", "second-laptop/1.0")
		other := h.must(200, second).json(t)["token"].(string)

		l := h.must(200, h.call("GET", "/v1/auth/sessions", first, nil)).json(t)["data"].([]any)
		if len(l) != 2 {
			t.Fatalf("%d sessions, want 2: %v", len(l), l)
		}
		var current, laptop int
		for _, x := range l {
			m := x.(map[string]any)
			if m["current"] == true {
				current++
			}
			if m["user_agent"] == "second-laptop/1.0" && m["client_addr"] == "127.0.0.1" {
				laptop++
			}
			if _, leaks := m["token"]; leaks {
				t.Fatalf("session list shows a token: %v", m)
			}
		}
		if current != 1 || laptop != 1 {
			t.Fatalf("sessions %v: want one current and the laptop's with its User-Agent and address", l)
		}
		if r := h.call("GET", "/v1/auth/sessions", h.testKey, nil); r.Status != 403 {
			t.Fatalf("an API key lists sessions: %d", r.Status)
		}

		// Refusals name the field and change nothing.
		for body, param := range map[string]string{
			`{"current_password":"wrong","new_password":"a long enough passphrase"}`:        "current_password",
			`{"current_password":"` + h.password + `","new_password":"short"}`:              "new_password",
			`{"current_password":"` + h.password + `","new_password":"` + h.password + `"}`: "new_password",
			`{"new_password":"a long enough passphrase"}`:                                   "current_password",
		} {
			r := h.call("POST", "/v1/auth/password", first, body)
			if r.Status != 400 || r.errField(t, "param") != param {
				t.Fatalf("change password %s: %d %s, want 400 naming %s", body, r.Status, r.Body, param)
			}
		}
		h.must(200, h.call("GET", "/v1/auth/whoami", other, nil))

		const newPassword = "four unrelated words here"
		ch := h.must(200, h.call("POST", "/v1/auth/password", first,
			`{"current_password":"`+h.password+`","new_password":"`+newPassword+`"}`)).json(t)
		if ch["ended_sessions"] != float64(1) {
			t.Fatalf("password change %v, want 1 other session ended", ch)
		}
		if r := h.call("GET", "/v1/auth/whoami", other, nil); r.Status != 401 {
			t.Fatalf("the other session after a password change: %d, want 401", r.Status)
		}
		h.must(200, h.call("GET", "/v1/auth/whoami", first, nil))
		if r := h.call("POST", "/v1/auth/login", "", `{"email":"admin@localhost","password":"`+h.password+`"}`); r.Status != 401 {
			t.Fatalf("old password still logs in: %d", r.Status)
		}
		third := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"admin@localhost","password":"`+newPassword+`"}`)).json(t)["token"].(string)

		// Log out everywhere: this session too.
		out := h.must(200, h.call("DELETE", "/v1/auth/sessions", first, nil)).json(t)
		if out["ended_sessions"] != float64(2) {
			t.Fatalf("log out everywhere %v, want 2 ended", out)
		}
		for _, tok := range []string{first, third} {
			if r := h.call("GET", "/v1/auth/whoami", tok, nil); r.Status != 401 {
				t.Fatalf("a session after logging out everywhere: %d", r.Status)
			}
		}
	})
}

// TestRelabelPhone: PATCH /v1/phone/{id} sets and removes a label; bad
// labels and released numbers are refused.
func TestRelabelPhone(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		id := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		got := h.must(200, h.call("PATCH", "/v1/phone/"+id, h.testKey, `{"label":"  Front desk  "}`)).json(t)
		if got["label"] != "Front desk" || got["id"] != id {
			t.Fatalf("relabel %v", got)
		}
		if g := h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil)).json(t); g["label"] != "Front desk" {
			t.Fatalf("after relabel %v", g)
		}
		for _, bad := range []string{`{}`, `{"label":"` + strings.Repeat("x", 65) + `"}`, `{"label":"a\u0000b"}`, `{"label":5}`, `{"labels":"x"}`} {
			if r := h.call("PATCH", "/v1/phone/"+id, h.testKey, bad); r.Status != 400 {
				t.Fatalf("relabel %s: %d %s", bad, r.Status, r.Body)
			}
		}
		if g := h.must(200, h.call("PATCH", "/v1/phone/"+id, h.testKey, `{"label":""}`)).json(t); g["label"] != nil {
			t.Fatalf("label removed: %v", g)
		}
		if r := h.call("PATCH", "/v1/phone/00000000-0000-7000-8000-000000000000", h.testKey, `{"label":"x"}`); r.Status != 404 {
			t.Fatalf("unknown phone: %d", r.Status)
		}
		h.must(200, h.call("DELETE", "/v1/phone/"+id, h.testKey, nil))
		if r := h.call("PATCH", "/v1/phone/"+id, h.testKey, `{"label":"x"}`); r.Status != 409 || r.errField(t, "hint") == nil {
			t.Fatalf("relabel a released number: %d %s", r.Status, r.Body)
		}
	})
}

// TestResendDelivery: a delivery that failed is resent once the endpoint is
// fixed; the new attempt is recorded after the first, with the same event.
func TestResendDelivery(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		var up atomic.Bool
		var (
			mu    sync.Mutex
			ids   []string // the webhook-ids of webhook.test deliveries
			calls atomic.Int32
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), `"type":"webhook.test"`) {
				calls.Add(1)
				mu.Lock()
				ids = append(ids, r.Header.Get("webhook-id"))
				mu.Unlock()
			}
			if !up.Load() {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		ep := h.must(201, h.call("POST", "/v1/webhooks", h.testKey, `{"url":"`+srv.URL+`"}`)).json(t)["id"].(string)
		if g := h.must(200, h.call("GET", "/v1/webhooks/"+ep, h.testKey, nil)); strings.Contains(string(g.Body), "whsec_") || g.json(t)["url"] != srv.URL {
			t.Fatalf("get webhook: %s", g.Body)
		}
		if r := h.call("GET", "/v1/webhooks/00000000-0000-7000-8000-000000000000", h.testKey, nil); r.Status != 404 {
			t.Fatalf("get an unknown webhook: %d", r.Status)
		}
		d := h.must(200, h.call("POST", "/v1/webhooks/"+ep+"/test", h.testKey, nil)).json(t)
		did := d["id"].(string)
		if d["status"] != "failed" {
			t.Fatalf("test delivery to a failing endpoint: %v", d)
		}
		// An event's delivery the endpoint refuses is retried: pending, with
		// the time of its next attempt, and not resent by hand meanwhile.
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody))
		var pending map[string]any
		waitFor(t, "a refused delivery of phone.provisioned", func() bool {
			for _, x := range h.must(200, h.call("GET", "/v1/webhooks/"+ep+"/deliveries", h.testKey, nil)).json(t)["data"].([]any) {
				if m := x.(map[string]any); m["event_type"] == "phone.provisioned" && len(m["attempts"].([]any)) > 0 {
					pending = m
					return true
				}
			}
			return false
		})
		next, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(pending["next_attempt_at"]))
		if pending["status"] != "pending" || next.Before(time.Now().Add(-time.Second)) {
			t.Fatalf("a refused delivery %v: want pending with its next attempt ahead", pending)
		}
		if r := h.call("POST", "/v1/webhooks/"+ep+"/deliveries/"+pending["id"].(string)+"/resend", h.testKey, nil); r.Status != 409 {
			t.Fatalf("resend a delivery still being retried: %d %s", r.Status, r.Body)
		}

		up.Store(true)
		path := "/v1/webhooks/" + ep + "/deliveries/" + did + "/resend"
		r := h.must(200, h.call("POST", path, h.testKey, nil)).json(t)
		atts := r["attempts"].([]any)
		if r["status"] != "succeeded" || len(atts) != 2 || atts[1].(map[string]any)["status_code"] != float64(204) ||
			atts[1].(map[string]any)["attempt"] != float64(2) {
			t.Fatalf("resend %v", r)
		}
		mu.Lock()
		seen := slices.Clone(ids)
		mu.Unlock()
		if calls.Load() != 2 || seen[0] != seen[1] || seen[0] == "" {
			t.Fatalf("endpoint called %d times with webhook-ids %v: want 2 with the same id", calls.Load(), seen)
		}
		got := h.must(200, h.call("GET", "/v1/webhooks/"+ep+"/deliveries", h.testKey, nil)).json(t)["data"].([]any)
		if last := got[len(got)-1].(map[string]any); last["id"] != did || len(last["attempts"].([]any)) != 2 {
			t.Fatalf("deliveries %v", got)
		}
		// A resend of a succeeded delivery sends it again (an explicit ask).
		h.must(200, h.call("POST", path, h.testKey, nil))
		for _, bad := range []string{"/v1/webhooks/" + ep + "/deliveries/00000000-0000-7000-8000-000000000000/resend",
			"/v1/webhooks/00000000-0000-7000-8000-000000000000/deliveries/" + did + "/resend", "/v1/webhooks/" + ep + "/deliveries/nope/resend"} {
			if r := h.call("POST", bad, h.testKey, nil); r.Status != 404 {
				t.Fatalf("resend %s: %d", bad, r.Status)
			}
		}
		// Another mode's caller does not see it.
		human := h.login()
		if r := h.call("POST", path, human, nil, "Naive-Mode", "live"); r.Status != 404 {
			t.Fatalf("resend from live mode: %d", r.Status)
		}
	})
}

// TestApproveShortBalanceStaysPending: approving with too few credits is
// 402 and leaves the approval pending; after a grant it is approved once.
func TestApproveShortBalanceStaysPending(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		id := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		// Spend the balance down below a number's price (50).
		bal := h.balance(h.testKey)
		for bal >= 50 {
			h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody))
			bal = h.balance(h.testKey)
		}
		r := h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")
		if r.Status != 402 || r.errCode(t) != "insufficient_credits" || !strings.Contains(r.errField(t, "message").(string), "still pending") {
			t.Fatalf("approve with a short balance: %d %s", r.Status, r.Body)
		}
		if g := h.must(200, h.call("GET", "/v1/approvals/"+id, h.testKey, nil)).json(t); g["status"] != "pending" || g["resolved_by"] != nil {
			t.Fatalf("after a refused approve: %v", g)
		}
		h.grant(human, 500)
		a := h.must(200, h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")).json(t)
		if a["status"] != "executed" {
			t.Fatalf("approve after a grant: %v", a)
		}
		if r := h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test"); r.Status != 409 {
			t.Fatalf("approve twice: %d", r.Status)
		}
	})
}
