//go:build linux

package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The QR code that `2fa enable` draws in the terminal is what a phone
// scans: here it is cut out of the terminal transcript, painted into a PNG
// the way the terminal shows it, and read back with zbarimg, an
// independent decoder. It must give the otpauth URI of the secret shown for
// manual entry. (Linux only, as the terminal driver in pty_test.go.)

// Pixels of one QR module in the images given to zbarimg, and the margin,
// in modules, of terminal background around the drawing.
const (
	modulePx     = 8
	marginModule = 6
)

// grid is a QR code as read off the screen: dark[y][x] for each module.
type grid [][]bool

// halfBlocks reads the half-block drawing in lines: each character cell is
// one module wide and two high, its upper and lower halves painted in the
// terminal's foreground colour or left in its background. fgDark says the
// foreground is the dark colour (half-invert, for light terminals).
func halfBlocks(t testing.TB, lines []string, fgDark bool) grid {
	t.Helper()
	var g grid
	for _, l := range lines {
		top, bottom := make([]bool, 0, len(l)), make([]bool, 0, len(l))
		for _, r := range l {
			var upper, lower bool // painted in the foreground colour
			switch r {
			case '█':
				upper, lower = true, true
			case '▀':
				upper = true
			case '▄':
				lower = true
			case ' ':
			default:
				t.Fatalf("unexpected %q in the half-block QR code line %q", r, l)
			}
			// Dark where painted on a dark-foreground terminal, and where
			// left unpainted on a light-foreground one.
			top, bottom = append(top, upper == fgDark), append(bottom, lower == fgDark)
		}
		g = append(g, top, bottom)
	}
	return g
}

// ansiCell is one module of --qr-mode ansi: two spaces on a black (40) or
// white (47) background, then a reset.
var ansiCell = regexp.MustCompile(`^\x1b\[(40|47)m  \x1b\[0m`)

// ansiBlocks reads the --qr-mode ansi drawing: every module is painted
// with its own background colour, two columns wide and one line high.
func ansiBlocks(t testing.TB, lines []string) grid {
	t.Helper()
	var g grid
	for _, l := range lines {
		var row []bool
		for rest := l; rest != ""; {
			m := ansiCell.FindStringSubmatch(rest)
			if m == nil {
				t.Fatalf("unexpected %q in the ANSI QR code line %q", rest, l)
			}
			row = append(row, m[1] == "40")
			rest = rest[len(m[0]):]
		}
		g = append(g, row)
	}
	return g
}

// qrLines cuts the drawing out of the screen between the heading and the
// manual details: the lines, after the blank one under the heading, up to
// the next blank line. Every one must be made of the mode's cells only.
func qrLines(t testing.TB, screen string, isCell func(string) bool) []string {
	t.Helper()
	lines := strings.Split(screen, "\n")
	i := 0
	for i < len(lines) && lines[i] == "" {
		i++
	}
	j := i
	for j < len(lines) && lines[j] != "" {
		j++
	}
	qr := lines[i:j]
	if len(qr) == 0 || j >= len(lines)-1 {
		t.Fatalf("no QR code between the heading and the manual details:\n%s", screen)
	}
	for _, l := range qr {
		if !isCell(l) {
			t.Fatalf("line %q of the QR code is not made of QR cells:\n%s", l, screen)
		}
	}
	return qr
}

var halfLineRE = regexp.MustCompile(`^[ █▀▄]+$`)
var ansiLineRE = regexp.MustCompile(`^(\x1b\[(40|47)m  \x1b\[0m)+$`)

// writePNG paints g into a PNG of modulePx pixels a module, with a margin
// of the terminal background around it (darkBG: a dark terminal).
func writePNG(t testing.TB, g grid, darkBG bool, path string) {
	t.Helper()
	w := 0
	for _, row := range g {
		w = max(w, len(row))
	}
	const m = marginModule
	img := image.NewGray(image.Rect(0, 0, (w+2*m)*modulePx, (len(g)+2*m)*modulePx))
	shade := func(dark bool) color.Gray {
		if dark {
			return color.Gray{Y: 0}
		}
		return color.Gray{Y: 255}
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			img.SetGray(x, y, shade(darkBG))
		}
	}
	for my, row := range g {
		for mx, dark := range row {
			for y := 0; y < modulePx; y++ {
				for x := 0; x < modulePx; x++ {
					img.SetGray((mx+m)*modulePx+x, (my+m)*modulePx+y, shade(dark))
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

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
	out, err := exec.Command(zbarimg, "--raw", "-q", path).Output()
	if ee, isExit := err.(*exec.ExitError); isExit && ee.ExitCode() == 4 {
		return "", false
	}
	if err != nil {
		t.Fatalf("zbarimg --raw -q %s: %v", path, err)
	}
	return strings.TrimSuffix(string(out), "\n"), true
}

func TestQRCodeOnTheTerminalDecodes(t *testing.T) {
	t.Parallel()
	zbarimg := needZbarimg(t)
	const pw = "correct horse battery"

	for _, tt := range []struct {
		name       string
		mode       string
		user       string
		cols, rows uint16
		fitsVT100  bool // the drawing fits an 80x24 terminal
		read       func(t testing.TB, lines []string) grid
		isLine     func(string) bool
		// backgrounds the drawing must scan on: the terminal theme the
		// mode is for, or both for ansi, which paints every module
		darkBG []bool
	}{
		{
			name: "half", mode: "half", user: "alice", cols: 80, rows: 24, fitsVT100: true,
			read:   func(t testing.TB, l []string) grid { return halfBlocks(t, l, false) },
			isLine: halfLineRE.MatchString, darkBG: []bool{true},
		},
		{
			name: "half-invert", mode: "half-invert", user: "alice", cols: 80, rows: 24, fitsVT100: true,
			read:   func(t testing.TB, l []string) grid { return halfBlocks(t, l, true) },
			isLine: halfLineRE.MatchString, darkBG: []bool{false},
		},
		{
			// Twice as large: a bigger terminal.
			name: "ansi", mode: "ansi", user: "alice", cols: 160, rows: 60,
			read: ansiBlocks, isLine: ansiLineRE.MatchString, darkBG: []bool{true, false},
		},
		{
			// The longest name that still fits 80x24 with the default
			// issuer: the QR code leaves out the default parameters, so
			// the otpauth URI is 134 bytes, the most a version 6 code
			// holds at level L (45x23 cells). One byte more, and the
			// code grows to 49x25. The "@" is 3 bytes in the URI (%40,
			// RFC 3986), so this name is 54 bytes; one of letters,
			// digits and ".-_~" only may be 56.
			name: "half, 54-byte name with an @", mode: "half", user: "margaret.hamilton@apollo-guidance-computer.mit.example", cols: 80, rows: 24, fitsVT100: true,
			read:   func(t testing.TB, l []string) grid { return halfBlocks(t, l, false) },
			isLine: halfLineRE.MatchString, darkBG: []bool{true},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.addUser(tt.user, pw)
			// An older, readable file in the way is replaced and tightened.
			pngPath := filepath.Join(e.dir, "qr.png")
			if err := os.WriteFile(pngPath, []byte("not yet a QR code"), 0o644); err != nil {
				t.Fatal(err)
			}
			// Scanning is all this test needs: it stops at the code prompt
			// (TestPTYTwoFactorJourney types the code of the secret shown).
			p, en := e.ptyStartEnroll(t, tt.cols, tt.rows, tt.user, pw, "--qr-mode", tt.mode, "--qr-png", pngPath)
			p.send("\x04") // Ctrl-D: no code today
			p.expect("input closed at the prompt; nothing was changed")
			p.mustExit(2)
			if !strings.Contains(p.transcript(), "The QR code is also in "+pngPath+"; delete it once scanned.\n") {
				t.Errorf("the screen does not point to the PNG:\n%s", p.transcript())
			}

			screen := en.qr + "\n"
			lines := qrLines(t, screen, tt.isLine)
			g := tt.read(t, lines)
			for _, row := range g {
				if len(row) != len(g[0]) {
					t.Fatalf("QR code lines of different widths:\n%s", screen)
				}
			}
			width := len(g[0])
			if tt.mode == "ansi" {
				width *= 2 // two columns a module
			}
			t.Logf("--qr-mode %s: %d columns x %d lines", tt.mode, width, len(lines))
			// The code and the prompt under it must be in view together.
			if tt.fitsVT100 && (width > 80 || len(lines)+1 > 24) {
				t.Errorf("--qr-mode %s: the QR code is %d columns x %d lines, which with the prompt under it is more than an 80x24 terminal", tt.mode, width, len(lines))
			}

			dir := t.TempDir()
			var uri string
			for _, dark := range tt.darkBG {
				theme := "light"
				if dark {
					theme = "dark"
				}
				path := filepath.Join(dir, "terminal-"+theme+".png")
				writePNG(t, g, dark, path)
				got, ok := zbar(t, zbarimg, path)
				if !ok {
					t.Fatalf("zbarimg finds no QR code in the --qr-mode %s drawing on a %s terminal (image %s):\n%s", tt.mode, theme, path, screen)
				}
				if !strings.HasPrefix(got, "otpauth://totp/") {
					t.Errorf("the QR code on a %s terminal holds %q, not an otpauth://totp/ URI", theme, got)
				}
				checkQRURI(t, got, "authctl", tt.user, en.secret)
				if uri != "" && got != uri {
					t.Errorf("the drawing reads %q on one background and %q on the other", uri, got)
				}
				uri = got
			}
			// The colours are the right way round: swapped, the drawing is
			// not a QR code to a scanner (zbarimg does not try inverted
			// codes unless told to).
			if tt.mode != "ansi" {
				swapped := make(grid, len(g))
				for y, row := range g {
					swapped[y] = make([]bool, len(row))
					for x, dark := range row {
						swapped[y][x] = !dark
					}
				}
				path := filepath.Join(dir, "swapped.png")
				writePNG(t, swapped, !tt.darkBG[0], path)
				if got, ok := zbar(t, zbarimg, path); ok {
					t.Errorf("--qr-mode %s also scans with dark and light swapped (%q): the colours do not follow the mode", tt.mode, got)
				}
			}

			// --qr-png: the same URI, in a file only its owner can read.
			checkPNG(t, pngPath)
			got, ok := zbar(t, zbarimg, pngPath)
			if !ok {
				t.Fatalf("zbarimg finds no QR code in --qr-png %s", pngPath)
			}
			checkQRURI(t, got, "authctl", tt.user, en.secret)
			if got != uri {
				t.Errorf("--qr-png holds %q, the terminal %q", got, uri)
			}
		})
	}
}
