package surgesim

import (
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/surge"
)

// Sole proprietors. An account of organization type sole_proprietor has no
// EIN; the carrier verifies the person instead, by a text to the
// organization's mobile number. The simulator models that so:
//
//   - once the account has a US mobile number, the verification text is
//     "sent" (counted; Surge sends it from a shared pool of its own numbers,
//     here VerificationNumber), and the account stays awaiting verification:
//     its local_messaging status is "error" with one error of type
//     brand_verification_pending, so campaigns cannot be registered yet;
//   - POST /accounts/{id}/brand_verification_messages sends it again
//     (422 brand_verification_not_needed for an account that needs none or
//     is verified already);
//   - the magic reply: a text of YES (any case) from that mobile number to
//     VerificationNumber (POST /sandbox/inbound, `naive sandbox sms`)
//     verifies the account whose text was sent last to that number.

// VerificationNumber is the number the sandbox's verification texts come
// from, and the one a sole proprietor replies YES to. It is outside the
// inventory (its line is below firstLine), so no account can buy it.
const VerificationNumber = "+18885550100"

// MagicVerificationReply is the reply that confirms a verification text.
const MagicVerificationReply = "YES"

// Verification states of an account (not on the wire).
const (
	verificationPending  = "pending"
	verificationVerified = "verified"
)

func isSoleProprietor(o surge.Organization) bool {
	return o.Type != nil && *o.Type == "sole_proprietor"
}

// usMobile reports whether n looks like a North American number a
// verification text can reach.
func usMobile(n *string) bool {
	return n != nil && len(*n) == 12 && strings.HasPrefix(*n, "+1") && e164Pattern.MatchString(*n) && (*n)[2] >= '2'
}

// verifyLocked starts a sole proprietor's verification once the account
// has what it needs: the first verification text goes out with it.
func (s *Server) verifyLocked(a *account, now time.Time) {
	if !isSoleProprietor(a.Organization) || a.verification == verificationVerified {
		return
	}
	a.verification = verificationPending
	if a.otpSends == 0 && usMobile(a.Organization.MobileNumber) {
		a.otpSends, a.otpSentAt = 1, now
	}
}

// capabilityOf is capabilityStatus with the account's verification: a
// sole proprietor not yet verified cannot use local_messaging.
func (s *Server) capabilityOf(a *account, capability string) surge.CapabilityStatus {
	st := capabilityStatus(a.Organization, capability)
	if isSoleProprietor(a.Organization) && a.verification != verificationVerified && st.Status == surge.CapabilityReady {
		st.Status = surge.CapabilityError
		st.Errors = append(st.Errors, surge.StatusError{Field: "organization.mobile_number", Type: surge.StatusBrandVerificationPending,
			Message: "The sole proprietor has not yet confirmed the verification text sent to the mobile number."})
	}
	return st
}

// sendBrandVerification is POST /accounts/{account_id}/brand_verification_messages.
func (s *Server) sendBrandVerification(r *http.Request, _ []byte) (int, any, error) {
	a, err := s.accountLocked(r)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case !isSoleProprietor(a.Organization) || a.verification == verificationVerified:
		return 0, nil, &apiError{http.StatusUnprocessableEntity, "brand_verification_not_needed",
			"The account is not a sole proprietor awaiting identity verification.", nil}
	case !usMobile(a.Organization.MobileNumber):
		return 0, nil, validation(map[string][]string{"organization.mobile_number": {"must be a US or Canadian mobile number"}})
	}
	a.verification = verificationPending
	a.otpSends++
	a.otpSentAt = s.now()
	s.touch(kindAccount, a.ID)
	return http.StatusCreated, surge.BrandVerification{Status: "enqueued"}, nil
}

// verificationReplyLocked takes a text to VerificationNumber: YES from the
// mobile number of a sole proprietor awaiting verification verifies the
// account that number was texted last; anything else changes nothing.
func (s *Server) verificationReplyLocked(from, body string) (surge.Event, error) {
	var last *account
	for _, a := range s.accounts {
		if a.archived || a.verification != verificationPending || a.otpSends == 0 ||
			a.Organization.MobileNumber == nil || *a.Organization.MobileNumber != from {
			continue
		}
		if last == nil || a.otpSentAt.After(last.otpSentAt) || (a.otpSentAt.Equal(last.otpSentAt) && a.seq > last.seq) {
			last = a
		}
	}
	if last == nil {
		return surge.Event{}, &apiError{http.StatusNotFound, "not_found",
			"No verification text awaits a reply from " + from + ".", nil}
	}
	if strings.EqualFold(strings.TrimSpace(body), MagicVerificationReply) {
		last.verification = verificationVerified
		s.touch(kindAccount, last.ID)
	}
	return surge.Event{Type: "sandbox.verification_reply", AccountID: last.ID}, nil
}

// BrandVerification reports an account's verification: "" (none needed),
// "pending" or "verified", and how many verification texts were sent.
func (s *Server) BrandVerification(accountID string) (state string, sends int) {
	s.lockInspected(false)
	defer s.mu.Unlock()
	if a, ok := s.accounts[accountID]; ok {
		return a.verification, a.otpSends
	}
	return "", 0
}
