package otp

import (
	"crypto/rand"
	"errors"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

func TestBackupAlphabet(t *testing.T) {
	seen := map[rune]bool{}
	for _, r := range BackupAlphabet {
		if seen[r] {
			t.Fatalf("alphabet repeats %q", r)
		}
		seen[r] = true
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '9') {
			t.Errorf("alphabet holds %q: want lowercase letters and digits 2-9 only", r)
		}
	}
	for _, r := range "0o1l" {
		if seen[r] {
			t.Errorf("alphabet holds %q, which is misread aloud", r)
		}
	}
	if len(seen) != 32 {
		t.Errorf("alphabet has %d symbols, want 32", len(seen))
	}
	// At least 50 bits each (docs/security.md, Files), well over the 20
	// that NIST SP 800-63B §5.1.2.1 asks of look-up secrets.
	bits := float64(BackupLen) * math.Log2(float64(len(seen)))
	if bits < 50 {
		t.Errorf("a backup code carries %.1f bits, want at least 50", bits)
	}
	if BackupCount != 8 {
		t.Errorf("BackupCount = %d, want 8", BackupCount)
	}
}

func TestNewBackupCodes(t *testing.T) {
	codes, err := NewBackupCodes(rand.Reader, BackupCount)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 8 {
		t.Fatalf("got %d codes, want 8", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 10 {
			t.Errorf("code %q has %d chars, want 10", c, len(c))
		}
		for _, r := range c {
			if !strings.ContainsRune(BackupAlphabet, r) {
				t.Errorf("code %q holds %q, outside the alphabet", c, r)
			}
		}
		if seen[c] {
			t.Errorf("code %q repeats", c)
		}
		seen[c] = true
		// The printed form parses back to the stored form.
		if got, err := ParseBackup(FormatBackup(c)); err != nil || got != c {
			t.Errorf("ParseBackup(FormatBackup(%q)) = %q, %v", c, got, err)
		}
	}
	// nil means crypto/rand.
	if more, err := NewBackupCodes(nil, 3); err != nil || len(more) != 3 {
		t.Errorf("NewBackupCodes(nil, 3) = %v, %v", more, err)
	}
	// A failing source of randomness is an error, not weak codes.
	if _, err := NewBackupCodes(strings.NewReader("abc"), 8); err == nil {
		t.Error("NewBackupCodes with 3 random bytes succeeded")
	}
}

// TestBackupCodesUniform draws many symbols from a seeded generator and
// checks every symbol of the alphabet shows up about equally often (no
// modulo bias, no unused symbols). The seed makes it deterministic.
func TestBackupCodesUniform(t *testing.T) {
	const n = 400 // 4000 symbols, 125 expected per symbol
	codes, err := NewBackupCodes(mrand.NewChaCha8([32]byte{7}), n)
	if err != nil {
		t.Fatal(err)
	}
	count := map[rune]int{}
	for _, c := range codes {
		for _, r := range c {
			count[r]++
		}
	}
	if len(count) != len(BackupAlphabet) {
		t.Fatalf("%d of %d symbols used", len(count), len(BackupAlphabet))
	}
	for _, r := range BackupAlphabet {
		if c := count[r]; c < 75 || c > 175 {
			t.Errorf("symbol %q drawn %d times, expected about 125", r, c)
		}
	}
}

func TestFormatBackup(t *testing.T) {
	tests := map[string]string{"abcdefghjk": "abcde-fghjk", "short": "short", "": ""}
	for in, want := range tests {
		if got := FormatBackup(in); got != want {
			t.Errorf("FormatBackup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseBackup(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means rejected
	}{
		{"abcde-fghjk", "abcdefghjk"},
		{"abcdefghjk", "abcdefghjk"},
		{"ABCDE-FGHJK", "abcdefghjk"},
		{"AbCdE-fGhJk", "abcdefghjk"},
		{"  abcde-fghjk  ", "abcdefghjk"},
		{"\tabcde-fghjk ", "abcdefghjk"},
		{"abcde fghjk", "abcdefghjk"},
		{"23456-789ab", "23456789ab"},
		{"0bcde-fghjk", ""},  // zero
		{"obcde-fghjk", ""},  // letter o
		{"Obcde-fghjk", ""},  // capital O folds to o
		{"1bcde-fghjk", ""},  // one
		{"lbcde-fghjk", ""},  // letter l
		{"Lbcde-fghjk", ""},  // capital L folds to l
		{"abcde-fghj", ""},   // 9
		{"abcde-fghjkm", ""}, // 11
		{"", ""},
		{"-----", ""},
		{"abcde_fghjk", ""},
		{"abcde-fghj\u00e9", ""},
		{"\uff41bcde-fghjk", ""}, // fullwidth a
		{"abcde-fghj\x00", ""},
		{"123456", ""},
	}
	for _, tt := range tests {
		got, err := ParseBackup(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseBackup(%q) = %q, want an error", tt.in, got)
			} else if !errors.Is(err, ErrBackupFormat) {
				t.Errorf("ParseBackup(%q) = %v, want ErrBackupFormat", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBackup(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAny(t *testing.T) {
	tests := []struct {
		in   string
		code string
		kind CodeKind // 0 means rejected
	}{
		{"123456", "123456", CodeTOTP},
		{" 123 456 ", "123456", CodeTOTP},
		{"abcde-fghjk", "abcdefghjk", CodeBackup},
		{"ABCDEFGHJK", "abcdefghjk", CodeBackup},
		{"23456-23456", "2345623456", CodeBackup}, // all digits, but ten of them
		{"2345623456", "2345623456", CodeBackup},
		{"1234567890", "", 0}, // ten digits with 0 and 1
		{"12345", "", 0},
		{"1234567", "", 0},
		{"abcde", "", 0},
		{"", "", 0},
		{"12345a", "", 0},
	}
	for _, tt := range tests {
		code, kind, err := ParseAny(tt.in)
		if tt.kind == 0 {
			if err == nil || !errors.Is(err, ErrCodeFormat) {
				t.Errorf("ParseAny(%q) = %q, %d, %v; want ErrCodeFormat", tt.in, code, kind, err)
			}
			continue
		}
		if err != nil || code != tt.code || kind != tt.kind {
			t.Errorf("ParseAny(%q) = %q, %d, %v; want %q, %d", tt.in, code, kind, err, tt.code, tt.kind)
		}
	}
}

// FuzzParseBackup: an accepted code is 10 symbols of the alphabet, parses to
// itself in every form it may be typed in, and is the input folded to lower
// case without separators.
func FuzzParseBackup(f *testing.F) {
	for _, s := range []string{"abcde-fghjk", "ABCDE-FGHJK", " abcdefghjk ", "0bcde-fghjk", "abcde-fghj", "a-b-c-d-e-f-g-h-j-k", "\u212abcde-fghjk", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseBackup(s)
		if err != nil {
			if c != "" || !errors.Is(err, ErrBackupFormat) {
				t.Fatalf("ParseBackup(%q) = %q, %v", s, c, err)
			}
			return
		}
		if len(c) != BackupLen {
			t.Fatalf("ParseBackup(%q) = %q: %d bytes", s, c, len(c))
		}
		for _, r := range c {
			if !strings.ContainsRune(BackupAlphabet, r) {
				t.Fatalf("ParseBackup(%q) = %q: %q is outside the alphabet", s, c, r)
			}
		}
		folded := strings.NewReplacer("-", "", " ", "", "\t", "").Replace(strings.ToLower(s))
		if folded != c {
			t.Fatalf("ParseBackup(%q) = %q, but the input folded is %q", s, c, folded)
		}
		for _, form := range []string{c, FormatBackup(c), strings.ToUpper(FormatBackup(c)), " " + FormatBackup(c) + " "} {
			if again, err := ParseBackup(form); err != nil || again != c {
				t.Fatalf("ParseBackup(%q) = %q, %v; want %q", form, again, err, c)
			}
		}
	})
}

// FuzzParseAny: the classification agrees with the two parsers, and an
// accepted code re-parses to the same code and kind.
func FuzzParseAny(f *testing.F) {
	for _, s := range []string{"123456", "abcde-fghjk", "2345623456", "1234567890", "12345", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, kind, err := ParseAny(s)
		tc, terr := ParseCode(s)
		bc, berr := ParseBackup(s)
		switch {
		case err != nil:
			if terr == nil || berr == nil || kind != 0 || c != "" {
				t.Fatalf("ParseAny(%q) = %q, %d, %v although ParseCode=%v ParseBackup=%v", s, c, kind, err, terr, berr)
			}
			return
		case kind == CodeTOTP:
			if terr != nil || c != tc {
				t.Fatalf("ParseAny(%q) = TOTP %q, ParseCode = %q, %v", s, c, tc, terr)
			}
		case kind == CodeBackup:
			if terr == nil || berr != nil || c != bc {
				t.Fatalf("ParseAny(%q) = backup %q, ParseCode err %v, ParseBackup = %q, %v", s, c, terr, bc, berr)
			}
		default:
			t.Fatalf("ParseAny(%q) = unknown kind %d", s, kind)
		}
		if c2, k2, err := ParseAny(c); err != nil || c2 != c || k2 != kind {
			t.Fatalf("ParseAny(%q) = %q, %d, %v; want %q, %d", c, c2, k2, err, c, kind)
		}
	})
}
