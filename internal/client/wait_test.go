package client_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// TestNextMessage: the client waits past its own HTTP timeout for as long
// as the wait asks, reads 204 as nil and a text with its codes.
func TestNextMessage(t *testing.T) {
	t.Parallel()
	s := startServer(t, 0)
	// The number is bought with an ordinary client (a first provision
	// registers a brand and a campaign: under -race on a busy machine it
	// can take longer than the short timeout the wait is tested with).
	buyer, err := client.New(client.Options{BaseURL: s.app.URL(), Token: s.key})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{BaseURL: s.app.URL(), Token: s.key, HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := buyer.ProvisionPhone(ctx, "", naive.ProvisionRequest{EIN: "12-3456789", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	ph := res.Provisioned.Phone
	began := time.Now()
	m, err := c.NextMessage(ctx, "", ph.ID, naive.NextMessageRequest{Timeout: time.Second})
	if err != nil || m != nil || time.Since(began) < time.Second {
		t.Fatalf("nothing yet: %v %v after %s", m, err, time.Since(began))
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, _ = s.app.Sandbox().Inbound(ph.E164, "+18885550123", "Your Amazon OTP is 639201. Do not share it.")
	}()
	m, err = c.NextMessage(ctx, "", ph.ID, naive.NextMessageRequest{Timeout: 5 * time.Second})
	if err != nil || m == nil || m.Body != "Your Amazon OTP is 639201. Do not share it." || !slices.Equal(m.Codes, []string{"639201"}) {
		t.Fatalf("the text: %+v %v", m, err)
	}
	if _, err := c.NextMessage(ctx, "", ph.ID, naive.NextMessageRequest{Timeout: 2 * time.Minute}); naive.ErrorCode(err) != naive.EInvalidInput {
		t.Fatalf("too long a wait: %v", err)
	}
}
