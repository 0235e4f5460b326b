package telnyxsim_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx"
	"github.com/naive-oss/naive/internal/telnyx/telnyxsim"
)

// durableFixture opens a simulator on st, as one process of several
// sharing a database, on the clock clk, served on a socket.
func durableFixture(t *testing.T, st surgesim.Storage, clk *clock, cfg telnyxsim.Config) *fixture {
	t.Helper()
	cfg.APIKey, cfg.Now = key, clk.Now
	sim, err := telnyxsim.Open(t.Context(), cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f := &fixture{t: t, clock: clk, sim: sim, srv: httptest.NewServer(sim)}
	t.Cleanup(f.srv.Close)
	return f
}

// runTasks runs every task due by now on sim, as a job queue would, and
// keeps the later ones for another call. Every task must be the Telnyx
// simulator's.
func runTasks(t *testing.T, st *surgesim.MemoryStorage, sim *telnyxsim.Server, now time.Time, later *[]surgesim.Task) {
	t.Helper()
	tasks := append(*later, st.TakeTasks()...)
	*later = nil
	for len(tasks) > 0 {
		for _, task := range tasks {
			if !telnyxsim.IsTask(task.Kind) {
				t.Fatalf("task %+v is not the Telnyx simulator's", task)
			}
			if task.Due.After(now) {
				*later = append(*later, task)
				continue
			}
			if err := sim.RunTask(t.Context(), task.Kind, task.Ref); err != nil {
				t.Fatalf("task %+v: %v", task, err)
			}
		}
		tasks = st.TakeTasks()
	}
}

const soleBody = `{"entityType":"SOLE_PROPRIETOR","displayName":"Ada","firstName":"Ada","lastName":"Lovelace","country":"US",
"email":"ada@acme.example","vertical":"TECHNOLOGY","mobilePhone":"+14155550123"}`

func campaignBody(brandID, extra string) string {
	return `{"brandId":"` + brandID + `","usecase":"CUSTOMER_CARE","description":"Support.` + extra + `","sample1":"Hi."}`
}

type dataOf[T any] struct {
	Data T `json:"data"`
}

// TestDurableProcessesShareOneState: two simulators on one storage act in
// turn — every route that changes the state, the clock-driven reviews,
// orders and deliveries, inbound texts and opt-outs — and after each step
// both hold exactly the same state; a third opened afterwards (a restart)
// too. A change a write made without storing it shows as a difference.
func TestDurableProcessesShareOneState(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	cfg := telnyxsim.Config{ReviewDelay: 10 * time.Second, DeliveryDelay: time.Second, OrderDelay: 2 * time.Second}
	a := durableFixture(t, st, clk, cfg)
	b := durableFixture(t, st, clk, cfg)
	var later []surgesim.Task
	step := func(what string) {
		t.Helper()
		if da, db := a.sim.DumpState(), b.sim.DumpState(); da != db {
			t.Fatalf("after %s the two simulators differ:\nA: %s\nB: %s", what, da, db)
		}
	}
	tick := func(d time.Duration, on *fixture) {
		t.Helper()
		clk.Add(d)
		runTasks(t, st, on.sim, clk.Now(), &later)
	}
	ok := func(what string, status int) {
		t.Helper()
		if status != http.StatusOK && status != http.StatusNoContent {
			t.Fatalf("%s: status %d", what, status)
		}
		step(what)
	}

	var br telnyx.Brand
	ok("create brand", a.call("POST", "/v2/10dlc/brand", brandBody, &br))
	var sole telnyx.Brand
	ok("create a sole proprietor", b.call("POST", "/v2/10dlc/brand", soleBody, &sole))
	ok("trigger its OTP", a.call("POST", "/v2/10dlc/brand/"+sole.BrandID+"/smsOtp", `{"pinSms":"Your PIN is @OTP_PIN@"}`, nil))
	pin, sends := b.sim.BrandOTP(sole.BrandID)
	if pin == "" || sends != 1 {
		t.Fatalf("OTP on B after A sent it: %q, %d sends", pin, sends)
	}
	ok("verify its OTP", b.call("PUT", "/v2/10dlc/brand/"+sole.BrandID+"/smsOtp", `{"otpPin":"`+pin+`"}`, nil))
	var got telnyx.Brand
	if a.call("GET", "/v2/10dlc/brand/"+sole.BrandID, "", &got); got.IdentityStatus != telnyx.IdentityVerified {
		t.Fatalf("identity %s on A after B verified it", got.IdentityStatus)
	}
	ok("update brand", b.call("PUT", "/v2/10dlc/brand/"+br.BrandID, strings.Replace(brandBody, `"Acme"`, `"Acme Co"`, 1), nil))

	var camp, rejected telnyx.Campaign
	ok("create campaign", a.call("POST", "/v2/10dlc/campaignBuilder", campaignBody(br.BrandID, ""), &camp))
	ok("create a campaign to reject", b.call("POST", "/v2/10dlc/campaignBuilder", campaignBody(br.BrandID, " "+telnyxsim.RejectToken), &rejected))
	ok("edit campaign", a.call("PUT", "/v2/10dlc/campaign/"+camp.CampaignID, `{"helpMessage":"Reply HELP."}`, nil))

	var order dataOf[telnyx.NumberOrder]
	ok("order a number", b.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, &order))
	if order.Data.Status != telnyx.OrderPending {
		t.Fatalf("order %+v before OrderDelay", order.Data)
	}
	tick(time.Second, a) // the review's first step, on A
	step("campaign accepted")
	tick(time.Second, b) // the order is decided on B
	step("order decided")
	if a.call("GET", "/v2/number_orders/"+order.Data.ID, "", &order); order.Data.Status != telnyx.OrderSuccess {
		t.Fatalf("order %+v on A after B decided it", order.Data)
	}
	tick(8*time.Second, a) // the reviews end on A
	step("campaigns reviewed")
	var c telnyx.Campaign
	if b.call("GET", "/v2/10dlc/campaign/"+camp.CampaignID, "", &c); c.CampaignStatus != telnyx.CampaignMNOProvisioned {
		t.Fatalf("campaign %s on B after A's review", c.CampaignStatus)
	}
	if b.call("GET", "/v2/10dlc/campaign/"+rejected.CampaignID, "", &c); c.CampaignStatus != telnyx.CampaignTelnyxFailed {
		t.Fatalf("rejected campaign %s", c.CampaignStatus)
	}
	ok("appeal", a.call("POST", "/v2/10dlc/campaign/"+rejected.CampaignID+"/appeal", `{"appeal_reason":"Fixed."}`, nil))

	var nums dataOf[[]telnyx.PhoneNumber]
	a.call("GET", "/v2/phone_numbers", "", &nums)
	if len(nums.Data) != 1 {
		t.Fatalf("numbers on A: %+v", nums.Data)
	}
	num := nums.Data[0]
	ok("tag the number", b.call("PATCH", "/v2/phone_numbers/"+num.ID, `{"tags":["front"]}`, nil))
	ok("messaging profile", a.call("PATCH", "/v2/phone_numbers/"+num.ID+"/messaging", `{"messaging_profile_id":"mp2"}`, nil))
	ok("assign", b.call("POST", "/v2/10dlc/phone_number_campaigns", `{"phoneNumber":"+14155550100","campaignId":"`+camp.CampaignID+`"}`, nil))
	if as, found := a.sim.Assignment("+14155550100"); !found || as.CampaignID != camp.CampaignID {
		t.Fatalf("assignment on A: %+v %v", as, found)
	}

	var msg dataOf[telnyx.Message]
	ok("send", a.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550123","text":"hello"}`, &msg))
	ok("send to a failing number", b.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550000","text":"fails"}`, nil))
	tick(time.Second, b)
	step("sent")
	tick(time.Second, a)
	step("finalized")
	if b.call("GET", "/v2/messages/"+msg.Data.ID, "", &msg); msg.Data.To[0].Status != telnyx.DeliveryDelivered {
		t.Fatalf("text %s on B after A delivered it", msg.Data.To[0].Status)
	}
	var mdrs dataOf[[]telnyx.MessageRecord]
	if b.call("GET", "/v2/detail_records?filter[record_type]=messaging", "", &mdrs); len(mdrs.Data) != 2 ||
		mdrs.Data[0].Status != "delivered" || mdrs.Data[1].Status != "failed" {
		t.Fatalf("detail records on B: %+v", mdrs.Data)
	}

	if _, err := a.sim.Inbound("+14155550123", "+14155550100", "STOP"); err != nil {
		t.Fatal(err)
	}
	step("inbound STOP")
	if !b.sim.OptedOut("+14155550100", "+14155550123") {
		t.Fatal("an opt-out on A is unknown to B")
	}
	var env envelope
	if st := b.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550123","text":"again"}`, &env); st != http.StatusBadRequest ||
		env.Errors[0].Code != telnyx.CodeBlockedStop {
		t.Fatalf("a send to an opted-out contact on B: %d %+v", st, env)
	}
	ok("inbound START", b.call("POST", "/sandbox/inbound", `{"from":"+14155550123","to":"+14155550100","text":"start"}`, nil))
	if a.sim.OptedOut("+14155550100", "+14155550123") {
		t.Fatal("an opt-in on B is unknown to A")
	}
	if err := b.sim.SetCampaignStatus(rejected.CampaignID, telnyx.CampaignMNORejected); err != nil {
		t.Fatal(err)
	}
	step("pin a campaign's status")
	ok("unassign", a.call("DELETE", "/v2/10dlc/phone_number_campaigns/+14155550100", "", nil))
	ok("deactivate", b.call("DELETE", "/v2/10dlc/campaign/"+camp.CampaignID, "", nil))
	ok("delete a brand", a.call("DELETE", "/v2/10dlc/brand/"+sole.BrandID, "", nil))
	var sold dataOf[telnyx.NumberOrder]
	ok("order another", a.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550101"}]}`, &sold))
	ok("release", b.call("DELETE", "/v2/phone_numbers/"+num.ID, "", nil))
	if st := a.call("GET", "/v2/phone_numbers/"+num.ID, "", nil); st != http.StatusNotFound {
		t.Fatalf("a number released on B answers %d on A", st)
	}
	tick(3*time.Second, a)
	step("second order decided")
	if len(a.sim.Numbers()) != 1 || a.sim.Numbers()[0].PhoneNumber != "+14155550101" {
		t.Fatalf("numbers %+v", a.sim.Numbers())
	}
	// The appeal's review was scheduled before its campaign was pinned:
	// the task runs all the same, and changes nothing.
	pinned := a.sim.DumpState()
	tick(5*time.Second, b)
	if got := b.sim.DumpState(); got != pinned {
		t.Fatalf("a task for a pinned campaign changed the state:\n%s\nwas\n%s", got, pinned)
	}
	if len(later) != 0 {
		t.Fatalf("tasks left: %+v", later)
	}

	restarted := durableFixture(t, st, clk, cfg)
	if dr, da := restarted.sim.DumpState(), a.sim.DumpState(); dr != da {
		t.Fatalf("a restart does not find the state:\nrestarted: %s\nbefore: %s", dr, da)
	}
	if got, want := len(restarted.sim.Events()), len(a.sim.Events()); got != want || got == 0 {
		t.Fatalf("restart has %d events, want %d", got, want)
	}
	if got := restarted.sim.Brands(); len(got) != 1 || got[0].DisplayName != "Acme Co" {
		t.Fatalf("brands after a restart: %+v", got)
	}
	if got := restarted.sim.Messages(); len(got) != 4 {
		t.Fatalf("%d messages after a restart, want 4 (2 sent, 2 received)", len(got))
	}
	var avail dataOf[[]telnyx.AvailableNumber]
	restarted.call("GET", "/v2/available_phone_numbers?filter[national_destination_code]=415&filter[limit]=2", "", &avail)
	if len(avail.Data) != 2 || avail.Data[0].PhoneNumber != "+14155550100" || avail.Data[1].PhoneNumber != "+14155550102" {
		t.Fatalf("inventory after a restart: %+v (the released number for sale, the held one not)", avail.Data)
	}
}

// receiver collects webhooks and checks each against a public key read
// before any restart.
type receiver struct {
	t   *testing.T
	clk *clock
	srv *httptest.Server

	mu     sync.Mutex
	pub    string
	bodies []string
	paths  []string
	fail   bool
}

func newReceiver(t *testing.T, clk *clock) *receiver {
	rc := &receiver{t: t, clk: clk}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		pub, err := telnyx.ParsePublicKey(rc.pub)
		if err != nil {
			t.Errorf("public key: %v", err)
		} else if err := telnyx.VerifyWebhook(pub, r.Header, body, rc.clk.Now(), 0); err != nil {
			t.Errorf("webhook %s does not verify with the key read before: %v", body, err)
		}
		rc.bodies, rc.paths = append(rc.bodies, string(body)), append(rc.paths, r.URL.Path)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() ([]string, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...), append([]string(nil), rc.paths...)
}

// TestDurableAcrossRestart: a campaign whose review began before a
// restart finishes after it, by the task the first process scheduled, run
// by the new one; so do a pending order and a text's delivery. Their
// webhooks are sent by whichever process runs the task, signed with the
// storage's one key: they verify with the public key read before the
// restart.
func TestDurableAcrossRestart(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	rc := newReceiver(t, clk)
	st := surgesim.NewMemoryStorage()
	cfg := telnyxsim.Config{ReviewDelay: 10 * time.Second, DeliveryDelay: time.Second, OrderDelay: 5 * time.Second,
		WebhookURL: rc.srv.URL + "/default"}
	first := durableFixture(t, st, clk, cfg)
	rc.pub = first.sim.PublicKey()

	var br telnyx.Brand
	first.call("POST", "/v2/10dlc/brand", brandBody, &br)
	var live telnyx.Campaign
	first.call("POST", "/v2/10dlc/campaignBuilder", campaignBody(br.BrandID, ""), &live)
	var order dataOf[telnyx.NumberOrder]
	first.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, &order)
	var later []surgesim.Task
	clk.Add(10 * time.Second)
	runTasks(t, st, first.sim, clk.Now(), &later) // the review and the order end
	first.call("POST", "/v2/10dlc/phone_number_campaigns", `{"phoneNumber":"+14155550100","campaignId":"`+live.CampaignID+`"}`, nil)

	// Work under way when the process stops: a review, an order, a text.
	var camp telnyx.Campaign
	first.call("POST", "/v2/10dlc/campaignBuilder", campaignBody(br.BrandID, ""), &camp)
	first.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550101"}],"messaging_profile_id":"mp"}`, &order)
	var msg dataOf[telnyx.Message]
	first.call("POST", "/v2/messages", `{"from":"+14155550100","to":"+14155550123","text":"hello","webhook_url":"`+rc.srv.URL+`/text"}`, &msg)
	tasks := append(later, st.TakeTasks()...)
	later = nil
	first.sim.Close()
	first.srv.Close()

	second := durableFixture(t, st, clk, telnyxsim.Config{ReviewDelay: time.Hour, DeliveryDelay: time.Hour, WebhookURL: cfg.WebhookURL})
	if second.sim.PublicKey() != rc.pub {
		t.Fatalf("public key %q after a restart, want the stored %q", second.sim.PublicKey(), rc.pub)
	}
	// The tasks the first process scheduled run on the second, which has
	// other delays: each object keeps those it began with.
	later = tasks
	for range 10 {
		clk.Add(time.Second)
		runTasks(t, st, second.sim, clk.Now(), &later)
	}
	if len(later) != 0 {
		t.Fatalf("tasks left: %+v", later)
	}
	var c telnyx.Campaign
	if second.call("GET", "/v2/10dlc/campaign/"+camp.CampaignID, "", &c); c.CampaignStatus != telnyx.CampaignMNOProvisioned {
		t.Fatalf("campaign %s after the review's time", c.CampaignStatus)
	}
	if second.call("GET", "/v2/number_orders/"+order.Data.ID, "", &order); order.Data.Status != telnyx.OrderSuccess {
		t.Fatalf("order %s after its delay", order.Data.Status)
	}
	if second.call("GET", "/v2/messages/"+msg.Data.ID, "", &msg); msg.Data.To[0].Status != telnyx.DeliveryDelivered {
		t.Fatalf("text %s after its delivery time", msg.Data.To[0].Status)
	}

	bodies, paths := rc.got()
	var after []string // what the second process sent
	for i, b := range bodies {
		ev, err := telnyx.ParseWebhook([]byte(b))
		if err != nil {
			t.Fatalf("webhook %s: %v", b, err)
		}
		switch {
		case ev.Message != nil && ev.Message.ID == msg.Data.ID:
			after = append(after, paths[i]+" "+ev.Type)
		case ev.Campaign != nil && ev.Campaign.CampaignID == camp.CampaignID:
			after = append(after, paths[i]+" "+ev.Campaign.Type+"/"+ev.Campaign.Status)
		}
	}
	want := "/default REGISTRATION/success,/text message.sent,/text message.finalized,/default TELNYX_REVIEW/ACCEPTED,/default MNO_REVIEW/ACCEPTED"
	if strings.Join(after, ",") != want {
		t.Fatalf("webhooks after the restart:\n%s\nwant\n%s", strings.Join(after, ","), want)
	}
	if len(bodies) != len(second.sim.Events()) {
		t.Fatalf("%d webhooks received, %d events: each sent once", len(bodies), len(second.sim.Events()))
	}
}

// TestDurableWebhookKey: the first simulator on a storage stores the key
// webhooks are signed with; the next ones sign with it; one given its own
// replaces it for all.
func TestDurableWebhookKey(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	a := durableFixture(t, st, clk, telnyxsim.Config{})
	b := durableFixture(t, st, clk, telnyxsim.Config{})
	if _, err := telnyx.ParsePublicKey(a.sim.PublicKey()); err != nil || a.sim.PublicKey() != b.sim.PublicKey() {
		t.Fatalf("keys %q and %q, want one (%v)", a.sim.PublicKey(), b.sim.PublicKey(), err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := durableFixture(t, st, clk, telnyxsim.Config{PrivateKey: priv})
	d := durableFixture(t, st, clk, telnyxsim.Config{})
	if c.sim.PublicKey() == a.sim.PublicKey() || d.sim.PublicKey() != c.sim.PublicKey() {
		t.Fatalf("given a key: %q, then %q; the first was %q", c.sim.PublicKey(), d.sim.PublicKey(), a.sim.PublicKey())
	}
}

// TestDurableFailedWriteIsForgotten: when storing a write fails, the caller
// gets Telnyx's 503 envelope and nothing of the write survives, in this
// process's memory either; the next write works.
func TestDurableFailedWriteIsForgotten(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	f := durableFixture(t, st, clk, telnyxsim.Config{})
	before := f.sim.DumpState()
	st.FailNextUpdate(errors.New("disk full"))
	var env envelope
	if status := f.call("POST", "/v2/10dlc/brand", brandBody, &env); status != http.StatusServiceUnavailable ||
		len(env.Errors) != 1 || env.Errors[0].Code != telnyx.CodeUnexpected {
		t.Fatalf("a failed store answered %d %+v, want 503", status, env)
	}
	if after := f.sim.DumpState(); after != before {
		t.Fatalf("the memory kept what was not stored:\n%s", after)
	}
	if len(f.sim.Brands()) != 0 {
		t.Fatal("a brand that was never stored is listed")
	}
	var br telnyx.Brand
	if status := f.call("POST", "/v2/10dlc/brand", brandBody, &br); status != http.StatusOK || br.BrandID == "" {
		t.Fatalf("the next write: %d %+v", status, br)
	}
}

// TestDurableDrainRetries: a drain whose receiver fails fails (the task is
// retried) and sends nothing twice once it works again; events naming no
// URL go to the running simulator's Config.WebhookURL.
func TestDurableDrainRetries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	rc := newReceiver(t, clk)
	st := surgesim.NewMemoryStorage()
	quiet := durableFixture(t, st, clk, telnyxsim.Config{}) // no WebhookURL
	loud := durableFixture(t, st, clk, telnyxsim.Config{WebhookURL: rc.srv.URL + "/loud"})
	rc.pub = loud.sim.PublicKey()
	var order dataOf[telnyx.NumberOrder]
	quiet.call("POST", "/v2/number_orders", `{"phone_numbers":[{"phone_number":"+14155550100"}],"messaging_profile_id":"mp"}`, &order)
	// An inbound text on the process with a WebhookURL: its event waits
	// for a drain.
	for _, text := range []string{"one", "two", "three"} {
		loud.call("POST", "/sandbox/inbound", `{"from":"+14155550123","to":"+14155550100","text":"`+text+`"}`, nil)
	}
	tasks := st.TakeTasks()
	drains := 0
	for _, task := range tasks {
		if task.Kind != telnyxsim.TaskWebhook {
			t.Fatalf("unexpected task %+v", task)
		}
		drains++
	}
	if drains != 1 {
		t.Fatalf("%d drains for three events, want one", drains)
	}
	rc.mu.Lock()
	rc.fail = true
	rc.mu.Unlock()
	if err := loud.sim.RunTask(t.Context(), telnyxsim.TaskWebhook, ""); err == nil {
		t.Fatal("a drain whose receiver failed succeeded")
	}
	rc.mu.Lock()
	rc.fail = false
	rc.mu.Unlock()
	// A retry on the process without a WebhookURL: the events name no URL
	// of their own, and it has none to send them to.
	if err := quiet.sim.RunTask(t.Context(), telnyxsim.TaskWebhook, ""); err == nil || !strings.Contains(err.Error(), "no WebhookURL") {
		t.Fatalf("a drain on a process without a WebhookURL: %v", err)
	}
	if err := loud.sim.RunTask(t.Context(), telnyxsim.TaskWebhook, ""); err != nil {
		t.Fatal(err)
	}
	if err := loud.sim.RunTask(t.Context(), telnyxsim.TaskWebhook, ""); err != nil {
		t.Fatal(err) // nothing left: a second run is harmless
	}
	bodies, paths := rc.got()
	var texts []string
	for i, b := range bodies {
		var ev struct {
			Data struct {
				Payload telnyx.Message `json:"payload"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, paths[i]+" "+ev.Data.Payload.Text)
	}
	if strings.Join(texts, ",") != "/loud one,/loud two,/loud three" {
		t.Fatalf("webhooks %v, want each text once, in order", texts)
	}
}

// TestDurableSharedWithSurge: the Surge and Telnyx simulators on one
// storage (the server's sandbox tables) keep to their own records and
// tasks, and both find their state after a restart; the tasks are told
// apart by telnyxsim.IsTask, as the app's job queue does.
func TestDurableSharedWithSurge(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	openSurge := func() (*surgesim.Server, *surge.Client) {
		sim, err := surgesim.Open(t.Context(), surgesim.Config{APIKey: key, Now: clk.Now, Storage: st, ReviewDelay: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		return sim, surge.NewClient(surge.Options{APIKey: key, HTTPClient: &http.Client{Transport: sim.Transport()}, MaxRetries: -1})
	}
	cfg := telnyxsim.Config{ReviewDelay: 10 * time.Second}
	ssim, sc := openSurge()
	tf := durableFixture(t, st, clk, cfg)

	org := surgesim.SampleOrganization()
	acct, err := sc.CreateAccount(t.Context(), surge.AccountCreate{Name: "Acme", Organization: &org})
	if err != nil {
		t.Fatal(err)
	}
	scamp, err := sc.CreateCampaign(t.Context(), acct.ID, surgesim.SampleCampaign())
	if err != nil {
		t.Fatal(err)
	}
	var br telnyx.Brand
	tf.call("POST", "/v2/10dlc/brand", brandBody, &br)
	var camp telnyx.Campaign
	tf.call("POST", "/v2/10dlc/campaignBuilder", campaignBody(br.BrandID, ""), &camp)

	ssim2, _ := openSurge()
	tf2 := durableFixture(t, st, clk, cfg)
	if got := ssim2.Accounts(); len(got) != 1 || got[0].ID != acct.ID {
		t.Fatalf("Surge accounts after a restart on a shared storage: %+v", got)
	}
	if got := tf2.sim.Brands(); len(got) != 1 || got[0].BrandID != br.BrandID {
		t.Fatalf("Telnyx brands after a restart on a shared storage: %+v", got)
	}
	if got := ssim2.Campaigns(); len(got) != 1 || got[0].ID != scamp.ID || len(ssim.Campaigns()) != 1 {
		t.Fatalf("Surge campaigns after a restart on a shared storage: %+v", got)
	}
	if tf2.sim.DumpState() != tf.sim.DumpState() {
		t.Fatal("a restart on a shared storage does not find the state")
	}

	// One queue, two simulators: each task goes to its own.
	clk.Add(10 * time.Second)
	telnyxTasks, surgeTasks := 0, 0
	for tasks := st.TakeTasks(); len(tasks) > 0; tasks = st.TakeTasks() {
		for _, task := range tasks {
			run := ssim2.RunTask
			if telnyxsim.IsTask(task.Kind) {
				run = tf2.sim.RunTask
				telnyxTasks++
			} else {
				surgeTasks++
			}
			if task.Due.After(clk.Now()) {
				t.Fatalf("task %+v not due by the review's end", task)
			}
			if err := run(t.Context(), task.Kind, task.Ref); err != nil {
				t.Fatalf("task %+v: %v", task, err)
			}
		}
	}
	if telnyxTasks == 0 || surgeTasks == 0 {
		t.Fatalf("%d Telnyx tasks and %d Surge tasks, want both reviews' tasks", telnyxTasks, surgeTasks)
	}
	if got, err := sc.GetCampaign(t.Context(), scamp.ID); err != nil || got.Status != surge.CampaignActive {
		t.Fatalf("Surge campaign %+v (%v) after its review, run beside Telnyx's tasks", got, err)
	}
	var c telnyx.Campaign
	if tf.call("GET", "/v2/10dlc/campaign/"+camp.CampaignID, "", &c); c.CampaignStatus != telnyx.CampaignMNOProvisioned {
		t.Fatalf("campaign %s after its review, run beside Surge's tasks", c.CampaignStatus)
	}
}

// TestDurableUnmodelledRouteFailsLoudly: with a Storage too, a route the
// simulator does not model panics, and leaves the state unlocked.
func TestDurableUnmodelledRouteFailsLoudly(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f := durableFixture(t, surgesim.NewMemoryStorage(), clk, telnyxsim.Config{})
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "unmodelled route GET /v2/10dlc/brand/abc/revet") {
				t.Fatalf("recovered %v", r)
			}
		}()
		req := httptest.NewRequest(http.MethodGet, "/v2/10dlc/brand/abc/revet", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		f.sim.ServeHTTP(httptest.NewRecorder(), req)
	}()
	var br telnyx.Brand
	if st := f.call("POST", "/v2/10dlc/brand", brandBody, &br); st != http.StatusOK || br.BrandID == "" {
		t.Fatalf("after a panic: %d %+v", st, br)
	}
}
