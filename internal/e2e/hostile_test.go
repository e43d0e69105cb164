package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// hostilePW is the password of every user of the hostile base.
const hostilePW = "correct horse battery"

// hostileBase is the populated installation every row of the hostile table
// starts from, made once: alice without 2FA, bob and carol with 2FA on, dave
// with an enrollment begun and not confirmed. Each row gets a byte-for-byte
// copy of its directory.
type hostileBase struct {
	dir        string
	carolCodes []string // backup codes of carol, which are no use to bob
}

func newHostileBase(t *testing.T) *hostileBase {
	t.Helper()
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(faultConfig))
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		e.addUser(n, hostilePW)
	}
	e.enroll("bob", hostilePW)
	_, carolCodes := e.enroll("carol", hostilePW)
	e.must(0, hostilePW+"\n", "2fa", "enable", "dave", "--password-stdin", "--begin")
	// The lock sidecar is left out of the copies, so that a row shows
	// whether it creates one.
	if err := os.Remove(e.db + ".lock"); err != nil {
		t.Fatal(err)
	}
	return &hostileBase{dir: e.dir, carolCodes: carolCodes}
}

// env returns a fresh copy of the base for one row.
func (b *hostileBase) env(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	err := filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(b.dir, p)
		to := filepath.Join(e.dir, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.setenv("AUTHCTL_CONFIG=" + e.configFile())
	return e
}

// configFile is the config file writeConfig wrote into e's directory.
func (e *env) configFile() string { return filepath.Join(e.dir, "test-config.yaml") }

// lockSidecar is the one file authctl may leave behind without writing
// anything: the empty file it takes its lock on, next to the database.
const lockSidecar = "data/authctl/authctl.db.lock"

// attemptsTable holds the attempts in progress, beside the database: an
// authentication attempt writes it, and leaves no attempt in it when the
// process ends.
const attemptsTable = "data/authctl/authctl.db.attempts"

// withoutScratch removes from a diff of snapshots of dir the files that any
// authctl process may leave changed: the lock sidecar (always empty) and
// the table of attempts (with no attempt in progress once authctl is done).
func withoutScratch(t *testing.T, dir string, d []string) []string {
	t.Helper()
	return slices.DeleteFunc(d, func(c string) bool {
		switch c {
		case "added " + lockSidecar:
			if fi, err := os.Stat(filepath.Join(dir, lockSidecar)); err != nil || fi.Size() != 0 {
				t.Errorf("the lock sidecar is not empty: %v", err)
			}
			return true
		case "added " + attemptsTable, "changed " + attemptsTable:
			b, err := os.ReadFile(filepath.Join(dir, attemptsTable))
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < len(b); off += 64 {
				if b[off] == 1 {
					t.Errorf("an attempt is left in progress in the table at offset %d", off)
				}
			}
			return true
		}
		return false
	})
}

// snapshot is what authctl must not change: every file and directory under
// dir, with the sha256 of each file's bytes (or, for a file the test cannot
// read, its mode and size).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch b, err := os.ReadFile(p); {
		case d.IsDir():
			files[rel] = "directory"
		case err != nil:
			files[rel] = fmt.Sprintf("unreadable %v %d bytes", fi.Mode(), fi.Size())
		default:
			sum := sha256.Sum256(b)
			files[rel] = hex.EncodeToString(sum[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// diffSnapshots lists what changed from a to b.
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

// editUser rewrites the stored JSON record of name in e's database, for
// states that only time would bring (an expired enrollment).
func editUser(t *testing.T, e *env, name string, edit func(u map[string]any)) {
	t.Helper()
	db, err := bolt.Open(e.db, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("users"))
		if b == nil {
			return fmt.Errorf("no users bucket")
		}
		var u map[string]any
		if err := json.Unmarshal(b.Get([]byte(name)), &u); err != nil {
			return fmt.Errorf("record of %s: %v", name, err)
		}
		edit(u)
		v, err := json.Marshal(u)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Bad input of every kind gets its documented exit code, one line on
// stderr starting "authctl: " and nothing on stdout, and (where the command
// must not write) leaves every file and directory of the installation as
// it was: the database and key file byte for byte, no new file but the
// empty lock sidecar.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	base := newHostileBase(t)
	const pw = hostilePW
	huge := strings.Repeat("p", 1<<20)
	withConfig := func(yaml string) func(*testing.T, *env) runAs {
		return func(t *testing.T, e *env) runAs {
			writeFile(t, e.configFile(), []byte(yaml))
			return nil
		}
	}
	withDB := func(data func(t *testing.T, e *env) []byte) func(*testing.T, *env) runAs {
		return func(t *testing.T, e *env) runAs {
			writeFile(t, e.db, data(t, e))
			return nil
		}
	}
	random := func(n int) func(*testing.T, *env) []byte {
		return func(*testing.T, *env) []byte { return randomBytes(n) }
	}

	type row struct {
		name  string
		args  []string
		stdin string
		// setup changes the row's copy before the "before" snapshot; it
		// may return how to run authctl (as another user).
		setup func(t *testing.T, e *env) runAs
		code  int
		msg   string // in stderr
		// mustNotWrite: every file stays as it was. Otherwise the command
		// records the refusal (a failed login counts towards the lock and
		// is audited) and the database, and only it, must change.
		mustNotWrite bool
		// lines on stderr, when not 1, with the reason in a comment.
		lines int
	}
	rows := []row{
		// ---- User names ----
		{name: "empty name", args: []string{"user", "add", "", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name", mustNotWrite: true},
		{name: "65-byte name", args: []string{"user", "add", strings.Repeat("n", 65), "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "64 bytes", mustNotWrite: true},
		{name: "100000-byte name", args: []string{"user", "show", strings.Repeat("n", 100000)}, code: 2, msg: "64 bytes", mustNotWrite: true},
		{name: "name with a space", args: []string{"user", "add", "a b", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "whitespace", mustNotWrite: true},
		{name: "name with a newline", args: []string{"user", "add", "a\nb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name", mustNotWrite: true},
		{name: "name with a tab", args: []string{"user", "passwd", "a\tb", "--password-stdin"}, stdin: pw + "\n" + pw + "!\n", code: 2, msg: "control character", mustNotWrite: true},
		// A name no user can have is bad input even at login; it says
		// nothing about which users exist.
		{name: "login with a name with a tab", args: []string{"login", "a\tb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "control character", mustNotWrite: true},
		// NIST SP 800-63B §5.1.1.2: common passwords, and the user's own name.
		{name: "common password", args: []string{"user", "add", "newcomer", "--password-stdin"}, stdin: "password123\n", code: 2, msg: "most commonly used passwords", mustNotWrite: true},
		{name: "common password at passwd", args: []string{"user", "passwd", "alice", "--password-stdin"}, stdin: pw + "\n12345678\n", code: 2, msg: "most commonly used passwords", mustNotWrite: true},
		{name: "the name as password", args: []string{"user", "add", "newcomer", "--password-stdin"}, stdin: "NEWCOMER\n", code: 2, msg: "same as the user name", mustNotWrite: true},
		{name: "name with ESC", args: []string{"user", "add", "a\x1b[31mb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "control", mustNotWrite: true},
		{name: "name of invalid UTF-8", args: []string{"user", "add", "a\xff\xfeb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "UTF-8", mustNotWrite: true},
		{name: "name with a zero-width space", args: []string{"user", "add", "a\u200bb", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "name", mustNotWrite: true},
		// A NUL cannot be in an argument (execve takes C strings; os/exec
		// refuses it), so it comes through an import file.
		{name: "name with NUL in an import", args: []string{"user", "import", "-", "--format", "csv"}, stdin: "name,password\nda\x00ve,correct horse\n", code: 2, msg: "control character", mustNotWrite: true},
		{name: "2fa status of a name with ESC", args: []string{"2fa", "status", "\x1b]0;pwned\a"}, code: 2, msg: "control", mustNotWrite: true},

		// ---- Passwords on standard input ----
		{name: "1 MiB password without newline", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: huge, code: 2, msg: "longer than", mustNotWrite: true},
		{name: "1 MiB current password at login", args: []string{"login", "alice", "--password-stdin"}, stdin: huge, code: 2, msg: "longer than", mustNotWrite: true},
		{name: "password with NUL", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: "pass\x00word123\n", code: 2, msg: "password", mustNotWrite: true},
		{name: "new password with NUL", args: []string{"user", "passwd", "alice", "--password-stdin"}, stdin: pw + "\npass\x00word123\n", code: 2, msg: "password", mustNotWrite: true},
		{name: "password of invalid UTF-8", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: "pass\xffword123\n", code: 2, msg: "UTF-8", mustNotWrite: true},
		{name: "empty password", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: "\n", code: 2, msg: "shorter than 8", mustNotWrite: true},
		{name: "no input at all", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: "", code: 2, msg: "input", mustNotWrite: true},
		{name: "7-character password", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: "1234567\n", code: 2, msg: "shorter than 8", mustNotWrite: true},
		{name: "1026-byte password", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: strings.Repeat("é", 513) + "\n", code: 2, msg: "1024", mustNotWrite: true},
		{name: "passwd without the new password", args: []string{"user", "passwd", "alice", "--password-stdin"}, stdin: pw + "\n", code: 2, msg: "input", mustNotWrite: true},
		{name: "no terminal and no --password-stdin", args: []string{"login", "alice"}, code: 2, msg: "--password-stdin", mustNotWrite: true},

		// ---- One-time codes ----
		{name: "5-digit code", args: []string{"login", "bob", "--password-stdin", "--code", "12345"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "7-digit code", args: []string{"login", "bob", "--password-stdin", "--code", "1234567"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "letters for a code", args: []string{"login", "bob", "--password-stdin", "--code", "abcdef"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "digits and a letter", args: []string{"login", "bob", "--password-stdin", "--code", "12e456"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		// A malformed code after the right password is counted as a failed
		// attempt (its answer tells the password was right), so the
		// database records it.
		{name: "code with NUL on stdin", args: []string{"login", "bob", "--password-stdin"}, stdin: pw + "\n123\x00456\n", code: 2, msg: "code", mustNotWrite: false},
		{name: "full-width digits", args: []string{"login", "bob", "--password-stdin", "--code", "１２３４５６"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "5 digits with a space inside", args: []string{"login", "bob", "--password-stdin", "--code", "12 345"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		// Apps show "123 456": the space inside is accepted and the code
		// checked, so a wrong one is a denial like any other.
		{name: "wrong 6 digits with a space inside", args: []string{"login", "bob", "--password-stdin", "--code", "000 000"}, stdin: pw + "\n", code: 1, msg: "invalid or already used code"},
		{name: "backup code with 0, o, 1 and l", args: []string{"login", "bob", "--password-stdin", "--code", "0o0o0-1l1l1"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "backup code with punctuation", args: []string{"login", "bob", "--password-stdin", "--code", "abcde_fghjk"}, stdin: pw + "\n", code: 2, msg: "invalid --code", mustNotWrite: true},
		{name: "1 MiB code on stdin", args: []string{"login", "bob", "--password-stdin"}, stdin: pw + "\n" + strings.Repeat("1", 1<<20) + "\n", code: 2, msg: "longer than", mustNotWrite: false},
		{name: "another user's backup code", args: []string{"login", "bob", "--password-stdin", "--code", base.carolCodes[0]}, stdin: pw + "\n", code: 1, msg: "invalid or already used code"},
		{name: "well-formed wrong code", args: []string{"login", "bob", "--password-stdin", "--code", "000000"}, stdin: pw + "\n", code: 1, msg: "invalid or already used code"},
		{name: "malformed --confirm", args: []string{"2fa", "enable", "dave", "--password-stdin", "--confirm", "12x456"}, stdin: pw + "\n", code: 2, msg: "invalid --confirm", mustNotWrite: true},
		{name: "7-digit --confirm", args: []string{"2fa", "enable", "dave", "--password-stdin", "--confirm", "1234567"}, stdin: pw + "\n", code: 2, msg: "invalid --confirm", mustNotWrite: true},

		// ---- Unknown users, for every command that names one ----
		// The attempt is audited, as for a known user.
		{name: "login unknown", args: []string{"login", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 1, msg: "invalid username or password"},
		{name: "show unknown", args: []string{"user", "show", "nobody"}, code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "delete unknown", args: []string{"user", "delete", "nobody", "--yes"}, code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "passwd unknown", args: []string{"user", "passwd", "nobody", "--password-stdin"}, stdin: pw + "\nanother password\n", code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "unlock unknown", args: []string{"user", "unlock", "nobody"}, code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa enable --begin unknown", args: []string{"2fa", "enable", "nobody", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa enable --confirm unknown", args: []string{"2fa", "enable", "nobody", "--password-stdin", "--confirm", "123456"}, stdin: pw + "\n", code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa disable unknown", args: []string{"2fa", "disable", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa status unknown", args: []string{"2fa", "status", "nobody"}, code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa codes regen unknown", args: []string{"2fa", "codes", "regen", "nobody", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "no such user: nobody", mustNotWrite: true},
		{name: "2fa reset unknown", args: []string{"2fa", "reset", "nobody", "--yes"}, code: 3, msg: "no such user: nobody", mustNotWrite: true},

		// ---- Wrong state ----
		{name: "add an existing user", args: []string{"user", "add", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "user alice already exists", mustNotWrite: true},
		{name: "disable when off", args: []string{"2fa", "disable", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "not enabled", mustNotWrite: true},
		{name: "codes regen when off", args: []string{"2fa", "codes", "regen", "alice", "--password-stdin"}, stdin: pw + "\n", code: 3, msg: "not enabled", mustNotWrite: true},
		{name: "reset when off", args: []string{"2fa", "reset", "alice", "--yes"}, code: 3, msg: "not enabled", mustNotWrite: true},
		{name: "enable when on", args: []string{"2fa", "enable", "bob", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 3, msg: "already enabled", mustNotWrite: true},
		{name: "confirm when on", args: []string{"2fa", "enable", "bob", "--password-stdin", "--confirm", "123456"}, stdin: pw + "\n", code: 3, msg: "already enabled", mustNotWrite: true},
		{name: "--confirm without --begin", args: []string{"2fa", "enable", "alice", "--password-stdin", "--confirm", "123456"}, stdin: pw + "\n", code: 3, msg: "no pending", mustNotWrite: true},
		{name: "--confirm of an expired enrollment", args: []string{"2fa", "enable", "dave", "--password-stdin", "--confirm", "123456"}, stdin: pw + "\n", code: 3, msg: "expired",
			setup: func(t *testing.T, e *env) runAs {
				editUser(t, e, "dave", func(u map[string]any) {
					p := u["pending"].(map[string]any)
					p["created_at"] = time.Now().Add(-2 * time.Hour).Format(time.RFC3339Nano)
					p["expires_at"] = time.Now().Add(-time.Hour).Format(time.RFC3339Nano)
				})
				return nil
			}, mustNotWrite: true},
		{name: "delete without --yes in a script", args: []string{"user", "delete", "alice"}, code: 2, msg: "--yes", mustNotWrite: true},
		{name: "reset without --yes in a script", args: []string{"2fa", "reset", "bob"}, code: 2, msg: "--yes", mustNotWrite: true},
		{name: "backup over an existing file", args: []string{"db", "backup", "test-config.yaml"}, code: 3, msg: "already exists", mustNotWrite: true},
		{name: "key rotate without any secret", args: []string{"key", "rotate"}, code: 3, msg: "no 2fa secret",
			setup: func(t *testing.T, e *env) runAs {
				// A database whose only users never began 2FA.
				writeFile(t, e.db, readFile(t, filepath.Join(e.dir, "plain.db")))
				return nil
			}, mustNotWrite: true},

		// ---- Flags and arguments ----
		{name: "unknown flag", args: []string{"user", "list", "--bogus"}, code: 2, msg: "unknown flag: --bogus", mustNotWrite: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, msg: "unknown command", mustNotWrite: true},
		{name: "unknown subcommand", args: []string{"2fa", "frobnicate", "alice"}, code: 2, msg: "authctl 2fa", mustNotWrite: true},
		{name: "too many arguments", args: []string{"user", "show", "alice", "bob"}, code: 2, msg: "one user name", mustNotWrite: true},
		{name: "-o yaml on a read", args: []string{"user", "list", "-o", "yaml"}, code: 2, msg: `invalid output format "yaml"`, mustNotWrite: true},
		{name: "-o yaml on a write", args: []string{"user", "add", "erin", "--password-stdin", "-o", "yaml"}, stdin: pw + "\n", code: 2, msg: `invalid output format "yaml"`, mustNotWrite: true},
		{name: "garbage --lock-timeout", args: []string{"user", "list", "--lock-timeout", "soon"}, code: 2, msg: "lock-timeout", mustNotWrite: true},
		{name: "negative --lock-timeout", args: []string{"user", "unlock", "alice", "--lock-timeout", "-5s"}, code: 2, msg: "lock-timeout", mustNotWrite: true},
		{name: "negative --limit", args: []string{"audit", "--limit", "-1"}, code: 2, msg: "--limit", mustNotWrite: true},
		{name: "garbage --limit", args: []string{"audit", "--limit", "ten"}, code: 2, msg: "--limit", mustNotWrite: true},
		{name: "garbage --since", args: []string{"audit", "--since", "yesterday"}, code: 2, msg: "--since", mustNotWrite: true},
		{name: "impossible --since date", args: []string{"audit", "--since", "2026-13-45"}, code: 2, msg: "--since", mustNotWrite: true},
		{name: "unknown --qr-mode", args: []string{"2fa", "enable", "alice", "--password-stdin", "--qr-mode", "sixel"}, stdin: pw + "\n", code: 2, msg: "QR mode", mustNotWrite: true},
		{name: "--begin with --confirm", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--confirm", "123456"}, stdin: pw + "\n", code: 2, msg: "begin", mustNotWrite: true},
		// The PNG is written after the enrollment is stored, so a path that
		// cannot be written must be refused before anything is.
		{name: "--qr-png in a missing directory", args: []string{"2fa", "enable", "dave", "--password-stdin", "--begin", "--qr-png", "nodir/qr.png"}, stdin: pw + "\n", code: 4, msg: "writing QR code PNG", mustNotWrite: true},
		{name: "--qr-png is a directory", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--qr-png", "data"}, stdin: pw + "\n", code: 4, msg: "is a directory", mustNotWrite: true},
		{name: "issuer with a colon", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--issuer", "a:b"}, stdin: pw + "\n", code: 2, msg: "issuer", mustNotWrite: true},

		// ---- Imports ----
		{name: "unknown import format", args: []string{"user", "import", "-", "--format", "xml"}, stdin: "name,password\n", code: 2, msg: "format", mustNotWrite: true},
		{name: "import of binary bytes on stdin", args: []string{"user", "import", "-", "--format", "csv"}, stdin: "\x00\x01\x02garbage\xff\n", code: 2, msg: "CSV header", mustNotWrite: true},
		{name: "import of a random file", args: []string{"user", "import", "random.bin"}, code: 2, msg: "format",
			setup: func(t *testing.T, e *env) runAs {
				writeFile(t, filepath.Join(e.dir, "random.bin"), randomBytes(4096))
				return nil
			}, mustNotWrite: true},
		{name: "import of a random file as jsonl", args: []string{"user", "import", "random.bin", "--format", "jsonl"}, code: 2, msg: "line 1",
			setup: func(t *testing.T, e *env) runAs {
				writeFile(t, filepath.Join(e.dir, "random.bin"), append([]byte("{"), randomBytes(4096)...))
				return nil
			}, mustNotWrite: true},
		{name: "import with a bad line", args: []string{"user", "import", "-"}, stdin: "name,password\nerin,correct horse\nfrank,short\n", code: 2, msg: "line 3", mustNotWrite: true},
		{name: "import with a common password", args: []string{"user", "import", "-"}, stdin: "name,password\nerin,correct horse\nfrank,Password123\n", code: 2, msg: `line 3 ("frank"): password is one of the most commonly used passwords`, mustNotWrite: true},
		{name: "import with the name as password", args: []string{"user", "import", "-", "--format", "jsonl"}, stdin: `{"name":"frankenstein","password":"FrankenStein"}` + "\n", code: 2, msg: "the same as the user name", mustNotWrite: true},
		{name: "import of a directory", args: []string{"user", "import", "data"}, code: 2, msg: "import file data is a directory", mustNotWrite: true},

		// ---- Config files ----
		{name: "config of binary bytes", args: []string{"user", "list"}, setup: withConfig("\x00\xff\xfe\x01garbage: ["), code: 2, msg: "config file", mustNotWrite: true},
		{name: "config with a word for a number", args: []string{"user", "list"}, setup: withConfig("lockout:\n  threshold: lots\n"), code: 2, msg: "lockout.threshold", mustNotWrite: true},
		{name: "config with threshold 0", args: []string{"user", "list"}, setup: withConfig("lockout:\n  threshold: 0\n"), code: 2, msg: "lockout.threshold", mustNotWrite: true},
		{name: "config with threshold 1000", args: []string{"user", "list"}, setup: withConfig("lockout:\n  threshold: 1000\n"), code: 2, msg: "lockout.threshold", mustNotWrite: true},
		{name: "config with a list for a number", args: []string{"login", "alice", "--password-stdin"}, stdin: pw + "\n", setup: withConfig("lockout:\n  threshold: [1, 2]\n"), code: 2, msg: "lockout.threshold", mustNotWrite: true},
		{name: "config with a weak lockout policy", args: []string{"user", "list"}, setup: withConfig("lockout:\n  threshold: 10\n  delay: 1s\n  max-delay: 1m\n"), code: 2, msg: "24h", mustNotWrite: true},
		{name: "config with a tiny argon2 memory", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: pw + "\n", setup: withConfig("argon2:\n  memory: 1\n"), code: 2, msg: "argon2.memory", mustNotWrite: true},
		{name: "config with argon2 below the OWASP floor", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: pw + "\n", setup: withConfig("argon2:\n  memory: 19456\n  time: 1\n"), code: 2, msg: "below the OWASP minimum", mustNotWrite: true},
		{name: "config with a duration for a word", args: []string{"user", "list"}, setup: withConfig("lock-timeout: forever\n"), code: 2, msg: "lock-timeout", mustNotWrite: true},
		{name: "config is a directory", args: []string{"user", "list", "--config", "data"}, code: 2, msg: "config file", mustNotWrite: true},
		{name: "config file unreadable", args: []string{"user", "list"}, code: 4, msg: "permission denied",
			setup: func(t *testing.T, e *env) runAs {
				as := asNobody(t, e)
				if err := os.Chmod(e.configFile(), 0); err != nil {
					t.Fatal(err)
				}
				return as
			}, mustNotWrite: true},

		// ---- Database files ----
		{name: "empty database file", args: []string{"user", "list"}, setup: withDB(func(*testing.T, *env) []byte { return nil }), code: 4, msg: "is empty", mustNotWrite: true},
		{name: "database of zeros", args: []string{"user", "list"}, setup: withDB(func(*testing.T, *env) []byte { return make([]byte, 64<<10) }), code: 4, msg: "not an authctl database", mustNotWrite: true},
		{name: "database of random bytes, read", args: []string{"user", "show", "alice"}, setup: withDB(random(64 << 10)), code: 4, msg: "not an authctl database", mustNotWrite: true},
		{name: "database of random bytes, write", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: pw + "\n", setup: withDB(random(64 << 10)), code: 4, msg: "not an authctl database", mustNotWrite: true},
		{name: "database of one random page, login", args: []string{"login", "alice", "--password-stdin"}, stdin: pw + "\n", setup: withDB(random(4096)), code: 4, msg: "not an authctl database", mustNotWrite: true},
		{name: "database cut short, login", args: []string{"login", "alice", "--password-stdin"}, stdin: pw + "\n", code: 4, msg: "corrupt",
			setup: withDB(func(t *testing.T, e *env) []byte { return readFile(t, e.db)[:3*4096] }), mustNotWrite: true},
		{name: "database cut short, write", args: []string{"user", "unlock", "alice"}, code: 4, msg: "corrupt",
			setup: withDB(func(t *testing.T, e *env) []byte { return readFile(t, e.db)[:5000] }), mustNotWrite: true},
		{name: "database path is a directory", args: []string{"user", "list", "--db", "data"}, code: 4, msg: "is a directory", mustNotWrite: true},
		{name: "database path is a directory, write", args: []string{"user", "add", "erin", "--password-stdin", "--db", "data"}, stdin: pw + "\n", code: 4, msg: "is a directory", mustNotWrite: true},
		{name: "read-only database, write", args: []string{"user", "add", "erin", "--password-stdin"}, stdin: pw + "\n", code: 4, msg: "permission denied",
			setup: func(t *testing.T, e *env) runAs { return asNobody(t, e, e.db) }, mustNotWrite: true},
		{name: "read-only database, login", args: []string{"login", "alice", "--password-stdin"}, stdin: pw + "\n", code: 4, msg: "permission denied",
			setup: func(t *testing.T, e *env) runAs { return asNobody(t, e, e.db) }, mustNotWrite: true},

		// ---- Key files ----
		{name: "key file of the wrong length", args: []string{"login", "bob", "--password-stdin", "--code", "123456"}, stdin: pw + "\n", code: 4, msg: "key file",
			setup: func(t *testing.T, e *env) runAs { writeFile(t, e.key, []byte("authctl-key-v1:AAAA\n")); return nil }, mustNotWrite: true},
		{name: "key file of random bytes, begin", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 4, msg: "key file",
			setup: func(t *testing.T, e *env) runAs { writeFile(t, e.key, randomBytes(60)); return nil }, mustNotWrite: true},
		{name: "key file is a directory", args: []string{"login", "bob", "--password-stdin", "--code", "123456"}, stdin: pw + "\n", code: 4, msg: "key",
			setup: func(t *testing.T, e *env) runAs {
				if err := os.Remove(e.key); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(e.key, 0o700); err != nil {
					t.Fatal(err)
				}
				return nil
			}, mustNotWrite: true},
		{name: "key file unreadable", args: []string{"login", "bob", "--password-stdin", "--code", "123456"}, stdin: pw + "\n", code: 4, msg: "cannot read key file",
			setup: func(t *testing.T, e *env) runAs {
				as := asNobody(t, e)
				if err := os.Chmod(e.key, 0); err != nil {
					t.Fatal(err)
				}
				return as
			}, mustNotWrite: true},
		// db check lists each problem on its own line before its one-line
		// verdict: the one documented case of more than one line.
		{name: "db check with a wrong key file", args: []string{"db", "check"}, code: 4, msg: "key file", lines: 2,
			setup: func(t *testing.T, e *env) runAs { writeFile(t, e.key, []byte("authctl-key-v1:AAAA\n")); return nil }, mustNotWrite: true},
	}
	if len(rows) < 30 {
		t.Fatalf("only %d rows", len(rows))
	}
	// A database of users without 2FA, for the key rotate row.
	{
		e := base.env(t)
		e.db = filepath.Join(base.dir, "plain.db")
		e.must(0, pw+"\n", "user", "add", "zoe", "--password-stdin", "--db", e.db)
		if err := os.Remove(e.db + ".lock"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d rows", len(rows))
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := base.env(t)
			run := func(stdin string, args ...string) result { return e.run(stdin, args...) }
			if tt.setup != nil {
				if as := tt.setup(t, e); as != nil {
					run = func(stdin string, args ...string) result { return as(tt.code, stdin, args...) }
				}
			}
			before := snapshot(t, e.dir)
			r := run(tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("want exit %d, got %s", tt.code, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout is not empty on error: %q", r.stdout)
			}
			lines := max(tt.lines, 1)
			if strings.Count(r.stderr, "\n") != lines || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("want %d line(s) on stderr, got %q", lines, r.stderr)
			}
			for _, l := range strings.SplitAfter(strings.TrimSuffix(r.stderr, "\n"), "\n") {
				if !strings.HasPrefix(l, "authctl: ") {
					t.Errorf("stderr line %q does not start with \"authctl: \"", l)
				}
			}
			if !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("stderr %q does not mention %q", r.stderr, tt.msg)
			}
			if strings.Contains(r.stderr, pw) {
				t.Errorf("stderr repeats the password: %q", r.stderr)
			}
			after := snapshot(t, e.dir)
			// The lock sidecar may appear (it is created before the lock is
			// taken, even by reads), and the table of attempts change.
			d := withoutScratch(t, e.dir, diffSnapshots(before, after))
			if tt.mustNotWrite && len(d) > 0 {
				t.Errorf("a refused command changed files: %v", d)
			} else if !tt.mustNotWrite && !slices.Equal(d, []string{"changed data/authctl/authctl.db"}) {
				t.Errorf("a refusal that is recorded must change the database and nothing else, got %v", d)
			}
		})
	}
}

// runAs runs authctl as another user and fails the test unless it exits
// with want.
type runAs func(want int, stdin string, args ...string) result

// asNobody hands e's files to an unprivileged user (nobody, when the tests
// run as root; permission bits do not stop root) and returns how to run
// authctl as that user. The files in readOnly become read-only.
func asNobody(t *testing.T, e *env, readOnly ...string) runAs {
	t.Helper()
	mode, err := os.Stat(e.db)
	if err != nil {
		t.Fatal(err)
	}
	as := e.readOnlyDB() // makes e.db 0400 and everything nobody's
	if !slices.Contains(readOnly, e.db) {
		if err := os.Chmod(e.db, mode.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range readOnly {
		if err := os.Chmod(p, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	return as
}
