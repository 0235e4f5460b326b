package surgesim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/naive-oss/naive/internal/surge"
)

// MagicNoInventoryAreaCode has no numbers: purchases in it fail with no_matching_numbers.
const MagicNoInventoryAreaCode = "555"

// MagicOutageAreaCode simulates a carrier outage: purchases in it answer 503
// without buying anything.
const MagicOutageAreaCode = "500"

// Numbers are +1 {area} 555 {line}, lines counting up from 1234 and skipping owned ones.
const (
	firstLine = 1234
	lastLine  = 9999
)

// Default area codes when a purchase names only a type.
const (
	DefaultLocalAreaCode    = "415"
	DefaultTollFreeAreaCode = "888"
)

var (
	tollFreeAreas = []string{"833", "844", "855", "866", "877", "888"}
	areaPattern   = regexp.MustCompile(`^[0-9]{3}$`)
	e164Pattern   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

func isAreaCode(s string) bool { return areaPattern.MatchString(s) }

func areaType(area string) string {
	if slices.Contains(tollFreeAreas, area) {
		return surge.NumberTollFree
	}
	return surge.NumberLocal
}

func defaultArea(typ string) string {
	if typ == surge.NumberTollFree {
		return DefaultTollFreeAreaCode
	}
	return DefaultLocalAreaCode
}

// inventoryArea returns the area code of a number of the inventory
// (+1 {area} 555 {line}, line in firstLine..lastLine).
func inventoryArea(e164 string) (string, bool) {
	if len(e164) != 12 || e164[:2] != "+1" || !isAreaCode(e164[2:5]) || e164[5:8] != "555" {
		return "", false
	}
	line, err := strconv.Atoi(e164[8:])
	if err != nil || line < firstLine || line > lastLine {
		return "", false
	}
	return e164[2:5], true
}

// outageNumber reports whether an exact purchase is in the outage area code.
func outageNumber(e164 string) bool {
	return len(e164) == 12 && e164[:2] == "+1" && e164[2:5] == MagicOutageAreaCode
}

func lineNumber(area string, line int) string { return fmt.Sprintf("+1%s555%04d", area, line) }

// formatNumber renders a North American number as "(415) 555-1234", Surge's default name.
func formatNumber(e164 string) string {
	if len(e164) == 12 && e164[:2] == "+1" {
		return fmt.Sprintf("(%s) %s-%s", e164[2:5], e164[5:8], e164[8:])
	}
	return e164
}

func validatePurchase(in surge.NumberPurchase) map[string][]string {
	d := map[string][]string{}
	if in.Type != "" && in.Type != surge.NumberLocal && in.Type != surge.NumberTollFree {
		d["type"] = []string{"is not included in the list"}
	}
	if in.PhoneNumber != "" {
		if !e164Pattern.MatchString(in.PhoneNumber) {
			d["phone_number"] = []string{"is not a valid E.164 phone number"}
		}
		return d // an exact number overrides every search field
	}
	if in.AreaCode != "" && !isAreaCode(in.AreaCode) {
		d["area_code"] = []string{"must be 3 digits"}
	}
	geo := in.Latitude != nil || in.Longitude != nil
	switch {
	case in.Latitude != nil && in.Longitude == nil:
		d["longitude"] = []string{"must be given together with latitude"}
	case in.Longitude != nil && in.Latitude == nil:
		d["latitude"] = []string{"must be given together with longitude"}
	}
	if in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90) {
		d["latitude"] = []string{"must be between -90 and 90"}
	}
	if in.Longitude != nil && (*in.Longitude < -180 || *in.Longitude > 180) {
		d["longitude"] = []string{"must be between -180 and 180"}
	}
	if geo && in.Type == surge.NumberTollFree {
		d["type"] = []string{"must be local when latitude and longitude are given"}
	}
	if in.Type == "" && in.AreaCode == "" && !geo {
		d["type"] = []string{"can't be blank"}
	}
	return d
}

// pickNumberLocked chooses the number a valid purchase gets, or reports no inventory.
func (s *Server) pickNumberLocked(in surge.NumberPurchase) (e164, typ string, ok bool) {
	if in.PhoneNumber != "" {
		// Only numbers of the inventory (the ones available_phone_numbers
		// lists) are for sale: +1 {area} 555 {1234..9999}, never in 555.
		area, ok := inventoryArea(in.PhoneNumber)
		if !ok || area == MagicNoInventoryAreaCode {
			return "", "", false
		}
		return in.PhoneNumber, areaType(area), !s.inUse[in.PhoneNumber]
	}
	typ, area := in.Type, in.AreaCode
	if typ == "" {
		typ = surge.NumberLocal
		if area != "" {
			typ = areaType(area)
		}
	}
	if area == "" {
		area = defaultArea(typ)
	}
	if area == MagicNoInventoryAreaCode || areaType(area) != typ {
		return "", "", false
	}
	for line := firstLine; line <= lastLine; line++ {
		if e := lineNumber(area, line); !s.inUse[e] {
			return e, typ, true
		}
	}
	return "", "", false
}
