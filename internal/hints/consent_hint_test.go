package hints

import (
	"strings"
	"testing"
)

// The consent and scheduling hints the service writes name each
// surface's own way to do it.
func TestConsentHints(t *testing.T) {
	phone := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	consent := "Record how they opted in first: POST /v1/phone/" + phone + "/contacts/+14155550123/consent {\"basis\":\"express_written\",\"evidence_url\":\"https://…\"}; a contact who texts the number first counts as consent (conversation)."
	quiet := "Send it again after retry_at, or now with \"schedule\": true to have it sent then (charged when it goes): POST /v1/phone/" + phone + "/sms."
	cancel := "Cancel it with DELETE /v1/phone/messages/" + phone + "."
	for _, c := range []struct {
		s          Surface
		hint, want string
	}{
		{REST, consent, "POST /v1/phone/" + phone + "/contacts/+14155550123/consent"},
		{CLI, consent, "`naive phone consent " + phone + " +14155550123 --basis express_written"},
		{MCP, consent, "naive_phone_record_consent;"},
		{CLI, quiet, "`naive phone send --from " + phone + " … --schedule`."},
		{MCP, quiet, "naive_phone_send with schedule true."},
		{CLI, cancel, "`naive phone cancel " + phone + "`."},
		{MCP, cancel, "naive_phone_cancel."},
	} {
		got := For(c.s, c.hint)
		if !strings.Contains(got, c.want) {
			t.Errorf("surface %d: %q\nwant it to contain %q", c.s, got, c.want)
		}
		if c.s != REST && strings.Contains(got, "/v1/") {
			t.Errorf("surface %d keeps a route: %q", c.s, got)
		}
	}
}
