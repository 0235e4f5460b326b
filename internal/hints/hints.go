// Package hints puts an error's hint in the words of the surface it
// arrives on. The service writes hints once, naming REST routes (and, now
// and then, a CLI command beside one, "(or `naive …`)"); each front door
// renders them for its reader: the REST API keeps the routes, the CLI
// names its commands, the MCP server its tools, the console its pages.
package hints

import (
	"regexp"
	"strings"
)

// Surface is a front door.
type Surface int

// The surfaces.
const (
	REST Surface = iota
	CLI
	MCP
	Console
)

// route is one REST route a hint may name, in each surface's words. $1,
// $2 are the route's ids (or placeholders) as matched.
type route struct {
	re                *regexp.Regexp
	cli, mcp, console string
}

// routes are the routes hints name, the most specific first.
var routes = []route{
	{re: pattern(`(GET|PATCH) /v1/subjects/(ID)/campaign-content`), cli: "`naive subjects campaign-content set $2`", mcp: "naive_campaign_content_update",
		console: "the subject's Campaign content page (/console/subjects/$2/campaign-content)"},
	{re: pattern(`(GET|PATCH) /v1/campaign-content`), cli: "`naive subjects campaign-content get`", mcp: "naive_campaign_content_get",
		console: "the subject's Campaign content page"},
	{re: pattern(`POST /v1/subjects/(ID)/phone/campaign/resubmit`), cli: "`naive --subject $1 phone campaign resubmit`", mcp: "naive_campaign_resubmit",
		console: "Resubmit on the subject's page (/console/subjects/$1)"},
	{re: pattern(`POST /v1/phone/campaign/resubmit`), cli: "`naive phone campaign resubmit`", mcp: "naive_campaign_resubmit",
		console: "Resubmit on the subject's page"},
	{re: pattern(`POST /v1/approvals/(ID)/approve`), cli: "`naive approvals approve $1`", mcp: "the approval's page in the console (humans approve; agents cannot)",
		console: "Approve on the approval's page (/console/approvals/$1)"},
	{re: pattern(`GET /v1/approvals/(ID)`), cli: "`naive approvals get $1` (or `naive approvals watch $1`)", mcp: "naive_approvals_get",
		console: "the approval's page (/console/approvals/$1)"},
	{re: pattern(`POST /v1/credits/grant`), cli: "`naive credits grant <amount>` (as a human)", mcp: "the console's Credits page (a human's job)", console: "the Credits page (/console/credits)"},
	{re: pattern(`GET /v1/credits(/ledger)?`), cli: "`naive credits`", mcp: "naive_status", console: "the Credits page (/console/credits)"},
	{re: pattern(`POST /v1/auth/login`), cli: "`naive login`", mcp: "the console's login page (a human's job)", console: "the login page"},
	{re: pattern(`(POST|GET) /v1/subjects/(ID)/formation`), cli: "`naive subjects formation $2`", mcp: "the subject's page in the console (a human's job)",
		console: "the subject's page (/console/subjects/$2)"},
	{re: pattern(`GET /v1/subjects/(ID)/phone`), cli: "`naive phone list --subject $1`", mcp: "naive_phone_list",
		console: "the subject's numbers (/console/numbers?subject=${1})"},
	{re: pattern(`DELETE /v1/subjects/(ID)/phone/(ID)`), cli: "`naive phone release <phone-id> --subject $1`", mcp: "naive_phone_release",
		console: "Release on each number's page"},
	{re: pattern(`PATCH /v1/subjects/(ID)`), cli: "`naive subjects update $1`", mcp: "the subject's profile in the console (a human's job)",
		console: "the subject's Edit profile page (/console/subjects/$1/edit)"},
	{re: pattern(`POST /v1/subjects`), cli: "`naive subjects create`", mcp: "the console's Subjects page (a human's job)", console: "New subject on the Subjects page (/console/subjects/new)"},
	{re: pattern(`POST /v1/phone/provision`), cli: "`naive phone provision`", mcp: "naive_phone_provision", console: "the Buy a number page (/console/numbers/new)"},
	{re: pattern(`GET /v1/phone/preflight`), cli: "`naive phone preflight`", mcp: "naive_phone_preflight",
		console: "the Buy a number page (/console/numbers/new), which checks first"},
	{re: pattern(`GET /v1/phone/available`), cli: "`naive phone search`", mcp: "naive_phone_search",
		console: "Find numbers for sale on the Buy a number page (/console/numbers/new)"},
	{re: pattern(`POST /v1/subjects/(ID)/phone/brand-verification(?: \{[^}]*\})?`), cli: "`naive --subject $1 phone brand-verification submit --code <code>`",
		mcp: "naive_brand_verification_submit", console: "the verification code form on the subject's page (/console/subjects/$1)"},
	{re: pattern(`POST /v1/phone/brand-verification(?: \{[^}]*\})?`), cli: "`naive phone brand-verification submit --code <code>`",
		mcp: "naive_brand_verification_submit", console: "the verification code form on the subject's page"},
	{re: pattern(`POST /v1/phone/brand-verification/resend`), cli: "`naive phone brand-verification resend`", mcp: "naive_brand_verification_resend",
		console: "Resend the verification text on the subject's page"},
	{re: pattern(`GET /v1/phone/status`), cli: "`naive phone status`", mcp: "naive_phone_status", console: "the subject's page (its pipeline)"},
	{re: pattern(`GET /v1/phone/(ID)/messages/next`), cli: "`naive phone wait $1`", mcp: "naive_phone_wait_for_text", console: "the number's page (its texts)"},
	{re: pattern(`GET /v1/phone/(ID)/messages`), cli: "`naive phone messages $1`", mcp: "naive_phone_messages", console: "the number's page (its texts)"},
	{re: pattern(`GET /v1/phone/messages/(ID)`), cli: "`naive phone read $1`", mcp: "naive_phone_read", console: "the number's page (its texts)"},
	{re: pattern(`DELETE /v1/phone/messages/(ID)`), cli: "`naive phone cancel $1`", mcp: "naive_phone_cancel",
		console: "the CLI's `naive phone cancel $1` (the console does not cancel texts)"},
	{re: pattern(`POST /v1/phone/(ID)/contacts/(\+[0-9]+|ID)/consent(?: \{[^}]*\})?`), cli: "`naive phone consent $1 $2 --basis express_written --evidence-url https://…`",
		mcp: "naive_phone_record_consent", console: "the CLI's `naive phone consent $1 $2 --basis …` (the console does not record consent)"},
	{re: pattern(`GET /v1/phone/(ID)/contacts`), cli: "`naive phone contacts $1`", mcp: "naive_phone_contacts",
		console: "the CLI's `naive phone contacts $1`"},
	{re: pattern(`POST /v1/phone/(ID)/sms`), cli: "`naive phone send --from $1 … --schedule`", mcp: "naive_phone_send with schedule true",
		console: "the CLI's `naive phone send --schedule`"},
	{re: pattern(`(GET|DELETE) /v1/phone/(ID)/campaign`), cli: "`naive phone campaign $2`", mcp: "naive_phone_status",
		console: "the number's page (/console/numbers/$2)"},
	{re: pattern(`POST /v1/phone/(ID)/assign`), cli: "`naive phone assign $1`", mcp: "naive_phone_assign",
		console: "Assign an agent on the number's page (/console/numbers/$1)"},
	{re: pattern(`DELETE /v1/phone/(ID)`), cli: "`naive phone release $1`", mcp: "naive_phone_release",
		console: "Release on the number's page (/console/numbers/$1)"},
	{re: pattern(`GET /v1/phone/(ID)`), cli: "`naive phone get $1`", mcp: "naive_phone_get", console: "the number's page (/console/numbers/$1)"},
	{re: pattern(`GET /v1/phone`), cli: "`naive phone list`", mcp: "naive_phone_list", console: "the Numbers page (/console/numbers)"},
	{re: pattern(`PATCH /v1/agents/(ID)`), cli: "`naive agents update $1`", mcp: "the agent's page in the console", console: "the agent's page (/console/agents/$1)"},
	{re: pattern(`POST /v1/agents`), cli: "`naive agents create`", mcp: "the console's Agents page", console: "the Agents page (/console/agents)"},
	{re: pattern(`GET /v1/agents`), cli: "`naive agents list`", mcp: "the console's Agents page", console: "the Agents page (/console/agents)"},
	{re: pattern(`DELETE /v1/keys/(ID)`), cli: "`naive keys revoke $1`", mcp: "the console's Keys page (a human's job)", console: "Revoke on the Keys page (/console/keys)"},
	{re: pattern(`(GET|POST) /v1/keys`), cli: "`naive keys list`", mcp: "the console's Keys page (a human's job)", console: "the Keys page (/console/keys)"},
	{re: pattern(`PATCH /v1/account-kits/(ID)`), cli: "a new kit (`naive kits create`, then `naive kits assign`)", mcp: "the kit's page in the console (a human's job)",
		console: "the kit's page (/console/kits/$1)"},
	{re: pattern(`GET /v1/webhooks/(ID)/deliveries`), cli: "`naive webhooks deliveries $1`", mcp: "the endpoint's page in the console",
		console: "the endpoint's page (/console/webhooks/$1)"},
	{re: pattern(`POST /v1/webhooks/(ID)/test`), cli: "`naive webhooks test $1`", mcp: "the endpoint's page in the console",
		console: "Send a test event on the endpoint's page (/console/webhooks/$1)"},
	{re: pattern(`PATCH /v1/users/(ID)`), cli: "`naive users set-role $1 --role …`", mcp: "the console's Users page (an owner's job)",
		console: "the Users page (/console/users)"},
	{re: pattern(`DELETE /v1/users/(ID)`), cli: "`naive users remove $1`", mcp: "the console's Users page (an owner's job)",
		console: "the Users page (/console/users)"},
	{re: pattern(`(GET|POST) /v1/users`), cli: "`naive users list`", mcp: "the console's Users page (an owner's job)",
		console: "the Users page (/console/users)"},
	{re: pattern(`GET /v1/events`), cli: "`naive events list`", mcp: "the console's Events page", console: "the Events page (/console/events)"},
}

// pattern compiles a route pattern: ID stands for an id or a
// placeholder. The route must end there: the character after it, kept as
// ${end}, is not part of a longer path.
func pattern(p string) *regexp.Regexp {
	return regexp.MustCompile(`\b` + strings.ReplaceAll(p, "ID", `[0-9a-fA-F-]{8,}|\{[a-z_]+\}|<[a-z_-]+>`) + `(?P<end>$|[^\w/{}<>-])`)
}

var (
	// cliBeside is a route followed by the CLI command doing the same:
	// the CLI keeps the command alone.
	cliBeside = regexp.MustCompile("\\b(GET|POST|PATCH|DELETE) /v1/[^\\s,;)]*\\s*\\((?:or|after) (`naive [^`]*`)\\)")
	// cliMentions are the CLI alternatives a hint offers beside a route.
	cliMentions = []*regexp.Regexp{
		regexp.MustCompile(`\s*\((?:or|after) ` + "`naive [^`]*`" + `\)`),
		regexp.MustCompile(`,? or ` + "`naive [^`]*`"),
	}
	// restMentions are REST routes a hint offers beside a CLI command.
	restMentions = regexp.MustCompile(`\b(GET|POST|PATCH|DELETE) /v1/[^\s,;)]*( or )`)
)

// For rewrites hint for surface s.
func For(s Surface, hint string) string {
	switch s {
	case REST:
		// Routes stay; CLI commands beside them go.
		for _, re := range cliMentions {
			hint = re.ReplaceAllString(hint, "")
		}
		return hint
	case CLI:
		hint = cliBeside.ReplaceAllString(hint, "$2")
		hint = restMentions.ReplaceAllString(hint, "")
	default:
		for _, re := range cliMentions {
			hint = re.ReplaceAllString(hint, "")
		}
	}
	for _, r := range routes {
		with := r.console
		switch s {
		case CLI:
			with = r.cli
		case MCP:
			with = r.mcp
		}
		hint = r.re.ReplaceAllString(hint, with+"${end}")
	}
	return hint
}
