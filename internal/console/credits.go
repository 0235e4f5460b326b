package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// The credits area: the balance of the mode, the ledger with what each
// movement was for and who made it, and the form to grant credits.

// creditRoutes registers the credits pages.
func (c *Console) creditRoutes() {
	c.page("GET "+Path+"/credits", c.creditsPage)
	c.page("POST "+Path+"/credits/grant", c.creditsGrant)
}

// creditsRow is a ledger entry with what a human reads of it.
type creditsRow struct {
	naive.LedgerEntry
	What     string // the reason in words
	Actor    string
	Link     string // the number the entry is about, if known
	LinkText string
	About    string // what the entry refers to, when there is no page for it
}

type creditsView struct {
	Balance int64
	Rows    []creditsRow
	Pager   pager
	Err     *formError
	Amount  string
	Memo    string
	Max     int64
}

// creditsMaxGrant mirrors the service's bound on one grant (service.MaxGrant),
// for the form's max attribute only: the service decides.
const creditsMaxGrant = 10_000_000

// creditsReason says what a ledger reason means.
func creditsReason(reason string) string {
	switch reason {
	case naive.LedgerGrant:
		return "Credits granted"
	case naive.LedgerPhoneProvision:
		return "Number bought"
	case naive.LedgerPhoneRefund:
		return "Refund: the number was not bought"
	case naive.LedgerSMSSend:
		return "Text sent"
	case naive.LedgerSMSRefund:
		return "Refund: the text was not sent"
	}
	return reason
}

// creditsPage shows the balance, the ledger and the grant form.
func (c *Console) creditsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showCredits(w, r, s, nil, "", "")
}

func (c *Console) showCredits(w http.ResponseWriter, r *http.Request, s *session, fe *formError, amount, memo string) error {
	cr, err := c.svc.Credits(s.ctx)
	if err != nil {
		return err
	}
	lp := listParams(r)
	if r.Method == http.MethodPost {
		lp = naive.ListParams{Limit: 50} // a refused form shows the first page
	}
	l, err := c.svc.Ledger(s.ctx, lp)
	if err != nil {
		return err
	}
	d := c.numbersDir(s)
	cv := creditsView{Balance: cr.Balance, Err: fe, Amount: amount, Memo: memo, Max: creditsMaxGrant}
	for _, e := range l.Data {
		cv.Rows = append(cv.Rows, d.creditsRow(e))
	}
	if r.Method != http.MethodPost {
		cv.Pager = pagerFor(r, l.NextCursor)
	}
	return c.show(w, r, s, statusOf(fe), "credits_page", "Credits", "credits", cv)
}

// creditsRow resolves who made an entry and the number it is about.
func (d *numbersDir) creditsRow(e naive.LedgerEntry) creditsRow {
	row := creditsRow{LedgerEntry: e, What: creditsReason(e.Reason), Actor: d.actor(e.Actor)}
	if e.ReferenceID == "" {
		return row
	}
	switch {
	case strings.HasPrefix(e.Reason, "phone."):
		if ph, err := d.phone(e.ReferenceID, ""); err == nil {
			row.Link, row.LinkText = numberPath(ph), ph.E164
			if ph.E164 == "" {
				row.LinkText = "number " + short(ph.ID)
			}
		} else {
			row.About = "number " + short(e.ReferenceID) + " (not bought)"
		}
	case strings.HasPrefix(e.Reason, "sms."):
		if m, err := d.message(e.ReferenceID); err == nil {
			if ph, err := d.phone(m.PhoneID, m.SubjectID); err == nil {
				row.Link = numberPath(ph)
				row.LinkText = "text from " + ph.E164 + " to " + m.To
			} else {
				row.About = "text to " + m.To
			}
		} else {
			row.About = "text " + short(e.ReferenceID)
		}
	default:
		row.About = e.ReferenceID
	}
	return row
}

// creditsGrant adds credits to the mode's balance (humans only; the
// console is only ever a human).
func (c *Console) creditsGrant(w http.ResponseWriter, r *http.Request, s *session) error {
	vals, err := fields(r, "amount", "memo")
	if err != nil {
		fe, _ := inPlace(err)
		return c.showCredits(w, r, s, fe, "", "")
	}
	amount, memo := vals["amount"], vals["memo"]
	n, perr := strconv.ParseInt(strings.ReplaceAll(amount, ",", ""), 10, 64)
	if perr != nil {
		err = naive.InvalidParam("amount", "The amount must be a whole number of credits, such as 500.").
			WithHint("Type digits only, between 1 and %s.", credits(creditsMaxGrant))
	} else {
		var e *naive.LedgerEntry
		var rec *store.IdempotencyRecord
		rec, err = c.runOnce(w, r, s, func(ctx context.Context) (err error) {
			e, err = c.svc.GrantCredits(ctx, naive.GrantRequest{Amount: n, Memo: memo})
			return err
		})
		if rec != nil {
			e = &naive.LedgerEntry{}
			if err = replayed(rec, e); err == nil {
				return c.done(w, r, Path+"/credits", "This form was already submitted: "+credits(e.Amount)+
					" credits were granted then, once. Nothing more was granted.")
			}
		}
		if err == nil {
			return c.done(w, r, Path+"/credits", "Granted "+credits(e.Amount)+" credits in "+string(s.p.Mode)+
				" mode. The balance is now "+credits(e.BalanceAfter)+".")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Param == "amount" && perr == nil {
		fe.Hint = "Type a whole number between 1 and " + credits(creditsMaxGrant) + "."
	}
	return c.showCredits(w, r, s, fe, amount, memo)
}
