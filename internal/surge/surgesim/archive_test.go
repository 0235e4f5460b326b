package surgesim_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// archivable is a ready account with an active campaign, two numbers and a
// contact, as archiving finds a brand in use.
func archivable(t *testing.T, sim *surgesim.Server, c *surge.Client) (surge.Account, surge.Campaign, surge.Contact) {
	t.Helper()
	ctx := t.Context()
	acct := readyAccount(t, c)
	camp := must(c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign()))
	if err := sim.SetCampaignStatus(camp.ID, surge.CampaignActive); err != nil {
		t.Fatal(err)
	}
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	must(c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"}))
	ct := must(c.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+18015550123"}))
	return acct, camp, ct
}

func wantArchived(t *testing.T, what string, err error) {
	t.Helper()
	var e *surge.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusGone || e.Type != "account_archived" || !surge.IsArchived(err) {
		t.Errorf("%s on an archived account: %v, want 410 account_archived", what, err)
	}
}

// TestArchiveAccount: DELETE /accounts/{id} releases the account's numbers
// (back to the inventory), deactivates its campaigns and answers the
// Account; the account stays readable, and every mutation of it — a
// second archive included — answers 410 account_archived.
func TestArchiveAccount(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{})
	ctx := t.Context()
	acct, camp, ct := archivable(t, sim, c)
	numbers := sim.Numbers(acct.ID)

	got := must(c.ArchiveAccount(ctx, acct.ID))
	if got.ID != acct.ID || got.Name != acct.Name {
		t.Fatalf("archive answered %+v", got)
	}
	if !sim.Archived(acct.ID) || len(sim.Numbers(acct.ID)) != 0 || len(sim.AllNumbers()) != 0 {
		t.Fatalf("archived %v, numbers %+v", sim.Archived(acct.ID), sim.AllNumbers())
	}
	if cp := must(c.GetCampaign(ctx, camp.ID)); cp.Status != surge.CampaignDeactivated {
		t.Fatalf("campaign %s after the archive, want deactivated", cp.Status)
	}
	// Reads still work.
	if a := must(c.GetAccount(ctx, acct.ID)); a.ID != acct.ID {
		t.Fatalf("get %+v", a)
	}
	if nums := must(c.ListNumbers(ctx, acct.ID)); len(nums) != 0 {
		t.Fatalf("numbers listed %+v", nums)
	}
	must(c.AccountStatus(ctx, acct.ID))
	must(c.GetContact(ctx, ct.ID))
	if _, err := c.GetNumber(ctx, numbers[0].ID); !surge.IsNotFound(err) {
		t.Fatalf("released number: %v", err)
	}

	_, err := c.UpdateAccount(ctx, acct.ID, surge.AccountUpdate{Name: surge.String("Again")})
	wantArchived(t, "PATCH account", err)
	_, err = c.CreateCampaign(ctx, acct.ID, surgesim.SampleCampaign())
	wantArchived(t, "create campaign", err)
	_, err = c.UpdateCampaign(ctx, camp.ID, surgesim.SampleCampaign())
	wantArchived(t, "update campaign", err)
	_, err = c.PurchaseNumber(ctx, acct.ID, surge.NumberPurchase{Type: surge.NumberLocal})
	wantArchived(t, "purchase", err)
	_, err = c.SendMessage(ctx, acct.ID, surge.MessageCreate{To: "+18015550123", Body: "hi"})
	wantArchived(t, "send", err)
	_, err = c.CreateContact(ctx, acct.ID, surge.ContactCreate{PhoneNumber: "+18015550124"})
	wantArchived(t, "create contact", err)
	_, err = c.UpdateContact(ctx, ct.ID, surge.ContactUpdate{PhoneNumber: "+18015550123"})
	wantArchived(t, "update contact", err)
	_, err = c.ArchiveAccount(ctx, acct.ID)
	wantArchived(t, "archive again", err)
	if code, body := call(t, sim, "POST", "/accounts/"+acct.ID+"/archive", ""); code != http.StatusGone ||
		body != `{"error":{"type":"account_archived","message":"The account `+acct.ID+` is archived and can't be changed."}}` {
		t.Fatalf("archive alias again: %d %s", code, body)
	}

	// The released numbers are for sale again; other accounts are untouched.
	other := readyAccount(t, c)
	if pn := must(c.PurchaseNumber(ctx, other.ID, surge.NumberPurchase{Type: surge.NumberLocal, AreaCode: "415"})); pn.Number != numbers[0].Number {
		t.Fatalf("bought %s, want the released %s", pn.Number, numbers[0].Number)
	}
	if _, err := c.ArchiveAccount(ctx, "acct_missing"); !surge.IsType(err, "account_not_found") {
		t.Fatalf("archive a missing account: %v", err)
	}
}

// TestArchiveAlias: POST /accounts/{id}/archive, the path the issue named,
// archives exactly as DELETE /accounts/{id} does and answers the Account.
func TestArchiveAlias(t *testing.T) {
	t.Parallel()
	sim, c := newSim(t, surgesim.Config{})
	acct, camp, _ := archivable(t, sim, c)
	code, body := call(t, sim, "POST", "/accounts/"+acct.ID+"/archive", "")
	var got surge.Account
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK || got.ID != acct.ID {
		t.Fatalf("alias: %d %s", code, body)
	}
	if !sim.Archived(acct.ID) || len(sim.Numbers(acct.ID)) != 0 {
		t.Fatal("the alias did not archive")
	}
	if cp := must(c.GetCampaign(t.Context(), camp.ID)); cp.Status != surge.CampaignDeactivated {
		t.Fatalf("campaign %s", cp.Status)
	}
	if code, _ := call(t, sim, "DELETE", "/accounts/"+acct.ID, ""); code != http.StatusGone {
		t.Fatalf("DELETE after the alias: %d", code)
	}
}

// TestDurableArchive: an archive on one simulator is the state of every
// simulator on the storage and survives a restart: the account archived,
// its numbers released, its campaigns deactivated, mutations refused.
func TestDurableArchive(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	st := surgesim.NewMemoryStorage()
	cfg := surgesim.Config{Now: clk.Now, ReviewDelay: 10 * time.Second}
	a, ca := durableSim(t, st, cfg)
	b, cb := durableSim(t, st, cfg)
	acct, camp, ct := archivable(t, a, ca)
	if len(b.Numbers(acct.ID)) != 2 {
		t.Fatalf("B sees numbers %+v", b.Numbers(acct.ID))
	}
	must(cb.ArchiveAccount(t.Context(), acct.ID))
	if da, db := a.DumpState(), b.DumpState(); da != db {
		t.Fatalf("after the archive the two simulators differ:\nA: %s\nB: %s", da, db)
	}
	restarted, cr := durableSim(t, st, cfg)
	for name, sim := range map[string]*surgesim.Server{"A": a, "restarted": restarted} {
		if !sim.Archived(acct.ID) || len(sim.Numbers(acct.ID)) != 0 {
			t.Errorf("%s: archived %v, numbers %+v", name, sim.Archived(acct.ID), sim.Numbers(acct.ID))
		}
		i := slices.IndexFunc(sim.Campaigns(), func(c surge.Campaign) bool { return c.ID == camp.ID })
		if i < 0 || sim.Campaigns()[i].Status != surge.CampaignDeactivated {
			t.Errorf("%s: campaigns %+v", name, sim.Campaigns())
		}
	}
	_, err := ca.UpdateContact(t.Context(), ct.ID, surge.ContactUpdate{PhoneNumber: *ct.PhoneNumber})
	wantArchived(t, "update contact on A", err)
	_, err = cr.PurchaseNumber(t.Context(), acct.ID, surge.NumberPurchase{Type: surge.NumberLocal})
	wantArchived(t, "purchase after a restart", err)
	clk.Advance(time.Minute) // the review's end changes nothing: the campaign stays deactivated
	var later []surgesim.Task
	runTasks(t, st, b, clk.Now(), &later)
	if cp := must(cr.GetCampaign(t.Context(), camp.ID)); cp.Status != surge.CampaignDeactivated {
		t.Fatalf("campaign %s after its review's time", cp.Status)
	}
}

// TestCampaignOmitsUnsetOptionalFields: a campaign's link_sample and
// terms_and_conditions_url are optional and not nullable in the SDK, so an
// unset one is absent from the answer, not null.
func TestCampaignOmitsUnsetOptionalFields(t *testing.T) {
	t.Parallel()
	sim := surgesim.New(surgesim.Config{APIKey: key})
	defer sim.Close()
	org := mustJSON(surge.AccountCreate{Name: "Raw", Organization: ptrOrg(surgesim.SampleOrganization())})
	_, body := call(t, sim, "POST", "/accounts", org)
	var acct surge.Account
	_ = json.Unmarshal([]byte(body), &acct)

	code, body := call(t, sim, "POST", "/accounts/"+acct.ID+"/campaigns", mustJSON(surgesim.SampleCampaign()))
	if code != http.StatusCreated || strings.Contains(body, "link_sample") || !strings.Contains(body, `"terms_and_conditions_url":"https://example.com/terms"`) {
		t.Fatalf("standard campaign: %d %s", code, body)
	}
	code, body = call(t, sim, "POST", "/accounts/"+acct.ID+"/campaigns", `{"tcr_id":"CABC123"}`)
	if code != http.StatusCreated || strings.Contains(body, "link_sample") || strings.Contains(body, "terms_and_conditions_url") || strings.Contains(body, "null") {
		t.Fatalf("external campaign: %d %s", code, body)
	}
	// A standard campaign without terms is refused, naming the field.
	in := surgesim.SampleCampaign()
	in.TermsAndConditionsURL = ""
	code, body = call(t, sim, "POST", "/accounts/"+acct.ID+"/campaigns", mustJSON(in))
	if code != http.StatusUnprocessableEntity || body != `{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"terms_and_conditions_url":["can't be blank"]}}}` {
		t.Fatalf("no terms: %d %s", code, body)
	}
	// A contact update without phone_number too.
	_, body = call(t, sim, "POST", "/accounts/"+acct.ID+"/contacts", `{"phone_number":"+18015550123"}`)
	var ct surge.Contact
	_ = json.Unmarshal([]byte(body), &ct)
	code, body = call(t, sim, "PATCH", "/contacts/"+ct.ID, `{"first_name":"Ada"}`)
	if code != http.StatusUnprocessableEntity || body != `{"error":{"type":"validation_error","message":"The request has invalid parameters.","detail":{"phone_number":["can't be blank"]}}}` {
		t.Fatalf("contact update without phone_number: %d %s", code, body)
	}
}

func ptrOrg(o surge.Organization) *surge.Organization { return &o }
