package service

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// CreateKey makes an API key and returns it with its secret, shown once.
//
// Errors: forbidden (not a human), invalid_input.
func (s *Service) CreateKey(ctx context.Context, req naive.KeyRequest) (*naive.APIKey, error) {
	if err := s.owner(ctx, "creating API keys"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "creating API keys")
	if err != nil {
		return nil, err
	}
	if req.Mode == "" {
		req.Mode = p.Mode
	}
	if !req.Mode.Valid() {
		return nil, naive.InvalidParam("mode", "mode must be \"live\" or \"test\"; got %q.", req.Mode)
	}
	req.Name = strings.TrimSpace(req.Name)
	if len(req.Name) > 128 {
		return nil, naive.InvalidParam("name", "name must be at most 128 characters.")
	}
	if req.AgentID != "" {
		if !validUUID(req.AgentID) {
			return nil, naive.InvalidParam("agent_id", "agent_id must be a UUID.")
		}
		if _, err := s.store.GetAgent(ctx, naive.Scope{OperatorID: p.OperatorID, Mode: req.Mode}, req.AgentID); errors.Is(err, store.ErrNotFound) {
			return nil, naive.InvalidParam("agent_id", "No %s-mode agent with id %q.", req.Mode, req.AgentID)
		} else if err != nil {
			return nil, err
		}
	}
	secret, prefix := newAPIKey(req.Mode)
	k := &naive.APIKey{ID: newID(), OperatorID: p.OperatorID, Mode: req.Mode, Name: req.Name, Prefix: prefix,
		Hash: hashToken(secret), AgentID: req.AgentID, CreatedBy: p.UserID, CreatedAt: s.now()}
	if err := s.store.CreateAPIKey(ctx, k); errors.Is(err, store.ErrNotFound) {
		return nil, naive.InvalidParam("agent_id", "No %s-mode agent with id %q.", req.Mode, req.AgentID) // deleted meanwhile
	} else if err != nil {
		return nil, err
	}
	k.Secret = secret
	return k, nil
}

// ListKeys lists the operator's keys (never their secrets).
func (s *Service) ListKeys(ctx context.Context, lp naive.ListParams) (*naive.List[naive.APIKey], error) {
	p, err := s.human(ctx, "listing API keys")
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListAPIKeys(ctx, p.OperatorID, pg)
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(x naive.APIKey) string { return x.ID })
	return &l, nil
}

// RevokeKey revokes a key; its next request is refused.
//
// Errors: forbidden, not_found.
func (s *Service) RevokeKey(ctx context.Context, id string) (*naive.APIKey, error) {
	if err := s.owner(ctx, "revoking API keys"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "revoking API keys")
	if err != nil {
		return nil, err
	}
	if !validUUID(id) {
		return nil, naive.NotFound("key", id)
	}
	k, err := s.store.RevokeAPIKey(ctx, p.OperatorID, id, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("active key", id)
	}
	return k, err
}

// Credits returns the balance in the caller's mode.
func (s *Service) Credits(ctx context.Context) (*naive.Credits, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	bal, err := s.store.Balance(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	return &naive.Credits{Balance: bal, Mode: p.Mode}, nil
}

// Ledger lists credit movements, newest first.
func (s *Service) Ledger(ctx context.Context, lp naive.ListParams) (*naive.List[naive.LedgerEntry], error) {
	return list(ctx, s, lp, func(p naive.Principal, pg naive.Page) ([]naive.LedgerEntry, error) {
		return s.store.ListLedger(ctx, p.Scope(), pg)
	}, func(x naive.LedgerEntry) string { return x.ID })
}

// MaxGrant bounds one grant, so a typo cannot mint a fortune.
const MaxGrant = 10_000_000

// GrantCredits adds credits in the caller's mode (humans only).
//
// Errors: forbidden, invalid_input.
func (s *Service) GrantCredits(ctx context.Context, req naive.GrantRequest) (*naive.LedgerEntry, error) {
	if err := s.owner(ctx, "granting credits"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "granting credits")
	if err != nil {
		return nil, err
	}
	if err := validateGrant(req); err != nil {
		return nil, err
	}
	e := &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: req.Amount,
		Reason: naive.LedgerGrant, Actor: p.Actor(), Memo: req.Memo, CreatedAt: s.now()}
	// A grant is one phase: the entry and the key's outcome together, so a
	// retry with the same key never grants twice.
	r := s.directRun(ctx, p, ActionCreditsGrant)
	out := *e
	bal, err := s.store.AddLedgerEntry(ctx, e, r.onceWith(e.ID, func() any { out.BalanceAfter = e.BalanceAfter; return &out }))
	if err != nil {
		err = phaseError(err)
		r.releaseUnlessStored(ctx, err)
		return nil, err
	}
	r.stored()
	e.BalanceAfter = bal
	return e, nil
}

// BootstrapConfig says who the first admin is.
type BootstrapConfig struct {
	AdminEmail    string
	AdminPassword string
	OperatorName  string
	// Hash, when set, is the admin's password already being hashed
	// (HashAhead); AdminPassword is then ignored.
	Hash *PendingHash
}

// PendingHash is an admin password (a new one when none was given) being
// hashed in the background.
type PendingHash struct {
	password  string
	generated bool
	done      chan string
}

// HashAhead starts hashing the admin's password (argon2id: about 40 ms of
// one core) before the database is even open, so a first start need not
// wait for it after migrating; a new password when password is empty. A
// restart finds the database seeded and drops it. Either way argon2's
// memory is handed back as soon as the hash is done.
func HashAhead(password string) *PendingHash {
	h := &PendingHash{password: password, generated: password == "", done: make(chan string, 1)}
	if h.generated {
		h.password = randomToken(15)
	}
	go func() {
		h.done <- HashPassword(h.password)
		debug.FreeOSMemory() // hand argon2's memory back at once
	}()
	return h
}

// Bootstrapped is what a first start created, to print once.
type Bootstrapped struct {
	OperatorID       string
	AdminEmail       string
	AdminPassword    string // empty when it came from the environment
	TestKey          string
	DefaultSubjectID string
	TestCredits      int64
}

// SeedTestCredits is the test-mode balance of a first start.
const SeedTestCredits = 1000

// Bootstrap seeds an empty database: a demo operator, a human
// admin, a default subject per mode (test's with a completed formation),
// 1000 test credits and one test key. It returns nil when the database was
// already seeded (by this or another process).
func (s *Service) Bootstrap(ctx context.Context, cfg BootstrapConfig) (*Bootstrapped, error) {
	return s.StartBootstrap(ctx, cfg)()
}

// StartBootstrap is Bootstrap in two steps, so a start can do other work
// while the admin's password is hashed (argon2id: tens of milliseconds):
// it checks whether the database needs seeding and, if so, starts the
// hash unless cfg.Hash already did; the function it returns waits for it
// and seeds. A restart, the common case, waits for no hash.
func (s *Service) StartBootstrap(ctx context.Context, cfg BootstrapConfig) func() (*Bootstrapped, error) {
	if seeded, err := s.store.Seeded(ctx); err != nil || seeded {
		return func() (*Bootstrapped, error) { return nil, err }
	}
	h := cfg.Hash
	if h == nil {
		h = HashAhead(cfg.AdminPassword)
	}
	return func() (*Bootstrapped, error) {
		hash := <-h.done
		cfg.AdminPassword = h.password
		return s.seed(ctx, cfg, h.generated, hash)
	}
}

// seed stores a first start. Several processes starting on a new database
// race past the Seeded check: Seed lets exactly one store the seed.
func (s *Service) seed(ctx context.Context, cfg BootstrapConfig, generated bool, passwordHash string) (*Bootstrapped, error) {
	now := s.now()
	out := &Bootstrapped{AdminEmail: cfg.AdminEmail, TestCredits: SeedTestCredits}
	if out.AdminEmail == "" {
		out.AdminEmail = "admin@localhost"
	}
	if generated {
		out.AdminPassword = cfg.AdminPassword
	}
	if cfg.OperatorName == "" {
		cfg.OperatorName = "Demo operator"
	}
	data := newOperatorData(cfg.OperatorName, out.AdminEmail, passwordHash, now)
	op, user, testSubj := data.Operator, data.User, data.Subjects[0]
	out.OperatorID = op.ID
	out.DefaultSubjectID = testSubj.ID
	secret, prefix := newAPIKey(naive.ModeTest)
	out.TestKey = secret
	key := naive.APIKey{ID: newID(), OperatorID: op.ID, Mode: naive.ModeTest, Name: "first-start test key", Prefix: prefix,
		Hash: hashToken(secret), CreatedBy: user.ID, CreatedAt: now}
	grant := naive.LedgerEntry{ID: newID(), OperatorID: op.ID, Mode: naive.ModeTest, Amount: SeedTestCredits, BalanceAfter: SeedTestCredits,
		Reason: naive.LedgerGrant, Actor: naive.Actor{Type: "system", ID: "bootstrap"}, Memo: "first start", CreatedAt: now}
	data.Keys = []naive.APIKey{key}
	data.Grants = []naive.LedgerEntry{grant}
	seeded, err := s.store.Seed(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("seed first start: %w", err)
	}
	if !seeded {
		return nil, nil
	}
	return out, nil
}
