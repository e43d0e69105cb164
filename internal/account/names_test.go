package account

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/authctl/authctl/internal/apperr"
)

func TestNormalizeName(t *testing.T) {
	e := strings.Repeat("é", 32) // 64 bytes
	tests := []struct {
		name, in string
		want     string // "" means refused
		msg      string // part of the refusal
	}{
		{"ascii", "alice", "alice", ""},
		{"case is kept", "Alice", "Alice", ""},
		{"punctuation", "user@example.com", "user@example.com", ""},
		{"URI delimiters", "a&b+c=d%e?f#g", "a&b+c=d%e?f#g", ""},
		{"colon", "a:b", "a:b", ""},
		{"composed é", "ré.sumé", "ré.sumé", ""},
		{"decomposed é", "re\u0301.sume\u0301", "ré.sumé", ""},
		{"CJK", "日本", "日本", ""},
		{"Hangul syllable from jamo", "\u1100\u1161", "\uac00", ""},
		{"fullwidth letters fold", "ａｌｉｃｅ", "alice", ""},
		{"Indic without joiner", "क्ष", "क्ष", ""},
		{"64 bytes", e, e, ""},
		{"64 bytes once composed", strings.Repeat("e\u0301", 32), e, ""},

		{"empty", "", "", "is empty"},
		{"65 bytes", e + "a", "", "longer than 64 bytes"},
		{"huge", strings.Repeat("a", 1<<20), "", "longer than 64 bytes"},
		{"invalid UTF-8", "a\xffb", "", "not valid UTF-8"},
		{"space", "a b", "", "whitespace"},
		{"no-break space", "a\u00a0b", "", "whitespace"},
		{"ideographic space", "a\u3000b", "", "whitespace"},
		{"line separator", "a\u2028b", "", "whitespace"},
		{"tab", "a\tb", "", "control character"},
		{"NUL", "a\x00b", "", "control character"},
		{"escape", "bob\x1b[2J", "", "control character"},
		{"DEL", "a\x7f", "", "control character"},
		{"C1 0x80", "a\u0080", "", "control character"},
		{"C1 NEL", "a\u0085", "", "control character"},
		{"C1 CSI", "a\u009b", "", "control character"},
		{"hangul filler alone", "\u3164", "", "invisible or bidi-control"},
		{"hangul filler", "a\u3164", "", "invisible or bidi-control"},
		{"halfwidth hangul filler", "a\uffa0", "", "invisible or bidi-control"},
		{"hangul choseong filler", "a\u115f", "", "invisible or bidi-control"},
		{"hangul jungseong filler", "a\u1160", "", "invisible or bidi-control"},
		{"zero-width space", "a\u200bb", "", "invisible or bidi-control"},
		{"zero-width non-joiner", "a\u200cb", "", "invisible or bidi-control"},
		{"zero-width joiner", "a\u200db", "", "invisible or bidi-control"},
		// PRECIS itself allows these two after a virama.
		{"ZWNJ after virama", "क्\u200cष", "", "invisible or bidi-control"},
		{"ZWJ after virama", "क्\u200dष", "", "invisible or bidi-control"},
		{"word joiner", "a\u2060b", "", "invisible or bidi-control"},
		{"byte-order mark", "\ufeffalice", "", "invisible or bidi-control"},
		{"soft hyphen", "al\u00adice", "", "invisible or bidi-control"},
		{"combining grapheme joiner", "a\u034fb", "", "invisible or bidi-control"},
		{"variation selector", "a\ufe0f", "", "invisible or bidi-control"},
		{"variation selector supplement", "a\U000e0100", "", "invisible or bidi-control"},
		{"tag character", "a\U000e0041", "", "invisible or bidi-control"},
		{"Mongolian vowel separator", "a\u180eb", "", "invisible or bidi-control"},
		{"Khmer inherent vowel", "a\u17b4", "", "invisible or bidi-control"},
		{"LRM", "a\u200e", "", "invisible or bidi-control"},
		{"RLM", "a\u200f", "", "invisible or bidi-control"},
		{"ALM", "a\u061c", "", "invisible or bidi-control"},
		{"LRE", "a\u202a", "", "invisible or bidi-control"},
		{"RLE", "a\u202b", "", "invisible or bidi-control"},
		{"PDF", "a\u202c", "", "invisible or bidi-control"},
		{"LRO", "a\u202d", "", "invisible or bidi-control"},
		{"RLO", "admin\u202etxt.exe", "", "invisible or bidi-control"},
		{"LRI", "a\u2066", "", "invisible or bidi-control"},
		{"RLI", "a\u2067", "", "invisible or bidi-control"},
		{"FSI", "a\u2068", "", "invisible or bidi-control"},
		{"PDI", "a\u2069", "", "invisible or bidi-control"},
		{"symbol", "a\u2665", "", "not allowed"},
		{"compatibility ligature", "\ufb01le", "", "not allowed"},
		{"circled letter", "\u24d0", "", "not allowed"},
		{"private use", "a\ue000", "", "not allowed"},
		{"unassigned", "a\U0010fffd", "", "not allowed"},
		{"mixed directions", "a\u05d0", "", "not allowed: it mixes"},
		{"leading combining mark", "\u0301a", "", "not allowed"},
		{"katakana middle dot outside Japanese", "a\u30fbb", "", "not allowed"},
	}
	for _, tt := range tests {
		got, err := NormalizeName(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: NormalizeName(%+q) = %+q, want an error", tt.name, tt.in, got)
				continue
			}
			msg := err.Error()
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(msg, tt.msg) || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("%s: NormalizeName(%+q) = %v (kind %v), want one Invalid line with %q", tt.name, tt.in, err, apperr.KindOf(err), tt.msg)
			}
			if len(tt.in) > 1 && strings.Contains(msg, tt.in) {
				t.Errorf("%s: the error echoes the name: %q", tt.name, msg)
			}
			if CheckName(tt.in) == nil {
				t.Errorf("%s: CheckName accepts what NormalizeName refuses", tt.name)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: NormalizeName(%+q) = %+q, %v; want %+q", tt.name, tt.in, got, err, tt.want)
		}
		if err := CheckName(tt.in); err != nil {
			t.Errorf("%s: CheckName(%+q) = %v", tt.name, tt.in, err)
		}
	}
}

// One name, one user: every canonically equivalent spelling of a name
// normalises to the same string.
func TestNormalizeNameEquivalence(t *testing.T) {
	for _, spellings := range [][]string{
		{"é", "e\u0301", "\u00e9"},
		{"ré.sumé", "re\u0301.sume\u0301", "re\u0301.sumé"},
		{"Å", "\u212b", "A\u030a"}, // Angstrom sign, decomposed
		{"가", "\u1100\u1161"},
		{"alice", "ａｌｉｃｅ", "aｌice"},
	} {
		want, err := NormalizeName(spellings[0])
		if err != nil {
			t.Fatalf("NormalizeName(%+q): %v", spellings[0], err)
		}
		for _, s := range spellings[1:] {
			if got, err := NormalizeName(s); err != nil || got != want {
				t.Errorf("NormalizeName(%+q) = %+q, %v; want %+q as for %+q", s, got, err, want, spellings[0])
			}
		}
	}
}

func TestIsLegacyName(t *testing.T) {
	tests := map[string]bool{
		"alice":                   false, // valid both ways
		"ré.sumé":                 false,
		"re\u0301.sume\u0301":     true, // accepted before, stored differently now
		"a\u3164":                 true, // invisible, was printable
		"\u3164":                  true,
		"ａｌｉｃｅ":                   true, // folds to alice
		"a\u2665":                 true, // symbol: was fine, PRECIS refuses
		"\ufb01le":                true,
		"a\u05d0":                 true,  // bidi rule
		"a\u200bb":                false, // was refused as non-printable
		"a b":                     false, // never valid
		"a\tb":                    false,
		"":                        false,
		strings.Repeat("a", 65):   false,
		"\xff":                    false,
		strings.Repeat("é", 32):   false,
		"a\u0301" + "bcdefghijkl": true,
	}
	for in, want := range tests {
		if got := IsLegacyName(in); got != want {
			t.Errorf("IsLegacyName(%+q) = %v, want %v", in, got, want)
		}
	}
}

func TestNormalizeIssuer(t *testing.T) {
	tests := []struct {
		name, in, want, msg string
	}{
		{"plain", "authctl", "authctl", ""},
		{"spaces", "Acme Corp", "Acme Corp", ""},
		{"URI delimiters", "Acme & Co+ = % ? # /", "Acme & Co+ = % ? # /", ""},
		{"non-ASCII", "Société 日本", "Société 日本", ""},
		{"decomposed", "Socie\u0301te\u0301", "Société", ""},
		{"no-break space mapped", "Acme\u00a0Corp", "Acme Corp", ""},
		{"spaces trimmed and collapsed", "  Acme   Corp ", "Acme Corp", ""},
		{"NFKC", "\ufb01ne Ａcme", "fine Acme", ""},
		{"64 bytes", strings.Repeat("x", 64), strings.Repeat("x", 64), ""},

		{"empty", "", "", "issuer is empty"},
		{"only spaces", "   ", "", "issuer is empty"},
		{"65 bytes", strings.Repeat("x", 65), "", "longer than 64 bytes"},
		{"huge", strings.Repeat("x", 1<<20), "", "longer than 64 bytes"},
		{"colon", "a:b", "", "colon"},
		{"fullwidth colon", "a\uff1ab", "", "colon"},
		{"small colon", "a\ufe55b", "", "colon"},
		{"invalid UTF-8", "a\xff", "", "not valid UTF-8"},
		{"tab", "a\tb", "", "control character"},
		{"newline", "a\nb", "", "control character"},
		{"C1", "a\u0085b", "", "control character"},
		{"hangul filler", "Acme\u3164", "", "invisible or bidi-control"},
		{"zero-width space", "Ac\u200bme", "", "invisible or bidi-control"},
		{"ZWJ after virama", "क्\u200dष", "", "invisible or bidi-control"},
		{"RLO", "Acme\u202eoC", "", "invisible or bidi-control"},
		{"RLI", "Acme\u2067", "", "invisible or bidi-control"},
		{"LRM", "Acme\u200e", "", "invisible or bidi-control"},
		{"BOM", "\ufeffAcme", "", "invisible or bidi-control"},
		{"private use", "Acme\ue000", "", "not allowed"},
	}
	for _, tt := range tests {
		got, err := NormalizeIssuer(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: NormalizeIssuer(%+q) = %+q, want an error", tt.name, tt.in, got)
				continue
			}
			msg := err.Error()
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(msg, tt.msg) || strings.ContainsAny(msg, "\n\r") || len(msg) > 200 {
				t.Errorf("%s: NormalizeIssuer(%+q) = %v, want one short Invalid line with %q", tt.name, tt.in, err, tt.msg)
			}
			if CheckIssuer(tt.in) == nil {
				t.Errorf("%s: CheckIssuer accepts what NormalizeIssuer refuses", tt.name)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: NormalizeIssuer(%+q) = %+q, %v; want %+q", tt.name, tt.in, got, err, tt.want)
		}
		if again, err := NormalizeIssuer(got); err != nil || again != got {
			t.Errorf("%s: NormalizeIssuer is not idempotent: %+q -> %+q, %v", tt.name, got, again, err)
		}
	}
}

// FuzzNormalizeName: NormalizeName never panics; an accepted name becomes
// valid UTF-8 of 1 to 64 bytes with no control, white-space, invisible or
// non-printable character, is its own normal form, and every canonically
// equivalent spelling gives the same result. A refusal is one Invalid line.
func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{
		"alice", "", "a b", "a\x00", strings.Repeat("x", 65), "\xff", "é", "e\u0301", "a\u2028b",
		"a\u200bb", "a\u00a0b", "日本", "\u3164", "क्\u200cष", "a\u202eb", "ａｌｉｃｅ", "a&b+c=d%e?f#g",
		"\u1100\u1161\u11a8", "ﾃｽﾄ", "ｶﾞ", "Å", "\u0958", strings.Repeat("e\u0301", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := NormalizeName(name)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("NormalizeName(%+q) = %v of kind %v, want Invalid", name, err, apperr.KindOf(err))
			}
			if strings.ContainsAny(err.Error(), "\n\r") || len(err.Error()) > 200 {
				t.Fatalf("NormalizeName(%+q) error is not one short line: %q", name, err)
			}
			if n != "" {
				t.Fatalf("NormalizeName(%+q) returned %+q with an error", name, n)
			}
			return
		}
		if n == "" || len(n) > MaxNameBytes || !utf8.ValidString(n) {
			t.Fatalf("NormalizeName(%+q) = %+q (%d bytes)", name, n, len(n))
		}
		for _, r := range n {
			if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) || invisible(r) || r == utf8.RuneError {
				t.Fatalf("NormalizeName(%+q) = %+q with %U", name, n, r)
			}
		}
		if again, err := NormalizeName(n); err != nil || again != n {
			t.Fatalf("not idempotent: NormalizeName(%+q) = %+q, then %+q, %v", name, n, again, err)
		}
		for _, form := range []norm.Form{norm.NFC, norm.NFD} {
			if got, err := NormalizeName(form.String(n)); err != nil || got != n {
				t.Fatalf("NormalizeName(%+q) = %+q, but its equivalent %+q gives %+q, %v", name, n, form.String(n), got, err)
			}
		}
		if d := norm.NFD.String(name); len(d) <= maxRawBytes {
			if got, err := NormalizeName(d); err != nil || got != n {
				t.Fatalf("NormalizeName(%+q) = %+q, but its decomposed form gives %+q, %v", name, n, got, err)
			}
		}
		if CheckName(name) != nil {
			t.Fatalf("CheckName refuses %+q, which NormalizeName accepts", name)
		}
	})
}

// FuzzNormalizeIssuer: never panics; an accepted issuer is 1 to 64 bytes
// of valid UTF-8 without a colon, control or invisible character, and its
// own normal form.
func FuzzNormalizeIssuer(f *testing.F) {
	for _, s := range []string{"authctl", "Acme Corp", "", " ", "a:b", "a\uff1ab", "Acme\u3164", "Acme & Co+ = %", "\ufb01", "  a  b  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeIssuer(s)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || strings.ContainsAny(err.Error(), "\n\r") || len(err.Error()) > 300 {
				t.Fatalf("NormalizeIssuer(%+q) = %q of kind %v", s, err, apperr.KindOf(err))
			}
			return
		}
		if n == "" || len(n) > MaxNameBytes || !utf8.ValidString(n) || strings.ContainsRune(n, ':') {
			t.Fatalf("NormalizeIssuer(%+q) = %+q", s, n)
		}
		for _, r := range n {
			if unicode.IsControl(r) || invisible(r) {
				t.Fatalf("NormalizeIssuer(%+q) = %+q with %U", s, n, r)
			}
		}
		if again, err := NormalizeIssuer(n); err != nil || again != n {
			t.Fatalf("not idempotent: %+q -> %+q -> %+q, %v", s, n, again, err)
		}
	})
}

// Every assigned code point, after a letter and before a combining mark,
// keeps the invariants FuzzNormalizeName checks on random input, which
// rarely reaches the tables PRECIS and normalisation use.
func TestNormalizeNameEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("scans every code point")
	}
	accepted := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		switch {
		case r >= 0xd800 && r <= 0xdfff:
			continue // surrogates are not characters
		case r == 0x40000:
			r = 0xe0000 // planes 4 to 13 are unassigned
		case r == 0xf0000:
			r = unicode.MaxRune // planes 15 and 16 are private use
		}
		for _, s := range []string{"a" + string(r), string(r) + "\u0301"} {
			n, err := NormalizeName(s)
			if err != nil {
				continue
			}
			accepted++
			for _, c := range n {
				if unicode.IsSpace(c) || unicode.IsControl(c) || !unicode.IsPrint(c) || invisible(c) {
					t.Fatalf("NormalizeName(%+q) = %+q with %U", s, n, c)
				}
			}
			if again, err := NormalizeName(n); err != nil || again != n {
				t.Fatalf("not idempotent: NormalizeName(%+q) = %+q, then %+q, %v", s, n, again, err)
			}
			if d := norm.NFD.String(s); d != s {
				if got, err := NormalizeName(d); err != nil || got != n {
					t.Fatalf("NormalizeName(%+q) = %+q, but its decomposed form %+q gives %+q, %v", s, n, d, got, err)
				}
			}
		}
	}
	if accepted < 100000 {
		t.Fatalf("only %d test strings accepted; the scan is broken", accepted)
	}
}
