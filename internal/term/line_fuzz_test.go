package term

import (
	"errors"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
)

// FuzzLine reads --password-stdin input. Every line that comes back is what
// the caller wrote before a "\n" or the end (minus one "\r"), never longer than
// MaxLine, and the lines read in order rebuild the input.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "\n", "pw\n", "pw\r\ncode\n", "no newline", "a\x00b\n", "\xff\xfe\n", strings.Repeat("x", MaxLine) + "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		io, _, _ := Test(in, false)
		rest := in
		for i := 0; ; i++ {
			line, err := io.Line()
			if errors.Is(err, ErrNoInput) {
				if rest != "" {
					t.Fatalf("no input reported with %q unread", rest)
				}
				return
			}
			if err != nil {
				if apperr.KindOf(err) != apperr.Invalid {
					t.Fatalf("line %d: unexpected error %v", i, err)
				}
				// Refused only for an over-long line.
				first, _, _ := strings.Cut(rest, "\n")
				if len(strings.TrimSuffix(first, "\r")) <= MaxLine {
					t.Fatalf("line %d (%d bytes) refused: %v", i, len(first), err)
				}
				return
			}
			if len(line) > MaxLine {
				t.Fatalf("line of %d bytes accepted", len(line))
			}
			raw, after, found := strings.Cut(rest, "\n")
			// A final "\r" goes too, with or without the "\n" after it.
			if want := strings.TrimSuffix(raw, "\r"); want != line {
				t.Fatalf("line %d = %q, want %q", i, line, want)
			}
			if !found {
				rest = ""
				continue
			}
			rest = after
		}
	})
}
