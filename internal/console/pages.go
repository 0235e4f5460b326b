package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// view is what every page's template gets.
type view struct {
	Title     string
	Nav       string // the active navigation item
	LoggedIn  bool
	Email     string
	Mode      naive.Mode
	OtherMode naive.Mode
	CSRF      string
	Here      string // this page's path and query, for the mode switch to come back to
	Pending   int    // pending approvals in this mode
	// OtherPending counts pending approvals in the other mode, so none
	// is missed for looking at the wrong mode.
	OtherPending int
	Notice       string
	// NoticeBad shows the notice as a failure (red), not a success.
	NoticeBad bool
	RequestID string
	Data      any
}

func (c *Console) view(r *http.Request, s *session, title, nav string) *view {
	v := &view{Title: title, Nav: nav, Here: r.URL.RequestURI(), Mode: modeOf(r)}
	if s != nil {
		v.LoggedIn, v.Email, v.Mode, v.CSRF = true, s.email, s.p.Mode, s.csrf
		v.Pending = c.countPending(s, s.p.Mode)
		v.OtherPending = c.countPending(s, other(s.p.Mode))
	}
	v.OtherMode = other(v.Mode)
	return v
}

func other(m naive.Mode) naive.Mode {
	if m == naive.ModeTest {
		return naive.ModeLive
	}
	return naive.ModeTest
}

// countPending counts the pending approvals of mode (up to 200).
func (c *Console) countPending(s *session, mode naive.Mode) int {
	p := s.p
	p.Mode = mode
	l, err := c.svc.ListApprovals(naive.WithPrincipal(s.ctx, p), naive.ApprovalListParams{Status: naive.ApprovalPending,
		ListParams: naive.ListParams{Limit: 200}})
	if err != nil {
		return 0
	}
	return len(l.Data)
}

type errorView struct {
	Status     int
	StatusText string
	Code       string
	Message    string
	Param      string
	Hint       string
}

// ---- login, logout, mode

type loginView struct {
	Email, Next, Error, Hint string
	LoggedOut                bool
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	next := localPath(r.URL.Query().Get("next"))
	if s, err := c.session(r); err == nil && s != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, loginView{Next: next, LoggedOut: r.URL.Query().Has("logged_out")})
}

// showLogin renders the login form with a fresh double-submit token.
func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, lv loginView) {
	tok := randomToken()
	c.setCookie(w, r, LoginCSRFCookie, tok, time.Time{}, http.SameSiteStrictMode)
	v := c.view(r, nil, "Log in", "login")
	v.CSRF, v.Data = tok, lv
	c.render(w, r, status, "login", v)
}

func (c *Console) loginSubmit(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(LoginCSRFCookie)
	if err != nil || !sameToken(r.PostFormValue(CSRFField), ck.Value) {
		c.fail(w, r, nil, errCSRF())
		return
	}
	lv := loginView{Email: strings.TrimSpace(r.PostFormValue("email")), Next: localPath(r.PostFormValue("next"))}
	password := r.PostFormValue("password")
	for _, f := range []struct{ label, value string }{{"email", lv.Email}, {"password", password}} {
		if naive.CheckText(f.label, f.value) != nil {
			if f.label == "email" {
				lv.Email = "" // not shown back
			}
			lv.Error, lv.Hint = unstorable("The "+f.label), "Type it again and log in."
			c.showLogin(w, r, http.StatusBadRequest, lv)
			return
		}
	}
	res, err := c.svc.Login(naive.WithClient(r.Context(), naive.ClientOf(r, c.trustForwarded)), naive.LoginRequest{Email: lv.Email, Password: password})
	if err != nil {
		e := naive.AsError(err)
		if e.Status() >= 500 {
			c.fail(w, r, nil, err)
			return
		}
		lv.Error, lv.Hint = e.Message, e.Hint
		c.showLogin(w, r, e.Status(), lv)
		return
	}
	c.clearCookie(w, r, LoginCSRFCookie)
	c.setCookie(w, r, SessionCookie, res.Token, res.ExpiresAt, http.SameSiteLaxMode)
	http.Redirect(w, r, lv.Next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.svc.Logout(s.ctx); err != nil {
		return err
	}
	c.clearCookie(w, r, SessionCookie)
	http.Redirect(w, r, Path+"/login?logged_out=1", http.StatusSeeOther)
	return nil
}

func (c *Console) switchMode(w http.ResponseWriter, r *http.Request, s *session) error {
	m := naive.Mode(r.PostFormValue("mode"))
	if !m.Valid() {
		return naive.InvalidParam("mode", "mode must be \"test\" or \"live\".")
	}
	c.setCookie(w, r, ModeCookie, string(m), time.Now().Add(365*24*time.Hour), http.SameSiteLaxMode)
	next := localPath(r.PostFormValue("next"))
	// An item (an approval, a number…) belongs to one mode: go back to
	// its list instead.
	next = listPathOf(next)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// ---- approvals

// row is an approval with the names a human reads.
type row struct {
	naive.Approval
	SubjectName string
	Requester   string
}

// names resolves subject and requester names for one request, caching.
type names struct {
	c        *Console
	s        *session
	subjects map[string]string
	agents   map[string]string
	keys     map[string]naive.APIKey
}

func (c *Console) names(s *session) *names {
	return &names{c: c, s: s, subjects: map[string]string{}, agents: map[string]string{}}
}

func (n *names) subject(id string) string {
	if name, ok := n.subjects[id]; ok {
		return name
	}
	name := id
	if subj, err := n.c.svc.GetSubject(n.s.ctx, id); err == nil && subj.LegalName != "" {
		name = subj.LegalName
		if subj.IsDefault {
			name += " (default)"
		}
	}
	n.subjects[id] = name
	return name
}

func (n *names) requester(a *naive.Approval) string {
	by := a.RequestedBy
	if by.Type != string(naive.PrincipalAgent) {
		return by.Type + " " + by.ID
	}
	if n.keys == nil {
		n.keys = map[string]naive.APIKey{}
		if l, err := n.c.svc.ListKeys(n.s.ctx, naive.ListParams{Limit: 200}); err == nil {
			for _, k := range l.Data {
				n.keys[k.ID] = k
			}
		}
	}
	label := "agent"
	if a.RequesterAgentID != "" {
		name, ok := n.agents[a.RequesterAgentID]
		if !ok {
			if ag, err := n.c.svc.GetAgent(n.s.ctx, a.RequesterAgentID); err == nil {
				name = ag.Name
			}
			n.agents[a.RequesterAgentID] = name
		}
		if name != "" {
			label = "agent " + name
		}
	}
	if k, ok := n.keys[by.ID]; ok {
		return label + " · key “" + k.Name + "” (" + k.Prefix + "…)"
	}
	return label + " · key " + by.ID
}

func (n *names) row(a naive.Approval) row {
	return row{Approval: a, SubjectName: n.subject(a.SubjectID), Requester: n.requester(&a)}
}

var statuses = []string{"", naive.ApprovalPending, naive.ApprovalExecuted, naive.ApprovalFailed, naive.ApprovalDenied, naive.ApprovalExpired}

type inboxView struct {
	Status   string
	Statuses []string
	Pending  []row // the status-less view: pending first
	Rows     []row
	Next     string
}

// inbox lists approvals: with no status filter the pending ones first,
// then the most recent decided ones.
func (c *Console) inbox(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	status := q.Get("status")
	if !slices.Contains(statuses, status) {
		return naive.InvalidParam("status", "status must be one of pending, executed, failed, denied, expired.")
	}
	n := c.names(s)
	iv := inboxView{Status: status, Statuses: statuses}
	if status == "" {
		pending, err := c.svc.ListApprovals(s.ctx, naive.ApprovalListParams{Status: naive.ApprovalPending, ListParams: naive.ListParams{Limit: 100}})
		if err != nil {
			return err
		}
		for _, a := range pending.Data {
			iv.Pending = append(iv.Pending, n.row(a))
		}
		recent, err := c.svc.ListApprovals(s.ctx, naive.ApprovalListParams{ListParams: naive.ListParams{Limit: 50}})
		if err != nil {
			return err
		}
		for _, a := range recent.Data {
			if a.Status != naive.ApprovalPending {
				iv.Rows = append(iv.Rows, n.row(a))
			}
		}
	} else {
		l, err := c.svc.ListApprovals(s.ctx, naive.ApprovalListParams{Status: status, ListParams: naive.ListParams{Limit: 50, Cursor: q.Get("cursor")}})
		if err != nil {
			return err
		}
		for _, a := range l.Data {
			iv.Rows = append(iv.Rows, n.row(a))
		}
		if l.NextCursor != nil {
			iv.Next = *l.NextCursor
		}
	}
	v := c.view(r, s, "Approvals", "approvals")
	v.Data = iv
	c.render(w, r, http.StatusOK, "inbox", v)
	return nil
}

type detailView struct {
	row
	Payload      string
	Balance      int64
	BalanceAfter int64
	Short        bool
	Provisioned  *naive.Provisioned
	ResultJSON   string
	Decider      string
	DenyError    string
	// DenyReason refills the form after a refused deny.
	DenyReason string
	// ApproveError is a refused approve, shown above the decision (the
	// approval stays pending).
	ApproveError *formError
	// RequesterGone says the key that asked was revoked (AgentDeleted: its
	// agent deleted) since it asked.
	RequesterGone, AgentDeleted bool
}

// pretty indents JSON for reading, with <, > and & as themselves rather
// than \u escapes: html/template escapes the page, not the JSON.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return string(raw)
	}
	return strings.TrimSpace(buf.String())
}

// detail shows one approval: the frozen request, its cost against the
// balance, the decision forms while pending, and the outcome after.
func (c *Console) detail(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showDetail(w, r, s, http.StatusOK, "", "", nil)
}

func (c *Console) showDetail(w http.ResponseWriter, r *http.Request, s *session, status int, denyErr, reason string, approveErr *formError) error {
	a, err := c.svc.GetApproval(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	dv := detailView{row: c.names(s).row(*a), Payload: pretty(a.Payload), ResultJSON: pretty(a.Result), DenyError: denyErr, DenyReason: reason,
		ApproveError: approveErr, RequesterGone: a.Requester.Gone(), AgentDeleted: a.Requester != nil && a.Requester.AgentDeleted}
	if by := a.ResolvedBy; by != nil {
		dv.Decider = by.Type + " " + by.ID
		if by.Type == string(naive.PrincipalHuman) && by.ID == s.p.UserID {
			dv.Decider = "you (" + s.email + ")"
		}
	}
	if cr, err := c.svc.Credits(s.ctx); err == nil {
		dv.Balance = cr.Balance
		dv.BalanceAfter = cr.Balance - a.Cost
		dv.Short = dv.BalanceAfter < 0
	}
	if a.Status == naive.ApprovalExecuted && a.Action == "phone.provision" {
		var p naive.Provisioned
		if json.Unmarshal(a.Result, &p) == nil && p.Phone.E164 != "" {
			dv.Provisioned = &p
		}
	}
	v := c.view(r, s, a.Title, "approvals")
	switch r.URL.Query().Get("done") {
	case "approve":
		v.Notice = "You approved this request; it ran once, as the agent that asked."
		if a.Status == naive.ApprovalFailed {
			v.Notice, v.NoticeBad = "You approved this request; it ran once, as the agent that asked, and failed: see why below.", true
		}
	case "deny":
		v.Notice = "You denied this request; nothing was bought or charged."
	}
	v.Data = dv
	c.render(w, r, status, "detail", v)
	return nil
}

// approve executes the approval (exactly once: the service claims it) and
// shows its outcome, after a redirect so a reload does not post again.
func (c *Console) approve(w http.ResponseWriter, r *http.Request, s *session) error {
	confirm := r.PostFormValue("confirm_revoked_requester") == "yes"
	a, err := c.svc.ApproveApproval(s.ctx, r.PathValue("id"), naive.ApproveRequest{ConfirmRevokedRequester: confirm})
	if e := naive.AsError(err); err != nil && e.Code == naive.EConflict && e.Fields["requester_key_revoked"] != nil {
		// The agent that asked lost its key (or was deleted) since: say
		// so and ask for the confirmation the service wants.
		fe := &formError{Code: e.Code, Message: e.Message,
			Hint: "Tick “Approve anyway” to run it as that agent all the same, or deny it."}
		return c.showDetail(w, r, s, http.StatusConflict, "", "", fe)
	}
	if naive.ErrorCode(err) == naive.EInsufficientCredits {
		// Refused before anything was spent: the approval is still
		// pending. Say so, and what to do, in the console's words.
		e := naive.AsError(err)
		fe := &formError{Code: e.Code, Message: e.Message,
			Hint: "Grant credits on the Credits page (/console/credits), then approve again: the request waits for you."}
		return c.showDetail(w, r, s, http.StatusPaymentRequired, "", "", fe)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, Path+"/approvals/"+a.ID+"?done=approve", http.StatusSeeOther)
	return nil
}

// deny refuses the approval; a reason is required and shown to the agent.
func (c *Console) deny(w http.ResponseWriter, r *http.Request, s *session) error {
	reason := r.PostFormValue("reason")
	if naive.CheckText("reason", reason) != nil {
		return c.showDetail(w, r, s, http.StatusBadRequest, unstorable("The reason")+" Remove it and deny again.", "", nil)
	}
	a, err := c.svc.DenyApproval(s.ctx, r.PathValue("id"), naive.DenyRequest{Reason: reason})
	var e *naive.Error
	if errors.As(err, &e) && e.Code == naive.EInvalidInput && e.Param == "reason" {
		return c.showDetail(w, r, s, http.StatusBadRequest, "A reason is required (at most 1000 characters); the agent is shown it.", reason, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, Path+"/approvals/"+a.ID+"?done=deny", http.StatusSeeOther)
	return nil
}

// unstorable says a form field holds what naive.CheckText refuses, in a
// human's words.
func unstorable(field string) string {
	return field + " holds a character that cannot be stored: a NUL, or bytes that are not UTF-8."
}

// ---- overview

type phoneRow struct {
	naive.Phone
	SubjectName string
}

type eventRow struct {
	naive.Event
	Summary string
}

type overviewView struct {
	Balance int64
	// Phones are the newest active numbers (overviewPhones of Total).
	Phones      []phoneRow
	Total       int
	Outbound    int
	Events      []eventRow
	PhonesError string
}

// overviewPhones is how many of the newest numbers the overview lists;
// the numbers page lists them all, page by page.
const overviewPhones = 10

// overview shows the balance, the numbers (and which can send SMS) and
// the latest events of the mode.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) error {
	var ov overviewView
	cr, err := c.svc.Credits(s.ctx)
	if err != nil {
		return err
	}
	ov.Balance = cr.Balance
	subjects, err := c.svc.ListSubjects(s.ctx, naive.ListParams{Limit: 200})
	if err != nil {
		return err
	}
	for _, subj := range subjects.Data {
		l, err := c.svc.ListPhones(s.ctx, subj.ID, "", naive.ListParams{Limit: 200})
		if err != nil {
			continue // a kit that disables phones: nothing to show
		}
		for _, ph := range l.Data {
			if ph.Status != naive.PhoneActive {
				continue
			}
			ov.Phones = append(ov.Phones, phoneRow{Phone: ph, SubjectName: subj.LegalName})
			if ph.Capabilities.SMSOutbound {
				ov.Outbound++
			}
		}
	}
	slices.SortFunc(ov.Phones, func(a, b phoneRow) int { return b.CreatedAt.Compare(a.CreatedAt) })
	ov.Total = len(ov.Phones)
	ov.Phones = ov.Phones[:min(len(ov.Phones), overviewPhones)]
	evs, err := c.svc.ListEvents(s.ctx, "", naive.ListParams{Limit: 15})
	if err != nil {
		return err
	}
	for _, e := range evs.Data {
		ov.Events = append(ov.Events, eventRow{Event: e, Summary: summarize(e)})
	}
	v := c.view(r, s, "Overview", "overview")
	v.Data = ov
	c.render(w, r, http.StatusOK, "overview", v)
	return nil
}

// summarize says in a few words what an event is about.
func summarize(e naive.Event) string {
	var m map[string]any
	if json.Unmarshal(e.Data, &m) != nil {
		return ""
	}
	str := func(v any) string { s, _ := v.(string); return s }
	var parts []string
	if t := str(m["title"]); t != "" {
		parts = append(parts, t)
	}
	if e164 := str(m["e164"]); e164 != "" {
		parts = append(parts, e164)
	}
	if ph, ok := m["phone"].(map[string]any); ok && str(ph["e164"]) != "" {
		parts = append(parts, str(ph["e164"]))
	}
	for _, k := range []string{"from", "to"} {
		if v := str(m[k]); v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	if st := str(m["status"]); st != "" {
		parts = append(parts, st)
	}
	return strings.Join(parts, " · ")
}

// ---- static files

// stylesheet is console.css followed by every other static/*.css (one per
// area of the console, in name order), served as the one console.css.
var stylesheet = func() []byte {
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		panic(err)
	}
	css, err := staticFS.ReadFile("static/console.css")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".css") && n != "console.css" {
			b, err := staticFS.ReadFile("static/" + n)
			if err != nil {
				panic(err)
			}
			css = append(append(append(css, "\n/* "+n+" */\n"...), b...), '\n')
		}
	}
	return css
}()

func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var b []byte
	switch {
	case name == "console.css":
		b = stylesheet
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case name == "console.js":
		b, _ = staticFS.ReadFile("static/console.js")
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	if b == nil {
		c.fail(w, r, nil, naive.Errorf(naive.ENotFound, "No static file %q.", name))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
