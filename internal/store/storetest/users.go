package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testPeople checks roles, invites and the last-owner rule: ListUsers,
// CreateInvitedUser, AcceptInvite, UpdateUserRole, DeleteUser, and the
// role GetSessionByHash reads with a session.
func testPeople(t *testing.T, b *bundle) {
	// The seeded admin was stored without a role: an owner.
	admin, err := b.s.GetUser(b.ctx, b.user.ID)
	must(t, err)
	equal(t, "seeded user's role", admin.Role, naive.RoleOwner)

	at := now()
	inv := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "Ada@Example.com", Role: naive.RoleApprover, CreatedAt: at}
	must(t, b.s.CreateInvitedUser(b.ctx, inv, "invite-"+inv.ID, at.Add(time.Hour)))
	equal(t, "invited status", inv.Status, naive.UserInvited)
	dup := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "ADA@example.com", Role: naive.RoleViewer, CreatedAt: at}
	wantErr(t, b.s.CreateInvitedUser(b.ctx, dup, "invite-"+dup.ID, at.Add(time.Hour)), store.ErrConflict)
	_, err = b.s.GetUser(b.ctx, dup.ID)
	wantErr(t, err, store.ErrNotFound) // nothing of the refused invite stays

	l := must2(b.s.ListUsers(b.ctx, b.op.ID, naive.Page{}))(t)
	equal(t, "users, newest first", ids(l, func(u naive.User) string { return u.ID }), []string{inv.ID, b.user.ID})
	equal(t, "statuses", []string{l[0].Status, l[1].Status}, []string{naive.UserInvited, naive.UserActive})
	equal(t, "listed invitee", l[0].Email, "Ada@Example.com")
	l = must2(b.s.ListUsers(b.ctx, b.op.ID, naive.Page{Limit: 1, After: inv.ID}))(t)
	equal(t, "second page", ids(l, func(u naive.User) string { return u.ID }), []string{b.user.ID})
	empty(t, "another operator's users", must2(b.s.ListUsers(b.ctx, b.other.OperatorID, naive.Page{}))(t))

	// Accepting: an expired or unknown token is not found; the right one
	// works once and opens a session carrying the role.
	sess := &naive.Session{ID: newID(), TokenHash: "sess-" + newID(), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	_, err = b.s.AcceptInvite(b.ctx, "invite-"+inv.ID, "pw-hash", at.Add(2*time.Hour), sess)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.AcceptInvite(b.ctx, "wrong", "pw-hash", at, sess)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetSessionByHash(b.ctx, sess.TokenHash, at)
	wantErr(t, err, store.ErrNotFound)
	u, err := b.s.AcceptInvite(b.ctx, "invite-"+inv.ID, "pw-hash", at.Add(time.Minute), sess)
	must(t, err)
	equal(t, "accepted user", []string{u.ID, u.PasswordHash, string(u.Role), u.Status}, []string{inv.ID, "pw-hash", "approver", naive.UserActive})
	equal(t, "session's user", []string{sess.UserID, sess.OperatorID}, []string{inv.ID, b.op.ID})
	got, err := b.s.GetSessionByHash(b.ctx, sess.TokenHash, at)
	must(t, err)
	equal(t, "session role", got.Role, naive.RoleApprover)
	again := &naive.Session{ID: newID(), TokenHash: "sess-" + newID(), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	_, err = b.s.AcceptInvite(b.ctx, "invite-"+inv.ID, "other-hash", at.Add(time.Minute), again)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetSessionByHash(b.ctx, again.TokenHash, at)
	wantErr(t, err, store.ErrNotFound)
	if u, _ := b.s.GetUser(b.ctx, inv.ID); u.PasswordHash != "pw-hash" {
		t.Fatalf("a second acceptance changed the password to %q", u.PasswordHash)
	}

	// Roles change, and the session reads the new one at once.
	u, err = b.s.UpdateUserRole(b.ctx, b.op.ID, inv.ID, naive.RoleViewer)
	must(t, err)
	equal(t, "updated role", u.Role, naive.RoleViewer)
	got = must2(b.s.GetSessionByHash(b.ctx, sess.TokenHash, at))(t)
	equal(t, "session role after the change", got.Role, naive.RoleViewer)
	_, err = b.s.UpdateUserRole(b.ctx, b.other.OperatorID, inv.ID, naive.RoleOwner)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, newID(), naive.RoleOwner)
	wantErr(t, err, store.ErrNotFound)

	// The last owner can be neither demoted nor deleted; with a second
	// active owner, one of them can.
	_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleApprover)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.DeleteUser(b.ctx, b.op.ID, b.user.ID)
	wantErr(t, err, store.ErrConflict)
	// An owner who has not accepted an invite yet does not count.
	pending := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "pending-" + newID() + "@example.com", Role: naive.RoleOwner, CreatedAt: at}
	must(t, b.s.CreateInvitedUser(b.ctx, pending, "invite-"+pending.ID, at.Add(time.Hour)))
	_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleViewer)
	wantErr(t, err, store.ErrConflict)
	_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleOwner) // keeping owner is fine
	must(t, err)
	n, err := b.s.DeleteUser(b.ctx, b.op.ID, pending.ID)
	must(t, err)
	equal(t, "sessions of a pending invitee", n, 0)

	must2(b.s.UpdateUserRole(b.ctx, b.op.ID, inv.ID, naive.RoleOwner))(t)
	must2(b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleApprover))(t)
	_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, inv.ID, naive.RoleApprover)
	wantErr(t, err, store.ErrConflict)

	// Deleting ends the user's sessions.
	_, err = b.s.DeleteUser(b.ctx, b.other.OperatorID, b.user.ID)
	wantErr(t, err, store.ErrNotFound)
	s2 := &naive.Session{ID: newID(), UserID: b.user.ID, OperatorID: b.op.ID, TokenHash: "sess-" + newID(), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	must(t, b.s.CreateSession(b.ctx, s2))
	n, err = b.s.DeleteUser(b.ctx, b.op.ID, b.user.ID)
	must(t, err)
	equal(t, "ended sessions", n, 1)
	_, err = b.s.GetSessionByHash(b.ctx, s2.TokenHash, at)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.GetUser(b.ctx, b.user.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = b.s.DeleteUser(b.ctx, b.op.ID, b.user.ID)
	wantErr(t, err, store.ErrNotFound)
	// The email is free again.
	re := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: b.user.Email, Role: naive.RoleViewer, CreatedAt: at}
	must(t, b.s.CreateInvitedUser(b.ctx, re, "invite-"+re.ID, at.Add(time.Hour)))
}

// testLastOwnerConcurrent demotes (or deletes) two owners at once, many
// times over: exactly one change may pass each time, never both.
func testLastOwnerConcurrent(t *testing.T, b *bundle) {
	for round := range 8 {
		at := now()
		second := &naive.User{ID: newID(), OperatorID: b.op.ID, Email: "owner-" + newID() + "@example.com", Role: naive.RoleOwner, CreatedAt: at}
		must(t, b.s.CreateUser(b.ctx, second))
		must2(b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleOwner))(t)
		var passed, conflicts atomic.Int32
		targets := []string{b.user.ID, second.ID}
		concurrently(2, func(i int) {
			var err error
			if round%2 == 0 {
				_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, targets[i], naive.RoleViewer)
			} else if i == 0 {
				_, err = b.s.UpdateUserRole(b.ctx, b.op.ID, targets[i], naive.RoleViewer)
			} else {
				_, err = b.s.DeleteUser(b.ctx, b.op.ID, targets[i])
			}
			switch {
			case err == nil:
				passed.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("round %d: %v", round, err)
			}
		})
		if passed.Load() != 1 || conflicts.Load() != 1 {
			t.Fatalf("round %d: %d changes passed and %d conflicted, want 1 and 1", round, passed.Load(), conflicts.Load())
		}
		owners := 0
		for _, u := range must2(b.s.ListUsers(b.ctx, b.op.ID, naive.Page{}))(t) {
			if u.Role == naive.RoleOwner {
				owners++
			}
		}
		equal(t, "owners left", owners, 1)
		// Make the admin the owner again for the next round, the other a viewer.
		if u, err := b.s.GetUser(b.ctx, second.ID); err == nil && u.Role == naive.RoleOwner {
			must2(b.s.UpdateUserRole(b.ctx, b.op.ID, b.user.ID, naive.RoleOwner))(t)
			must2(b.s.UpdateUserRole(b.ctx, b.op.ID, second.ID, naive.RoleViewer))(t)
		}
	}
}
