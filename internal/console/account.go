package console

import (
	"net/http"
	"strconv"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// The account page: who you are, your password, your sessions.

// accountRoutes registers the account pages.
func (c *Console) accountRoutes() {
	c.page("GET "+Path+"/account", c.account)
	c.page("POST "+Path+"/account/password", c.changePassword)
	c.page("POST "+Path+"/account/logout-everywhere", c.logoutEverywhere)
}

type accountView struct {
	Email    string
	Sessions []naive.SessionInfo
	Err      *formError
	// MinPassword is the shortest new password the service takes.
	MinPassword int
}

func (c *Console) account(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showAccount(w, r, s, nil)
}

func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, s *session, fe *formError) error {
	l, err := c.svc.ListSessions(s.ctx)
	if err != nil {
		return err
	}
	av := accountView{Email: s.email, Sessions: l.Data, Err: fe, MinPassword: service.MinPassword}
	return c.show(w, r, s, statusOf(fe), "account", "Your account", "account", av)
}

// changePassword changes the human's password; their other sessions end.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, s *session) error {
	cur, next, again := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	for name, v := range map[string]string{"current_password": cur, "new_password": next, "confirm_password": again} {
		if naive.CheckText(name, v) != nil {
			return c.showAccount(w, r, s, &formError{Code: naive.EInvalidInput, Param: name,
				Message: unstorable("A password field"), Hint: "Type it again without that character."})
		}
	}
	if next != again {
		return c.showAccount(w, r, s, &formError{Code: naive.EInvalidInput, Param: "confirm_password",
			Message: "The new password and its confirmation differ; nothing was changed.", Hint: "Type the new password twice, the same."})
	}
	res, err := c.svc.ChangePassword(s.ctx, naive.PasswordRequest{CurrentPassword: cur, NewPassword: next})
	if fe, err := inPlace(err); err != nil {
		return err
	} else if fe != nil {
		return c.showAccount(w, r, s, fe)
	}
	notice := "Your password is changed."
	switch res.EndedSessions {
	case 0:
	case 1:
		notice += " Your one other session has ended."
	default:
		notice += " Your " + strconv.Itoa(res.EndedSessions) + " other sessions have ended."
	}
	return c.done(w, r, Path+"/account", notice)
}

// logoutEverywhere ends every session of the human, this one too.
func (c *Console) logoutEverywhere(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := c.svc.EndSessions(s.ctx); err != nil {
		return err
	}
	c.clearCookie(w, r, SessionCookie)
	http.Redirect(w, r, Path+"/login?logged_out=1", http.StatusSeeOther)
	return nil
}
