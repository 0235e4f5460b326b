package console

import (
	"embed"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Every file in templates/ is a page named after it, except layout.html
// and partials.html, which every page includes; html/template escapes
// every value by its context. A page is parsed the first time it is
// shown (a server whose console nobody opens does not hold them all);
// TestEveryPageParses parses every one, so a broken template fails the
// tests, not a request.
var (
	pagesMu sync.Mutex
	pages   = map[string]*template.Template{}
)

// pageTemplate returns a parsed page.
func pageTemplate(name string) (*template.Template, error) {
	pagesMu.Lock()
	defer pagesMu.Unlock()
	if t, ok := pages[name]; ok {
		return t, nil
	}
	if name == "layout" || name == "partials" || strings.ContainsAny(name, "/.") {
		return nil, fmt.Errorf("console: no page %q", name)
	}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, err
	}
	t, err := base.ParseFS(templateFS, "templates/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("console: page %q: %w", name, err)
	}
	pages[name] = t
	return t, nil
}

// pageNames lists every page.
func pageNames() ([]string, error) {
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := strings.TrimSuffix(e.Name(), ".html"); n != "layout" && n != "partials" {
			names = append(names, n)
		}
	}
	return names, nil
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
