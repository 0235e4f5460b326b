package surgesim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/surge"
)

// MagicReject in a campaign description makes its review end "rejected" instead of "active".
const MagicReject = "[sandbox:reject]"

// RejectReason is the reason a rejected campaign carries (rejection_reason; Surge's documented
// object has no such field, its reviewers email their notes).
const RejectReason = "The brand's website could not be verified against the campaign's description."

var (
	campaignStatuses = []string{surge.CampaignCreated, surge.CampaignInReview, surge.CampaignActive,
		surge.CampaignRejected, surge.CampaignCanceled, surge.CampaignDeactivated}
	useCases = []string{"account_notification", "customer_care", "delivery_notification", "fraud_alert",
		"higher_education", "marketing", "polling_voting", "public_service_announcement", "security_alert",
		"two_factor_authentication"}
	includesValues = []string{"links", "phone_numbers", "age_gated", "direct_lending"}
	volumes        = []string{"low", "high"}
)

// validateCampaign checks a create/update body against the SDK's standard or external shape.
func validateCampaign(in surge.CampaignCreate) map[string][]string {
	d := map[string][]string{}
	add := func(f, msg string) { d[f] = append(d[f], msg) }
	if in.TCRID != "" {
		if in.ConsentFlow != "" || in.Description != "" || len(in.MessageSamples) > 0 || len(in.UseCases) > 0 || in.Volume != "" {
			add("tcr_id", "can't be combined with the fields of a standard campaign")
		}
		return d
	}
	text := func(f, v string) {
		switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
		case n == 0:
			add(f, "can't be blank")
		case n < 40:
			add(f, "is too short (minimum is 40 characters)")
		case utf8.RuneCountInString(v) > 4096:
			add(f, "is too long (maximum is 4096 characters)")
		}
	}
	text("consent_flow", in.ConsentFlow)
	text("description", in.Description)
	switch n := len(in.MessageSamples); {
	case n < 2:
		add("message_samples", "should have at least 2 items")
	case n > 5:
		add("message_samples", "should have at most 5 items")
	}
	for _, m := range in.MessageSamples {
		if strings.TrimSpace(m) == "" {
			add("message_samples", "can't contain blank samples")
			break
		}
	}
	switch n := len(in.UseCases); {
	case n < 1:
		add("use_cases", "should have at least 1 item")
	case n > 5:
		add("use_cases", "should have at most 5 items")
	}
	for _, u := range in.UseCases {
		if !slices.Contains(useCases, u) {
			add("use_cases", fmt.Sprintf("has an invalid value %q", u))
		}
	}
	for _, v := range in.Includes {
		if !slices.Contains(includesValues, v) {
			add("includes", fmt.Sprintf("has an invalid value %q", v))
		}
	}
	switch {
	case in.Volume == "":
		add("volume", "can't be blank")
	case !slices.Contains(volumes, in.Volume):
		add("volume", "is not included in the list")
	}
	urlField := func(f, v string, required bool) {
		switch {
		case v == "" && required:
			add(f, "can't be blank")
		case v == "":
		case len(v) > 255:
			add(f, "is too long (maximum is 255 characters)")
		case !isURL(v):
			add(f, "is not a valid URL")
		}
	}
	urlField("privacy_policy_url", in.PrivacyPolicyURL, true)
	urlField("terms_and_conditions_url", in.TermsAndConditionsURL, true)
	urlField("link_sample", in.LinkSample, false)
	return d
}

func isURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// submit (re)starts the review of c with the fields of in; it takes delay.
func (c *campaign) submit(in surge.CampaignCreate, now time.Time, delay time.Duration) {
	id := c.ID
	c.Campaign = surge.Campaign{
		ID: id, ConsentFlow: in.ConsentFlow, Description: in.Description, PrivacyPolicyURL: in.PrivacyPolicyURL,
		Includes: nonNil(in.Includes), MessageSamples: nonNil(in.MessageSamples), UseCases: nonNil(in.UseCases),
		Volume: in.Volume,
	}
	if in.LinkSample != "" {
		c.LinkSample = &in.LinkSample
	}
	if in.TermsAndConditionsURL != "" {
		c.TermsAndConditionsURL = &in.TermsAndConditionsURL
	}
	c.created, c.delay, c.override = now, delay, ""
	c.reject = strings.Contains(in.Description, MagicReject)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// statusAt is the campaign's status by the clock: created, in_review after min(1s, delay/2),
// then active (or rejected) after delay; a pinned status wins.
func (c *campaign) statusAt(now time.Time, delay time.Duration) string {
	if c.override != "" {
		return c.override
	}
	if c.delay > 0 {
		delay = c.delay // the review's own, whichever simulator renders it
	}
	switch el := now.Sub(c.created); {
	case el >= delay && c.reject:
		return surge.CampaignRejected
	case el >= delay:
		return surge.CampaignActive
	case el >= min(time.Second, delay/2):
		return surge.CampaignInReview
	default:
		return surge.CampaignCreated
	}
}

func (s *Server) renderCampaign(c *campaign, now time.Time) surge.Campaign {
	out := c.Campaign
	out.Status = c.statusAt(now, s.reviewDelay)
	if out.Status == surge.CampaignRejected {
		reason := RejectReason
		out.RejectionReason = &reason
	}
	return out
}

// advanceLocked runs the side effects of every campaign that has become active, then the
// message deliveries that are due.
func (s *Server) advanceLocked(now time.Time) {
	for _, c := range sortedBySeq(s.campaigns, func(c *campaign) int64 { return c.seq }) {
		if !c.activated && c.statusAt(now, s.reviewDelay) == surge.CampaignActive {
			s.activateLocked(c)
		}
	}
	s.advanceMessagesLocked(now)
}

// activateLocked emits campaign.approved and attaches the account's unattached local numbers.
func (s *Server) activateLocked(c *campaign) {
	c.activated = true
	s.touch(kindCampaign, c.ID)
	s.emitLocked(c.accountID, surge.EventCampaignApproved, map[string]string{"id": c.ID, "status": surge.CampaignActive})
	for _, n := range s.accountNumbersLocked(c.accountID) {
		pendingHere := n.Campaign != nil && n.Campaign.ID == c.ID && n.Campaign.AttachmentStatus == surge.AttachmentPending
		if n.Type == surge.NumberLocal && (n.Campaign == nil || pendingHere) {
			s.attachLocked(n, c)
		}
	}
}

// attachLocked attaches n to c and emits phone_number.attached_to_campaign.
func (s *Server) attachLocked(n *number, c *campaign) {
	id := c.ID
	n.Campaign = &surge.NumberCampaign{ID: c.ID, AttachmentStatus: surge.AttachmentAttached}
	n.CampaignID = &id
	s.touch(kindNumber, n.ID)
	s.emitLocked(n.accountID, surge.EventPhoneNumberAttachedToCampaign, n.PhoneNumber)
}

// activeCampaignLocked returns the account's most recently created active campaign, if any.
func (s *Server) activeCampaignLocked(accountID string) *campaign {
	var best *campaign
	now := s.now()
	for _, c := range s.campaigns {
		if c.accountID == accountID && c.activated && c.statusAt(now, s.reviewDelay) == surge.CampaignActive &&
			(best == nil || c.seq > best.seq) {
			best = c
		}
	}
	return best
}

// dueLocked says a transition falls due at t. In memory the background clock
// (started on first need) finds it; with a Storage the write under way
// schedules a TaskAdvance at t — unless one is scheduled at t or before,
// whose run schedules the next (see runAdvanceLocked): one task serves
// every transition due meanwhile, whatever the number of messages.
func (s *Server) dueLocked(t time.Time) {
	if s.store == nil {
		s.ensureTickerLocked()
		return
	}
	now := s.now()
	if !s.advanceDue.IsZero() && !t.Before(s.advanceDue) && now.Sub(s.advanceDue) < lostTaskAfter {
		return
	}
	s.scheduleLocked(Task{Kind: TaskAdvance, Due: t})
	s.advanceDue = t
	s.touch(kindMeta, metaAdvance)
}

// lostTaskAfter is how long past its due time a scheduled task counts as
// lost, so that the next write schedules another: its job gave up, or it
// was running in a process that was killed (River hands such a job back
// only after minutes). A task runs within a second of its due time
// otherwise; a second one is harmless (an advance applies what is due, a
// drain sends what is undelivered).
const lostTaskAfter = 10 * time.Second

// advanceGap is the least time between two runs of TaskAdvance: under load
// each run serves the transitions of many messages.
const advanceGap = 100 * time.Millisecond

// runAdvanceLocked is a TaskAdvance's run, after the write applied every
// transition due by now: if it is the earliest scheduled (or a later one
// whose earlier went first), it schedules the next, at the next transition
// due but not within advanceGap of now.
func (s *Server) runAdvanceLocked() {
	now := s.now()
	if s.advanceDue.After(now) {
		return // a later run is scheduled already
	}
	s.advanceDue = time.Time{}
	s.touch(kindMeta, metaAdvance)
	if next, ok := s.nextDueLocked(now); ok {
		s.dueLocked(maxTime(next, now.Add(advanceGap)))
	}
}

// nextDueLocked returns the earliest transition due after now: a message's
// next delivery step, or a campaign's review end.
func (s *Server) nextDueLocked(now time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, m := range s.msgs.pending {
		switch m.stage {
		case stageQueued:
			consider(m.sentDue)
		case stageSent:
			consider(m.doneDue)
		}
	}
	for _, c := range s.campaigns {
		if !c.activated && c.override == "" {
			consider(c.created.Add(c.delay))
		}
	}
	return next, !next.IsZero()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ensureTickerLocked starts the background review and delivery clock on first need.
func (s *Server) ensureTickerLocked() {
	if s.tickerOn || s.closed {
		return
	}
	s.tickerOn = true
	interval := min(max(min(s.reviewDelay, s.deliveryDelay)/20, 10*time.Millisecond), 250*time.Millisecond)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.Tick()
			case <-s.done:
				return
			}
		}
	}()
}

// SampleCampaign returns a standard campaign body that passes validation, for tests and demos.
func SampleCampaign() surge.CampaignCreate {
	return surge.CampaignCreate{
		ConsentFlow:           "Customers opt in by checking an unchecked SMS box on https://example.com/signup before submitting.",
		Description:           "Example Co sends appointment reminders and account notifications to customers who opted in.",
		MessageSamples:        []string{"You are now opted in to Example Co alerts. Frequency varies. Msg&data rates apply. Reply STOP to opt out.", "Hi [customer name], your appointment is tomorrow at [time]. Reply STOP to opt out."},
		PrivacyPolicyURL:      "https://example.com/privacy",
		TermsAndConditionsURL: "https://example.com/terms",
		UseCases:              []string{"account_notification", "customer_care"},
		Volume:                "low",
	}
}
