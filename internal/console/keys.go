package console

import (
	"net/http"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
)

// The keys area: API keys are agent credentials, made by humans. A key
// belongs to one mode (its prefix says which) and may be bound to an agent
// of that mode; the list shows the operator's keys of both modes.

// keyRoutes registers the keys pages.
func (c *Console) keyRoutes() {
	c.page("GET "+Path+"/keys", c.keysList)
	c.page("GET "+Path+"/keys/new", c.keysNew)
	c.page("POST "+Path+"/keys", c.keysCreate)
	c.page("GET "+Path+"/keys/{id}/revoke", c.keysRevokeConfirm)
	c.page("POST "+Path+"/keys/{id}/revoke", c.keysRevoke)
}

// keysInMode is a context acting as the session's human in mode.
func keysInMode(s *session, mode naive.Mode) *session {
	if mode == s.p.Mode {
		return s
	}
	p := s.p
	p.Mode, p.DefaultSubject = mode, nil
	o := *s
	o.p, o.ctx = p, naive.WithPrincipal(s.ctx, p)
	return &o
}

// keysAgent is an agent as a key shows it: in which mode, and whether the
// console (in its current mode) can link to it.
type keysAgent struct {
	naive.Agent
	Here bool // of the console's current mode
}

// keysAgents returns the agents of both modes by id (the first 200 of
// each: enough to name the agents keys are bound to), and the lists of
// each mode, current mode first.
func (c *Console) keysAgents(s *session) (map[string]keysAgent, [][]naive.Agent) {
	byID := map[string]keysAgent{}
	var lists [][]naive.Agent
	for _, m := range []naive.Mode{s.p.Mode, other(s.p.Mode)} {
		l, err := c.svc.ListAgents(keysInMode(s, m).ctx, naive.ListParams{Limit: 200})
		if err != nil {
			lists = append(lists, nil)
			continue
		}
		for _, a := range l.Data {
			byID[a.ID] = keysAgent{Agent: a, Here: m == s.p.Mode}
		}
		lists = append(lists, l.Data)
	}
	return byID, lists
}

// keysAll returns the operator's keys, every page (up to 2,000 keys).
func (c *Console) keysAll(s *session) ([]naive.APIKey, error) {
	var all []naive.APIKey
	lp := naive.ListParams{Limit: 200}
	for range 10 {
		l, err := c.svc.ListKeys(s.ctx, lp)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Data...)
		if l.NextCursor == nil || *l.NextCursor == "" {
			break
		}
		lp.Cursor = *l.NextCursor
	}
	return all, nil
}

// keysFind returns one key (there is no service call to get one: it is
// found in the list). An unknown id is not_found.
func (c *Console) keysFind(s *session, id string) (*naive.APIKey, error) {
	all, err := c.keysAll(s)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, naive.NotFound("key", id)
}

// keyRow is a key with the names a human reads.
type keyRow struct {
	naive.APIKey
	Agent     *keysAgent // the bound agent, when found
	CreatedBy string
}

func keysRow(s *session, k naive.APIKey, agents map[string]keysAgent) keyRow {
	r := keyRow{APIKey: k}
	if a, ok := agents[k.AgentID]; ok && k.AgentID != "" {
		r.Agent = &a
	}
	switch {
	case k.CreatedBy == "":
		r.CreatedBy = "—"
	case k.CreatedBy == s.p.UserID:
		r.CreatedBy = "you"
	default:
		r.CreatedBy = "user " + short(k.CreatedBy)
	}
	return r
}

type keysListView struct {
	Rows  []keyRow
	Pager pager
}

// keysList lists the operator's keys of both modes, newest first.
func (c *Console) keysList(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := c.svc.ListKeys(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	agents, _ := c.keysAgents(s)
	v := keysListView{Pager: pagerFor(r, l.NextCursor)}
	for _, k := range l.Data {
		v.Rows = append(v.Rows, keysRow(s, k, agents))
	}
	return c.show(w, r, s, http.StatusOK, "keys_list", "API keys", "keys", v)
}

// keysForm is what the create form holds.
type keysForm struct {
	Name    string
	Mode    naive.Mode
	AgentID string
}

type keysNewView struct {
	Form keysForm
	Err  *formError
	// Agents lists each mode's agents for the bound-agent select.
	Agents []keysModeAgents
}

type keysModeAgents struct {
	Mode   naive.Mode
	Agents []naive.Agent
}

func (c *Console) keysShowNew(w http.ResponseWriter, r *http.Request, s *session, f keysForm, fe *formError) error {
	_, lists := c.keysAgents(s)
	v := keysNewView{Form: f, Err: fe}
	for i, m := range []naive.Mode{s.p.Mode, other(s.p.Mode)} {
		if len(lists[i]) > 0 {
			v.Agents = append(v.Agents, keysModeAgents{Mode: m, Agents: lists[i]})
		}
	}
	return c.show(w, r, s, statusOf(fe), "keys_new", "Create an API key", "keys", v)
}

// keysNew is the create form; ?agent_id= preselects the bound agent.
func (c *Console) keysNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := keysForm{Mode: s.p.Mode, AgentID: r.URL.Query().Get("agent_id")}
	if m := naive.Mode(r.URL.Query().Get("mode")); m.Valid() {
		f.Mode = m
	}
	return c.keysShowNew(w, r, s, f, nil)
}

type keysCreatedView struct {
	Key    keyRow
	Secret string
	APIURL string
}

// keysCreate makes the key and shows its secret, once, from the POST.
func (c *Console) keysCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	in, err := fields(r, "name", "mode", "agent_id")
	if err != nil {
		fe, err := inPlace(err)
		if err != nil {
			return err
		}
		f := keysForm{Mode: naive.Mode(r.PostFormValue("mode")), AgentID: r.PostFormValue("agent_id")}
		if !f.Mode.Valid() {
			f.Mode = s.p.Mode
		}
		return c.keysShowNew(w, r, s, f, fe)
	}
	f := keysForm{Name: in["name"], Mode: naive.Mode(in["mode"]), AgentID: in["agent_id"]}
	if f.Mode == "" {
		f.Mode = s.p.Mode // the console's mode, as the API's default
	}
	k, err := c.svc.CreateKey(s.ctx, naive.KeyRequest{Name: f.Name, Mode: f.Mode, AgentID: f.AgentID})
	if err != nil {
		fe, err := inPlace(err)
		if err != nil {
			return err
		}
		if !f.Mode.Valid() {
			f.Mode = s.p.Mode
		}
		return c.keysShowNew(w, r, s, f, fe)
	}
	agents, _ := c.keysAgents(s)
	v := keysCreatedView{Key: keysRow(s, *k, agents), Secret: k.Secret, APIURL: keysAPIURL(r)}
	v.Key.Secret = "" // shown once, by the secret partial only
	return c.show(w, r, s, http.StatusOK, "keys_created", "API key created", "keys", v)
}

// keysAPIURL is the server's URL as the browser reached it, for the
// NAIVE_API_URL the CLI and MCP server read.
func keysAPIURL(r *http.Request) string {
	scheme := "http"
	if secure(r) {
		scheme = "https"
	}
	host := r.Host
	if host == "" || strings.ContainsAny(host, " \"'<>\\") {
		host = "127.0.0.1:8080"
	}
	return scheme + "://" + host
}

type keysRevokeView struct {
	Key keyRow
	Err *formError
}

// keysRevokeConfirm asks before revoking.
func (c *Console) keysRevokeConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.keysShowRevoke(w, r, s, nil)
}

func (c *Console) keysShowRevoke(w http.ResponseWriter, r *http.Request, s *session, fe *formError) error {
	k, err := c.keysFind(s, r.PathValue("id"))
	if err != nil {
		return err
	}
	agents, _ := c.keysAgents(s)
	return c.show(w, r, s, statusOf(fe), "keys_revoke", "Revoke key", "keys", keysRevokeView{Key: keysRow(s, *k, agents), Err: fe})
}

// keysRevoke revokes the key: its next request is refused.
func (c *Console) keysRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	k, err := c.svc.RevokeKey(s.ctx, r.PathValue("id"))
	if err != nil {
		if naive.ErrorCode(err) == naive.ENotFound {
			// An unknown key is the 404 page; an already revoked one is
			// said in place.
			if _, ferr := c.keysFind(s, r.PathValue("id")); ferr == nil {
				fe, _ := inPlace((&naive.Error{Code: naive.EConflict, Message: "This key is already revoked."}).
					WithHint("Nothing more to do: it is refused on every request."))
				return c.keysShowRevoke(w, r, s, fe)
			}
		}
		return err
	}
	name := k.Name
	if name == "" {
		name = k.Prefix + "…"
	}
	return c.done(w, r, Path+"/keys", "Key “"+name+"” is revoked: its next request is refused.")
}
