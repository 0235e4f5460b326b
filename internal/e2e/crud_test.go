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

// TestAgentUpdateAndDelete: PATCH /v1/agents/{id} renames an agent and
// sets, moves and removes its webhook (a new secret shown once, kept when
// the URL moves); DELETE refuses while a key is bound, then removes the
// agent with its assignments and webhook.
func TestAgentUpdateAndDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		human := h.login()
		first, firstSrv := newReceiver(t, 0)
		second, secondSrv := newReceiver(t, 0)
		ag := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"bot"}`)).json(t)
		id := ag["id"].(string)
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","agent_id":"`+id+`"}`)).json(t)["phone"].(map[string]any)
		phone, e164 := ph["id"].(string), ph["e164"].(string)

		// Rename only: no webhook, no secret.
		a := h.must(200, h.call("PATCH", "/v1/agents/"+id, h.testKey, `{"name":"  renamed  "}`)).json(t)
		if a["name"] != "renamed" || a["webhook_url"] != nil || a["webhook_secret"] != nil || a["created_at"] != ag["created_at"] {
			t.Fatalf("renamed %v", a)
		}
		// A first URL: its secret is in this answer only, and it signs.
		a = h.must(200, h.call("PATCH", "/v1/agents/"+id, h.testKey, map[string]string{"webhook_url": firstSrv.URL})).json(t)
		secret, _ := a["webhook_secret"].(string)
		if a["webhook_url"] != firstSrv.URL || a["name"] != "renamed" || !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("webhook set %v", a)
		}
		if g := h.must(200, h.call("GET", "/v1/agents/"+id, h.testKey, nil)); strings.Contains(string(g.Body), "webhook_secret") {
			t.Fatalf("get shows the secret: %s", g.Body)
		}
		first.setSecret(t, secret)
		second.setSecret(t, secret)
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","body":"one"}`))
		waitFor(t, "delivery to the first URL", func() bool { acc, _, _ := first.got(); return len(acc) == 1 })
		// A moved URL keeps the secret: no new one is shown.
		a = h.must(200, h.call("PATCH", "/v1/agents/"+id, h.testKey, map[string]string{"webhook_url": secondSrv.URL})).json(t)
		if a["webhook_url"] != secondSrv.URL || a["webhook_secret"] != nil {
			t.Fatalf("webhook moved %v", a)
		}
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","body":"two"}`))
		waitFor(t, "delivery to the moved URL", func() bool { acc, _, _ := second.got(); return len(acc) == 1 })
		if acc, _, bad := second.got(); bad != 0 || acc[0]["data"].(map[string]any)["body"] != "two" {
			t.Fatalf("moved URL got %v (bad signatures %d)", acc, bad)
		}
		// "" removes it.
		a = h.must(200, h.call("PATCH", "/v1/agents/"+id, h.testKey, `{"webhook_url":""}`)).json(t)
		if _, ok := a["webhook_url"]; ok {
			t.Fatalf("webhook removed %v", a)
		}
		// Refusals.
		for _, c := range []struct {
			path, body string
			status     int
		}{
			{"/v1/agents/" + id, `{"name":""}`, 400},
			{"/v1/agents/" + id, `{"webhook_url":"ftp://x"}`, 400},
			{"/v1/agents/" + id, `{"nickname":"x"}`, 400},
			{"/v1/agents/" + uuid.Must(uuid.NewV7()).String(), `{"name":"x"}`, 404},
			{"/v1/agents/nope", `{"name":"x"}`, 404},
		} {
			if r := h.call("PATCH", c.path, h.testKey, c.body); r.Status != c.status {
				t.Fatalf("PATCH %s %s: %d %s", c.path, c.body, r.Status, r.Body)
			}
		}

		// A bound, unrevoked key keeps the agent.
		key := h.must(201, h.call("POST", "/v1/keys", human, `{"name":"bot","mode":"test","agent_id":"`+id+`"}`)).json(t)
		r := h.call("DELETE", "/v1/agents/"+id, h.testKey, nil)
		if r.Status != 409 || r.errCode(t) != "conflict" || !strings.Contains(r.errField(t, "hint").(string), "/v1/keys") {
			t.Fatalf("delete with a bound key: %d %s", r.Status, r.Body)
		}
		h.must(200, h.call("GET", "/v1/agents/"+id, h.testKey, nil))
		h.must(200, h.call("DELETE", "/v1/keys/"+key["id"].(string), human, nil))

		del := h.must(200, h.call("DELETE", "/v1/agents/"+id, h.testKey, nil, "Idempotency-Key", "del-agent")).json(t)
		if del["id"] != id || del["deleted"] != true {
			t.Fatalf("deleted %v", del)
		}
		// A retry with the same key replays the answer.
		h.must(200, h.call("DELETE", "/v1/agents/"+id, h.testKey, nil, "Idempotency-Key", "del-agent"))
		if r := h.call("DELETE", "/v1/agents/"+id, h.testKey, nil); r.Status != 404 {
			t.Fatalf("delete twice: %d %s", r.Status, r.Body)
		}
		if r := h.call("GET", "/v1/agents/"+id, h.testKey, nil); r.Status != 404 {
			t.Fatalf("get deleted agent: %d", r.Status)
		}
		if as := h.must(200, h.call("GET", "/v1/phone/"+phone+"/assignments", h.testKey, nil)).json(t)["data"].([]any); len(as) != 0 {
			t.Fatalf("assignments of a deleted agent %v", as)
		}
		if r := h.call("POST", "/v1/keys", human, `{"name":"late","mode":"test","agent_id":"`+id+`"}`); r.Status != 400 {
			t.Fatalf("key for a deleted agent: %d %s", r.Status, r.Body)
		}
		if r := h.call("POST", "/v1/phone/"+phone+"/assign", h.testKey, `{"agent_id":"`+id+`"}`); r.Status != 400 || r.errField(t, "param") != "agent_id" {
			t.Fatalf("assign a deleted agent: %d %s", r.Status, r.Body)
		}
		for _, l := range h.must(200, h.call("GET", "/v1/agents", h.testKey, nil)).json(t)["data"].([]any) {
			if l.(map[string]any)["id"] == id {
				t.Fatal("list shows the deleted agent")
			}
		}
	})
}

// TestSubjectDelete: the default subject and a subject with numbers stay;
// a deleted subject is gone from gets, lists and every call naming it.
func TestSubjectDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		def := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)["default_subject_id"].(string)
		r := h.call("DELETE", "/v1/subjects/"+def, h.testKey, nil)
		if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "hint") == nil {
			t.Fatalf("delete the default subject: %d %s", r.Status, r.Body)
		}

		sid := h.formedSubject()
		// A human provisions without approval; an active number blocks the delete.
		ph := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", human, seedBody, "Naive-Mode", "test")).json(t)["phone"].(map[string]any)
		r = h.call("DELETE", "/v1/subjects/"+sid, h.testKey, nil)
		if r.Status != 409 || r.errCode(t) != "conflict" || !strings.Contains(r.errField(t, "hint").(string), "Release them first") {
			t.Fatalf("delete with a number: %d %s", r.Status, r.Body)
		}
		h.must(200, h.call("DELETE", "/v1/subjects/"+sid+"/phone/"+ph["id"].(string), h.testKey, nil))

		del := h.must(200, h.call("DELETE", "/v1/subjects/"+sid, h.testKey, nil)).json(t)
		if del["id"] != sid || del["deleted"] != true {
			t.Fatalf("deleted %v", del)
		}
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/v1/subjects/" + sid, ""},
			{"PATCH", "/v1/subjects/" + sid, `{"website":"https://x.example"}`},
			{"DELETE", "/v1/subjects/" + sid, ""},
			{"GET", "/v1/subjects/" + sid + "/formation", ""},
			{"POST", "/v1/subjects/" + sid + "/formation", `{"entity_type":"LLC","state":"DE"}`},
			{"GET", "/v1/subjects/" + sid + "/phone", ""},
			{"GET", "/v1/subjects/" + sid + "/phone/" + ph["id"].(string), ""},
			{"GET", "/v1/subjects/" + sid + "/phone/status", ""},
			{"POST", "/v1/subjects/" + sid + "/phone/provision", seedBody},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			if r := h.call(c.method, c.path, h.testKey, body); r.Status != 404 || r.errCode(t) != "not_found" {
				t.Errorf("%s %s on a deleted subject: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		if r := h.call("GET", "/v1/phone", h.testKey, nil, "Naive-Subject", sid); r.Status != 404 {
			t.Errorf("Naive-Subject naming a deleted subject: %d", r.Status)
		}
		kit := h.must(201, h.call("POST", "/v1/account-kits", human, `{"name":"k"}`, "Naive-Mode", "test")).json(t)["id"].(string)
		if r := h.call("POST", "/v1/account-kits/"+kit+"/subjects/"+sid+"/assign", human, nil, "Naive-Mode", "test"); r.Status != 404 {
			t.Errorf("assign a kit to a deleted subject: %d %s", r.Status, r.Body)
		}
		list := h.must(200, h.call("GET", "/v1/subjects", h.testKey, nil))
		if strings.Contains(string(list.Body), sid) {
			t.Fatalf("list shows the deleted subject: %s", list.Body)
		}
		// The default subject still works.
		h.must(200, h.call("GET", "/v1/subjects/"+def, h.testKey, nil))
	})
}

// TestDeletesOtherOperatorIs404: another operator can neither change nor
// delete an agent or a subject.
func TestDeletesOtherOperatorIs404(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"a"}`)).json(t)["id"].(string)
		sid := h.must(201, h.call("POST", "/v1/subjects", h.testKey, acmeProfile)).json(t)["id"].(string)

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
		for _, c := range []struct{ method, path, body string }{
			{"PATCH", "/v1/agents/" + agent, `{"name":"stolen"}`},
			{"DELETE", "/v1/agents/" + agent, ""},
			{"DELETE", "/v1/subjects/" + sid, ""},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			if r := h.call(c.method, c.path, eve, body, "Naive-Mode", "test"); r.Status != 404 {
				t.Errorf("%s %s as another operator: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		// Nor does live mode reach test-mode resources.
		human := h.login()
		for _, path := range []string{"/v1/agents/" + agent, "/v1/subjects/" + sid} {
			if r := h.call("DELETE", path, human, nil, "Naive-Mode", "live"); r.Status != 404 {
				t.Errorf("DELETE %s in live mode: %d %s", path, r.Status, r.Body)
			}
		}
		if a := h.must(200, h.call("GET", "/v1/agents/"+agent, h.testKey, nil)).json(t); a["name"] != "a" {
			t.Fatalf("agent after other operator's calls %v", a)
		}
		h.must(200, h.call("GET", "/v1/subjects/"+sid, h.testKey, nil))
	})
}
