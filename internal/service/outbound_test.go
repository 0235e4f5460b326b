package service

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

func TestPublicOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"93.184.216.34:443": true, "[2606:2800:220:1:248:1893:25c8:1946]:443": true,
		"127.0.0.1:80": false, "[::1]:80": false, "10.1.2.3:80": false, "172.16.0.9:80": false,
		"192.168.1.1:80": false, "169.254.169.254:80": false, "100.64.1.1:80": false, "0.0.0.0:80": false,
		"[fe80::1]:80": false, "[fd00::1]:80": false, "[::ffff:127.0.0.1]:80": false,
	} {
		err := publicOnly("tcp", addr, nil)
		if (err == nil) != ok || (!ok && !errors.Is(err, errInternalAddress)) {
			t.Errorf("%s: %v, want allowed=%v", addr, err, ok)
		}
	}
}

func TestPublicOrLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"93.184.216.34:443": true, "127.0.0.1:80": true, "[::1]:80": true, "[::ffff:127.0.0.1]:80": true,
		"10.1.2.3:80": false, "172.16.0.9:80": false, "192.168.1.1:80": false, "169.254.169.254:80": false,
		"100.64.1.1:80": false, "0.0.0.0:80": false, "[fe80::1]:80": false, "[fd00::1]:80": false,
	} {
		err := publicOrLoopback("tcp", addr, nil)
		if (err == nil) != ok || (!ok && !errors.Is(err, errInternalAddress)) {
			t.Errorf("%s: %v, want allowed=%v", addr, err, ok)
		}
	}
}

func TestDeliveryErrorTellsNothingInternal(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("dial tcp 10.0.0.7:8080: %w (10.0.0.7)", errInternalAddress),
		&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("10.0.0.7"), Port: 8080}, Err: syscall.ECONNREFUSED},
		&net.DNSError{Err: "no such host", Name: "intranet.corp", Server: "10.0.0.53:53", IsNotFound: true},
		errors.New("read tcp 10.0.0.2:44122->10.0.0.7:8080: weird"),
	} {
		for _, mode := range []naive.Mode{naive.ModeLive, naive.ModeTest} {
			got := deliveryError(err, mode)
			if strings.Contains(got, "10.0.0") || strings.Contains(got, "8080") || strings.Contains(got, "corp") || got == "" {
				t.Errorf("deliveryError(%v) = %q: tells of the server's network", err, got)
			}
		}
	}
}
