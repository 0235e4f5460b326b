package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Text the API refuses: a NUL, which PostgreSQL cannot store (it answered
// 500, SQLSTATE 22021, where SQLite stored it), and invalid UTF-8, which
// JSON decoding would have stored as U+FFFD.
var badTexts = []struct{ name, json, query string }{
	{"NUL", `x\u0000y`, "x%00y"},
	{"invalid UTF-8", "x\xffy", "x%FFy"},
}

// TestBadTextIsRefused sends a NUL and invalid UTF-8 in a text field of
// every route that takes text, in query and path values and in
// Idempotency-Key: each is 400 invalid_input naming the field, with a
// hint, on every database, and nothing is written.
func TestBadTextIsRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		human := h.login()
		who := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)
		sid := who["default_subject_id"].(string)
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"original"}`)).json(t)["id"].(string)
		phone := uuid.NewString() // the body is refused before the number is looked up
		approval := uuid.NewString()

		before := h.snapshot(human)

		for _, bad := range badTexts {
			for _, c := range []struct {
				method, path, token, body, param string
			}{
				{"POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","label":"%s"}`, "label"},
				{"POST", "/v1/phone/provision", h.testKey, `{"ein":"%s"}`, "ein"},
				{"POST", "/v1/subjects/" + sid + "/phone/provision", h.testKey, `{"label":"%s"}`, "label"},
				{"POST", "/v1/subjects", h.testKey, `{"legal_name":"%s"}`, "legal_name"},
				{"POST", "/v1/subjects", h.testKey, `{"legal_name":"Acme LLC","address":{"street":"1 Main St","city":"%s"}}`, "address.city"},
				{"PATCH", "/v1/subjects/" + sid, h.testKey, `{"legal_name":"%s"}`, "legal_name"},
				{"PATCH", "/v1/subjects/" + sid, h.testKey, `{"address":{"city":"%s"}}`, "address.city"},
				{"POST", "/v1/agents", h.testKey, `{"name":"%s"}`, "name"},
				{"POST", "/v1/agents", h.testKey, `{"name":"bot","webhook_url":"https://example.com/%s"}`, "webhook_url"},
				{"PATCH", "/v1/agents/" + agent, h.testKey, `{"name":"%s"}`, "name"},
				{"PATCH", "/v1/agents/" + agent, h.testKey, `{"webhook_url":"https://example.com/%s"}`, "webhook_url"},
				{"POST", "/v1/keys", human, `{"name":"%s","mode":"test"}`, "name"},
				{"POST", "/v1/account-kits", human, `{"name":"%s"}`, "name"},
				{"POST", "/v1/webhooks", h.testKey, `{"url":"https://example.com/%s"}`, "url"},
				{"POST", "/v1/webhooks", h.testKey, `{"url":"https://example.com/h","event_types":["sms.received","%s"]}`, "event_types[1]"},
				{"POST", "/v1/phone/" + phone + "/sms", h.testKey, `{"to":"+1415555%s","body":"hi"}`, "to"},
				{"POST", "/v1/phone/" + phone + "/sms", h.testKey, `{"to":"+14155550123","body":"%s"}`, "body"},
				{"POST", "/v1/sandbox/sms", h.testKey, `{"to":"+14155550123","body":"%s"}`, "body"},
				{"POST", "/v1/approvals/" + approval + "/deny", human, `{"reason":"%s"}`, "reason"},
				{"POST", "/v1/phone/" + phone + "/assign", h.testKey, `{"agent_id":"%s"}`, "agent_id"},
				{"POST", "/v1/formation", h.testKey, `{"entity_type":"LLC","state":"%s"}`, "state"},
				{"POST", "/v1/subjects/" + sid + "/formation", h.testKey, `{"entity_type":"LLC","state":"DE","legal_name":"%s"}`, "legal_name"},
				{"POST", "/v1/auth/login", "", `{"email":"%s","password":"x"}`, "email"},
				{"POST", "/v1/credits/grant", human, `{"amount":5,"memo":"%s"}`, "memo"},
			} {
				r := h.call(c.method, c.path, c.token, fmt.Sprintf(c.body, bad.json), "Naive-Mode", "test")
				h.refused(r, bad.name+" in "+c.method+" "+c.path+" "+c.param, c.param)
			}
			for _, c := range []struct{ path, param string }{
				{"/v1/phone?agent=" + bad.query, "agent"},
				{"/v1/events?type=" + bad.query, "type"},
				{"/v1/events?cursor=" + bad.query, "cursor"},
				{"/v1/approvals?status=" + bad.query, "status"},
				{"/v1/approvals?subject_id=" + bad.query, "subject_id"},
				{"/v1/subjects/" + sid + "/phone/preflight?ein=" + bad.query, "ein"},
				{"/v1/subjects/" + bad.query, "sid"},
				{"/v1/agents/" + bad.query, "id"},
				{"/v1/phone/" + phone + "/" + bad.query, "sub"},
			} {
				h.refused(h.call("GET", c.path, h.testKey, nil), bad.name+" in GET "+c.path, c.param)
			}
		}

		// Idempotency-Key: invalid UTF-8, and longer than 255 characters.
		for _, key := range []string{"key-\xff", strings.Repeat("k", 256)} {
			r := h.call("POST", "/v1/agents", h.testKey, `{"name":"keyed"}`, "Idempotency-Key", key)
			h.refused(r, fmt.Sprintf("Idempotency-Key of %d bytes %q…", len(key), key[:5]), "Idempotency-Key")
		}

		if after := h.snapshot(human); !slices.Equal(after, before) {
			t.Fatalf("refused requests wrote rows:\nbefore %v\nafter  %v", before, after)
		}
		// The limit is 255: a key that long still works.
		h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"keyed"}`, "Idempotency-Key", strings.Repeat("k", 255)))
	})
}

// refused fails unless r is 400 invalid_input naming param, with a hint.
func (h *harness) refused(r resp, what, param string) {
	h.t.Helper()
	if r.Status != 400 || r.errCode(h.t) != "invalid_input" || r.errField(h.t, "param") != param {
		h.t.Fatalf("%s: %d %s, want 400 invalid_input on %s", what, r.Status, r.Body, param)
	}
	if hint, _ := r.errField(h.t, "hint").(string); hint == "" {
		h.t.Fatalf("%s: no hint in %s", what, r.Body)
	}
}

// snapshot describes what the refused requests could have written: the
// lists of subjects, agents, keys, kits, webhooks, numbers and approvals,
// the subject and agent as they are, and the balance and ledger.
func (h *harness) snapshot(human string) []string {
	h.t.Helper()
	var out []string
	for _, c := range []struct{ path, token string }{
		{"/v1/subjects", h.testKey}, {"/v1/agents", h.testKey}, {"/v1/keys", human}, {"/v1/account-kits", human},
		{"/v1/webhooks", h.testKey}, {"/v1/phone", h.testKey}, {"/v1/approvals", human}, {"/v1/credits/ledger", h.testKey},
	} {
		r := h.must(200, h.call("GET", c.path+"?limit=200", c.token, nil, "Naive-Mode", "test"))
		var rows []string
		for _, row := range r.json(h.t)["data"].([]any) {
			m := row.(map[string]any)
			rows = append(rows, fmt.Sprint(m["id"], m["name"], m["legal_name"], m["address"], m["webhook_url"], m["label"]))
		}
		out = append(out, fmt.Sprintf("%s: %d %v", c.path, len(rows), rows))
	}
	out = append(out, fmt.Sprint("balance ", h.balance(h.testKey)))
	return out
}
