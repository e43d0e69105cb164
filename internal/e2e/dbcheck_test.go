package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// userField returns one top-level field of name's stored JSON record.
func userField(t *testing.T, e *env, name, field string) any {
	t.Helper()
	db, err := bolt.Open(e.db, 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var u map[string]any
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("users"))
		if b == nil {
			return fmt.Errorf("no users bucket")
		}
		return json.Unmarshal(b.Get([]byte(name)), &u)
	})
	if err != nil {
		t.Fatal(err)
	}
	return u[field]
}

// db check decrypts every sealed TOTP secret: two users' secrets swapped
// inside the database file (each sealed with its owner's name as
// associated data) are reported by name with exit 4, where the check used
// to say "database ok" and the users found out at their next login.
// Without the key file, the check says the secrets could not be checked.
func TestDBCheckOpensSealedSecrets(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		e.addUser(n, pw)
	}
	alice, _ := e.enroll("alice", pw)
	_, bobCodes := e.enroll("bob", pw)
	e.must(0, pw+"\n", "2fa", "enable", "carol", "--password-stdin", "--begin")
	r := e.must(0, "", "db", "check")
	if r.stdout != "database ok: 3 users\n" {
		t.Fatalf("db check of a sound database: %s", r)
	}

	// Swap alice's and bob's sealed secrets in the file.
	aliceTOTP, bobTOTP := userField(t, e, "alice", "totp"), userField(t, e, "bob", "totp")
	editUser(t, e, "alice", func(u map[string]any) { u["totp"] = bobTOTP })
	editUser(t, e, "bob", func(u map[string]any) { u["totp"] = aliceTOTP })

	before := snapshot(t, e.dir)
	r = e.must(4, "", "db", "check")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	want := []string{
		`authctl: problem: user "alice": the 2fa secret does not decrypt with the key file`,
		`authctl: problem: user "bob": the 2fa secret does not decrypt with the key file`,
		`authctl: database check found 2 problem(s)`,
	}
	if len(lines) != len(want) || r.stdout != "" {
		t.Fatalf("db check after the swap: want %d stderr lines, got %s", len(want), r)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("stderr line %d = %q, want it to start %q", i+1, lines[i], w)
		}
	}
	r = e.must(4, "", "db", "check", "-o", "json")
	got := decodeJSON[struct {
		OK       bool     `json:"ok"`
		Users    int      `json:"users"`
		Problems []string `json:"problems"`
	}](t, r.stdout)
	if got.OK || got.Users != 3 || len(got.Problems) != 2 || !strings.Contains(got.Problems[0], `"alice"`) {
		t.Errorf("db check -o json: %+v", got)
	}
	if d := withoutScratch(t, e.dir, diffSnapshots(before, snapshot(t, e.dir))); len(d) > 0 {
		t.Errorf("db check changed files: %v", d)
	}
	// What the check found is what a login meets: exit 4, not a wrong code.
	r = e.must(4, pw+"\n", "login", "alice", "--password-stdin", "--code", alice.next())
	wantStderr(t, r, "cannot decrypt the 2fa secret of alice")
	// The way out: bob logs in with a backup code; an admin resets alice.
	e.must(0, pw+"\n", "login", "bob", "--password-stdin", "--code", bobCodes[0])
	e.must(0, "", "2fa", "reset", "alice", "--yes")
	e.must(0, "", "2fa", "reset", "bob", "--yes")
	e.must(0, "", "db", "check")

	// Without the key file the secrets cannot be checked: a problem.
	if err := os.Rename(e.key, e.key+".away"); err != nil {
		t.Fatal(err)
	}
	r = e.must(4, "", "db", "check")
	wantLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(wantLines) != 2 || !strings.Contains(wantLines[0], "key file "+e.key+" is missing") ||
		!strings.Contains(wantLines[0], "the 2fa secrets of 1 user could not be checked") {
		t.Errorf("db check without the key file: %s", r)
	}
}
