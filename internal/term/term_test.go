package term

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

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
		t.Run(mode, func(t *testing.T) {
			var b bytes.Buffer
			if err := DrawQR(&b, testURI, mode); err != nil {
				t.Fatal(err)
			}
			s := b.String()
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			if len(lines) < 10 {
				t.Fatalf("%d lines of QR output: %q", len(lines), s)
			}
			outputs[mode] = s
			switch mode {
			case QRHalf, QRHalfInvert:
				if !strings.ContainsAny(s, "\u2580\u2584\u2588") {
					t.Errorf("no half-block characters in %q", s)
				}
				// A 160-bit otpauth URI fits an 80x24 terminal.
				if len(lines) > 24 {
					t.Errorf("%d lines, want at most 24", len(lines))
				}
				for _, l := range lines {
					if n := utf8.RuneCountInString(l); n > 80 {
						t.Errorf("line of %d columns, want at most 80", n)
					}
				}
				// Square: twice as many columns as lines, give or take one line.
				if w := utf8.RuneCountInString(lines[0]); w < 2*len(lines)-2 || w > 2*len(lines) {
					t.Errorf("%d columns for %d lines: not a square of half blocks", w, len(lines))
				}
			case QRANSI:
				if !strings.Contains(s, "\x1b[") {
					t.Errorf("no ANSI colour codes in %q", s)
				}
			}
		})
	}
	if outputs[QRHalf] == outputs[QRHalfInvert] {
		t.Error("half and half-invert draw the same thing")
	}
	var b bytes.Buffer
	for _, m := range []string{"", "full", "HALF", "ansi "} {
		if err := DrawQR(&b, testURI, m); err == nil {
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
