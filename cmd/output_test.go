package cmd

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// fullWriter fails every write as a full disk does, after letting through
// the first n bytes.
type fullWriter struct {
	n     int
	wrote bytes.Buffer
}

func (f *fullWriter) Write(p []byte) (int, error) {
	if f.wrote.Len()+len(p) <= f.n {
		return f.wrote.Write(p)
	}
	k := f.n - f.wrote.Len()
	f.wrote.Write(p[:k])
	return k, &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

func TestCheckedWriterKeepsFirstError(t *testing.T) {
	full := &fullWriter{n: 4}
	w := &checkedWriter{w: full}
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	if _, err := w.Write([]byte("defg")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past the end: %v, want ENOSPC", err)
	}
	// Later writes fail at once, so nothing follows the hole.
	full.n = 100
	if n, err := w.Write([]byte("h")); n != 0 || !errors.Is(err, syscall.ENOSPC) || !errors.Is(w.err, syscall.ENOSPC) {
		t.Fatalf("write after a failure: %d, %v (remembered %v)", n, err, w.err)
	}
	if got := full.wrote.String(); got != "abcd" {
		t.Errorf("wrote %q, want %q", got, "abcd")
	}
	// A writer that takes less than it was given without saying why.
	short := &checkedWriter{w: shortWriter{}}
	if _, err := short.Write([]byte("abc")); err != io.ErrShortWrite || short.err != io.ErrShortWrite {
		t.Errorf("short write: %v, remembered %v", err, short.err)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// outcome: a failure the command named stands; a failed write to stdout
// that the command did not name fails the run with exit 4.
func TestOutcome(t *testing.T) {
	werr := &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	denied := apperr.New(apperr.Denied, "login failed")
	changed := errOutput(werr, "user carl added")
	tests := []struct {
		name      string
		err, werr error
		code      int
		msg       string
	}{
		{"success", nil, nil, 0, ""},
		{"error of no kind", errors.New("surprise"), nil, 4, "surprise"},
		{"kind decides", denied, nil, 1, "login failed"},
		{"unnoticed failed write", nil, werr, 4, "cannot write the output: no space left on device"},
		{"raw write error returned", werr, werr, 4, "cannot write the output: no space left on device"},
		{"write error wrapped without a kind", errors.Join(errors.New("listing"), werr), werr, 4, "cannot write the output: no space left on device"},
		{"a change that could not be printed", changed, werr, 4, "user carl added, but the output could not be written: no space left on device"},
		{"the command's own failure", denied, werr, 1, "login failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outcome(tt.err, tt.werr)
			if code := ExitCode(err); code != tt.code {
				t.Errorf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if err != nil && message(err) != tt.msg {
				t.Errorf("message %q, want %q", message(err), tt.msg)
			}
		})
	}
	// New backup codes that could not be written say how to get others.
	err := errOutputHint(werr, "new backup codes made for alice", apperr.HintRegen, "alice")
	if want := `new backup codes made for alice, but the output could not be written: no space left on device; get new ones with "authctl 2fa codes regen alice"`; message(err) != want {
		t.Errorf("message %q, want %q", message(err), want)
	}
	if errOutput(nil, "x") != nil || errOutputHint(nil, "x", apperr.HintRegen, "a") != nil {
		t.Error("errOutput(nil) is not nil")
	}
}

// Every command, in every output format, against a standard output that
// is full: exit 4 and one line on stderr that says so, and what was changed
// before, if anything. (internal/e2e/fullout_test.go runs the binary
// against /dev/full.)
func TestRunFullOutput(t *testing.T) {
	configEnv(t)
	const pw = "correct horse battery"
	run := func(stdin string, out io.Writer, args ...string) (int, string) {
		t.Helper()
		io, _, errb := term.Test(stdin, false)
		if out != nil {
			io.Out = out
		}
		return Run(args, io), errb.String()
	}
	if code, msg := run(pw+"\n", nil, "user", "add", "alice", "--password-stdin"); code != 0 {
		t.Fatalf("user add alice: exit %d: %s", code, msg)
	}
	tests := []struct {
		stdin string
		args  []string
		msg   string
	}{
		{"", []string{"version"}, "cannot write the output: no space left on device"},
		{"", []string{"--help"}, "cannot write the output"},
		{"", []string{"user", "list"}, "cannot write the output"},
		{"", []string{"user", "show", "alice"}, "cannot write the output"},
		{"", []string{"2fa", "status", "alice"}, "cannot write the output"},
		{"", []string{"audit"}, "cannot write the output"},
		{"", []string{"completion", "bash"}, "cannot write the output"},
		{"", []string{"user", "unlock", "alice"}, "failed-login counter cleared for alice, but the output could not be written: no space left on device"},
		{pw + "\n", []string{"login", "alice", "--password-stdin"}, "login ok for alice, but the output could not be written"},
		{pw + "\n", []string{"user", "add", "bob", "--password-stdin"}, "user bob added, but the output could not be written"},
		{"", []string{"user", "delete", "bob", "--yes"}, "user bob deleted, but the output could not be written"},
	}
	// Each format adds bob and deletes him again.
	for _, format := range []string{outText, outJSON} {
		for _, tt := range tests {
			args := append(append([]string{}, tt.args...), "-o", format)
			if tt.args[0] == "--help" || tt.args[0] == "completion" {
				if format == outJSON {
					continue // text only
				}
				args = tt.args
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, msg := run(tt.stdin, &fullWriter{}, args...)
				if code != ExitEnv || !strings.HasPrefix(msg, "authctl: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tt.msg) {
					t.Errorf("exit %d, stderr %q; want exit 4 and one line with %q", code, msg, tt.msg)
				}
			})
		}
	}
	// A full output after some bytes went out is no different.
	code, msg := run("", &fullWriter{n: 10}, "user", "list")
	if code != ExitEnv || !strings.Contains(msg, "cannot write the output") {
		t.Errorf("user list, full after 10 bytes: exit %d, %q", code, msg)
	}
}

// New backup codes that cannot be written are lost: the error says 2FA is
// on and how to get others, and no advice follows about codes nobody saw.
func TestPrintBackupCodesFullOutput(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		io, _, errb := term.Test("", false)
		io.Out = &fullWriter{}
		err := printBackupCodes(NewApp(io), asJSON, "alice", enabledDone("alice"), []string{"abcde-fghjk"})
		want := `2fa enabled for alice with new backup codes, but the output could not be written: no space left on device; get new ones with "authctl 2fa codes regen alice"`
		if ExitCode(err) != ExitEnv || message(err) != want {
			t.Errorf("json %v: exit %d, %q; want exit 4, %q", asJSON, ExitCode(err), message(err), want)
		}
		if strings.Contains(errb.String(), "Keep them") {
			t.Errorf("json %v: advice about codes that were not shown: %q", asJSON, errb)
		}
	}
}
