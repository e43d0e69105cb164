package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

func TestUserRenameArgs(t *testing.T) {
	io, _, _ := term.Test("", false)
	app := NewApp(io)
	var got *userRenameOptions
	c := newUserRenameCmd(app, func(o *userRenameOptions) error { got = o; return nil })
	c.SetArgs([]string{"alice", "alice.smith"})
	if err := c.Execute(); err != nil || got == nil || got.Old != "alice" || got.New != "alice.smith" {
		t.Fatalf("rename alice alice.smith: %+v, %v", got, err)
	}
	for _, args := range [][]string{{}, {"alice"}, {"a", "b", "c"}} {
		c := newUserRenameCmd(app, func(*userRenameOptions) error { t.Fatal("ran with bad arguments"); return nil })
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("rename %q: %v, want a usage error", args, err)
		}
	}
}

// An invalid new name is refused before the database is opened, without
// echoing the name.
func TestUserRenameInvalidNewName(t *testing.T) {
	data, _ := configEnv(t)
	for _, bad := range []string{"", "a b", "ghost\u3164", "a\u202eb", "x\x1b[2J", strings.Repeat("n", 65)} {
		io, _, _ := term.Test("", false)
		root := NewRootCmd(NewApp(io))
		root.SetArgs([]string{"user", "rename", "alice", bad})
		err := root.Execute()
		if ExitCode(err) != ExitUsage {
			t.Errorf("rename to %+q: %v, want exit 2", bad, err)
		}
		if err != nil && len(bad) > 1 && strings.Contains(err.Error(), bad) {
			t.Errorf("rename to %+q: the error echoes the name: %q", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "authctl")); !os.IsNotExist(err) {
		t.Errorf("a refused rename touched the data directory: %v", err)
	}
}
