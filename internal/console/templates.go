package console

import (
	"embed"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed pages, each with the layout; html/template escapes
// every value by its context.
// Every file in templates/ is a page named after it, except layout.html
// and partials.html, which every page includes.
var pages = parsePages()

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	m := map[string]*template.Template{}
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), ".html")
		if n == "layout" || n == "partials" {
			continue
		}
		m[n] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+e.Name()))
	}
	return m
}

var funcs = template.FuncMap{
	"ago":     ago,
	"until":   until,
	"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"credits": credits,
	"label":   statusLabel,
	"short":   func(id string) string { return short(id) },
	"deref":   func(t *time.Time) time.Time { return *t },
	"join":    strings.Join,
	"has":     func(list []string, v string) bool { return slices.Contains(list, v) },
	"qs":      qs,
	"pretty":  pretty,
	"formKey": randomToken,
}

// ago says how long ago t was, roughly.
func ago(t time.Time) string {
	d := time.Since(t)
	if d < 0 {
		d = 0
	}
	return span(d) + " ago"
}

// until says how long until t, or that it has passed.
func until(t time.Time) string {
	d := time.Until(t)
	if d <= 0 {
		return "passed"
	}
	return "in " + span(d)
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			return strconv.Itoa(h) + "h"
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 || days >= 10 {
		return strconv.Itoa(days) + "d"
	}
	return fmt.Sprintf("%dd %dh", days, h)
}

// credits formats an amount with thousands separators.
func credits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func statusLabel(s string) string {
	if s == "" {
		return "All"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func short(id string) string {
	// UUIDv7s begin with their time: the end tells them apart.
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}
