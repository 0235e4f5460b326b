package console

import (
	"net/http"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// Subjects are the companies the agents act for. Their pages: the list;
// creating and editing the legal profile carrier registration reads; the
// subject's page with its pipeline formation → brand → campaign → numbers,
// the formation form, the kit it uses; and deleting it.

// subjectRoutes registers the subjects pages.
func (c *Console) subjectRoutes() {
	c.page("GET "+Path+"/subjects", c.subjectsList)
	c.page("GET "+Path+"/subjects/new", c.subjectsNew)
	c.page("POST "+Path+"/subjects/new", c.subjectsCreate)
	c.page("GET "+Path+"/subjects/{id}", c.subjectsShow)
	c.page("GET "+Path+"/subjects/{id}/edit", c.subjectsEdit)
	c.page("POST "+Path+"/subjects/{id}/edit", c.subjectsUpdate)
	c.page("POST "+Path+"/subjects/{id}/formation", c.subjectsFormation)
	c.page("POST "+Path+"/subjects/{id}/kit", c.subjectsAssignKit)
	c.page("POST "+Path+"/subjects/{id}/campaign/resubmit", c.subjectsResubmit)
	c.page("GET "+Path+"/subjects/{id}/campaign-content", c.campaignContentShow)
	c.page("POST "+Path+"/subjects/{id}/campaign-content", c.campaignContentSave)
	c.page("POST "+Path+"/subjects/{id}/brand-verification/resend", c.subjectsResendVerification)
	c.page("POST "+Path+"/subjects/{id}/brand-verification", c.subjectsSubmitVerification)
	c.page("GET "+Path+"/subjects/{id}/delete", c.subjectsDeleteConfirm)
	c.page("POST "+Path+"/subjects/{id}/delete", c.subjectsDelete)
}

// ---- the profile's fields

// subjectsFieldDef is one field of the legal profile form; its form name
// is the API's field path, so an error's param names it.
type subjectsFieldDef struct {
	Group, Name, Label, Type, Hint, Auto string
	Max                                  int
}

var subjectsFieldDefs = []subjectsFieldDef{
	{Group: "Company", Name: "legal_name", Label: "Legal name", Type: "text", Max: 255, Auto: "organization",
		Hint: "Exactly as registered, with its suffix (LLC)."},
	{Group: "Company", Name: "state", Label: "State of formation", Type: "text", Max: 2,
		Hint: "Two-letter US state code, such as DE."},
	{Group: "Company", Name: "website", Label: "Website", Type: "url", Max: 255, Auto: "url", Hint: "https://…"},
	{Group: "Company", Name: "industry", Label: "Industry", Type: "select"},
	{Group: "Company", Name: "privacy_policy_url", Label: "Privacy policy URL", Type: "url", Max: 255,
		Hint: "Carriers check it mentions SMS and that phone numbers are not shared."},
	{Group: "Company", Name: "terms_url", Label: "Terms URL", Type: "url", Max: 255},
	{Group: "Address", Name: "address.line1", Label: "Line 1", Type: "text", Max: 255, Auto: "address-line1"},
	{Group: "Address", Name: "address.line2", Label: "Line 2", Type: "text", Max: 255, Auto: "address-line2"},
	{Group: "Address", Name: "address.city", Label: "City", Type: "text", Max: 255, Auto: "address-level2"},
	{Group: "Address", Name: "address.region", Label: "State", Type: "text", Max: 2, Auto: "address-level1",
		Hint: "Two-letter code, such as CA."},
	{Group: "Address", Name: "address.postal_code", Label: "ZIP code", Type: "text", Max: 10, Auto: "postal-code"},
	{Group: "Address", Name: "address.country", Label: "Country", Type: "text", Max: 2, Hint: "US only."},
	{Group: "Contact", Name: "contact.first_name", Label: "First name", Type: "text", Max: 255, Auto: "given-name"},
	{Group: "Contact", Name: "contact.last_name", Label: "Last name", Type: "text", Max: 255, Auto: "family-name"},
	{Group: "Contact", Name: "contact.email", Label: "Email", Type: "email", Max: 254, Auto: "email"},
	{Group: "Contact", Name: "contact.phone", Label: "Phone", Type: "tel", Max: 16, Auto: "tel",
		Hint: "E.164, such as +14155550100."},
	{Group: "Contact", Name: "contact.title", Label: "Title", Type: "select"},
}

// subjectsRegistration are the fields carrier registration needs (the
// service's missingForRegistration): their labels carry the req marker.
var subjectsRegistration = map[string]bool{
	"legal_name": true, "website": true, "industry": true, "privacy_policy_url": true, "terms_url": true,
	"address.line1": true, "address.city": true, "address.region": true, "address.postal_code": true,
	"contact.first_name": true, "contact.last_name": true, "contact.email": true, "contact.phone": true, "contact.title": true,
}

// subjectsGroupNotes explain a group of fields.
var subjectsGroupNotes = map[string]string{
	"Company": "",
	"Address": "The company's registered business address.",
	"Contact": "The person the carriers contact about the registration.",
}

// subjectsPtr is the profile's field of a form name.
func subjectsPtr(p *naive.SubjectProfile, name string) *string {
	switch name {
	case "legal_name":
		return &p.LegalName
	case "state":
		return &p.State
	case "website":
		return &p.Website
	case "industry":
		return &p.Industry
	case "privacy_policy_url":
		return &p.PrivacyPolicyURL
	case "terms_url":
		return &p.TermsURL
	case "address.line1":
		return &p.Address.Line1
	case "address.line2":
		return &p.Address.Line2
	case "address.city":
		return &p.Address.City
	case "address.region":
		return &p.Address.Region
	case "address.postal_code":
		return &p.Address.PostalCode
	case "address.country":
		return &p.Address.Country
	case "contact.first_name":
		return &p.Contact.FirstName
	case "contact.last_name":
		return &p.Contact.LastName
	case "contact.email":
		return &p.Contact.Email
	case "contact.phone":
		return &p.Contact.Phone
	case "contact.title":
		return &p.Contact.Title
	}
	return nil
}

// subjectsLabel names a profile field path (as preflight reports it) in a
// human's words.
func subjectsLabel(name string) string {
	for _, d := range subjectsFieldDefs {
		if d.Name == name {
			l := d.Label
			if len(l) > 1 && l[1] >= 'a' && l[1] <= 'z' {
				l = strings.ToLower(l[:1]) + l[1:] // not an acronym (ZIP)
			}
			switch d.Group {
			case "Address", "Contact":
				return d.Group + ": " + l
			}
			return d.Label
		}
	}
	return name
}

type subjectsOption struct{ Value, Label string }

// subjectsField is one field as the form shows it.
type subjectsField struct {
	subjectsFieldDef
	ID       string
	Value    string
	Options  []subjectsOption
	Req      bool   // carrier registration needs it
	Needed   bool   // preflight reports it missing
	Error    string // the refused action's message, when this field is at fault
	ReadOnly bool
	ReadNote string
}

type subjectsGroup struct {
	Title  string
	Note   string
	Fields []subjectsField
}

func subjectsOptions(values []string, current string) []subjectsOption {
	opts := []subjectsOption{{Value: "", Label: "—"}}
	found := current == ""
	for _, v := range values {
		opts = append(opts, subjectsOption{Value: v, Label: strings.ReplaceAll(v, "_", " ")})
		found = found || v == current
	}
	if !found {
		// A value the carrier list no longer has: kept, so saving the
		// form does not change it unseen.
		opts = append(opts, subjectsOption{Value: current, Label: current})
	}
	return opts
}

// subjectsGroups lays out the profile form with its values, markers and
// the error in place.
func subjectsGroups(p naive.SubjectProfile, needed []string, fe *formError, filed bool) []subjectsGroup {
	var groups []subjectsGroup
	for _, d := range subjectsFieldDefs {
		if len(groups) == 0 || groups[len(groups)-1].Title != d.Group {
			groups = append(groups, subjectsGroup{Title: d.Group, Note: subjectsGroupNotes[d.Group]})
		}
		f := subjectsField{subjectsFieldDef: d, ID: "f-" + d.Name, Value: *subjectsPtr(&p, d.Name), Req: subjectsRegistration[d.Name]}
		for _, n := range needed {
			f.Needed = f.Needed || n == d.Name
		}
		if fe != nil && fe.Param == d.Name {
			f.Error = fe.Message
		}
		switch d.Name {
		case "industry":
			f.Options = subjectsOptions(service.Industries, f.Value)
		case "contact.title":
			f.Options = subjectsOptions(service.ContactTitles, f.Value)
		case "legal_name", "state":
			if filed {
				f.ReadOnly, f.ReadNote = true, "Fixed: the formation was filed with it. A different legal entity is a new subject."
			}
		}
		groups[len(groups)-1].Fields = append(groups[len(groups)-1].Fields, f)
	}
	return groups
}

// subjectsReadProfile reads the profile form.
func subjectsReadProfile(r *http.Request) (naive.SubjectProfile, error) {
	var p naive.SubjectProfile
	for _, d := range subjectsFieldDefs {
		v, err := field(r, d.Name)
		if err != nil {
			return p, err
		}
		*subjectsPtr(&p, d.Name) = v
	}
	return p, nil
}

// subjectsPatch is what changed from old to p: only those fields are sent.
// The address and the contact are sent whole when any part changed, as the
// API replaces them whole.
func subjectsPatch(old, p naive.SubjectProfile) (naive.SubjectPatch, bool) {
	var patch naive.SubjectPatch
	changed := false
	str := func(o, n string) *string {
		if o == n {
			return nil
		}
		changed = true
		return &n
	}
	patch.LegalName = str(old.LegalName, p.LegalName)
	patch.State = str(old.State, p.State)
	patch.Website = str(old.Website, p.Website)
	patch.Industry = str(old.Industry, p.Industry)
	patch.PrivacyPolicyURL = str(old.PrivacyPolicyURL, p.PrivacyPolicyURL)
	patch.TermsURL = str(old.TermsURL, p.TermsURL)
	if p.Address != old.Address {
		a := p.Address
		patch.Address, changed = &a, true
	}
	if p.Contact != old.Contact {
		ct := p.Contact
		patch.Contact, changed = &ct, true
	}
	return patch, changed
}

// subjectsFiled reports whether the formation was filed: the legal name
// and state are then fixed.
func subjectsFiled(f naive.Formation) bool {
	return f.Status != naive.FormationNotStarted && f.Status != naive.FormationFailed && f.Status != ""
}

// subjectsName is a subject's name as lists show it.
func subjectsName(subj *naive.Subject) string {
	if subj.LegalName == "" {
		return "Subject " + short(subj.ID)
	}
	return subj.LegalName
}

// subjectsAll lists every subject of the mode (up to 2000), for selects
// and for the kits' subjects; more is true when some were left out.
func (c *Console) subjectsAll(s *session) (all []naive.Subject, more bool, err error) {
	lp := naive.ListParams{Limit: 200}
	for {
		l, err := c.svc.ListSubjects(s.ctx, lp)
		if err != nil {
			return nil, false, err
		}
		all = append(all, l.Data...)
		if l.NextCursor == nil || *l.NextCursor == "" {
			return all, false, nil
		}
		if len(all) >= 2000 {
			return all, true, nil
		}
		lp.Cursor = *l.NextCursor
	}
}

// subjectsNeeded asks preflight which profile fields carrier registration
// still needs; note says why it could not tell (a kit disabling phones).
func (c *Console) subjectsNeeded(s *session, id string) (needed []string, note string) {
	pf, err := c.svc.Preflight(s.ctx, id, naive.ProvisionRequest{})
	if err != nil {
		e := naive.AsError(err)
		if e.Status() >= 500 {
			c.log.Error("console: preflight", "subject_id", id, "err", err)
		}
		return nil, "Could not check what carrier registration needs: " + e.Message
	}
	return pf.FieldsNeeded, ""
}

type subjectsNeed struct{ Name, Label string }

func subjectsNeeds(names []string) []subjectsNeed {
	out := make([]subjectsNeed, 0, len(names))
	for _, n := range names {
		out = append(out, subjectsNeed{Name: n, Label: subjectsLabel(n)})
	}
	return out
}

// ---- list

type subjectsRow struct {
	naive.Subject
	Name    string
	KitName string
	Badge   subjectsBadge
}

type subjectsListView struct {
	Rows  []subjectsRow
	Pager pager
}

func (c *Console) subjectsList(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := c.svc.ListSubjects(s.ctx, listParams(r))
	if err != nil {
		return err
	}
	kits := c.kitsNamer(s)
	lv := subjectsListView{Pager: pagerFor(r, l.NextCursor)}
	for _, subj := range l.Data {
		lv.Rows = append(lv.Rows, subjectsRow{Subject: subj, Name: subjectsName(&subj), KitName: kits.name(subj.AccountKitID),
			Badge: subjectsFormationBadge(subj.Formation.Status)})
	}
	return c.show(w, r, s, http.StatusOK, "subjects_list", "Subjects", "subjects", lv)
}

// ---- create and edit

type subjectsFormView struct {
	Subject *naive.Subject // nil when creating
	Groups  []subjectsGroup
	Err     *formError
	Needed  []subjectsNeed
	Note    string
	Action  string
}

func (c *Console) subjectsNew(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.subjectsShowForm(w, r, s, nil, naive.SubjectProfile{Address: naive.Address{Country: "US"}}, nil)
}

func (c *Console) subjectsShowForm(w http.ResponseWriter, r *http.Request, s *session, subj *naive.Subject, p naive.SubjectProfile, fe *formError) error {
	fv := subjectsFormView{Subject: subj, Err: fe, Action: Path + "/subjects/new"}
	title := "New subject"
	var needed []string
	filed := false
	if subj != nil {
		fv.Action = Path + "/subjects/" + subj.ID + "/edit"
		title = "Edit " + subjectsName(subj)
		needed, fv.Note = c.subjectsNeeded(s, subj.ID)
		fv.Needed = subjectsNeeds(needed)
		filed = subjectsFiled(subj.Formation)
	}
	fv.Groups = subjectsGroups(p, needed, fe, filed)
	return c.show(w, r, s, statusOf(fe), "subjects_form", title, "subjects", fv)
}

func (c *Console) subjectsCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := subjectsReadProfile(r)
	if err == nil {
		var subj *naive.Subject
		subj, err = c.svc.CreateSubject(s.ctx, p)
		if err == nil {
			return c.done(w, r, Path+"/subjects/"+subj.ID, "Subject “"+subj.LegalName+"” created. Next: its formation, below.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.subjectsShowForm(w, r, s, nil, p, fe)
}

func (c *Console) subjectsEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	subj, err := c.svc.GetSubject(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.subjectsShowForm(w, r, s, subj, subj.SubjectProfile, nil)
}

func (c *Console) subjectsUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	subj, err := c.svc.GetSubject(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := subjectsReadProfile(r)
	if err == nil {
		patch, changed := subjectsPatch(subj.SubjectProfile, p)
		if !changed {
			return c.done(w, r, Path+"/subjects/"+subj.ID, "Nothing changed.")
		}
		if _, err = c.svc.UpdateSubject(s.ctx, subj.ID, patch); err == nil {
			return c.done(w, r, Path+"/subjects/"+subj.ID, "Profile saved.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.EConflict {
		fe.Hint = "The legal name and state stay as filed; create a new subject for a different legal entity."
	}
	return c.subjectsShowForm(w, r, s, subj, p, fe)
}

// ---- the subject's page

type subjectsBadge struct{ Text, Class string }

func subjectsFormationBadge(status string) subjectsBadge {
	switch status {
	case naive.FormationSubmitted:
		return subjectsBadge{"submitted", "pending"}
	case naive.FormationCompleted:
		return subjectsBadge{"completed", "executed"}
	case naive.FormationFailed:
		return subjectsBadge{"failed", "failed"}
	}
	return subjectsBadge{"not started", ""}
}

func subjectsCampaignBadge(status string) subjectsBadge {
	switch status {
	case naive.CampaignActive:
		return subjectsBadge{"active", "executed"}
	case naive.CampaignRejected:
		return subjectsBadge{"rejected", "failed"}
	case naive.CampaignInReview:
		return subjectsBadge{"in review", "pending"}
	case naive.CampaignCreated:
		return subjectsBadge{"created", "pending"}
	}
	return subjectsBadge{status, ""}
}

type subjectsCampaign struct {
	naive.Campaign
	Badge    subjectsBadge
	KindName string
	Rejected bool
}

// subjectsStep is one step of the pipeline: its badge and what it means
// and what to do, in words.
type subjectsStep struct {
	Badge subjectsBadge
	Text  string
}

type subjectsShowView struct {
	Subject *naive.Subject
	Name    string
	Live    bool

	KitName   string
	KitPolicy []string
	Kits      []naive.AccountKit
	KitsMore  bool
	KitErr    *formError

	Needed        []subjectsNeed
	PreflightNote string

	// The pipeline; PipelineNote says why it could not be read.
	PipelineNote string
	Formation    subjectsStep
	Brand        subjectsStep
	BrandEIN     string
	// AwaitingOTP is set for a sole proprietor whose owner has not yet
	// replied to the carrier's verification text (the page offers a
	// resend); ResendErr is a refused resend.
	AwaitingOTP bool
	ResendErr   *formError
	Campaign    subjectsStep
	Campaigns   []subjectsCampaign
	Numbers     subjectsStep
	Phones      []naive.Phone
	Checks      []naive.PreflightCheck
	NextStep    string

	// VerifyByCode is set, with AwaitingOTP, when the carrier's text
	// carries a one-time code to submit (the page offers a form for it);
	// CodeErr is a refused code.
	VerifyByCode bool
	CodeErr      *formError

	// The formation form: shown while it can be started.
	CanForm                                bool
	FormErr                                *formError
	FormState, FormLegalName, FormFormedAt string
	FormAttest                             bool

	// ResubmitErr and ResubmitDescription are a refused resubmission's.
	ResubmitErr         *formError
	ResubmitDescription string
}

func (c *Console) subjectsShow(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.subjectsShowPage(w, r, s, http.StatusOK, func(*subjectsShowView) {})
}

// subjectsShowPage renders the subject's page; edit sets what a refused
// form left (its error and values).
func (c *Console) subjectsShowPage(w http.ResponseWriter, r *http.Request, s *session, status int, edit func(*subjectsShowView)) error {
	subj, err := c.svc.GetSubject(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := subjectsShowView{Subject: subj, Name: subjectsName(subj), Live: s.Mode() == naive.ModeLive}
	if k := c.kitsNamer(s).kit(subj.AccountKitID); k != nil {
		v.KitName, v.KitPolicy = k.Name, kitsPolicy(k)
	}
	if v.Kits, v.KitsMore, err = c.kitsAll(s); err != nil {
		return err
	}
	needed, note := c.subjectsNeeded(s, subj.ID)
	v.Needed, v.PreflightNote = subjectsNeeds(needed), note

	f := subj.Formation
	v.CanForm = f.Status == naive.FormationNotStarted || f.Status == naive.FormationFailed || f.Status == ""
	v.FormState, v.FormLegalName = subj.State, subj.LegalName
	v.Formation = subjectsFormationStep(f, v.Live)

	ps, err := c.svc.PhoneStatus(s.ctx, subj.ID)
	if err != nil {
		e := naive.AsError(err)
		if e.Status() >= 500 {
			return err
		}
		v.PipelineNote = e.Message
		if e.Code == naive.EForbidden {
			v.PipelineNote += " Assign another kit below, or enable the phone primitive on the kit's page."
		}
	} else {
		c.subjectsPipeline(&v, ps)
	}
	edit(&v)
	return c.show(w, r, s, status, "subjects_show", v.Name, "subjects", v)
}

func subjectsFormationStep(f naive.Formation, live bool) subjectsStep {
	st := subjectsStep{Badge: subjectsFormationBadge(f.Status)}
	switch f.Status {
	case naive.FormationCompleted:
		st.Text = "The LLC is formed"
		if f.LegalName != "" {
			st.Text += " as “" + f.LegalName + "”"
		}
		if f.State != "" {
			st.Text += " in " + f.State
		}
		if f.FormedAt != nil {
			st.Text += ", on " + f.FormedAt.UTC().Format("2006-01-02")
		}
		st.Text += "."
	case naive.FormationSubmitted:
		st.Text = "The filing is submitted. In test mode it completes within seconds: reload this page."
	case naive.FormationFailed:
		st.Text = "The filing failed. Check the legal name and state in the profile, then start it again below."
	default:
		if live {
			st.Text = "Live mode has no filing partner: record the company's existing LLC below, as a human who attests it exists."
		} else {
			st.Text = "Start the formation below: in test mode the filing is simulated and completes within seconds."
		}
	}
	return st
}

func (c *Console) subjectsPipeline(v *subjectsShowView, ps *naive.PhoneStatus) {
	formed := ps.Formation.Status == naive.FormationCompleted
	// Brand.
	switch {
	case ps.Brand == nil:
		v.Brand.Badge = subjectsBadge{"not registered", ""}
		if formed {
			v.Brand.Text = "The carrier brand is registered with the first number; buying it asks for the company's EIN."
		} else {
			v.Brand.Text = "Waits for the formation."
		}
	case ps.Brand.Status == naive.BrandRegistered && ps.Brand.Verification == naive.BrandVerificationPendingOTP:
		v.Brand.Badge = subjectsBadge{"awaiting the owner", "pending"}
		v.Brand.Text = "A sole proprietor, registered with the carrier: the carrier texted the owner's mobile (contact.phone). Once they reply YES, the campaign is registered and reviewed; the number receives texts meanwhile."
		v.AwaitingOTP = true
		if ps.Brand.VerificationMethod == naive.BrandVerifyCode {
			v.VerifyByCode = true
			v.Brand.Text = "A sole proprietor, registered with the carrier: the carrier texted a one-time code to the owner's mobile (contact.phone). Enter it below; once the carrier accepts it, the campaign is registered and reviewed. The number receives texts meanwhile."
		}
	case ps.Brand.Status == naive.BrandRegistered && ps.Brand.Tier == naive.TierSoleProprietor:
		v.Brand.Badge = subjectsBadge{"registered", "executed"}
		v.Brand.Text = "A sole proprietor, registered with the carrier and verified by the owner. Sole-proprietor campaigns send at lower throughput, and the brand holds one number."
	case ps.Brand.Status == naive.BrandRegistered:
		v.Brand.Badge = subjectsBadge{"registered", "executed"}
		v.Brand.Text = "Registered with the carrier."
		v.BrandEIN = ps.Brand.EIN
	default:
		v.Brand.Badge = subjectsBadge{ps.Brand.Status, "pending"}
		v.Brand.Text = "The carrier is registering the brand; it finishes with the number being bought."
		v.BrandEIN = ps.Brand.EIN
	}
	// Campaigns.
	rejected, active, pending := 0, 0, 0
	for _, camp := range ps.Campaigns {
		sc := subjectsCampaign{Campaign: camp, Badge: subjectsCampaignBadge(camp.Status), KindName: "10DLC campaign (local numbers)"}
		if camp.Kind == naive.CampaignTollFree {
			sc.KindName = "Toll-free verification"
		}
		switch camp.Status {
		case naive.CampaignRejected:
			rejected++
			sc.Rejected = true
		case naive.CampaignActive:
			active++
		default:
			pending++
		}
		v.Campaigns = append(v.Campaigns, sc)
	}
	switch {
	case len(ps.Campaigns) == 0:
		v.Campaign.Badge = subjectsBadge{"none yet", ""}
		v.Campaign.Text = "A campaign is created with the first number; the carriers then review it."
	case rejected > 0:
		v.Campaign.Badge = subjectsBadge{"rejected", "failed"}
		v.Campaign.Text = "The carriers rejected a campaign: its numbers receive SMS but cannot send."
	case pending > 0:
		v.Campaign.Badge = subjectsBadge{"in review", "pending"}
		v.Campaign.Text = "The carriers are reviewing it. Numbers receive SMS now; sending unlocks when it is active."
	default:
		v.Campaign.Badge = subjectsBadge{"active", "executed"}
		v.Campaign.Text = "Approved: the numbers can send SMS."
	}
	// Numbers.
	v.Phones = ps.Numbers
	out := 0
	for _, ph := range ps.Numbers {
		if ph.Capabilities.SMSOutbound {
			out++
		}
	}
	switch {
	case len(ps.Numbers) == 0:
		v.Numbers.Badge = subjectsBadge{"none", ""}
		v.Numbers.Text = "No active numbers."
		if !formed {
			v.Numbers.Text += " A number needs a completed formation."
		}
	default:
		v.Numbers.Badge = subjectsBadge{plural(len(ps.Numbers), "active number", "active numbers"), "executed"}
		switch {
		case out == len(ps.Numbers):
			v.Numbers.Text = "They receive and send SMS."
		case out == 0:
			v.Numbers.Text = "They receive SMS; sending unlocks when the campaign is active."
		default:
			v.Numbers.Text = plural(out, "number", "numbers") + " can send SMS; the others once their campaign is active."
		}
	}
	for _, ck := range ps.Checks {
		if ck.Status != naive.CheckOK && !ck.OK {
			v.Checks = append(v.Checks, ck)
		}
	}
	// The next step, in console words.
	switch {
	case !formed:
		v.NextStep = "Complete the formation (step 1)."
	case len(v.Checks) > 0:
		v.NextStep = "The carrier reports a problem with the registration: see below."
	case len(v.Needed) > 0:
		v.NextStep = "Fill in what carrier registration needs in the profile, then buy a number."
	case rejected > 0:
		v.NextStep = "Fix what the carrier's reason names (step 3), then resubmit the campaign."
	case len(ps.Numbers) == 0:
		v.NextStep = "Buy a number: the first one registers the brand and the campaign."
	case active > 0:
		v.NextStep = "Ready: the numbers receive and send SMS."
	default:
		v.NextStep = "Wait for the carriers' review; the numbers already receive SMS."
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return credits(int64(n)) + " " + many
}

// subjectsFormation starts the formation: in test mode a simulated filing,
// in live mode the record of an existing LLC a human attests.
func (c *Console) subjectsFormation(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f, err := fields(r, "state", "legal_name", "formed_at")
	live := s.Mode() == naive.ModeLive
	attest := r.PostFormValue("attest") == "yes"
	if err == nil {
		req := naive.FormationRequest{EntityType: "LLC", State: f["state"]}
		if live {
			req.LegalName, req.FormedAt, req.Attest = f["legal_name"], f["formed_at"], attest
		}
		switch {
		case req.State == "":
			err = naive.InvalidParam("state", "The state of formation is required.").WithHint("Type the two-letter code of the state the LLC is formed in, such as DE.")
		case live && !attest:
			err = naive.InvalidParam("attest", "Tick “I attest this LLC exists” to record it.").
				WithHint("naive cannot file a new LLC in live mode; it records one that exists, on your word.")
		default:
			if _, err = c.svc.StartFormation(s.ctx, id, req); err == nil {
				notice := "Formation filed. In test mode it completes within seconds: reload to see it."
				if live {
					notice = "The existing LLC is recorded: the formation is completed."
				}
				return c.done(w, r, Path+"/subjects/"+id, notice)
			}
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.subjectsShowPage(w, r, s, statusOf(fe), func(v *subjectsShowView) {
		v.FormErr = fe
		if f != nil {
			v.FormState, v.FormLegalName, v.FormFormedAt = f["state"], f["legal_name"], f["formed_at"]
		}
		v.FormAttest = attest
	})
}

// subjectsAssignKit assigns the chosen kit to the subject.
func (c *Console) subjectsAssignKit(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	kitID, err := field(r, "kit_id")
	if err == nil && kitID == "" {
		err = naive.InvalidParam("kit_id", "Choose a kit to assign.")
	}
	var subj *naive.Subject
	if err == nil {
		if subj, err = c.svc.AssignKit(s.ctx, kitID, id); err == nil {
			return c.done(w, r, Path+"/subjects/"+id, "Kit “"+c.kitsNamer(s).name(subj.AccountKitID)+"” assigned.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.ENotFound {
		// The subject exists (the page below reads it): the kit is unknown.
		fe.Param, fe.Hint = "kit_id", "Choose a kit from the list; kits of the other mode are not visible here."
	}
	return c.subjectsShowPage(w, r, s, statusOf(fe), func(v *subjectsShowView) { v.KitErr = fe })
}

// ---- delete

type subjectsDeleteView struct {
	Subject *naive.Subject
	Name    string
	Err     *formError
}

func (c *Console) subjectsDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.subjectsDeletePage(w, r, s, nil)
}

func (c *Console) subjectsDeletePage(w http.ResponseWriter, r *http.Request, s *session, fe *formError) error {
	subj, err := c.svc.GetSubject(s.ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.show(w, r, s, statusOf(fe), "subjects_delete", "Delete "+subjectsName(subj), "subjects",
		subjectsDeleteView{Subject: subj, Name: subjectsName(subj), Err: fe})
}

func (c *Console) subjectsDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	subj, err := c.svc.GetSubject(s.ctx, id)
	if err != nil {
		return err
	}
	err = c.svc.DeleteSubject(s.ctx, id)
	if err == nil {
		return c.done(w, r, Path+"/subjects", "Subject “"+subjectsName(subj)+"” deleted. Its history stays in the events.")
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	if fe.Code == naive.EConflict {
		if subj.IsDefault {
			fe.Hint = "Calls that name no subject act on the default one; delete other subjects instead."
		} else {
			fe.Hint = "Release its numbers first on the Numbers page (Numbers of this subject), then delete it."
		}
	}
	return c.subjectsDeletePage(w, r, s, fe)
}
