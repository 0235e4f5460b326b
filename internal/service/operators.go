package service

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// The server administrator's operations (`naive admin …`). They run on the
// server's host against its database, not through the REST API, so they
// act for no principal: whoever can run them can read the database too.

// newOperatorData is what a new operator starts with, on a first start
// (seed) and when an administrator creates one (AdminCreateOperator): the
// operator; its owner, a human with the password hash; and a default
// subject per mode. Test mode's is ready for the sandbox (a demo profile,
// formation completed) so the first test provision works; live mode's is
// named after the operator, its formation not started.
func newOperatorData(name, email, passwordHash string, now time.Time) *store.SeedData {
	op := naive.Operator{ID: newID(), Name: name, CreatedAt: now}
	user := naive.User{ID: newID(), OperatorID: op.ID, Email: strings.ToLower(email), PasswordHash: passwordHash,
		Role: naive.RoleOwner, CreatedAt: now}
	profile := naive.SubjectProfile{
		LegalName: "Demo Company LLC", State: "DE", Website: "https://demo.example", Industry: "technology",
		PrivacyPolicyURL: "https://demo.example/privacy", TermsURL: "https://demo.example/terms",
		Address: naive.Address{Line1: "1 Main St", City: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"},
		Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@demo.example", Phone: "+14155550100", Title: "ceo"},
	}
	testSubj := naive.Subject{ID: newID(), OperatorID: op.ID, Mode: naive.ModeTest, IsDefault: true, SubjectProfile: profile,
		Formation: naive.Formation{Status: naive.FormationCompleted, EntityType: "LLC", State: "DE", LegalName: profile.LegalName, FormedAt: &now, SubmittedAt: &now},
		CreatedAt: now, UpdatedAt: now}
	liveSubj := naive.Subject{ID: newID(), OperatorID: op.ID, Mode: naive.ModeLive, IsDefault: true,
		SubjectProfile: naive.SubjectProfile{LegalName: name}, Formation: naive.Formation{Status: naive.FormationNotStarted},
		CreatedAt: now, UpdatedAt: now}
	return &store.SeedData{Operator: op, User: user, Subjects: []naive.Subject{testSubj, liveSubj}}
}

// validateGrant checks a grant's amount and memo, for humans'
// GrantCredits and the administrator's AdminGrantCredits alike.
func validateGrant(req naive.GrantRequest) error {
	if req.Amount < 1 || req.Amount > MaxGrant {
		return naive.InvalidParam("amount", "amount must be between 1 and %d credits.", MaxGrant)
	}
	if len(req.Memo) > 255 {
		return naive.InvalidParam("memo", "memo must be at most 255 characters.")
	}
	if err := plainText("memo", req.Memo); err != nil {
		return err
	}
	return nil
}

// plainText refuses a NUL character or invalid UTF-8 in a text field (the
// REST layer refuses them in every body; the administrator's commands do
// not go through it).
func plainText(param, v string) error {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return naive.InvalidParam(param, "%s must be UTF-8 text without NUL characters.", param)
	}
	return nil
}

// MaxOperatorName bounds an operator's name.
const MaxOperatorName = 200

// OperatorRequest is what an administrator creates an operator with.
type OperatorRequest struct {
	Name       string
	OwnerEmail string
	// OwnerPassword is the owner's password (MinPassword to MaxPassword
	// characters); "" generates one, returned once in the answer.
	OwnerPassword string
}

// CreatedOperator is what AdminCreateOperator stored.
type CreatedOperator struct {
	Operator naive.Operator `json:"operator"`
	Owner    naive.User     `json:"owner"`
	// OwnerPassword is the generated password, shown once; empty when the
	// request gave one.
	OwnerPassword string          `json:"owner_password,omitempty"`
	Subjects      []naive.Subject `json:"subjects"`
}

// AdminCreateOperator creates an operator, its owner and a default subject
// per mode (as a first start does, without the demo key and credits), in
// one transaction: all of it, or nothing. A retry after a failure creates
// it once; a retry after a success finds the email taken.
//
// Errors: invalid_input (name, email, password), conflict (the email
// belongs to a human already).
func (s *Service) AdminCreateOperator(ctx context.Context, req OperatorRequest) (*CreatedOperator, error) {
	name := strings.TrimSpace(req.Name)
	if err := plainText("name", name); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, naive.InvalidParam("name", "name is required.").WithHint("Name the operator: --name \"Acme Inc\".")
	}
	if utf8.RuneCountInString(name) > MaxOperatorName {
		return nil, naive.InvalidParam("name", "name must be at most %d characters.", MaxOperatorName)
	}
	email := strings.TrimSpace(req.OwnerEmail)
	if err := plainText("owner_email", email); err != nil {
		return nil, err
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, naive.InvalidParam("owner_email", "owner_email must be an email address such as ops@example.com; got %q.", email)
	}
	generated := req.OwnerPassword == ""
	password := req.OwnerPassword
	if generated {
		password = randomToken(15)
	} else if n := utf8.RuneCountInString(password); !utf8.ValidString(password) || strings.ContainsRune(password, 0) ||
		n < MinPassword || len(password) > MaxPassword {
		return nil, naive.InvalidParam("owner_password", "owner_password must be %d to %d characters long, UTF-8 without NUL.", MinPassword, MaxPassword).
			WithHint("Choose a longer passphrase, or omit it to have one generated.")
	}
	if _, err := s.store.GetUserByEmail(ctx, email); err == nil {
		return nil, emailTaken(email)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	data := newOperatorData(name, email, HashPassword(password), s.now())
	if err := s.store.CreateTenant(ctx, data); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// The email was taken between the check and the insert.
			return nil, emailTaken(email)
		}
		return nil, err
	}
	out := &CreatedOperator{Operator: data.Operator, Owner: data.User, Subjects: data.Subjects}
	if generated {
		out.OwnerPassword = password
	}
	s.log.Info("operator created by the administrator", "operator_id", data.Operator.ID, "owner_id", data.User.ID)
	return out, nil
}

func emailTaken(email string) *naive.Error {
	return naive.Errorf(naive.EConflict, "A human with email %s exists already; an email belongs to one operator.", email).
		WithHint("Use another email, or see who has it with `naive admin operators list`. (A create that failed stored nothing; one that succeeded printed the operator.)")
}

// OperatorSummary is a line of `naive admin operators list`.
type OperatorSummary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CreatedAt   time.Time `json:"created_at"`
	OwnerEmails []string  `json:"owner_emails"`
	Users       int       `json:"users"`
}

// AdminListOperators lists every operator, oldest first, with its owners'
// emails and how many humans it has.
func (s *Service) AdminListOperators(ctx context.Context) ([]OperatorSummary, error) {
	out := []OperatorSummary{}
	pg := naive.Page{Limit: 200}
	for {
		ops, err := s.store.ListOperators(ctx, pg)
		if err != nil {
			return nil, err
		}
		for _, o := range ops {
			sum := OperatorSummary{ID: o.Operator.ID, Name: o.Operator.Name, CreatedAt: o.Operator.CreatedAt,
				OwnerEmails: []string{}, Users: len(o.Users)}
			for _, u := range o.Users {
				if u.Role.EffectiveRole() == naive.RoleOwner {
					sum.OwnerEmails = append(sum.OwnerEmails, u.Email)
				}
			}
			out = append(out, sum)
		}
		if len(ops) < pg.Limit {
			return out, nil
		}
		pg.After = ops[len(ops)-1].Operator.ID
	}
}

// AdminActorType is the actor type of what the server's administrator
// does (`naive admin …`); its id names the administrator (the system
// user who ran the command).
const AdminActorType = "admin"

// AdminGrantRequest is a grant by the server's administrator.
type AdminGrantRequest struct {
	OperatorID string
	Mode       naive.Mode
	naive.GrantRequest
	// Admin names who granted (the actor's id), e.g. the system user.
	Admin string
}

// AdminGrantCredits adds credits to an operator's balance in a mode, as
// the server's administrator: one ledger entry, validated like a human's
// grant. It has no Idempotency-Key: run it once.
//
// Errors: invalid_input, not_found (no such operator).
func (s *Service) AdminGrantCredits(ctx context.Context, req AdminGrantRequest) (*naive.LedgerEntry, error) {
	if req.Mode != naive.ModeTest && req.Mode != naive.ModeLive {
		return nil, naive.InvalidParam("mode", "mode must be test or live; got %q.", req.Mode)
	}
	if err := validateGrant(req.GrantRequest); err != nil {
		return nil, err
	}
	if err := plainText("operator", req.OperatorID); err != nil {
		return nil, err
	}
	if _, err := s.store.GetOperator(ctx, req.OperatorID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, naive.NotFound("operator", req.OperatorID).WithHint("List the operators with `naive admin operators list`.")
		}
		return nil, err
	}
	admin := req.Admin
	if admin == "" {
		admin = "administrator"
	}
	e := &naive.LedgerEntry{ID: newID(), OperatorID: req.OperatorID, Mode: req.Mode, Amount: req.Amount,
		Reason: naive.LedgerGrant, Actor: naive.Actor{Type: AdminActorType, ID: admin}, Memo: req.Memo, CreatedAt: s.now()}
	bal, err := s.store.AddLedgerEntry(ctx, e, store.Progress{})
	if err != nil {
		return nil, err
	}
	e.BalanceAfter = bal
	s.log.Info("credits granted by the administrator", "operator_id", req.OperatorID, "mode", req.Mode, "amount", req.Amount)
	return e, nil
}

// AdminCarriersRequest gives an operator its own carriers in a mode.
type AdminCarriersRequest struct {
	OperatorID string
	Mode       naive.Mode
	// Default is the carrier its subjects' first numbers register with;
	// Fallback ("" for none) takes them while Default is down.
	Default, Fallback string
}

// AdminSetCarriers records, as the server's administrator, an operator's
// default and fallback carrier in a mode (each must be one the servers
// run: a provision names one they do not as not configured). Subjects
// whose brand exists keep their brand's carrier.
//
// Errors: invalid_input, not_found (no such operator).
func (s *Service) AdminSetCarriers(ctx context.Context, req AdminCarriersRequest) (*naive.OperatorCarriers, error) {
	if req.Mode != naive.ModeTest && req.Mode != naive.ModeLive {
		return nil, naive.InvalidParam("mode", "mode must be test or live; got %q.", req.Mode)
	}
	known := func(n string) bool { return n == naive.CarrierSurge || n == naive.CarrierTelnyx }
	switch {
	case !known(req.Default):
		return nil, naive.InvalidParam("carrier", "carrier must be surge or telnyx; got %q.", req.Default)
	case req.Fallback != "" && !known(req.Fallback):
		return nil, naive.InvalidParam("fallback", "fallback must be surge or telnyx; got %q.", req.Fallback)
	case req.Fallback == req.Default:
		return nil, naive.InvalidParam("fallback", "The fallback must be another carrier than the default.")
	}
	if err := plainText("operator", req.OperatorID); err != nil {
		return nil, err
	}
	sc := naive.Scope{OperatorID: req.OperatorID, Mode: req.Mode}
	now := s.now()
	if err := s.store.SetOperatorCarriers(ctx, sc, req.Default, req.Fallback, now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, naive.NotFound("operator", req.OperatorID).WithHint("List the operators with `naive admin operators list`.")
		}
		return nil, err
	}
	s.log.Info("operator carriers set by the administrator", "operator_id", req.OperatorID, "mode", req.Mode,
		"default", req.Default, "fallback", req.Fallback)
	return &naive.OperatorCarriers{Default: req.Default, Fallback: req.Fallback, UpdatedAt: now}, nil
}
