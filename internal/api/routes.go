package api

import (
	"net/http"
	"slices"
)

// routes registers the whole surface. Subject-scoped routes exist twice:
// on the caller's default subject and under /v1/subjects/{sid}/.
// Every route is documented in openapi.go; openapi_test.go fails on one
// that is not.
func (s *Server) routes() {
	m := registrar{s}
	m.Handle("GET /healthz", s.handle(s.healthz))
	m.Handle("GET /readyz", s.handle(s.readyz))
	m.Handle("GET /v1/openapi.json", s.handle(s.openapi))

	m.Handle("POST /v1/auth/login", s.handle(s.login))
	m.Handle("POST /v1/auth/logout", s.authed(s.logout))
	m.Handle("GET /v1/auth/whoami", s.authed(s.whoami))
	m.Handle("POST /v1/auth/password", s.authed(s.changePassword))
	m.Handle("GET /v1/auth/sessions", s.authed(s.listSessions))
	m.Handle("DELETE /v1/auth/sessions", s.authed(s.endSessions))
	m.Handle("POST /v1/auth/accept-invite", s.handle(s.acceptInvite))

	m.Handle("GET /v1/users", s.authed(s.listUsers))
	m.Handle("POST /v1/users", s.authed(s.inviteUser))
	m.Handle("PATCH /v1/users/{id}", s.authed(s.updateUser))
	m.Handle("DELETE /v1/users/{id}", s.authed(s.deleteUser))

	m.Handle("GET /v1/keys", s.authed(s.listKeys))
	m.Handle("POST /v1/keys", s.authed(s.createKey))
	m.Handle("DELETE /v1/keys/{id}", s.authed(s.revokeKey))

	m.Handle("GET /v1/subjects", s.authed(s.listSubjects))
	m.Handle("POST /v1/subjects", s.authed(s.createSubject))
	m.Handle("GET /v1/subjects/{sid}", s.authed(s.getSubject))
	m.Handle("PATCH /v1/subjects/{sid}", s.authed(s.updateSubject))
	m.Handle("DELETE /v1/subjects/{sid}", s.authed(s.deleteSubject))

	m.Handle("GET /v1/agents", s.authed(s.listAgents))
	m.Handle("POST /v1/agents", s.authed(s.createAgent))
	m.Handle("GET /v1/agents/{id}", s.authed(s.getAgent))
	m.Handle("PATCH /v1/agents/{id}", s.authed(s.updateAgent))
	m.Handle("DELETE /v1/agents/{id}", s.authed(s.deleteAgent))

	m.Handle("GET /v1/credits", s.authed(s.credits))
	m.Handle("GET /v1/credits/ledger", s.authed(s.ledger))
	m.Handle("POST /v1/credits/grant", s.phased(s.grant))

	m.Handle("GET /v1/account-kits", s.authed(s.listKits))
	m.Handle("POST /v1/account-kits", s.authed(s.createKit))
	m.Handle("GET /v1/account-kits/{id}", s.authed(s.getKit))
	m.Handle("PATCH /v1/account-kits/{id}", s.authed(s.updateKit))
	m.Handle("DELETE /v1/account-kits/{id}", s.authed(s.deleteKit))
	m.Handle("POST /v1/account-kits/{id}/subjects/{sid}/assign", s.authed(s.assignKit))

	m.Handle("GET /v1/approvals", s.authed(s.listApprovals))
	m.Handle("GET /v1/approvals/{id}", s.authed(s.getApproval))
	m.Handle("POST /v1/approvals/{id}/approve", s.authed(s.approve))
	m.Handle("POST /v1/approvals/{id}/deny", s.authed(s.deny))

	m.Handle("GET /v1/events", s.authed(s.listEvents))

	m.Handle("GET /v1/webhooks", s.authed(s.listWebhooks))
	m.Handle("POST /v1/webhooks", s.authed(s.createWebhook))
	m.Handle("GET /v1/webhooks/{id}", s.authed(s.getWebhook))
	m.Handle("DELETE /v1/webhooks/{id}", s.authed(s.deleteWebhook))
	m.Handle("POST /v1/webhooks/{id}/test", s.authed(s.testWebhook))
	m.Handle("GET /v1/webhooks/{id}/deliveries", s.authed(s.deliveries))
	m.Handle("POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend", s.authed(s.resendDelivery))

	m.Handle("POST /v1/sandbox/sms", s.authed(s.sandboxSMS))

	m.Handle("POST /webhooks/surge", s.handle(s.surgeWebhook))
	m.Handle("POST /webhooks/telnyx", s.handle(s.telnyxWebhook))

	for _, prefix := range []string{"/v1", "/v1/subjects/{sid}"} {
		m.Handle("GET "+prefix+"/formation", s.authed(s.getFormation))
		m.Handle("POST "+prefix+"/formation", s.authed(s.startFormation))
		m.Handle("GET "+prefix+"/campaign-content", s.authed(s.getCampaignContent))
		m.Handle("PATCH "+prefix+"/campaign-content", s.authed(s.updateCampaignContent))

		m.Handle("POST "+prefix+"/phone/provision", s.phased(s.provision))
		m.Handle("GET "+prefix+"/phone", s.authed(s.listPhones))
		m.Handle("GET "+prefix+"/phone/status", s.authed(s.phoneStatus))
		m.Handle("POST "+prefix+"/phone/campaign/resubmit", s.authed(s.resubmitCampaign))
		m.Handle("POST "+prefix+"/phone/brand-verification/resend", s.authed(s.resendBrandVerification))
		m.Handle("POST "+prefix+"/phone/brand-verification", s.authed(s.submitBrandVerification))
		m.Handle("GET "+prefix+"/phone/{id}", s.authed(s.getPhone))
		m.Handle("DELETE "+prefix+"/phone/{id}", s.phased(s.releasePhone))
		m.Handle("PATCH "+prefix+"/phone/{id}", s.authed(s.updatePhone))
		m.Handle("GET "+prefix+"/phone/preflight", s.authed(s.preflight))
		m.Handle("GET "+prefix+"/phone/available", s.authed(s.searchNumbers))
		m.Handle("POST "+prefix+"/phone/{id}/sms", s.phased(s.sendSMS))
		// GET /phone/{id}/campaign|messages|assignments and
		// GET /phone/messages/{id} overlap as patterns; one route reads both.
		m.Handle("GET "+prefix+"/phone/{id}/{sub}", s.authed(s.phoneSub))
		m.Handle("GET "+prefix+"/phone/{id}/messages/next", s.authed(s.nextMessage))
		m.Handle("POST "+prefix+"/phone/{id}/assign", s.authed(s.assign))
		m.Handle("DELETE "+prefix+"/phone/{id}/assign/{agent}", s.authed(s.unassign))
		m.Handle("DELETE "+prefix+"/phone/messages/{id}", s.authed(s.cancelMessage))
		m.Handle("POST "+prefix+"/phone/{id}/contacts/{e164}/consent", s.authed(s.recordConsent))
	}

	if s.cfg.MCP != nil {
		m.Handle("/mcp", s.cfg.MCP)
	}
	if s.cfg.Console != nil {
		// The web console: HTML pages for humans, not part of the REST API.
		m.Handle("/console/", s.cfg.Console)
		m.Handle("/{$}", http.HandlerFunc(s.root))
	}
	if s.cfg.Sandbox != nil {
		m.Handle("/sandbox/surge/", http.StripPrefix("/sandbox/surge", s.cfg.Sandbox))
	}
}

// registrar registers routes on the server's mux and records their
// patterns, so the OpenAPI test can hold the document to them.
type registrar struct{ s *Server }

func (m registrar) Handle(pattern string, h http.Handler) {
	m.s.mux.Handle(pattern, h)
	m.s.patterns = append(m.s.patterns, pattern)
}

// Patterns returns the patterns of every registered route, in order.
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }
