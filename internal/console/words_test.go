package console

import (
	"strings"
	"testing"
)

func TestHintsInConsoleWords(t *testing.T) {
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
		if got := inConsoleWords(in); got != want {
			t.Errorf("inConsoleWords(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	// Every route a service hint names has console words.
	for _, h := range []string{"Create one with POST /v1/agents, or list them with GET /v1/agents.", "A human can enable it: PATCH /v1/account-kits/{id} with primitives_config.phone.enabled true.",
		"Revoke its keys first (as a human: GET /v1/keys, then DELETE /v1/keys/{id} for each key with agent_id x).",
		"Wait for its next attempt (GET /v1/webhooks/01a23282-fb39-71d1-9d02-48c89fa6faa0/deliveries, or `naive webhooks deliveries 01a23282-fb39-71d1-9d02-48c89fa6faa0`, shows each), then resend it if it failed.",
		"Retry once GET /v1/phone/01a23282-2040-7abf-b767-8b37cf23cc09/campaign shows active.", "Poll GET /v1/subjects/01a23282-225a-775b-8422-2711ef61f8c8/formation until it completes.",
		"Ask a human of this operator to run `naive approvals approve <id>` (after `naive login`) or to approve it in the console; poll GET /v1/approvals/{id} meanwhile."} {
		if got := inConsoleWords(h); strings.Contains(got, "/v1/") || strings.Contains(got, "`naive") {
			t.Errorf("inConsoleWords(%q) = %q: still in the API's or the CLI's words", h, got)
		}
	}
}
