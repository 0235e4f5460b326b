package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
)

// The numbers area: the subject's numbers, one page per number with its
// texts, label, agents and release, and buying a number with its price
// and what is missing shown first. Numbers belong to a subject in the
// service, so every page and form carries the subject (?subject= or a
// hidden field); a link without one finds the number among the subjects.

// numberRoutes registers the numbers pages.
func (c *Console) numberRoutes() {
	c.page("GET "+Path+"/numbers", c.numbersList)
	c.page("GET "+Path+"/numbers/new", c.numbersNew)
	c.page("POST "+Path+"/numbers/new", c.numbersBuy)
	c.page("GET "+Path+"/numbers/{id}", c.numbersShow)
	c.page("POST "+Path+"/numbers/{id}/label", c.numbersLabel)
	c.page("POST "+Path+"/numbers/{id}/assign", c.numbersAssign)
	c.page("POST "+Path+"/numbers/{id}/unassign", c.numbersUnassign)
	c.page("GET "+Path+"/numbers/{id}/release", c.numbersReleaseConfirm)
	c.page("POST "+Path+"/numbers/{id}/release", c.numbersRelease)
}

// ---- names and lookups, once per request

// numbersDir resolves what a page names — subjects, agents, keys, numbers
// and texts — asking the service at most once for each within a request.
type numbersDir struct {
	c *Console
	s *session

	subjects     []naive.Subject
	subjectsErr  error
	subjectsRead bool

	agents     []naive.Agent
	agentNames map[string]string
	agentsRead bool

	keys map[string]naive.APIKey

	phones    map[string]*naive.Phone // nil: looked for, not found
	messages  map[string]*naive.Message
	campaigns map[string]*naive.Campaign
}

func (c *Console) numbersDir(s *session) *numbersDir {
	return &numbersDir{c: c, s: s, phones: map[string]*naive.Phone{}, messages: map[string]*naive.Message{},
		campaigns: map[string]*naive.Campaign{}}
}

// numbersMaxPages bounds how many pages of 200 a lookup list reads.
const numbersMaxPages = 5

// allSubjects lists the mode's subjects (up to 1000).
func (d *numbersDir) allSubjects() ([]naive.Subject, error) {
	if d.subjectsRead {
		return d.subjects, d.subjectsErr
	}
	d.subjectsRead = true
	lp := naive.ListParams{Limit: 200}
	for range numbersMaxPages {
		l, err := d.c.svc.ListSubjects(d.s.ctx, lp)
		if err != nil {
			d.subjectsErr = err
			return nil, err
		}
		d.subjects = append(d.subjects, l.Data...)
		if l.NextCursor == nil || *l.NextCursor == "" {
			break
		}
		lp.Cursor = *l.NextCursor
	}
	return d.subjects, nil
}

// defaultSubject returns the mode's default subject, or nil.
func (d *numbersDir) defaultSubject() *naive.Subject {
	subjects, _ := d.allSubjects()
	for i := range subjects {
		if subjects[i].IsDefault {
			return &subjects[i]
		}
	}
	return nil
}

// subjectName is a subject's legal name, marked when it is the default.
func (d *numbersDir) subjectName(id string) string {
	subjects, _ := d.allSubjects()
	for _, subj := range subjects {
		if subj.ID == id {
			return numbersSubjectName(subj)
		}
	}
	return "subject " + short(id)
}

func numbersSubjectName(subj naive.Subject) string {
	name := subj.LegalName
	if strings.TrimSpace(name) == "" {
		name = "Unnamed subject " + short(subj.ID)
	}
	if subj.IsDefault {
		name += " (default)"
	}
	return name
}

// allAgents lists the mode's agents (up to 1000; none on an error).
func (d *numbersDir) allAgents() []naive.Agent {
	if d.agentsRead {
		return d.agents
	}
	d.agentsRead = true
	d.agentNames = map[string]string{}
	lp := naive.ListParams{Limit: 200}
	for range numbersMaxPages {
		l, err := d.c.svc.ListAgents(d.s.ctx, lp)
		if err != nil {
			break
		}
		d.agents = append(d.agents, l.Data...)
		if l.NextCursor == nil || *l.NextCursor == "" {
			break
		}
		lp.Cursor = *l.NextCursor
	}
	for _, a := range d.agents {
		d.agentNames[a.ID] = a.Name
	}
	return d.agents
}

// agentName is an agent's name, or its short id when it is gone.
func (d *numbersDir) agentName(id string) string {
	d.allAgents()
	if name, ok := d.agentNames[id]; ok && name != "" {
		return name
	}
	return "agent " + short(id)
}

// actor says who did something, in a human's words.
func (d *numbersDir) actor(a naive.Actor) string {
	switch a.Type {
	case string(naive.PrincipalHuman):
		if a.ID == d.s.p.UserID {
			if d.s.email != "" {
				return "you (" + d.s.email + ")"
			}
			return "you"
		}
		return "a human (user " + short(a.ID) + ")"
	case string(naive.PrincipalAgent):
		if d.keys == nil {
			d.keys = map[string]naive.APIKey{}
			lp := naive.ListParams{Limit: 200}
			for range numbersMaxPages {
				l, err := d.c.svc.ListKeys(d.s.ctx, lp)
				if err != nil {
					break
				}
				for _, k := range l.Data {
					d.keys[k.ID] = k
				}
				if l.NextCursor == nil || *l.NextCursor == "" {
					break
				}
				lp.Cursor = *l.NextCursor
			}
		}
		if k, ok := d.keys[a.ID]; ok {
			who := "agent key “" + k.Name + "” (" + k.Prefix + "…)"
			if k.AgentID != "" {
				who = d.agentName(k.AgentID) + " · " + who
			}
			return who
		}
		return "agent key " + short(a.ID)
	case "admin": // `naive admin …` on the server's host
		if a.ID != "" {
			return "the server's administrator (" + a.ID + ")"
		}
		return "the server's administrator"
	case "system":
		if a.ID == "bootstrap" {
			return "naive, at the first start"
		}
		return "naive (" + a.ID + ")"
	}
	return strings.TrimSpace(a.Type + " " + a.ID)
}

// numbersLookAgain reports whether a lookup that failed with err may find
// the item in another subject: it was not there, or the subject's kit
// turns numbers off.
func numbersLookAgain(err error) bool {
	code := naive.ErrorCode(err)
	return code == naive.ENotFound || code == naive.EForbidden
}

// phone finds a number by id: in subjectID when given, else in the
// default subject, then in the others.
func (d *numbersDir) phone(id, subjectID string) (*naive.Phone, error) {
	if ph, ok := d.phones[id]; ok {
		if ph == nil {
			return nil, naive.NotFound("phone", id)
		}
		if subjectID == "" || ph.SubjectID == subjectID {
			return ph, nil
		}
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, naive.NotFound("phone", id)
	}
	get := func(sid string) (*naive.Phone, error) {
		ph, err := d.c.svc.GetPhone(d.s.ctx, sid, id)
		if err == nil {
			d.phones[id] = ph
		}
		return ph, err
	}
	if subjectID != "" {
		return get(subjectID)
	}
	ph, err := inAnySubject(d, get)
	if naive.ErrorCode(err) == naive.ENotFound {
		d.phones[id] = nil
		return nil, naive.NotFound("phone", id)
	}
	return ph, err
}

// inAnySubject looks an item up with get in the default subject, then in
// the others, until one has it (or fails otherwise than not having it).
func inAnySubject[T any](d *numbersDir, get func(subjectID string) (*T, error)) (*T, error) {
	x, err := get("")
	if err == nil || !numbersLookAgain(err) {
		return x, err
	}
	subjects, serr := d.allSubjects()
	if serr != nil {
		return nil, serr
	}
	for _, subj := range subjects {
		if subj.IsDefault {
			continue
		}
		x, err := get(subj.ID)
		if err == nil || !numbersLookAgain(err) {
			return x, err
		}
	}
	return nil, naive.NotFound("item", "")
}

// message finds a text by id in the default subject, then in the others.
func (d *numbersDir) message(id string) (*naive.Message, error) {
	if m, ok := d.messages[id]; ok {
		if m == nil {
			return nil, naive.NotFound("message", id)
		}
		return m, nil
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, naive.NotFound("message", id)
	}
	get := func(sid string) (*naive.Message, error) {
		m, err := d.c.svc.GetMessage(d.s.ctx, sid, id)
		if err == nil {
			d.messages[id] = m
		}
		return m, err
	}
	m, err := inAnySubject(d, get)
	if naive.ErrorCode(err) == naive.ENotFound {
		d.messages[id] = nil
		return nil, naive.NotFound("message", id)
	}
	return m, err
}

// campaign returns a number's campaign (nil when it has none or it could
// not be read), read once per campaign.
func (d *numbersDir) campaign(ph *naive.Phone) *naive.Campaign {
	if ph.CampaignID == "" || ph.Status == naive.PhoneReleased {
		return nil
	}
	if c, ok := d.campaigns[ph.CampaignID]; ok {
		return c
	}
	c, err := d.c.svc.PhoneCampaign(d.s.ctx, ph.SubjectID, ph.ID)
	if err != nil {
		c = nil
	}
	d.campaigns[ph.CampaignID] = c
	return c
}

// ---- what a number can do, in words

// numbersSMS is a number's texting state: a badge and, when sending is not
// possible, why and what happens next.
type numbersSMS struct {
	Badge   string // badge class
	Text    string // a few words
	Explain string // a plain explanation, or ""
}

func numbersCampaignWord(c *naive.Campaign) string {
	if c != nil && c.Kind == naive.CampaignTollFree {
		return "toll-free verification"
	}
	return "10DLC campaign"
}

// numbersState says what a number can do with texts and why.
func numbersState(ph *naive.Phone, camp *naive.Campaign) numbersSMS {
	switch ph.Status {
	case naive.PhoneReleased:
		return numbersSMS{Badge: "expired", Text: "released",
			Explain: "This number was released: it went back to the carrier, and texts to it no longer reach you."}
	case naive.PhoneProvisioning:
		return numbersSMS{Badge: "pending", Text: "being bought",
			Explain: "The purchase is still in progress; reload the page in a moment."}
	}
	if ph.Capabilities.SMSOutbound {
		return numbersSMS{Badge: "executed", Text: "campaign active: sends and receives"}
	}
	kind := numbersCampaignWord(camp)
	if camp == nil {
		return numbersSMS{Badge: "pending", Text: "no campaign yet",
			Explain: "This number receives texts now. Sending texts is not enabled: US carriers require an approved " + kind +
				" for the subject first, and none is registered yet. It is registered with the subject's first number."}
	}
	switch camp.Status {
	case naive.CampaignRejected:
		reason := "it gave no reason"
		if camp.RejectionReason != nil {
			reason = *camp.RejectionReason
		}
		return numbersSMS{Badge: "failed", Text: kind + " rejected",
			Explain: "The carrier rejected the subject's " + kind + " (" + reason + "), so this number receives texts but cannot send them. " +
				"Fix what it names, then resubmit the campaign from the subject's page; resubmitting is free and this number stays yours."}
	case naive.CampaignActive:
		return numbersSMS{Badge: "executed", Text: kind + " active"}
	}
	eta := "1-2 business days"
	if camp.Kind == naive.CampaignTollFree {
		eta = "3-5 business days"
	}
	if camp.ETA != nil && *camp.ETA != "" {
		eta = *camp.ETA
	}
	return numbersSMS{Badge: "pending", Text: kind + " in review (" + eta + ")",
		Explain: "This number receives texts now. Sending texts is not enabled yet: US carriers require the subject's " + kind +
			" to be approved first, and the carrier is reviewing it (usually " + eta + "). Sending turns on by itself once " +
			"it is approved; there is nothing to do meanwhile."}
}

// numbersStatusBadge is the badge class of a number's status.
func numbersStatusBadge(status string) string {
	switch status {
	case naive.PhoneActive:
		return "executed"
	case naive.PhoneProvisioning:
		return "pending"
	case naive.PhoneFailed:
		return "failed"
	}
	return "expired"
}

func numbersTypeText(t string) string {
	if t == naive.PhoneTollFree {
		return "toll-free"
	}
	return "local"
}

// numbersPermsText says what permissions allow.
func numbersPermsText(perms []string) string {
	var out []string
	if slices.Contains(perms, naive.PermReceiveSMS) {
		out = append(out, "reads texts")
	}
	if slices.Contains(perms, naive.PermSendSMS) {
		out = append(out, "sends texts")
	}
	if len(out) == 0 {
		return "no permissions"
	}
	return strings.Join(out, ", ")
}

// ---- the list

type numbersSubjectOption struct {
	ID, Name string
}

type numbersAgentRow struct {
	ID, Name, Perms string
}

type numbersRow struct {
	naive.Phone
	// SubjectName and SubjectKnown fill the subject column of the All
	// subjects view (a deleted subject is not known).
	SubjectName  string
	SubjectKnown bool
	TypeText     string
	StatusBadge  string
	SMS          numbersSMS
	Agents       []numbersAgentRow
}

type numbersListView struct {
	Subjects    []numbersSubjectOption
	SubjectID   string // the subject shown (the default's id when none was chosen; "all")
	SubjectName string
	// All is the All subjects view: every subject's numbers, with a
	// subject column.
	All    bool
	Agent  string
	Agents []naive.Agent
	Rows   []numbersRow
	Pager  pager
	Err    *formError
}

// numbersSubjectOptions is the subject picker's list, the default first.
func (d *numbersDir) numbersSubjectOptions() []numbersSubjectOption {
	subjects, _ := d.allSubjects()
	var out []numbersSubjectOption
	for _, subj := range subjects {
		opt := numbersSubjectOption{ID: subj.ID, Name: numbersSubjectName(subj)}
		if subj.IsDefault {
			out = append([]numbersSubjectOption{opt}, out...)
		} else {
			out = append(out, opt)
		}
	}
	return out
}

// chosenSubject returns the subject id a page acts on: the one asked for,
// else the default subject's.
func (d *numbersDir) chosenSubject(asked string) string {
	if asked != "" {
		return asked
	}
	if def := d.defaultSubject(); def != nil {
		return def.ID
	}
	return ""
}

// numbersList lists a subject's numbers with their agents and texting
// state.
func (c *Console) numbersList(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	d := c.numbersDir(s)
	if _, err := d.allSubjects(); err != nil {
		return err
	}
	lv := numbersListView{Subjects: d.numbersSubjectOptions(), SubjectID: d.chosenSubject(q.Get("subject")),
		Agent: q.Get("agent"), Agents: d.allAgents()}
	lv.SubjectName = d.subjectName(lv.SubjectID)
	var l *naive.List[naive.Phone]
	var err error
	if lv.SubjectID == numbersAll {
		lv.All, lv.SubjectName = true, "all subjects"
		l, err = c.svc.ListAllPhones(s.ctx, lv.Agent, listParams(r))
	} else {
		l, err = c.svc.ListPhones(s.ctx, q.Get("subject"), lv.Agent, listParams(r))
	}
	if naive.ErrorCode(err) == naive.ENotFound {
		return err // a subject that is not this operator's, in this mode
	}
	if lv.Err, err = inPlace(err); err != nil {
		return err
	}
	if lv.Err == nil {
		for _, ph := range l.Data {
			row := numbersRow{Phone: ph, TypeText: numbersTypeText(ph.Type), StatusBadge: numbersStatusBadge(ph.Status),
				SMS: numbersState(&ph, d.campaign(&ph))}
			if lv.All {
				row.SubjectName, row.SubjectKnown = d.rowSubjectName(ph.SubjectID)
			}
			if ph.Status != naive.PhoneReleased {
				if as, err := c.svc.ListAssignments(s.ctx, ph.SubjectID, ph.ID); err == nil {
					for _, a := range as.Data {
						row.Agents = append(row.Agents, numbersAgentRow{ID: a.AgentID, Name: d.agentName(a.AgentID), Perms: numbersPermsText(a.Permissions)})
					}
				}
			}
			lv.Rows = append(lv.Rows, row)
		}
		lv.Pager = pagerFor(r, l.NextCursor)
	}
	return c.show(w, r, s, statusOf(lv.Err), "numbers_list", "Numbers", "numbers", lv)
}

// ---- one number

type numbersMessageRow struct {
	naive.Message
	Inbound bool
	Badge   string
	Agent   string
}

type numbersAssignmentRow struct {
	naive.Assignment
	Name  string
	Perms string
}

type numbersShowView struct {
	Phone       naive.Phone
	TypeText    string
	StatusBadge string
	SubjectName string
	Campaign    *naive.Campaign
	SMS         numbersSMS
	BoughtFor   string // the agent it was bought for, if any
	Messages    []numbersMessageRow
	MessagesErr *formError
	Pager       pager
	Assignments []numbersAssignmentRow
	Agents      []naive.Agent

	// The forms, refilled after a refused action.
	LabelValue  string
	LabelErr    *formError
	AssignAgent string
	AssignPerms []string
	AssignErr   *formError
}

// numberFormState is what the number page's forms show: empty on a GET,
// the refused values and error after a refused POST.
type numberFormState struct {
	label       *string
	labelErr    *formError
	assignAgent string
	assignPerms []string
	assignErr   *formError
}

// numberOf finds the number of a request: {id} in the path, in the
// subject of ?subject= or the form's subject field, else looked for.
func (d *numbersDir) numberOf(r *http.Request) (*naive.Phone, error) {
	sid := r.URL.Query().Get("subject")
	if r.Method == http.MethodPost {
		if v := r.PostFormValue("subject"); v != "" {
			sid = v
		}
	}
	return d.phone(r.PathValue("id"), sid)
}

func numberPath(ph *naive.Phone) string {
	return Path + "/numbers/" + ph.ID + qs("subject", ph.SubjectID)
}

// numbersShow is a number's page: facts, texting state, the conversation,
// and the label, agents and release forms.
func (c *Console) numbersShow(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	return c.showNumber(w, r, s, d, ph, numberFormState{})
}

func (c *Console) showNumber(w http.ResponseWriter, r *http.Request, s *session, d *numbersDir, ph *naive.Phone, fs numberFormState) error {
	camp := d.campaign(ph)
	sv := numbersShowView{Phone: *ph, TypeText: numbersTypeText(ph.Type), StatusBadge: numbersStatusBadge(ph.Status),
		SubjectName: d.subjectName(ph.SubjectID), Campaign: camp, SMS: numbersState(ph, camp), Agents: d.allAgents(),
		LabelValue: ph.Label, LabelErr: fs.labelErr, AssignAgent: fs.assignAgent, AssignPerms: fs.assignPerms, AssignErr: fs.assignErr}
	if fs.label != nil {
		sv.LabelValue = *fs.label
	}
	if fs.assignErr == nil {
		sv.AssignPerms = []string{naive.PermReceiveSMS, naive.PermSendSMS}
	}
	if ph.AgentID != "" {
		sv.BoughtFor = d.agentName(ph.AgentID)
	}
	// On a refused form the conversation shows its first page: the form's
	// URL has no cursor.
	msgs, err := c.svc.ListMessages(s.ctx, ph.SubjectID, ph.ID, listParams(r))
	if sv.MessagesErr, err = inPlace(err); err != nil {
		return err
	}
	if msgs != nil {
		for _, m := range msgs.Data {
			row := numbersMessageRow{Message: m, Inbound: m.Direction == naive.DirectionInbound, Badge: numbersMessageBadge(m.Status)}
			if m.AgentID != "" {
				row.Agent = d.agentName(m.AgentID)
			}
			sv.Messages = append(sv.Messages, row)
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			sv.Pager = pagerFor(r, msgs.NextCursor)
		}
	}
	as, err := c.svc.ListAssignments(s.ctx, ph.SubjectID, ph.ID)
	if err != nil {
		return err
	}
	for _, a := range as.Data {
		sv.Assignments = append(sv.Assignments, numbersAssignmentRow{Assignment: a, Name: d.agentName(a.AgentID), Perms: numbersPermsText(a.Permissions)})
	}
	status := http.StatusOK
	for _, fe := range []*formError{fs.labelErr, fs.assignErr} {
		if fe != nil {
			status = statusOf(fe)
		}
	}
	return c.show(w, r, s, status, "numbers_show", ph.E164, "numbers", sv)
}

func numbersMessageBadge(status string) string {
	switch status {
	case naive.MessageDelivered, naive.MessageReceived, naive.MessageSent:
		return "executed"
	case naive.MessageFailed:
		return "failed"
	case naive.MessageQueued, naive.MessageScheduled:
		return "pending"
	}
	return ""
}

// numbersLabel relabels a number (an empty label removes it).
func (c *Console) numbersLabel(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	label, err := field(r, "label")
	if err == nil {
		var got *naive.Phone
		got, err = c.svc.UpdatePhone(s.ctx, ph.SubjectID, ph.ID, naive.PhonePatch{Label: &label})
		if err == nil {
			notice := "Label saved: “" + got.Label + "”."
			if got.Label == "" {
				notice = "Label removed."
			}
			return c.done(w, r, numberPath(got), notice)
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	typed := r.PostFormValue("label")
	if naive.CheckText("label", typed) != nil {
		typed = ""
	}
	if fe.Code == naive.EConflict {
		fe.Hint = "A released number keeps its last label; it cannot be changed."
	}
	return c.showNumber(w, r, s, d, ph, numberFormState{label: &typed, labelErr: fe})
}

// numbersAssign connects an agent to the number with the ticked
// permissions (assigning again replaces them).
func (c *Console) numbersAssign(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	agent, err := field(r, "agent_id")
	perms := r.PostForm["permissions"]
	switch {
	case err != nil:
	case agent == "":
		err = naive.InvalidParam("agent_id", "Choose the agent to assign.").WithHint("Pick one in the list, then assign again.")
	case len(perms) == 0:
		// The service would take none as both: a human who ticked none
		// did not mean that.
		err = naive.InvalidParam("permissions", "Tick at least one permission.").
			WithHint("“Read its texts” lets the agent read what the number receives; “Send texts” lets it send from the number.")
	default:
		var a *naive.Assignment
		a, err = c.svc.AssignAgent(s.ctx, ph.SubjectID, ph.ID, naive.AssignRequest{AgentID: agent, Permissions: perms})
		if err == nil {
			return c.done(w, r, numberPath(ph), "Assigned "+d.agentName(a.AgentID)+" to "+ph.E164+": it "+numbersPermsText(a.Permissions)+".")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.EInvalidInput && fe.Param == "agent_id" && agent != "" {
		fe.Hint = "Choose an agent of this mode from the list; create one on the Agents page."
	}
	if naive.CheckText("agent_id", agent) != nil {
		agent = ""
	}
	return c.showNumber(w, r, s, d, ph, numberFormState{assignAgent: agent, assignPerms: perms, assignErr: fe})
}

// numbersUnassign disconnects an agent from the number.
func (c *Console) numbersUnassign(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	agent, err := field(r, "agent_id")
	if err != nil {
		return err
	}
	if err := c.svc.UnassignAgent(s.ctx, ph.SubjectID, ph.ID, agent); err != nil {
		return err
	}
	return c.done(w, r, numberPath(ph), "Unassigned "+d.agentName(agent)+" from "+ph.E164+": it can no longer read or send its texts.")
}

// ---- release

type numbersReleaseView struct {
	Phone       naive.Phone
	SubjectName string
	Agents      int
}

// numbersReleaseConfirm asks before releasing: it is permanent.
func (c *Console) numbersReleaseConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	rv := numbersReleaseView{Phone: *ph, SubjectName: d.subjectName(ph.SubjectID)}
	if as, err := c.svc.ListAssignments(s.ctx, ph.SubjectID, ph.ID); err == nil {
		rv.Agents = len(as.Data)
	}
	return c.show(w, r, s, http.StatusOK, "numbers_release", "Release "+ph.E164, "numbers", rv)
}

// numbersRelease releases the number at the carrier, permanently.
func (c *Console) numbersRelease(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	ph, err := d.numberOf(r)
	if err != nil {
		return err
	}
	got, err := c.svc.ReleasePhone(s.ctx, ph.SubjectID, ph.ID)
	if err != nil {
		return err
	}
	return c.done(w, r, numberPath(got), "Released "+got.E164+": it went back to the carrier and cannot be got back.")
}

// ---- buying a number

type numbersCheckRow struct {
	naive.PreflightCheck
	Badge    string
	Word     string // ok, missing, unknown
	Fix      string // in console words
	Link     string
	LinkText string
}

type numbersNewView struct {
	Subjects  []numbersSubjectOption
	SubjectID string
	Agents    []naive.Agent
	Req       naive.ProvisionRequest
	ShowEIN   bool

	Preflight    *naive.Preflight
	PreflightErr *formError
	Checks       []numbersCheckRow
	Price        int64
	Balance      int64
	After        int64
	Short        bool

	Err *formError
	// ErrLink is where the error's fix is, when it is elsewhere.
	ErrLink, ErrLinkText string
	Checked              bool // the human asked to check again

	// Searched is set when the human asked for numbers for sale:
	// Available lists them (each one fills the exact number), SearchErr
	// says why there are none to show.
	Searched  bool
	Available []naive.AvailableNumber
	SearchErr *formError
}

// numbersReq reads a provision request from query or form values.
func numbersReq(get func(string) string) naive.ProvisionRequest {
	return naive.ProvisionRequest{
		EIN: strings.TrimSpace(get("ein")), AreaCode: strings.TrimSpace(get("area_code")), Type: strings.TrimSpace(get("type")),
		Label: strings.TrimSpace(get("label")), AgentID: strings.TrimSpace(get("agent_id")),
		Tier: strings.TrimSpace(get("tier")), E164: strings.TrimSpace(get("e164")),
	}
}

// numbersNew is the form to buy a number, with its price, the balance and
// what is missing, for the values in the query.
func (c *Console) numbersNew(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	req := numbersReq(q.Get)
	for name, v := range map[string]string{"ein": req.EIN, "area_code": req.AreaCode, "type": req.Type, "label": req.Label, "agent_id": req.AgentID,
		"tier": req.Tier, "e164": req.E164} {
		if err := naive.CheckText(name, v); err != nil {
			return naive.InvalidParam(name, "%s", unstorable("The field “"+name+"”"))
		}
	}
	return c.showNew(w, r, s, c.numbersDir(s), q.Get("subject"), req, nil, false)
}

// numbersSearch lists, on the buy page, numbers the carrier offers for the
// typed type and area code.
func (c *Console) numbersSearch(ctx context.Context, subject string, nv *numbersNewView) error {
	nv.Searched = true
	l, err := c.svc.SearchNumbers(ctx, subject, naive.NumberSearch{Type: nv.Req.Type, AreaCode: nv.Req.AreaCode, Limit: naive.DefaultNumberSearch})
	if err == nil {
		nv.Available = l.Data
		return nil
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.EConflict {
		fe.Hint = "Numbers for sale are listed once the subject's first number registered its carrier brand: buy any number of the area code first."
	}
	nv.SearchErr = fe
	return nil
}

func (c *Console) showNew(w http.ResponseWriter, r *http.Request, s *session, d *numbersDir, subject string, req naive.ProvisionRequest, fe *formError, checked bool) error {
	if _, err := d.allSubjects(); err != nil {
		return err
	}
	nv := numbersNewView{Subjects: d.numbersSubjectOptions(), SubjectID: d.chosenSubject(subject), Agents: d.allAgents(), Req: req,
		Err: fe, Checked: checked}
	if nv.Req.Type == "" {
		nv.Req.Type = naive.PhoneLocal
	}
	pf, err := c.svc.Preflight(s.ctx, subject, req)
	if naive.ErrorCode(err) == naive.ENotFound && fe == nil {
		return err // a subject that is not this operator's, in this mode
	}
	if nv.PreflightErr, err = inPlace(err); err != nil {
		return err
	}
	einOK := false
	if pf != nil {
		nv.Preflight, nv.SubjectID, nv.Price = pf, pf.SubjectID, pf.Price
		for _, ch := range pf.Checks {
			nv.Checks = append(nv.Checks, numbersCheck(ch, pf.SubjectID))
			if ch.Check == "ein" && ch.OK {
				einOK = true
			}
		}
	}
	// The EIN is asked only until the subject's brand is registered, and
	// never of a sole proprietor.
	nv.ShowEIN = (!einOK || req.EIN != "") && (pf == nil || pf.Tier != naive.TierSoleProprietor)
	if pf != nil {
		nv.Req.Tier = pf.Tier
	}
	if r.FormValue("op") == "search" {
		if err := c.numbersSearch(s.ctx, nv.SubjectID, &nv); err != nil {
			return err
		}
	}
	if cr, err := c.svc.Credits(s.ctx); err == nil {
		nv.Balance = cr.Balance
	} else if pf != nil {
		nv.Balance = pf.Balance
	}
	nv.After = nv.Balance - nv.Price
	nv.Short = pf != nil && nv.After < 0
	if fe != nil {
		nv.ErrLink, nv.ErrLinkText = numbersErrLink(fe, nv.SubjectID)
	}
	status := statusOf(fe)
	if fe == nil && nv.PreflightErr != nil {
		status = statusOf(nv.PreflightErr)
	}
	return c.show(w, r, s, status, "numbers_new", "Buy a number", "numbers", nv)
}

// numbersProfileFields are the subject profile fields carrier registration
// needs: a refusal naming one is fixed on the subject's page.
var numbersProfileFields = []string{"legal_name", "website", "industry", "privacy_policy_url", "terms_url", "state"}

func numbersIsProfileField(param string) bool {
	return slices.Contains(numbersProfileFields, param) || strings.HasPrefix(param, "address.") || strings.HasPrefix(param, "contact.")
}

// numbersCheck puts a preflight check in console words.
func numbersCheck(ch naive.PreflightCheck, subjectID string) numbersCheckRow {
	row := numbersCheckRow{PreflightCheck: ch, Badge: "executed", Word: "ok"}
	switch {
	case ch.Status == naive.CheckUnknown:
		row.Badge, row.Word = "pending", "unknown"
	case !ch.OK:
		row.Badge, row.Word = "failed", "missing"
	}
	if ch.OK {
		return row
	}
	subjectPage := Path + "/subjects/" + subjectID
	row.Fix = ch.Fix
	switch ch.Check {
	case "formation":
		row.Fix, row.Link, row.LinkText = "Complete the subject's LLC formation on its page, or choose the sole proprietor tier for one person without an EIN.", subjectPage, "Open the subject"
	case "tier", "numbers":
		row.Fix = ch.Fix
	case "profile":
		row.Fix, row.Link, row.LinkText = "Fill in “"+ch.Field+"” in the subject's legal profile.", subjectPage, "Open the subject"
	case "ein":
		if strings.Contains(ch.Detail, "registered with EIN") {
			row.Fix = "Leave the EIN empty (later numbers reuse the subject's brand), or type the registered one."
		} else {
			row.Fix = "Type the company's EIN in the form (for example 12-3456789)."
		}
	case "credits":
		row.Fix, row.Link, row.LinkText = "Grant credits on the Credits page.", Path+"/credits", "Open Credits"
	}
	return row
}

// numbersErrLink is where to fix a refused purchase, when it is elsewhere.
func numbersErrLink(fe *formError, subjectID string) (string, string) {
	switch {
	case fe.Code == naive.EInsufficientCredits:
		return Path + "/credits", "Grant credits on the Credits page"
	case fe.Code == naive.EFormationIncomplete, numbersIsProfileField(fe.Param):
		return Path + "/subjects/" + subjectID, "Open the subject's page"
	}
	return "", ""
}

// numbersBuyHint puts a refused purchase's next step in console words.
func numbersBuyHint(fe *formError) {
	switch {
	case fe.Code == naive.EInsufficientCredits:
		fe.Hint = "Nothing was bought or charged. Grant credits on the Credits page, then buy again."
	case fe.Code == naive.ENoMatchingNumbers:
		fe.Hint = "Nothing was bought or charged. Try a nearby area code, or leave the area code empty for any available number."
	case fe.Code == naive.EFormationIncomplete:
		fe.Hint = "Nothing was bought or charged. Complete the subject's LLC formation on its page, then buy again — or choose the sole proprietor tier for one person without an EIN."
	case fe.Param == "tier":
		fe.Hint = "Nothing was bought or charged. A sole proprietor holds one number, and a subject's brand keeps the tier it was registered with."
	case fe.Param == "e164":
		fe.Hint = "Nothing was bought or charged. Leave the exact number empty to buy any number of the area code, or pick another from `naive phone search`."
	case numbersIsProfileField(fe.Param):
		fe.Hint = "Nothing was bought or charged. Fill in the subject's legal profile on its page (carrier registration needs it), then buy again."
	case fe.Param == "ein":
		if fe.Code == naive.EConflict {
			fe.Hint = "Leave the EIN empty: later numbers reuse the subject's brand."
		} else {
			fe.Hint = "Type the company's EIN (for example 12-3456789): the subject's first number registers its carrier brand."
		}
	case fe.Param == "agent_id":
		fe.Hint = "Choose an agent of this mode from the list, or none."
	}
}

// numbersBuy buys a number (op=buy) or checks the typed values again
// (op=check) without buying.
func (c *Console) numbersBuy(w http.ResponseWriter, r *http.Request, s *session) error {
	d := c.numbersDir(s)
	vals, err := fields(r, "subject", "ein", "area_code", "type", "label", "agent_id", "tier", "e164")
	if err != nil {
		fe, _ := inPlace(err)
		return c.showNew(w, r, s, d, "", naive.ProvisionRequest{}, fe, false)
	}
	subject := vals["subject"]
	req := numbersReq(func(k string) string { return vals[k] })
	if op := r.PostFormValue("op"); op == "check" || op == "search" {
		return c.showNew(w, r, s, d, subject, req, nil, op == "check")
	}
	var res *naive.ProvisionResult
	rec, err := c.runOnce(w, r, s, func(ctx context.Context) (err error) {
		res, err = c.svc.ProvisionPhone(ctx, subject, req)
		return err
	})
	if rec != nil {
		// This very form was submitted before: its outcome, not a second
		// purchase.
		var p naive.Provisioned
		if err = replayed(rec, &p); err == nil && p.Phone.ID != "" {
			return c.done(w, r, numberPath(&p.Phone), "This form was already submitted: "+p.Phone.E164+" was bought then, once. Nothing more was bought or charged.")
		}
		if err == nil {
			err = errors.New("console: the stored purchase names no number")
		}
	}
	if err == nil {
		switch {
		case res.Provisioned != nil:
			ph := res.Provisioned.Phone
			notice := fmt.Sprintf("Bought %s for %s credits (%s left). It receives texts now.", ph.E164,
				credits(res.Provisioned.CreditsUsed), credits(res.Provisioned.CreditsRemaining))
			if res.Provisioned.BrandVerification == naive.BrandVerificationPendingOTP && res.Provisioned.BrandVerificationMethod == naive.BrandVerifyCode {
				notice += " The carrier texted a one-time code to the owner's mobile to verify them: enter it on the subject's page; once the carrier accepts it, the campaign is registered and reviewed."
			} else if res.Provisioned.BrandVerification == naive.BrandVerificationPendingOTP {
				notice += " The carrier texted the owner's mobile to verify them: once they reply YES, the campaign is registered and reviewed."
			} else if !ph.Capabilities.SMSOutbound {
				notice += " Sending texts turns on once the carrier approves the subject's campaign."
			}
			return c.done(w, r, numberPath(&ph), notice)
		case res.Pending != nil:
			return c.done(w, r, Path+"/approvals/"+res.Pending.ApprovalID, "The purchase waits for an approval.")
		}
		err = errors.New("console: provision answered neither a number nor an approval")
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	numbersBuyHint(fe)
	return c.showNew(w, r, s, d, subject, req, fe, false)
}
