package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/term"
)

// The enrollment screen's layout for terminals of several widths: no line
// reaches the last column, the key and the name read back whole, and where
// the details stand beside the code the screen is exactly as tall as the
// code, reasons for a wrong code included, for the names docs/enrolling.md
// says fit (internal/e2e checks the same on a terminal, at 80x24).
func TestEnrollViewLayout(t *testing.T) {
	const drift = "wrong code: it is from a clock about 3 minutes ahead; set the time on the device (automatic time) and enter the current code. Try again (2 left)."
	for _, name := range []string{"alice", "abcdefghijklmnopqrstuvwxyz12", "grace.brewster.murray.hopper_1906-navy.reserve.example~a", "margaret.hamilton@apollo-guidance-computer.mit.example", "山田太郎"} {
		for _, mode := range term.QRModes {
			for _, env := range []map[string]string{{"TERM": "xterm"}, {"TERM": "xterm", "NO_COLOR": "1"}, {"TERM": "dumb"}} {
				for _, cols := range []int{60, 80, 100, 132, 200} {
					t.Run(fmt.Sprintf("%s/%s/%v/%d", name, mode, env, cols), func(t *testing.T) {
						io, _, errb := term.Test("", true)
						app := &App{IO: io, Getenv: func(k string) string { return env[k] }}
						key, err := otp.NewKey(strings.NewReader("abcdefghijklmnopqrst"), "authctl", name)
						if err != nil {
							t.Fatal(err)
						}
						en := account.Enrollment{Key: key, Issuer: "authctl", Account: name}
						v, err := newEnrollViewCols(&enableOptions{App: app, QRMode: mode}, en, cols)
						if err != nil {
							t.Fatal(err)
						}
						if wide := cols-1 >= v.qrCols+besideGap+besideMinCols; v.beside != wide {
							t.Errorf("beside = %v for a %d-column code on %d columns", v.beside, v.qrCols, cols)
						}
						screens := []string{v.first() + "123456\n"}
						screens[0] = errb.String() + screens[0]
						errb.Reset()
						screens = append(screens, v.again(drift))
						screens[1] = strings.TrimPrefix(errb.String(), clearScreen) + screens[1]
						for i, sc := range screens {
							lines := strings.Split(strings.TrimSuffix(sc, "\n"), "\n")
							for _, l := range lines {
								if slices.Contains(v.qr, l) {
									// The drawing alone is as wide as it is
									// (docs/enrolling.md gives its sizes).
									continue
								}
								if w := term.Width(l); w >= cols {
									t.Errorf("a line of %d columns on a %d-column terminal: %q", w, cols, l)
								}
							}
							if v.beside && i == 0 || v.redraw {
								// The prompt on the code's last line.
								last := lines[len(lines)-1]
								if !strings.Contains(last, codePromptBeside) || term.Width(last[:strings.Index(last, codePromptBeside)]) != v.qrCols+besideGap {
									t.Errorf("screen %d: the prompt is not beside the code's last line: %q", i, last)
								}
								// Exactly as tall as the code: the blank line
								// before it on the first screen.
								if h := len(lines) - 1 + i; h != len(v.qr) && fits(name) {
									t.Errorf("screen %d is %d lines, the code %d:\n%s", i, h, len(v.qr), sc)
								}
							}
							// The key, whole, wherever the screen is drawn
							// (without redrawing, the reason goes under it).
							plain := stripEscapes(sc)
							if key.Secret != "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U" {
								t.Fatalf("key %s", key.Secret)
							}
							if (i == 0 || v.redraw) && !strings.Contains(plain, "MFRG GZDF MZTW Q2LK NNWG 23TP OBYX E43U") &&
								!(strings.Contains(plain, "MFRG GZDF MZTW Q2LK\n") && strings.Contains(plain, " NNWG 23TP OBYX E43U\n")) {
								t.Errorf("screen %d: no key:\n%s", i, sc)
							}
						}
						if !strings.Contains(textOf(screens[1]), drift) {
							t.Errorf("the reason is not whole on the screen:\n%s", screens[1])
						}
					})
				}
			}
		}
	}
}

// fits reports whether docs/enrolling.md says name fits 80x24 with the
// default issuer.
func fits(name string) bool { return len(name) <= 56 && !strings.ContainsAny(name, "山田太郎") }

// textOf is the text of a screen without the drawing at the start of its
// lines, the lines joined with spaces: a reason wrapped at spaces reads
// whole.
func textOf(screen string) string {
	var parts []string
	for _, l := range strings.Split(stripEscapes(screen), "\n") {
		if t := strings.TrimLeft(l, " █▀▄"); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func stripEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' {
			for i++; i < len(s) && (s[i] < 0x40 || s[i] > 0x7e || s[i] == '['); i++ {
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// docs/enrolling.md and README.md show the screen for alice as a terminal without
// colours draws it, with the key of the 20 bytes "abcdefghijklmnopqrst",
// and the bottom of it after a wrong code: they are what authctl draws.
func TestEnrollingGuideShowsTheScreen(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "enrolling.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```text\n(█.*?)```").FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) != 2 {
		t.Fatalf("docs/enrolling.md has %d drawings of the screen, want 2 (first, after a wrong code)", len(blocks))
	}
	io, _, errb := term.Test("", true)
	app := &App{IO: io, Getenv: func(k string) string { return map[string]string{"TERM": "xterm", "NO_COLOR": "1"}[k] }}
	key, err := otp.NewKey(strings.NewReader("abcdefghijklmnopqrst"), "authctl", "alice")
	if err != nil {
		t.Fatal(err)
	}
	v, err := newEnrollViewCols(&enableOptions{App: app, QRMode: term.QRHalf}, account.Enrollment{Key: key, Issuer: "authctl", Account: "alice"}, 80)
	if err != nil {
		t.Fatal(err)
	}
	trim := func(s string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " ")
		}
		return strings.Join(lines, "\n")
	}
	first := v.first() + "492039\n"
	first = strings.TrimPrefix(errb.String(), "\n") + first
	if got := trim(first); got != blocks[0] {
		t.Errorf("the guide shows:\n%s\nauthctl draws:\n%s", blocks[0], got)
	}
	// The README's tour shows it too, in a console block.
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "$ authctl 2fa enable alice\nPassword for alice:\n\n"+blocks[0]+"\n") {
		t.Errorf("README.md's tour does not show the screen docs/enrolling.md shows")
	}
	errb.Reset()
	again := v.again(wrongCodeReason)
	again = errb.String() + again + "\n"
	lines := strings.Split(trim(again), "\n")
	if got := strings.Join(lines[len(lines)-6:], "\n"); got != blocks[1] {
		t.Errorf("after a wrong code the guide shows:\n%s\nauthctl draws:\n%s", blocks[1], got)
	}
}

const wrongCodeReason = "wrong code; check the time on the device and enter the current code. Try again (2 left)."
