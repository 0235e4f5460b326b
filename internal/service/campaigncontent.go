package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// A subject's campaign content is what its 10DLC campaign submits: the
// fields the subject set (PATCH …/campaign-content, or a resubmission's
// changes, stored alike) over defaults built from its profile
// (campaignCreate, what registration always sent). GET shows the very
// request registration and resubmission send, so what a human reads
// before the first provision is what the carrier receives.

// Limits of a campaign's content: Surge's for what it receives, ours for
// the help and opt-out messages it does not (two SMS segments at most).
const (
	contentLongMin, contentLongMax = 40, 4096
	sampleMax                      = 1024
	samplesMin, samplesMax         = 2, 5
	useCasesMin, useCasesMax       = 1, 5
	replyMax                       = 320
)

// defaultContent is the content built from subj's profile: the campaign
// registration sends when the subject set nothing, with help and opt-out
// replies naming the company.
func defaultContent(subj *naive.Subject) naive.CampaignContent {
	req := campaignCreate(subj)
	brand := brandName(subj.LegalName)
	help := fmt.Sprintf("%s: for help, reply to this message or email %s. Msg&data rates may apply. Reply STOP to opt out.", brand, subj.Contact.Email)
	if subj.Contact.Email == "" {
		help = fmt.Sprintf("%s: for help, reply to this message or visit %s. Msg&data rates may apply. Reply STOP to opt out.", brand, subj.Website)
	}
	return naive.CampaignContent{
		SubjectID:        subj.ID,
		Description:      req.Description,
		MessageSamples:   slices.Clone(req.MessageSamples),
		ConsentFlow:      req.ConsentFlow,
		UseCases:         slices.Clone(req.UseCases),
		Volume:           req.Volume,
		HelpMessage:      help,
		OptOutMessage:    fmt.Sprintf("%s: you are unsubscribed and will receive no more messages. Reply START to resubscribe.", brand),
		PrivacyPolicyURL: req.PrivacyPolicyURL,
		TermsURL:         req.TermsURL,
		Customized:       []string{},
	}
}

// overlay sets on c the fields f holds, naming them in c.Customized.
func overlay(c *naive.CampaignContent, f naive.CampaignContentPatch) {
	str := func(name string, dst *string, v *string) {
		if v != nil {
			*dst = *v
			c.Customized = append(c.Customized, name)
		}
	}
	list := func(name string, dst *[]string, v []string) {
		if v != nil {
			*dst = slices.Clone(v)
			c.Customized = append(c.Customized, name)
		}
	}
	str("description", &c.Description, f.Description)
	list("message_samples", &c.MessageSamples, f.MessageSamples)
	str("consent_flow", &c.ConsentFlow, f.ConsentFlow)
	list("use_cases", &c.UseCases, f.UseCases)
	str("volume", &c.Volume, f.Volume)
	str("help_message", &c.HelpMessage, f.HelpMessage)
	str("opt_out_message", &c.OptOutMessage, f.OptOutMessage)
	str("privacy_policy_url", &c.PrivacyPolicyURL, f.PrivacyPolicyURL)
	str("terms_url", &c.TermsURL, f.TermsURL)
}

// request is the carrier request of content c.
func request(c naive.CampaignContent) carrier.CampaignRequest {
	return carrier.CampaignRequest{
		Description: c.Description, ConsentFlow: c.ConsentFlow, MessageSamples: slices.Clone(c.MessageSamples),
		PrivacyPolicyURL: c.PrivacyPolicyURL, TermsURL: c.TermsURL, UseCases: slices.Clone(c.UseCases), Volume: c.Volume,
	}
}

// storedContent is what the subject set (nil when nothing).
func (s *Service) storedContent(ctx context.Context, sc naive.Scope, subjectID string) (*store.CampaignContent, error) {
	st, err := s.store.GetCampaignContent(ctx, sc, subjectID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return st, err
}

// campaignContent is subj's content as the carrier would receive it now.
func (s *Service) campaignContent(ctx context.Context, sc naive.Scope, subj *naive.Subject) (naive.CampaignContent, *store.CampaignContent, error) {
	c := defaultContent(subj)
	st, err := s.storedContent(ctx, sc, subj.ID)
	if err != nil {
		return c, nil, err
	}
	if st != nil {
		overlay(&c, st.Fields)
		at := st.UpdatedAt
		c.UpdatedAt = &at
	}
	return c, st, nil
}

// createCampaign creates subj's 10DLC campaign at the carrier with its
// campaign content (what GET …/campaign-content shows).
func (s *Service) createCampaign(ctx context.Context, cr carrier.Carrier, brandID string, subj *naive.Subject) (carrier.Campaign, error) {
	c, _, err := s.campaignContent(ctx, naive.Scope{OperatorID: subj.OperatorID, Mode: subj.Mode}, subj)
	if err != nil {
		return carrier.Campaign{}, err
	}
	return cr.CreateCampaign(ctx, brandID, request(c))
}

// campaign10DLCAny is the subject's 10DLC campaign, registered or being
// registered (nil before the first provision claims one).
func (s *Service) campaign10DLCAny(ctx context.Context, sc naive.Scope, subjectID string) (*naive.Campaign, error) {
	camps, err := s.store.ListCampaigns(ctx, sc, subjectID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		if camps[i].Kind == naive.Campaign10DLC {
			return &camps[i], nil
		}
	}
	return nil, nil
}

// withStatus fills the content's campaign status and whether it may change.
func withStatus(c *naive.CampaignContent, camp *naive.Campaign) {
	c.Editable = camp == nil || camp.Status == naive.CampaignRejected
	if camp != nil {
		st := camp.Status
		c.CampaignStatus = &st
	}
}

// GetCampaignContent returns what the subject's 10DLC campaign submits:
// the fields it set, defaults from its profile for the others.
//
// Errors: not_found.
func (s *Service) GetCampaignContent(ctx context.Context, subjectID string) (*naive.CampaignContent, error) {
	p, subj, err := s.read(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	c, _, err := s.campaignContent(ctx, p.Scope(), subj)
	if err != nil {
		return nil, err
	}
	camp, err := s.campaign10DLCAny(ctx, p.Scope(), subj.ID)
	if err != nil {
		return nil, err
	}
	withStatus(&c, camp)
	return &c, nil
}

// UpdateCampaignContent changes the subject's campaign content. Who may
// edit the subject may edit it (an agent, or a human owner). It is
// refused while the 10DLC campaign is registered (or being registered) and
// not rejected: the carrier holds that content and Surge lets it change
// only after a rejection, through a resubmission. The store merges the
// patch and checks the campaign in one transaction, under the lock the
// provision's claim of the campaign takes (ensureCampaign), which reads
// the content after its claim: a 200 is content the campaign registers.
//
// Errors: invalid_input, not_found, forbidden, conflict.
func (s *Service) UpdateCampaignContent(ctx context.Context, subjectID string, patch naive.CampaignContentPatch) (*naive.CampaignContent, error) {
	if err := s.owner(ctx, "editing campaign content"); err != nil {
		return nil, err
	}
	p, subj, err := s.read(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if err := validateContentPatch(patch); err != nil {
		return nil, err
	}
	sc := p.Scope()
	st, err := s.store.PatchCampaignContent(ctx, sc, subj.ID, patch, p.Actor(), s.now())
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, s.contentLockedNow(ctx, sc, subj.ID)
	case errors.Is(err, store.ErrNotFound):
		return nil, naive.NotFound("subject", subj.ID)
	case err != nil:
		return nil, err
	}
	c := defaultContent(subj)
	overlay(&c, st.Fields)
	at := st.UpdatedAt
	c.UpdatedAt = &at
	camp, err := s.campaign10DLCAny(ctx, sc, subj.ID)
	if err != nil {
		return nil, err
	}
	withStatus(&c, camp)
	return &c, nil
}

// contentLockedNow is the refusal of a content patch the store found a
// campaign in the way of: a registered one is named by its status, one
// still being registered (claimed, listed by no ListCampaigns) is created.
func (s *Service) contentLockedNow(ctx context.Context, sc naive.Scope, subjectID string) error {
	camp, err := s.campaign10DLCAny(ctx, sc, subjectID)
	if err != nil {
		return err
	}
	if camp == nil || camp.Status == naive.CampaignRejected {
		camp = &naive.Campaign{Kind: naive.Campaign10DLC, Status: naive.CampaignCreated}
	}
	return contentLocked(subjectID, camp)
}

func contentLocked(subjectID string, camp *naive.Campaign) error {
	return naive.Errorf(naive.EConflict, "The subject's 10DLC campaign is %s: the carrier holds its content, which can change only after a rejection.", camp.Status).
		WithHint("Wait for the review (GET /v1/phone/status); if the carrier rejects it, change the content then and resubmit with POST /v1/subjects/%s/phone/campaign/resubmit.", subjectID).
		With("status", camp.Status)
}

// validateContentPatch checks each field a patch sets against the
// carrier's limits; an empty value (back to the default) always passes.
func validateContentPatch(patch naive.CampaignContentPatch) error {
	text := func(param string, v *string, lo, hi int) error {
		if v == nil {
			return nil
		}
		if err := naive.CheckText(param, *v); err != nil {
			return err
		}
		n := utf8.RuneCountInString(strings.TrimSpace(*v))
		if n > 0 && (n < lo || n > hi) {
			return naive.InvalidParam(param, "%s must be %d to %d characters (it has %d).", param, lo, hi, n).
				WithHint("Send \"%s\": \"\" to go back to the default built from the subject's profile.", param)
		}
		return nil
	}
	for _, f := range []struct {
		param  string
		v      *string
		lo, hi int
	}{
		{"description", patch.Description, contentLongMin, contentLongMax},
		{"consent_flow", patch.ConsentFlow, contentLongMin, contentLongMax},
		{"help_message", patch.HelpMessage, 1, replyMax},
		{"opt_out_message", patch.OptOutMessage, 1, replyMax},
	} {
		if err := text(f.param, f.v, f.lo, f.hi); err != nil {
			return err
		}
	}
	if n := len(patch.MessageSamples); patch.MessageSamples != nil && n > 0 && (n < samplesMin || n > samplesMax) {
		return naive.InvalidParam("message_samples", "message_samples must hold %d to %d texts (it has %d).", samplesMin, samplesMax, n).
			WithHint("Make the first the opt-in confirmation, e.g. \"You are now opted in to … Reply STOP to opt out.\"; [] goes back to the default samples.")
	}
	for i, m := range patch.MessageSamples {
		param := fmt.Sprintf("message_samples[%d]", i)
		if err := naive.CheckText(param, m); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(m)); n == 0 || n > sampleMax {
			return naive.InvalidParam(param, "%s must be 1 to %d characters.", param, sampleMax)
		}
	}
	if n := len(patch.UseCases); patch.UseCases != nil && n > useCasesMax {
		return naive.InvalidParam("use_cases", "use_cases must name %d to %d use cases (it has %d).", useCasesMin, useCasesMax, n)
	}
	seen := map[string]bool{}
	for i, u := range patch.UseCases {
		param := fmt.Sprintf("use_cases[%d]", i)
		if err := naive.CheckText(param, u); err != nil {
			return err
		}
		if !slices.Contains(naive.CampaignUseCases, strings.TrimSpace(u)) {
			return naive.InvalidParam(param, "Unknown use case %q.", u).WithHint("Use any of: %s.", strings.Join(naive.CampaignUseCases, ", "))
		}
		if seen[u] {
			return naive.InvalidParam(param, "use case %q is named twice.", u)
		}
		seen[u] = true
	}
	if patch.Volume != nil {
		if err := naive.CheckText("volume", *patch.Volume); err != nil {
			return err
		}
		if v := strings.TrimSpace(*patch.Volume); v != "" && v != "low" && v != "high" {
			return naive.InvalidParam("volume", "volume must be \"low\" or \"high\"; got %q.", v).
				WithHint("low is up to 2,000 SMS segments a day to T-Mobile; high is billed by the carrier as high-volume.")
		}
	}
	for _, f := range []struct {
		param string
		v     *string
	}{{"privacy_policy_url", patch.PrivacyPolicyURL}, {"terms_url", patch.TermsURL}} {
		if f.v == nil {
			continue
		}
		if err := naive.CheckText(f.param, *f.v); err != nil {
			return err
		}
		if v := strings.TrimSpace(*f.v); v != "" && !validURL(v) {
			return naive.InvalidParam(f.param, "%s must be an http(s) URL of at most 255 characters.", f.param)
		}
	}
	return nil
}

// contentLimits checks a whole content against the carrier's limits: a
// default built from a profile can break them too (a profile without a
// privacy policy URL, say).
func contentLimits(c naive.CampaignContent) *naive.Error {
	long := func(param, v string) *naive.Error {
		if n := utf8.RuneCountInString(strings.TrimSpace(v)); n < contentLongMin || n > contentLongMax {
			return naive.InvalidParam(param, "%s must be %d to %d characters (it has %d).", param, contentLongMin, contentLongMax, n)
		}
		return nil
	}
	if e := long("description", c.Description); e != nil {
		return e
	}
	if e := long("consent_flow", c.ConsentFlow); e != nil {
		return e
	}
	if n := len(c.MessageSamples); n < samplesMin || n > samplesMax {
		return naive.InvalidParam("message_samples", "message_samples must hold %d to %d texts (it has %d).", samplesMin, samplesMax, n)
	}
	for i, m := range c.MessageSamples {
		if n := utf8.RuneCountInString(strings.TrimSpace(m)); n == 0 || n > sampleMax {
			return naive.InvalidParam(fmt.Sprintf("message_samples[%d]", i), "Each message sample must be 1 to %d characters.", sampleMax)
		}
	}
	if n := len(c.UseCases); n < useCasesMin || n > useCasesMax {
		return naive.InvalidParam("use_cases", "use_cases must name %d to %d use cases (it has %d).", useCasesMin, useCasesMax, n)
	}
	for i, u := range c.UseCases {
		if !slices.Contains(naive.CampaignUseCases, u) {
			return naive.InvalidParam(fmt.Sprintf("use_cases[%d]", i), "Unknown use case %q.", u)
		}
	}
	if c.Volume != "low" && c.Volume != "high" {
		return naive.InvalidParam("volume", "volume must be \"low\" or \"high\".")
	}
	for _, f := range []struct{ param, v string }{{"help_message", c.HelpMessage}, {"opt_out_message", c.OptOutMessage}} {
		if n := utf8.RuneCountInString(strings.TrimSpace(f.v)); n == 0 || n > replyMax {
			return naive.InvalidParam(f.param, "%s must be 1 to %d characters.", f.param, replyMax)
		}
	}
	for _, f := range []struct{ param, v string }{{"privacy_policy_url", c.PrivacyPolicyURL}, {"terms_url", c.TermsURL}} {
		if !validURL(f.v) {
			return naive.InvalidParam(f.param, "%s must be an http(s) URL of at most 255 characters.", f.param).
				WithHint("Set it on the subject's profile, or in the campaign content.")
		}
	}
	return nil
}
