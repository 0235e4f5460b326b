package naive_test

import (
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// wantErr checks err against a table row: param "-" wants no error, any
// other an invalid_input naming param whose message says says, with a hint.
func wantErr(t *testing.T, err error, param, says string) {
	t.Helper()
	if param == "-" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	e, ok := err.(*naive.Error)
	if !ok || e == nil {
		t.Fatalf("passed, want invalid_input on %q", param)
	}
	if e.Code != naive.EInvalidInput || e.Param != param || !strings.Contains(e.Message, says) || e.Hint == "" {
		t.Fatalf("got %s %q %q (hint %q), want invalid_input on %q saying %q", e.Code, e.Param, e.Message, e.Hint, param, says)
	}
}

func TestCheckJSONText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, param, says string
	}{
		{"plain", `{"legal_name":"Acme LLC","n":1,"ok":true,"x":null}`, "-", ""},
		{"non-ASCII", `{"legal_name":"Zoë 🚀 Ünïcode"}`, "-", ""},
		{"escaped non-ASCII", `{"legal_name":"Zo\u00eb \ud83d\ude80"}`, "-", ""},
		{"U+FFFD itself", "{\"a\":\"\uFFFD\",\"b\":\"\\ufffd\"}", "-", ""},
		{"escaped backslash before u0000", `{"a":"\\u0000"}`, "-", ""},
		{"escaped backslash, then NUL", `{"a":"\\\u0000"}`, "a", "NUL"},
		{"NUL escape", `{"legal_name":"Acme\u0000"}`, "legal_name", "NUL character"},
		{"NUL nested", `{"legal_name":"ok","address":{"street":"1 Main","city":"\u0000"}}`, "address.city", "NUL character"},
		{"NUL in array", `{"message_samples":["one","tw\u0000o"]}`, "message_samples[1]", "NUL character"},
		{"NUL in array of objects", `{"a":[{"b":"x"},{"b":[1,{"c":"\u0000"}]}]}`, "a[1].b[1].c", "NUL"},
		{"after a nested object", `{"a":{"b":{"c":1}},"d":"\u0000"}`, "d", "NUL"},
		{"NUL in key", `{"address":{"ci\u0000ty":"x"}}`, `address.ci\x00ty`, "The field name"},
		{"invalid byte", "{\"legal_name\":\"Acme\xff\"}", "legal_name", "not valid UTF-8"},
		{"invalid byte nested", "{\"address\":{\"city\":\"\xc3\x28\"}}", "address.city", "not valid UTF-8"},
		{"invalid byte in array", "{\"s\":[\"ok\",\"ok\",\"\xed\xa0\x80\"]}", "s[2]", "not valid UTF-8"},
		{"invalid byte in key", "{\"na\xffme\":\"x\"}", "na\uFFFDme", "The field name"},
		{"lone surrogate", `{"a":"x\ud800y"}`, "a", "surrogate"},
		{"reversed pair", `{"a":"\udc00\ud800"}`, "a", "surrogate"},
		{"top-level string", `"\u0000"`, "", "NUL"},
		{"malformed passes", `{"a" "\u0000"}`, "-", ""},
		{"malformed raw NUL passes", "{\"a\":\"\x00\"}", "-", ""},
		{"empty", ``, "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, naive.CheckJSONText([]byte(tc.doc)), tc.param, tc.says)
		})
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value, param, says string
	}{
		{"plain", "sms.received", "-", ""},
		{"non-ASCII", "Zoë 🚀", "-", ""},
		{"U+FFFD itself", "\uFFFD", "-", ""},
		{"tab is text", "a\tb", "-", ""},
		{"NUL", "a\x00b", "type", "NUL character"},
		{"invalid", "a\xffb", "type", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, naive.CheckText("type", tc.value), tc.param, tc.says)
		})
	}
}

func TestCheckHeaderText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value, param, says string
	}{
		{"plain", "key-123", "-", ""},
		{"non-ASCII", "clé-ë", "-", ""},
		{"NUL", "a\x00", "Idempotency-Key", "NUL"},
		{"tab", "a\tb", "Idempotency-Key", "control character"},
		{"DEL", "a\x7f", "Idempotency-Key", "control character"},
		{"newline", "a\nb", "Idempotency-Key", "control character"},
		{"invalid", "\xff", "Idempotency-Key", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, naive.CheckHeaderText("Idempotency-Key", tc.value), tc.param, tc.says)
		})
	}
}
