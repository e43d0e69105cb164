package account

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	"golang.org/x/crypto/bcrypt"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// cheap are the argon2id parameters of unit tests (passwords and backup codes).
var cheap = secret.Params{Memory: 64, Time: 1, Threads: 1}

// fixture is a Service over a database in a temporary directory, with a
// clock the test moves by hand.
type fixture struct {
	t       *testing.T
	svc     *Service
	now     *time.Time
	dbPath  string
	keyPath string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	// 10 s into a 30 s TOTP step, so a few seconds either way stay in the step.
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	f := &fixture{t: t, now: &now, dbPath: filepath.Join(dir, "data", "authctl.db"), keyPath: filepath.Join(dir, "config", "key")}
	st := store.New(store.Options{Path: f.dbPath, LockTimeout: 5 * time.Second, Create: true})
	f.svc = New(st, &Keyring{Path: f.keyPath})
	f.svc.Now = func() time.Time { return *f.now }
	f.svc.Hasher = secret.Hasher{Params: cheap}
	f.svc.CodeParams = cheap
	return f
}

func (f *fixture) advance(d time.Duration) { *f.now = f.now.Add(d) }

func (f *fixture) addUser(name, pw string) {
	f.t.Helper()
	if err := f.svc.AddUser(name, pw); err != nil {
		f.t.Fatalf("AddUser(%s): %v", name, err)
	}
}

func (f *fixture) user(name string) *store.User {
	f.t.Helper()
	u, err := f.svc.user(name)
	if err != nil {
		f.t.Fatalf("User(%s): %v", name, err)
	}
	return u
}

// code is the TOTP code of secret at the fixture's current time, plus steps.
func (f *fixture) code(secret string, steps int64) string {
	f.t.Helper()
	c, err := otp.CodeAt(secret, otp.Step(*f.now)+steps, otp.Digits, potp.AlgorithmSHA1)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) login(name, pw, code string) (LoginResult, error) {
	return f.svc.Login(LoginRequest{Name: name, Password: pw, Code: code})
}

// wantKind fails unless err has kind k (and, if msg is not "", contains msg).
func wantKind(t *testing.T, what string, err error, k apperr.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, k)
	}
	if got := apperr.KindOf(err); got != k {
		t.Fatalf("%s: %v (kind %v), want kind %v", what, err, got, k)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Fatalf("%s: %q does not contain %q", what, err, msg)
	}
}

func TestAddUser(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	u := f.user("alice")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("stored hash %q is not argon2id with the service's parameters", u.PasswordHash)
	}
	if !u.CreatedAt.Equal(*f.now) || !u.PasswordAt.Equal(*f.now) || u.TOTP != nil || u.Failures != 0 {
		t.Errorf("new user record: %+v", u)
	}
	tests := []struct {
		name, user, pw string
		kind           apperr.Kind
	}{
		{"duplicate", "alice", "another password", apperr.Conflict},
		{"empty name", "", "correct horse", apperr.Invalid},
		{"space", "al ice", "correct horse", apperr.Invalid},
		{"leading space", " alice", "correct horse", apperr.Invalid},
		{"tab", "al\tice", "correct horse", apperr.Invalid},
		{"newline", "alice\n", "correct horse", apperr.Invalid},
		{"NUL", "al\x00ice", "correct horse", apperr.Invalid},
		{"escape", "\x1b[2Jalice", "correct horse", apperr.Invalid},
		{"DEL", "alice\x7f", "correct horse", apperr.Invalid},
		{"invalid UTF-8", "al\xffice", "correct horse", apperr.Invalid},
		{"65 bytes", strings.Repeat("a", 65), "correct horse", apperr.Invalid},
		{"no-break space", "al\u00a0ice", "correct horse", apperr.Invalid},
		{"zero-width space", "al\u200bice", "correct horse", apperr.Invalid},
		{"ideographic space", "al\u3000ice", "correct horse", apperr.Invalid},
		{"short password", "bob", "short", apperr.Invalid},
		{"control in password", "bob", "correct\x00horse", apperr.Invalid},
		{"long password", "bob", strings.Repeat("p", 1025), apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, "AddUser", f.svc.AddUser(tt.user, tt.pw), tt.kind, "")
		})
	}
	// Nothing was stored by the refused adds, and alice's password is intact.
	var names []string
	f.svc.EachUser(func(u UserView) error { names = append(names, u.Name); return nil })
	if len(names) != 1 || names[0] != "alice" {
		t.Fatalf("users after refused adds: %q", names)
	}
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatalf("alice's password changed by a refused duplicate add: %v", err)
	}
	for _, name := range []string{strings.Repeat("a", 64), "émile", "user@example.com", "日本語", "o'brien", "a"} {
		if err := f.svc.AddUser(name, "correct horse"); err != nil {
			t.Errorf("AddUser(%q): %v", name, err)
		}
	}
}

func TestCheckName(t *testing.T) {
	// 64 bytes of multibyte characters are fine; 65 are not.
	ok := strings.Repeat("é", 32)
	if err := CheckName(ok); err != nil {
		t.Errorf("CheckName(32 é = 64 bytes) = %v", err)
	}
	if err := CheckName(ok + "a"); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("CheckName(65 bytes) = %v", err)
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	res, err := f.login("alice", "correct horse", "")
	if err != nil {
		t.Fatalf("Login(right): %v", err)
	}
	if res.Factor != FactorPassword || res.TwoFactor || res.Rehashed {
		t.Errorf("Login result %+v", res)
	}
	if !f.user("alice").LastLoginAt.Equal(*f.now) {
		t.Errorf("LastLoginAt not recorded")
	}
	// NFKC: the same password typed in decomposed form.
	f.addUser("émile", "caf\u00e9 cr\u00e8me")
	if _, err := f.login("émile", "cafe\u0301 cre\u0300me", ""); err != nil {
		t.Errorf("Login with the decomposed form: %v", err)
	}

	_, wrong := f.login("alice", "correct horsE", "")
	_, unknown := f.login("mallory", "correct horse", "")
	_, empty := f.login("alice", "", "")
	for what, err := range map[string]error{"wrong password": wrong, "unknown user": unknown, "empty password": empty} {
		wantKind(t, what, err, apperr.Denied, "")
		if err.Error() != msgDenied {
			t.Errorf("%s: message %q", what, err)
		}
	}
	if u := f.user("alice"); u.Failures != 2 {
		t.Errorf("Failures = %d after two wrong passwords, want 2", u.Failures)
	}
	// A success resets the counter.
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	if u := f.user("alice"); u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Errorf("after a success: failures %d, locked until %v", u.Failures, u.LockedUntil)
	}
}

func TestLoginRehash(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	// Raise the parameters: the next successful login re-hashes.
	f.svc.Hasher = secret.Hasher{Params: secret.Params{Memory: 128, Time: 1, Threads: 1}}
	if _, err := f.login("alice", "wrong password", ""); err == nil {
		t.Fatal("wrong password accepted")
	}
	if h := f.user("alice").PasswordHash; !strings.Contains(h, "m=64,") {
		t.Fatalf("a failed login re-hashed: %s", h)
	}
	res, err := f.login("alice", "correct horse", "")
	if err != nil || !res.Rehashed {
		t.Fatalf("Login = %+v, %v; want Rehashed", res, err)
	}
	if h := f.user("alice").PasswordHash; !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=1,p=1$") {
		t.Fatalf("hash after re-hash: %s", h)
	}
	if res, err := f.login("alice", "correct horse", ""); err != nil || res.Rehashed {
		t.Fatalf("second login = %+v, %v; want no re-hash", res, err)
	}

	// An imported bcrypt user logs in and is moved to argon2id.
	bc, err := bcrypt.GenerateFromPassword([]byte("htpasswd pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	err = f.svc.Store.Update(func(tx store.Tx) error {
		return tx.PutUser(&store.User{Name: "carol", PasswordHash: string(bc), CreatedAt: *f.now, PasswordAt: *f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.login("carol", "wrong pw!", ""); apperr.KindOf(err) != apperr.Denied {
		t.Fatalf("bcrypt user, wrong password: %v", err)
	}
	res, err = f.login("carol", "htpasswd pw", "")
	if err != nil || !res.Rehashed {
		t.Fatalf("bcrypt login = %+v, %v; want Rehashed", res, err)
	}
	h := f.user("carol").PasswordHash
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("bcrypt user not re-hashed: %s", h)
	}
	if _, err := f.login("carol", "htpasswd pw", ""); err != nil {
		t.Fatalf("login after re-hash: %v", err)
	}
}

func TestThrottling(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy // 5 failures -> 30 s, doubling, capped at 1 h
	f.addUser("alice", "correct horse")
	for i := 1; i < 5; i++ {
		if _, err := f.login("alice", "wrong password", ""); apperr.KindOf(err) != apperr.Denied {
			t.Fatalf("failure %d: %v", i, err)
		}
		if u := f.user("alice"); Locked(u, *f.now) {
			t.Fatalf("locked after %d failures, before the threshold", i)
		}
	}
	// Each further failure locks for twice as long, up to the cap.
	for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour} {
		failures := 5 + i
		_, err := f.login("alice", "wrong password", "")
		wantKind(t, fmt.Sprintf("failure %d", failures), err, apperr.Denied, "")
		u := f.user("alice")
		if u.Failures != failures {
			t.Fatalf("Failures = %d, want %d", u.Failures, failures)
		}
		if got := u.LockedUntil.Sub(*f.now); got != want {
			t.Fatalf("after %d failures: locked for %s, want %s", failures, got, want)
		}
		// Even the right password is refused while locked, with exactly the
		// answer a wrong password gets, and an unknown name gets.
		_, wrongErr := f.login("alice", "wrong password", "")
		_, err = f.login("alice", "correct horse", "")
		wantKind(t, "right password while locked", err, apperr.Denied, "")
		_, unknownErr := f.login("nobody", "correct horse", "")
		if err.Error() != wrongErr.Error() || err.Error() != unknownErr.Error() || err.Error() != msgDenied {
			t.Errorf("answers differ: right %q, wrong %q, unknown %q", err, wrongErr, unknownErr)
		}
		// Attempts while locked are not counted and do not extend the lock.
		f.advance(want - time.Second)
		_, err = f.login("alice", "wrong password", "")
		wantKind(t, "wrong password while locked", err, apperr.Denied, "")
		if u2 := f.user("alice"); u2.Failures != failures || !u2.LockedUntil.Equal(u.LockedUntil) {
			t.Fatalf("an attempt while locked changed the record: failures %d, until %v", u2.Failures, u2.LockedUntil)
		}
		f.advance(time.Second) // the delay has passed
	}
	// After the delay the right password works and resets everything.
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	if u := f.user("alice"); u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Fatalf("after success: failures %d, locked until %v", u.Failures, u.LockedUntil)
	}
	if _, err := f.login("alice", "wrong password", ""); err == nil {
		t.Fatal("wrong password accepted")
	}
	if u := f.user("alice"); u.Failures != 1 || Locked(u, *f.now) {
		t.Fatalf("the count did not start again from zero: %+v", u)
	}
}

func TestUnlock(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy
	f.addUser("alice", "correct horse")
	for range 5 {
		f.login("alice", "wrong password", "")
	}
	if _, err := f.login("alice", "correct horse", ""); apperr.KindOf(err) != apperr.Denied {
		t.Fatalf("not locked: %v", err)
	}
	was, err := f.svc.Unlock("alice")
	if err != nil || !was {
		t.Fatalf("Unlock = %v, %v; want true", was, err)
	}
	if u := f.user("alice"); u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Fatalf("after unlock: %+v", u)
	}
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatalf("login after unlock: %v", err)
	}
	if was, err := f.svc.Unlock("alice"); err != nil || was {
		t.Errorf("Unlock(not locked) = %v, %v", was, err)
	}
	_, err = f.svc.Unlock("nobody")
	wantKind(t, "Unlock(unknown)", err, apperr.Conflict, "no such user")
}

func TestPolicyDelay(t *testing.T) {
	p := DefaultPolicy
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {4, 0},
		{5, 30 * time.Second}, {6, time.Minute}, {7, 2 * time.Minute},
		{11, 32 * time.Minute}, {12, time.Hour}, {13, time.Hour}, {1000, time.Hour}, {1 << 30, time.Hour},
	}
	for _, tt := range tests {
		if got := p.Delay(tt.failures); got != tt.want {
			t.Errorf("Delay(%d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
	for n, want := range map[int]time.Duration{1: 0, 5: 0, 6: 30 * time.Second, 7: 90 * time.Second} {
		if got := p.MinTimeFor(n); got != want {
			t.Errorf("MinTimeFor(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	// Threshold 1 with a fixed delay d: 100 failures take 99 d.
	edge := 24 * time.Hour / 99
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"default", DefaultPolicy, true},
		{"fast", Policy{Threshold: 5, BaseDelay: time.Second, MaxDelay: time.Minute}, false},
		{"high threshold", Policy{Threshold: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}, false},
		{"just under a day", Policy{Threshold: 1, BaseDelay: edge, MaxDelay: edge}, false},
		{"just over a day", Policy{Threshold: 1, BaseDelay: edge + 1, MaxDelay: edge + 1}, true},
		{"zero threshold", Policy{Threshold: 0, BaseDelay: time.Hour, MaxDelay: time.Hour}, false},
		{"threshold 101", Policy{Threshold: 101, BaseDelay: time.Hour, MaxDelay: time.Hour}, false},
		{"zero delay", Policy{Threshold: 5, BaseDelay: 0, MaxDelay: time.Hour}, false},
		{"negative delay", Policy{Threshold: 5, BaseDelay: -time.Hour, MaxDelay: time.Hour}, false},
		{"cap below base", Policy{Threshold: 5, BaseDelay: time.Hour, MaxDelay: time.Minute}, false},
		{"strict", Policy{Threshold: 3, BaseDelay: time.Minute, MaxDelay: 24 * time.Hour}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v (100 failures take %s)", tt.p, err, tt.ok, tt.p.MinTimeFor(100))
			}
			if tt.ok && tt.p.MinTimeFor(100) < 24*time.Hour {
				t.Fatalf("accepted a policy that lets 100 failures happen in %s", tt.p.MinTimeFor(100))
			}
		})
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	wantKind(t, "wrong current", f.svc.ChangePassword("alice", Proof{Password: "wrong password"}, "new password 1"), apperr.Denied, "")
	wantKind(t, "weak new", f.svc.ChangePassword("alice", Proof{Password: "correct horse"}, "short"), apperr.Invalid, "")
	wantKind(t, "unknown user", f.svc.ChangePassword("nobody", Proof{Password: "correct horse"}, "new password 1"), apperr.Conflict, "")
	if _, err := f.login("alice", "correct horse", ""); err != nil {
		t.Fatalf("refused changes changed the password: %v", err)
	}
	f.advance(time.Minute)
	if err := f.svc.ChangePassword("alice", Proof{Password: "correct horse"}, "new password 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.login("alice", "correct horse", ""); apperr.KindOf(err) != apperr.Denied {
		t.Errorf("old password after change: %v", err)
	}
	if _, err := f.login("alice", "new password 1", ""); err != nil {
		t.Errorf("new password: %v", err)
	}
	if u := f.user("alice"); !u.PasswordAt.Equal(*f.now) || u.CreatedAt.Equal(u.PasswordAt) {
		t.Errorf("PasswordAt %v, CreatedAt %v", u.PasswordAt, u.CreatedAt)
	}
}

func TestDeleteUser(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "correct horse")
	if err := f.svc.DeleteUser("alice"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete again", f.svc.DeleteUser("alice"), apperr.Conflict, "no such user")
	if ok, err := f.svc.Exists("alice"); ok || err != nil {
		t.Errorf("Exists(deleted) = %v, %v", ok, err)
	}
	if ok, err := f.svc.Exists("bob"); !ok || err != nil {
		t.Errorf("Exists(bob) = %v, %v", ok, err)
	}
	_, err := f.login("alice", "correct horse", "")
	wantKind(t, "login of deleted user", err, apperr.Denied, "invalid username or password")
}

func TestMissingDatabase(t *testing.T) {
	f := newFixture(t)
	ro := store.New(store.Options{Path: f.dbPath, LockTimeout: time.Second})
	f.svc.Store = ro
	ok, err := f.svc.Exists("alice")
	if ok || !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Exists on a missing database = %v, %v; want ErrNoDatabase", ok, err)
	}
	_, err = f.login("alice", "correct horse", "")
	wantKind(t, "login on a missing database", err, apperr.Env, "no database")
}
