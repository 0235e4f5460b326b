package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// invite invites email with role as owner and returns the user id and token.
func (h *harness) invite(owner, email, role string) (id, token string) {
	h.t.Helper()
	m := h.must(201, h.call("POST", "/v1/users", owner, map[string]string{"email": email, "role": role})).json(h.t)
	u := m["user"].(map[string]any)
	if u["role"] != role || u["status"] != "invited" || u["email"] != email {
		h.t.Fatalf("invited user: %v", u)
	}
	token = m["invite_token"].(string)
	if !strings.HasPrefix(token, service.InvitePrefix) || m["invite_url"] != "/console/invite?token="+token {
		h.t.Fatalf("invite answer: %v", m)
	}
	return u["id"].(string), token
}

// accept accepts an invite and returns the session token.
func (h *harness) accept(token, password string) string {
	h.t.Helper()
	m := h.must(200, h.call("POST", "/v1/auth/accept-invite", "", map[string]string{"token": token, "password": password})).json(h.t)
	if _, ok := m["expires_at"]; !ok {
		h.t.Fatalf("accept answer is not a login answer: %v", m)
	}
	return m["token"].(string)
}

// TestTeamRoles: an owner invites an approver and a viewer; each can do
// what their role allows and gets 403 naming their role for the rest,
// whatever the route; the last owner stays; a removed user is out at once.
func TestTeamRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		owner := h.login()
		test := []string{"Naive-Mode", "test"}

		// The bootstrapped admin is an owner.
		if r := h.must(200, h.call("GET", "/v1/auth/whoami", owner, nil)).json(t); r["role"] != "owner" {
			t.Fatalf("admin whoami: %v", r)
		}

		apprID, apprTok := h.invite(owner, "Approver@Example.com", "approver")
		viewID, viewTok := h.invite(owner, "viewer@example.com", "viewer")

		// Invites are validated and emails unique, case-insensitively.
		for body, code := range map[string]string{
			`{"email":"approver@EXAMPLE.com","role":"viewer"}`:           "conflict",
			`{"email":"not an email","role":"viewer"}`:                   "invalid_input",
			`{"email":"Ada <ada@example.com>","role":"viewer"}`:          "invalid_input",
			`{"email":"ada@example.com","role":"admin"}`:                 "invalid_input",
			`{"email":"ada@example.com"}`:                                "invalid_input",
			"{\"email\":\"ada\\u0000@example.com\",\"role\":\"viewer\"}": "invalid_input",
		} {
			if r := h.call("POST", "/v1/users", owner, body); r.errCode(t) != code {
				t.Errorf("invite %s: %d %s, want %s", body, r.Status, r.Body, code)
			}
		}
		// An invited user cannot log in before accepting.
		if r := h.call("POST", "/v1/auth/login", "", map[string]string{"email": "viewer@example.com", "password": "any password at all"}); r.Status != 401 {
			t.Errorf("login without a password: %d", r.Status)
		}

		// Accepting: a short password is refused and keeps the token; a
		// wrong token is 401; the right one works once.
		if r := h.call("POST", "/v1/auth/accept-invite", "", map[string]string{"token": apprTok, "password": "short"}); r.errCode(t) != "invalid_input" {
			t.Fatalf("short password: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/auth/accept-invite", "", map[string]string{"token": "nv_inv_wrong", "password": "long enough password"}); r.Status != 401 {
			t.Fatalf("wrong token: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/auth/accept-invite", "", map[string]string{"password": "long enough password"}); r.Status != 400 {
			t.Fatalf("no token: %d %s", r.Status, r.Body)
		}
		approver := h.accept(apprTok, "approver password 1")
		if r := h.call("POST", "/v1/auth/accept-invite", "", map[string]string{"token": apprTok, "password": "another password 2"}); r.Status != 401 {
			t.Fatalf("second use of a token: %d %s", r.Status, r.Body)
		}
		viewer := h.accept(viewTok, "viewer password 12")
		// They log in with their passwords too.
		h.must(200, h.call("POST", "/v1/auth/login", "", map[string]string{"email": "approver@example.com", "password": "approver password 1"}))
		h.must(200, h.call("POST", "/v1/auth/login", "", map[string]string{"email": "viewer@example.com", "password": "viewer password 12"}))
		if r := h.must(200, h.call("GET", "/v1/auth/whoami", viewer, nil)).json(t); r["role"] != "viewer" || r["user_id"] != viewID {
			t.Fatalf("viewer whoami: %v", r)
		}
		users := h.must(200, h.call("GET", "/v1/users", viewer, nil)).json(t)["data"].([]any)
		if len(users) != 3 {
			t.Fatalf("users: %v", users)
		}
		for _, u := range users {
			if u.(map[string]any)["status"] != "active" {
				t.Fatalf("user not active after accepting: %v", u)
			}
		}

		// An agent's provision on a non-default subject waits for a human.
		sid := h.formedSubject()
		approval := func() string {
			return h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		}
		a1 := approval()
		kit := h.must(201, h.call("POST", "/v1/account-kits", owner, `{"name":"k"}`, test...)).json(t)["id"].(string)

		// What neither an approver nor a viewer may do: 403 naming the role.
		refused := []struct{ method, path, body string }{
			{"POST", "/v1/credits/grant", `{"amount":10}`},
			{"POST", "/v1/keys", `{"name":"x","mode":"test"}`},
			{"POST", "/v1/account-kits", `{"name":"k2"}`},
			{"PATCH", "/v1/account-kits/" + kit, `{"name":"renamed"}`},
			{"DELETE", "/v1/account-kits/" + kit, ""},
			{"POST", "/v1/subjects", acmeProfile},
			{"PATCH", "/v1/subjects/" + sid, `{"website":"https://x.example"}`},
			{"POST", "/v1/agents", `{"name":"a"}`},
			{"POST", "/v1/webhooks", `{"url":"https://example.com/hook","event_types":["phone.provisioned"]}`},
			{"POST", "/v1/phone/provision", seedBody},
			{"POST", "/v1/users", `{"email":"x@example.com","role":"viewer"}`},
			{"PATCH", "/v1/users/" + viewID, `{"role":"approver"}`},
			{"DELETE", "/v1/users/" + viewID, ""},
		}
		for _, who := range []struct{ name, token string }{{"approver", approver}, {"viewer", viewer}} {
			for _, c := range refused {
				var body any
				if c.body != "" {
					body = c.body
				}
				r := h.call(c.method, c.path, who.token, body, test...)
				if r.Status != 403 || r.errField(t, "role") != who.name || !strings.Contains(r.errField(t, "message").(string), who.name) ||
					!strings.Contains(r.errField(t, "hint").(string), "owner") {
					t.Errorf("%s %s as %s: %d %s", c.method, c.path, who.name, r.Status, r.Body)
				}
			}
			// Reads work.
			for _, path := range []string{"/v1/credits", "/v1/approvals", "/v1/approvals/" + a1, "/v1/account-kits/" + kit,
				"/v1/subjects/" + sid, "/v1/keys", "/v1/events", "/v1/phone", "/v1/users"} {
				h.must(200, h.call("GET", path, who.token, nil, test...))
			}
			// Their own session and password are theirs to manage.
			h.must(200, h.call("GET", "/v1/auth/sessions", who.token, nil))
		}
		// Nothing refused was done.
		if n := len(h.must(200, h.call("GET", "/v1/account-kits", owner, nil, test...)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("%d kits after refused creates", n)
		}

		// A viewer cannot decide; an approver can, and the request runs.
		if r := h.call("POST", "/v1/approvals/"+a1+"/approve", viewer, nil, test...); r.Status != 403 || r.errField(t, "role") != "viewer" {
			t.Fatalf("viewer approve: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/approvals/"+a1+"/deny", viewer, `{"reason":"no"}`, test...); r.Status != 403 {
			t.Fatalf("viewer deny: %d %s", r.Status, r.Body)
		}
		if r := h.must(200, h.call("POST", "/v1/approvals/"+a1+"/approve", approver, nil, test...)).json(t); r["status"] != "executed" {
			t.Fatalf("approver approve: %v", r)
		}
		a2 := approval()
		if r := h.must(200, h.call("POST", "/v1/approvals/"+a2+"/deny", approver, `{"reason":"not now"}`, test...)).json(t); r["status"] != "denied" {
			t.Fatalf("approver deny: %v", r)
		}
		// Agents are not restricted by human roles.
		h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"agent-made"}`))

		// The last owner can be neither demoted nor removed.
		admin := h.must(200, h.call("GET", "/v1/auth/whoami", owner, nil)).json(t)["user_id"].(string)
		for _, r := range []resp{
			h.call("PATCH", "/v1/users/"+admin, owner, `{"role":"viewer"}`),
			h.call("DELETE", "/v1/users/"+admin, owner, nil),
		} {
			if r.Status != 409 || r.errField(t, "reason") != "last_owner" {
				t.Fatalf("last owner: %d %s", r.Status, r.Body)
			}
		}
		// With a second owner, the first can be demoted, and is then refused.
		if r := h.must(200, h.call("PATCH", "/v1/users/"+apprID, owner, `{"role":"owner"}`)).json(t); r["role"] != "owner" {
			t.Fatalf("promote: %v", r)
		}
		h.must(201, h.call("POST", "/v1/credits/grant", approver, `{"amount":5}`, test...)) // at once, same session
		h.must(200, h.call("PATCH", "/v1/users/"+admin, approver, `{"role":"viewer"}`))
		if r := h.call("POST", "/v1/credits/grant", owner, `{"amount":5}`, test...); r.Status != 403 {
			t.Fatalf("demoted owner grants: %d %s", r.Status, r.Body)
		}
		if r := h.call("PATCH", "/v1/users/"+apprID, approver, `{"role":"viewer"}`); r.Status != 409 {
			t.Fatalf("demote the new last owner: %d %s", r.Status, r.Body)
		}
		if r := h.call("PATCH", "/v1/users/"+apprID, approver, `{}`); r.errCode(t) != "invalid_input" {
			t.Fatalf("empty patch: %d %s", r.Status, r.Body)
		}

		// A removed user's sessions end at once.
		h.must(200, h.call("DELETE", "/v1/users/"+viewID, approver, nil))
		if r := h.call("GET", "/v1/credits", viewer, nil, test...); r.Status != 401 {
			t.Fatalf("removed viewer: %d %s", r.Status, r.Body)
		}
		if r := h.call("DELETE", "/v1/users/"+viewID, approver, nil); r.Status != 404 {
			t.Fatalf("removing twice: %d %s", r.Status, r.Body)
		}
		if r := h.call("PATCH", "/v1/users/not-a-uuid", approver, `{"role":"owner"}`); r.Status != 404 {
			t.Fatalf("bad id: %d %s", r.Status, r.Body)
		}

		// Another operator's user id is 404, and its humans are not listed.
		ctx := context.Background()
		st := h.app.Store()
		op := &naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "Other", CreatedAt: time.Now().UTC()}
		if err := st.CreateOperator(ctx, op); err != nil {
			t.Fatal(err)
		}
		eveID := uuid.Must(uuid.NewV7()).String()
		if err := st.CreateUser(ctx, &naive.User{ID: eveID, OperatorID: op.ID, Email: "eve@other.example",
			PasswordHash: service.HashPassword("other password"), CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		eve := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"eve@other.example","password":"other password"}`)).json(t)["token"].(string)
		for _, r := range []resp{
			h.call("PATCH", "/v1/users/"+apprID, eve, `{"role":"viewer"}`),
			h.call("DELETE", "/v1/users/"+apprID, eve, nil),
			h.call("PATCH", "/v1/users/"+eveID, approver, `{"role":"viewer"}`),
			h.call("DELETE", "/v1/users/"+eveID, approver, nil),
		} {
			if r.Status != 404 {
				t.Errorf("another operator's user: %d %s", r.Status, r.Body)
			}
		}
		if l := h.must(200, h.call("GET", "/v1/users", eve, nil)).json(t)["data"].([]any); len(l) != 1 {
			t.Fatalf("other operator lists %d users", len(l))
		}
		// Agents cannot manage people.
		if r := h.call("GET", "/v1/users", h.testKey, nil); r.Status != 403 {
			t.Fatalf("agent lists users: %d %s", r.Status, r.Body)
		}
	})
}
