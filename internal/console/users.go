package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// The people area: the operator's humans and their roles. Every human may
// see the list; owners invite (the invite link is shown once), change
// roles and remove. Forms a role may not use are not shown, but the
// service's 403 is the guard: a POST made anyway is refused there.
//
// The invite page (/console/invite?token=…) is before any session: like
// the login form it carries the double-submit CSRF cookie, and accepting
// logs the new human in.

// userRoutes registers the people pages and the invite page.
func (c *Console) userRoutes() {
	c.page("GET "+Path+"/users", c.usersList)
	c.page("POST "+Path+"/users", c.usersInvite)
	c.page("POST "+Path+"/users/{id}/role", c.usersSetRole)
	c.page("GET "+Path+"/users/{id}/remove", c.usersRemoveConfirm)
	c.page("POST "+Path+"/users/{id}/remove", c.usersRemove)
	c.mux.Handle("GET "+Path+"/invite", http.HandlerFunc(c.invitePage))
	c.mux.Handle("POST "+Path+"/invite", http.HandlerFunc(c.inviteSubmit))
}

// userRow is a user as the list shows them.
type userRow struct {
	naive.User
	You bool
}

type usersListView struct {
	Rows     []userRow
	Pager    pager
	CanEdit  bool // the session's human is an owner
	Role     naive.Role
	Roles    []naive.Role
	Form     usersForm
	Err      *formError
	ErrOnRow string // the user id a refused role change or removal was about
}

type usersForm struct {
	Email string
	Role  naive.Role
}

func canManagePeople(s *session) bool { return s.p.Role.EffectiveRole() == naive.RoleOwner }

func (c *Console) usersShow(w http.ResponseWriter, r *http.Request, s *session, status int, f usersForm, fe *formError, row string) error {
	l, err := c.svc.ListUsers(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	if f.Role == "" {
		f.Role = naive.RoleViewer
	}
	v := usersListView{Pager: pagerFor(r, l.NextCursor), CanEdit: canManagePeople(s), Role: s.p.Role.EffectiveRole(),
		Roles: naive.Roles(), Form: f, Err: fe, ErrOnRow: row}
	for _, u := range l.Data {
		v.Rows = append(v.Rows, userRow{User: u, You: u.ID == s.p.UserID})
	}
	return c.show(w, r, s, status, "users_list", "People", "users", v)
}

// usersList lists the operator's humans.
func (c *Console) usersList(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.usersShow(w, r, s, http.StatusOK, usersForm{}, nil, "")
}

// refused shows a refused form on the list page with the error's status.
func (c *Console) usersRefused(w http.ResponseWriter, r *http.Request, s *session, f usersForm, err error, row string) error {
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.usersShow(w, r, s, naive.HTTPStatus(fe.Code), f, fe, row)
}

type usersInvitedView struct {
	User      naive.User
	Link      string
	ExpiresAt time.Time
}

// usersInvite invites a human and shows the invite link, once.
func (c *Console) usersInvite(w http.ResponseWriter, r *http.Request, s *session) error {
	in, err := fields(r, "email", "role")
	if err != nil {
		return c.usersRefused(w, r, s, usersForm{Role: naive.Role(r.PostFormValue("role"))}, err, "")
	}
	f := usersForm{Email: in["email"], Role: naive.Role(in["role"])}
	inv, err := c.svc.InviteUser(s.ctx, naive.InviteRequest{Email: f.Email, Role: f.Role})
	if err != nil {
		return c.usersRefused(w, r, s, f, err, "")
	}
	v := usersInvitedView{User: inv.User, Link: keysAPIURL(r) + inv.InviteURL, ExpiresAt: inv.ExpiresAt}
	w.Header().Set("Cache-Control", "no-store")
	return c.show(w, r, s, http.StatusOK, "users_invited", "Invited", "users", v)
}

// usersSetRole changes a human's role.
func (c *Console) usersSetRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	role, err := field(r, "role")
	if err != nil {
		return c.usersRefused(w, r, s, usersForm{}, err, id)
	}
	ro := naive.Role(role)
	u, err := c.svc.UpdateUser(s.ctx, id, naive.UserPatch{Role: &ro})
	if err != nil {
		return c.usersRefused(w, r, s, usersForm{}, err, id)
	}
	return c.done(w, r, Path+"/users", u.Email+" is now "+string(u.Role)+".")
}

// usersFind returns one of the operator's users (found in the list: there
// is no call to get one). An unknown id is not_found.
func (c *Console) usersFind(s *session, id string) (*naive.User, error) {
	lp := naive.ListParams{Limit: 200}
	for range 10 {
		l, err := c.svc.ListUsers(s.ctx, lp)
		if err != nil {
			return nil, err
		}
		for i := range l.Data {
			if l.Data[i].ID == id {
				return &l.Data[i], nil
			}
		}
		if l.NextCursor == nil || *l.NextCursor == "" {
			break
		}
		lp.Cursor = *l.NextCursor
	}
	return nil, naive.NotFound("user", id)
}

type usersRemoveView struct {
	User    naive.User
	You     bool
	CanEdit bool
	Err     *formError
}

// usersRemoveConfirm asks before removing a human.
func (c *Console) usersRemoveConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	u, err := c.usersFind(s, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := usersRemoveView{User: *u, You: u.ID == s.p.UserID, CanEdit: canManagePeople(s)}
	return c.show(w, r, s, http.StatusOK, "users_remove", "Remove "+u.Email+"?", "users", v)
}

// usersRemove removes a human; their sessions end. Removing yourself
// ends this session too: the login page follows.
func (c *Console) usersRemove(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	u, err := c.usersFind(s, id)
	if err != nil {
		return err
	}
	if err := c.svc.DeleteUser(s.ctx, id); err != nil {
		fe, err := inPlace(err)
		if err != nil {
			return err
		}
		v := usersRemoveView{User: *u, You: u.ID == s.p.UserID, CanEdit: canManagePeople(s), Err: fe}
		return c.show(w, r, s, naive.HTTPStatus(fe.Code), "users_remove", "Remove "+u.Email+"?", "users", v)
	}
	if id == s.p.UserID {
		c.clearCookie(w, r, SessionCookie)
		http.Redirect(w, r, Path+"/login", http.StatusSeeOther)
		return nil
	}
	return c.done(w, r, Path+"/users", "Removed "+u.Email+"; their sessions have ended.")
}

// inviteView is the accept-invite form.
type inviteView struct {
	Token string
	Error string
	Hint  string
	Param string
}

// invitePage shows the form that sets an invited human's password.
func (c *Console) invitePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	tok := r.URL.Query().Get("token")
	if naive.CheckText("token", tok) != nil || !strings.HasPrefix(tok, service.InvitePrefix) || len(tok) > 128 {
		c.showInvite(w, r, http.StatusBadRequest, inviteView{Error: "This invite link is incomplete or damaged.",
			Hint: "Open the whole link you were sent, or ask an owner for a new invite."})
		return
	}
	c.showInvite(w, r, http.StatusOK, inviteView{Token: tok})
}

// showInvite renders the invite form with a fresh double-submit token,
// as the login form does.
func (c *Console) showInvite(w http.ResponseWriter, r *http.Request, status int, iv inviteView) {
	csrf := randomToken()
	c.setCookie(w, r, LoginCSRFCookie, csrf, time.Time{}, http.SameSiteStrictMode)
	v := c.view(r, nil, "Accept your invite", "login")
	v.CSRF, v.Data = csrf, iv
	c.render(w, r, status, "invite", v)
}

// inviteSubmit sets the password and logs the human in.
func (c *Console) inviteSubmit(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	ck, err := r.Cookie(LoginCSRFCookie)
	if err != nil || !sameToken(r.PostFormValue(CSRFField), ck.Value) {
		c.fail(w, r, nil, errCSRF())
		return
	}
	tok, password, again := r.PostFormValue("token"), r.PostFormValue("password"), r.PostFormValue("password_again")
	iv := inviteView{Token: tok}
	for _, f := range []struct{ label, value string }{{"token", tok}, {"password", password}, {"password_again", again}} {
		if naive.CheckText(f.label, f.value) != nil {
			iv.Token = ""
			iv.Error, iv.Hint = unstorable("The "+f.label), "Open the invite link again and type the password again."
			c.showInvite(w, r, http.StatusBadRequest, iv)
			return
		}
	}
	if password != again {
		iv.Error, iv.Hint, iv.Param = "The two passwords differ; nothing was changed.", "Type the same password twice.", "password_again"
		c.showInvite(w, r, http.StatusBadRequest, iv)
		return
	}
	res, err := c.svc.AcceptInvite(naive.WithClient(r.Context(), naive.ClientOf(r, c.trustForwarded)), naive.AcceptInviteRequest{Token: tok, Password: password})
	if err != nil {
		e := naive.AsError(err)
		if e.Status() >= 500 {
			c.fail(w, r, nil, err)
			return
		}
		iv.Error, iv.Hint, iv.Param = e.Message, inConsoleWords(e.Hint), e.Param
		if e.Code == naive.EUnauthorized {
			iv.Token = "" // used, expired or unknown: the form cannot help
		}
		c.showInvite(w, r, e.Status(), iv)
		return
	}
	c.clearCookie(w, r, LoginCSRFCookie)
	c.setCookie(w, r, SessionCookie, res.Token, res.ExpiresAt, http.SameSiteLaxMode)
	http.Redirect(w, r, Path+"/", http.StatusSeeOther)
}
