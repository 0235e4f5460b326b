package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
)

// The subject's Campaign content page: what its 10DLC campaign submits to
// the carrier (defaults from the profile where nothing was set), a form to
// change it while it may change (before the first number, after a
// rejection), and the compliance rules preflight runs on it, each with its
// fix. A refused save shows the error next to its field, the typed values
// kept.

// contentSamples is how many sample boxes the form has (the carrier's
// most).
const contentSamples = 5

type contentField struct {
	Name, Label, Value, Error, Hint string
	Default                         bool
	Long                            bool
	Max                             int
}

type contentUseCase struct {
	Name, Label string
	Checked     bool
}

type contentView struct {
	Subject    *naive.Subject
	Name       string
	Content    *naive.CampaignContent
	Err        *formError
	Fields     []contentField
	Samples    []contentField
	SamplesErr string
	UseCases   []contentUseCase
	UseCaseErr string
	Volume     string
	Checks     []naive.CampaignCheck
	ChecksNote string
}

func (c *Console) campaignContentShow(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.campaignContentPage(w, r, s, nil, nil)
}

// campaignContentPage renders the page; typed, when set, is what a refused
// form held, shown instead of the stored content.
func (c *Console) campaignContentPage(w http.ResponseWriter, r *http.Request, s *session, typed *naive.CampaignContent, fe *formError) error {
	id := r.PathValue("id")
	subj, err := c.svc.GetSubject(s.ctx, id)
	if err != nil {
		return err
	}
	cur, err := c.svc.GetCampaignContent(s.ctx, subj.ID)
	if err != nil {
		return err
	}
	v := contentView{Subject: subj, Name: subjectsName(subj), Content: cur, Err: fe}
	shown := cur
	if typed != nil {
		shown = typed
	}
	errFor := func(name string) string {
		if fe != nil && fe.Param == name {
			return fe.Message
		}
		return ""
	}
	def := func(name string) bool { return !slices.Contains(cur.Customized, name) }
	for _, f := range []contentField{
		{Name: "description", Label: "Description", Value: shown.Description, Long: true, Max: 4096,
			Hint: "What the company does and how it uses SMS, 40–4096 characters."},
		{Name: "consent_flow", Label: "Consent flow", Value: shown.ConsentFlow, Long: true, Max: 4096,
			Hint: "How and where people opt in: the sign-up page's URL, or the keyword they text. 40–4096 characters."},
		{Name: "help_message", Label: "Help message", Value: shown.HelpMessage, Max: 320,
			Hint: "The answer to HELP, naming the company. Kept and checked; Surge answers HELP itself."},
		{Name: "opt_out_message", Label: "Opt-out message", Value: shown.OptOutMessage, Max: 320,
			Hint: "The confirmation of STOP. Kept and checked; Surge answers STOP itself."},
		{Name: "privacy_policy_url", Label: "Privacy policy URL", Value: shown.PrivacyPolicyURL, Max: 255,
			Hint: "Default: the profile's. It must mention SMS and say mobile information is not shared for marketing."},
		{Name: "terms_url", Label: "Terms URL", Value: shown.TermsURL, Max: 255, Hint: "Default: the profile's."},
	} {
		f.Default, f.Error = def(f.Name), errFor(f.Name)
		v.Fields = append(v.Fields, f)
	}
	for i := range contentSamples {
		f := contentField{Name: fmt.Sprintf("message_samples[%d]", i), Label: fmt.Sprintf("Sample %d", i+1), Max: 1024, Long: true}
		if i < len(shown.MessageSamples) {
			f.Value = shown.MessageSamples[i]
		}
		f.Error = errFor(f.Name)
		v.Samples = append(v.Samples, f)
	}
	v.SamplesErr = errFor("message_samples")
	for _, u := range naive.CampaignUseCases {
		v.UseCases = append(v.UseCases, contentUseCase{Name: u, Label: strings.ReplaceAll(u, "_", " "), Checked: slices.Contains(shown.UseCases, u)})
	}
	if fe != nil && strings.HasPrefix(fe.Param, "use_cases") {
		v.UseCaseErr = fe.Message
	}
	v.Volume = shown.Volume
	if pf, err := c.svc.Preflight(s.ctx, subj.ID, naive.ProvisionRequest{}); err != nil {
		v.ChecksNote = "Could not run the compliance rules: " + naive.AsError(err).Message
	} else if len(pf.CampaignChecks) == 0 {
		v.ChecksNote = "A provision submits no campaign content now: the 10DLC campaign is registered."
	} else {
		v.Checks = pf.CampaignChecks
		for i := range v.Checks {
			v.Checks[i].Fix = inConsoleWords(v.Checks[i].Fix)
		}
	}
	return c.show(w, r, s, statusOf(fe), "subjects_content", "Campaign content · "+v.Name, "subjects", v)
}

// campaignContentSave sends what changed on the form: a field left as it
// was is not sent (a default stays a default); an emptied one goes back
// to its default.
func (c *Console) campaignContentSave(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	cur, err := c.svc.GetCampaignContent(s.ctx, id)
	if err != nil {
		return err
	}
	typed := *cur
	var patch naive.CampaignContentPatch
	changed := false
	err = func() error {
		f, err := fields(r, "description", "consent_flow", "help_message", "opt_out_message", "privacy_policy_url", "terms_url", "volume")
		if err != nil {
			return err
		}
		str := func(dst **string, shown *string, old, name string) {
			v := f[name]
			*shown = v
			if v != old {
				*dst, changed = &v, true
			}
		}
		str(&patch.Description, &typed.Description, cur.Description, "description")
		str(&patch.ConsentFlow, &typed.ConsentFlow, cur.ConsentFlow, "consent_flow")
		str(&patch.HelpMessage, &typed.HelpMessage, cur.HelpMessage, "help_message")
		str(&patch.OptOutMessage, &typed.OptOutMessage, cur.OptOutMessage, "opt_out_message")
		str(&patch.PrivacyPolicyURL, &typed.PrivacyPolicyURL, cur.PrivacyPolicyURL, "privacy_policy_url")
		str(&patch.TermsURL, &typed.TermsURL, cur.TermsURL, "terms_url")
		str(&patch.Volume, &typed.Volume, cur.Volume, "volume")
		samples := []string{}
		for i := range contentSamples {
			v, err := field(r, fmt.Sprintf("message_samples[%d]", i))
			if err != nil {
				return err
			}
			if v != "" {
				samples = append(samples, v)
			}
		}
		typed.MessageSamples = samples
		if !slices.Equal(samples, cur.MessageSamples) {
			patch.MessageSamples, changed = samples, true
		}
		if err := r.ParseForm(); err != nil {
			return naive.InvalidParam("use_cases", "The form could not be read.")
		}
		uses := []string{}
		for _, u := range r.PostForm["use_cases"] {
			if slices.Contains(naive.CampaignUseCases, u) {
				uses = append(uses, u)
			}
		}
		typed.UseCases = uses
		if !slices.Equal(uses, cur.UseCases) {
			if len(uses) == 0 {
				return naive.InvalidParam("use_cases", "Tick at least one use case.")
			}
			patch.UseCases, changed = uses, true
		}
		if !changed {
			return nil
		}
		_, err = c.svc.UpdateCampaignContent(s.ctx, id, patch)
		return err
	}()
	if err == nil {
		notice := "Campaign content saved: it is what the first number's registration (or a resubmission) sends."
		if !changed {
			notice = "Nothing changed."
		}
		return c.done(w, r, Path+"/subjects/"+id+"/campaign-content", notice)
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.campaignContentPage(w, r, s, &typed, fe)
}
