package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
)

func TestHumansKeysAndRevocation(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		// Wrong password, unknown user: the same 401.
		for _, body := range []string{`{"email":"admin@localhost","password":"nope"}`, `{"email":"who@x.example","password":"nope"}`} {
			r := h.call("POST", "/v1/auth/login", "", body)
			if r.Status != 401 || r.errCode(t) != "unauthorized" {
				t.Fatalf("login %s: %d %s", body, r.Status, r.Body)
			}
		}
		r := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"ADMIN@localhost","password":"`+h.password+`"}`)).json(t)
		session := r["token"].(string)
		if r["expires_at"] == nil || !strings.HasPrefix(session, "nv_sess_") {
			t.Fatalf("login %v", r)
		}
		who := h.must(200, h.call("GET", "/v1/auth/whoami", session, nil)).json(t)
		if who["kind"] != "human" || who["email"] != "admin@localhost" {
			t.Fatalf("whoami %v", who)
		}
		// Agents cannot manage keys or grant credits.
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/v1/keys", ""}, {"POST", "/v1/keys", `{"name":"x"}`}, {"POST", "/v1/credits/grant", `{"amount":5}`},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := h.call(c.method, c.path, h.testKey, body)
			if r.Status != 403 || r.errCode(t) != "forbidden" || r.errField(t, "hint") == nil {
				t.Fatalf("agent %s %s: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		// A new key is shown once; the list never shows secrets.
		k := h.must(201, h.call("POST", "/v1/keys", session, `{"name":"bot","mode":"test"}`)).json(t)
		secret := k["secret"].(string)
		if !strings.HasPrefix(secret, "nv_sk_test_") {
			t.Fatalf("key %v", k)
		}
		list := h.must(200, h.call("GET", "/v1/keys", session, nil))
		if strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), "secret") {
			t.Fatalf("list leaks secrets: %s", list.Body)
		}
		if n := len(list.json(t)["data"].([]any)); n != 2 {
			t.Fatalf("%d keys", n)
		}
		h.must(200, h.call("GET", "/v1/credits", secret, nil))
		// Revocation holds on the very next request.
		h.must(200, h.call("DELETE", "/v1/keys/"+k["id"].(string), session, nil))
		if r := h.call("GET", "/v1/credits", secret, nil); r.Status != 401 {
			t.Fatalf("revoked key: %d", r.Status)
		}
		if r := h.call("DELETE", "/v1/keys/"+k["id"].(string), session, nil); r.Status != 404 {
			t.Fatalf("revoke twice: %d", r.Status)
		}
		// Grants land in the mode the human acts in.
		h.must(201, h.call("POST", "/v1/credits/grant", session, `{"amount":25,"memo":"top-up"}`, "Naive-Mode", "test"))
		if b := h.balance(h.testKey); b != 1025 {
			t.Fatalf("test balance %d", b)
		}
		if b := h.balance(session, "live"); b != 0 {
			t.Fatalf("live balance %d", b)
		}
		for _, bad := range []string{`{"amount":0}`, `{"amount":-5}`, `{"amount":"5"}`, `{"amount":100000000}`} {
			if r := h.call("POST", "/v1/credits/grant", session, bad, "Naive-Mode", "test"); r.Status != 400 {
				t.Fatalf("grant %s: %d", bad, r.Status)
			}
		}
		// A key's mode is fixed.
		if r := h.call("GET", "/v1/credits", h.testKey, nil, "Naive-Mode", "live"); r.Status != 400 {
			t.Fatalf("mode override: %d", r.Status)
		}
		// Logout ends the session.
		if r := h.call("POST", "/v1/auth/logout", session, nil); r.Status != 204 {
			t.Fatalf("logout %d %s", r.Status, r.Body)
		}
		if r := h.call("GET", "/v1/auth/whoami", session, nil); r.Status != 401 {
			t.Fatalf("after logout %d", r.Status)
		}
	})
}

func TestAgentsAndSubjects(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		a := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"support-bot","webhook_url":"https://bot.example/hook"}`)).json(t)
		id := a["id"].(string)
		h.must(200, h.call("GET", "/v1/agents/"+id, h.testKey, nil))
		if n := len(h.must(200, h.call("GET", "/v1/agents", h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("%d agents", n)
		}
		if r := h.call("POST", "/v1/agents", h.testKey, `{"name":""}`); r.Status != 400 || r.errField(t, "param") != "name" {
			t.Fatalf("empty name: %s", r.Body)
		}
		if r := h.call("POST", "/v1/agents", h.testKey, `{"name":"x","webhook_url":"ftp://x"}`); r.Status != 400 {
			t.Fatalf("bad url: %s", r.Body)
		}
		// Provision connected to the agent, then filter by it.
		r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","agent_id":"`+id+`"}`)).json(t)
		if r["phone"].(map[string]any)["agent_id"] != id {
			t.Fatalf("agent not connected: %v", r)
		}
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{}`))
		if n := len(h.must(200, h.call("GET", "/v1/phone?agent="+id, h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("filter by agent: %d", n)
		}
		// Paging.
		l := h.must(200, h.call("GET", "/v1/phone?limit=1", h.testKey, nil)).json(t)
		if len(l["data"].([]any)) != 1 || l["next_cursor"] == nil {
			t.Fatalf("page 1 %v", l)
		}
		l2 := h.must(200, h.call("GET", "/v1/phone?limit=1&cursor="+l["next_cursor"].(string), h.testKey, nil)).json(t)
		if len(l2["data"].([]any)) != 1 || l2["next_cursor"] != nil {
			t.Fatalf("page 2 %v", l2)
		}
		if l2["data"].([]any)[0].(map[string]any)["id"] == l["data"].([]any)[0].(map[string]any)["id"] {
			t.Fatal("same phone on both pages")
		}
		for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=garbage"} {
			if r := h.call("GET", "/v1/phone?"+q, h.testKey, nil); r.Status != 400 {
				t.Fatalf("%s: %d", q, r.Status)
			}
		}
		// Subjects: validation names the field.
		for body, param := range map[string]string{
			`{"state":"DE"}`:                                 "legal_name",
			`{"legal_name":"X","state":"ZZ"}`:                "state",
			`{"legal_name":"X","website":"not a url"}`:       "website",
			`{"legal_name":"X","industry":"spaceships"}`:     "industry",
			`{"legal_name":"X","contact":{"phone":"555"}}`:   "contact.phone",
			`{"legal_name":"X","contact":{"email":"nope"}}`:  "contact.email",
			`{"legal_name":"X","address":{"postal_code":1}}`: "address.postal_code",
		} {
			r := h.call("POST", "/v1/subjects", h.testKey, body)
			if r.Status != 400 || r.errField(t, "param") != param {
				t.Errorf("%s: %d %s, want param %s", body, r.Status, r.Body, param)
			}
		}
		s := h.must(201, h.call("POST", "/v1/subjects", h.testKey, `{"legal_name":"Beta LLC"}`)).json(t)
		sid := s["id"].(string)
		u := h.must(200, h.call("PATCH", "/v1/subjects/"+sid, h.testKey, `{"website":"https://beta.example"}`)).json(t)
		if u["website"] != "https://beta.example" || u["legal_name"] != "Beta LLC" {
			t.Fatalf("patch %v", u)
		}
		// Formation done, but the profile lacks what the carrier needs.
		h.must(202, h.call("POST", "/v1/subjects/"+sid+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`))
		if r := h.call("POST", "/v1/subjects/"+sid+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`); r.Status != 409 {
			t.Fatalf("second formation: %d", r.Status)
		}
		if r := h.call("POST", "/v1/subjects/"+sid+"/formation", h.testKey, `{"entity_type":"Corp","state":"DE"}`); r.Status != 400 {
			t.Fatalf("bad entity: %d", r.Status)
		}
	})
}

// TestRateLimit: a caller over its budget gets 429 rate_limited with
// Retry-After; other callers are not affected.
func TestRateLimit(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db", func(o *app.Options) { o.RateLimit = 1; o.RateBurst = 3 })
	for i := 0; i < 3; i++ {
		r := h.must(200, h.call("GET", "/v1/credits", h.testKey, nil))
		if r.Header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("headers %v", r.Header)
		}
	}
	r := h.call("GET", "/v1/credits", h.testKey, nil)
	if r.Status != 429 || r.errCode(t) != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s %v", r.Status, r.Body, r.Header)
	}
	// A human is another caller, with its own budget.
	h.must(200, h.call("GET", "/v1/credits", h.login(), nil))
	time.Sleep(1100 * time.Millisecond)
	h.must(200, h.call("GET", "/v1/credits", h.testKey, nil))
}

// TestIdempotencyKeyPerMode: a human's key in test mode is another key in
// live mode; the live request runs instead of replaying the test answer.
func TestIdempotencyKeyPerMode(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	s := h.login()
	h.must(201, h.call("POST", "/v1/credits/grant", s, `{"amount":7}`, "Naive-Mode", "test", "Idempotency-Key", "g1"))
	r := h.must(201, h.call("POST", "/v1/credits/grant", s, `{"amount":7}`, "Naive-Mode", "live", "Idempotency-Key", "g1"))
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the live grant replayed the test one")
	}
	if h.balance(s, "live") != 7 || h.balance(s, "test") != 1007 {
		t.Fatalf("balances live %d test %d", h.balance(s, "live"), h.balance(s, "test"))
	}
}
