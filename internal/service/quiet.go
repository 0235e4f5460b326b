package service

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the zones below, whatever the host has installed

	"github.com/nyaruka/phonenumbers"

	"github.com/naive-oss/naive/internal/naive"
)

// Quiet hours are kept in the recipient's local time, which a number does
// not tell exactly: a NANP number's area code names a region, and some
// regions span two or more time zones. The service never guesses one
// zone: it takes every zone the number may be in and sends only when the
// window holds in all of them ("refuse-safe"). So with an 08:00–21:00
// window a text to 850 (the Florida panhandle, Eastern and Central) goes
// between 09:00 and 21:00 Eastern time (08:00 Central). A NANP area code not
// in the table (new, or not geographic, such as toll-free 8XX) counts as
// any of the four continental US zones; a number outside NANP takes the
// zones libphonenumber knows for its country (or the same four when it
// knows none). The area codes' table is areazones.go.

// fallbackZones are the zones of a number the table cannot place: the four
// continental US zones, so a text goes only when it is inside the window
// on both coasts.
var fallbackZones = []string{"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}

// areaZones is areaZoneTable by area code.
var areaZones = func() map[string][]*time.Location {
	m := map[string][]*time.Location{}
	for _, row := range areaZoneTable {
		loc := mustZone(row.zone)
		for _, code := range strings.Fields(row.codes) {
			m[code] = append(m[code], loc)
		}
	}
	return m
}()

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("service: time zone %s: %v", name, err))
	}
	return loc
}

var fallbackLocs = func() []*time.Location {
	out := make([]*time.Location, len(fallbackZones))
	for i, z := range fallbackZones {
		out[i] = mustZone(z)
	}
	return out
}()

// RecipientZones returns the time zones a number in E.164 may be in (see
// above): one for most, several for a split area code, the fallback for
// one nobody can place.
func RecipientZones(e164 string) []*time.Location {
	if strings.HasPrefix(e164, "+1") {
		if len(e164) == 12 {
			if locs, ok := areaZones[e164[2:5]]; ok {
				return locs
			}
		}
		return fallbackLocs
	}
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return fallbackLocs
	}
	names, err := phonenumbers.GetTimezonesForNumber(n)
	if err != nil {
		return fallbackLocs
	}
	var out []*time.Location
	for _, name := range names {
		if loc, err := time.LoadLocation(name); err == nil && name != "Etc/Unknown" {
			out = append(out, loc)
		}
	}
	if len(out) == 0 {
		return fallbackLocs
	}
	return out
}

// clockMinutes parses "HH:MM" (24-hour, two digits each) into minutes
// after midnight.
func clockMinutes(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return 0, false
	}
	return h*60 + m, true
}

// validQuietHours checks a kit's window.
func validQuietHours(q *naive.QuietHours) *naive.Error {
	const param = "primitives_config.phone.quiet_hours"
	start, ok := clockMinutes(q.Start)
	if !ok {
		return naive.InvalidParam(param+".start", "quiet_hours.start must be a time of day as HH:MM (24-hour), such as \"08:00\"; got %q.", q.Start)
	}
	end, ok := clockMinutes(q.End)
	if !ok {
		return naive.InvalidParam(param+".end", "quiet_hours.end must be a time of day as HH:MM (24-hour), such as \"21:00\"; got %q.", q.End)
	}
	if start == end {
		return naive.InvalidParam(param, "quiet_hours.start and end must differ; leave quiet_hours out to allow texts at any time.")
	}
	return nil
}

// sendWindow is a kit's quiet hours: texts go from start (inclusive) to
// end (exclusive), in minutes of the local day; start > end runs past
// midnight.
type sendWindow struct{ start, end int }

func windowOf(q *naive.QuietHours) (sendWindow, bool) {
	if q == nil {
		return sendWindow{}, false
	}
	start, ok1 := clockMinutes(q.Start)
	end, ok2 := clockMinutes(q.End)
	return sendWindow{start, end}, ok1 && ok2 && start != end
}

func (w sendWindow) holds(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// holdsAll reports whether t is inside the window in every zone.
func (w sendWindow) holdsAll(t time.Time, locs []*time.Location) bool {
	for _, loc := range locs {
		if !w.holds(t, loc) {
			return false
		}
	}
	return true
}

// next is the first time after now when the window holds in every zone:
// it opens at the latest of the zones' starts, so only starts are
// candidates. Zero when the zones' windows never overlap (a window
// narrower than the zones' spread).
func (w sendWindow) next(now time.Time, locs []*time.Location) time.Time {
	var cands []time.Time
	for _, loc := range locs {
		lt := now.In(loc)
		for d := -1; d <= 2; d++ {
			c := time.Date(lt.Year(), lt.Month(), lt.Day()+d, w.start/60, w.start%60, 0, 0, loc)
			if c.After(now) {
				cands = append(cands, c)
			}
		}
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range cands {
		if w.holdsAll(c, locs) {
			return c.UTC()
		}
	}
	return time.Time{}
}
