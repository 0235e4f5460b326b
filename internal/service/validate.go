package service

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/naive-oss/naive/internal/naive"
)

var einRe = regexp.MustCompile(`^\d{2}-?\d{7}$`)

// invalidEINPrefixes are the two-digit campus prefixes the IRS never issues.
var invalidEINPrefixes = map[string]bool{
	"00": true, "07": true, "08": true, "09": true, "17": true, "18": true, "19": true,
	"28": true, "29": true, "49": true, "69": true, "70": true, "78": true, "79": true,
	"89": true, "96": true, "97": true,
}

// NormalizeEIN checks an EIN's form (9 digits, hyphen optional, an
// IRS-issued prefix) and returns it as "12-3456789".
func NormalizeEIN(ein string) (string, *naive.Error) {
	ein = strings.TrimSpace(ein)
	if !einRe.MatchString(ein) {
		return "", naive.InvalidParam("ein", "ein must be 9 digits, hyphen optional (12-3456789 or 123456789); got %q.", ein).
			WithHint("Send the company's EIN as 12-3456789.")
	}
	d := strings.ReplaceAll(ein, "-", "")
	if invalidEINPrefixes[d[:2]] {
		return "", naive.InvalidParam("ein", "ein prefix %s is never issued by the IRS.", d[:2]).
			WithHint("Check the EIN on the company's IRS letter (CP 575).")
	}
	return d[:2] + "-" + d[2:], nil
}

// TollFreePrefixes are the area codes a toll-free number may have.
var TollFreePrefixes = []string{"800", "833", "844", "855", "866", "877", "888"}

func isTollFree(ac string) bool {
	for _, p := range TollFreePrefixes {
		if p == ac {
			return true
		}
	}
	return false
}

// validAreaCode checks NANP area-code structure: NXX with N in 2–9, not an
// N11 service code, not the reserved 37X/96X blocks and not 9XX expansion
// (X9X is reserved for expansion too).
func validAreaCode(ac string) bool {
	if len(ac) != 3 {
		return false
	}
	for _, c := range ac {
		if c < '0' || c > '9' {
			return false
		}
	}
	if ac[0] < '2' {
		return false
	}
	if ac[1] == '1' && ac[2] == '1' {
		return false
	}
	if ac[1] == '9' {
		return false
	}
	if strings.HasPrefix(ac, "37") || strings.HasPrefix(ac, "96") {
		return false
	}
	return true
}

// ValidateProvision checks a provision request's fields and normalizes them.
func ValidateProvision(r *naive.ProvisionRequest) *naive.Error {
	if r.Type == "" {
		r.Type = naive.PhoneLocal
	}
	if r.Type != naive.PhoneLocal && r.Type != naive.PhoneTollFree {
		return naive.InvalidParam("type", "type must be \"local\" or \"toll_free\"; got %q.", r.Type)
	}
	if err := validateChosenNumber(r); err != nil {
		return err // before area_code's checks: an area code filled from e164 is not the caller's
	}
	if err := validateTier(r); err != nil {
		return err
	}
	if r.Carrier != "" && r.Carrier != naive.CarrierSurge && r.Carrier != naive.CarrierTelnyx {
		return naive.InvalidParam("carrier", "carrier must be \"surge\" or \"telnyx\"; got %q.", r.Carrier).
			WithHint("Omit carrier for the server's default carrier.")
	}
	if r.EIN != "" {
		ein, err := NormalizeEIN(r.EIN)
		if err != nil {
			return err
		}
		r.EIN = ein
	}
	if r.AreaCode != "" {
		if !validAreaCode(r.AreaCode) {
			return naive.InvalidParam("area_code", "area_code must be a valid 3-digit NANP area code; got %q.", r.AreaCode).
				WithHint("Use a US area code such as 415, or omit area_code for any available number.")
		}
		tf := isTollFree(r.AreaCode)
		if r.Type == naive.PhoneLocal && tf {
			return naive.InvalidParam("area_code", "%s is a toll-free prefix, not a local area code.", r.AreaCode).
				WithHint("Send \"type\": \"toll_free\" for a toll-free number, or a local area code such as 415.")
		}
		if r.Type == naive.PhoneTollFree && !tf {
			return naive.InvalidParam("area_code", "A toll-free area_code must be one of %s; got %q.", strings.Join(TollFreePrefixes, " "), r.AreaCode).
				WithHint("Use a toll-free prefix such as 888, or send \"type\": \"local\" for a local number.")
		}
	}
	if utf8.RuneCountInString(r.Label) > 64 {
		return naive.InvalidParam("label", "label must be at most 64 characters.")
	}
	if r.AgentID != "" {
		if _, err := uuid.Parse(r.AgentID); err != nil {
			return naive.InvalidParam("agent_id", "agent_id must be a UUID; got %q.", r.AgentID)
		}
	}
	return nil
}

// validUUID reports whether s is a UUID (ids in paths are checked before
// they reach the store, so a malformed id is simply not found).
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

var usStates = map[string]bool{}

func init() {
	for _, s := range strings.Fields("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR") {
		usStates[s] = true
	}
}

// Industries are the carrier's industry values (Surge organization.industry).
var Industries = strings.Fields("agriculture automotive banking construction consumer education electronics energy engineering fast_moving_consumer_goods financial fintech food_and_beverage government healthcare hospitality insurance jewelry legal manufacturing media not_for_profit oil_and_gas online professional_services raw_materials real_estate religion retail technology telecommunications transportation travel")

// ContactTitles are the carrier's contact titles.
var ContactTitles = strings.Fields("ceo cfo director gm vp general_counsel other")

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(s) <= 255
}

var e164Re = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

var zipRe = regexp.MustCompile(`^\d{5}(-\d{4})?$`)

// ValidateProfile checks a subject's legal profile. Empty optional fields
// pass; what is missing for carrier registration is reported when it is
// needed, not here.
func ValidateProfile(p *naive.SubjectProfile) *naive.Error {
	p.LegalName = strings.TrimSpace(p.LegalName)
	if p.LegalName == "" {
		return naive.InvalidParam("legal_name", "legal_name is required.")
	}
	if len(p.LegalName) > 255 {
		return naive.InvalidParam("legal_name", "legal_name must be at most 255 characters.")
	}
	p.State = strings.ToUpper(p.State)
	if p.State != "" && !usStates[p.State] {
		return naive.InvalidParam("state", "state must be a two-letter US state code such as DE; got %q.", p.State)
	}
	for _, f := range []struct{ name, v string }{{"website", p.Website}, {"privacy_policy_url", p.PrivacyPolicyURL}, {"terms_url", p.TermsURL}} {
		if f.v != "" && !validURL(f.v) {
			return naive.InvalidParam(f.name, "%s must be an http(s) URL of at most 255 characters.", f.name)
		}
	}
	if p.Industry != "" && !oneOf(p.Industry, Industries) {
		return naive.InvalidParam("industry", "industry %q is not one of the carrier's industries.", p.Industry).
			WithHint("Use one of: %s.", strings.Join(Industries, ", "))
	}
	a := &p.Address
	a.Region = strings.ToUpper(a.Region)
	a.Country = strings.ToUpper(a.Country)
	if a.Country != "" && a.Country != "US" {
		return naive.InvalidParam("address.country", "address.country must be US.")
	}
	if a.Region != "" && !usStates[a.Region] {
		return naive.InvalidParam("address.region", "address.region must be a two-letter US state code; got %q.", a.Region)
	}
	if a.PostalCode != "" && !zipRe.MatchString(a.PostalCode) {
		return naive.InvalidParam("address.postal_code", "address.postal_code must be a US ZIP code such as 94105.")
	}
	for _, f := range []struct{ name, v string }{{"address.line1", a.Line1}, {"address.line2", a.Line2}, {"address.city", a.City},
		{"contact.first_name", p.Contact.FirstName}, {"contact.last_name", p.Contact.LastName}} {
		if len(f.v) > 255 {
			return naive.InvalidParam(f.name, "%s must be at most 255 characters.", f.name)
		}
	}
	c := &p.Contact
	if c.Email != "" {
		if _, err := mail.ParseAddress(c.Email); err != nil || len(c.Email) > 254 {
			return naive.InvalidParam("contact.email", "contact.email must be an email address.")
		}
	}
	if c.Phone != "" && !e164Re.MatchString(c.Phone) {
		return naive.InvalidParam("contact.phone", "contact.phone must be E.164, such as +14155550100.")
	}
	c.Title = strings.ToLower(c.Title)
	if c.Title != "" && !oneOf(c.Title, ContactTitles) {
		return naive.InvalidParam("contact.title", "contact.title must be one of %s.", strings.Join(ContactTitles, ", "))
	}
	return nil
}

// missingForRegistration lists the profile fields carrier registration needs
// that the subject lacks, as request field paths.
func missingForRegistration(p naive.SubjectProfile) []string {
	var m []string
	check := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			m = append(m, name)
		}
	}
	check("legal_name", p.LegalName)
	check("website", p.Website)
	check("industry", p.Industry)
	check("privacy_policy_url", p.PrivacyPolicyURL)
	check("terms_url", p.TermsURL)
	check("address.line1", p.Address.Line1)
	check("address.city", p.Address.City)
	check("address.region", p.Address.Region)
	check("address.postal_code", p.Address.PostalCode)
	check("contact.first_name", p.Contact.FirstName)
	check("contact.last_name", p.Contact.LastName)
	check("contact.email", p.Contact.Email)
	check("contact.phone", p.Contact.Phone)
	check("contact.title", p.Contact.Title)
	return m
}
