package naive

import (
	"regexp"
	"strings"
)

// FindCodes returns the one-time codes an inbound text carries, in the
// order they appear, each once; never nil. It is a pure function of the
// body, so every surface that shows a text computes the same list.
//
// A code is looked for only in a sentence (a line, or text ending in . !
// or ?) that names one: code, verification, verify, OTP, PIN, passcode,
// password, one-time, 2FA, MFA, authentication — not a zip, area, promo
// or coupon code. There a code is a word of
//
//   - 4 to 8 digits (482913), or two groups of 3 or of 4 digits joined by
//     a hyphen or a space (123-456, 123 456: listed as 123456);
//   - up to 3 capital letters, a hyphen and 4 to 8 digits (G-123456:
//     listed as written, then as its digits, which is what most forms
//     take);
//   - 4 to 8 capital letters and digits with at least one of each
//     (AB12CD).
//
// What only looks like one is not: digits inside a phone number (415 555
// 0123, +1 415-237-0403, 800.432.1000), a price ($45.99, 1,234), a date
// or time (12/05/2024, 2024-05-12, 10:30), a link or an address.
func FindCodes(body string) []string {
	codes := []string{}
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	for _, sentence := range sentenceEnd.Split(body, -1) {
		words := codeWords(sentence)
		if !namesCode(words) {
			continue
		}
		for i, w := range words {
			// A number beside another is a phone number's part (415 555
			// 0123), not a code.
			numberBefore := i > 0 && numberish.MatchString(words[i-1].raw)
			numberAfter := i+1 < len(words) && numberish.MatchString(words[i+1].raw)
			switch {
			case digitsCode.MatchString(w.word):
				if !numberBefore && !numberAfter {
					add(w.word)
				}
			case groupedCode.MatchString(w.word):
				if !numberBefore && !numberAfter {
					add(strings.NewReplacer("-", "").Replace(w.word))
				}
			case threeDigits.MatchString(w.word) && i+1 < len(words) && threeDigits.MatchString(words[i+1].word) &&
				words[i+1].word == words[i+1].raw:
				// 123 456: two groups, nothing numeric around them.
				if !numberBefore && !(i+2 < len(words) && numberish.MatchString(words[i+2].raw)) {
					add(w.word + words[i+1].word)
				}
			case prefixedCode.MatchString(w.word):
				add(w.word)
				add(w.word[strings.IndexByte(w.word, '-')+1:])
			case alnumCode.MatchString(w.word) && strings.ContainsAny(w.word, "0123456789") &&
				strings.ContainsAny(w.word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
				add(w.word)
			}
		}
	}
	return codes
}

var (
	// sentenceEnd splits a text into sentences: at line breaks, and at
	// . ! ? followed by a space or the end (not the dot of apple.com).
	sentenceEnd = regexp.MustCompile(`[\r\n]+|[.!?]+(?:\s+|$)`)
	digitsCode  = regexp.MustCompile(`^[0-9]{4,8}$`)
	groupedCode = regexp.MustCompile(`^(?:[0-9]{3}-[0-9]{3}|[0-9]{4}-[0-9]{4})$`)
	threeDigits = regexp.MustCompile(`^[0-9]{3}$`)
	// prefixedCode is a service's letters before the digits (G-123456,
	// FB-12345).
	prefixedCode = regexp.MustCompile(`^[A-Z]{1,3}-[0-9]{4,8}$`)
	alnumCode    = regexp.MustCompile(`^[A-Z0-9]{4,8}$`)
	// numberish is a word made of digits and a phone number's
	// punctuation: +1, (415), 555-0123, 800.432.1000.
	numberish = regexp.MustCompile(`^[(+]*[0-9][0-9().\-]*$`)
)

// codeKeywords are the words that make a sentence one a code may be in.
var codeKeywords = map[string]bool{
	"code": true, "codes": true, "verification": true, "verify": true, "otp": true, "pin": true,
	"passcode": true, "password": true, "one-time": true, "onetime": true, "2fa": true, "mfa": true,
	"authentication": true,
}

// notOneTime are the words before "code" that make it some other code.
var notOneTime = map[string]bool{
	"zip": true, "postal": true, "area": true, "country": true, "promo": true, "promotional": true,
	"discount": true, "coupon": true, "referral": true, "gift": true, "qr": true, "dress": true,
}

// codeWord is a word of a sentence: raw as written, word without the
// punctuation around it.
type codeWord struct{ raw, word string }

// codeWords splits a sentence at spaces, and a word like "code:123456" at
// its colon or equals sign. Links and addresses are dropped.
func codeWords(sentence string) []codeWord {
	var out []codeWord
	for _, f := range strings.Fields(sentence) {
		if strings.Contains(f, "://") || strings.Contains(f, "@") || strings.HasPrefix(strings.ToLower(f), "www.") {
			continue
		}
		parts := []string{f}
		if i := strings.IndexAny(f, ":="); i > 0 && i < len(f)-1 && !isDigit(f[i-1]) {
			parts = []string{f[:i], f[i+1:]}
		}
		for _, p := range parts {
			raw := strings.TrimRight(p, ".,:;!?)]\"'")
			word := strings.TrimLeft(raw, "([\"'#")
			if word != "" {
				out = append(out, codeWord{raw: raw, word: word})
			}
		}
	}
	return out
}

// namesCode reports whether a sentence's words name a one-time code.
func namesCode(words []codeWord) bool {
	for i, w := range words {
		k := strings.ToLower(w.word)
		if !codeKeywords[k] {
			continue
		}
		if (k == "code" || k == "codes") && i > 0 && notOneTime[strings.ToLower(words[i-1].word)] {
			continue
		}
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
