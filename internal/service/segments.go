package service

import "unicode/utf16"

// gsm7Basic is the GSM 03.38 default alphabet; gsm7Ext the characters
// reached through the escape code, which take two septets each.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext   = "\f^{}\\[~]|€"
)

var gsm7Cost = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Ext {
		m[r] = 2
	}
	return m
}()

// Encodings of an SMS body.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// Segments returns the encoding an SMS body needs and how many segments it
// takes. A single GSM-7 message holds 160 septets, a concatenated segment
// 153 (7 go to the concatenation header), and an escape pair is never split
// across segments. UCS-2 holds 70 UTF-16 units, 67 per concatenated
// segment, and a surrogate pair is never split.
func Segments(body string) (encoding string, segments int) {
	costs := make([]int, 0, len(body))
	gsm := true
	for _, r := range body {
		c, ok := gsm7Cost[r]
		if !ok {
			gsm = false
			break
		}
		costs = append(costs, c)
	}
	single, multi := 160, 153
	encoding = EncodingGSM7
	if !gsm {
		encoding, single, multi = EncodingUCS2, 70, 67
		costs = costs[:0]
		for _, r := range body {
			costs = append(costs, utf16.RuneLen(r))
		}
	}
	total := 0
	for _, c := range costs {
		total += c
	}
	if total == 0 {
		return encoding, 0
	}
	if total <= single {
		return encoding, 1
	}
	segments, used := 1, 0
	for _, c := range costs {
		if used+c > multi {
			segments++
			used = 0
		}
		used += c
	}
	return encoding, segments
}
