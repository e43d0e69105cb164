package account

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// journey runs every kind of change once and returns everything secret
// that was typed or shown along the way.
func (f *fixture) journey() (secrets []string) {
	t := f.t
	t.Helper()
	f.svc.Policy = DefaultPolicy
	const pw, pw2, bobPW = "alice's first password", "alice's second password", "bob's password"
	f.addUser("alice", pw)
	f.addUser("bob", bobPW)
	secrets = append(secrets, pw, pw2, bobPW)

	totp, codes := f.enable("alice", pw)
	secrets = append(secrets, totp)
	secrets = append(secrets, codes...)
	c := f.code(totp, 0)
	if _, err := f.login("alice", pw, c); err != nil {
		t.Fatalf("login with code: %v", err)
	}
	secrets = append(secrets, c)
	if _, err := f.login("alice", pw, codes[0]); err != nil {
		t.Fatalf("login with backup code: %v", err)
	}
	for range 5 { // wrong passwords, then a lockout
		f.login("alice", "hunter2-wrong", "")
	}
	secrets = append(secrets, "hunter2-wrong")
	f.svc.Unlock("alice")
	f.login("alice", pw, "wrong-code")      // malformed
	f.login("alice", pw, "kkkkk-kkkkk")     // wrong backup code
	f.login("secret-typed-as-name", pw, "") // unknown user
	secrets = append(secrets, "secret-typed-as-name", "kkkkk-kkkkk")
	fresh, err := f.svc.RegenCodes("alice", Proof{Password: pw, Code: codes[1]})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, fresh...)
	if err := f.svc.ChangePassword("alice", Proof{Password: pw, Code: fresh[0]}, pw2); err != nil {
		t.Fatal(err)
	}
	bobSecret, _ := f.enable("bob", bobPW)
	secrets = append(secrets, bobSecret)
	if err := f.svc.Reset("bob"); err != nil {
		t.Fatal(err)
	}
	en, err := f.svc.BeginEnroll("bob", bobPW) // left pending
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, en.Key.Secret)
	if _, err := f.svc.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Disable("alice", Proof{Password: pw2, Code: fresh[1]}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	return secrets
}

// forms returns the ways a secret could show up in stored bytes.
func forms(s string) []string {
	out := []string{s}
	if plain := strings.ReplaceAll(s, "-", ""); plain != s {
		out = append(out, plain, strings.ToUpper(plain))
	}
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s); err == nil && len(raw) == otp.SecretSize {
		out = append(out, string(raw), strings.ToLower(s))
	}
	return out
}

func TestAuditTrail(t *testing.T) {
	f := newFixture(t)
	secrets := f.journey()
	var entries []Event
	if err := f.svc.Audit(AuditQuery{}, func(e Event) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	// Every field of every entry is free of passwords, codes and secrets.
	for _, e := range entries {
		fields := map[string]string{"time": e.Time.String(), "event": e.Event, "user": e.User, "factor": e.Factor, "detail": e.Detail}
		js, _ := json.Marshal(e)
		fields["json"] = string(js)
		for name, v := range fields {
			for _, s := range secrets {
				for _, form := range forms(s) {
					if strings.Contains(v, form) {
						t.Errorf("audit entry %s field %s = %q contains the secret %q", js, name, v, form)
					}
				}
			}
		}
	}
	// Newest first.
	for i := 1; i < len(entries); i++ {
		if entries[i].Time.After(entries[i-1].Time) {
			t.Fatalf("entry %d (%v) is newer than entry %d (%v)", i, entries[i].Time, i-1, entries[i-1].Time)
		}
	}
	// Every kind of event is there, with its factor where it has one.
	type key struct{ event, user, factor string }
	have := map[key]bool{}
	for _, e := range entries {
		have[key{e.Event, e.User, e.Factor}] = true
	}
	for _, want := range []key{
		{EvUserAdd, "alice", ""}, {EvUserAdd, "bob", ""},
		{EvEnrollBegin, "alice", ""}, {EvEnable, "alice", ""},
		{EvLoginOK, "alice", FactorTOTP}, {EvLoginOK, "alice", FactorBackup},
		{EvLoginFail, "alice", FactorPassword}, {EvLoginFail, "alice", FactorBackup},
		{EvLoginFail, "", FactorPassword}, // unknown user, name not recorded
		{EvLockout, "alice", ""}, {EvUnlock, "alice", ""},
		{EvCodesRegen, "alice", ""}, {EvPassword, "alice", ""},
		{EvReset, "bob", ""}, {EvKeyRotate, "", ""}, {EvDisable, "alice", ""}, {EvUserDelete, "bob", ""},
	} {
		if !have[want] {
			t.Errorf("no audit entry %+v", want)
		}
	}

	// Filters: by user, limit, since.
	var bob []Event
	f.svc.Audit(AuditQuery{User: "bob"}, func(e Event) error { bob = append(bob, e); return nil })
	if len(bob) == 0 || bob[0].Event != EvUserDelete {
		t.Errorf("bob's newest entry: %+v", bob)
	}
	for _, e := range bob {
		if e.User != "bob" {
			t.Errorf("user filter let through %+v", e)
		}
	}
	var two []Event
	f.svc.Audit(AuditQuery{Limit: 2}, func(e Event) error { two = append(two, e); return nil })
	if len(two) != 2 || two[0] != entries[0] || two[1] != entries[1] {
		t.Errorf("Limit 2 gave %+v", two)
	}
	since := entries[3].Time
	var recent []Event
	f.svc.Audit(AuditQuery{Since: since}, func(e Event) error { recent = append(recent, e); return nil })
	for _, e := range recent {
		if e.Time.Before(since) {
			t.Errorf("Since %v let through %+v", since, e)
		}
	}
	if len(recent) < 4 {
		t.Errorf("Since gave %d entries, want at least 4", len(recent))
	}
}

func TestAuditRetention(t *testing.T) {
	f := newFixture(t)
	f.svc.AuditRetention = 24 * time.Hour
	f.addUser("alice", "correct horse")
	f.advance(23 * time.Hour)
	f.addUser("bob", "correct horse")
	f.advance(2 * time.Hour) // alice's entry is now 25 h old
	f.addUser("carol", "correct horse")
	var users []string
	f.svc.Audit(AuditQuery{}, func(e Event) error { users = append(users, e.User); return nil })
	if strings.Join(users, ",") != "carol,bob" {
		t.Fatalf("after retention: %v, want carol,bob", users)
	}
}

func TestRotateKey(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.RotateKey()
	wantKind(t, "RotateKey with no secrets", err, apperr.Env, "")
	f.addUser("alice", "correct horse")
	f.addUser("bob", "correct horse")
	f.addUser("carol", "correct horse")
	_, err = f.svc.RotateKey()
	wantKind(t, "RotateKey with no secrets", err, apperr.Conflict, "no 2fa secret")

	aliceSecret, _ := f.enable("alice", "correct horse")
	en, err := f.svc.BeginEnroll("bob", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := secret.ReadKeyFile(f.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	oldSealer, _ := secret.NewSealer(oldKey, nil)
	sealedBefore := f.user("alice").TOTP.Secret

	n, err := f.svc.RotateKey()
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("RotateKey re-encrypted %d secrets, want 2 (alice's and bob's pending one)", n)
	}
	newKey, err := secret.ReadKeyFile(f.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(newKey, oldKey) {
		t.Fatal("the key file still holds the old key")
	}
	if _, err := os.Stat(f.keyPath + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staged key file left behind: %v", err)
	}
	if fi, err := os.Stat(f.keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file after rotation: %v, %v", fi.Mode(), err)
	}
	newSealer, _ := secret.NewSealer(newKey, nil)
	var dbKeyID string
	f.svc.Store.View(func(tx store.Tx) error { dbKeyID = tx.KeyID(); return nil })
	if dbKeyID != newSealer.ID() {
		t.Errorf("database records key %s, the key file holds %s", dbKeyID, newSealer.ID())
	}

	// The old key no longer opens what is stored; the new one does.
	alice := f.user("alice")
	if bytes.Equal(alice.TOTP.Secret, sealedBefore) {
		t.Fatal("alice's sealed secret did not change")
	}
	if _, err := oldSealer.Open(alice.TOTP.Secret, secretAD("alice")); !errors.Is(err, secret.ErrOpen) {
		t.Errorf("old key opens the rotated secret: %v", err)
	}
	if plain, err := newSealer.Open(alice.TOTP.Secret, secretAD("alice")); err != nil || string(plain) != aliceSecret {
		t.Errorf("new key opens %q, %v; want alice's secret", plain, err)
	}
	// Logins and a pending enrollment keep working.
	if _, err := f.login("alice", "correct horse", f.code(aliceSecret, 0)); err != nil {
		t.Fatalf("login after rotation: %v", err)
	}
	if _, err := f.svc.ConfirmEnroll("bob", "correct horse", f.code(en.Key.Secret, 0)); err != nil {
		t.Fatalf("confirming a pending enrollment after rotation: %v", err)
	}
	// New enrollments use the new key.
	f.enable("carol", "correct horse")
	if _, err := newSealer.Open(f.user("carol").TOTP.Secret, secretAD("carol")); err != nil {
		t.Errorf("carol's secret is not under the new key: %v", err)
	}
	// A sealed secret moved onto another user does not open.
	if _, err := newSealer.Open(alice.TOTP.Secret, secretAD("carol")); err == nil {
		t.Error("alice's sealed secret opens as carol's")
	}
}

func TestWrongOrMissingKeyFile(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	aliceSecret, codes := f.enable("alice", "correct horse")
	good, _ := os.ReadFile(f.keyPath)

	other, _ := secret.NewKey(nil)
	if err := secret.WriteKeyFile(f.keyPath, other, true); err != nil {
		t.Fatal(err)
	}
	_, err := f.login("alice", "correct horse", f.code(aliceSecret, 0))
	wantKind(t, "login with the wrong key file", err, apperr.Env, "does not match")
	f.addUser("bob", "correct horse")
	_, err = f.svc.BeginEnroll("bob", "correct horse")
	wantKind(t, "enroll with the wrong key file", err, apperr.Env, "")
	_, err = f.svc.RotateKey()
	wantKind(t, "rotate with the wrong key file", err, apperr.Env, "")

	if err := os.Remove(f.keyPath); err != nil {
		t.Fatal(err)
	}
	_, err = f.login("alice", "correct horse", f.code(aliceSecret, 0))
	wantKind(t, "login with no key file", err, apperr.Env, "missing")
	if _, err := os.Stat(f.keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Error("a login created a new key file over a database that needs the old one")
	}
	if _, _, err := f.svc.Check(); err != nil {
		t.Fatal(err)
	}
	if _, problems, _ := f.svc.Check(); len(problems) == 0 {
		t.Error("Check does not report the missing key file")
	}
	// None of that counted as a failed login: the user is not to blame.
	if u := f.user("alice"); u.Failures != 0 {
		t.Errorf("Failures = %d after key file errors", u.Failures)
	}
	// With the right key back, all is well; backup codes never needed the key.
	os.WriteFile(f.keyPath, good, 0o600)
	if _, err := f.login("alice", "correct horse", f.code(aliceSecret, 0)); err != nil {
		t.Fatalf("login with the key restored: %v", err)
	}
	if _, err := f.login("alice", "correct horse", codes[0]); err != nil {
		t.Fatalf("backup code: %v", err)
	}
}

// keyReads counts the transactions' reads of the key fingerprint.
type keyReads struct {
	store.Store
	n int
}

func (k *keyReads) View(fn func(store.Tx) error) error {
	return k.Store.View(func(tx store.Tx) error { return fn(keyReadsTx{tx, k}) })
}

func (k *keyReads) Update(fn func(store.Tx) error) error {
	return k.Store.Update(func(tx store.Tx) error { return fn(keyReadsTx{tx, k}) })
}

type keyReadsTx struct {
	store.Tx
	k *keyReads
}

func (t keyReadsTx) KeyID() string { t.k.n++; return t.Tx.KeyID() }

// A login reads the key fingerprint (on PostgreSQL a statement and a share
// lock) only when the account has a sealed secret to open.
func TestLoginReadsKeyOnlyWith2FA(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "correct horse")
	secret, _ := f.enable("bob", "correct horse")
	k := &keyReads{Store: f.svc.Store}
	f.svc.Store = k
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if k.n != 0 {
		t.Errorf("a password login of a user without 2fa read the key fingerprint %d times", k.n)
	}
	if _, err := f.login("bob", "correct horse", f.code(secret, 0)); err != nil {
		t.Fatal(err)
	}
	if k.n == 0 {
		t.Error("a login with a TOTP code did not read the key fingerprint")
	}
}

// TestDatabaseHoldsNoSecrets reads the database file's bytes after a journey
// and looks for every password, code and TOTP secret in every form.
func TestDatabaseHoldsNoSecrets(t *testing.T) {
	f := newFixture(t)
	secrets := f.journey()
	// Add a user who keeps 2FA on, so the file holds a live sealed secret and codes.
	f.addUser("dave", "dave's password")
	daveSecret, daveCodes := f.enable("dave", "dave's password")
	secrets = append(secrets, "dave's password", daveSecret)
	secrets = append(secrets, daveCodes...)
	if f.user("dave").TOTP == nil || f.user("dave").Backup.Left() != 8 {
		t.Fatal("dave has no 2FA data to look for")
	}
	db, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.svc.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	for what, data := range map[string][]byte{"database": db, "backup": buf.Bytes()} {
		for _, s := range secrets {
			for _, form := range forms(s) {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("the %s file contains %q", what, form)
				}
			}
		}
	}
	// The test can fail: the user names, which are not secret, are there.
	if !bytes.Contains(db, []byte("dave")) {
		t.Fatal("the database does not even hold the user name: wrong file?")
	}
}

func TestKeyring(t *testing.T) {
	f := newFixture(t)
	k := &Keyring{Path: f.keyPath}
	_, err := k.Open("", false)
	wantKind(t, "Open(missing, no create)", err, apperr.Env, "missing")
	s1, err := k.Open("", true)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(f.keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created key file: %v, %v", fi, err)
	}
	s2, err := k.Open(s1.ID(), true)
	if err != nil || s2.ID() != s1.ID() {
		t.Fatalf("reopen = %v, %v", s2, err)
	}
	_, err = k.Open("0123456789abcdef", false)
	wantKind(t, "Open(other id)", err, apperr.Env, "does not match")

	// A rotation that committed but crashed before installing the new key:
	// the next Open finds the staged key and installs it.
	next, _ := secret.NewKey(nil)
	if err := k.stage(next); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(k.pendingPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("staged key file: %v, %v; want mode 0600", fi, err)
	}
	s3, err := k.Open(secret.KeyID(next), false)
	if err != nil || s3.ID() != secret.KeyID(next) {
		t.Fatalf("Open after an interrupted rotation = %v, %v", s3, err)
	}
	if got, _ := secret.ReadKeyFile(f.keyPath); !bytes.Equal(got, next) {
		t.Error("the staged key was not installed")
	}
	if _, err := os.Stat(k.pendingPath()); !errors.Is(err, os.ErrNotExist) {
		t.Error("the staged key file is still there")
	}
	// A key file others may read is an environment error naming the fix
	// (where files have Unix permissions).
	if runtime.GOOS != "windows" {
		if err := os.Chmod(f.keyPath, 0o640); err != nil {
			t.Fatal(err)
		}
		_, err = k.Open(secret.KeyID(next), false)
		wantKind(t, "Open(mode 0640)", err, apperr.Env, "chmod 600 "+f.keyPath)
		if err := os.Chmod(f.keyPath, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Garbage in the key file is an environment error.
	os.WriteFile(f.keyPath, []byte("not a key\n"), 0o600)
	_, err = k.Open(secret.KeyID(next), false)
	wantKind(t, "Open(garbage)", err, apperr.Env, "")
	_, err = (&Keyring{}).Open("", true)
	wantKind(t, "Open(no path)", err, apperr.Invalid, "")
}

// db check opens every sealed secret with the key and its user's
// associated data: two users' secrets swapped inside the file, a secret
// moved from a pending enrollment, or a flipped bit are each reported by
// user, where before the check said ok and the users found out at login.
func TestCheckOpensEverySealedSecret(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"alice", "bob", "carol", "dave", "erin"} {
		f.addUser(n, n+"'s password")
	}
	f.enable("alice", "alice's password")
	f.enable("bob", "bob's password")
	f.enable("dave", "dave's password")
	if _, err := f.svc.BeginEnroll("carol", "carol's password"); err != nil {
		t.Fatal(err)
	}
	users, problems, err := f.svc.Check()
	if err != nil || len(problems) != 0 || users != 5 {
		t.Fatalf("Check of a sound database = %d users, %v, %v", users, problems, err)
	}

	edit := func(fn func(get func(string) *store.User)) {
		t.Helper()
		err := f.svc.Store.Update(func(tx store.Tx) error {
			got := map[string]*store.User{}
			fn(func(n string) *store.User {
				if got[n] == nil {
					u, err := tx.User(n)
					if err != nil {
						t.Fatal(err)
					}
					got[n] = u
				}
				return got[n]
			})
			for _, u := range got {
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	edit(func(get func(string) *store.User) {
		a, b := get("alice"), get("bob")
		a.TOTP.Secret, b.TOTP.Secret = b.TOTP.Secret, a.TOTP.Secret
		// carol's pending secret becomes dave's enabled one.
		get("dave").TOTP.Secret = slices.Clone(get("carol").Pending.Secret)
	})
	_, problems, err = f.svc.Check()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`user "alice": the 2fa secret does not decrypt with the key file`,
		`user "bob": the 2fa secret does not decrypt with the key file`,
		`user "dave": the 2fa secret does not decrypt with the key file`,
	}
	wantProblems(t, "swapped secrets", problems, want)

	// A flipped bit in a pending enrollment.
	edit(func(get func(string) *store.User) { get("carol").Pending.Secret[20] ^= 1 })
	_, problems, _ = f.svc.Check()
	wantProblems(t, "a flipped bit", problems, append(want[:2:2], `user "carol": the secret of the pending 2fa enrollment does not decrypt`, want[2]))

	// Without the key file nothing can be opened: one problem, the key,
	// saying how many users went unchecked.
	if err := os.Rename(f.keyPath, f.keyPath+".away"); err != nil {
		t.Fatal(err)
	}
	_, problems, _ = f.svc.Check()
	wantProblems(t, "no key file", problems, []string{"key file " + f.keyPath + " is missing", "the 2fa secrets of 4 users could not be checked"})
	if len(problems) != 1 || apperr.KindOf(problems[0]) != apperr.Env {
		t.Errorf("no key file: %v, want one environment problem", problems)
	}
	// Another key: the same.
	other, _ := secret.NewKey(nil)
	if err := secret.WriteKeyFile(f.keyPath, other, false); err != nil {
		t.Fatal(err)
	}
	_, problems, _ = f.svc.Check()
	wantProblems(t, "another key", problems, []string{"does not match this database", "the 2fa secrets of 4 users could not be checked"})
}

// wantProblems fails unless problems, joined, mention every string of want
// in order and there are no more problems than want names users.
func wantProblems(t *testing.T, what string, problems []error, want []string) {
	t.Helper()
	var all []string
	for _, p := range problems {
		all = append(all, p.Error())
	}
	joined := strings.Join(all, "\n")
	at := 0
	for _, w := range want {
		i := strings.Index(joined[at:], w)
		if i < 0 {
			t.Errorf("%s: problems do not mention %q (in order):\n%s", what, w, joined)
			return
		}
		at += i + len(w)
	}
	users := 0
	for _, w := range want {
		if strings.HasPrefix(w, "user ") {
			users++
		}
	}
	if users > 0 && len(problems) != users {
		t.Errorf("%s: %d problems, want %d:\n%s", what, len(problems), users, joined)
	}
}
