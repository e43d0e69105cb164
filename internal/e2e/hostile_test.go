package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hostileBase is a populated installation that every row of the hostile
// table starts from: alice without 2FA, bob and carol with 2FA, bob with a
// pending change of nothing. Rows get a byte-for-byte copy.
type hostileBase struct {
	dir         string
	bobCodes    []string
	carolCodes  []string
	bobApp      *authenticator
	config      string
	hostilePass string
}

const hostilePW = "correct horse battery"

func newHostileBase(t *testing.T) *hostileBase {
	t.Helper()
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(cheapConfig))
	e.addUser("alice", hostilePW)
	e.addUser("bob", hostilePW)
	e.addUser("carol", hostilePW)
	bobApp, bobCodes := e.enroll("bob", hostilePW)
	_, carolCodes := e.enroll("carol", hostilePW)
	return &hostileBase{dir: e.dir, bobCodes: bobCodes, carolCodes: carolCodes, bobApp: bobApp, config: filepath.Join(e.dir, "test-config.yaml")}
}

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(to, fi.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is the state authctl must not change: every file's bytes (the
// database, the key file, the config), and the list of files, leaving out
// the lock sidecar whose existence carries no data.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() || strings.HasSuffix(p, ".lock") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func diffSnapshots(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "removed "+k)
		} else if w != v {
			d = append(d, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	slices.Sort(d)
	return d
}

// Bad input of every kind gets its documented exit code and one line on
// stderr, prints nothing on stdout, and (where the command must not write)
// leaves every file byte for byte as it was.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	base := newHostileBase(t)
	const pw = hostilePW
	huge := strings.Repeat("p", 1<<20)

	type row struct {
		name  string
		args  []string
		stdin string
		setup func(t *testing.T, e *env) // may change the copy before the snapshot
		code  int
		msg   string
		// writes is true where the command records the refusal (a failed
		// login counts towards the lock and is audited).
		writes bool
	}
	rows := []row{
		// Names.
		{name: "empty name", args: []string{"user", "add", "", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name"},
		{name: "65-byte name", args: []string{"user", "add", strings.Repeat("n", 65), "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "64 bytes"},
		{name: "huge name", args: []string{"user", "show", strings.Repeat("n", 100000)}, code: 2, msg: "64 bytes"},
		{name: "name with a space", args: []string{"user", "add", "a b", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "whitespace"},
		{name: "name with a newline", args: []string{"user", "add", "a\nb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name"},
		{name: "name with a tab", args: []string{"user", "passwd", "a\tb", "--password-stdin"}, stdin: pw + "\n" + pw + "!\n", code: 2, msg: "control character"},
		// A name no user can have is bad input even at login (it says
		// nothing about which users exist).
		{name: "login with a name with a tab", args: []string{"login", "a\tb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "control character"},
		{name: "name with ESC", args: []string{"user", "add", "a\x1b[31mb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "control"},
		{name: "name of invalid UTF-8", args: []string{"user", "add", "a\xff\xfeb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "UTF-8"},
		{name: "name with a zero-width space", args: []string{"user", "add", "a\u200bb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name"},

		// Passwords on standard input.
		{name: "1 MiB password without newline", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: huge, code: 2, msg: "longer than"},
		{name: "password with NUL", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: "pass\x00word123\n", code: 2, msg: "password"},
		{name: "password of invalid UTF-8", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: "pass\xffword123\n", code: 2, msg: "UTF-8"},
		{name: "empty password", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: "\n", code: 2, msg: "shorter than 8"},
		{name: "no input at all", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: "", code: 2, msg: "input"},
		{name: "7-character password", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: "1234567\n", code: 2, msg: "shorter than 8"},
		{name: "1025-byte password", args: []string{"user", "add", "dave", "--password-stdin"}, stdin: strings.Repeat("é", 513) + "\n", code: 2, msg: "1024"},
		{name: "passwd without the new password", args: []string{"user", "passwd", "alice", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "input"},
		{name: "no terminal and no --password-stdin", args: []string{"login", "alice"}, code: 2, msg: "--password-stdin"},

		// One-time codes.
		{name: "5-digit code", args: []string{"login", "bob", "--password-stdin", "--code", "12345"}, stdin: pw + "\n", code: 2, msg: "code"},
		{name: "7-digit code", args: []string{"login", "bob", "--password-stdin", "--code", "1234567"}, stdin: pw + "\n", code: 2, msg: "code"},
		{name: "letters for a code", args: []string{"login", "bob", "--password-stdin", "--code", "abcdef"}, stdin: pw + "\n", code: 2, msg: "code"},
		{name: "code with NUL", args: []string{"login", "bob", "--password-stdin"}, stdin: pw + "\n123\x00456\n", code: 2, msg: "code"},
		{name: "full-width digits", args: []string{"login", "bob", "--password-stdin", "--code", "１２３４５６"}, stdin: pw + "\n", code: 2, msg: "code"},
		{name: "backup code with 0 and o", args: []string{"login", "bob", "--password-stdin", "--code", "0o0o0-1l1l1"}, stdin: pw + "\n", code: 2, msg: "code"},
		{name: "huge code", args: []string{"login", "bob", "--password-stdin"}, stdin: pw + "\n" + strings.Repeat("1", 1<<20) + "\n", code: 2, msg: ""},
		{name: "another user's backup code", args: []string{"login", "bob", "--password-stdin", "--code", base.carolCodes[0]}, stdin: pw + "\n", code: 1, msg: "login failed", writes: true},
		{name: "well-formed wrong code", args: []string{"login", "bob", "--password-stdin", "--code", "000000"}, stdin: pw + "\n", code: 1, msg: "login failed", writes: true},
		{name: "code for a user without 2FA", args: []string{"2fa", "enable", "alice", "--password-stdin", "--confirm", "123456"}, stdin: pw + "\n", code: 3, msg: "no pending"},
		{name: "confirm with a malformed code", args: []string{"2fa", "enable", "alice", "--password-stdin", "--confirm", "12x456"}, stdin: pw + "\n", code: 2, msg: "6 digits"},

		// Unknown users.
		{name: "show unknown", args: []string{"user", "show", "nobody"}, code: 3, msg: "no such user"},
		{name: "delete unknown", args: []string{"user", "delete", "nobody", "--yes"}, code: 3, msg: "no such user"},
		{name: "passwd unknown", args: []string{"user", "passwd", "nobody", "--password-stdin"}, stdin: pw + "\nanother password\n", code: 3, msg: "no such user"},
		{name: "unlock unknown", args: []string{"user", "unlock", "nobody"}, code: 3, msg: "no such user"},
		{name: "2fa enable unknown", args: []string{"2fa", "enable", "nobody", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 3, msg: "no such user"},
		{name: "2fa disable unknown", args: []string{"2fa", "disable", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "no such user"},
		{name: "2fa status unknown", args: []string{"2fa", "status", "nobody"}, code: 3, msg: "no such user"},
		{name: "2fa codes regen unknown", args: []string{"2fa", "codes", "regen", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "no such user"},
		{name: "2fa reset unknown", args: []string{"2fa", "reset", "nobody", "--yes"}, code: 3, msg: "no such user"},
		{name: "login unknown", args: []string{"login", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 1, msg: "invalid username or password", writes: true},

		// Wrong state.
		{name: "add an existing user", args: []string{"user", "add", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "already exists"},
		{name: "disable when off", args: []string{"2fa", "disable", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "not enabled"},
		{name: "regen when off", args: []string{"2fa", "codes", "regen", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "not enabled"},
		{name: "enable when on", args: []string{"2fa", "enable", "bob", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 3, msg: "already enabled"},
		{name: "reset when off", args: []string{"2fa", "reset", "alice", "--yes"}, code: 3, msg: "not enabled"},
		{name: "delete without --yes in a script", args: []string{"user", "delete", "alice"}, code: 2, msg: "--yes"},
		{name: "backup over an existing file", args: []string{"db", "backup", "test-config.yaml"}, code: 3, msg: "already exists"},

		// Flags and settings.
		{name: "unknown flag", args: []string{"user", "list", "--bogus"}, code: 2, msg: "unknown flag"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, msg: "unknown command"},
		{name: "too many arguments", args: []string{"user", "show", "alice", "bob"}, code: 2, msg: "user name"},
		{name: "-o yaml", args: []string{"user", "list", "-o", "yaml"}, code: 2, msg: "output format"},
		{name: "garbage --lock-timeout", args: []string{"user", "list", "--lock-timeout", "soon"}, code: 2, msg: "lock-timeout"},
		{name: "negative --limit", args: []string{"audit", "--limit", "-1"}, code: 2, msg: "limit"},
		{name: "garbage --since", args: []string{"audit", "--since", "yesterday"}, code: 2, msg: "since"},
		{name: "unknown --qr-mode", args: []string{"2fa", "enable", "alice", "--password-stdin", "--qr-mode", "sixel"}, stdin: pw + "\n", code: 2, msg: "QR mode"},
		{name: "--begin with --confirm", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--confirm", "123456"}, stdin: pw + "\n", code: 2, msg: ""},
		{name: "unknown import format", args: []string{"user", "import", "-", "--format", "xml"}, stdin: "name,password\n", code: 2, msg: "format"},
		{name: "import of garbage", args: []string{"user", "import", "-", "--format", "csv"}, stdin: "\x00\x01\x02garbage\xff\n", code: 2, msg: "CSV header"},
		{name: "import of a bad line", args: []string{"user", "import", "-"}, stdin: "name,password\ndave,correct horse\nerin,short\n", code: 2, msg: "line 3"},
		{name: "issuer with a colon", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--issuer", "a:b"}, stdin: pw + "\n", code: 2, msg: "issuer"},

		// Garbage files.
		{name: "config of binary bytes", args: []string{"user", "list"}, code: 2, msg: "config file",
			setup: func(t *testing.T, e *env) { writeFile(t, base.configIn(e), []byte("\x00\xff\xfe\x01garbage: [")) }},
		{name: "config with a word for a number", args: []string{"user", "list"}, code: 2, msg: "lockout.threshold",
			setup: func(t *testing.T, e *env) { writeFile(t, base.configIn(e), []byte("lockout:\n  threshold: lots\n")) }},
		{name: "config with threshold 0", args: []string{"user", "list"}, code: 2, msg: "lockout.threshold",
			setup: func(t *testing.T, e *env) { writeFile(t, base.configIn(e), []byte("lockout:\n  threshold: 0\n")) }},
		{name: "config with threshold 1000", args: []string{"user", "list"}, code: 2, msg: "lockout.threshold",
			setup: func(t *testing.T, e *env) { writeFile(t, base.configIn(e), []byte("lockout:\n  threshold: 1000\n")) }},
		{name: "config with a weak lockout policy", args: []string{"user", "list"}, code: 2, msg: "24h",
			setup: func(t *testing.T, e *env) {
				writeFile(t, base.configIn(e), []byte("lockout:\n  threshold: 10\n  delay: 1s\n  max-delay: 1m\n"))
			}},
		// (An empty file is where a write creates the database, as for a
		// missing one; a read says there is nothing yet.)
		{name: "empty database file", args: []string{"user", "list"}, code: 4, msg: "is empty",
			setup: func(t *testing.T, e *env) { writeFile(t, e.db, nil) }},
		{name: "database of zeros", args: []string{"user", "list"}, code: 4, msg: "not an authctl database",
			setup: func(t *testing.T, e *env) { writeFile(t, e.db, make([]byte, 64<<10)) }},
		{name: "database cut short", args: []string{"login", "alice", "--password-stdin"}, stdin: pw + "\n", code: 4, msg: "corrupt",
			setup: func(t *testing.T, e *env) { writeFile(t, e.db, readFile(t, e.db)[:3*4096]) }},
		{name: "database path is a directory", args: []string{"user", "list", "--db", "data"}, code: 4, msg: "is a directory"},
		{name: "key file of the wrong length", args: []string{"login", "bob", "--password-stdin", "--code", "123456"}, stdin: pw + "\n", code: 4, msg: "key file",
			setup: func(t *testing.T, e *env) { writeFile(t, e.key, []byte("authctl-key-v1:AAAA\n")) }},
		{name: "key file is a directory", args: []string{"login", "bob", "--password-stdin", "--code", "123456"}, stdin: pw + "\n", code: 4, msg: "key",
			setup: func(t *testing.T, e *env) { os.Remove(e.key); os.Mkdir(e.key, 0o700) }},
	}
	if len(rows) < 30 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			copyTree(t, base.dir, e.dir)
			e.setenv("AUTHCTL_CONFIG=" + base.configIn(e))
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := snapshot(t, e.dir)
			r := e.run(tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("want exit %d, got %s", tt.code, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout is not empty on error: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "authctl: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr is not one line starting \"authctl: \": %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("stderr %q does not mention %q", r.stderr, tt.msg)
			}
			if in := strings.TrimSpace(tt.stdin); strings.Contains(r.stderr, pw) || (in != "" && len(in) < 200 && strings.Contains(r.stderr, in)) {
				t.Errorf("stderr repeats the input: %q", r.stderr)
			}
			after := snapshot(t, e.dir)
			if d := diffSnapshots(before, after); !tt.writes && len(d) > 0 {
				t.Errorf("a refused command changed files: %v", d)
			} else if tt.writes && !slices.Equal(d, []string{"changed data/authctl/authctl.db"}) {
				t.Errorf("a refused login should change only the database (its failure counter and audit), got %v", d)
			}
		})
	}
}

// configIn is the path of the base's config file inside e's copy.
func (b *hostileBase) configIn(e *env) string {
	rel, _ := filepath.Rel(b.dir, b.config)
	return filepath.Join(e.dir, rel)
}
