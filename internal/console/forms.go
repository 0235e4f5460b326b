package console

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/naive"
)

// What every page and form shares: errors shown in place, pagination with
// the API's cursors, and a one-time notice carried across the redirect
// that follows a successful form.

// FlashCookie carries a one-line notice from a form's redirect to the page
// it lands on (read once, then cleared).
const FlashCookie = "naive_flash"

// formError is an API error shown next to the form that caused it: the
// error's message and hint, and the field at fault when there is one.
type formError struct {
	Code    string
	Message string
	Param   string
	Hint    string
}

// inPlace turns a refused action into a formError to show in place. A
// server-side failure (5xx) is not the form's fault: it comes back as the
// error, for the error page.
func inPlace(err error) (*formError, error) {
	if err == nil {
		return nil, nil
	}
	e := naive.AsError(err)
	if e.Status() >= 500 {
		return nil, err
	}
	hint := e.Hint
	if hint == "" {
		hint = naive.DefaultHint(e)
	}
	return &formError{Code: e.Code, Message: e.Message, Param: e.Param, Hint: inConsoleWords(hint)}, nil
}

// field returns the form value name, refusing text no database can store
// (a NUL byte, invalid UTF-8) with an error naming the field.
func field(r *http.Request, name string) (string, error) {
	v := r.PostFormValue(name)
	if err := naive.CheckText(name, v); err != nil {
		return "", naive.InvalidParam(name, "%s", unstorable("The field “"+name+"”")).WithHint("Remove that character and submit the form again.")
	}
	return strings.TrimSpace(v), nil
}

// fields reads several form values at once; the first unstorable one is
// the error.
func fields(r *http.Request, names ...string) (map[string]string, error) {
	m := make(map[string]string, len(names))
	for _, n := range names {
		v, err := field(r, n)
		if err != nil {
			return nil, err
		}
		m[n] = v
	}
	return m, nil
}

// listParams reads a list page's cursor (and limit, default 50) from the
// query, as the API's lists take them.
func listParams(r *http.Request) naive.ListParams {
	lp := naive.ListParams{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 200 {
		lp.Limit = n
	}
	return lp
}

// pager is the "older" link of a list page: this page's URL with the next
// cursor, every other query value kept. Empty when there is no next page.
type pager struct {
	Next  string // URL of the next page, or ""
	First string // URL of the first page, when this is not it
}

// pagerFor builds the pager of a list answered with next (its
// next_cursor).
func pagerFor(r *http.Request, next *string) pager {
	var p pager
	q := r.URL.Query()
	if next != nil && *next != "" {
		q.Set("cursor", *next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	if r.URL.Query().Get("cursor") != "" {
		q.Del("cursor")
		p.First = r.URL.Path
		if enc := q.Encode(); enc != "" {
			p.First += "?" + enc
		}
	}
	return p
}

// done ends a successful form: a one-time notice for the page it lands on,
// then a 303 to path, so a reload does not post again.
func (c *Console) done(w http.ResponseWriter, r *http.Request, path, notice string) error {
	return c.redirectWith(w, r, path, notice, false)
}

// The flash cookie holds the notice after a one-byte flag: ok or bad.
const (
	flashOK  = "+"
	flashBad = "!"
)

// redirectWith is done with a notice that tells of a failure when bad (a
// webhook test the endpoint refused): the notice is shown in red.
func (c *Console) redirectWith(w http.ResponseWriter, r *http.Request, path, notice string, bad bool) error {
	if notice != "" {
		flag := flashOK
		if bad {
			flag = flashBad
		}
		c.setCookie(w, r, FlashCookie, base64.RawURLEncoding.EncodeToString([]byte(flag+notice)), time.Now().Add(time.Minute), http.SameSiteLaxMode)
	}
	http.Redirect(w, r, localPath(path), http.StatusSeeOther)
	return nil
}

// flash reads and clears the notice a redirect left, and whether it tells
// of a failure.
func (c *Console) flash(w http.ResponseWriter, r *http.Request) (notice string, bad bool) {
	ck, err := r.Cookie(FlashCookie)
	if err != nil {
		return "", false
	}
	c.clearCookie(w, r, FlashCookie)
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || !utf8.Valid(b) || len(b) < 2 || len(b) > 600 {
		return "", false
	}
	return string(b[1:]), string(b[:1]) == flashBad
}

// page registers a console page (GET) or action (POST) for logged-in
// humans.
func (c *Console) page(pattern string, h handler) { c.mux.Handle(pattern, c.authed(h)) }

// show renders a page with the layout: title, the navigation item it
// belongs to, and its data.
func (c *Console) show(w http.ResponseWriter, r *http.Request, s *session, status int, name, title, nav string, data any) error {
	v := c.view(r, s, title, nav)
	v.Data = data
	c.render(w, r, status, name, v)
	return nil
}

// statusOf is the status to render a form page with: 200, or the refused
// action's status when the page shows its error.
func statusOf(fe *formError) int {
	if fe == nil {
		return http.StatusOK
	}
	return naive.HTTPStatus(fe.Code)
}

// listPathOf is where the mode switch goes back to from path: an item
// (/console/numbers/{id}…) belongs to one mode, so its list instead.
func listPathOf(path string) string {
	rest, ok := strings.CutPrefix(path, Path+"/")
	if !ok {
		return Path + "/"
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) <= 1 {
		return path
	}
	if parts[0] == "approvals" {
		return Path + "/"
	}
	return Path + "/" + parts[0]
}

// qs encodes query values for a link.
func qs(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
