package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

func TestExitCodeOfEachKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"denied", apperr.New(apperr.Denied, "login failed"), 1},
		{"invalid", apperr.New(apperr.Invalid, "bad name"), 2},
		{"conflict", apperr.New(apperr.Conflict, "user exists"), 3},
		{"env", apperr.New(apperr.Env, "database locked"), 4},
		{"interrupted", apperr.New(apperr.Interrupted, "interrupted"), 130},
		{"term.ErrInterrupted", term.ErrInterrupted, 130},
		{"internal", apperr.New(apperr.Internal, "bug"), 4},
		{"plain error", errors.New("unexpected"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	// The constants are the documented numbers.
	for c, want := range map[int]int{ExitOK: 0, ExitDenied: 1, ExitUsage: 2, ExitConflict: 3, ExitEnv: 4, ExitInterrupted: 130} {
		if c != want {
			t.Errorf("exit code constant %d, want %d", c, want)
		}
	}
}

func TestExitCodeKeepsKindThroughWrapping(t *testing.T) {
	kinds := map[apperr.Kind]int{apperr.Denied: 1, apperr.Invalid: 2, apperr.Conflict: 3, apperr.Env: 4, apperr.Interrupted: 130}
	for k, want := range kinds {
		base := apperr.New(k, "inner %s", k)
		wrapped := []error{
			fmt.Errorf("context: %w", base),
			fmt.Errorf("outer: %w", fmt.Errorf("middle: %w", base)),
			errors.Join(errors.New("first"), base),
			apperr.New(k, "with cause: %w", errors.New("cause")),
		}
		for _, err := range wrapped {
			if got := ExitCode(err); got != want {
				t.Errorf("ExitCode(%q) = %d, want %d (kind %v)", err, got, want, k)
			}
		}
	}
	// apperr.Wrap gives a plain error a kind and keeps the cause reachable.
	cause := errors.New("disk on fire")
	err := fmt.Errorf("running: %w", apperr.Wrap(apperr.Conflict, cause, "doing it"))
	if ExitCode(err) != 3 || !errors.Is(err, cause) {
		t.Errorf("Wrap: exit %d, errors.Is(cause) %v", ExitCode(err), errors.Is(err, cause))
	}
	if apperr.Wrap(apperr.Env, nil, "x") != nil {
		t.Error("Wrap(nil) is not nil")
	}
	// The outermost kind decides.
	inner := apperr.New(apperr.Denied, "wrong password")
	if got := ExitCode(apperr.Wrap(apperr.Env, inner, "key file")); got != 4 {
		t.Errorf("Env wrapping Denied: exit %d, want 4", got)
	}
}

func TestExitCodesDocumented(t *testing.T) {
	for _, c := range []int{ExitOK, ExitDenied, ExitUsage, ExitConflict, ExitEnv, ExitInterrupted} {
		if !strings.Contains(exitCodeHelp, "\n    "+strconv.Itoa(c)+" ") {
			t.Errorf("exit code %d is not in the help text:\n%s", c, exitCodeHelp)
		}
	}
	// The scripting guide's table lists every code too.
	guide, err := os.ReadFile(filepath.Join("..", "docs", "scripting.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{ExitOK, ExitDenied, ExitUsage, ExitConflict, ExitEnv, ExitInterrupted} {
		if !strings.Contains(string(guide), "\n| "+strconv.Itoa(c)+" | ") {
			t.Errorf("exit code %d is not in the table of docs/scripting.md", c)
		}
	}
	io, out, _ := term.Test("", false)
	if code := Run([]string{"--help"}, io); code != 0 || !strings.Contains(out.String(), exitCodeHelp) {
		t.Errorf("--help: exit %d, exit codes shown: %v", code, strings.Contains(out.String(), exitCodeHelp))
	}
}

// Run prints every failure as one line on stderr and returns its code; errors
// cobra raises itself are usage errors, an unknown subcommand too, with
// cobra's suggestions on the same line.
func TestRunExitCodes(t *testing.T) {
	configEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"version", []string{"version"}, 0, ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate" for "authctl" (see "authctl --help")`},
		{"unknown subcommand", []string{"2fa", "frobnicate"}, 2, `unknown command "frobnicate" for "authctl 2fa" (see "authctl 2fa --help")`},
		{"misspelt subcommand", []string{"user", "ad", "carl"}, 2, `unknown command "ad" for "authctl user"; did you mean "add"?`},
		{"misspelt nested subcommand", []string{"2fa", "codes", "regn", "alice"}, 2, `unknown command "regn" for "authctl 2fa codes"; did you mean "regen"?`},
		{"remove is delete", []string{"user", "remove", "alice"}, 2, `did you mean "delete"?`},
		{"rm is delete", []string{"user", "rm", "alice"}, 2, `did you mean "delete"?`},
		{"the command is wrong, not its flag", []string{"user", "rm", "alice", "--yes"}, 2, `unknown command "rm" for "authctl user"; did you mean "delete"?`},
		{"an unknown flag of a group", []string{"user", "--yes"}, 2, `unknown flag: --yes (see "authctl user --help")`},
		{"a group alone shows its help", []string{"user"}, 0, ""},
		{"completion takes a shell", []string{"completion", "bash", "extra"}, 2, `unknown command "extra" for "authctl completion bash"`},
		{"unknown shell", []string{"completion", "tcsh"}, 2, `unknown command "tcsh" for "authctl completion"`},
		{"flags that exclude each other", []string{"2fa", "enable", "alice", "--begin", "--confirm", "123456"}, 2, "[begin confirm] were all set"},
		{"unknown flag", []string{"version", "--frob"}, 2, "unknown flag"},
		{"bad output format", []string{"version", "-o", "xml"}, 2, "invalid output format"},
		{"extra argument", []string{"version", "extra"}, 2, "takes no arguments"},
		{"no terminal, no --password-stdin", []string{"login", "alice"}, 2, "--password-stdin"},
		{"no database", []string{"user", "list"}, 4, "no database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, errb := term.Test("", false)
			code := Run(tt.args, io)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errb)
			}
			msg := errb.String()
			if tt.msg == "" {
				if msg != "" {
					t.Errorf("stderr = %q, want nothing", msg)
				}
				return
			}
			if !strings.HasPrefix(msg, "authctl: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tt.msg) {
				t.Errorf("stderr = %q, want one line with %q", msg, tt.msg)
			}
		})
	}
}
