package console

import "testing"

// TestEveryPageParses parses every page with the layout: pages are parsed
// on first use, so a broken one would otherwise fail a request.
func TestEveryPageParses(t *testing.T) {
	names, err := pageNames()
	if err != nil || len(names) < 30 {
		t.Fatalf("pages %v: %v", names, err)
	}
	for _, n := range names {
		if _, err := pageTemplate(n); err != nil {
			t.Errorf("page %s: %v", n, err)
		}
	}
	for _, bad := range []string{"layout", "partials", "../x", "nope"} {
		if _, err := pageTemplate(bad); err == nil {
			t.Errorf("page %q parsed", bad)
		}
	}
}
