package naive

import "time"

// Role is what a human of an operator may do. Agents (API keys) have no
// role: human roles never restrict them.
type Role string

// Roles, from most to least able.
const (
	// RoleOwner may do everything, managing people included.
	RoleOwner Role = "owner"
	// RoleApprover may approve and deny approvals and read everything;
	// it creates, changes and grants nothing else.
	RoleApprover Role = "approver"
	// RoleViewer may only read.
	RoleViewer Role = "viewer"
)

// Roles lists the roles, most able first.
func Roles() []Role { return []Role{RoleOwner, RoleApprover, RoleViewer} }

// Valid reports whether r is a known role ("" is not).
func (r Role) Valid() bool { return r == RoleOwner || r == RoleApprover || r == RoleViewer }

// EffectiveRole returns r, or owner for "": users stored before roles
// existed, the bootstrapped admin among them, are owners.
func (r Role) EffectiveRole() Role {
	if r == "" {
		return RoleOwner
	}
	return r
}

// User statuses.
const (
	UserActive  = "active"
	UserInvited = "invited"
)

// InviteLifetime is how long an invite token can be accepted.
const InviteLifetime = 7 * 24 * time.Hour

// InviteRequest is the body of POST /v1/users.
type InviteRequest struct {
	Email string `json:"email"`
	Role  Role   `json:"role"`
}

// UserPatch is the body of PATCH /v1/users/{id}; nil fields are kept.
type UserPatch struct {
	Role *Role `json:"role,omitempty"`
}

// Invitation answers POST /v1/users: the invited user and the invite
// token, shown once.
type Invitation struct {
	User User `json:"user"`
	// InviteToken is the secret the invited human accepts with
	// (POST /v1/auth/accept-invite); only its hash is stored.
	InviteToken string `json:"invite_token"`
	// InviteURL is the console page that accepts it, relative to the
	// server: /console/invite?token=….
	InviteURL string    `json:"invite_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AcceptInviteRequest is the body of POST /v1/auth/accept-invite.
type AcceptInviteRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}
