package surgesim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/naive-oss/naive/internal/surge"
)

// Account responses spell out every nullable field as null, as Surge does; the client's
// types use omitempty so that a PATCH only changes what it sets.
type accountOut struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	BrandName    *string `json:"brand_name"`
	TimeZone     *string `json:"time_zone"`
	Organization orgOut  `json:"organization"`
}

type orgOut struct {
	Type               *string    `json:"type"`
	RegisteredName     *string    `json:"registered_name"`
	IdentifierType     *string    `json:"identifier_type"`
	Identifier         *string    `json:"identifier"`
	Country            *string    `json:"country"`
	Website            *string    `json:"website"`
	Email              *string    `json:"email"`
	MobileNumber       *string    `json:"mobile_number"`
	Industry           *string    `json:"industry"`
	RegionsOfOperation []string   `json:"regions_of_operation"`
	StockExchange      *string    `json:"stock_exchange"`
	StockSymbol        *string    `json:"stock_symbol"`
	Address            addressOut `json:"address"`
	Contact            contactOut `json:"contact"`
}

type addressOut struct {
	Name       *string `json:"name"`
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	Locality   *string `json:"locality"`
	Region     *string `json:"region"`
	PostalCode *string `json:"postal_code"`
	Country    *string `json:"country"`
}

type contactOut struct {
	FirstName   *string `json:"first_name"`
	LastName    *string `json:"last_name"`
	Email       *string `json:"email"`
	PhoneNumber *string `json:"phone_number"`
	Title       *string `json:"title"`
	TitleOther  *string `json:"title_other"`
}

func renderAccount(a surge.Account) accountOut {
	o := a.Organization
	out := accountOut{ID: a.ID, Name: a.Name, BrandName: a.BrandName, TimeZone: a.TimeZone, Organization: orgOut{
		Type: o.Type, RegisteredName: o.RegisteredName, IdentifierType: o.IdentifierType, Identifier: o.Identifier,
		Country: o.Country, Website: o.Website, Email: o.Email, MobileNumber: o.MobileNumber, Industry: o.Industry,
		RegionsOfOperation: o.RegionsOfOperation, StockExchange: o.StockExchange, StockSymbol: o.StockSymbol,
	}}
	if o.Address != nil {
		out.Organization.Address = addressOut(*o.Address)
	}
	if o.Contact != nil {
		c := o.Contact // a representative: the messaging-only id and metadata do not apply
		out.Organization.Contact = contactOut{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			PhoneNumber: c.PhoneNumber, Title: c.Title, TitleOther: c.TitleOther}
	}
	return out
}

// Enumerations from Surge's SDK; values outside them are rejected with validation_error.
var (
	orgTypes = []string{"co_op", "government", "llc", "non_profit", "partnership", "private_corporation",
		"public_corporation", "sole_proprietor"}
	identifierTypes = []string{"ein", "cbn"}
	industries      = []string{"agriculture", "automotive", "banking", "construction", "consumer", "education",
		"electronics", "energy", "engineering", "fast_moving_consumer_goods", "financial", "fintech",
		"food_and_beverage", "government", "healthcare", "hospitality", "insurance", "jewelry", "legal",
		"manufacturing", "media", "not_for_profit", "oil_and_gas", "online", "professional_services",
		"raw_materials", "real_estate", "religion", "retail", "technology", "telecommunications",
		"transportation", "travel"}
	regions        = []string{"africa", "asia", "australia", "europe", "latin_america", "usa_and_canada"}
	stockExchanges = []string{"amex", "amx", "asx", "b3", "bme", "bse", "fra", "icex", "jpx", "jse", "krx", "lon",
		"nasdaq", "none", "nyse", "nse", "omx", "other", "sehk", "sgx", "sse", "sto", "swx", "szse", "tsx", "twse", "vse"}
	contactTitles = []string{"ceo", "cfo", "director", "gm", "vp", "general_counsel", "other"}
)

func validateOrganization(o surge.Organization, detail map[string][]string) {
	enum := func(field string, v *string, allowed []string) {
		if v != nil && !slices.Contains(allowed, *v) {
			detail[field] = append(detail[field], "is not included in the list")
		}
	}
	enum("organization.type", o.Type, orgTypes)
	enum("organization.identifier_type", o.IdentifierType, identifierTypes)
	enum("organization.industry", o.Industry, industries)
	enum("organization.stock_exchange", o.StockExchange, stockExchanges)
	for _, r := range o.RegionsOfOperation {
		if !slices.Contains(regions, r) {
			detail["organization.regions_of_operation"] = []string{"contains a value that is not included in the list"}
		}
	}
	if o.Contact != nil {
		enum("organization.contact.title", o.Contact.Title, contactTitles)
	}
}

// mergeOrganization applies a partial organization on top of base and returns a fresh value
// that shares no memory with either (state is copy-on-write).
func mergeOrganization(base, patch surge.Organization) surge.Organization {
	toMap := func(o surge.Organization) map[string]any {
		b, _ := json.Marshal(o)
		m := map[string]any{}
		_ = json.Unmarshal(b, &m)
		return m
	}
	var merge func(dst, src map[string]any)
	merge = func(dst, src map[string]any) {
		for k, v := range src {
			if sv, ok := v.(map[string]any); ok {
				if dv, ok := dst[k].(map[string]any); ok {
					merge(dv, sv)
					continue
				}
			}
			dst[k] = v
		}
	}
	m := toMap(base)
	merge(m, toMap(patch))
	b, _ := json.Marshal(m)
	var out surge.Organization
	_ = json.Unmarshal(b, &out)
	return out
}

// localMessagingFields is the simulator's minimum for local_messaging (the fields its API reference lists for account status); Surge does
// not publish the exact matrix.
var localMessagingFields = []string{
	"type", "registered_name", "identifier_type", "identifier", "website", "industry", "regions_of_operation",
	"address.line1", "address.locality", "address.region", "address.postal_code", "address.country",
	"contact.first_name", "contact.last_name", "contact.email", "contact.phone_number", "contact.title",
}

// capabilityExtras lists, per supported capability, the fields needed beyond localMessagingFields.
var capabilityExtras = map[string][]string{
	"local_messaging":     nil,
	"phone_calls":         nil,
	"toll_free_messaging": {"mobile_number"},
}

var (
	einPattern = regexp.MustCompile(`^(\d{9}|\d{2}-\d{7})$`)
	cbnPattern = regexp.MustCompile(`^\d{9}$`)
)

// MagicEINMismatch (also written 999999999) is an EIN the sandbox reports as not matching IRS records.
const MagicEINMismatch = "99-9999999"

func capabilityStatus(o surge.Organization, capability string) surge.CapabilityStatus {
	b, _ := json.Marshal(o)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	present := func(path string) bool {
		var v any = m
		for part := range strings.SplitSeq(path, ".") {
			obj, ok := v.(map[string]any)
			if !ok {
				return false
			}
			v = obj[part]
		}
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v) != ""
		case []any:
			return len(v) > 0
		default:
			return v != nil
		}
	}
	fields := slices.Concat(localMessagingFields, capabilityExtras[capability])
	if isSoleProprietor(o) {
		// One person, no EIN: the mobile number that receives the
		// verification text stands in for the identifier.
		fields = slices.DeleteFunc(fields, func(f string) bool { return f == "identifier_type" || f == "identifier" })
		if !slices.Contains(fields, "mobile_number") {
			fields = append(fields, "mobile_number")
		}
	}
	if o.Contact != nil && o.Contact.Title != nil && *o.Contact.Title == "other" {
		fields = append(fields, "contact.title_other")
	}
	st := surge.CapabilityStatus{FieldsNeeded: []string{}, Errors: []surge.StatusError{}}
	for _, f := range fields {
		// The address country defaults to the organization's.
		if !present(f) && !(f == "address.country" && present("country")) {
			st.FieldsNeeded = append(st.FieldsNeeded, "organization."+f)
		}
	}
	if o.Identifier != nil && *o.Identifier != "" {
		id := *o.Identifier
		pattern, format := einPattern, "an EIN must be 9 digits, as 12-3456789 or 123456789"
		if o.IdentifierType != nil && *o.IdentifierType == "cbn" {
			pattern, format = cbnPattern, "a CBN must be exactly 9 digits"
		}
		switch {
		case !pattern.MatchString(id):
			st.Errors = append(st.Errors, surge.StatusError{Field: "organization.identifier", Type: "invalid_identifier",
				Message: "The identifier is not valid: " + format + "."})
		case strings.ReplaceAll(id, "-", "") == strings.ReplaceAll(MagicEINMismatch, "-", ""):
			st.Errors = append(st.Errors, surge.StatusError{Field: "organization.identifier", Type: "ein_mismatch",
				Message: "The EIN does not match the registered name in IRS records."})
		}
	}
	if isSoleProprietor(o) && present("mobile_number") && !usMobile(o.MobileNumber) {
		st.Errors = append(st.Errors, surge.StatusError{Field: "organization.mobile_number", Type: "invalid_mobile_number",
			Message: "A sole proprietor's mobile number must be a US or Canadian mobile number, in E.164."})
	}
	switch {
	case len(st.Errors) > 0:
		st.Status = surge.CapabilityError
	case len(st.FieldsNeeded) > 0:
		st.Status = surge.CapabilityIncomplete
	default:
		st.Status = surge.CapabilityReady
	}
	return st
}

// SampleOrganization returns an organization complete enough for local_messaging to be ready, for tests and demos.
func SampleOrganization() surge.Organization {
	s := surge.String
	return surge.Organization{
		Type: s("llc"), RegisteredName: s("Example Co LLC"), IdentifierType: s("ein"), Identifier: s("12-3456789"),
		Country: s("US"), Website: s("https://example.com"), Email: s("ops@example.com"), Industry: s("technology"),
		RegionsOfOperation: []string{"usa_and_canada"},
		Address: &surge.Address{Line1: s("1 Main St"), Locality: s("Salt Lake City"), Region: s("UT"),
			PostalCode: s("84101"), Country: s("US")},
		Contact: &surge.Contact{FirstName: s("Ada"), LastName: s("Lovelace"), Email: s("ada@example.com"),
			PhoneNumber: s("+18015550100"), Title: s("ceo")},
	}
}
