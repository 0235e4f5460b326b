package console

import (
	"regexp"
	"strings"
)

// The service's hints name what to do in the REST API's words (routes,
// sometimes a CLI command beside them). A human in the console is told
// the same in the console's: the page or button that does it.

// consoleRoutes rewrites REST routes in a hint to console pages, the
// most specific first. Ids (a UUID or a {placeholder}) are kept where the
// page takes one.
var consoleRoutes = []struct {
	re   *regexp.Regexp
	with string
}{
	{route(`POST /v1/approvals/(ID)/approve`), "Approve on the approval's page (/console/approvals/$1)"},
	{route(`GET /v1/approvals/(ID)`), "the approval's page (/console/approvals/$1)"},
	{route(`POST /v1/credits/grant`), "the Credits page (/console/credits)"},
	{route(`GET /v1/credits(/ledger)?`), "the Credits page (/console/credits)"},
	{route(`POST /v1/auth/login`), "the login page"},
	{route(`(POST|GET) /v1/subjects/(ID)/formation`), "the subject's page (/console/subjects/$2)"},
	{route(`GET /v1/subjects/(ID)/phone`), "the subject's numbers (/console/numbers?subject=${1})"},
	{route(`DELETE /v1/subjects/(ID)/phone/(ID)`), "Release on each number's page"},
	{route(`PATCH /v1/subjects/(ID)`), "the subject's Edit profile page (/console/subjects/$1/edit)"},
	{route(`POST /v1/subjects`), "New subject on the Subjects page (/console/subjects/new)"},
	{route(`POST /v1/phone/provision`), "the Buy a number page (/console/numbers/new)"},
	{route(`GET /v1/phone/preflight`), "the Buy a number page (/console/numbers/new), which checks first"},
	{route(`GET /v1/phone/status`), "the subject's page (its pipeline)"},
	{route(`GET /v1/phone/messages/(ID)`), "the number's page (its texts)"},
	{route(`(GET|DELETE) /v1/phone/(ID)/campaign`), "the number's page (/console/numbers/$2)"},
	{route(`POST /v1/phone/(ID)/assign`), "Assign an agent on the number's page (/console/numbers/$1)"},
	{route(`DELETE /v1/phone/(ID)`), "Release on the number's page (/console/numbers/$1)"},
	{route(`GET /v1/phone/(ID)`), "the number's page (/console/numbers/$1)"},
	{route(`GET /v1/phone`), "the Numbers page (/console/numbers)"},
	{route(`PATCH /v1/agents/(ID)`), "the agent's page (/console/agents/$1)"},
	{route(`(GET|POST) /v1/agents`), "the Agents page (/console/agents)"},
	{route(`DELETE /v1/keys/(ID)`), "Revoke on the Keys page (/console/keys)"},
	{route(`(GET|POST) /v1/keys`), "the Keys page (/console/keys)"},
	{route(`PATCH /v1/account-kits/(ID)`), "the kit's page (/console/kits/$1)"},
	{route(`GET /v1/webhooks/(ID)/deliveries`), "the endpoint's page (/console/webhooks/$1)"},
	{route(`POST /v1/webhooks/(ID)/test`), "Send a test event on the endpoint's page (/console/webhooks/$1)"},
	{route(`GET /v1/events`), "the Events page (/console/events)"},
}

// route compiles a route pattern: ID stands for an id or a placeholder.
// The route must end there (the character after it, kept as ${end}, is
// not part of a longer path).
func route(p string) *regexp.Regexp {
	return regexp.MustCompile(`\b` + strings.ReplaceAll(p, "ID", `[0-9a-fA-F-]{8,}|\{[a-z_]+\}|<[a-z_-]+>`) + `(?P<end>$|[^\w/{}<>-])`)
}

// cliMentions are the CLI alternatives a hint offers beside a route: in
// the console they are noise.
var cliMentions = []*regexp.Regexp{
	regexp.MustCompile(`\s*\((?:or|after) ` + "`naive [^`]*`" + `\)`),
	regexp.MustCompile(`,? or ` + "`naive [^`]*`"),
	regexp.MustCompile("`naive [^`]*`" + `,? or `),
}

// inConsoleWords rewrites a hint for a human in the console.
func inConsoleWords(hint string) string {
	for _, re := range cliMentions {
		hint = re.ReplaceAllString(hint, "")
	}
	for _, r := range consoleRoutes {
		hint = r.re.ReplaceAllString(hint, r.with+"${end}")
	}
	return hint
}
