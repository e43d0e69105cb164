//go:build linux

package e2e

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The QR code that `2fa enable` draws in the terminal is what a phone
// scans: here the terminal's screen at the prompt for the first code (the
// model in screen_test.go) is painted into a PNG the way the terminal shows
// it, on a dark and on a light theme, the text beside the code included,
// and read back with zbarimg, an independent decoder. It must give the
// otpauth URI of the key shown on the same screen for typing by hand.
// (Linux only, as the terminal driver in pty_test.go.)

// Names at the edges of the sizes docs/enrolling.md gives for the default
// issuer: the QR code leaves out the default parameters, so the otpauth
// URI is 78 bytes and the name. Up to 28 bytes it fits a version 5 code
// (37 modules, 41x21 cells with the 2-module quiet zone); up to 134 bytes
// in all, a version 6 code (41 modules, 45x23 cells). One byte more, and
// the code grows to 49x25, more than 24 lines. A name of letters, digits
// and "-._~" is its own size in the URI; any other byte takes three (the
// "@" is %40, RFC 3986).
const (
	longestV5Name = "abcdefghijklmnopqrstuvwxyz12"
	longestName   = "grace.brewster.murray.hopper_1906-navy.reserve.example~a" // 56 bytes
	longestAtName = "margaret.hamilton@apollo-guidance-computer.mit.example"   // 54 bytes, 56 in the URI
)

// needZbarimg returns the path of zbarimg. Without it the QR tests skip,
// except in CI (CI=true), where a missing decoder must not pass unnoticed.
func needZbarimg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("zbarimg is required in CI (apt-get install zbar-tools): %v", err)
		}
		t.Skipf("zbarimg not installed (apt-get install zbar-tools): %v", err)
	}
	return p
}

// zbar decodes the QR code in the image at path; ok is false when zbarimg
// finds none (it exits 4 then).
func zbar(t testing.TB, zbarimg, path string) (text string, ok bool) {
	t.Helper()
	out, err := exec.Command(zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", path).Output()
	if ee, isExit := err.(*exec.ExitError); isExit && ee.ExitCode() == 4 {
		return "", false
	}
	if err != nil {
		t.Fatalf("zbarimg --raw -q %s: %v", path, err)
	}
	return strings.TrimSuffix(string(out), "\n"), true
}

// zbarScreen paints sc on th into a PNG in dir and returns what zbarimg
// reads in it.
func zbarScreen(t testing.TB, zbarimg string, sc *vt, th theme, dir string) (text string, ok bool, path string) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, sc.image(th)); err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "screen-"+th.name+"-*.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	text, ok = zbar(t, zbarimg, f.Name())
	return text, ok, f.Name()
}

// checkEnrollScreen checks the screen at a prompt for a code at enrollment:
// nothing the model does not know, no line wrapped by the terminal (every
// message fits the width, no word is cut), and the prompt on the last line
// with text.
func checkEnrollScreen(t testing.TB, sc *vt) {
	t.Helper()
	if len(sc.unknown) > 0 {
		t.Errorf("the screen model does not know %q", sc.unknown)
	}
	if sc.wraps > 0 {
		t.Errorf("%d lines went past column %d and were wrapped by the terminal:\n%s", sc.wraps, sc.cols, sc)
	}
	lines := sc.lines()
	last := ""
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			last = l
		}
	}
	if !strings.HasSuffix(last, strings.TrimSpace(enrollPromptEnd)) {
		t.Errorf("the prompt is not on the last line with text, %q:\n%s", last, sc)
	}
}

// checkScans decodes the screen on each theme of scans, where it must give
// the otpauth URI of secret, and on each of notOn, where the drawing is
// inverted and must not scan (zbarimg does not try inverted codes unless
// told to): the colours follow the mode.
func checkScans(t testing.TB, sc *vt, user, secret string, scans, notOn []theme) (uri string) {
	t.Helper()
	zbarimg := needZbarimg(t)
	dir := t.TempDir()
	for _, th := range scans {
		got, ok, path := zbarScreen(t, zbarimg, sc, th, dir)
		if !ok {
			t.Fatalf("zbarimg finds no QR code on the screen on a %s theme (image %s):\n%s", th.name, path, sc)
		}
		checkQRURI(t, got, "authctl", user, secret)
		if uri != "" && got != uri {
			t.Errorf("the screen reads %q on one theme and %q on the other", uri, got)
		}
		uri = got
	}
	for _, th := range notOn {
		if got, ok, path := zbarScreen(t, zbarimg, sc, th, dir); ok {
			t.Errorf("the drawing also scans on a %s theme (%q, image %s): the colours do not follow the mode", th.name, got, path)
		}
	}
	return uri
}

var bothThemes = []theme{darkTheme, lightTheme}

func TestQRCodeOnTheTerminalDecodes(t *testing.T) {
	t.Parallel()
	needZbarimg(t)
	const pw = "correct horse battery"

	for _, tt := range []struct {
		name       string
		user       string
		env, args  []string
		cols, rows uint16
		// the drawing in explicit colours, quiet zone included, in
		// columns and lines, entirely on the screen; 0 for a plain one
		width, height int
		scans, notOn  []theme
		png           bool
	}{
		{
			// Black on white in explicit colours: any theme.
			name: "half", user: "alice", cols: 80, rows: 24,
			width: 41, height: 21, scans: bothThemes, png: true,
		},
		{
			name: "half-invert", user: "alice", args: []string{"--qr-mode", "half-invert"}, cols: 80, rows: 24,
			width: 41, height: 21, scans: bothThemes,
		},
		{
			name: "half, 28-byte name", user: longestV5Name, cols: 80, rows: 24,
			width: 41, height: 21, scans: bothThemes,
		},
		{
			name: "half, 56-byte name", user: longestName, cols: 80, rows: 24,
			width: 45, height: 23, scans: bothThemes,
		},
		{
			name: "half, 54-byte name with an @", user: longestAtName, cols: 80, rows: 24,
			width: 45, height: 23, scans: bothThemes,
		},
		{
			// Without colours the half blocks take the theme's: "half"
			// is for a dark one and is inverted on a light one.
			name: "half, NO_COLOR", user: "alice", env: []string{"NO_COLOR=1"}, cols: 80, rows: 24,
			scans: []theme{darkTheme}, notOn: []theme{lightTheme},
		},
		{
			name: "half-invert, NO_COLOR", user: "alice", env: []string{"NO_COLOR=1"}, args: []string{"--qr-mode", "half-invert"}, cols: 80, rows: 24,
			scans: []theme{lightTheme}, notOn: []theme{darkTheme},
		},
		{
			name: "half, TERM=dumb", user: "alice", env: []string{"TERM=dumb"}, cols: 80, rows: 24,
			scans: []theme{darkTheme}, notOn: []theme{lightTheme},
		},
		{
			// Coloured cells, two columns a module: a larger terminal,
			// and the details beside it only when there is room.
			name: "ansi", user: "alice", args: []string{"--qr-mode", "ansi"}, cols: 160, rows: 60,
			width: 82, height: 41, scans: bothThemes,
		},
		{
			name: "ansi, NO_COLOR", user: "alice", env: []string{"NO_COLOR=1"}, args: []string{"--qr-mode", "ansi"}, cols: 100, rows: 60,
			width: 82, height: 41, scans: bothThemes,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.setenv(tt.env...)
			e.addUser(tt.user, pw)
			args := tt.args
			// An older, readable file in the way is replaced and tightened.
			pngPath := filepath.Join(e.dir, "qr.png")
			if tt.png {
				if err := os.WriteFile(pngPath, []byte("not yet a QR code"), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--qr-png", pngPath)
			}
			// Scanning is all this test needs: it stops at the code prompt
			// (TestPTYTwoFactorJourney types the code of the secret shown).
			p, en := e.ptyStartEnroll(t, tt.cols, tt.rows, tt.user, pw, args...)
			p.send("\x04") // Ctrl-D: no code today
			p.expect("input closed at the prompt; nothing was changed")
			p.mustExit(2)

			sc := en.first
			t.Logf("the screen at the prompt:\n%s", sc)
			checkEnrollScreen(t, sc)
			x0, y0, x1, y1, painted := sc.paintedBox()
			switch {
			case tt.width == 0 && painted:
				t.Errorf("colours on the screen with %q:\n%s", tt.env, sc)
			case tt.width != 0 && !painted:
				t.Errorf("no colours on the screen:\n%s", sc)
			case tt.width != 0 && (x1-x0 != tt.width || y1-y0 != tt.height):
				t.Errorf("the drawing is %dx%d cells on the screen (%d,%d to %d,%d), want %dx%d:\n%s",
					x1-x0, y1-y0, x0, y0, x1, y1, tt.width, tt.height, sc)
			}
			uri := checkScans(t, sc, tt.user, en.secret, tt.scans, tt.notOn)

			// --qr-png: the same URI, in a file only its owner can read.
			if tt.png {
				if !strings.Contains(screenText(sc), "The QR code is also in "+pngPath+"; delete it once scanned.") {
					t.Errorf("the screen does not point to the PNG:\n%s", sc)
				}
				checkPNG(t, pngPath)
				got, ok := zbar(t, needZbarimg(t), pngPath)
				if !ok {
					t.Fatalf("zbarimg finds no QR code in --qr-png %s", pngPath)
				}
				checkQRURI(t, got, "authctl", tt.user, en.secret)
				if got != uri {
					t.Errorf("--qr-png holds %q, the terminal %q", got, uri)
				}
			}
		})
	}
}
