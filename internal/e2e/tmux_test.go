//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The screen model (screen_test.go) decides what the enrollment tests
// call "in view". Here a real terminal emulator, tmux, runs the same
// enrollment in an 80x24 window: what tmux shows (capture-pane) must be
// what the model makes of the bytes tmux was sent (pipe-pane), at the
// prompt for the first code, after a wrong code, and at the end.

// tmux drives one tmux server of its own, on a socket in a test directory.
type tmux struct {
	t    testing.TB
	bin  string
	sock string
}

// needTmux returns a tmux driver. Without tmux the test skips, except in
// CI (CI=true), where the check must not pass unnoticed.
func needTmux(t testing.TB) *tmux {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required in CI (apt-get install tmux): %v", err)
		}
		t.Skipf("tmux not installed (apt-get install tmux): %v", err)
	}
	// Short: a socket path has a length limit.
	dir, err := os.MkdirTemp("", "tmux")
	if err != nil {
		t.Fatal(err)
	}
	tm := &tmux{t: t, bin: p, sock: filepath.Join(dir, "s")}
	t.Cleanup(func() {
		_ = exec.Command(p, "-S", tm.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-S", tm.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what tmux shows in the window, one string a line, without
// trailing blanks.
func (tm *tmux) screen() []string {
	tm.t.Helper()
	return strings.Split(strings.TrimSuffix(tm.run("capture-pane", "-p", "-t", "w"), "\n"), "\n")
}

// waitFor waits until the window shows sub, and returns its lines.
func (tm *tmux) waitFor(sub string) []string {
	tm.t.Helper()
	deadline := time.Now().Add(ptyTimeout)
	for {
		lines := tm.screen()
		if strings.Contains(strings.Join(lines, "\n"), sub) {
			return lines
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("tmux shows no %q within %s:\n%s", sub, ptyTimeout, strings.Join(lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestTmuxAgreesWithScreenModel(t *testing.T) {
	t.Parallel()
	tm := needTmux(t)
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("alice", pw)

	// authctl starts once the pipe is on, so every byte it writes is in
	// raw; TERM is what tmux sets for its windows.
	raw, start := filepath.Join(e.dir, "raw"), filepath.Join(e.dir, "start")
	var env []string
	for _, kv := range e.environ() {
		if !strings.HasPrefix(kv, "TERM=") {
			env = append(env, shellQuote(kv))
		}
	}
	// Its exit status is printed after it, in both screens, and the
	// window stays open.
	cmd := "while [ ! -e " + shellQuote(start) + " ]; do sleep 0.02; done; env -i TERM=tmux-256color " +
		strings.Join(env, " ") + " " + shellQuote(bin) + ` 2fa enable alice; echo "[exit $?]"; exec sleep 600`
	tm.run("new-session", "-d", "-s", "w", "-x", "80", "-y", "24", "sh", "-c", cmd)
	tm.run("pipe-pane", "-O", "-t", "w", "cat >> "+shellQuote(raw))
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	// agree compares tmux's window with the model fed what tmux was sent;
	// pipe-pane may lag a little behind the window.
	agree := func(when string) *vt {
		t.Helper()
		deadline := time.Now().Add(ptyTimeout)
		for {
			got := tm.screen()
			b, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			model := newVT(80, 24)
			model.write(b)
			want := model.lines()
			for len(want) > 0 && want[len(want)-1] == "" {
				want = want[:len(want)-1]
			}
			for len(got) > 0 && got[len(got)-1] == "" {
				got = got[:len(got)-1]
			}
			if slices.Equal(got, want) && len(model.unknown) == 0 {
				t.Logf("%s, tmux and the model agree:\n%s", when, strings.Join(got, "\n"))
				return model
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s, tmux shows:\n%s\n\nthe model (unknown %q) shows:\n%s",
					when, strings.Join(got, "\n"), model.unknown, strings.Join(want, "\n"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	tm.waitFor("Password for alice:")
	// Give authctl the time to turn echo off; were it late, the password
	// would be echoed to both screens alike and they still agree.
	time.Sleep(200 * time.Millisecond)
	tm.run("send-keys", "-t", "w", "-l", pw)
	tm.run("send-keys", "-t", "w", "Enter")
	tm.waitFor(strings.TrimSpace(enrollPromptEnd))
	sc := agree("at the prompt for the first code")
	secret := manualEntryOnScreen(t, sc, "alice")

	tm.run("send-keys", "-t", "w", "-l", wrongCode(t, secret))
	tm.run("send-keys", "-t", "w", "Enter")
	tm.waitFor("(2 left)")
	agree("after a wrong code")

	tm.run("send-keys", "-t", "w", "C-d")
	tm.waitFor("[exit 2]")
	sc = agree("after Ctrl-D")
	if !slices.Contains(sc.lines(), "authctl: input closed at the prompt; nothing was changed") {
		t.Errorf("after Ctrl-D the message is not a line of its own:\n%s", sc)
	}
}
