package e2e

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Every documented exit code, produced by the binary: 0 success, 1 denied,
// 2 usage or invalid input, 3 conflict or not found, 4 environment. Rows
// that must not write leave the database byte for byte as it was.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("bob", pw)   // password only
	e.addUser("alice", pw) // 2FA on
	e.enroll("alice", pw)
	badCfg := filepath.Join(e.dir, "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("lockout: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	weakCfg := filepath.Join(e.dir, "weak.yaml")
	if err := os.WriteFile(weakCfg, []byte("lockout:\n  threshold: 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string // in stderr (stdout for code 0)
		// writes: the command may change the database (successes and
		// denials, which count failures and are audited).
		writes bool
	}{
		{"version", "", []string{"version"}, 0, "authctl", false},
		{"list", "", []string{"user", "list"}, 0, "bob", false},
		{"login ok", pw + "\n", []string{"login", "bob", "--password-stdin"}, 0, "login ok", true},

		{"wrong password", "wrong horse battery\n", []string{"login", "bob", "--password-stdin"}, 1, "invalid username or password", true},
		{"unknown user login", pw + "\n", []string{"login", "nobody", "--password-stdin"}, 1, "invalid username or password", true},
		{"unused backup code", pw + "\n", []string{"login", "alice", "--password-stdin", "--code", "abcde-fghjk"}, 1, "invalid or already used code", true},

		{"unknown flag", "", []string{"user", "list", "--bogus"}, 2, "unknown flag: --bogus", false},
		{"unknown command", "", []string{"user", "frobnicate"}, 2, `unknown command "frobnicate" for "authctl user" (see "authctl user --help")`, false},
		{"unknown 2fa command", "", []string{"2fa", "frobnicate"}, 2, `unknown command "frobnicate" for "authctl 2fa"`, false},
		{"misspelt command", pw + "\n", []string{"user", "ad", "carl", "--password-stdin"}, 2, `unknown command "ad" for "authctl user"; did you mean "add"?`, false},
		{"remove is not a command", "", []string{"user", "remove", "bob", "--yes"}, 2, `unknown command "remove" for "authctl user"; did you mean "delete"?`, false},
		{"rm is not a command", "", []string{"user", "rm", "bob", "--yes"}, 2, `did you mean "delete"?`, false},
		{"bad -o", "", []string{"user", "list", "-o", "yaml"}, 2, `invalid output format "yaml"`, false},
		{"missing argument", "", []string{"user", "show"}, 2, "one user name", false},
		{"name with space", pw + "\n", []string{"user", "add", "carl smith", "--password-stdin"}, 2, "whitespace", false},
		{"empty name", pw + "\n", []string{"user", "add", "", "--password-stdin"}, 2, "name", false},
		{"name too long", pw + "\n", []string{"user", "add", strings.Repeat("x", 65), "--password-stdin"}, 2, "64", false},
		{"name with control byte", pw + "\n", []string{"user", "add", "carl\x1b[2J", "--password-stdin"}, 2, "control", false},
		{"short password", "short\n", []string{"user", "add", "carl", "--password-stdin"}, 2, "shorter than 8", false},
		{"huge password", strings.Repeat("p", 1025) + "\n", []string{"user", "add", "carl", "--password-stdin"}, 2, "1024", false},
		{"empty stdin", "", []string{"user", "add", "carl", "--password-stdin"}, 2, "no password on standard input", false},
		{"no terminal, no --password-stdin", pw + "\n", []string{"login", "bob"}, 2, "--password-stdin", false},
		{"malformed --code, 5 digits", pw + "\n", []string{"login", "alice", "--password-stdin", "--code", "12345"}, 2, "invalid --code", false},
		{"malformed --code, letters", pw + "\n", []string{"login", "alice", "--password-stdin", "--code", "12e456"}, 2, "invalid --code", false},
		{"malformed --code, backup with 0", pw + "\n", []string{"login", "alice", "--password-stdin", "--code", "0bcde-fghjk"}, 2, "invalid --code", false},
		{"malformed --confirm", pw + "\n", []string{"2fa", "enable", "bob", "--password-stdin", "--confirm", "1234567"}, 2, "invalid --confirm", false},
		{"--begin with --confirm", pw + "\n", []string{"2fa", "enable", "bob", "--password-stdin", "--begin", "--confirm", "123456"}, 2, "begin", false},
		{"bad --lock-timeout", "", []string{"user", "list", "--lock-timeout", "soon"}, 2, "lock-timeout", false},
		{"bad --issuer", pw + "\n", []string{"2fa", "enable", "bob", "--password-stdin", "--begin", "--issuer", "a:b"}, 2, "issuer", false},
		{"bad --limit", "", []string{"audit", "--limit", "-1"}, 2, "--limit", false},
		{"garbage config", "", []string{"user", "list", "--config", badCfg}, 2, badCfg, false},
		{"weak lockout policy", "", []string{"user", "list", "--config", weakCfg}, 2, "24h", false},
		{"missing config", "", []string{"user", "list", "--config", filepath.Join(e.dir, "none.yaml")}, 2, "none.yaml", false},
		{"delete without --yes", "", []string{"user", "delete", "bob"}, 2, "--yes", false},

		{"duplicate user", pw + "\n", []string{"user", "add", "bob", "--password-stdin"}, 3, "user bob already exists", false},
		{"show unknown", "", []string{"user", "show", "nobody"}, 3, "no such user: nobody", false},
		{"delete unknown", "", []string{"user", "delete", "nobody", "--yes"}, 3, "no such user: nobody", false},
		{"passwd unknown", pw + "\n" + pw + "\n", []string{"user", "passwd", "nobody", "--password-stdin"}, 3, "no such user: nobody", false},
		{"unlock unknown", "", []string{"user", "unlock", "nobody"}, 3, "no such user: nobody", false},
		{"status unknown", "", []string{"2fa", "status", "nobody"}, 3, "no such user: nobody", false},
		{"enable unknown", pw + "\n", []string{"2fa", "enable", "nobody", "--password-stdin", "--begin"}, 3, "no such user: nobody", false},
		{"enable twice", pw + "\n", []string{"2fa", "enable", "alice", "--password-stdin", "--begin"}, 3, "2fa codes regen", false},
		{"confirm twice", pw + "\n", []string{"2fa", "enable", "alice", "--password-stdin", "--confirm", "123456"}, 3, "already enabled", false},
		{"confirm without --begin", pw + "\n", []string{"2fa", "enable", "bob", "--password-stdin", "--confirm", "123456"}, 3, "no pending", false},
		{"regen without 2fa", pw + "\n", []string{"2fa", "codes", "regen", "bob", "--password-stdin"}, 3, "not enabled", false},
		{"disable without 2fa", pw + "\n", []string{"2fa", "disable", "bob", "--password-stdin"}, 3, "not enabled", false},
		{"reset without 2fa", "", []string{"2fa", "reset", "bob", "--yes"}, 3, "not enabled", false},
		{"backup over a file", "", []string{"db", "backup", e.db}, 3, "already exists", false},
	}
	for _, tt := range tests {
		before := readFile(t, e.db)
		r := e.run(tt.stdin, tt.args...)
		if r.code != tt.code {
			t.Errorf("%s: authctl %q: want exit %d, got %s", tt.name, tt.args, tt.code, r)
			continue
		}
		out := r.stderr
		if tt.code == 0 {
			out = r.stdout
		} else {
			wantStderr(t, r)
		}
		if !strings.Contains(out, tt.msg) {
			t.Errorf("%s: authctl %q: output does not mention %q: %s", tt.name, tt.args, tt.msg, r)
		}
		if !tt.writes && !bytes.Equal(before, readFile(t, e.db)) {
			t.Errorf("%s: authctl %q changed the database", tt.name, tt.args)
		}
	}
	// No row created a user or changed the two accounts' 2FA state.
	list := decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json").stdout)
	if len(list) != 2 || !list[0].TwoFactor || list[0].Name != "alice" || list[1].TwoFactor || list[1].PendingEnrollment {
		t.Errorf("users changed: %+v", list)
	}
}

// Exit 4: the database is missing, not a file, not an authctl database, or
// out of reach; each says so in one line and nothing is created or changed.
func TestExitCodeEnvironment(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"

	t.Run("missing database", func(t *testing.T) {
		e := newEnv(t)
		for _, args := range [][]string{
			{"user", "list"}, {"user", "show", "bob"}, {"audit"}, {"db", "check"},
		} {
			r := e.must(4, "", args...)
			wantStderr(t, r, "no database at "+e.db, "user add")
		}
		r := e.must(4, pw+"\n", "login", "bob", "--password-stdin")
		wantStderr(t, r, "no database")
		if _, err := os.Stat(filepath.Dir(e.db)); !os.IsNotExist(err) {
			t.Fatalf("a read created the database or its directory: %v", err)
		}
		// A write creates it: 0600 in a 0700 directory.
		e.addUser("bob", pw)
		checkMode(t, e.db, 0o600)
		checkMode(t, filepath.Dir(e.db), 0o700|os.ModeDir)
	})

	t.Run("path is a directory", func(t *testing.T) {
		e := newEnv(t)
		dir := filepath.Join(e.dir, "db.d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, in := range []struct {
			stdin string
			args  []string
		}{
			{"", []string{"user", "list", "--db", dir}},
			{pw + "\n", []string{"user", "add", "bob", "--password-stdin", "--db", dir}},
		} {
			r := e.must(4, in.stdin, in.args...)
			wantStderr(t, r, dir+" is a directory")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("authctl wrote into the directory: %v", ents)
		}
	})

	t.Run("path under a file", func(t *testing.T) {
		// Fails with ENOTDIR for every user, root included.
		e := newEnv(t)
		file := filepath.Join(e.dir, "plain")
		writeFile(t, file, []byte("not a directory\n"))
		db := filepath.Join(file, "authctl.db")
		r := e.must(4, pw+"\n", "user", "add", "bob", "--password-stdin", "--db", db)
		wantStderr(t, r, db, "not a directory")
		r = e.must(4, "", "user", "list", "--db", db)
		wantStderr(t, r, db)
	})

	// Foreign and corrupt files are refused for reads and for writes, and
	// left byte for byte as they were.
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	valid := func(t *testing.T) []byte {
		e := newEnv(t)
		e.addUser("bob", pw)
		return readFile(t, e.db)
	}
	foreign := func(t *testing.T) []byte {
		p := filepath.Join(t.TempDir(), "other.db")
		db, err := bolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("widgets"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return readFile(t, p)
	}
	for _, tt := range []struct {
		name string
		data func(t *testing.T) []byte
		msg  string
	}{
		{"text file", func(*testing.T) []byte { return []byte("name,password\nbob,hunter22\n") }, "not an authctl database"},
		{"random 64 KiB", func(*testing.T) []byte { return random(64 << 10) }, "not an authctl database"},
		// Garbage between one and two pages long.
		{"random 5000 bytes", func(*testing.T) []byte { return random(5000) }, "not an authctl database"},
		{"authctl database cut short", func(t *testing.T) []byte { return valid(t)[:5000] }, "not an authctl database"},
		{"other bbolt database", foreign, "not an authctl database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			data := tt.data(t)
			writeFile(t, e.db, data)
			for _, in := range []struct {
				stdin string
				args  []string
			}{
				{"", []string{"user", "list"}},
				{pw + "\n", []string{"login", "bob", "--password-stdin"}},
				{pw + "\n", []string{"user", "add", "carl", "--password-stdin"}},
				{"", []string{"db", "check"}},
			} {
				r := e.must(4, in.stdin, in.args...)
				wantStderr(t, r, e.db, tt.msg)
				if !bytes.Equal(readFile(t, e.db), data) {
					t.Fatalf("authctl %q changed the file", in.args)
				}
			}
		})
	}

	t.Run("read-only database", func(t *testing.T) {
		e := newEnv(t)
		e.addUser("bob", pw)
		before := readFile(t, e.db)
		asUser := e.readOnlyDB()
		// Reads work; a write fails with exit 4 and says why.
		if r := asUser(0, "", "user", "list"); !strings.Contains(r.stdout, "bob") {
			t.Fatalf("user list of a read-only database: %s", r)
		}
		r := asUser(4, pw+"\n", "user", "add", "carl", "--password-stdin")
		wantStderr(t, r, "cannot open database "+e.db, "permission denied")
		// A login records its outcome, so it needs to write too.
		r = asUser(4, pw+"\n", "login", "bob", "--password-stdin")
		wantStderr(t, r, "permission denied")
		if !bytes.Equal(before, readFile(t, e.db)) {
			t.Fatal("the read-only database changed")
		}
	})
}

// readOnlyDB makes e's database read-only for the authctl processes that
// the returned function runs. Permission bits do not stop root, so when the
// tests run as root those processes run as nobody (uid 65534), which owns
// the files, with the database file at 0400.
func (e *env) readOnlyDB() func(want int, stdin string, args ...string) result {
	e.t.Helper()
	if err := os.Chmod(e.db, 0o400); err != nil {
		e.t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return func(want int, stdin string, args ...string) result {
			e.t.Helper()
			return e.must(want, stdin, args...)
		}
	}
	const nobody = 65534
	// Let nobody reach e.dir (t.TempDir's parents are 0700) and own what is in it.
	for d := e.dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := filepath.Walk(e.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	}); err != nil {
		e.t.Fatal(err)
	}
	// nobody cannot reach the binary in the harness's 0700 build directory.
	exe := pubBin
	return func(want int, stdin string, args ...string) result {
		e.t.Helper()
		c := e.command(e.t.Context(), args...)
		c.Path, c.Args[0] = exe, exe
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		c.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		r := exitResult(e.t, args, out.String(), errb.String(), err)
		if r.code != want {
			e.t.Fatalf("authctl %s as uid %d: want exit %d, got %s", strings.Join(args, " "), nobody, want, r)
		}
		return r
	}
}

// A second process waits for the database lock up to --lock-timeout, then
// fails with exit 4 and a clear message; it never hangs.
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("alice", pw)

	// This test process holds the lock, as a running authctl would.
	db, err := bolt.Open(e.db, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.run(pw+"\n", "user", "add", "bob", "--password-stdin", "--lock-timeout", "300ms")
	took := time.Since(start)
	if r.code != 4 {
		db.Close()
		t.Fatalf("with the lock held: want exit 4, got %s", r)
	}
	wantStderr(t, r, "database "+e.db+" is locked by another authctl process", "300ms", "--lock-timeout")
	if took < 300*time.Millisecond || took > 10*time.Second {
		t.Errorf("gave up after %s; want at least the 300ms timeout and well under 10s", took)
	}
	// Reads wait for a writer too.
	r = e.run("", "user", "list", "--lock-timeout", "100ms")
	if r.code != 4 || !strings.Contains(r.stderr, "locked by another authctl process") {
		t.Errorf("user list with the lock held: %s", r)
	}
	db.Close()
	e.must(3, "", "user", "show", "bob")

	// Released within the timeout, the waiting process goes on and succeeds.
	db, err = bolt.Open(e.db, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := e.command(t.Context(), "user", "add", "bob", "--password-stdin", "--lock-timeout", "5s")
	c.Stdin = strings.NewReader(pw + "\n")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start = time.Now()
	if err := c.Start(); err != nil {
		db.Close()
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // hold the lock a while, then let go
	db.Close()
	err = c.Wait()
	r = exitResult(t, c.Args, out.String(), errb.String(), err)
	took = time.Since(start)
	if r.code != 0 || r.stdout != "user bob added\n" {
		t.Fatalf("after the lock was released: %s", r)
	}
	if took < 200*time.Millisecond {
		t.Errorf("finished after %s, before the lock was released at 200ms: it did not wait", took)
	}
	e.must(0, pw+"\n", "login", "bob", "--password-stdin")
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func checkMode(t testing.TB, p string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Errorf("%s has mode %v, want %v", p, got, want)
	}
}
