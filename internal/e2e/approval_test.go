package e2e_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

const acmeProfile = `{"legal_name":"Acme Robotics LLC","state":"DE","website":"https://acme.example",
 "industry":"technology","privacy_policy_url":"https://acme.example/privacy","terms_url":"https://acme.example/terms",
 "address":{"line1":"1 Main St","city":"San Francisco","region":"CA","postal_code":"94105","country":"US"},
 "contact":{"first_name":"Ada","last_name":"Lovelace","email":"ada@acme.example","phone":"+14155550100","title":"ceo"}}`

// formedSubject creates a tenant subject (not the default one) with a
// completed test-mode formation.
func (h *harness) formedSubject() string {
	h.t.Helper()
	id := h.must(201, h.call("POST", "/v1/subjects", h.testKey, acmeProfile)).json(h.t)["id"].(string)
	h.must(202, h.call("POST", "/v1/subjects/"+id+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`))
	deadline := time.Now().Add(10 * time.Second)
	for h.must(200, h.call("GET", "/v1/subjects/"+id+"/formation", h.testKey, nil)).json(h.t)["status"] != "formation_completed" {
		if time.Now().After(deadline) {
			h.t.Fatal("formation did not complete")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return id
}

func fastFormation(o *app.Options) { o.FormationDelay = 50 * time.Millisecond }

func TestApprovalJourney(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		path := "/v1/subjects/" + sid + "/phone/provision"
		// An agent's provision on a tenant subject waits for a human.
		r := h.must(202, h.call("POST", path, h.testKey, seedBody, "Idempotency-Key", "gated-1"))
		p := r.json(t)
		id, _ := p["approval_id"].(string)
		if p["status"] != "pending_approval" || p["action"] != "phone.provision" || p["primitive"] != "phone" ||
			!strings.Contains(p["title"].(string), "Acme Robotics LLC") || !strings.Contains(p["message"].(string), id) {
			t.Fatalf("pending answer %v", p)
		}
		if len(p) != 6 {
			t.Fatalf("pending answer has extra fields: %v", p)
		}
		if h.balance(h.testKey) != 1000 || h.app.SandboxNumberCount() != 0 {
			t.Fatal("a pending request bought or charged")
		}
		// The same key replays the same pending answer, with no second approval.
		r2 := h.must(202, h.call("POST", path, h.testKey, seedBody, "Idempotency-Key", "gated-1"))
		if string(r2.Body) != string(r.Body) {
			t.Fatalf("replay %s", r2.Body)
		}
		list := h.must(200, h.call("GET", "/v1/approvals?status=pending", h.testKey, nil)).json(t)["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("%d pending", len(list))
		}
		a := list[0].(map[string]any)
		if a["id"] != id || a["cost"] != 50.0 || a["subject_id"] != sid || a["status"] != "pending" ||
			a["requested_by"].(map[string]any)["actor_type"] != "agent" || a["resolved_by"] != nil {
			t.Fatalf("approval %v", a)
		}
		exp, _ := time.Parse(time.RFC3339, a["expires_at"].(string))
		if d := time.Until(exp); d < 71*time.Hour || d > 73*time.Hour {
			t.Fatalf("expires in %v", d)
		}
		if a["payload"].(map[string]any)["area_code"] != "415" {
			t.Fatalf("payload %v", a["payload"])
		}
		// Agents cannot decide, and are told the human path.
		r = h.call("POST", "/v1/approvals/"+id+"/approve", h.testKey, nil)
		if r.Status != 403 || !strings.Contains(r.errField(t, "hint").(string), "POST /v1/approvals/{id}/approve") {
			t.Fatalf("agent approve: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/approvals/"+id+"/deny", h.testKey, `{"reason":"no"}`); r.Status != 403 {
			t.Fatalf("agent deny: %d", r.Status)
		}
		// A human approves: the frozen request runs once, as the agent.
		got := h.must(200, h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")).json(t)
		if got["status"] != "executed" || got["resolved_by"].(map[string]any)["actor_type"] != "human" || got["resolved_at"] == nil {
			t.Fatalf("approved %v", got)
		}
		res := got["result"].(map[string]any)
		phone := res["phone"].(map[string]any)
		if phone["subject_id"] != sid || res["credits_remaining"] != 950.0 || phone["status"] != "active" {
			t.Fatalf("result %v", res)
		}
		if h.balance(h.testKey) != 950 || h.app.SandboxNumberCount() != 1 {
			t.Fatal("approval did not buy exactly one number")
		}
		// The ledger charge is the agent's, not the human's.
		l := h.must(200, h.call("GET", "/v1/credits/ledger?limit=1", h.testKey, nil)).json(t)["data"].([]any)[0].(map[string]any)
		if l["actor"].(map[string]any)["actor_type"] != "agent" {
			t.Fatalf("charge actor %v", l)
		}
		// Deciding again is a conflict and executes nothing.
		for _, c := range []struct{ path, body string }{{"/approve", ""}, {"/deny", `{"reason":"late"}`}} {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := h.call("POST", "/v1/approvals/"+id+c.path, human, body, "Naive-Mode", "test")
			if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "approval_status") != "executed" {
				t.Fatalf("%s again: %d %s", c.path, r.Status, r.Body)
			}
		}
		if h.app.SandboxNumberCount() != 1 || h.balance(h.testKey) != 950 {
			t.Fatal("second decision executed")
		}
		// The agent polls the approval for its result.
		if g := h.must(200, h.call("GET", "/v1/approvals/"+id, h.testKey, nil)).json(t); g["status"] != "executed" || g["result"] == nil {
			t.Fatalf("poll %v", g)
		}
		// Events were stored.
		evs := h.must(200, h.call("GET", "/v1/events?type=approval.resolved", h.testKey, nil)).json(t)["data"].([]any)
		if len(evs) != 1 || evs[0].(map[string]any)["data"].(map[string]any)["id"] != id {
			t.Fatalf("resolved events %v", evs)
		}
		if n := len(h.must(200, h.call("GET", "/v1/events?type=approval.requested", h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("%d requested events", n)
		}
		// Humans are never gated.
		r = h.must(202, h.call("POST", path, human, `{"area_code":"212"}`, "Naive-Mode", "test"))
		if r.json(t)["phone"] == nil {
			t.Fatalf("human gated: %s", r.Body)
		}
	})
}

func TestApprovalDenyExpireAndFailure(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, func(o *app.Options) { o.ApprovalTTL = 1500 * time.Millisecond })
		human := h.login()
		sid := h.formedSubject()
		path := "/v1/subjects/" + sid + "/phone/provision"
		ask := func(body string) string {
			return h.must(202, h.call("POST", path, h.testKey, body)).json(t)["approval_id"].(string)
		}
		denied, failing, expiring := ask(seedBody), ask(`{"ein":"12-3456789","area_code":"555"}`), ask(seedBody)
		// Deny needs a reason.
		if r := h.call("POST", "/v1/approvals/"+denied+"/deny", human, `{}`, "Naive-Mode", "test"); r.Status != 400 || r.errField(t, "param") != "reason" {
			t.Fatalf("deny without reason: %d %s", r.Status, r.Body)
		}
		d := h.must(200, h.call("POST", "/v1/approvals/"+denied+"/deny", human, `{"reason":"not this month"}`, "Naive-Mode", "test")).json(t)
		if d["status"] != "denied" || d["reason"] != "not this month" {
			t.Fatalf("denied %v", d)
		}
		if r := h.call("POST", "/v1/approvals/"+denied+"/approve", human, nil, "Naive-Mode", "test"); r.Status != 409 {
			t.Fatalf("approve denied: %d", r.Status)
		}
		// A failed execution ends failed with the error and charges nothing.
		f := h.must(200, h.call("POST", "/v1/approvals/"+failing+"/approve", human, nil, "Naive-Mode", "test")).json(t)
		e, _ := f["error"].(map[string]any)
		if f["status"] != "failed" || e == nil || e["code"] != "no_matching_numbers" || e["hint"] == nil || f["result"] != nil {
			t.Fatalf("failed approval %v", f)
		}
		if h.balance(h.testKey) != 1000 || h.app.SandboxNumberCount() != 0 {
			t.Fatal("a failed approval charged or bought")
		}
		// After its lifetime an approval is expired, on read and for approve.
		time.Sleep(1600 * time.Millisecond)
		r := h.call("POST", "/v1/approvals/"+expiring+"/approve", human, nil, "Naive-Mode", "test")
		if r.Status != 409 || r.errField(t, "approval_status") != "expired" {
			t.Fatalf("approve expired: %d %s", r.Status, r.Body)
		}
		if g := h.must(200, h.call("GET", "/v1/approvals/"+expiring, h.testKey, nil)).json(t); g["status"] != "expired" {
			t.Fatalf("expired read %v", g)
		}
		if h.balance(h.testKey) != 1000 {
			t.Fatal("expired approval charged")
		}
		if n := len(h.must(200, h.call("GET", "/v1/approvals?status=expired", h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("%d expired", n)
		}
	})
}

// TestApprovalExpiryJob: an approval nobody reads expires by itself, through
// the expiry job enqueued with it (due at expires_at; River's scheduler
// makes it available within 5s of that).
func TestApprovalExpiryJob(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, func(o *app.Options) { o.ApprovalTTL = 200 * time.Millisecond })
		sid := h.formedSubject()
		id := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		who := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)
		sc := naive.Scope{OperatorID: who["operator_id"].(string), Mode: naive.ModeTest}
		began := time.Now()
		deadline := began.Add(15 * time.Second)
		for {
			// Read the store, not the API: a read through the service
			// would expire the approval itself.
			a, err := h.app.Store().GetApproval(context.Background(), sc, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status == naive.ApprovalExpired {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the expiry job never expired it: %s", a.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("expired by its job %v after the request", time.Since(began).Round(10*time.Millisecond))
		evs := h.must(200, h.call("GET", "/v1/events?type=approval.resolved", h.testKey, nil)).json(t)["data"].([]any)
		if len(evs) != 1 {
			t.Fatalf("%d approval.resolved events, want 1", len(evs))
		}
	})
}

// TestConcurrentApproves: 20 humans' approves of one approval at once →
// one execution, one charge, 19 conflicts.
func TestConcurrentApproves(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		id := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		var wg sync.WaitGroup
		results := make([]resp, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, r := range results {
			switch r.Status {
			case 200:
				ok++
			case 409:
				conflict++
			default:
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		if ok != 1 || conflict != 19 {
			t.Fatalf("%d executed, %d conflicts", ok, conflict)
		}
		if n := h.app.SandboxNumberCount(); n != 1 {
			t.Fatalf("%d numbers bought", n)
		}
		if b := h.balance(h.testKey); b != 950 {
			t.Fatalf("balance %d", b)
		}
	})
}

func TestAccountKits(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		kits := "/v1/account-kits"
		// Only humans edit kits.
		if r := h.call("POST", kits, h.testKey, `{"name":"x"}`); r.Status != 403 {
			t.Fatalf("agent kit: %d", r.Status)
		}
		for body, param := range map[string]string{
			`{}`: "name",
			`{"name":"x","primitives_config":{"email":{"enabled":true}}}`:                "primitives_config.email",
			`{"name":"x","primitives_config":{"phone":{"defaults":{"area_code":"12"}}}}`: "primitives_config.phone.defaults.area_code",
			`{"name":"x","primitives_config":{"phone":{"defaults":{"color":"red"}}}}`:    "primitives_config.phone.defaults.color",
			`{"name":"x","primitives_config":{"phone":{"requiresApproval":"yes"}}}`:      "primitives_config.requiresApproval",
		} {
			r := h.call("POST", kits, human, body, "Naive-Mode", "test")
			if r.Status != 400 || r.errField(t, "param") != param {
				t.Errorf("%s: %d %s, want param %s", body, r.Status, r.Body, param)
			}
		}
		// requiresApproval false lifts the default gate, and defaults fill the request.
		open := h.must(201, h.call("POST", kits, human, `{"name":"trusted","primitives_config":{"phone":{"enabled":true,"requiresApproval":false,"defaults":{"area_code":"212"}}}}`, "Naive-Mode", "test")).json(t)
		kid := open["id"].(string)
		if r := h.call("POST", kits+"/"+kid+"/subjects/"+sid+"/assign", h.testKey, nil); r.Status != 403 {
			t.Fatalf("agent assign %d", r.Status)
		}
		h.must(200, h.call("POST", kits+"/"+kid+"/subjects/"+sid+"/assign", human, nil, "Naive-Mode", "test"))
		res := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, `{"ein":"12-3456789"}`)).json(t)
		if !strings.HasPrefix(res["phone"].(map[string]any)["e164"].(string), "+1212") {
			t.Fatalf("kit default area code not applied: %v", res)
		}
		// enabled false forbids every phone action.
		h.must(200, h.call("PATCH", kits+"/"+kid, human, `{"primitives_config":{"phone":{"enabled":false}}}`, "Naive-Mode", "test"))
		for _, c := range []struct{ method, path string }{{"POST", "/phone/provision"}, {"GET", "/phone"}, {"GET", "/phone/status"}} {
			var body any
			if c.method == "POST" {
				body = `{}`
			}
			r := h.call(c.method, "/v1/subjects/"+sid+c.path, h.testKey, body)
			if r.Status != 403 || r.errField(t, "reason") != "primitive_disabled_by_kit" {
				t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		// requiresApproval true gates even the default subject.
		strict := h.must(201, h.call("POST", kits, human, `{"name":"strict","primitives_config":{"phone":{"requiresApproval":true}}}`, "Naive-Mode", "test")).json(t)["id"].(string)
		def := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)["default_subject_id"].(string)
		h.must(200, h.call("POST", kits+"/"+strict+"/subjects/"+def+"/assign", human, nil, "Naive-Mode", "test"))
		if r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t); r["status"] != "pending_approval" {
			t.Fatalf("default subject not gated by strict kit: %v", r)
		}
		// Deleting a kit returns its subjects to the built-in default.
		h.must(200, h.call("DELETE", kits+"/"+strict, human, nil, "Naive-Mode", "test"))
		if r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t); r["phone"] == nil {
			t.Fatalf("default subject still gated: %v", r)
		}
		if n := len(h.must(200, h.call("GET", kits, h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("%d kits", n)
		}
	})
}

// TestOtherOperatorIs404: ids of another operator answer 404, never 403.
func TestOtherOperatorIs404(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		sid := h.formedSubject()
		approval := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		phone := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"a"}`)).json(t)["id"].(string)
		human := h.login()
		kit := h.must(201, h.call("POST", "/v1/account-kits", human, `{"name":"k"}`, "Naive-Mode", "test")).json(t)["id"].(string)

		// A second operator with its own human.
		ctx := context.Background()
		st := h.app.Store()
		op := &naive.Operator{ID: uuid.Must(uuid.NewV7()).String(), Name: "Other", CreatedAt: time.Now().UTC()}
		if err := st.CreateOperator(ctx, op); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(ctx, &naive.User{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: op.ID, Email: "eve@other.example",
			PasswordHash: service.HashPassword("other password"), CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		eve := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"eve@other.example","password":"other password"}`)).json(t)["token"].(string)
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/approvals/" + approval}, {"POST", "/v1/approvals/" + approval + "/approve"},
			{"GET", "/v1/subjects/" + sid}, {"GET", "/v1/subjects/" + sid + "/phone"},
			{"GET", "/v1/phone/" + phone}, {"PATCH", "/v1/phone/" + phone}, {"DELETE", "/v1/phone/" + phone}, {"GET", "/v1/agents/" + agent},
			{"GET", "/v1/account-kits/" + kit}, {"POST", "/v1/account-kits/" + kit + "/subjects/" + sid + "/assign"},
		} {
			var body any
			if c.method == "PATCH" {
				body = `{"label":"mine now"}`
			}
			r := h.call(c.method, c.path, eve, body, "Naive-Mode", "test")
			if r.Status != 404 {
				t.Errorf("%s %s as another operator: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		if n := len(h.must(200, h.call("GET", "/v1/approvals", eve, nil, "Naive-Mode", "test")).json(t)["data"].([]any)); n != 0 {
			t.Fatalf("other operator lists %d approvals", n)
		}
		if n := h.app.SandboxNumberCount(); n != 1 {
			t.Fatalf("%d numbers", n)
		}
	})
}
