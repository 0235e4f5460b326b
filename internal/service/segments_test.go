package service

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	cases := []struct {
		name, body, enc string
		segs            int
	}{
		{"empty", "", EncodingGSM7, 0},
		{"short", "Hello", EncodingGSM7, 1},
		{"160 gsm", strings.Repeat("a", 160), EncodingGSM7, 1},
		{"161 gsm", strings.Repeat("a", 161), EncodingGSM7, 2},
		{"306 gsm", strings.Repeat("a", 306), EncodingGSM7, 2},
		{"307 gsm", strings.Repeat("a", 307), EncodingGSM7, 3},
		{"ext counts two", strings.Repeat("€", 80), EncodingGSM7, 1},
		{"ext over", strings.Repeat("€", 81), EncodingGSM7, 2},
		// 152 plain septets then an escape pair: the pair moves whole to segment 2.
		{"ext never split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), EncodingGSM7, 2},
		{"ext pushes a third", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 151) + "{", EncodingGSM7, 3},
		{"gsm accents", "Ça coûte 5€", EncodingUCS2, 1}, // û is not GSM-7
		{"gsm specials", "Ñandú Äpfel ß", EncodingUCS2, 1},
		{"70 ucs2", strings.Repeat("é", 69) + "ü" + "\u4e2d", EncodingUCS2, 2},
		{"cjk 70", strings.Repeat("中", 70), EncodingUCS2, 1},
		{"cjk 71", strings.Repeat("中", 71), EncodingUCS2, 2},
		{"cjk 134", strings.Repeat("中", 134), EncodingUCS2, 2},
		{"cjk 135", strings.Repeat("中", 135), EncodingUCS2, 3},
		{"emoji is two units", strings.Repeat("😀", 35), EncodingUCS2, 1},
		{"emoji 36", strings.Repeat("😀", 36), EncodingUCS2, 2},
		// 66 units then a surrogate pair: the pair starts segment 2.
		{"pair never split", strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 5), EncodingUCS2, 2},
	}
	for _, c := range cases {
		enc, n := Segments(c.body)
		if enc != c.enc || n != c.segs {
			t.Errorf("%s: %s/%d, want %s/%d", c.name, enc, n, c.enc, c.segs)
		}
	}
}
