package cmd

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// The secret is read as pam_exec's expose_authtok writes it (no newline),
// tolerating one trailing NUL or line ending, and never past the cap.
func TestReadPAMSecret(t *testing.T) {
	long := strings.Repeat("p", maxPAMSecret)
	for _, tt := range []struct {
		name, in, want string
		kind           apperr.Kind
	}{
		{name: "as pam_exec writes it", in: "correct horse battery492039", want: "correct horse battery492039"},
		{name: "trailing NUL", in: "hunter22\x00", want: "hunter22"},
		{name: "trailing newline", in: "hunter22\n", want: "hunter22"},
		{name: "trailing CRLF", in: "hunter22\r\n", want: "hunter22"},
		{name: "only one newline dropped", in: "hunter22\n\n", want: "hunter22\n"},
		{name: "only one NUL dropped", in: "hunter22\x00\x00", want: "hunter22\x00"},
		{name: "NUL before newline is kept", in: "hunter22\x00\n", want: "hunter22\x00"},
		{name: "spaces are part of it", in: " pass word ", want: " pass word "},
		{name: "at the cap", in: long, want: long},
		{name: "over the cap", in: long + "x", kind: apperr.Invalid},
		{name: "empty", in: "", want: ""},
		{name: "newline alone", in: "\n", want: ""},
		{name: "NUL alone", in: "\x00", want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPAMSecret(strings.NewReader(tt.in))
			if tt.kind != 0 {
				if err == nil || apperr.KindOf(err) != tt.kind {
					t.Fatalf("got %q, %v; want a %v error", got, err, tt.kind)
				}
				if strings.Contains(err.Error(), "ppp") || strings.ContainsAny(err.Error(), "\n\x00") {
					t.Errorf("error is not one clean line without the secret: %q", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// An endless standard input is refused after the cap, not read to the end.
func TestReadPAMSecretStopsAtTheCap(t *testing.T) {
	r := &countingReader{}
	_, err := readPAMSecret(r)
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("endless input: %v", err)
	}
	if r.n > maxPAMSecret+1 {
		t.Errorf("read %d bytes, more than the cap %d + 1", r.n, maxPAMSecret)
	}
	_, err = readPAMSecret(io.MultiReader(strings.NewReader("half"), errReader{}))
	if apperr.KindOf(err) != apperr.Env {
		t.Errorf("a failing read: %v, want an Env error", err)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n += len(p)
	return len(p), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("input/output error") }

// authctl pam refuses, before reading the secret or opening anything, when
// it is not run as pam_exec runs it.
func TestRunPamRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		env   map[string]string
		tty   bool
		in    string
		msg   string
		flags []string
	}{
		{"no PAM_USER", map[string]string{"PAM_TYPE": "auth"}, false, "hunter22", "PAM_USER is not set", nil},
		{"account line", map[string]string{"PAM_USER": "alice", "PAM_TYPE": "account"}, false, "hunter22", "not account (PAM_TYPE)", nil},
		{"terminal", map[string]string{"PAM_USER": "alice"}, true, "hunter22", "not from a terminal", nil},
		{"no secret", map[string]string{"PAM_USER": "alice", "PAM_TYPE": "auth"}, false, "", "no secret on standard input", nil},
		{"newline alone", map[string]string{"PAM_USER": "alice", "PAM_TYPE": "auth"}, false, "\n", "no secret on standard input", nil},
		{"no code", map[string]string{"PAM_USER": "alice", "PAM_TYPE": "auth"}, false, "", "no secret on standard input", []string{"--code-only"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			configEnv(t)
			io, out, _ := term.Test(tt.in, tt.tty)
			app := NewApp(io)
			app.Getenv = func(k string) string { return tt.env[k] }
			root := NewRootCmd(app)
			// No database exists: reaching it would be a different error.
			root.SetArgs(append([]string{"pam", "--db", "/nonexistent/authctl.db", "--key-file", "/nonexistent/key"}, tt.flags...))
			err := root.Execute()
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want an Invalid error saying %q", err, tt.msg)
			}
			if out.Len() != 0 {
				t.Errorf("printed on stdout: %q", out)
			}
		})
	}
}
