package console_test

import (
	"html"
	"net/url"
	"strings"
	"testing"
)

// TestCampaignContentPage: the subject's Campaign content page shows the
// defaults and the compliance rules; a refused save shows the error next
// to its field with what was typed; a good one is stored (only what
// changed) and shown; the subject's page links to it.
func TestCampaignContentPage(t *testing.T) {
	t.Parallel()
	s := start(t)
	b := s.browser()
	b.mustLogin()
	b.testMode()
	sid := subjectsDefaultID(t, s)
	show := b.follow("GET", "/console/subjects/"+sid, nil)
	mustContain(t, show, `href="/console/subjects/`+sid+`/campaign-content"`)

	p := b.follow("GET", "/console/subjects/"+sid+"/campaign-content", nil)
	if p.status != 200 {
		t.Fatalf("page: %d %.500s", p.status, p.body)
	}
	mustShow(t, p, "Campaign content", "Demo Company LLC uses SMS", `name="message_samples[0]"`, `name="use_cases"`, "samples_opt_out",
		"privacy_policy_sms", `id="content-form"`, ">default<")
	csrf := p.csrf(t)
	form := func(desc string) url.Values {
		f := url.Values{"csrf": {csrf}, "description": {desc}, "use_cases": {"customer_care", "account_notification"}, "volume": {"low"}}
		// What the page shows, unchanged.
		for _, name := range []string{"consent_flow", "help_message", "opt_out_message", "privacy_policy_url", "terms_url"} {
			f.Set(name, fieldValue(t, p.body, name))
		}
		for _, n := range []string{"message_samples[0]", "message_samples[1]"} {
			f.Set(n, fieldValue(t, p.body, n))
		}
		return f
	}
	bad := b.raw("POST", "/console/subjects/"+sid+"/campaign-content", form("too short"))
	if bad.status != 400 {
		t.Fatalf("bad description: %d %.500s", bad.status, bad.body)
	}
	mustShow(t, bad, "description must be 40 to 4096 characters", `id="f-description-err"`, ">too short</textarea>")
	desc := "Demo Company texts account notifications to customers who asked for them on its site."
	ok := b.raw("POST", "/console/subjects/"+sid+"/campaign-content", form(desc))
	if ok.status != 303 {
		t.Fatalf("save: %d %.500s", ok.status, ok.body)
	}
	st, m := s.api("GET", "/v1/subjects/"+sid+"/campaign-content", s.testKey, "")
	if st != 200 || m["description"] != desc || strings.Join(toStrings(m["customized"]), ",") != "description" {
		t.Fatalf("stored: %d %v", st, m)
	}
	p = b.follow("GET", "/console/subjects/"+sid+"/campaign-content", nil)
	mustShow(t, p, desc)
}

// fieldValue is the value a form field of the page holds (an input's
// value or a textarea's text).
func fieldValue(t *testing.T, body, name string) string {
	t.Helper()
	if i := strings.Index(body, `name="`+name+`"`); i >= 0 {
		rest := body[i:]
		end := strings.Index(rest, ">")
		tag := rest[:end]
		if j := strings.Index(tag, `value="`); j >= 0 {
			v := tag[j+len(`value="`):]
			return htmlUnescape(v[:strings.Index(v, `"`)])
		}
		if k := strings.Index(rest, "</textarea>"); k >= 0 {
			return htmlUnescape(rest[end+1 : k])
		}
	}
	t.Fatalf("no field %s", name)
	return ""
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
