package cmd

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// parseWith runs args through the whole command tree with the command at
// path (such as "2fa enable") rebuilt by build, which is given the app and
// builds it with a runF, as gh's tests do: flag parsing is checked without
// running the command.
func parseWith(t *testing.T, path []string, build func(*App) *cobra.Command, args ...string) (*App, error) {
	t.Helper()
	io, _, _ := term.Test("", false)
	app := NewApp(io)
	root := NewRootCmd(app)
	parent, _, err := root.Find(path[:len(path)-1])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range parent.Commands() {
		if c.Name() == path[len(path)-1] {
			parent.RemoveCommand(c)
		}
	}
	parent.AddCommand(build(app))
	root.SetArgs(append(append([]string{}, path...), args...))
	return app, root.Execute()
}

func TestLoginFlags(t *testing.T) {
	tests := []struct {
		args []string
		want loginOptions
	}{
		{[]string{"alice"}, loginOptions{Name: "alice"}},
		{[]string{"alice", "--password-stdin", "-o", "json"}, loginOptions{Name: "alice", PasswordStdin: true, JSON: true}},
		{[]string{"--code", "123 456", "bob", "--password-stdin"}, loginOptions{Name: "bob", PasswordStdin: true, Code: "123 456"}},
	}
	for _, tt := range tests {
		var got *loginOptions
		app, err := parseWith(t, []string{"login"}, func(app *App) *cobra.Command {
			return newLoginCmd(app, func(o *loginOptions) error { got = o; return nil })
		}, tt.args...)
		if err != nil || got == nil {
			t.Fatalf("login %q: %v", tt.args, err)
		}
		want := tt.want
		want.App = app
		if *got != want {
			t.Errorf("login %q:\n got %+v\nwant %+v", tt.args, *got, want)
		}
	}
	for _, args := range [][]string{{}, {"alice", "bob"}, {"alice", "--code"}, {"alice", "--password"}} {
		_, err := parseWith(t, []string{"login"}, func(app *App) *cobra.Command {
			return newLoginCmd(app, func(*loginOptions) error { t.Fatal("ran with bad arguments"); return nil })
		}, args...)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("login %q: %v, want a usage error", args, err)
		}
	}
}

func TestUserAddFlags(t *testing.T) {
	var got *userAddOptions
	_, err := parseWith(t, []string{"user", "add"}, func(app *App) *cobra.Command {
		return newUserAddCmd(app, func(o *userAddOptions) error { got = o; return nil })
	}, "carl", "--password-stdin", "-o", "json")
	if err != nil || got == nil || got.Name != "carl" || !got.PasswordStdin || !outputJSON(got.cmd) {
		t.Fatalf("user add carl --password-stdin -o json: %+v, %v", got, err)
	}
	for _, args := range [][]string{{}, {"carl", "dave"}, {"carl", "--yes"}} {
		_, err := parseWith(t, []string{"user", "add"}, func(app *App) *cobra.Command {
			return newUserAddCmd(app, func(*userAddOptions) error { t.Fatal("ran with bad arguments"); return nil })
		}, args...)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("user add %q: %v, want a usage error", args, err)
		}
	}
}

func TestEnableFlags(t *testing.T) {
	tests := []struct {
		args []string
		want enableOptions
	}{
		{[]string{"alice"}, enableOptions{Name: "alice", QRMode: term.QRHalf}},
		{[]string{"alice", "--password-stdin", "--begin", "-o", "json"},
			enableOptions{Name: "alice", PasswordStdin: true, Begin: true, QRMode: term.QRHalf, JSON: true}},
		{[]string{"alice", "--confirm", "123456", "--qr-mode", "ansi", "--qr-png", "qr.png"},
			enableOptions{Name: "alice", Confirm: "123456", QRMode: "ansi", QRPNG: "qr.png"}},
	}
	for _, tt := range tests {
		var got *enableOptions
		app, err := parseWith(t, []string{"2fa", "enable"}, func(app *App) *cobra.Command {
			return newEnableCmd(app, func(o *enableOptions) error { got = o; return nil })
		}, tt.args...)
		if err != nil || got == nil {
			t.Fatalf("2fa enable %q: %v", tt.args, err)
		}
		want := tt.want
		want.App = app
		if *got != want {
			t.Errorf("2fa enable %q:\n got %+v\nwant %+v", tt.args, *got, want)
		}
	}
	// --begin and --confirm exclude each other: a usage error from cobra's
	// flag groups, found before the command runs.
	for _, args := range [][]string{{}, {"alice", "bob"}, {"alice", "--begin", "--confirm", "123456"}} {
		_, err := parseWith(t, []string{"2fa", "enable"}, func(app *App) *cobra.Command {
			return newEnableCmd(app, func(*enableOptions) error { t.Fatal("ran with bad arguments"); return nil })
		}, args...)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("2fa enable %q: %v, want a usage error", args, err)
		}
	}
}
