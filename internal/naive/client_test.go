package naive

import (
	"net/http/httptest"
	"testing"
)

func TestClientOf(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/auth/login", nil)
	r.RemoteAddr = "10.0.0.5:41234"
	r.Header.Set("User-Agent", "curl/8")
	r.Header.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	r.Header.Add("X-Forwarded-For", "192.0.2.44")
	if c := ClientOf(r, false); c.Addr != "10.0.0.5" || c.UserAgent != "curl/8" {
		t.Fatalf("untrusted: %+v, want the peer's address", c)
	}
	// Trusted: the last entry, the one the proxy in front appended (the
	// client may have sent the others itself).
	if c := ClientOf(r, true); c.Addr != "192.0.2.44" {
		t.Fatalf("trusted: %+v, want the proxy's last entry", c)
	}
	r.Header.Set("X-Forwarded-For", "not an address")
	if c := ClientOf(r, true); c.Addr != "10.0.0.5" {
		t.Fatalf("a malformed header: %+v, want the peer's address", c)
	}
}
