package e2e

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A copy of the database reveals no password, no backup code and no TOTP
// secret: after whole journeys, the file's bytes (and a `db backup` of it,
// and the audit trail) contain none of them in any form that was printed
// or typed.
func TestNoSecretsAtRest(t *testing.T) {
	t.Parallel()
	e := newInProcEnv(t) // many TOTP steps: on a clock the test moves
	const alicePW, alicePW2, bobPW, carolPW = "alice's first password", "alice's second password", "bob's password 1", "carol's password 1"
	var secrets, codes []string

	// alice: two --begin (the first secret is replaced), confirm, logins
	// with a code and backup codes, regen, password change.
	e.addUser("alice", alicePW)
	r := e.must(0, alicePW+"\n", "2fa", "enable", "alice", "--password-stdin", "--begin", "-o", "json")
	secrets = append(secrets, decodeJSON[enrollmentJSON](t, r.stdout).Secret)
	r = e.must(0, alicePW+"\n", "2fa", "enable", "alice", "--password-stdin", "--begin", "-o", "json")
	s := decodeJSON[enrollmentJSON](t, r.stdout).Secret
	secrets = append(secrets, s)
	app := e.app(s)
	r = e.must(0, alicePW+"\n", "2fa", "enable", "alice", "--password-stdin", "--confirm", app.next(), "-o", "json")
	first := checkBackupCodes(t, r.stdout)
	codes = append(codes, first...)
	e.must(0, alicePW+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	e.must(0, alicePW+"\n", "login", "alice", "--password-stdin", "--code", first[0])
	e.must(1, alicePW+"\n", "login", "alice", "--password-stdin", "--code", first[0])
	// Text output: the codes alone on stdout.
	r = e.must(0, alicePW+"\n", "2fa", "codes", "regen", "alice", "--password-stdin", "--code", app.next())
	second := strings.Fields(r.stdout)
	if len(second) != 8 || !backupCodeRE.MatchString(second[0]) {
		t.Fatalf("codes regen text output: want 8 codes on stdout, got %s", r)
	}
	codes = append(codes, second...)
	e.must(0, alicePW+"\n"+strings.ToUpper(second[1])+"\n", "login", "alice", "--password-stdin")
	e.must(0, alicePW+"\n"+alicePW2+"\n"+app.next()+"\n", "user", "passwd", "alice", "--password-stdin")
	e.must(0, alicePW2+"\n", "login", "alice", "--password-stdin", "--code", second[2])

	// bob: an enrollment begun and never confirmed.
	e.addUser("bob", bobPW)
	r = e.must(0, bobPW+"\n", "2fa", "enable", "bob", "--password-stdin", "--begin")
	secrets = append(secrets, strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])[1])

	// carol: enrolled, then disabled (the erased secret and codes must not
	// linger either).
	e.addUser("carol", carolPW)
	r = e.must(0, carolPW+"\n", "2fa", "enable", "carol", "--password-stdin", "--begin", "-o", "json")
	s = decodeJSON[enrollmentJSON](t, r.stdout).Secret
	secrets = append(secrets, s)
	carolApp := e.app(s)
	r = e.must(0, carolPW+"\n", "2fa", "enable", "carol", "--password-stdin", "--confirm", carolApp.next(), "-o", "json")
	codes = append(codes, checkBackupCodes(t, r.stdout)...)
	e.must(0, carolPW+"\n", "2fa", "disable", "carol", "--password-stdin", "--code", carolApp.next())

	var needles []string
	for _, pw := range []string{alicePW, alicePW2, bobPW, carolPW} {
		needles = append(needles, pw)
	}
	for _, c := range codes {
		plain := strings.ReplaceAll(c, "-", "")
		needles = append(needles, c, plain, strings.ToUpper(c), strings.ToUpper(plain))
	}
	for _, s := range secrets {
		raw := checkSecret(t, s)
		needles = append(needles, s, strings.ToLower(s), string(raw), hex.EncodeToString(raw))
	}

	backup := filepath.Join(e.dir, "copy.db")
	e.must(0, "", "db", "backup", backup)
	audit := e.must(0, "", "audit", "-o", "json").stdout + e.must(0, "", "audit").stdout
	for what, data := range map[string][]byte{
		"database":      readFile(t, e.db),
		"db backup":     readFile(t, backup),
		"audit":         []byte(audit),
		"database lock": readFileIfAny(t, e.db+".lock"),
	} {
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("the %s contains %q", what, n)
			}
		}
	}

	// The files that hold secrets are private.
	checkMode(t, e.db, 0o600)
	checkMode(t, filepath.Dir(e.db), 0o700|os.ModeDir)
	checkMode(t, backup, 0o600)
	checkMode(t, e.key, 0o600)
	if k := readFile(t, e.key); bytes.Contains(readFile(t, e.db), k) {
		t.Error("the database holds the key file's contents")
	}
}

// The TOTP secrets need the key file: with another installation's key, or
// none, a code login fails with exit 4 naming the key file, never with
// "invalid code", and nothing is counted or consumed.
func TestWrongOrMissingKeyFile(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("alice", pw)
	app, codes := e.enroll("alice", pw)
	e.addUser("bob", pw)

	// Another installation, whose enrollment created its own key file.
	other := newEnv(t)
	other.addUser("zed", pw)
	other.enroll("zed", pw)
	if bytes.Equal(readFile(t, e.key), readFile(t, other.key)) {
		t.Fatal("two installations drew the same key")
	}

	code := app.next()
	wrong := *e
	wrong.extra = []string{"AUTHCTL_KEY_FILE=" + other.key}
	r := wrong.must(4, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	wantStderr(t, r, "key file "+other.key, "does not match")
	if strings.Contains(r.stderr, "invalid") {
		t.Errorf("a wrong key must not look like a wrong code: %s", r)
	}
	// --key-file works the same way, and so does a new enrollment.
	r = e.must(4, pw+"\n", "login", "alice", "--password-stdin", "--code", code, "--key-file", other.key)
	wantStderr(t, r, "key file")
	r = wrong.must(4, pw+"\n", "2fa", "enable", "bob", "--password-stdin", "--begin")
	wantStderr(t, r, "key file")

	// Missing: exit 4, and no new key is made in its place.
	hidden := e.key + ".away"
	if err := os.Rename(e.key, hidden); err != nil {
		t.Fatal(err)
	}
	r = e.must(4, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	wantStderr(t, r, "key file "+e.key+" is missing")
	r = e.must(4, pw+"\n", "2fa", "enable", "bob", "--password-stdin", "--begin")
	wantStderr(t, r, "key file")
	if _, err := os.Stat(e.key); !os.IsNotExist(err) {
		t.Fatalf("authctl made a new key file in place of the missing one: %v", err)
	}

	// Nothing was counted or consumed: with the key back, the same code and
	// the backup codes work.
	if err := os.Rename(hidden, e.key); err != nil {
		t.Fatal(err)
	}
	if u := e.show("alice"); u.Failures != 0 || u.LastLoginAt != nil {
		t.Fatalf("the refused logins changed alice: %+v", u)
	}
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	if u := e.show("bob"); u.PendingEnrollment {
		t.Fatalf("a refused --begin left a pending enrollment: %+v", u)
	}
}

func readFileIfAny(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}
