// Package storetest is the one conformance suite every store.Store backend
// passes, so the SQLite and PostgreSQL stores cannot drift apart. It checks
// the doc comments of store.Store and the data invariants,
// several of them under concurrency.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Run runs the suite. Every subtest gets a fresh, empty store from open,
// which registers with t.Cleanup whatever removes the database; Run closes
// the store itself when the subtest ends, before those cleanups run.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b *bundle)
	}{
		{"Ping", testPing},
		{"Operator", testOperator},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"APIKeys", testAPIKeys},
		{"Subjects", testSubjects},
		{"Agents", testAgents},
		{"TenantIsolation", testTenantIsolation},
		{"Ledger", testLedger},
		{"LedgerConcurrentDebits", testLedgerConcurrentDebits},
		{"Phones", testPhones},
		{"ListAllPhones", testListAllPhones},
		{"ReservePhoneConcurrent", testReservePhoneConcurrent},
		{"FailPhoneRefundsOnce", testFailPhoneRefundsOnce},
		{"Brand", testBrand},
		{"BrandConcurrentClaims", testBrandConcurrentClaims},
		{"SoleProprietorBrand", testSoleProprietorBrand},
		{"DeferredCampaign", testDeferredCampaign},
		{"AdvanceCampaignFrom", testAdvanceCampaignFrom},
		{"ResubmittingMark", testResubmittingMark},
		{"Campaign", testCampaign},
		{"CampaignConcurrentClaims", testCampaignConcurrentClaims},
		{"AdvanceCampaign", testAdvanceCampaign},
		{"AdvanceCampaignConcurrent", testAdvanceCampaignConcurrent},
		{"CampaignRejection", testCampaignRejection},
		{"CampaignContent", testCampaignContent},
		{"CampaignContentConcurrentPatches", testCampaignContentConcurrentPatches},
		{"CampaignContentLocked", testCampaignContentLocked},
		{"CampaignContentClaimRace", testCampaignContentClaimRace},
		{"ResubmitContentFence", testResubmitContentFence},
		{"ResubmitContentRace", testResubmitContentRace},
		{"CheckOverrides", testCheckOverrides},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrentBegin", testIdempotencyConcurrentBegin},
		{"CreateOperator", testCreateOperator},
		{"CreateTenant", testCreateTenant},
		{"CreateTenantConcurrent", testCreateTenantConcurrent},
		{"ListOperators", testListOperators},
		{"Kits", testKits},
		{"AssignKit", testAssignKit},
		{"DeleteKit", testDeleteKit},
		{"AssignDeleteKitConcurrent", testAssignDeleteKitConcurrent},
		{"Approvals", testApprovals},
		{"ApprovalConcurrentClaims", testApprovalConcurrentClaims},
		{"ApprovalClaimDenyRace", testApprovalClaimDenyRace},
		{"ApprovalExpiry", testApprovalExpiry},
		{"ListExpiredApprovals", testListExpiredApprovals},
		{"ApprovalEvents", testApprovalEvents},
		{"Events", testEvents},
		{"ApprovalTenantIsolation", testApprovalTenantIsolation},
		{"CampaignEvents", testCampaignEvents},
		{"CarrierEvents", testCarrierEvents},
		{"BrandByCarrierID", testBrandByCarrierID},
		{"StaleQueued", testStaleQueued},
		{"GetPhoneByE164", testGetPhoneByE164},
		{"Messages", testMessages},
		{"ReserveMessageConcurrent", testReserveMessageConcurrent},
		{"FailMessageRefundsOnce", testFailMessageRefundsOnce},
		{"RecordInboundConcurrent", testRecordInboundConcurrent},
		{"NextInbound", testNextInbound},
		{"AdvanceMessageConcurrent", testAdvanceMessageConcurrent},
		{"AdvanceMessageRefundsOnce", testAdvanceMessageRefundsOnce},
		{"OptOuts", testOptOuts},
		{"ScheduledMessages", testScheduledMessages},
		{"Consents", testConsents},
		{"Assignments", testAssignments},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"Deliveries", testDeliveries},
		{"MessagingTenantIsolation", testMessagingTenantIsolation},
		{"DeleteSubject", testDeleteSubject},
		{"DeleteSubjectReserveConcurrent", testDeleteSubjectReserveConcurrent},
		{"UpdateAgent", testUpdateAgent},
		{"DeleteAgent", testDeleteAgent},
		{"DeleteAgentKeyConcurrent", testDeleteAgentKeyConcurrent},
		{"Required", testRequired},
		{"Processes", testProcesses},
		{"KeyCreateConcurrent", testKeyCreateConcurrent},
		{"KeyFencing", testKeyFencing},
		{"TakeOver", testTakeOver},
		{"KeyExpiry", testKeyExpiry},
		{"ReserveKeyAtomic", testReserveKeyAtomic},
		{"RenderBalance", testRenderBalance},
		{"ActivatePhoneRun", testActivatePhoneRun},
		{"FailPhoneRun", testFailPhoneRun},
		{"PhaseProgress", testPhaseProgress},
		{"ApprovalRuns", testApprovalRuns},
		{"ClaimsDeadClaimers", testClaimsDeadClaimers},
		{"StaleRuns", testStaleRuns},
		{"GetLedgerEntry", testGetLedgerEntry},
		{"CarrierEventDedupe", testCarrierEventDedupe},
		{"RecordInboundEventConcurrent", testRecordInboundEventConcurrent},
		{"AdvanceMessageByRef", testAdvanceMessageByRef},
		{"GetCaller", testGetCaller},
		{"Versions", testVersions},
		{"GetPhoneAndCampaign", testGetPhoneAndCampaign},
		{"UserSessions", testUserSessions},
		{"SetPhoneLabel", testSetPhoneLabel},
		{"RecordResend", testRecordResend},
		{"ApprovalReopen", testApprovalReopen},
		{"LoginFailures", testLoginFailures},
		{"RequesterStates", testRequesterStates},
		{"TakeRateTokens", testTakeRateTokens},
		{"People", testPeople},
		{"LastOwnerConcurrent", testLastOwnerConcurrent},
		{"Stats", testStats},
	}
	t.Run("SeedOnce", func(t *testing.T) {
		t.Parallel()
		testSeedOnce(t, openStore(t, open))
	})
	t.Run("SeedRequired", func(t *testing.T) {
		t.Parallel()
		testSeedRequired(t, openStore(t, open))
	})
	t.Run("DefaultSubjectConcurrent", func(t *testing.T) {
		t.Parallel()
		testDefaultSubjectConcurrent(t, openStore(t, open))
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, setup(t, open))
		})
	}
}

// bundle is a seeded store and the scopes the subtests work in.
type bundle struct {
	ctx  context.Context
	s    store.Store
	op   naive.Operator
	user naive.User
	// live and test are the seeded operator's two modes.
	live, test naive.Scope
	// other is an operator that does not exist: everything is not found there.
	other naive.Scope
	// liveSubject and testSubject are the default subjects of live and test.
	liveSubject, testSubject naive.Subject
	// proc is a registered process that heartbeats (at setup), alive for
	// liveAfter: what a subtest claims and locks records with.
	proc      string
	liveAfter time.Time
}

// noRun is the Progress of a write that belongs to no run: it writes
// nothing more.
var noRun store.Progress

func openStore(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func setup(t *testing.T, open func(t *testing.T) store.Store) *bundle {
	t.Helper()
	b := &bundle{ctx: t.Context(), s: openStore(t, open)}
	sd := seedData()
	ok, err := b.s.Seed(b.ctx, sd)
	must(t, err)
	if !ok {
		t.Fatal("Seed of an empty store reported false")
	}
	b.op, b.user = sd.Operator, sd.User
	b.live = naive.Scope{OperatorID: b.op.ID, Mode: naive.ModeLive}
	b.test = naive.Scope{OperatorID: b.op.ID, Mode: naive.ModeTest}
	b.other = naive.Scope{OperatorID: newID(), Mode: naive.ModeLive}
	b.liveSubject, b.testSubject = sd.Subjects[0], sd.Subjects[1]
	b.proc = newID()
	at := now()
	must(t, b.s.RegisterProcess(b.ctx, b.proc, at, time.Time{}))
	b.liveAfter = at.Add(-time.Hour)
	return b
}

func seedData() *store.SeedData {
	op := naive.Operator{ID: newID(), Name: "Demo", CreatedAt: now()}
	return &store.SeedData{
		Operator: op,
		User: naive.User{ID: newID(), OperatorID: op.ID, Email: "admin-" + newID() + "@example.com",
			PasswordHash: "hash", CreatedAt: now()},
		Subjects: []naive.Subject{
			subject(naive.Scope{OperatorID: op.ID, Mode: naive.ModeLive}, true),
			subject(naive.Scope{OperatorID: op.ID, Mode: naive.ModeTest}, true),
		},
	}
}

func subject(sc naive.Scope, isDefault bool) naive.Subject {
	formed := now().Add(-24 * time.Hour)
	return naive.Subject{
		ID: newID(), OperatorID: sc.OperatorID, Mode: sc.Mode, IsDefault: isDefault,
		Formation: naive.Formation{Status: naive.FormationCompleted, EntityType: "LLC", State: "DE",
			LegalName: "Acme Robotics LLC", FormedAt: &formed},
		CreatedAt: now(), UpdatedAt: now(),
		SubjectProfile: naive.SubjectProfile{
			LegalName: "Acme Robotics LLC", State: "DE", Website: "https://acme.example", Industry: "technology",
			PrivacyPolicyURL: "https://acme.example/privacy", TermsURL: "https://acme.example/terms",
			Address: naive.Address{Line1: "1 Main St", City: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"},
			Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example",
				Phone: "+14155550100", Title: "ceo"},
		},
	}
}

// grant credits sc with amount and returns the balance after.
func (b *bundle) grant(t *testing.T, sc naive.Scope, amount int64) int64 {
	t.Helper()
	bal, err := b.s.AddLedgerEntry(b.ctx, &naive.LedgerEntry{ID: newID(), Amount: amount, Reason: naive.LedgerGrant,
		Actor: naive.Actor{Type: "human", ID: b.user.ID}, OperatorID: sc.OperatorID, Mode: sc.Mode, CreatedAt: now()}, noRun)
	must(t, err)
	return bal
}

// checkLedger asserts the balance invariant: the balance is
// the sum of the ledger entries and never negative. It returns the balance.
func (b *bundle) checkLedger(t *testing.T, sc naive.Scope) (int64, []naive.LedgerEntry) {
	t.Helper()
	bal, err := b.s.Balance(b.ctx, sc)
	must(t, err)
	entries, err := b.s.ListLedger(b.ctx, sc, naive.Page{})
	must(t, err)
	var sum int64
	for _, e := range entries {
		sum += e.Amount
		if e.BalanceAfter < 0 {
			t.Errorf("ledger entry %s has balance_after %d < 0", e.ID, e.BalanceAfter)
		}
	}
	if sum != bal {
		t.Errorf("balance %d != sum of %d ledger entries %d", bal, len(entries), sum)
	}
	if bal < 0 {
		t.Errorf("balance %d < 0", bal)
	}
	return bal, entries
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// now is the current time as stores keep it (UTC, microseconds), so
// round trips compare equal.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// concurrently runs fn(0) … fn(n-1) in n goroutines released at once and
// waits for all of them.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantRequired asserts that a write missing an id or time it stores
// failed, with an error that is none of the sentinels: stores fill in
// neither, so the caller's clock is the only one.
func wantRequired(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one for the missing id or time", what)
	}
	for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInsufficientCredits, store.ErrKeyExists,
		store.ErrLockLost} {
		if errors.Is(err, s) {
			t.Fatalf("%s: error = %v, want none of the sentinels", what, err)
		}
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

// show prints v with pointers followed, so times behind pointers are visible.
func show(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Sprintf("%+v", v)
	}
	s := "{"
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		s += fmt.Sprintf("%s:%+v ", rv.Type().Field(i).Name, f.Interface())
	}
	return s + "}"
}

// ids returns the ids of items, in order.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = id(v)
	}
	return out
}

// checkPaging asserts that list returns wantNewestFirst (ids, newest
// first) in full and page by page with Page{Limit, After}.
func checkPaging(t *testing.T, wantNewestFirst []string, list func(p naive.Page) []string) {
	t.Helper()
	equal(t, "full list", list(naive.Page{}), wantNewestFirst)
	var got []string
	after := ""
	for range len(wantNewestFirst) + 1 {
		page := list(naive.Page{Limit: 2, After: after})
		if len(page) > 2 {
			t.Fatalf("page of limit 2 has %d items", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	equal(t, "list read page by page", got, wantNewestFirst)
}

func testPing(t *testing.T, b *bundle) {
	must(t, b.s.Ping(b.ctx))
}
