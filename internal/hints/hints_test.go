package hints

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestConsoleWords(t *testing.T) {
	for in, want := range map[string]string{
		"A human can add credits with POST /v1/credits/grant (or `naive credits grant`); do not retry until then.":                                                            "A human can add credits with the Credits page (/console/credits); do not retry until then.",
		"Poll GET /v1/approvals/01a23282-229b-7d45-90de-b716efd5817c for its result; do not approve again.":                                                                   "Poll the approval's page (/console/approvals/01a23282-229b-7d45-90de-b716efd5817c) for its result; do not approve again.",
		"Log in again: POST /v1/auth/login or `naive login`.":                                                                                                                 "Log in again: the login page.",
		"Fix it with PATCH /v1/subjects/01a23282-225a-775b-8422-2711ef61f8c8, then retry.":                                                                                    "Fix it with the subject's Edit profile page (/console/subjects/01a23282-225a-775b-8422-2711ef61f8c8/edit), then retry.",
		"Release them first: GET /v1/subjects/01a23282-225a-775b-8422-2711ef61f8c8/phone, then DELETE /v1/subjects/01a23282-225a-775b-8422-2711ef61f8c8/phone/{id} for each.": "Release them first: the subject's numbers (/console/numbers?subject=01a23282-225a-775b-8422-2711ef61f8c8), then Release on each number's page for each.",
		"Released numbers cannot be recovered; provision a new one with POST /v1/phone/provision.":                                                                            "Released numbers cannot be recovered; provision a new one with the Buy a number page (/console/numbers/new).",
		"Send from an active number: GET /v1/phone.":                                                                                                                          "Send from an active number: the Numbers page (/console/numbers).",
		"Check the number: GET /v1/phone/01a23282-2040-7abf-b767-8b37cf23cc09 shows it.":                                                                                      "Check the number: the number's page (/console/numbers/01a23282-2040-7abf-b767-8b37cf23cc09) shows it.",
		"Nothing to do here.": "Nothing to do here.",
	} {
		if got := For(Console, in); got != want {
			t.Errorf("For(Console, %q)\n got %q\nwant %q", in, got, want)
		}
	}
	// Every route a service hint names has console words.
	for _, h := range []string{"Create one with POST /v1/agents, or list them with GET /v1/agents.", "A human can enable it: PATCH /v1/account-kits/{id} with primitives_config.phone.enabled true.",
		"Revoke its keys first (as a human: GET /v1/keys, then DELETE /v1/keys/{id} for each key with agent_id x).",
		"Wait for its next attempt, then resend it if it failed: GET /v1/webhooks/01a23282-fb39-71d1-9d02-48c89fa6faa0/deliveries (or `naive webhooks deliveries 01a23282-fb39-71d1-9d02-48c89fa6faa0`) shows each attempt.",
		"Retry once GET /v1/phone/01a23282-2040-7abf-b767-8b37cf23cc09/campaign shows active.", "Poll GET /v1/subjects/01a23282-225a-775b-8422-2711ef61f8c8/formation until it completes.",
		"Ask a human of this operator to approve it: POST /v1/approvals/{id}/approve, or in the console. Poll GET /v1/approvals/{id} meanwhile."} {
		if got := For(Console, h); strings.Contains(got, "/v1/") || strings.Contains(got, "`naive") {
			t.Errorf("For(Console, %q) = %q: still in the API's or the CLI's words", h, got)
		}
	}
}

func TestEachSurfaceWords(t *testing.T) {
	const id = "01a23282-225a-775b-8422-2711ef61f8c8"
	for _, c := range []struct {
		in             string
		rest, cli, mcp string
	}{
		{"A human can add credits with POST /v1/credits/grant (or `naive credits grant`); do not retry until then.",
			"A human can add credits with POST /v1/credits/grant; do not retry until then.",
			"A human can add credits with `naive credits grant`; do not retry until then.",
			"A human can add credits with the console's Credits page (a human's job); do not retry until then."},
		{"Log in again: POST /v1/auth/login or `naive login`.", "Log in again: POST /v1/auth/login.", "Log in again: `naive login`.",
			"Log in again: the console's login page (a human's job)."},
		{"Fill these fields with PATCH /v1/subjects/" + id + ", then retry.", "Fill these fields with PATCH /v1/subjects/" + id + ", then retry.",
			"Fill these fields with `naive subjects update " + id + "`, then retry.",
			"Fill these fields with the subject's profile in the console (a human's job), then retry."},
		{"Send from an active number: GET /v1/phone.", "Send from an active number: GET /v1/phone.",
			"Send from an active number: `naive phone list`.", "Send from an active number: naive_phone_list."},
		{"Its texts stay readable at GET /v1/phone/" + id + "/messages; wait on GET /v1/phone/" + id + "/messages/next.",
			"Its texts stay readable at GET /v1/phone/" + id + "/messages; wait on GET /v1/phone/" + id + "/messages/next.",
			"Its texts stay readable at `naive phone messages " + id + "`; wait on `naive phone wait " + id + "`.",
			"Its texts stay readable at naive_phone_messages; wait on naive_phone_wait_for_text."},
	} {
		for s, want := range map[Surface]string{REST: c.rest, CLI: c.cli, MCP: c.mcp} {
			if got := For(s, c.in); got != want {
				t.Errorf("For(%d, %q)\n got %q\nwant %q", s, c.in, got, want)
			}
		}
	}
}

// TestEveryServiceHint renders every hint the service writes on every
// surface: none names a REST route outside REST, nor a CLI command in
// REST's or MCP's.
func TestEveryServiceHint(t *testing.T) {
	files, err := filepath.Glob("../service/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("service sources: %v", err)
	}
	hintRE := regexp.MustCompile(`WithHint\("((?:[^"\\]|\\.)*)"`)
	verbRE := regexp.MustCompile(`%[sdqv]`)
	cliCmdRE := regexp.MustCompile("`naive [^`]*`")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range hintRE.FindAllStringSubmatch(string(b), -1) {
			h, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				t.Fatalf("%s: %q: %v", f, m[1], err)
			}
			h = verbRE.ReplaceAllString(h, "01a23282-2040-7abf-b767-8b37cf23cc09")
			n++
			for _, s := range []Surface{CLI, MCP, Console} {
				if got := For(s, h); strings.Contains(got, "/v1/") {
					t.Errorf("%s: surface %d still names a route: %q → %q", filepath.Base(f), s, h, got)
				}
			}
			// A route and its CLI twin become one command, never the same twice.
			seen := map[string]bool{}
			for _, cmd := range cliCmdRE.FindAllString(For(CLI, h), -1) {
				if seen[cmd] {
					t.Errorf("%s: the CLI hint names %s twice: %q → %q", filepath.Base(f), cmd, h, For(CLI, h))
				}
				seen[cmd] = true
			}
			if filepath.Base(f) == "operators.go" {
				continue // the server administrator's commands: the CLI alone runs them
			}
			for _, s := range []Surface{REST, MCP} {
				if got := For(s, h); strings.Contains(got, "`naive ") && !strings.Contains(h, "naive login") {
					t.Errorf("%s: surface %d names a CLI command: %q → %q", filepath.Base(f), s, h, got)
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("read only %d hints from the service", n)
	}
}
