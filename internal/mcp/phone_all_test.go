package mcp_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// listService records the list calls naive_phone_list makes.
type listService struct {
	naive.Service
	calls []string
}

func (l *listService) ListPhones(_ context.Context, subjectID, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	l.calls = append(l.calls, "one "+subjectID+" "+agentID+" "+lp.Cursor)
	return &naive.List[naive.Phone]{Data: []naive.Phone{{ID: "p1", SubjectID: subjectID}}}, nil
}

func (l *listService) ListAllPhones(_ context.Context, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	l.calls = append(l.calls, "all "+agentID+" "+lp.Cursor)
	next := "c2"
	return &naive.List[naive.Phone]{Data: []naive.Phone{{ID: "p2", SubjectID: "s2"}, {ID: "p1", SubjectID: "s1"}}, NextCursor: &next}, nil
}

// TestPhoneListAllSubjectsArgument: all_subjects lists every subject's
// numbers (with their subject_id), passes the agent and cursor, and is
// refused with subject_id.
func TestPhoneListAllSubjectsArgument(t *testing.T) {
	t.Parallel()
	svc := &listService{}
	cs := connect(t, svc)
	m := structured(t, call(t, cs, "naive_phone_list", map[string]any{"all_subjects": true, "agent_id": "a1", "cursor": "c1"}))
	phones := m["phones"].([]any)
	if len(phones) != 2 || phones[0].(map[string]any)["subject_id"] != "s2" || phones[1].(map[string]any)["subject_id"] != "s1" ||
		m["next_cursor"] != "c2" {
		t.Fatalf("all subjects %v", m)
	}
	call(t, cs, "naive_phone_list", map[string]any{"subject_id": "s1"})
	call(t, cs, "naive_phone_list", map[string]any{"all_subjects": false})
	both := call(t, cs, "naive_phone_list", map[string]any{"all_subjects": true, "subject_id": "s1"})
	if !both.IsError || structured(t, both)["error"].(map[string]any)["code"] != naive.EInvalidInput {
		t.Fatalf("all_subjects with subject_id: %s", text(both))
	}
	if want := []string{"all a1 c1", "one s1  ", "one   "}; !reflect.DeepEqual(svc.calls, want) {
		t.Fatalf("calls %q, want %q", svc.calls, want)
	}
}

// TestPhoneListAllSubjectsHTTP: over /mcp an operator key lists every
// subject's numbers; a key bound to an agent gets a forbidden tool error.
func TestPhoneListAllSubjectsHTTP(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	ctx := context.Background()
	agent, _ := client.New(client.Options{BaseURL: a.URL(), Token: a.Bootstrapped().TestKey})
	prov, err := agent.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	ph := prov.Provisioned.Phone

	cs, err := connectHTTP(t, a, a.Bootstrapped().TestKey)
	if err != nil {
		t.Fatal(err)
	}
	res := call(t, cs, "naive_phone_list", map[string]any{"all_subjects": true})
	if res.IsError {
		t.Fatalf("operator key: %s", text(res))
	}
	if phones := structured(t, res)["phones"].([]any); len(phones) != 1 || phones[0].(map[string]any)["id"] != ph.ID ||
		phones[0].(map[string]any)["subject_id"] != ph.SubjectID {
		t.Fatalf("operator key, all subjects %v", phones)
	}

	anon, _ := client.New(client.Options{BaseURL: a.URL()})
	login, err := anon.Login(ctx, naive.LoginRequest{Email: "admin@localhost", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	human, _ := client.New(client.Options{BaseURL: a.URL(), Token: login.Token, Mode: naive.ModeTest})
	bot, err := human.CreateAgent(ctx, naive.AgentRequest{Name: "bot"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := human.CreateKey(ctx, naive.KeyRequest{Name: "bot", Mode: naive.ModeTest, AgentID: bot.ID})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := connectHTTP(t, a, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	refused := call(t, bound, "naive_phone_list", map[string]any{"all_subjects": true})
	if !refused.IsError || structured(t, refused)["error"].(map[string]any)["code"] != naive.EForbidden {
		t.Fatalf("bound key, all subjects: %s", text(refused))
	}
	// Without all_subjects it lists its subject's numbers, as before.
	if phones := structured(t, call(t, bound, "naive_phone_list", nil))["phones"].([]any); len(phones) != 1 {
		t.Fatalf("bound key, its subject %v", phones)
	}
}
