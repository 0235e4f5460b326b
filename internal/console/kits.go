package console

import (
	"net/http"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
)

// Account Kits are named policies assigned to subjects: whether the phone
// primitive is enabled, whether an agent's phone.provision needs a human's
// approval, and the defaults filled into a provision request. Their pages:
// the list with the subjects using each kit, create, the kit's page (edit,
// assign to subjects), and delete.

// kitRoutes registers the kits pages.
func (c *Console) kitRoutes() {
	c.page("GET "+Path+"/kits", c.kitsList)
	c.page("GET "+Path+"/kits/new", c.kitsNew)
	c.page("POST "+Path+"/kits/new", c.kitsCreate)
	c.page("GET "+Path+"/kits/{id}", c.kitsShow)
	c.page("POST "+Path+"/kits/{id}", c.kitsUpdate)
	c.page("POST "+Path+"/kits/{id}/assign", c.kitsAssign)
	c.page("GET "+Path+"/kits/{id}/delete", c.kitsDeleteConfirm)
	c.page("POST "+Path+"/kits/{id}/delete", c.kitsDelete)
}

// Form field names: the API's field paths, so an error's param names one.
const (
	kitsFieldName     = "name"
	kitsFieldEnabled  = "primitives_config.phone.enabled"
	kitsFieldApproval = "primitives_config.phone.requiresApproval"
	kitsFieldType     = "primitives_config.phone.defaults.type"
	kitsFieldAreaCode = "primitives_config.phone.defaults.area_code"
	kitsFieldLabel    = "primitives_config.phone.defaults.label"
)

// The three-way approval setting: absent (the built-in rule), true, false.
const (
	kitsApprovalDefault = "default"
	kitsApprovalAlways  = "always"
	kitsApprovalNever   = "never"
)

// kitsForm is the kit form's values.
type kitsForm struct {
	Name     string
	Enabled  bool
	Approval string
	Type     string
	AreaCode string
	Label    string
}

func kitsFormOf(k *naive.AccountKit) kitsForm {
	f := kitsForm{Name: k.Name, Enabled: true, Approval: kitsApprovalDefault}
	cfg := k.PrimitivesConfig["phone"]
	if cfg.Enabled != nil {
		f.Enabled = *cfg.Enabled
	}
	if cfg.RequiresApproval != nil {
		f.Approval = kitsApprovalNever
		if *cfg.RequiresApproval {
			f.Approval = kitsApprovalAlways
		}
	}
	f.Type, f.AreaCode, f.Label = cfg.Defaults["type"], cfg.Defaults["area_code"], cfg.Defaults["label"]
	return f
}

// kitsReadForm reads the kit form.
func kitsReadForm(r *http.Request) (kitsForm, error) {
	m, err := fields(r, kitsFieldName, kitsFieldApproval, kitsFieldType, kitsFieldAreaCode, kitsFieldLabel)
	if err != nil {
		return kitsForm{Enabled: true, Approval: kitsApprovalDefault}, err
	}
	f := kitsForm{Name: m[kitsFieldName], Enabled: r.PostFormValue(kitsFieldEnabled) == "true", Approval: m[kitsFieldApproval],
		Type: m[kitsFieldType], AreaCode: m[kitsFieldAreaCode], Label: m[kitsFieldLabel]}
	switch f.Approval {
	case kitsApprovalDefault, kitsApprovalAlways, kitsApprovalNever:
	case "":
		f.Approval = kitsApprovalDefault
	default:
		return f, naive.InvalidParam(kitsFieldApproval, "Choose when agents need approval: the built-in rule, always or never.")
	}
	return f, nil
}

// request is the kit request the form makes: the whole phone config, as
// the API replaces a primitive's config whole.
func (f kitsForm) request() naive.KitRequest {
	name := f.Name
	enabled := f.Enabled
	cfg := naive.PrimitiveConfig{Enabled: &enabled}
	switch f.Approval {
	case kitsApprovalAlways:
		t := true
		cfg.RequiresApproval = &t
	case kitsApprovalNever:
		no := false
		cfg.RequiresApproval = &no
	}
	for k, v := range map[string]string{"type": f.Type, "area_code": f.AreaCode, "label": f.Label} {
		if v != "" {
			if cfg.Defaults == nil {
				cfg.Defaults = map[string]string{}
			}
			cfg.Defaults[k] = v
		}
	}
	return naive.KitRequest{Name: &name, PrimitivesConfig: map[string]naive.PrimitiveConfig{"phone": cfg}}
}

// kitsPolicy says in words what a kit's phone config does.
func kitsPolicy(k *naive.AccountKit) []string {
	cfg := k.PrimitivesConfig["phone"]
	if cfg.Enabled != nil && !*cfg.Enabled {
		return []string{"Phone disabled: no one can buy or use numbers for its subjects."}
	}
	var out []string
	switch {
	case cfg.RequiresApproval == nil:
		out = append(out, "Approval: the built-in rule (agents need it except on the default subject).")
	case *cfg.RequiresApproval:
		out = append(out, "Approval: agents always need a human's approval to buy a number.")
	default:
		out = append(out, "Approval: never; agents buy numbers without asking.")
	}
	var d []string
	if t := cfg.Defaults["type"]; t != "" {
		d = append(d, "type "+strings.ReplaceAll(t, "_", "-"))
	}
	if ac := cfg.Defaults["area_code"]; ac != "" {
		d = append(d, "area code "+ac)
	}
	if l := cfg.Defaults["label"]; l != "" {
		d = append(d, "label “"+l+"”")
	}
	if len(d) > 0 {
		out = append(out, "Defaults: "+strings.Join(d, ", ")+".")
	}
	return out
}

// kitsNames resolves kits for one request, caching.
type kitsNames struct {
	c    *Console
	s    *session
	kits map[string]*naive.AccountKit
}

func (c *Console) kitsNamer(s *session) *kitsNames {
	return &kitsNames{c: c, s: s, kits: map[string]*naive.AccountKit{}}
}

// kit is the kit of id, or nil when there is none (deleted, or no id).
func (n *kitsNames) kit(id string) *naive.AccountKit {
	if id == "" {
		return nil
	}
	if k, ok := n.kits[id]; ok {
		return k
	}
	k, err := n.c.svc.GetKit(n.s.ctx, id)
	if err != nil {
		k = nil
	}
	n.kits[id] = k
	return k
}

// name is the kit's name, "" when there is none.
func (n *kitsNames) name(id string) string {
	if k := n.kit(id); k != nil {
		return k.Name
	}
	return ""
}

// kitsAll lists every kit of the mode (up to 1000), for selects; more is
// true when some were left out.
func (c *Console) kitsAll(s *session) (all []naive.AccountKit, more bool, err error) {
	lp := naive.ListParams{Limit: 200}
	for {
		l, err := c.svc.ListKits(s.ctx, lp)
		if err != nil {
			return nil, false, err
		}
		all = append(all, l.Data...)
		if l.NextCursor == nil || *l.NextCursor == "" {
			return all, false, nil
		}
		if len(all) >= 1000 {
			return all, true, nil
		}
		lp.Cursor = *l.NextCursor
	}
}

// kitsSubjects groups the mode's subjects by kit id.
func (c *Console) kitsSubjects(s *session) (map[string][]naive.Subject, []naive.Subject, bool, error) {
	all, more, err := c.subjectsAll(s)
	if err != nil {
		return nil, nil, false, err
	}
	by := map[string][]naive.Subject{}
	for _, subj := range all {
		if subj.AccountKitID != "" {
			by[subj.AccountKitID] = append(by[subj.AccountKitID], subj)
		}
	}
	return by, all, more, nil
}

// ---- list

type kitsRow struct {
	naive.AccountKit
	Policy   []string
	Subjects []naive.Subject
}

type kitsListView struct {
	Rows         []kitsRow
	Pager        pager
	SubjectsMore bool
}

func (c *Console) kitsList(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := c.svc.ListKits(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	by, _, more, err := c.kitsSubjects(s)
	if err != nil {
		return err
	}
	lv := kitsListView{Pager: pagerFor(r, l.NextCursor), SubjectsMore: more}
	for _, k := range l.Data {
		lv.Rows = append(lv.Rows, kitsRow{AccountKit: k, Policy: kitsPolicy(&k), Subjects: by[k.ID]})
	}
	return c.show(w, r, s, http.StatusOK, "kits_list", "Account Kits", "kits", lv)
}

// ---- create, show, edit

type kitsFormView struct {
	Kit    *naive.AccountKit // nil when creating
	Form   kitsForm
	Err    *formError
	Errs   map[string]string // the error's message by field
	Action string
	CSRF   string // for the form, which is rendered with this view only
}

func kitsFieldErrs(fe *formError) map[string]string {
	if fe == nil || fe.Param == "" {
		return nil
	}
	p := fe.Param
	if strings.HasPrefix(p, "primitives_config.phone.defaults.") && p != kitsFieldType && p != kitsFieldAreaCode && p != kitsFieldLabel {
		p = kitsFieldType // an unknown default: shown with the defaults
	}
	return map[string]string{p: fe.Message}
}

func (c *Console) kitsNew(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.kitsShowNew(w, r, s, kitsForm{Enabled: true, Approval: kitsApprovalDefault}, nil)
}

func (c *Console) kitsShowNew(w http.ResponseWriter, r *http.Request, s *session, f kitsForm, fe *formError) error {
	return c.show(w, r, s, statusOf(fe), "kits_show", "New Account Kit", "kits",
		kitsShowView{kitsFormView: kitsFormView{Form: f, Err: fe, Errs: kitsFieldErrs(fe), Action: Path + "/kits/new", CSRF: s.csrf}})
}

func (c *Console) kitsCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := kitsReadForm(r)
	if err == nil {
		var k *naive.AccountKit
		if k, err = c.svc.CreateKit(s.ctx, f.request()); err == nil {
			return c.done(w, r, Path+"/kits/"+k.ID, "Kit “"+k.Name+"” created. Assign it to subjects below.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.kitsShowNew(w, r, s, f, fe)
}

type kitsShowView struct {
	kitsFormView
	Policy       []string
	Subjects     []naive.Subject // using the kit
	Others       []naive.Subject // not using it: the assign select
	SubjectsMore bool
	AssignErr    *formError
}

func (c *Console) kitsShow(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.kitsShowPage(w, r, s, http.StatusOK, nil, nil, nil)
}

// kitsShowPage renders the kit's page; f and fe are what a refused edit
// left, assignErr a refused assignment.
func (c *Console) kitsShowPage(w http.ResponseWriter, r *http.Request, s *session, status int, f *kitsForm, fe, assignErr *formError) error {
	k, err := c.svc.GetKit(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	by, all, more, err := c.kitsSubjects(s)
	if err != nil {
		return err
	}
	v := kitsShowView{kitsFormView: kitsFormView{Kit: k, Form: kitsFormOf(k), Err: fe, Errs: kitsFieldErrs(fe), Action: Path + "/kits/" + k.ID, CSRF: s.csrf},
		Policy: kitsPolicy(k), Subjects: by[k.ID], SubjectsMore: more, AssignErr: assignErr}
	if f != nil {
		v.Form = *f
	}
	for _, subj := range all {
		if subj.AccountKitID != k.ID {
			v.Others = append(v.Others, subj)
		}
	}
	return c.show(w, r, s, status, "kits_show", k.Name, "kits", v)
}

func (c *Console) kitsUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f, err := kitsReadForm(r)
	if err == nil {
		var k *naive.AccountKit
		if k, err = c.svc.UpdateKit(s.ctx, id, f.request()); err == nil {
			return c.done(w, r, Path+"/kits/"+k.ID, "Kit “"+k.Name+"” saved; it applies to its subjects at once.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.kitsShowPage(w, r, s, statusOf(fe), &f, fe, nil)
}

// kitsAssign assigns the kit to the chosen subject.
func (c *Console) kitsAssign(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	sid, err := field(r, "subject_id")
	if err == nil && sid == "" {
		err = naive.InvalidParam("subject_id", "Choose a subject to assign the kit to.")
	}
	if err == nil {
		var subj *naive.Subject
		if subj, err = c.svc.AssignKit(s.ctx, id, sid); err == nil {
			return c.done(w, r, Path+"/kits/"+id, "Kit assigned to “"+subjectsName(subj)+"”.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.ENotFound {
		// The kit exists (the page below reads it): the subject is unknown.
		fe.Param, fe.Hint = "subject_id", "Choose a subject from the list; subjects of the other mode are not visible here."
	}
	return c.kitsShowPage(w, r, s, statusOf(fe), nil, nil, fe)
}

// ---- delete

type kitsDeleteView struct {
	Kit      *naive.AccountKit
	Subjects []naive.Subject
	Err      *formError
}

func (c *Console) kitsDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.kitsDeletePage(w, r, s, nil)
}

func (c *Console) kitsDeletePage(w http.ResponseWriter, r *http.Request, s *session, fe *formError) error {
	k, err := c.svc.GetKit(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	by, _, _, err := c.kitsSubjects(s)
	if err != nil {
		return err
	}
	return c.show(w, r, s, statusOf(fe), "kits_delete", "Delete "+k.Name, "kits", kitsDeleteView{Kit: k, Subjects: by[k.ID], Err: fe})
}

func (c *Console) kitsDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	k, err := c.svc.GetKit(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	err = c.svc.DeleteKit(s.ctx, k.ID)
	if err == nil {
		return c.done(w, r, Path+"/kits", "Kit “"+k.Name+"” deleted; its subjects now follow the built-in default.")
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.kitsDeletePage(w, r, s, fe)
}
