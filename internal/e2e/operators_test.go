package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/cli"
)

// naiveCmd runs the naive command line in-process (the real cobra
// commands of cmd/naive) and returns its exit code, stdout and stderr.
func naiveCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// tenant is an operator created with `naive admin operators create`, its
// owner's session, and one resource of every kind it made.
type tenant struct {
	id, ownerID, email, session string
	// ids of its resources, by kind.
	subject, formed, agent, key, keySecret, kit, webhook, delivery, phone, e164, approval, message string
}

// createTenant creates an operator with the admin command and logs its
// owner in.
func createTenant(t *testing.T, h *harness, db, name, email string) *tenant {
	t.Helper()
	const password = "a long owner passphrase"
	code, out, errOut := naiveCmd(t, password+"\n", "admin", "operators", "create", "--database-url", db,
		"--name", name, "--owner-email", email, "--owner-password-stdin", "--json")
	if code != 0 {
		t.Fatalf("admin operators create: exit %d: %s %s", code, out, errOut)
	}
	var created struct {
		Operator struct{ ID, Name string }
		Owner    struct {
			ID, Email, Role string
		}
		OwnerPassword string `json:"owner_password"`
		Subjects      []struct {
			ID, Mode  string
			IsDefault bool `json:"is_default"`
		}
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if created.Operator.Name != name || created.Owner.Email != email || created.OwnerPassword != "" || len(created.Subjects) != 2 {
		t.Fatalf("created %s", out)
	}
	tn := &tenant{id: created.Operator.ID, ownerID: created.Owner.ID, email: email}
	r := h.must(200, h.call("POST", "/v1/auth/login", "", map[string]string{"email": strings.ToUpper(email), "password": password}))
	tn.session = r.json(t)["token"].(string)
	if who := h.must(200, h.call("GET", "/v1/auth/whoami", tn.session, nil)); !strings.Contains(string(who.Body), tn.id) {
		t.Fatalf("whoami of the new owner %s, want operator %s", who.Body, tn.id)
	}
	// Its default subjects are the admin command's; it has no credits.
	for _, s := range created.Subjects {
		got := h.must(200, h.call("GET", "/v1/subjects/"+s.ID, tn.session, nil, "Naive-Mode", s.Mode)).json(t)
		if got["is_default"] != true {
			t.Fatalf("%s subject %v is not the default", s.Mode, got)
		}
	}
	for _, mode := range []string{"test", "live"} {
		if b := h.balance(tn.session, mode); b != 0 {
			t.Fatalf("new operator's %s balance %d", mode, b)
		}
	}
	return tn
}

// populate makes one resource of every kind as the tenant's owner, in test mode.
func (tn *tenant) populate(t *testing.T, h *harness, db, hookURL string) {
	t.Helper()
	code, out, errOut := naiveCmd(t, "", "admin", "credits", "grant", "--database-url", db, "--operator", tn.id,
		"--mode", "test", "--amount", "500", "--memo", "e2e", "--json")
	if code != 0 {
		t.Fatalf("admin credits grant: exit %d: %s %s", code, out, errOut)
	}
	if b := h.balance(tn.session, "test"); b != 500 {
		t.Fatalf("balance after the admin's grant %d", b)
	}
	call := func(want int, method, path string, body any) map[string]any {
		t.Helper()
		return h.must(want, h.call(method, path, tn.session, body, "Naive-Mode", "test")).json(t)
	}
	tn.subject = call(201, "POST", "/v1/subjects", acmeProfile)["id"].(string)
	tn.formed = call(201, "POST", "/v1/subjects", acmeProfile)["id"].(string)
	call(202, "POST", "/v1/subjects/"+tn.formed+"/formation", `{"entity_type":"LLC","state":"DE"}`)
	tn.agent = call(201, "POST", "/v1/agents", `{"name":"bot"}`)["id"].(string)
	k := call(201, "POST", "/v1/keys", `{"name":"bot","mode":"test","agent_id":"`+tn.agent+`"}`)
	tn.key = k["id"].(string)
	tn.keySecret, _ = k["secret"].(string)
	tn.kit = call(201, "POST", "/v1/account-kits", `{"name":"k"}`)["id"].(string)
	tn.webhook = call(201, "POST", "/v1/webhooks", map[string]any{"url": hookURL, "event_types": []string{"sms.received"}})["id"].(string)
	call(200, "POST", "/v1/webhooks/"+tn.webhook+"/test", nil)
	for _, d := range call(200, "GET", "/v1/webhooks/"+tn.webhook+"/deliveries", nil)["data"].([]any) {
		tn.delivery = d.(map[string]any)["id"].(string)
	}
	ph := call(202, "POST", "/v1/phone/provision", seedBody)["phone"].(map[string]any)
	tn.phone, tn.e164 = ph["id"].(string), ph["e164"].(string)
	call(201, "POST", "/v1/phone/"+tn.phone+"/assign", `{"agent_id":"`+tn.agent+`","permissions":["receive_sms"]}`)
	call(202, "POST", "/v1/sandbox/sms", `{"to":"`+tn.e164+`","from":"+14155550123","body":"hi"}`)
	waitFor(t, "the inbound text", func() bool {
		msgs := call(200, "GET", "/v1/phone/"+tn.phone+"/messages", nil)["data"].([]any)
		if len(msgs) == 1 {
			tn.message = msgs[0].(map[string]any)["id"].(string)
		}
		return tn.message != ""
	})
	waitFor(t, "the formation", func() bool {
		return call(200, "GET", "/v1/subjects/"+tn.formed+"/formation", nil)["status"] == "formation_completed"
	})
	// The agent's provision on a subject other than the default waits for a human.
	r := h.must(202, h.call("POST", "/v1/subjects/"+tn.formed+"/phone/provision", tn.keySecret, seedBody)).json(t)
	tn.approval, _ = r["approval_id"].(string)
	if r["status"] != "pending_approval" || tn.approval == "" {
		t.Fatalf("provision on a gated subject: %v", r)
	}
	for _, id := range []string{tn.subject, tn.formed, tn.agent, tn.key, tn.kit, tn.webhook, tn.delivery, tn.phone, tn.message, tn.approval} {
		if id == "" {
			t.Fatalf("a resource of %s has no id: %+v", tn.email, tn)
		}
	}
}

// idRoutes are every route that takes an id, with the victim's ids filled
// in. Called by another operator's owner, each must answer 404. A new
// route with an id gets a row here.
func idRoutes(v *tenant) []struct{ method, path, body string } {
	return []struct{ method, path, body string }{
		{"PATCH", "/v1/users/" + v.ownerID, `{"role":"viewer"}`},
		{"DELETE", "/v1/users/" + v.ownerID, ""},
		{"DELETE", "/v1/keys/" + v.key, ""},
		{"GET", "/v1/subjects/" + v.subject, ""},
		{"PATCH", "/v1/subjects/" + v.subject, `{"website":"https://stolen.example"}`},
		{"DELETE", "/v1/subjects/" + v.subject, ""},
		{"GET", "/v1/subjects/" + v.formed + "/formation", ""},
		{"POST", "/v1/subjects/" + v.subject + "/formation", `{"entity_type":"LLC","state":"DE"}`},
		{"GET", "/v1/subjects/" + v.formed + "/phone", ""},
		{"GET", "/v1/subjects/" + v.formed + "/phone/status", ""},
		{"GET", "/v1/subjects/" + v.formed + "/phone/preflight", ""},
		{"POST", "/v1/subjects/" + v.formed + "/phone/provision", seedBody},
		{"GET", "/v1/agents/" + v.agent, ""},
		{"PATCH", "/v1/agents/" + v.agent, `{"name":"stolen"}`},
		{"DELETE", "/v1/agents/" + v.agent, ""},
		{"GET", "/v1/account-kits/" + v.kit, ""},
		{"PATCH", "/v1/account-kits/" + v.kit, `{"name":"stolen"}`},
		{"DELETE", "/v1/account-kits/" + v.kit, ""},
		{"POST", "/v1/account-kits/" + v.kit + "/subjects/" + v.subject + "/assign", ""},
		{"GET", "/v1/approvals/" + v.approval, ""},
		{"POST", "/v1/approvals/" + v.approval + "/approve", ""},
		{"POST", "/v1/approvals/" + v.approval + "/deny", `{"reason":"not yours"}`},
		{"GET", "/v1/webhooks/" + v.webhook, ""},
		{"DELETE", "/v1/webhooks/" + v.webhook, ""},
		{"POST", "/v1/webhooks/" + v.webhook + "/test", ""},
		{"GET", "/v1/webhooks/" + v.webhook + "/deliveries", ""},
		{"POST", "/v1/webhooks/" + v.webhook + "/deliveries/" + v.delivery + "/resend", ""},
		{"GET", "/v1/phone/" + v.phone, ""},
		{"PATCH", "/v1/phone/" + v.phone, `{"label":"stolen"}`},
		{"DELETE", "/v1/phone/" + v.phone, ""},
		{"POST", "/v1/phone/" + v.phone + "/sms", `{"to":"+14155550123","body":"hi"}`},
		{"GET", "/v1/phone/" + v.phone + "/campaign", ""},
		{"GET", "/v1/phone/" + v.phone + "/messages", ""},
		{"GET", "/v1/phone/" + v.phone + "/assignments", ""},
		{"POST", "/v1/phone/" + v.phone + "/assign", `{"agent_id":"` + v.agent + `","permissions":["send_sms"]}`},
		{"DELETE", "/v1/phone/" + v.phone + "/assign/" + v.agent, ""},
		{"GET", "/v1/phone/messages/" + v.message, ""},
		{"GET", "/v1/subjects/" + v.formed + "/phone/" + v.phone, ""},
	}
}

// listRoutes are the lists an owner reads: none may show another
// operator's ids.
var listRoutes = []string{
	"/v1/users", "/v1/keys", "/v1/subjects", "/v1/agents", "/v1/account-kits", "/v1/approvals", "/v1/approvals?status=pending",
	"/v1/webhooks", "/v1/phone", "/v1/events", "/v1/credits/ledger",
}

// TestOperatorsIsolated: two operators created with `naive admin operators
// create`, each with a resource of every kind, cannot reach each other's:
// every route with an id answers 404 to the other's owner, in both modes,
// and lists show none of the other's ids.
func TestOperatorsIsolated(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }))
		t.Cleanup(hook.Close)
		a := createTenant(t, h, db, "Acme Inc", "owner@acme.example")
		b := createTenant(t, h, db, "Globex LLC", "owner@globex.example")
		if a.id == b.id || a.id == h.app.Bootstrapped().OperatorID {
			t.Fatalf("operators %s %s", a.id, b.id)
		}
		// A taken email is refused (exit 1, conflict), and nothing is created.
		code, _, errOut := naiveCmd(t, "", "admin", "operators", "create", "--database-url", db,
			"--name", "Copy", "--owner-email", "OWNER@acme.example", "--json")
		if code != cli.ExitError || !strings.Contains(errOut, "conflict") {
			t.Fatalf("taken email: exit %d: %s", code, errOut)
		}
		a.populate(t, h, db, hook.URL)
		b.populate(t, h, db, hook.URL)

		code, out, errOut := naiveCmd(t, "", "admin", "operators", "list", "--database-url", db, "--json")
		if code != 0 {
			t.Fatalf("admin operators list: exit %d: %s", code, errOut)
		}
		var listed struct {
			Data []struct {
				ID          string
				Name        string
				OwnerEmails []string `json:"owner_emails"`
				Users       int
			}
		}
		if err := json.Unmarshal([]byte(out), &listed); err != nil {
			t.Fatal(err)
		}
		if len(listed.Data) != 3 || listed.Data[1].ID != a.id || listed.Data[2].ID != b.id ||
			strings.Join(listed.Data[2].OwnerEmails, ",") != b.email || listed.Data[2].Users != 1 {
			t.Fatalf("operators list %s", out)
		}

		for _, pair := range [][2]*tenant{{a, b}, {b, a}} {
			victim, other := pair[0], pair[1]
			for _, mode := range []string{"test", "live"} {
				for _, c := range idRoutes(victim) {
					var body any
					if c.body != "" {
						body = c.body
					}
					r := h.call(c.method, c.path, other.session, body, "Naive-Mode", mode)
					if r.Status != 404 {
						t.Errorf("%s %s by the other operator (%s mode): %d %s", c.method, c.path, mode, r.Status, r.Body)
					}
				}
			}
			victimIDs := []string{victim.id, victim.ownerID, victim.subject, victim.formed, victim.agent, victim.key, victim.kit,
				victim.webhook, victim.delivery, victim.phone, victim.message, victim.approval, victim.email}
			for _, path := range listRoutes {
				body := string(h.must(200, h.call("GET", path, other.session, nil, "Naive-Mode", "test")).Body)
				for _, id := range victimIDs {
					if strings.Contains(body, id) {
						t.Errorf("GET %s by the other operator shows %s: %s", path, id, body)
					}
				}
			}
		}

		// Nothing was changed by the other's calls: each owner still has it all.
		for _, tn := range []*tenant{a, b} {
			for _, c := range []struct{ path, field, want string }{
				{"/v1/subjects/" + tn.subject, "website", "https://acme.example"},
				{"/v1/agents/" + tn.agent, "name", "bot"},
				{"/v1/account-kits/" + tn.kit, "name", "k"},
				{"/v1/approvals/" + tn.approval, "status", "pending"},
				{"/v1/phone/" + tn.phone, "status", "active"},
				{"/v1/phone/" + tn.phone, "label", "Support"},
				{"/v1/webhooks/" + tn.webhook, "id", tn.webhook},
				{"/v1/phone/messages/" + tn.message, "body", "hi"},
			} {
				got := h.must(200, h.call("GET", c.path, tn.session, nil, "Naive-Mode", "test")).json(t)
				if got[c.field] != c.want {
					t.Errorf("%s of %s after the other's calls: %s = %v, want %s", c.path, tn.email, c.field, got[c.field], c.want)
				}
			}
			if keys := string(h.must(200, h.call("GET", "/v1/keys", tn.session, nil, "Naive-Mode", "test")).Body); !strings.Contains(keys, tn.key) ||
				strings.Contains(keys, `"revoked_at":"`) {
				t.Errorf("keys of %s after the other's calls: %s", tn.email, keys)
			}
			if as := h.must(200, h.call("GET", "/v1/phone/"+tn.phone+"/assignments", tn.session, nil, "Naive-Mode", "test")).json(t)["data"].([]any); len(as) != 1 {
				t.Errorf("assignments of %s after the other's calls: %v", tn.email, as)
			}
			// 500 granted, one number bought (the approval charged nothing).
			if bal := h.balance(tn.session, "test"); bal != 500-50 {
				t.Errorf("balance of %s = %d, want %d", tn.email, bal, 500-50)
			}
			ledger := string(h.must(200, h.call("GET", "/v1/credits/ledger", tn.session, nil, "Naive-Mode", "test")).Body)
			if !strings.Contains(ledger, `"actor_type":"admin"`) || !strings.Contains(ledger, `"amount":`+strconv.Itoa(500)) {
				t.Errorf("ledger of %s has no admin grant: %s", tn.email, ledger)
			}
		}
	})
}
