package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/naive-oss/naive/internal/console"
)

var formKeyRE = regexp.MustCompile(`name="form_key" value="([^"]+)"`)

func formKey(t *testing.T, p page) string {
	t.Helper()
	m := formKeyRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form_key in the page: %.300s", p.body)
	}
	return m[1]
}

// TestFormsThatSpendRunOnce: the same buy or grant form submitted twice —
// at once, or again later — buys and grants once; the second submission
// lands on the first's outcome. The key is bound to the form's values.
func TestFormsThatSpendRunOnce(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()

	form := b.raw("GET", "/console/numbers/new", nil)
	buy := url.Values{"csrf": {form.csrf(t)}, console.FormKeyField: {formKey(t, form)}, "op": {"buy"}, "subject": {""},
		"type": {"local"}, "area_code": {"415"}, "ein": {"12-3456789"}, "label": {"Twice"}}
	if again := formKey(t, b.raw("GET", "/console/numbers/new", nil)); again == buy.Get(console.FormKeyField) {
		t.Fatal("two renderings of the form share a key")
	}
	var wg sync.WaitGroup
	pages := make([]page, 3)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i] = b.raw("POST", "/console/numbers/new", buy)
		}()
	}
	wg.Wait()
	for i, p := range pages {
		if p.status != http.StatusSeeOther {
			t.Fatalf("submission %d: %d %.400s", i, p.status, p.body)
		}
	}
	if n, bal := s.numbersBought(), s.balance(); n != 1 || bal != 950 {
		t.Fatalf("after three submissions of one form: %d numbers, balance %v; want 1 and 950", n, bal)
	}
	later := b.follow("POST", "/console/numbers/new", buy)
	mustShow(t, later, "This form was already submitted", "Nothing more was bought or charged")
	if n := s.numbersBought(); n != 1 {
		t.Fatalf("a later resubmission bought again: %d numbers", n)
	}
	// The same key with other values is refused in place; nothing runs.
	other := url.Values{}
	for k, v := range buy {
		other[k] = v
	}
	other.Set("label", "Something else")
	if p := b.raw("POST", "/console/numbers/new", other); p.status != http.StatusConflict {
		t.Fatalf("the key with other values: %d %.300s", p.status, p.body)
	} else {
		mustShow(t, p, "already submitted with other values", "Reload the page")
	}
	if n := s.numbersBought(); n != 1 {
		t.Fatalf("the reused key bought: %d numbers", n)
	}

	credits := b.raw("GET", "/console/credits", nil)
	grant := url.Values{"csrf": {credits.csrf(t)}, console.FormKeyField: {formKey(t, credits)}, "amount": {"300"}, "memo": {"once"}}
	if p := b.raw("POST", "/console/credits/grant", grant); p.status != http.StatusSeeOther {
		t.Fatalf("grant: %d %.300s", p.status, p.body)
	}
	again := b.follow("POST", "/console/credits/grant", grant)
	mustShow(t, again, "This form was already submitted: 300 credits were granted then, once.")
	if bal := s.balance(); bal != 1250 {
		t.Fatalf("balance after one grant submitted twice: %v, want 1250", bal)
	}
}
