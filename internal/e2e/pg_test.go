package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store/pg/pgtest"
)

// newPGEnv is newEnv with the database on the PostgreSQL test server: a
// fresh database of its own, named by AUTHCTL_DB for every process of the
// env. Without a server (AUTHCTL_TEST_PG) the test is skipped, except in
// CI, where it fails.
func newPGEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	e.db = pgtest.URL(t)
	e.setenv("AUTHCTL_DB=" + e.db)
	return e
}

// newInProcPGEnv is newInProcEnv on a fresh PostgreSQL database.
func newInProcPGEnv(t testing.TB) *env {
	t.Helper()
	e := newInProcEnv(t)
	e.db = pgtest.URL(t)
	return e
}

// onBackends runs a journey on a database file and on PostgreSQL: every
// guarantee holds on both.
func onBackends(t *testing.T, journey func(t *testing.T, newEnv func(testing.TB) *env)) {
	t.Parallel()
	t.Run("file", func(t *testing.T) { journey(t, newEnv) })
	t.Run("postgres", func(t *testing.T) { journey(t, newPGEnv) })
}

// Two hosts share one PostgreSQL database and one key file, each with its
// own home and config: a code used on one is refused on the other, and
// failures on both count against one throttle.
func TestTwoHostsShareOneStore(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	a := newPGEnv(t)
	b := newEnv(t)
	b.db = a.db
	key := filepath.Join(a.dir, "shared", "key")
	cfg := "lockout:\n  threshold: 4\n  delay: 1h\n  max-delay: 1h\n"
	a.setenv("AUTHCTL_KEY_FILE="+key, "AUTHCTL_CONFIG="+a.writeConfig(cfg))
	b.setenv("AUTHCTL_DB="+a.db, "AUTHCTL_KEY_FILE="+key, "AUTHCTL_CONFIG="+b.writeConfig(cfg))

	a.addUser("alice", pw)
	app, codes := a.enroll("alice", pw)
	code := app.next()
	a.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	r := b.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	wantStderr(t, r, "code already used")
	b.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	r = a.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	wantStderr(t, r, "code already used")

	// Two failures on each host: the fourth locks, for both.
	for _, h := range []*env{a, b, a, b} {
		h.must(1, "wrong horse battery\n", "login", "alice", "--password-stdin")
	}
	for _, h := range []*env{a, b} {
		if u := h.show("alice"); !u.Locked || u.Failures != 4 {
			t.Fatalf("after 2 failures on each host: %+v", u)
		}
		h.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	}
	b.must(0, "", "user", "unlock", "alice")
	a.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[1])
}

// A site moves from a file to PostgreSQL with db copy, and back: the same
// passwords, TOTP codes and backup codes log in there, the failure count
// and the audit trail came along, and a code used before the move stays
// used.
func TestCopyFileToPostgresAndBack(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	file := newEnv(t)
	file.addUser("alice", pw)
	file.addUser("bob", pw)
	app, codes := file.enroll("alice", pw)
	used := app.next()
	file.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", used)
	file.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	file.must(1, "wrong horse battery\n", "login", "bob", "--password-stdin")
	before := file.audit()

	url := pgtest.URL(t)
	r := file.must(0, "", "db", "copy", url, "-o", "json")
	res := decodeJSON[struct {
		Users   int `json:"users"`
		Entries int `json:"audit_entries"`
	}](t, r.stdout)
	if res.Users != 2 || res.Entries != len(before) {
		t.Fatalf("db copy: %s", r)
	}
	// Again: the destination holds users now.
	r = file.must(3, "", "db", "copy", url)
	wantStderr(t, r, "already holds 2 users")

	// The same installation (key file) pointed at the server.
	server := newEnv(t)
	server.dir, server.db = file.dir, url
	server.setenv("AUTHCTL_DB=" + url)
	after := server.audit()
	if len(after) != len(before) {
		t.Fatalf("audit on the server: %d entries, want %d", len(after), len(before))
	}
	for i := range before {
		if !after[i].Time.Equal(before[i].Time) || after[i].Event != before[i].Event || after[i].User != before[i].User {
			t.Fatalf("audit entry %d on the server is %+v, want %+v", i, after[i], before[i])
		}
	}
	if u := server.show("bob"); u.Failures != 1 {
		t.Errorf("bob's failure count did not come along: %+v", u)
	}
	server.must(0, "", "db", "check")
	r = server.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", used)
	wantStderr(t, r, "code already used")
	r = server.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	wantStderr(t, r, "code already used")
	server.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	if r := server.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[1]); !strings.Contains(r.stdout, "6 left") {
		t.Errorf("a backup code on the server: %s", r)
	}
	server.must(0, pw+"\n", "login", "bob", "--password-stdin")

	// And back, to a new file.
	back := filepath.Join(file.dir, "back", "authctl.db")
	server.must(0, "", "db", "copy", back)
	file.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[2], "--db", back)
	r = file.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[1], "--db", back)
	wantStderr(t, r, "invalid or already used code")
	file.must(0, "", "db", "check", "--db", back)
	checkMode(t, back, 0o600)
}

// A server that is down: the command fails with exit 4 and one line within
// the lock timeout, and never shows the password of the URL.
func TestPostgresDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := "postgres://authctl:s3cret@/authctl?host=" + filepath.Join(e.dir, "nosocket")
	start := time.Now()
	r := e.must(4, "correct horse battery\n", "login", "alice", "--password-stdin", "--db", url, "--lock-timeout", "1s")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %s", d)
	}
	if strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "s3cret") || !strings.Contains(r.stderr, "authctl:xxxxx@") {
		t.Errorf("want one line naming the server without its password: %s", r)
	}
	wantStderr(t, r, "cannot connect to database server")
	r = e.must(2, "", "db", "backup", filepath.Join(e.dir, "b.db"), "--db", url)
	wantStderr(t, r, "pg_dump")
}
