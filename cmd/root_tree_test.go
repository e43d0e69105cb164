package cmd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/term"
)

// The table a run picks its command from is the tree's own top level: the
// same names, aliases and groups, in the same order, and nothing missing.
func TestTopLevelIsTheTree(t *testing.T) {
	io, _, _ := term.Test("", false)
	var built []*cobra.Command
	for _, c := range NewRootCmd(NewApp(io)).Commands() {
		if c.Name() != "completion" { // cobra's own, added with the whole tree
			built = append(built, c)
		}
	}
	table := topLevel()
	if len(built) != len(table) {
		t.Fatalf("the tree has %d top-level commands, topLevel() lists %d", len(built), len(table))
	}
	for _, c := range built {
		i := slices.IndexFunc(table, func(e topLevelCmd) bool { return e.name == c.Name() })
		if i < 0 {
			t.Errorf("top-level command %q is not in topLevel()", c.Name())
			continue
		}
		if e := table[i]; !slices.Equal(e.aliases, c.Aliases) || e.group != c.GroupID {
			t.Errorf("topLevel() has %q with aliases %q, group %q; the command has %q, %q", c.Name(), e.aliases, e.group, c.Aliases, c.GroupID)
		}
	}
	for _, e := range table {
		if c := e.build(NewApp(io)); c.Name() != e.name {
			t.Errorf("topLevel() entry %q builds %q", e.name, c.Name())
		}
	}
}

func TestCommandsForBuildsOnlyTheCommandRun(t *testing.T) {
	all := len(topLevel())
	tests := []struct {
		args []string
		want []string // nil: the whole tree
	}{
		{[]string{"version"}, []string{"version"}},
		{[]string{"version", "-o", "json"}, []string{"version"}},
		{[]string{"user", "add", "alice"}, []string{"user"}},
		{[]string{"2fa", "codes", "regen", "alice"}, []string{"2fa"}},
		{[]string{"login", "--help"}, []string{"login"}},
		{nil, nil},
		{[]string{"--help"}, nil},
		{[]string{"--db", "x.db", "version"}, nil},
		{[]string{"-o", "json", "version"}, nil},
		{[]string{"help", "version"}, nil},
		{[]string{"completion", "bash"}, nil},
		{[]string{"__complete", "us"}, nil},
		{[]string{"vesion"}, nil},
		{[]string{"ls"}, nil}, // an alias of "user list", not a top-level command
	}
	for _, tt := range tests {
		var got []string
		for _, e := range commandsFor(tt.args) {
			got = append(got, e.name)
		}
		if tt.want == nil && len(got) != all || tt.want != nil && !slices.Equal(got, tt.want) {
			t.Errorf("commandsFor(%q) = %q, want %q (nil: all %d)", tt.args, got, tt.want, all)
		}
	}
}

// `authctl version` builds the root and the version command, not the other
// subtrees or cobra's completion commands, and makes no viper: that was
// most of what it did before printing.
func TestVersionRunBuildsOnlyVersion(t *testing.T) {
	configEnv(t)
	var names []string
	madeViper := true
	ranTree = func(app *App, root *cobra.Command) {
		for _, c := range root.Commands() {
			names = append(names, c.Name())
		}
		madeViper = app.v != nil
	}
	defer func() { ranTree = nil }()
	io, out, errb := term.Test("", false)
	if code := RunAt([]string{"version"}, io, time.Now); code != ExitOK || !strings.HasPrefix(out.String(), "authctl ") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	if !slices.Equal(names, []string{"help", "version"}) {
		t.Errorf("authctl version built the top-level commands %q, want only help (cobra's) and version", names)
	}
	if madeViper {
		t.Error("authctl version made a viper; it reads no settings")
	}
}

// A run over the commands it needs behaves as a run over the whole tree:
// the same output, errors and exit code, for help, usage errors and
// commands that need no database, at every level.
func TestRunOverPartTreeIsRunOverWholeTree(t *testing.T) {
	configEnv(t)
	runs := [][]string{
		{"version"}, {"version", "-o", "json"}, {"version", "-o", "yaml"}, {"version", "extra"},
		{"version", "--bogus"}, {"version", "--help"}, {"version", "-h"},
		{"login"}, {"login", "--help"}, {"login", "a", "b"}, {"login", "alice", "--password"},
		{"user"}, {"user", "--help"}, {"user", "ad"}, {"user", "rm", "bob", "--yes"},
		{"user", "add", "--help"}, {"user", "ls", "--help"}, {"user", "list", "--bogus"},
		{"user", "import", "--help"}, {"user", "rename", "a"},
		{"2fa"}, {"2fa", "--help"}, {"2fa", "enabel"}, {"2fa", "codes"}, {"2fa", "codes", "--help"},
		{"2fa", "codes", "regen", "--help"}, {"2fa", "enable", "--help"}, {"2fa", "import", "--help"},
		{"2fa", "reset", "alice"}, {"2fa", "sync", "--help"},
		{"audit", "--help"}, {"audit", "a", "b"},
		{"db"}, {"db", "--help"}, {"db", "backup", "--help"}, {"db", "check", "x"}, {"db", "bogus"},
		{"key"}, {"key", "rotate", "--help"},
		{"pam", "--help"}, {"pam", "extra"},
		{"user", "add", "alice", "-o", "yaml"},
	}
	for _, args := range runs {
		partIO, partOut, partErr := term.Test("", false)
		part := RunAt(args, partIO, time.Now)
		wholeIO, wholeOut, wholeErr := term.Test("", false)
		whole := run(args, wholeIO, time.Now, topLevel())
		if part != whole || partOut.String() != wholeOut.String() || partErr.String() != wholeErr.String() {
			t.Errorf("authctl %s: over the commands it needs: exit %d, stdout %q, stderr %q\nover the whole tree: exit %d, stdout %q, stderr %q",
				strings.Join(args, " "), part, partOut, partErr, whole, wholeOut, wholeErr)
		}
		if len(commandsFor(args)) == len(topLevel()) {
			t.Errorf("authctl %s ran over the whole tree; the test compares nothing", strings.Join(args, " "))
		}
	}
}

// BenchmarkRunVersion is the work `authctl version` does after the process
// has started: building its tree and running it (start-up itself is
// measured by bench/run, against bench/depsfloor).
func BenchmarkRunVersion(b *testing.B) {
	for b.Loop() {
		io, _, _ := term.Test("", false)
		if code := RunAt([]string{"version"}, io, time.Now); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
