package console

import (
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
)

// The agents area: the AI agents of the operator in this mode, their own
// webhook (where they hear the texts of the numbers they are assigned
// to), their numbers and the keys bound to them.

// agentRoutes registers the agents pages.
func (c *Console) agentRoutes() {
	c.page("GET "+Path+"/agents", c.agentsList)
	c.page("GET "+Path+"/agents/new", c.agentsNew)
	c.page("POST "+Path+"/agents", c.agentsCreate)
	c.page("GET "+Path+"/agents/{id}", c.agentsShow)
	c.page("POST "+Path+"/agents/{id}/rename", c.agentsRename)
	c.page("POST "+Path+"/agents/{id}/webhook", c.agentsWebhook)
	c.page("GET "+Path+"/agents/{id}/delete", c.agentsDeleteConfirm)
	c.page("POST "+Path+"/agents/{id}/delete", c.agentsDelete)
}

// agentsPhonesLimit bounds the numbers shown per agent in the list.
const agentsPhonesLimit = 20

// agentsKeys groups the operator's keys by the agent they are bound to.
func (c *Console) agentsKeys(s *session) map[string][]keyRow {
	m := map[string][]keyRow{}
	all, err := c.keysAll(s)
	if err != nil {
		return m
	}
	for _, k := range all {
		if k.AgentID != "" {
			m[k.AgentID] = append(m[k.AgentID], keysRow(s, k, nil))
		}
	}
	return m
}

type agentRow struct {
	naive.Agent
	Phones     []naive.Phone
	MorePhones bool
	Keys       []keyRow
	ActiveKeys int
}

type agentsListView struct {
	Rows  []agentRow
	Pager pager
}

func activeKeys(keys []keyRow) int {
	n := 0
	for _, k := range keys {
		if k.RevokedAt == nil {
			n++
		}
	}
	return n
}

// agentsList lists the agents of the mode with their webhook, their
// numbers on the default subject and their keys.
func (c *Console) agentsList(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := c.svc.ListAgents(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	keys := c.agentsKeys(s)
	v := agentsListView{Pager: pagerFor(r, l.NextCursor)}
	for _, a := range l.Data {
		row := agentRow{Agent: a, Keys: keys[a.ID]}
		row.ActiveKeys = activeKeys(row.Keys)
		if ph, err := c.svc.ListPhones(s.ctx, "", a.ID, naive.ListParams{Limit: agentsPhonesLimit}); err == nil {
			for _, p := range ph.Data {
				if p.Status == naive.PhoneActive {
					row.Phones = append(row.Phones, p)
				}
			}
			row.MorePhones = ph.NextCursor != nil
		}
		v.Rows = append(v.Rows, row)
	}
	return c.show(w, r, s, http.StatusOK, "agents_list", "Agents", "agents", v)
}

type agentsForm struct {
	Name       string
	WebhookURL string
}

type agentsNewView struct {
	Form agentsForm
	Err  *formError
}

func (c *Console) agentsNew(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.show(w, r, s, http.StatusOK, "agents_new", "Create an agent", "agents", agentsNewView{})
}

// agentsCreate registers the agent. With a webhook URL its signing secret
// is made now and shown once, on the agent's page rendered from the POST.
func (c *Console) agentsCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	in, err := fields(r, "name", "webhook_url")
	if err == nil {
		var a *naive.Agent
		a, err = c.svc.CreateAgent(s.ctx, naive.AgentRequest{Name: in["name"], WebhookURL: in["webhook_url"]})
		if err == nil {
			if a.WebhookSecret == "" {
				return c.done(w, r, Path+"/agents/"+a.ID, "Agent “"+a.Name+"” created.")
			}
			return c.agentsRender(w, r, s, http.StatusOK, a, agentsPageState{Secret: a.WebhookSecret,
				Notice: "Agent “" + a.Name + "” created, with its webhook."})
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	v := agentsNewView{Err: fe}
	if in != nil {
		v.Form = agentsForm{Name: in["name"], WebhookURL: in["webhook_url"]}
	}
	return c.show(w, r, s, statusOf(fe), "agents_new", "Create an agent", "agents", v)
}

// agentsPageState is what an agent page shows beyond the agent: a secret
// made by the action just done, a notice, the errors of its forms and
// what was typed in them.
type agentsPageState struct {
	Secret     string
	Notice     string
	RenameErr  *formError
	WebhookErr *formError
	TypedName  string // typed in the rename form
	TypedURL   string // typed in the webhook form
}

type agentPhone struct {
	naive.Phone
	SubjectName string
}

type agentsShowView struct {
	naive.Agent
	agentsPageState
	Phones      []agentPhone
	PhonesMore  bool
	Keys        []keyRow
	ActiveKeys  int
	SubjectsErr string
}

// agentsShow is the agent's page.
func (c *Console) agentsShow(w http.ResponseWriter, r *http.Request, s *session) error {
	a, err := c.svc.GetAgent(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.agentsRender(w, r, s, http.StatusOK, a, agentsPageState{})
}

func (c *Console) agentsRender(w http.ResponseWriter, r *http.Request, s *session, status int, a *naive.Agent, st agentsPageState) error {
	if st.RenameErr == nil {
		st.TypedName = a.Name
	}
	if st.WebhookErr == nil {
		st.TypedURL = a.WebhookURL
	}
	shown := *a
	shown.WebhookSecret = "" // shown once, by the secret partial only
	v := agentsShowView{Agent: shown, agentsPageState: st}
	v.Keys = c.agentsKeys(s)[a.ID]
	v.ActiveKeys = activeKeys(v.Keys)
	// Numbers are per subject: look in each (the first 200 subjects).
	if subjects, err := c.svc.ListSubjects(s.ctx, naive.ListParams{Limit: 200}); err == nil {
		for _, subj := range subjects.Data {
			l, err := c.svc.ListPhones(s.ctx, subj.ID, a.ID, naive.ListParams{Limit: 50})
			if err != nil {
				continue // a kit without phones: nothing to show
			}
			name := subj.LegalName
			if subj.IsDefault {
				name += " (default)"
			}
			for _, p := range l.Data {
				v.Phones = append(v.Phones, agentPhone{Phone: p, SubjectName: name})
			}
			v.PhonesMore = v.PhonesMore || l.NextCursor != nil
		}
	} else {
		v.SubjectsErr = naive.AsError(err).Message
	}
	view := c.view(r, s, "Agent "+a.Name, "agents")
	view.Notice = st.Notice
	view.Data = v
	c.render(w, r, status, "agents_show", view)
	return nil
}

// agentsRename renames the agent.
func (c *Console) agentsRename(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	name, err := field(r, "name")
	if err == nil {
		var a *naive.Agent
		if a, err = c.svc.UpdateAgent(s.ctx, id, naive.AgentPatch{Name: &name}); err == nil {
			return c.done(w, r, Path+"/agents/"+a.ID, "Agent renamed to “"+a.Name+"”.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.ENotFound {
		return naive.NotFound("agent", id)
	}
	a, err := c.svc.GetAgent(s.ctx, id)
	if err != nil {
		return err
	}
	return c.agentsRender(w, r, s, statusOf(fe), a, agentsPageState{RenameErr: fe, TypedName: r.PostFormValue("name")})
}

// agentsWebhook sets, changes or (with remove=yes and the confirmation
// ticked) removes the agent's webhook URL. Setting it for the first time
// makes its signing secret, shown once.
func (c *Console) agentsWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	before, err := c.svc.GetAgent(s.ctx, id)
	if err != nil {
		return err
	}
	remove := r.PostFormValue("remove") == "yes"
	u, err := field(r, "webhook_url")
	switch {
	case err != nil:
	case remove && r.PostFormValue("confirm") != "yes":
		err = naive.InvalidParam("confirm", "Tick the box to confirm removing the webhook; nothing was changed.").
			WithHint("The agent stops receiving its texts at that URL; setting a URL again makes a new signing secret.")
	case remove:
		u = ""
	case u == "":
		err = naive.InvalidParam("webhook_url", "Type the webhook URL (http:// or https://); nothing was changed.").
			WithHint("To stop the agent's webhook, use “Remove the webhook” instead.")
	}
	if err == nil {
		var a *naive.Agent
		if a, err = c.svc.UpdateAgent(s.ctx, id, naive.AgentPatch{WebhookURL: &u}); err == nil {
			switch {
			case a.WebhookSecret != "":
				return c.agentsRender(w, r, s, http.StatusOK, a, agentsPageState{Secret: a.WebhookSecret,
					Notice: "Webhook set: texts to the agent's numbers go to " + a.WebhookURL + "."})
			case u == "":
				return c.done(w, r, Path+"/agents/"+a.ID, "Webhook removed: the agent no longer receives its texts by webhook.")
			case before.WebhookURL == u:
				return c.done(w, r, Path+"/agents/"+a.ID, "The webhook URL was already "+u+"; nothing changed.")
			default:
				return c.done(w, r, Path+"/agents/"+a.ID, "Webhook URL changed to "+u+"; its signing secret stays the same.")
			}
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.ENotFound {
		return naive.NotFound("agent", id)
	}
	typed := r.PostFormValue("webhook_url")
	if remove {
		typed = before.WebhookURL
	}
	return c.agentsRender(w, r, s, statusOf(fe), before, agentsPageState{WebhookErr: fe, TypedURL: typed})
}

type agentsDeleteView struct {
	naive.Agent
	Keys []keyRow // unrevoked keys bound to it
	Err  *formError
}

func (c *Console) agentsShowDelete(w http.ResponseWriter, r *http.Request, s *session, fe *formError) error {
	a, err := c.svc.GetAgent(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := agentsDeleteView{Agent: *a, Err: fe}
	for _, k := range c.agentsKeys(s)[a.ID] {
		if k.RevokedAt == nil {
			v.Keys = append(v.Keys, k)
		}
	}
	return c.show(w, r, s, statusOf(fe), "agents_delete", "Delete agent "+a.Name, "agents", v)
}

// agentsDeleteConfirm asks before deleting.
func (c *Console) agentsDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.agentsShowDelete(w, r, s, nil)
}

// agentsDelete deletes the agent, its number assignments and its
// webhook; refused (in place) while an unrevoked key is bound to it.
func (c *Console) agentsDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	a, err := c.svc.GetAgent(s.ctx, id)
	if err != nil {
		return err
	}
	if err := c.svc.DeleteAgent(s.ctx, id); err != nil {
		fe, err := inPlace(err)
		if err != nil {
			return err
		}
		if fe.Code == naive.ENotFound {
			return naive.NotFound("agent", id)
		}
		return c.agentsShowDelete(w, r, s, fe)
	}
	return c.done(w, r, Path+"/agents", "Agent “"+a.Name+"” deleted, with its number assignments and its webhook.")
}
