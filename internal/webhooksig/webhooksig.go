// Package webhooksig signs and verifies webhooks per the Standard Webhooks
// scheme (webhook-id, webhook-timestamp, webhook-signature "v1,<base64
// HMAC-SHA256(id.timestamp.body)>", secrets "whsec_<base64>"). Surge signs
// the webhooks it sends us this way, the sandbox signs its own the same way,
// and naive signs the events it delivers to webhook endpoints with it.
//
// Written by hand: the scheme is a few lines of HMAC, and the official
// library would add a dependency for them.
package webhooksig

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook timestamp may drift from now (Standard Webhooks' 5 minutes).
const DefaultTolerance = 5 * time.Minute

// ErrInvalidSignature means a webhook is unsigned, malformed or signed with another key.
var ErrInvalidSignature = errors.New("webhooksig: invalid webhook signature")

// ErrTimestampOutOfRange means a webhook's timestamp lies outside the tolerance, e.g. a replay.
var ErrTimestampOutOfRange = errors.New("webhooksig: webhook timestamp outside tolerance")

const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: "whsec_" and the base64 of 24 random bytes.
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// webhookKey decodes the HMAC key from a "whsec_<base64>" secret.
func webhookKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("webhooksig: webhook secret is not whsec_<base64>")
	}
	return key, nil
}

func mac(key []byte, msgID, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID + "." + ts + "."))
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the webhook-signature value "v1,<base64 HMAC-SHA256(id.ts.body)>" for a delivery.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := webhookKey(secret)
	if err != nil {
		return "", err
	}
	sig := mac(key, msgID, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a webhook's Standard Webhooks headers against body: any of the space-separated
// v1 signatures must match and the timestamp must be within tolerance of now (0 means 5 minutes).
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := webhookKey(secret)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsText, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature header", ErrInvalidSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad webhook-timestamp %q", ErrInvalidSignature, tsText)
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: timestamp %d is %s from now", ErrTimestampOutOfRange, ts, skew.Round(time.Second))
	}
	want := mac(key, id, tsText, body)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching v1 signature", ErrInvalidSignature)
}

// SetHeaders signs body as message id at ts and sets the three headers.
func SetHeaders(h http.Header, secret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}
