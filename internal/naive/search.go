package naive

// NumberSearch is the query of GET /v1/phone/available.
type NumberSearch struct {
	// Type is PhoneLocal (the default) or PhoneTollFree.
	Type string `json:"type,omitempty"`
	// AreaCode narrows the search to one area code ("" for any).
	AreaCode string `json:"area_code,omitempty"`
	// Limit is how many numbers to list: 1 to MaxNumberSearch, 0 for
	// DefaultNumberSearch.
	Limit int `json:"limit,omitempty"`
}

// Number search limits.
const (
	DefaultNumberSearch = 20
	MaxNumberSearch     = 50
)

// AvailableNumber is a number the carrier offers for sale now: POST
// /v1/phone/provision with its e164 buys exactly it.
type AvailableNumber struct {
	E164     string `json:"e164"`
	Type     string `json:"type"`
	AreaCode string `json:"area_code"`
	Country  string `json:"country"`
	// Locality and Region (city and state) are present when the carrier
	// gives them (Surge does not).
	Locality string `json:"locality,omitempty"`
	Region   string `json:"region,omitempty"`
}
