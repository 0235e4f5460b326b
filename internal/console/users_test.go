package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var inviteLinkRE = regexp.MustCompile(`value="(https?://[^"]+/console/invite\?token=(nv_inv_[A-Za-z0-9]+))"`)

// TestPeoplePage: an owner invites from the console and sees the link
// once; the invitee accepts in their own browser and is logged in, sees a
// read-only list, and is refused (403) when posting the forms anyway; the
// owner changes the role, cannot remove the last owner, removes the other.
func TestPeoplePage(t *testing.T) {
	s := start(t)
	owner := s.browser()
	owner.mustLogin()

	list := owner.follow("GET", "/console/users", nil)
	mustShow(t, list, "People", adminEmail, "Invite someone", "Your role:", `aria-current="page">Users`)
	p := owner.raw("POST", "/console/users", url.Values{"csrf": {list.csrf(t)}, "email": {"not an email"}, "role": {"viewer"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad email: %d", p.status)
	}
	mustShow(t, p, "email must be one email address")
	p = owner.raw("POST", "/console/users", url.Values{"csrf": {list.csrf(t)}, "email": {"Vera@Example.com"}, "role": {"viewer"}})
	if p.status != http.StatusOK {
		t.Fatalf("invite: %d %.500s", p.status, p.body)
	}
	mustShow(t, p, "Invited Vera@Example.com", "shown only this once")
	m := inviteLinkRE.FindStringSubmatch(html.UnescapeString(p.body))
	if m == nil {
		t.Fatalf("no invite link in the page:\n%s", p.body)
	}
	link, token := m[1], m[2]
	if !strings.HasPrefix(link, s.url+"/console/invite?token=") {
		t.Fatalf("link %q is not on this server", link)
	}
	// The list shows them invited, and never the token.
	list = owner.follow("GET", "/console/users", nil)
	mustShow(t, list, "Vera@Example.com", "invited")
	if strings.Contains(list.body, token) {
		t.Fatal("the list shows the invite token")
	}
	_ = owner.follow("GET", "/console/users", nil)

	// The invitee accepts in a browser of their own.
	vera := s.browser()
	form := vera.raw("GET", "/console/invite?token="+token, nil)
	if form.status != http.StatusOK || vera.cookie("naive_login_csrf") == nil {
		t.Fatalf("invite form: %d %.300s", form.status, form.body)
	}
	mustShow(t, form, "Accept your invite")
	// Without the double-submit token nothing happens.
	if p := vera.raw("POST", "/console/invite", url.Values{"csrf": {"forged"}, "token": {token}, "password": {"vera password 12"}, "password_again": {"vera password 12"}}); p.status != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", p.status)
	}
	if p := vera.raw("POST", "/console/invite", url.Values{"csrf": {form.csrf(t)}, "token": {token}, "password": {"vera password 12"}, "password_again": {"other password 12"}}); p.status != http.StatusBadRequest {
		t.Fatalf("different passwords: %d", p.status)
	}
	form = vera.raw("GET", "/console/invite?token="+token, nil)
	if p := vera.raw("POST", "/console/invite", url.Values{"csrf": {form.csrf(t)}, "token": {token}, "password": {"short"}, "password_again": {"short"}}); p.status != http.StatusBadRequest {
		t.Fatalf("short password: %d", p.status)
	} else {
		mustShow(t, p, "12 to 256 characters")
	}
	form = vera.raw("GET", "/console/invite?token="+token, nil)
	p = vera.raw("POST", "/console/invite", url.Values{"csrf": {form.csrf(t)}, "token": {token}, "password": {"vera password 12"}, "password_again": {"vera password 12"}})
	if p.status != http.StatusSeeOther || p.location != "/console/" || vera.cookie("naive_session") == nil {
		t.Fatalf("accept: %d %s %.300s", p.status, p.location, p.body)
	}
	// A used link is refused.
	other := s.browser()
	form = other.raw("GET", "/console/invite?token="+token, nil)
	p = other.raw("POST", "/console/invite", url.Values{"csrf": {form.csrf(t)}, "token": {token}, "password": {"mallory password"}, "password_again": {"mallory password"}})
	if p.status != http.StatusUnauthorized || other.cookie("naive_session") != nil {
		t.Fatalf("second use: %d", p.status)
	}
	mustShow(t, p, "Unknown, used or expired invite token")
	if p := other.raw("GET", "/console/invite?token=garbage", nil); p.status != http.StatusBadRequest {
		t.Fatalf("damaged link: %d", p.status)
	}

	// The viewer sees a read-only list, and the service refuses the forms.
	vlist := vera.follow("GET", "/console/users", nil)
	mustShow(t, vlist, "Vera@Example.com", "(you)", "only an owner can invite")
	if strings.Contains(vlist.body, "Invite someone") || strings.Contains(vlist.body, `/role"`) || strings.Contains(vlist.body, "Remove…") {
		t.Fatalf("viewer sees forms:\n%s", vlist.body)
	}
	veraID := regexp.MustCompile(`id="user-([0-9a-f-]+)">\s*<td><strong>Vera@`).FindStringSubmatch(vlist.body)
	adminID := regexp.MustCompile(`id="user-([0-9a-f-]+)">\s*<td><strong>` + regexp.QuoteMeta(adminEmail)).FindStringSubmatch(vlist.body)
	if veraID == nil || adminID == nil {
		t.Fatalf("no user ids in the list:\n%s", vlist.body)
	}
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/console/users", url.Values{"email": {"x@example.com"}, "role": {"owner"}}},
		{"/console/users/" + veraID[1] + "/role", url.Values{"role": {"owner"}}},
		{"/console/users/" + adminID[1] + "/remove", url.Values{}},
	} {
		c.form.Set("csrf", vlist.csrf(t))
		p := vera.raw("POST", c.path, c.form)
		if p.status != http.StatusForbidden {
			t.Fatalf("viewer POST %s: %d %.300s", c.path, p.status, p.body)
		}
		mustShow(t, p, "Your role, viewer, does not allow")
	}
	if p := vera.raw("POST", "/console/credits/grant", url.Values{"csrf": {vlist.csrf(t)}, "amount": {"10"}, "form_key": {"k1"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer grants in the console: %d", p.status)
	}

	// The owner makes them an approver, cannot remove the last owner,
	// then removes them: their session is over.
	list = owner.follow("GET", "/console/users", nil)
	p = owner.raw("POST", "/console/users/"+veraID[1]+"/role", url.Values{"csrf": {list.csrf(t)}, "role": {"approver"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("set role: %d %.300s", p.status, p.body)
	}
	mustShow(t, owner.follow("GET", p.location, nil), "Vera@Example.com is now approver.")
	p = owner.raw("POST", "/console/users/"+adminID[1]+"/role", url.Values{"csrf": {list.csrf(t)}, "role": {"viewer"}})
	if p.status != http.StatusConflict {
		t.Fatalf("demote the last owner: %d", p.status)
	}
	mustShow(t, p, "last owner")
	confirm := owner.follow("GET", "/console/users/"+adminID[1]+"/remove", nil)
	mustShow(t, confirm, "Remove yourself")
	if p := owner.raw("POST", "/console/users/"+adminID[1]+"/remove", url.Values{"csrf": {confirm.csrf(t)}}); p.status != http.StatusConflict {
		t.Fatalf("remove the last owner: %d", p.status)
	}
	confirm = owner.follow("GET", "/console/users/"+veraID[1]+"/remove", nil)
	mustShow(t, confirm, "Remove Vera@Example.com?")
	p = owner.raw("POST", "/console/users/"+veraID[1]+"/remove", url.Values{"csrf": {confirm.csrf(t)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d %.300s", p.status, p.body)
	}
	if p := vera.raw("GET", "/console/users", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login") {
		t.Fatalf("removed user's console: %d %s", p.status, p.location)
	}
}
