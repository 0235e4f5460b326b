package naive

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Text every front door refuses at its edge, before anything is stored: a
// NUL character, which PostgreSQL cannot hold in text (SQLSTATE 22021)
// while SQLite can, and invalid UTF-8, which encoding/json would silently
// turn into U+FFFD, storing something other than what was sent. Both are
// invalid_input naming the field, on every database.

// CheckText refuses value, the text of param (a field, query parameter or
// path segment), if it holds a NUL character or invalid UTF-8.
func CheckText(param, value string) error {
	switch {
	case strings.IndexByte(value, 0) >= 0:
		return textError(param, badNUL)
	case !utf8.ValidString(value):
		return textError(param, badUTF8)
	}
	return nil
}

// CheckHeaderText is CheckText for the value of header name, which may hold
// no other ASCII control character either (tabs included).
func CheckHeaderText(name, value string) error {
	if err := CheckText(name, value); err != nil {
		return err
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c == 0x7f {
			return InvalidParam(name, "%s contains a control character (byte 0x%02x).", name, c).
				WithHint("Remove control characters, tabs included, from the %s header.", name)
		}
	}
	return nil
}

// CheckJSONText is CheckText for every string of the JSON document doc,
// object keys included, naming the field by its path: "legal_name",
// "address.city", "message_samples[1]". A document that is not valid JSON
// passes: the decoder that reads it next reports that.
func CheckJSONText(doc []byte) error {
	if utf8.Valid(doc) && !bytes.Contains(doc, []byte(`\u0000`)) && !hasSurrogateEscape(doc) {
		return nil // the common case: nothing to look for
	}
	// Tokens have invalid UTF-8 replaced already, so each string's raw
	// bytes, the span between two decoder offsets, are what is checked
	// for it; a NUL survives decoding and is looked for in the token.
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed JSON
		}
		raw := doc[start:dec.InputOffset()]
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, jsonFrame{array: t == '[', wantKey: t == '{'})
				continue
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].next()
				}
				continue
			}
		case string:
			if top != nil && !top.array && top.wantKey {
				if bad := badString(t, raw); bad != "" {
					top.key = strings.Trim(strconv.Quote(t), `"`)
					return keyError(jsonPath(stack), bad)
				}
				top.key, top.wantKey = t, false
				continue
			}
			if bad := badString(t, raw); bad != "" {
				return textError(jsonPath(stack), bad)
			}
		}
		if top != nil {
			top.next()
		}
	}
}

// jsonFrame is an open object or array of CheckJSONText's walk.
type jsonFrame struct {
	array   bool
	index   int    // arrays: the current element's index
	key     string // objects: the current member's key
	wantKey bool   // objects: the next string is a key
}

// next moves past the frame's current element or member.
func (f *jsonFrame) next() {
	if f.array {
		f.index++
	} else {
		f.wantKey = true
	}
}

// jsonPath names the current value: address.city, message_samples[1].
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}

// What is wrong with a string.
const (
	badNUL       = "nul"
	badUTF8      = "utf8"
	badSurrogate = "surrogate"
)

// badString says what is wrong with the decoded string s, whose raw JSON
// (with the separators before it) is raw, or "".
func badString(s string, raw []byte) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return badNUL
	case !utf8.Valid(raw):
		return badUTF8
	case loneSurrogate(raw):
		return badSurrogate
	}
	return ""
}

func textError(param, bad string) *Error {
	name := param
	if name == "" {
		name = "The JSON value"
	}
	switch bad {
	case badNUL:
		return InvalidParam(param, "%s contains a NUL character (U+0000), which cannot be stored.", name).
			WithHint("Remove the NUL character from %s.", name)
	case badSurrogate:
		return InvalidParam(param, "%s contains a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which is no character.", name).
			WithHint("Send %s as UTF-8 text; escape a character beyond U+FFFF as a surrogate pair.", name)
	}
	return InvalidParam(param, "%s is not valid UTF-8.", name).
		WithHint("Send %s as UTF-8 text.", name)
}

func keyError(param, bad string) *Error {
	e := textError(param, bad)
	e.Message = "The field name " + e.Message
	return e
}

// hasSurrogateEscape reports whether doc may hold a \uD800-\uDFFF escape.
func hasSurrogateEscape(doc []byte) bool {
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j + 2
		if i < len(doc) && (doc[i] == 'd' || doc[i] == 'D') {
			return true
		}
	}
}

// loneSurrogate reports whether the raw JSON string holds a \u escape of
// a surrogate that is not half of a pair. raw is valid JSON.
func loneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // a one-letter escape, or \\ itself
		}
		r, ok := hex4(raw[i+1:])
		i += 4
		if !ok || !utf16.IsSurrogate(r) {
			continue
		}
		if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
			if r2, ok := hex4(raw[i+3:]); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
				i += 6
				continue
			}
		}
		return true
	}
	return false
}

// hex4 reads the four hex digits a \u escape starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}
