package e2e_test

import "testing"

// TestRevokedRequesterNeedsConfirmation: an approval whose requesting key
// is revoked (or whose agent is deleted) after it asked says so, and is
// not executed on a plain approve — only with an explicit confirmation.
func TestRevokedRequesterNeedsConfirmation(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		human := h.login()
		sid := h.formedSubject()
		ask := func() (approval, key, agent string) {
			agent = h.must(201, h.call("POST", "/v1/agents", human, `{"name":"asker"}`, "Naive-Mode", "test")).json(t)["id"].(string)
			k := h.must(201, h.call("POST", "/v1/keys", human, `{"name":"asker key","mode":"test","agent_id":"`+agent+`"}`)).json(t)
			approval = h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", k["secret"].(string), seedBody)).json(t)["approval_id"].(string)
			return approval, k["id"].(string), agent
		}
		get := func(id string) map[string]any {
			return h.must(200, h.call("GET", "/v1/approvals/"+id, human, nil, "Naive-Mode", "test")).json(t)
		}

		id, key, _ := ask()
		if r, _ := get(id)["requester"].(map[string]any); r == nil || r["key_revoked"] != false || r["agent_deleted"] != false {
			t.Fatalf("requester of a fresh approval: %v", get(id))
		}
		h.must(200, h.call("DELETE", "/v1/keys/"+key, human, nil))
		if r, _ := get(id)["requester"].(map[string]any); r["key_revoked"] != true {
			t.Fatalf("requester after the key's revocation: %v", r)
		}
		listed := h.must(200, h.call("GET", "/v1/approvals?status=pending", human, nil, "Naive-Mode", "test")).json(t)["data"].([]any)
		if r, _ := listed[0].(map[string]any)["requester"].(map[string]any); r["key_revoked"] != true {
			t.Fatalf("the list's requester: %v", listed[0])
		}
		r := h.call("POST", "/v1/approvals/"+id+"/approve", human, nil, "Naive-Mode", "test")
		if r.Status != 409 || r.errField(t, "requester_key_revoked") != true || r.errField(t, "hint") == nil {
			t.Fatalf("approve with a revoked requester: %d %s", r.Status, r.Body)
		}
		if get(id)["status"] != "pending" || h.app.SandboxNumberCount() != 0 {
			t.Fatal("a refused approve ran or decided")
		}
		a := h.must(200, h.call("POST", "/v1/approvals/"+id+"/approve", human, `{"confirm_revoked_requester":true}`, "Naive-Mode", "test")).json(t)
		if a["status"] != "executed" || h.app.SandboxNumberCount() != 1 {
			t.Fatalf("approve with the confirmation: %v", a)
		}

		// A deleted agent too.
		id, key, agent := ask()
		h.must(200, h.call("DELETE", "/v1/keys/"+key, human, nil))
		h.must(200, h.call("DELETE", "/v1/agents/"+agent, human, nil, "Naive-Mode", "test"))
		if r, _ := get(id)["requester"].(map[string]any); r["agent_deleted"] != true {
			t.Fatalf("requester after the agent's deletion: %v", r)
		}
		if r := h.call("POST", "/v1/approvals/"+id+"/approve", human, `{"confirm_revoked_requester":false}`, "Naive-Mode", "test"); r.Status != 409 ||
			r.errField(t, "requester_agent_deleted") != true {
			t.Fatalf("approve with a deleted agent: %d %s", r.Status, r.Body)
		}
		// Denying needs no confirmation.
		h.must(200, h.call("POST", "/v1/approvals/"+id+"/deny", human, `{"reason":"its agent is gone"}`, "Naive-Mode", "test"))
	})
}
