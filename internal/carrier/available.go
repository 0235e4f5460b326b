package carrier

// NumberFilter is a search of the carrier's inventory of numbers for sale.
type NumberFilter struct {
	// Type is naive.PhoneLocal or naive.PhoneTollFree.
	Type string
	// AreaCode narrows the search to one area code ("" for any).
	AreaCode string
}

// AvailableNumber is a number the carrier offers for sale right now.
type AvailableNumber struct {
	E164 string
	// Type is naive.PhoneLocal or naive.PhoneTollFree.
	Type string
	// Country is the ISO country code ("US").
	Country string
	// Locality and Region (city and state) are "" when the carrier does
	// not say.
	Locality, Region string
}
