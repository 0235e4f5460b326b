package e2e_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/app"
)

var seedBody = `{ "ein": "12-3456789", "area_code": "415", "label": "Support" }`

// TestFirstStartAndSeedRequest runs the seed request's curl exactly as the first
// start prints it and checks the answer field by field.
func TestFirstStartAndSeedRequest(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		if h.testKey == "" || !strings.HasPrefix(h.testKey, "nv_sk_test_") {
			t.Fatalf("no test key from the first start")
		}
		// The key is printed alone on its own line, then the curl.
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(h.testKey) + `$`).MatchString(h.stdout) {
			t.Fatalf("test key not on its own line:\n%s", h.stdout)
		}
		if !strings.Contains(h.stdout, "curl -X POST "+h.url+"/v1/phone/provision") || !strings.Contains(h.stdout, seedBody) {
			t.Fatalf("banner lacks the ready curl:\n%s", h.stdout)
		}
		r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody))
		if r.Header.Get("Request-Id") == "" {
			t.Fatal("no Request-Id")
		}
		m := r.json(t)
		phone := m["phone"].(map[string]any)
		if _, err := uuid.Parse(phone["id"].(string)); err != nil {
			t.Fatalf("phone.id %v not a UUID", phone["id"])
		}
		if !regexp.MustCompile(`^\+1415\d{7}$`).MatchString(phone["e164"].(string)) {
			t.Fatalf("e164 %v", phone["e164"])
		}
		if phone["type"] != "local" || phone["status"] != "active" || phone["label"] != "Support" {
			t.Fatalf("phone %v", phone)
		}
		caps := phone["capabilities"].(map[string]any)
		want := map[string]any{"voice": false, "sms_inbound": true, "sms_outbound": false, "mms": false}
		for k, v := range want {
			if caps[k] != v {
				t.Fatalf("capabilities.%s = %v, want %v (%v)", k, caps[k], v, caps)
			}
		}
		if len(caps) != 4 {
			t.Fatalf("capabilities has extra keys: %v", caps)
		}
		camp := m["campaign"].(map[string]any)
		if _, err := uuid.Parse(camp["id"].(string)); err != nil {
			t.Fatalf("campaign.id %v", camp["id"])
		}
		// Test mode quotes the sandbox's review delay (30s in the harness).
		if camp["status"] != "created" || camp["eta"] != "about 30s (the sandbox's review delay)" {
			t.Fatalf("campaign %v", camp)
		}
		if m["credits_used"] != 50.0 || m["credits_remaining"] != 950.0 {
			t.Fatalf("credits %v / %v", m["credits_used"], m["credits_remaining"])
		}
		// The number is ours at the carrier, named with our phone id, and
		// the other sandbox holds none.
		nums := simOf(t, h).Numbers()
		if len(nums) != 1 || nums[0].E164 != phone["e164"] || nums[0].Ref != phone["id"] || h.app.SandboxNumberCount() != 1 {
			t.Fatalf("sandbox numbers %+v (both sandboxes hold %d)", nums, h.app.SandboxNumberCount())
		}
		// Reads agree.
		got := h.must(200, h.call("GET", "/v1/phone/"+phone["id"].(string), h.testKey, nil)).json(t)
		if got["e164"] != phone["e164"] {
			t.Fatalf("get %v", got)
		}
		list := h.must(200, h.call("GET", "/v1/phone", h.testKey, nil)).json(t)
		if len(list["data"].([]any)) != 1 || list["next_cursor"] != nil {
			t.Fatalf("list %v", list)
		}
		// A restart on the same database does not seed again.
		if h.balance(h.testKey) != 950 {
			t.Fatal("balance")
		}
	})
}

// TestRestartKeepsData: a second start on the same database seeds nothing
// and the first start's key still works.
func TestRestartKeepsData(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/naive.db"
	h1 := start(t, db)
	key := h1.testKey
	if err := h1.app.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, db)
	if h2.app.Bootstrapped() != nil || strings.Contains(h2.stdout, "nv_sk_test_") {
		t.Fatalf("second start seeded again:\n%s", h2.stdout)
	}
	if h2.balance(key) != 1000 {
		t.Fatal("balance after restart")
	}
}

func TestProvisionValidation(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		cases := []struct {
			name, body, code, param string
			status                  int
		}{
			{"ein letters", `{"ein":"12-34567AB"}`, "invalid_input", "ein", 400},
			{"ein short", `{"ein":"12-345678"}`, "invalid_input", "ein", 400},
			{"ein long", `{"ein":"1234567890"}`, "invalid_input", "ein", 400},
			{"ein bad hyphen", `{"ein":"123-456789"}`, "invalid_input", "ein", 400},
			{"ein never issued prefix", `{"ein":"00-1234567"}`, "invalid_input", "ein", 400},
			{"area code letters", `{"ein":"12-3456789","area_code":"41a"}`, "invalid_input", "area_code", 400},
			{"area code 2 digits", `{"ein":"12-3456789","area_code":"41"}`, "invalid_input", "area_code", 400},
			{"area code leading 1", `{"ein":"12-3456789","area_code":"123"}`, "invalid_input", "area_code", 400},
			{"area code N11", `{"ein":"12-3456789","area_code":"911"}`, "invalid_input", "area_code", 400},
			{"toll-free prefix on local", `{"ein":"12-3456789","area_code":"800"}`, "invalid_input", "area_code", 400},
			{"toll-free 888 on local", `{"ein":"12-3456789","area_code":"888","type":"local"}`, "invalid_input", "area_code", 400},
			{"local code on toll_free", `{"ein":"12-3456789","area_code":"415","type":"toll_free"}`, "invalid_input", "area_code", 400},
			{"bad type", `{"ein":"12-3456789","type":"mobile"}`, "invalid_input", "type", 400},
			{"long label", `{"ein":"12-3456789","label":"` + strings.Repeat("x", 65) + `"}`, "invalid_input", "label", 400},
			{"agent not uuid", `{"ein":"12-3456789","agent_id":"bob"}`, "invalid_input", "agent_id", 400},
			{"unknown agent", `{"ein":"12-3456789","agent_id":"` + uuid.NewString() + `"}`, "invalid_input", "agent_id", 400},
			{"unknown field", `{"ein":"12-3456789","areacode":"415"}`, "invalid_input", "areacode", 400},
			{"wrong type", `{"ein":"12-3456789","area_code":415}`, "invalid_input", "area_code", 400},
			{"malformed", `{"ein":`, "invalid_input", "", 400},
			{"trailing data", `{"ein":"12-3456789"} {}`, "invalid_input", "", 400},
			{"not an object", `[1,2]`, "invalid_input", "", 400},
			{"missing ein on first number", `{"area_code":"415"}`, "invalid_input", "ein", 400},
			{"no inventory", `{"ein":"12-3456789","area_code":"555"}`, "no_matching_numbers", "area_code", 422},
		}
		for _, c := range cases {
			r := h.call("POST", "/v1/phone/provision", h.testKey, c.body)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
				continue
			}
			e := r.json(t)["error"].(map[string]any)
			if c.param != "" && e["param"] != c.param {
				t.Errorf("%s: param %v, want %s", c.name, e["param"], c.param)
			}
			if e["message"] == "" || e["request_id"] != r.Header.Get("Request-Id") {
				t.Errorf("%s: envelope %v", c.name, e)
			}
			if c.code != "invalid_input" || c.param == "ein" || c.param == "area_code" {
				if e["hint"] == nil || e["hint"] == "" {
					t.Errorf("%s: no hint: %v", c.name, e)
				}
			}
		}
		// Nothing was charged by any of them, nothing bought.
		if b := h.balance(h.testKey); b != 1000 {
			t.Fatalf("balance %d after refused calls", b)
		}
		if n := h.app.SandboxNumberCount(); n != 0 {
			t.Fatalf("%d numbers bought by refused calls", n)
		}
		ledger := h.must(200, h.call("GET", "/v1/credits/ledger", h.testKey, nil)).json(t)["data"].([]any)
		// The grant, then for the no-inventory call a charge and its refund.
		if len(ledger) != 3 {
			t.Fatalf("ledger %v", ledger)
		}

		// Transport-level refusals.
		r := h.call("POST", "/v1/phone/provision", h.testKey, seedBody, "Content-Type", "text/plain")
		if r.Status != 415 || r.errCode(t) != "unsupported_media_type" {
			t.Fatalf("content type: %d %s", r.Status, r.Body)
		}
		big := `{"label":"` + strings.Repeat("x", 1<<20) + `"}`
		r = h.call("POST", "/v1/phone/provision", h.testKey, big)
		if r.Status != 413 || r.errCode(t) != "payload_too_large" {
			t.Fatalf("big body: %d %.200s", r.Status, r.Body)
		}
		r = h.call("POST", "/v1/phone/provision", "", seedBody)
		if r.Status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("no key: %d %s", r.Status, r.Body)
		}
		r = h.call("POST", "/v1/phone/provision", "nv_sk_test_nope", seedBody)
		if r.Status != 401 {
			t.Fatalf("bad key: %d %s", r.Status, r.Body)
		}
		r = h.call("GET", "/v1/nothing", h.testKey, nil)
		if r.Status != 404 || r.errCode(t) != "not_found" || r.Header.Get("Request-Id") == "" {
			t.Fatalf("unknown route: %d %s", r.Status, r.Body)
		}
		r = h.call("PUT", "/v1/phone/provision", h.testKey, seedBody)
		if r.Status != 405 || r.errCode(t) != "method_not_allowed" {
			t.Fatalf("wrong method: %d %s", r.Status, r.Body)
		}
		r = h.call("GET", "/v1/phone/"+uuid.NewString(), h.testKey, nil)
		if r.Status != 404 {
			t.Fatalf("unknown phone: %d", r.Status)
		}
		r = h.call("GET", "/v1/phone/not-a-uuid", h.testKey, nil)
		if r.Status != 404 {
			t.Fatalf("malformed phone id: %d", r.Status)
		}
	})
}

func TestEINRules(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"123456789","area_code":"415"}`))
		// Later numbers need no EIN, and may repeat the same one in either form.
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"212"}`))
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789"}`))
		r := h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"98-7654321"}`)
		if r.Status != 409 || r.errCode(t) != "conflict" || r.errField(t, "param") != "ein" {
			t.Fatalf("EIN mismatch: %d %s", r.Status, r.Body)
		}
		if b := h.balance(h.testKey); b != 850 {
			t.Fatalf("balance %d", b)
		}
		st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t)
		if len(st["numbers"].([]any)) != 3 || len(st["campaigns"].([]any)) != 1 {
			t.Fatalf("status %v", st)
		}
		if ein := st["brand"].(map[string]any)["ein"]; ein != "**-***6789" {
			t.Fatalf("brand ein shown as %v", ein)
		}
	})
}

// TestCarrierRejectsEIN: the sandbox's magic EIN fails brand registration,
// nothing is kept, and a later correct EIN works.
func TestCarrierRejectsEIN(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	r := h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"99-9999999"}`)
	if r.Status != 400 || r.errCode(t) != "invalid_input" || r.errField(t, "param") != "ein" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if h.balance(h.testKey) != 1000 {
		t.Fatal("charged")
	}
	h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody))
}

func TestFormationRequired(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.FormationDelay = 300 * time.Millisecond })
		subj := h.must(201, h.call("POST", "/v1/subjects", h.testKey, `{"legal_name":"Acme Robotics LLC","state":"DE","website":"https://acme.example",
 "industry":"technology","privacy_policy_url":"https://acme.example/privacy","terms_url":"https://acme.example/terms",
 "address":{"line1":"1 Main St","city":"San Francisco","region":"CA","postal_code":"94105","country":"US"},
 "contact":{"first_name":"Ada","last_name":"Lovelace","email":"ada@acme.example","phone":"+14155550100","title":"ceo"}}`)).json(t)
		id := subj["id"].(string)
		if subj["formation"].(map[string]any)["status"] != "not_started" {
			t.Fatalf("formation %v", subj["formation"])
		}
		path := "/v1/subjects/" + id + "/phone/provision"
		r := h.call("POST", path, h.testKey, seedBody)
		if r.Status != 409 || r.errCode(t) != "formation_incomplete" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		// The Naive-Subject header names the same subject.
		r = h.call("POST", "/v1/phone/provision", h.testKey, seedBody, "Naive-Subject", id)
		if r.errCode(t) != "formation_incomplete" {
			t.Fatalf("header: %s", r.Body)
		}
		f := h.must(202, h.call("POST", "/v1/subjects/"+id+"/formation", h.testKey, `{"entity_type":"LLC","state":"DE"}`)).json(t)
		if f["status"] != "submitted" {
			t.Fatalf("formation %v", f)
		}
		r = h.call("POST", path, h.testKey, seedBody)
		if r.errCode(t) != "formation_incomplete" {
			t.Fatalf("still submitted: %s", r.Body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			f = h.must(200, h.call("GET", "/v1/subjects/"+id+"/formation", h.testKey, nil)).json(t)
			if f["status"] == "formation_completed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("formation never completed: %v", f)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// A tenant subject's provision waits for approval when an agent asks;
		// a human's runs at once.
		if r := h.must(202, h.call("POST", path, h.testKey, seedBody)).json(t); r["status"] != "pending_approval" {
			t.Fatalf("agent on a tenant subject not gated: %v", r)
		}
		h.must(202, h.call("POST", path, h.login(), seedBody, "Naive-Mode", "test"))
		if b := h.balance(h.testKey); b != 950 {
			t.Fatalf("balance %d", b)
		}
		// The number is the subject's, not the default subject's.
		if n := len(h.must(200, h.call("GET", "/v1/subjects/"+id+"/phone", h.testKey, nil)).json(t)["data"].([]any)); n != 1 {
			t.Fatalf("subject phones %d", n)
		}
		if n := len(h.must(200, h.call("GET", "/v1/phone", h.testKey, nil)).json(t)["data"].([]any)); n != 0 {
			t.Fatalf("default subject phones %d", n)
		}
	})
}

func TestInsufficientCredits(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.PhonePrice = 400 })
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody))
		h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{}`))
		r := h.call("POST", "/v1/phone/provision", h.testKey, `{}`)
		if r.Status != 402 || r.errCode(t) != "insufficient_credits" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if h.balance(h.testKey) != 200 || h.app.SandboxNumberCount() != 2 {
			t.Fatal("402 changed something")
		}
	})
}

func TestIdempotency(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		r1 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody, "Idempotency-Key", "k1"))
		r2 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody, "Idempotency-Key", "k1"))
		if string(r1.Body) != string(r2.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs:\n%s\n%s", r1.Body, r2.Body)
		}
		r := h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"212"}`, "Idempotency-Key", "k1")
		if r.Status != 409 || r.errCode(t) != "idempotency_key_reused" {
			t.Fatalf("reuse: %d %s", r.Status, r.Body)
		}
		// A refused request is stored too: its retry gets the same answer.
		e1 := h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"555"}`, "Idempotency-Key", "k2")
		e2 := h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"555"}`, "Idempotency-Key", "k2")
		if e1.Status != 422 || string(e1.Body) != string(e2.Body) {
			t.Fatalf("stored error replay: %s / %s", e1.Body, e2.Body)
		}

		// 20 concurrent requests with one key: one number, one charge.
		var wg sync.WaitGroup
		bodies := make([]resp, 20)
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bodies[i] = h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"646"}`, "Idempotency-Key", "concurrent")
			}()
		}
		wg.Wait()
		var first string
		for i, b := range bodies {
			if b.Status != 202 {
				t.Fatalf("request %d: %d %s", i, b.Status, b.Body)
			}
			if first == "" {
				first = string(b.Body)
			} else if string(b.Body) != first {
				t.Fatalf("request %d got a different answer", i)
			}
		}
		if n := h.app.SandboxNumberCount(); n != 2 {
			t.Fatalf("carrier has %d numbers, want 2", n)
		}
		if b := h.balance(h.testKey); b != 900 {
			t.Fatalf("balance %d, want 900", b)
		}
		// Keys are per caller: the same key from a human is a new request.
		s := h.login()
		r = h.call("POST", "/v1/phone/provision", s, `{"area_code":"646"}`, "Idempotency-Key", "concurrent", "Naive-Mode", "test")
		if r.Status != 202 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("other principal: %d %s", r.Status, r.Body)
		}
	})
}

// TestConcurrentProvisioning: 200 provisions at once with credits for
// exactly 100 → 100 numbers, 100 refusals, balance 0, ledger consistent.
func TestConcurrentProvisioning(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		s := h.login()
		h.grant(s, 100*50-1000)
		const n = 200
		var wg sync.WaitGroup
		results := make([]resp, n)
		start := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = h.call("POST", "/v1/phone/provision", h.testKey, seedBody)
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		ok, refused := 0, 0
		seen := map[string]bool{}
		for _, r := range results {
			switch r.Status {
			case 202:
				ok++
				e := r.json(t)["phone"].(map[string]any)["e164"].(string)
				if seen[e] {
					t.Fatalf("number %s handed out twice", e)
				}
				seen[e] = true
			case 402:
				refused++
			default:
				t.Fatalf("unexpected %d %s", r.Status, r.Body)
			}
		}
		if ok != 100 || refused != 100 {
			t.Fatalf("%d provisioned, %d refused; want 100/100", ok, refused)
		}
		if b := h.balance(h.testKey); b != 0 {
			t.Fatalf("balance %d, want 0", b)
		}
		if c := h.app.SandboxNumberCount(); c != 100 {
			t.Fatalf("carrier has %d numbers, want 100", c)
		}
		checkLedger(t, h, 0, 100)
		t.Logf("%s: 200 concurrent provisions in %v: %d ok, %d 402", t.Name(), elapsed.Round(time.Millisecond), ok, refused)
	})
}

// checkLedger walks the whole ledger: the sum of entries is the balance,
// every charge has its phone or its refund.
func checkLedger(t *testing.T, h *harness, wantBalance int64, wantPhones int) {
	t.Helper()
	var sum int64
	charges := map[string]int{}
	cursor := ""
	for {
		path := "/v1/credits/ledger?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		l := h.must(200, h.call("GET", path, h.testKey, nil)).json(t)
		for _, x := range l["data"].([]any) {
			e := x.(map[string]any)
			sum += int64(e["amount"].(float64))
			switch e["reason"] {
			case "phone.provision":
				charges[e["reference_id"].(string)]++
			case "phone.provision.refund":
				charges[e["reference_id"].(string)]--
			}
		}
		if l["next_cursor"] == nil {
			break
		}
		cursor = l["next_cursor"].(string)
	}
	if sum != wantBalance {
		t.Fatalf("ledger sums to %d, balance %d", sum, wantBalance)
	}
	kept := 0
	for id, c := range charges {
		switch c {
		case 1:
			kept++
			h.must(200, h.call("GET", "/v1/phone/"+id, h.testKey, nil))
		case 0:
		default:
			t.Fatalf("phone %s charged %d times net", id, c)
		}
	}
	if kept != wantPhones {
		t.Fatalf("%d charges kept, %d phones", kept, wantPhones)
	}
}

// TestCampaignActivation: when the sandbox approves the campaign, every
// number of the subject can send, with no call from the user. The review
// lasts long enough (in_review from 1s to 5s) for the campaign poll, a
// River periodic job that starts within a few seconds of the server, to
// see it in review.
func TestCampaignActivation(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db, func(o *app.Options) { o.SandboxReviewDelay = 5 * time.Second })
		p1 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		p2 := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"area_code":"212"}`)).json(t)["phone"].(map[string]any)["id"].(string)
		seen := map[string]bool{}
		deadline := time.Now().Add(20 * time.Second)
		for {
			ph := h.must(200, h.call("GET", "/v1/phone/"+p1, h.testKey, nil)).json(t)
			st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t)
			cs := st["campaigns"].([]any)[0].(map[string]any)["status"].(string)
			seen[cs] = true
			if ph["capabilities"].(map[string]any)["sms_outbound"] == true {
				if cs != "active" {
					t.Fatalf("outbound before active (%s)", cs)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("campaign never activated; saw %v", seen)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !seen["in_review"] {
			t.Errorf("never saw in_review: %v", seen)
		}
		ph2 := h.must(200, h.call("GET", "/v1/phone/"+p2, h.testKey, nil)).json(t)
		if ph2["capabilities"].(map[string]any)["sms_outbound"] != true {
			t.Fatalf("second number not outbound: %v", ph2)
		}
		// A number bought after activation can send at once.
		r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{}`)).json(t)
		if r["campaign"].(map[string]any)["status"] != "active" || r["phone"].(map[string]any)["capabilities"].(map[string]any)["sms_outbound"] != true {
			t.Fatalf("after activation: %v", r)
		}
	})
}

func TestReleasePhone(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		h := start(t, db)
		id := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		r := h.must(200, h.call("DELETE", "/v1/phone/"+id, h.testKey, nil)).json(t)
		if r["status"] != "released" || r["capabilities"].(map[string]any)["sms_inbound"] != false {
			t.Fatalf("released %v", r)
		}
		if n := h.app.SandboxNumberCount(); n != 0 {
			t.Fatalf("carrier still has %d numbers", n)
		}
		r2 := h.call("DELETE", "/v1/phone/"+id, h.testKey, nil)
		if r2.Status != 409 {
			t.Fatalf("second release %d %s", r2.Status, r2.Body)
		}
		// Release charges nothing back: the rental is over.
		if h.balance(h.testKey) != 950 {
			t.Fatal("balance")
		}
	})
}

// TestTollFree: toll-free numbers use a toll-free verification instead of
// the 10DLC campaign.
func TestTollFree(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	r := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, `{"ein":"12-3456789","type":"toll_free","area_code":"888"}`)).json(t)
	ph := r["phone"].(map[string]any)
	if ph["type"] != "toll_free" || !strings.HasPrefix(ph["e164"].(string), "+1888") {
		t.Fatalf("%v", ph)
	}
	st := h.must(200, h.call("GET", "/v1/phone/status", h.testKey, nil)).json(t)
	c := st["campaigns"].([]any)[0].(map[string]any)
	if c["kind"] != "toll_free_verification" {
		t.Fatalf("%v", c)
	}
}

func TestTenantIsolationAcrossModes(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/n.db")
	id := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
	s := h.login()
	// The human in live mode does not see test data.
	r := h.call("GET", "/v1/phone/"+id, s, nil, "Naive-Mode", "live")
	if r.Status != 404 {
		t.Fatalf("live sees test phone: %d", r.Status)
	}
	h.must(200, h.call("GET", "/v1/phone/"+id, s, nil, "Naive-Mode", "test"))
	// Live phone calls without a carrier: not_configured, nothing charged.
	live := h.must(201, h.call("POST", "/v1/keys", s, `{"name":"live","mode":"live"}`)).json(t)["secret"].(string)
	h.must(201, h.call("POST", "/v1/credits/grant", s, `{"amount":100}`, "Naive-Mode", "live"))
	subj := h.must(200, h.call("GET", "/v1/subjects", live, nil)).json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	h.must(202, h.call("POST", "/v1/subjects/"+subj+"/formation", s, `{"entity_type":"LLC","state":"DE","legal_name":"Demo operator","formed_at":"2020-01-02","attest":true}`, "Naive-Mode", "live"))
	r = h.call("POST", "/v1/phone/provision", live, seedBody)
	if r.Status != 501 || r.errCode(t) != "not_configured" {
		t.Fatalf("live without carrier: %d %s", r.Status, r.Body)
	}
	if h.balance(live) != 100 {
		t.Fatal("live charged")
	}
	// A test key naming a live subject: 404.
	r = h.call("GET", "/v1/subjects/"+subj, h.testKey, nil)
	if r.Status != 404 {
		t.Fatalf("test key sees live subject: %d", r.Status)
	}
	_ = fmt.Sprint(http.StatusOK)
}
