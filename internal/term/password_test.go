package term

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadPassword(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		err            error
	}{
		{"enter", "secret pw\r", "secret pw", nil},
		{"newline", "secret pw\n", "secret pw", nil},
		{"rest is left unread", "a\rb\r", "a", nil},
		{"backspace", "secrex\x7ft\r", "secret", nil},
		{"ctrl-h", "secrex\x08t\r", "secret", nil},
		{"backspace removes a whole rune", "pässwörd\x7f\x7fd\r", "pässwöd", nil},
		{"backspace on empty", "\x7f\x7fok\r", "ok", nil},
		{"ctrl-u", "wrong\x15right\r", "right", nil},
		{"ctrl-c", "half\x03rest\r", "", ErrInterrupted},
		{"ctrl-d on empty line", "\x04", "", io.EOF},
		{"ctrl-d after text is ignored", "ab\x04c\r", "abc", nil},
		{"end of input after text", "abc", "abc", nil},
		{"end of input on empty line", "", "", io.EOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPassword(strings.NewReader(tt.in))
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("readPassword(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
	// An endless line is cut at MaxLine+1 bytes, so the caller can refuse it.
	got, err := readPassword(strings.NewReader(strings.Repeat("x", 3*MaxLine) + "\r"))
	if err != nil || len(got) != MaxLine+1 {
		t.Errorf("long line: %d bytes, %v; want %d", len(got), err, MaxLine+1)
	}
}
