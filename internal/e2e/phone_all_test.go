package e2e_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
)

// phoneList is a page of GET …/phone.
type phoneList struct {
	Data       []naive.Phone `json:"data"`
	NextCursor *string       `json:"next_cursor"`
}

func (h *harness) phones(token, path string, headers ...string) phoneList {
	h.t.Helper()
	var l phoneList
	if err := json.Unmarshal(h.must(200, h.call("GET", path, token, nil, headers...)).Body, &l); err != nil {
		h.t.Fatal(err)
	}
	return l
}

// allPhoneIDs reads GET path page by page (limit 1) and returns the ids.
func (h *harness) allPhoneIDs(token, path string, headers ...string) []string {
	h.t.Helper()
	ids := []string{}
	cursor := ""
	for range 20 {
		p := path + "?limit=1"
		if strings.Contains(path, "?") {
			p = path + "&limit=1"
		}
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		l := h.phones(token, p, headers...)
		if len(l.Data) > 1 {
			h.t.Fatalf("page of limit 1 has %d numbers", len(l.Data))
		}
		for _, ph := range l.Data {
			ids = append(ids, ph.ID)
		}
		if l.NextCursor == nil {
			return ids
		}
		cursor = *l.NextCursor
	}
	h.t.Fatalf("%s: more than 20 pages", path)
	return nil
}

// TestPhoneListAllSubjects: GET /v1/phone?subject_id=all lists every
// subject's numbers of the mode, newest first, paged, each with its subject;
// ?agent= filters; a bound key is refused; other operators and the other
// mode never show.
func TestPhoneListAllSubjects(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, fastFormation, fastReview)
		human := h.login()
		test := []string{"Naive-Mode", "test"}
		agent := h.must(201, h.call("POST", "/v1/agents", h.testKey, `{"name":"bot"}`)).json(t)["id"].(string)

		// Oldest to newest: default, acme, default (for the agent), acme.
		def1 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)
		acme := h.formedSubject()
		acme1 := h.must(202, h.call("POST", "/v1/subjects/"+acme+"/phone/provision", human, seedBody, test...)).json(t)["phone"].(map[string]any)
		def2 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"212","agent_id":"`+agent+`"}`)).json(t)["phone"].(map[string]any)
		acme2 := h.must(202, h.call("POST", "/v1/subjects/"+acme+"/phone/provision", human, `{"area_code":"212"}`, test...)).json(t)["phone"].(map[string]any)
		defSubject := def1["subject_id"].(string)
		want := []string{acme2["id"].(string), def2["id"].(string), acme1["id"].(string), def1["id"].(string)}
		wantSubjects := []string{acme, defSubject, acme, defSubject}

		for _, who := range []struct {
			name    string
			token   string
			headers []string
		}{{"operator key", h.testKey, nil}, {"human", human, test}} {
			l := h.phones(who.token, "/v1/phone?subject_id=all", who.headers...)
			var ids, subjects []string
			for _, ph := range l.Data {
				ids, subjects = append(ids, ph.ID), append(subjects, ph.SubjectID)
			}
			if !reflect.DeepEqual(ids, want) || !reflect.DeepEqual(subjects, wantSubjects) || l.NextCursor != nil {
				t.Fatalf("%s: all subjects = %v %v (next %v), want %v %v", who.name, ids, subjects, l.NextCursor, want, wantSubjects)
			}
			if got := h.allPhoneIDs(who.token, "/v1/phone?subject_id=all", who.headers...); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: page by page = %v, want %v", who.name, got, want)
			}
		}

		// Each number as the subject's own list shows it (capabilities included),
		// once the campaigns are active.
		waitFor(t, "campaigns active", func() bool {
			for _, ph := range h.phones(h.testKey, "/v1/phone?subject_id=all").Data {
				if !ph.Capabilities.SMSOutbound {
					return false
				}
			}
			return true
		})
		bySubject := map[string]naive.Phone{}
		for _, sid := range []string{defSubject, acme} {
			for _, ph := range h.phones(h.testKey, "/v1/subjects/"+sid+"/phone").Data {
				bySubject[ph.ID] = ph
			}
		}
		for _, ph := range h.phones(h.testKey, "/v1/phone?subject_id=all").Data {
			if !reflect.DeepEqual(ph, bySubject[ph.ID]) {
				t.Errorf("all-subjects row %+v, subject's list has %+v", ph, bySubject[ph.ID])
			}
		}

		// ?subject_id=<id> is the subject's list; the header does not override it.
		if got := h.allPhoneIDs(h.testKey, "/v1/phone?subject_id="+acme); !reflect.DeepEqual(got, []string{want[0], want[2]}) {
			t.Fatalf("?subject_id=acme = %v", got)
		}
		if got := h.allPhoneIDs(h.testKey, "/v1/phone?subject_id=all", "Naive-Subject", acme); !reflect.DeepEqual(got, want) {
			t.Fatalf("?subject_id=all with a Naive-Subject header = %v", got)
		}

		// The agent filter: bought for the agent, or assigned to it, across subjects.
		h.must(201, h.call("POST", "/v1/subjects/"+acme+"/phone/"+want[2]+"/assign", human,
			`{"agent_id":"`+agent+`","permissions":["receive_sms"]}`, test...))
		if got := h.allPhoneIDs(h.testKey, "/v1/phone?subject_id=all&agent="+agent); !reflect.DeepEqual(got, []string{want[1], want[2]}) {
			t.Fatalf("?agent= across subjects = %v, want %v", got, []string{want[1], want[2]})
		}
		if l := h.phones(h.testKey, "/v1/phone?subject_id=all&agent="+uuid.Must(uuid.NewV7()).String()); len(l.Data) != 0 {
			t.Fatalf("unknown agent: %v", l.Data)
		}

		// Bad input.
		for _, c := range []struct{ path, param string }{
			{"/v1/phone?subject_id=ALL", "subject_id"},
			{"/v1/phone?subject_id=acme", "subject_id"},
			{"/v1/subjects/" + acme + "/phone?subject_id=all", "subject_id"},
			{"/v1/phone?subject_id=all&agent=bot", "agent"},
			{"/v1/phone?subject_id=all&limit=0", "limit"},
			{"/v1/phone?subject_id=all&cursor=nope", "cursor"},
			{"/v1/phone?subject_id=%00", ""},
			{"/v1/phone?subject_id=%ff", ""},
		} {
			r := h.call("GET", c.path, h.testKey, nil)
			if r.Status != 400 || r.errCode(t) != naive.EInvalidInput {
				t.Errorf("GET %s: %d %s, want 400 invalid_input", c.path, r.Status, r.Body)
			} else if c.param != "" && r.errField(t, "param") != c.param {
				t.Errorf("GET %s: param %v, want %s", c.path, r.errField(t, "param"), c.param)
			}
		}
		if r := h.call("GET", "/v1/phone?subject_id="+uuid.Must(uuid.NewV7()).String(), h.testKey, nil); r.Status != 404 {
			t.Errorf("unknown subject id: %d %s", r.Status, r.Body)
		}

		// A bound key: 403 with a hint, and its subject's list as before.
		bound := h.must(201, h.call("POST", "/v1/keys", human, `{"name":"bot","mode":"test","agent_id":"`+agent+`"}`)).json(t)["secret"].(string)
		r := h.call("GET", "/v1/phone?subject_id=all", bound, nil)
		if r.Status != 403 || r.errCode(t) != naive.EForbidden || r.errField(t, "hint") == nil {
			t.Fatalf("bound key, all subjects: %d %s", r.Status, r.Body)
		}
		if got := h.allPhoneIDs(bound, "/v1/phone"); !reflect.DeepEqual(got, []string{want[1], want[3]}) {
			t.Fatalf("bound key, its subject = %v, want %v", got, []string{want[1], want[3]})
		}

		// Another operator's numbers and the live mode's never show.
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
		me := h.must(200, h.call("GET", "/v1/auth/whoami", h.testKey, nil)).json(t)["operator_id"].(string)
		evePhone := storePhone(t, st, naive.Scope{OperatorID: op.ID, Mode: naive.ModeTest}, "+14155550301")
		livePhone := storePhone(t, st, naive.Scope{OperatorID: me, Mode: naive.ModeLive}, "+14155550302")
		if got := h.allPhoneIDs(human, "/v1/phone?subject_id=all", test...); !reflect.DeepEqual(got, want) {
			t.Fatalf("test mode after other numbers were added = %v, want %v", got, want)
		}
		if got := h.allPhoneIDs(human, "/v1/phone?subject_id=all", "Naive-Mode", "live"); !reflect.DeepEqual(got, []string{livePhone}) {
			t.Fatalf("live mode = %v, want %v", got, []string{livePhone})
		}
		eve := h.must(200, h.call("POST", "/v1/auth/login", "", `{"email":"eve@other.example","password":"other password"}`)).json(t)["token"].(string)
		if got := h.allPhoneIDs(eve, "/v1/phone?subject_id=all", test...); !reflect.DeepEqual(got, []string{evePhone}) {
			t.Fatalf("other operator = %v, want %v", got, []string{evePhone})
		}
		if got := h.allPhoneIDs(eve, "/v1/phone?subject_id=all&agent="+agent, test...); len(got) != 0 {
			t.Fatalf("other operator with our agent = %v", got)
		}

		// A deleted subject's numbers (released before the delete) stay listed.
		gone := h.formedSubject()
		g := h.must(202, h.call("POST", "/v1/subjects/"+gone+"/phone/provision", human, seedBody, test...)).json(t)["phone"].(map[string]any)["id"].(string)
		h.must(200, h.call("DELETE", "/v1/subjects/"+gone+"/phone/"+g, human, nil, test...))
		h.must(200, h.call("DELETE", "/v1/subjects/"+gone, human, nil, test...))
		l := h.phones(h.testKey, "/v1/phone?subject_id=all&limit=1")
		if len(l.Data) != 1 || l.Data[0].ID != g || l.Data[0].SubjectID != gone || l.Data[0].Status != naive.PhoneReleased {
			t.Fatalf("deleted subject's number: %+v", l.Data)
		}
		if got := h.allPhoneIDs(h.testKey, "/v1/phone?subject_id=all"); !reflect.DeepEqual(got, append([]string{g}, want...)) {
			t.Fatalf("after a subject was deleted = %v", got)
		}
	})
}

// storePhone stores an active number of a new subject in sc, free, and
// returns its id.
func storePhone(t *testing.T, st store.Store, sc naive.Scope, e164 string) string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	subj := &naive.Subject{ID: uuid.Must(uuid.NewV7()).String(), OperatorID: sc.OperatorID, Mode: sc.Mode, CreatedAt: now, UpdatedAt: now,
		SubjectProfile: naive.SubjectProfile{LegalName: "Other LLC"}}
	if err := st.CreateSubject(ctx, subj); err != nil {
		t.Fatal(err)
	}
	p := &naive.Phone{ID: uuid.Must(uuid.NewV7()).String(), Type: naive.PhoneLocal, Status: naive.PhoneProvisioning, SubjectID: subj.ID,
		AreaCode: "415", Mode: sc.Mode, OperatorID: sc.OperatorID, CreatedAt: now}
	debit := &naive.LedgerEntry{ID: uuid.Must(uuid.NewV7()).String(), Reason: naive.LedgerPhoneProvision, ReferenceID: p.ID,
		Actor: naive.Actor{Type: "human", ID: "test"}, OperatorID: sc.OperatorID, Mode: sc.Mode, CreatedAt: now}
	if _, err := st.ReservePhone(ctx, p, debit, store.Progress{}); err != nil {
		t.Fatal(err)
	}
	if err := st.ActivatePhone(ctx, &store.PhoneActivation{ID: p.ID, E164: e164, CarrierID: "pn_" + p.ID}, store.Progress{}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}
