package term

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
)

func TestLine(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name string
		in   string
		want []string // lines read before ErrNoInput
	}{
		{"LF", "abc\n", []string{"abc"}},
		{"CRLF", "abc\r\n", []string{"abc"}},
		{"no final newline", "abc", []string{"abc"}},
		{"two lines", "first\nsecond\n", []string{"first", "second"}},
		{"mixed endings", "first\r\nsecond\nthird", []string{"first", "second", "third"}},
		{"empty line", "\n", []string{""}},
		{"empty CRLF line", "\r\n", []string{""}},
		{"inner CR kept", "a\rb\n", []string{"a\rb"}},
		{"spaces kept", "  pass word  \n", []string{"  pass word  "}},
		{"only one CR stripped", "abc\r\r\n", []string{"abc\r"}},
		{"empty input", "", nil},
		{"MaxLine bytes", long + "\n", []string{long}},
		{"MaxLine bytes CRLF", long + "\r\n", []string{long}},
		{"MaxLine bytes at EOF", long, []string{long}},
		{"unicode", "caf\u00e9 \U0001F511\n", []string{"caf\u00e9 \U0001F511"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _ := Test(tt.in, false)
			for i, want := range tt.want {
				got, err := io.Line()
				if err != nil || got != want {
					t.Fatalf("line %d: %q (%d bytes), %v; want %q (%d bytes)", i, short(got), len(got), err, short(want), len(want))
				}
			}
			if got, err := io.Line(); !errors.Is(err, ErrNoInput) {
				t.Fatalf("after the last line: %q, %v; want ErrNoInput", got, err)
			}
			if _, err := io.Line(); !errors.Is(err, ErrNoInput) {
				t.Fatalf("reading again after EOF: %v, want ErrNoInput", err)
			}
		})
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func TestLineTooLong(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("x", MaxLine+1) + "\n",
		strings.Repeat("x", MaxLine+1),
		strings.Repeat("x", 10*MaxLine) + "\nnext\n",
		strings.Repeat("x", 1<<20),
	} {
		io, _, _ := Test(in, false)
		got, err := io.Line()
		if apperr.KindOf(err) != apperr.Invalid || got != "" {
			t.Errorf("Line(%d bytes) = %d bytes, %v; want an Invalid error", len(in), len(got), err)
		}
	}
}

// errReader fails after its data.
type errReader struct{ data string }

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errors.New("device gone")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestLineReadError(t *testing.T) {
	io := &IO{In: &errReader{"partial"}}
	_, err := io.Line()
	if apperr.KindOf(err) != apperr.Env || errors.Is(err, ErrNoInput) {
		t.Fatalf("Line on a failing reader = %v, want an Env error", err)
	}
}

func TestPromptsOnTestStreams(t *testing.T) {
	io, out, errb := Test("s3cret pass\nyes\n", true)
	if !io.CanPrompt() {
		t.Fatal("tty test streams cannot prompt")
	}
	pw, err := io.Password("Password: ")
	if err != nil || pw != "s3cret pass" {
		t.Fatalf("Password = %q, %v", pw, err)
	}
	ans, err := io.Prompt("Delete? ")
	if err != nil || ans != "yes" {
		t.Fatalf("Prompt = %q, %v", ans, err)
	}
	if out.Len() != 0 {
		t.Errorf("prompts wrote to stdout: %q", out)
	}
	if got := errb.String(); !strings.Contains(got, "Password: ") || !strings.Contains(got, "Delete? ") {
		t.Errorf("stderr = %q, want both prompts", got)
	}
	if strings.Contains(errb.String(), "s3cret") {
		t.Error("the password was echoed")
	}
	if _, err := io.Password("Again: "); !errors.Is(err, ErrNoInput) {
		t.Errorf("Password at EOF = %v, want ErrNoInput", err)
	}
	// Input that ends at a prompt ends the prompt's line too: the error
	// printed next starts a line of its own.
	errb.Reset()
	if _, err := io.Prompt("Code: "); !errors.Is(err, ErrNoInput) {
		t.Errorf("Prompt at EOF = %v, want ErrNoInput", err)
	}
	if got := errb.String(); got != "Code: \n" {
		t.Errorf("Prompt at EOF wrote %q, want the prompt and a line end", got)
	}
	if noTTY, _, _ := Test("", false); noTTY.CanPrompt() {
		t.Error("non-tty test streams can prompt")
	}
	if k := apperr.KindOf(ErrInterrupted); k != apperr.Interrupted {
		t.Errorf("ErrInterrupted has kind %v", k)
	}
}

const testURI = "otpauth://totp/authctl:alice?algorithm=SHA1&digits=6&issuer=authctl&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func TestDrawQR(t *testing.T) {
	outputs := map[string]string{}
	for _, mode := range QRModes {
		for _, colour := range []bool{false, true} {
			name := mode
			if colour {
				name += " in colour"
			}
			t.Run(name, func(t *testing.T) {
				var b bytes.Buffer
				if err := DrawQR(&b, testURI, mode, colour); err != nil {
					t.Fatal(err)
				}
				s := b.String()
				lines, cols, err := RenderQR(testURI, mode, colour)
				if err != nil || strings.Join(lines, "\n")+"\n" != s {
					t.Fatalf("RenderQR and DrawQR differ (%v)", err)
				}
				if len(lines) < 10 {
					t.Fatalf("%d lines of QR output: %q", len(lines), s)
				}
				outputs[name] = s
				for _, l := range lines {
					if w := Width(l); w != cols {
						t.Errorf("a line of %d columns in a drawing of %d: %q", w, cols, l)
					}
				}
				switch mode {
				case QRHalf, QRHalfInvert:
					if !strings.ContainsAny(s, "\u2580\u2584\u2588") {
						t.Errorf("no half-block characters in %q", s)
					}
					// A 160-bit otpauth URI fits an 80x24 terminal, with
					// the 32 columns of details beside it.
					if len(lines) > 23 || cols > 80-1-2-30 {
						t.Errorf("%d columns x %d lines, want at most 47x23", cols, len(lines))
					}
					// Square: twice as many columns as lines, give or take one line.
					if cols < 2*len(lines)-2 || cols > 2*len(lines) {
						t.Errorf("%d columns for %d lines: not a square of half blocks", cols, len(lines))
					}
					// In colour every line paints its own black on white
					// and ends it, but the last, the lower half of the
					// quiet zone, white on the terminal's background;
					// without, no colour at all.
					for i, l := range lines {
						sgr := "\x1b[30;47;107m"
						if i == len(lines)-1 {
							sgr = "\x1b[37;97;49m"
						}
						painted := strings.HasPrefix(l, sgr) && strings.HasSuffix(l, "\x1b[0m")
						if painted != colour || strings.Count(l, "\x1b") != map[bool]int{true: 2, false: 0}[colour] {
							t.Errorf("line %q in colour %v", l, colour)
						}
					}
					// The last line is the quiet zone's lower half, in
					// the upper half of the cells, with nothing under it:
					// a light foreground, or a light theme's background.
					quiet := "▀"
					if mode == QRHalfInvert && !colour {
						quiet = " "
					}
					if l := stripSGR(lines[len(lines)-1]); strings.Trim(l, quiet) != "" {
						t.Errorf("the last line %q is not the quiet zone alone", l)
					}
				case QRANSI:
					if !strings.Contains(s, "\x1b[") {
						t.Errorf("no ANSI colour codes in %q", s)
					}
				}
			})
		}
	}
	if outputs[QRHalf] == outputs[QRHalfInvert] {
		t.Error("half and half-invert draw the same thing without colours")
	}
	// In colour the theme does not matter: one drawing, the one with the
	// dark modules in the (black) foreground, as half-invert has them.
	if outputs[QRHalf+" in colour"] != outputs[QRHalfInvert+" in colour"] {
		t.Error("half and half-invert differ in colour")
	}
	got, want := strings.Split(stripSGR(outputs[QRHalf+" in colour"]), "\n"), strings.Split(outputs[QRHalfInvert], "\n")
	if n := len(got) - 2; !slices.Equal(got[:n], want[:n]) {
		t.Errorf("the coloured drawing without its colours is not half-invert's:\n%s\n%s", got, want)
	}
	if outputs[QRANSI] != outputs[QRANSI+" in colour"] {
		t.Error("ansi depends on colour; it is always in colour")
	}
	var b bytes.Buffer
	for _, m := range []string{"", "full", "HALF", "ansi "} {
		if err := DrawQR(&b, testURI, m, true); err == nil {
			t.Errorf("DrawQR accepted mode %q", m)
		}
		if err := CheckQRMode(m); err == nil {
			t.Errorf("CheckQRMode accepted %q", m)
		}
	}
	if b.Len() != 0 {
		t.Errorf("an unknown mode drew %q", b.String())
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			i += escapeLen(s[i:])
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func TestColour(t *testing.T) {
	for _, tt := range []struct {
		env            map[string]string
		colour, redraw bool
	}{
		{map[string]string{"TERM": "xterm-256color"}, true, true},
		{map[string]string{"TERM": "linux"}, true, true},
		{map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false, true},
		// https://no-color.org: any non-empty value, even "0" or "false".
		{map[string]string{"TERM": "xterm", "NO_COLOR": "0"}, false, true},
		{map[string]string{"TERM": "xterm", "NO_COLOR": ""}, true, true},
		{map[string]string{"TERM": "dumb"}, false, false},
		{map[string]string{}, false, false},
	} {
		getenv := func(k string) string { return tt.env[k] }
		if got := Colour(getenv); got != tt.colour {
			t.Errorf("Colour with %v = %v", tt.env, got)
		}
		if got := CanRedraw(getenv); got != tt.redraw {
			t.Errorf("CanRedraw with %v = %v", tt.env, got)
		}
	}
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":                         0,
		"alice":                    5,
		"▀▄█ ":                     4,
		"\x1b[30;47;107m██\x1b[0m": 2,
		"\x1b[47m  \x1b[0m":        2,
		"山田":                       4,
		"ｱ":                        1, // halfwidth katakana
		"ＡＢ":                       4, // fullwidth
		"e\u0301":                  1, // a combining accent
	} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		text string
		cols int
		want []string
	}{
		{"", 10, []string{""}},
		{"one two three", 80, []string{"one two three"}},
		{"one two three", 7, []string{"one two", "three"}},
		{"one two three", 6, []string{"one", "two", "three"}},
		{"  spaces   collapse  ", 80, []string{"spaces collapse"}},
		// A word wider than a line is cut, on a line of its own.
		{"see /a/very/long/path now", 8, []string{"see", "/a/very/", "long/pat", "h now"}},
		{"山田 太郎", 4, []string{"山田", "太郎"}},
	} {
		got := Wrap(tt.text, tt.cols)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.text, tt.cols, got, tt.want)
		}
		for _, l := range got {
			if Width(l) > tt.cols {
				t.Errorf("Wrap(%q, %d): line %q is wider", tt.text, tt.cols, l)
			}
		}
	}
}

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		s    string
		cols int
		want []string
	}{
		{"alice", 21, []string{"alice"}},
		{"abcdefgh", 3, []string{"abc", "def", "gh"}},
		{"山田太郎", 3, []string{"山", "田", "太", "郎"}},
		// After a separator where that keeps at least half a line.
		{"grace.brewster.murray.hopper_1906-navy.reserve.example~a", 21,
			[]string{"grace.brewster.", "murray.hopper_1906-", "navy.reserve.example~", "a"}},
		{"margaret.hamilton@apollo-guidance-computer.mit.example", 21,
			[]string{"margaret.hamilton@", "apollo-guidance-", "computer.mit.example"}},
	} {
		got := Cut(tt.s, tt.cols)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.s, tt.cols, got, tt.want)
		}
		if strings.Join(got, "") != tt.s {
			t.Errorf("Cut(%q, %d) = %q: not the whole name", tt.s, tt.cols, got)
		}
	}
}

func TestBeside(t *testing.T) {
	left := []string{"\x1b[7mab\x1b[0m", "\x1b[7mcd\x1b[0m"}
	got := Beside(left, 2, 2, []string{"", "x", "y"})
	want := []string{"\x1b[7mab\x1b[0m", "\x1b[7mcd\x1b[0m  x", "    y"}
	if !slices.Equal(got, want) {
		t.Errorf("Beside = %q, want %q", got, want)
	}
}

func TestWriteQRPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qr.png")
	// An existing file with a looser mode is tightened.
	if err := os.WriteFile(path, []byte("old content that is longer than nothing"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteQRPNG(path, testURI); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("PNG mode %o, want 600", fi.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 100 {
		t.Errorf("PNG is %dx%d, want a square of readable size", b.Dx(), b.Dy())
	}
	if err := WriteQRPNG(filepath.Join(t.TempDir(), "no", "such", "dir", "qr.png"), testURI); err == nil {
		t.Error("WriteQRPNG into a missing directory succeeded")
	}
}
