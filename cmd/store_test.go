package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store/pg"
	"github.com/authctl/authctl/internal/term"
)

// authctl pam takes a postgres:// URL for db (the fleet's shared database),
// and opens it ignoring PG* variables and the home directory.
func TestPamTakesAPostgresURL(t *testing.T) {
	configEnv(t)
	const url = "postgres://authctl@db1.example/authctl?sslmode=verify-full&passfile=/etc/authctl/pgpass"
	app, err := pamApp(t, func(*pamOptions) error { return nil }, nil, "pam", "--db", url, "--key-file", "/etc/authctl/key")
	if err != nil {
		t.Fatal(err)
	}
	c, err := app.Config()
	if err != nil || c.DB != url {
		t.Fatalf("pam --db URL: %+v, %v", c, err)
	}
	svc, err := app.Service(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.Store.(*pg.DB); !ok {
		t.Fatalf("the store of a URL is %T", svc.Store)
	}
	if len(app.closers) != 1 {
		t.Errorf("the PostgreSQL store is not closed at the end of the command")
	}
}

func TestDBCopyRefusesItsSource(t *testing.T) {
	dataHome, _ := configEnv(t)
	def := filepath.Join(dataHome, "authctl", "authctl.db")
	for _, args := range [][]string{
		{"db", "copy", def},
		{"--db", "postgres://h/authctl", "db", "copy", "postgres://h/authctl"},
	} {
		io, _, _ := term.Test("", false)
		app := NewApp(io)
		root := NewRootCmd(app)
		root.SetArgs(args)
		err := root.Execute()
		if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "is the database to copy from") {
			t.Errorf("%q: %v", args, err)
		}
	}
}

func TestDBBackupOnPostgresPointsToPgDump(t *testing.T) {
	configEnv(t)
	io, _, _ := term.Test("", false)
	app := NewApp(io)
	root := NewRootCmd(app)
	root.SetArgs([]string{"--db", "postgres://authctl:s3cret@h/authctl", "db", "backup", filepath.Join(t.TempDir(), "b.db")})
	err := root.Execute()
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "pg_dump") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("db backup on PostgreSQL: %v", err)
	}
}

func TestShowDBHidesThePassword(t *testing.T) {
	if got := showDB("postgres://u:s3cret@h/d"); strings.Contains(got, "s3cret") {
		t.Errorf("showDB shows the password: %s", got)
	}
	if got := showDB("/var/lib/authctl/authctl.db"); got != "/var/lib/authctl/authctl.db" {
		t.Errorf("showDB of a path: %s", got)
	}
}
