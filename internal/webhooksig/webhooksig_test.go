package webhooksig_test

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/webhooksig"
)

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(webhooksig.HeaderID, id)
	h.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhooksig.HeaderSignature, sig)
	return h
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	secret := webhooksig.NewSecret()
	if !regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{32}$`).MatchString(secret) {
		t.Fatalf("secret %q is not whsec_ + base64(24 bytes)", secret)
	}
	other := webhooksig.NewSecret()
	now := time.Unix(1737830031, 0)
	body := []byte(`{"id":"evt_1","type":"campaign.approved"}`)
	sig, err := webhooksig.Sign(secret, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	otherSig, _ := webhooksig.Sign(other, "msg_1", now, body)

	for _, tc := range []struct {
		name   string
		h      http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		target error
	}{
		{"valid", headers("msg_1", now, sig), body, now, 0, nil},
		{"within tolerance", headers("msg_1", now, sig), body, now.Add(4 * time.Minute), 0, nil},
		{"rotation: second entry matches", headers("msg_1", now, otherSig+" v2,abc "+sig), body, now, 0, nil},
		{"stale", headers("msg_1", now, sig), body, now.Add(6 * time.Minute), 0, webhooksig.ErrTimestampOutOfRange},
		{"future", headers("msg_1", now, sig), body, now.Add(-6 * time.Minute), 0, webhooksig.ErrTimestampOutOfRange},
		{"custom tolerance", headers("msg_1", now, sig), body, now.Add(2 * time.Second), time.Second, webhooksig.ErrTimestampOutOfRange},
		{"tampered body", headers("msg_1", now, sig), []byte(`{"id":"evt_2"}`), now, 0, webhooksig.ErrInvalidSignature},
		{"other id", headers("msg_2", now, sig), body, now, 0, webhooksig.ErrInvalidSignature},
		{"other secret", headers("msg_1", now, otherSig), body, now, 0, webhooksig.ErrInvalidSignature},
		{"missing headers", http.Header{}, body, now, 0, webhooksig.ErrInvalidSignature},
		{"garbage signature", headers("msg_1", now, "v1,!!!"), body, now, 0, webhooksig.ErrInvalidSignature},
	} {
		err := webhooksig.Verify(secret, tc.h, tc.body, tc.now, tc.tol)
		if tc.target == nil && err != nil || tc.target != nil && !errors.Is(err, tc.target) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.target)
		}
	}

	// Known answer from the Standard Webhooks reference test vector.
	const refSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ref, err := webhooksig.Sign(refSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil || ref != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("reference vector: %q, %v", ref, err)
	}
	if _, err := webhooksig.Sign("whsec_not base64!", "m", now, body); err == nil {
		t.Fatal("Sign accepted a malformed secret")
	}
}
