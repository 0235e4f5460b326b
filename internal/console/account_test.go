package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// loginToken logs the admin in over REST and returns the session token.
func (s *server) loginToken(t testing.TB, password string) string {
	t.Helper()
	st, m := s.api("POST", "/v1/auth/login", "", `{"email":"`+adminEmail+`","password":"`+password+`"}`)
	if st != 200 {
		t.Fatalf("login over REST: %d %v", st, m)
	}
	return m["token"].(string)
}

func TestAccountPasswordAndSessions(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	cli := s.loginToken(t, adminPassword) // a second session, as the CLI's

	acct := b.follow("GET", "/console/account", nil)
	if acct.status != 200 {
		t.Fatalf("account: %d", acct.status)
	}
	mustShow(t, acct, adminEmail, "Sessions <span class=\"muted\">· 2</span>", "this session", "Go-http-client", "from 127.0.0.1", "Log out everywhere")
	token := acct.csrf(t)

	// Refusals are shown in place and change nothing.
	for name, c := range map[string]struct {
		form   url.Values
		status int
		shows  string
	}{
		"wrong current": {url.Values{"current_password": {"nope"}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}},
			400, "The current password is wrong"},
		"mismatch": {url.Values{"current_password": {adminPassword}, "new_password": {"a brand new passphrase"}, "confirm_password": {"another one entirely"}},
			400, "differ"},
		"too short": {url.Values{"current_password": {adminPassword}, "new_password": {"short"}, "confirm_password": {"short"}},
			400, "12 to 256 characters"},
		"NUL": {url.Values{"current_password": {adminPassword}, "new_password": {"a\x00b brand new passphrase"}, "confirm_password": {"a\x00b brand new passphrase"}},
			400, "cannot be stored"},
	} {
		c.form.Set("csrf", token)
		p := b.raw("POST", "/console/account/password", c.form)
		if p.status != c.status {
			t.Fatalf("%s: %d, want %d: %.400s", name, p.status, c.status, p.body)
		}
		mustShow(t, p, c.shows, `id="password-form"`)
	}
	if st, _ := s.api("GET", "/v1/auth/whoami", cli, ""); st != 200 {
		t.Fatalf("a refused change ended the other session: %d", st)
	}
	// Without the CSRF token: 403, nothing changed.
	if p := b.raw("POST", "/console/account/password", url.Values{"current_password": {adminPassword},
		"new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}); p.status != 403 {
		t.Fatalf("no CSRF token: %d", p.status)
	}

	const newPassword = "a brand new passphrase"
	p := b.raw("POST", "/console/account/password", url.Values{"csrf": {token}, "current_password": {adminPassword},
		"new_password": {newPassword}, "confirm_password": {newPassword}})
	if p.status != http.StatusSeeOther || p.location != "/console/account" {
		t.Fatalf("change password: %d %q %.300s", p.status, p.location, p.body)
	}
	after := b.raw("GET", "/console/account", nil)
	mustShow(t, after, "Your password is changed. Your one other session has ended.", "Sessions <span class=\"muted\">· 1</span>")
	if st, _ := s.api("GET", "/v1/auth/whoami", cli, ""); st != 401 {
		t.Fatalf("the other session after a password change: %d, want 401", st)
	}
	if p := s.browser().login(adminEmail, adminPassword); p.status != 401 {
		t.Fatalf("the old password logs in: %d", p.status)
	}
	s.loginToken(t, newPassword)

	// Log out everywhere: this browser too, and the new REST session.
	rest := s.loginToken(t, newPassword)
	p = b.raw("POST", "/console/account/logout-everywhere", url.Values{"csrf": {after.csrf(t)}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login") {
		t.Fatalf("log out everywhere: %d %q", p.status, p.location)
	}
	if p := b.raw("GET", "/console/account", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login") {
		t.Fatalf("account after logging out everywhere: %d %q", p.status, p.location)
	}
	if st, _ := s.api("GET", "/v1/auth/whoami", rest, ""); st != 401 {
		t.Fatalf("a REST session after logging out everywhere: %d", st)
	}
}

// TestApproveWithAShortBalance: approving with too few credits is refused
// in place (402), the approval stays pending; after a grant, approving
// buys the number once.
func TestApproveWithAShortBalance(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	for s.balance() >= 50 { // a number costs 50: spend the test credits
		if st, m := s.api("POST", "/v1/phone/provision", s.testKey, `{"ein":"12-3456789","area_code":"415"}`); st != 202 {
			t.Fatalf("provision: %d %v", st, m)
		}
	}
	bought := s.numbersBought()
	b := s.browser()
	b.mustLogin()
	b.testMode()
	detail := b.raw("GET", "/console/approvals/"+id, nil)
	mustShow(t, detail, "The balance is short", "Grant credits")
	p := b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {detail.csrf(t)}})
	if p.status != http.StatusPaymentRequired {
		t.Fatalf("approve with a short balance: %d %.300s", p.status, p.body)
	}
	mustShow(t, p, "The approval is still pending", "Grant credits on the Credits page", `id="approve"`)
	if s.approvalStatus(id) != "pending" || s.numbersBought() != bought {
		t.Fatalf("after the refusal: %s, %d numbers", s.approvalStatus(id), s.numbersBought())
	}
	human := s.loginToken(t, adminPassword)
	req := `{"amount":100,"memo":"for the approval"}`
	if st, m := s.apiMode("POST", "/v1/credits/grant", human, req, "test"); st != 201 {
		t.Fatalf("grant: %d %v", st, m)
	}
	p = b.follow("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {detail.csrf(t)}})
	mustShow(t, p, "You approved this request")
	if s.approvalStatus(id) != "executed" || s.numbersBought() != bought+1 {
		t.Fatalf("after the grant: %s, %d numbers", s.approvalStatus(id), s.numbersBought())
	}
}

// apiMode calls the REST API with a human session in a mode.
func (s *server) apiMode(method, path, token, body, mode string) (int, map[string]any) {
	s.t.Helper()
	return s.api(method, path, token, body, "Naive-Mode", mode)
}

// TestApproveARevokedRequester: an approval whose key was revoked since it
// asked says so, and is approved only with "Approve anyway" ticked.
func TestApproveARevokedRequester(t *testing.T) {
	t.Parallel()
	s := start(t)
	_, sid := s.pendingApproval(`{"ein":"12-3456789","area_code":"415"}`)
	human := s.loginToken(t, adminPassword)
	_, agent := s.apiMode("POST", "/v1/agents", human, `{"name":"asker"}`, "test")
	_, key := s.apiMode("POST", "/v1/keys", human, `{"name":"asker","mode":"test","agent_id":"`+agent["id"].(string)+`"}`, "test")
	st, m := s.api("POST", "/v1/subjects/"+sid+"/phone/provision", key["secret"].(string), `{"ein":"12-3456789","area_code":"415"}`)
	if st != 202 || m["approval_id"] == nil {
		t.Fatalf("provision with the bound key: %d %v", st, m)
	}
	id := m["approval_id"].(string)
	if st, _ := s.api("DELETE", "/v1/keys/"+key["id"].(string), human, ""); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	b := s.browser()
	b.mustLogin()
	b.testMode()
	detail := b.raw("GET", "/console/approvals/"+id, nil)
	mustContain(t, detail, `id="requester-gone"`, `name="confirm_revoked_requester"`)
	mustShow(t, detail, "The API key that asked for this was revoked after asking.")
	p := b.raw("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {detail.csrf(t)}})
	if p.status != http.StatusConflict {
		t.Fatalf("approve without the confirmation: %d %.300s", p.status, p.body)
	}
	mustShow(t, p, "was revoked since; nothing was done", "Tick “Approve anyway”")
	if s.approvalStatus(id) != "pending" {
		t.Fatal("a refused approve decided")
	}
	p = b.follow("POST", "/console/approvals/"+id+"/approve", url.Values{"csrf": {detail.csrf(t)}, "confirm_revoked_requester": {"yes"}})
	mustShow(t, p, "You approved this request")
	if s.approvalStatus(id) != "executed" {
		t.Fatalf("after approving anyway: %s", s.approvalStatus(id))
	}
}
