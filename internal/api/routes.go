package api

import "net/http"

// routes registers the whole surface. Subject-scoped routes exist twice:
// on the caller's default subject and under /v1/subjects/{sid}/.
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /healthz", s.handle(s.healthz))
	m.Handle("GET /readyz", s.handle(s.readyz))

	m.Handle("POST /v1/auth/login", s.handle(s.login))
	m.Handle("POST /v1/auth/logout", s.authed(s.logout))
	m.Handle("GET /v1/auth/whoami", s.authed(s.whoami))

	m.Handle("GET /v1/keys", s.authed(s.listKeys))
	m.Handle("POST /v1/keys", s.authed(s.createKey))
	m.Handle("DELETE /v1/keys/{id}", s.authed(s.revokeKey))

	m.Handle("GET /v1/subjects", s.authed(s.listSubjects))
	m.Handle("POST /v1/subjects", s.authed(s.createSubject))
	m.Handle("GET /v1/subjects/{sid}", s.authed(s.getSubject))
	m.Handle("PATCH /v1/subjects/{sid}", s.authed(s.updateSubject))

	m.Handle("GET /v1/agents", s.authed(s.listAgents))
	m.Handle("POST /v1/agents", s.authed(s.createAgent))
	m.Handle("GET /v1/agents/{id}", s.authed(s.getAgent))

	m.Handle("GET /v1/credits", s.authed(s.credits))
	m.Handle("GET /v1/credits/ledger", s.authed(s.ledger))
	m.Handle("POST /v1/credits/grant", s.authed(s.grant))

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

	m.Handle("POST /webhooks/surge", s.handle(s.surgeWebhook))

	for _, prefix := range []string{"/v1", "/v1/subjects/{sid}"} {
		m.Handle("GET "+prefix+"/formation", s.authed(s.getFormation))
		m.Handle("POST "+prefix+"/formation", s.authed(s.startFormation))

		m.Handle("POST "+prefix+"/phone/provision", s.authed(s.provision))
		m.Handle("GET "+prefix+"/phone", s.authed(s.listPhones))
		m.Handle("GET "+prefix+"/phone/status", s.authed(s.phoneStatus))
		m.Handle("GET "+prefix+"/phone/{id}", s.authed(s.getPhone))
		m.Handle("DELETE "+prefix+"/phone/{id}", s.authed(s.releasePhone))
		m.Handle("GET "+prefix+"/phone/{id}/campaign", s.authed(s.phoneCampaign))
		m.Handle("GET "+prefix+"/phone/preflight", s.authed(s.preflight))
	}

	if s.cfg.MCP != nil {
		m.Handle("/mcp", s.cfg.MCP)
	}
	if s.cfg.Sandbox != nil {
		m.Handle("/sandbox/surge/", http.StripPrefix("/sandbox/surge", s.cfg.Sandbox))
	}
}
