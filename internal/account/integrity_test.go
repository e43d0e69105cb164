package account

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
)

// failDetails counts the login.fail entries of the audit trail by detail.
func (f *fixture) failDetails() map[string]int {
	f.t.Helper()
	n := map[string]int{}
	err := f.svc.Audit(AuditQuery{}, func(e Event) error {
		if e.Event == EvLoginFail {
			n[e.Detail]++
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// A stolen password alone never replaces or removes the second factor:
// regen, disable and passwd need a current code or an unused backup code.
func TestChangingAFactorNeedsBothFactors(t *testing.T) {
	type op struct {
		name string
		run  func(f *fixture, p Proof) error
	}
	ops := []op{
		{"codes regen", func(f *fixture, p Proof) error { _, err := f.svc.RegenCodes("alice", p); return err }},
		{"2fa disable", func(f *fixture, p Proof) error { return f.svc.Disable("alice", p) }},
		{"password change", func(f *fixture, p Proof) error { return f.svc.ChangePassword("alice", p, "a new password 1") }},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc.Policy = DefaultPolicy
			f.addUser("alice", "correct horse")
			secret, codes := f.enable("alice", "correct horse")
			before := f.user("alice")

			// The password alone: refused, counted, nothing changed.
			wantKind(t, "password only", o.run(f, Proof{Password: "correct horse"}), apperr.Invalid, "no one-time code")
			// A wrong code, a used-up code, a code of another set: refused.
			wrong := "000000"
			if wrong == f.code(secret, -1) || wrong == f.code(secret, 0) || wrong == f.code(secret, 1) {
				wrong = "999999"
			}
			wantKind(t, "wrong code", o.run(f, Proof{Password: "correct horse", Code: wrong}), apperr.Denied, "invalid or already used code")
			wantKind(t, "wrong backup code", o.run(f, Proof{Password: "correct horse", Code: "kkkkk-kkkkk"}), apperr.Denied, "invalid or already used code")
			// The code asked for, and Ctrl-C at that prompt, counts too.
			asked := false
			err := o.run(f, Proof{Password: "correct horse", AskCode: func() (string, error) {
				asked = true
				return "", apperr.New(apperr.Interrupted, "interrupted")
			}})
			wantKind(t, "interrupted at the code", err, apperr.Interrupted, "")
			if !asked {
				t.Fatal("the code was not asked for")
			}
			after := f.user("alice")
			if after.PasswordHash != before.PasswordHash || after.TOTP == nil || string(after.Backup.Salt) != string(before.Backup.Salt) {
				t.Fatal("a refused operation changed a factor")
			}
			if after.Failures != 4 {
				t.Fatalf("Failures = %d after four refused attempts, want 4", after.Failures)
			}

			// The password and a right code: done; the failures stay
			// (only a login clears them).
			if err := o.run(f, Proof{Password: "correct horse", Code: f.code(secret, 0)}); err != nil {
				t.Fatalf("with both factors: %v", err)
			}
			if n := f.user("alice").Failures; n != 4 {
				t.Errorf("Failures = %d after %s, want 4 (only a login clears them)", n, o.name)
			}
			// A backup code works as the second factor too, where 2FA is still on.
			if o.name != "2fa disable" {
				f.advance(30 * time.Second)
				pw := "correct horse"
				if o.name == "password change" {
					pw = "a new password 1"
				}
				code := codes[0]
				if o.name == "codes regen" {
					code = f.code(secret, 0) // the old backup codes are gone
				}
				if err := o.run(f, Proof{Password: pw, Code: code}); err != nil {
					t.Errorf("with a backup code: %v", err)
				}
			}
		})
	}
}

// Neither a password change nor new backup codes nor a re-enrollment clears
// the count of failed codes: only a full login does.
func TestOnlyALoginClearsFailures(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = Policy{Threshold: 50, BaseDelay: time.Hour, MaxDelay: time.Hour}
	f.addUser("alice", "correct horse")
	secret, _ := f.enable("alice", "correct horse")
	f.login("alice", "correct horse", "000000")
	f.login("alice", "correct horse", "999999")
	failures := f.user("alice").Failures
	if failures < 1 {
		t.Fatal("wrong codes not counted")
	}
	if err := f.svc.ChangePassword("alice", Proof{Password: "correct horse", Code: f.code(secret, 0)}, "correct horse"); err != nil {
		t.Fatal(err)
	}
	f.advance(30 * time.Second)
	if _, err := f.svc.RegenCodes("alice", Proof{Password: "correct horse", Code: f.code(secret, 0)}); err != nil {
		t.Fatal(err)
	}
	f.advance(30 * time.Second)
	if err := f.svc.Disable("alice", Proof{Password: "correct horse", Code: f.code(secret, 0)}); err != nil {
		t.Fatal(err)
	}
	f.enable("alice", "correct horse")
	if n := f.user("alice").Failures; n != failures {
		t.Fatalf("Failures = %d after passwd, regen and re-enrollment, want %d", n, failures)
	}
}

// However many attempts run at once, no more than the threshold are ever
// verified: each is counted before its hash runs. Once the burst has locked
// the account, the right password gets exactly the wrong passwords' answer.
func TestBurstNeverVerifiesMoreThanTheThreshold(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy // 5 failures lock
	f.addUser("alice", "correct horse")
	burst := func(n int, right bool) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pw := fmt.Sprintf("wrong password %d", i)
				if right && i%2 == 0 {
					pw = "correct horse"
				}
				_, errs[i] = f.login("alice", pw, "")
			}()
		}
		wg.Wait()
		return errs
	}
	const n = 40
	for i, err := range burst(n, false) {
		if apperr.KindOf(err) != apperr.Denied || err.Error() != msgDenied {
			t.Errorf("attempt %d: %v, want exactly %q", i, err, msgDenied)
		}
	}
	d := f.failDetails()
	if d[""] != DefaultPolicy.Threshold || d["account locked"] != n-DefaultPolicy.Threshold {
		t.Fatalf("of %d attempts at once, %d were verified and %d refused as locked; want %d verified",
			n, d[""], d["account locked"], DefaultPolicy.Threshold)
	}
	if u := f.user("alice"); u.Failures != DefaultPolicy.Threshold || !Locked(u, *f.now) {
		t.Fatalf("after the burst: failures %d, locked %v", u.Failures, Locked(u, *f.now))
	}
	for i, err := range burst(10, true) {
		if err == nil || err.Error() != msgDenied {
			t.Errorf("locked, attempt %d (right password: %v): %v", i, i%2 == 0, err)
		}
	}
}

// Unknown names answer exactly as known ones do, before and after the
// threshold, and the lock never shows in a login's answer.
func TestNoOracleForNamesOrLocks(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy
	f.addUser("alice", "correct horse")
	for i := range 12 {
		_, known := f.login("alice", "wrong password", "")
		_, unknown := f.login("nobody", "wrong password", "")
		var right error
		if i >= DefaultPolicy.Threshold {
			_, right = f.login("alice", "correct horse", "")
			if right == nil {
				t.Fatalf("round %d: the right password got in while locked", i)
			}
		}
		for what, err := range map[string]error{"known": known, "unknown": unknown} {
			if err == nil || err.Error() != msgDenied || apperr.KindOf(err) != apperr.Denied {
				t.Fatalf("round %d, %s name: %v", i, what, err)
			}
		}
		if right != nil && right.Error() != msgDenied {
			t.Fatalf("round %d: the right password while locked: %v", i, right)
		}
	}
	if u := f.user("alice"); !Locked(u, *f.now) {
		t.Fatal("alice is not locked after the rounds")
	}
}

// A refusal that is not the user's doing gives the attempt back: a key file
// that went missing is an environment error, not a guess.
func TestEnvironmentErrorsAreNotGuesses(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	secret, _ := f.enable("alice", "correct horse")
	f.svc.Keys = &Keyring{Path: f.keyPath + ".elsewhere"}
	_, err := f.login("alice", "correct horse", f.code(secret, 0))
	wantKind(t, "missing key file", err, apperr.Env, "")
	if n := f.user("alice").Failures; n != 0 {
		t.Fatalf("Failures = %d after an environment error, want 0", n)
	}
}

// Every new password is checked against the list of common passwords and
// the words of its context (NIST SP 800-63B §5.1.1.2); nothing is stored.
func TestNewPasswordsAreNotCommon(t *testing.T) {
	f := newFixture(t)
	f.svc.Issuer = "Acme Corp"
	for _, pw := range []string{"password123", "12345678", "Password1", "iloveyou", "qwertyuiop"} {
		wantKind(t, "add with "+pw, f.svc.AddUser("ann", pw), apperr.Invalid, "commonly used")
	}
	wantKind(t, "the name as password", f.svc.AddUser("dominique", "Dominique"), apperr.Invalid, "")
	wantKind(t, "the issuer as password", f.svc.AddUser("ann", "acme corp"), apperr.Invalid, "")
	if ok, _ := f.svc.Exists("ann"); ok {
		t.Fatal("a refused password created the user")
	}
	f.addUser("ann", "correct horse")
	err := f.svc.ChangePassword("ann", Proof{Password: "correct horse"}, "password123")
	wantKind(t, "passwd to a common one", err, apperr.Invalid, "commonly used")
	if n := f.user("ann").Failures; n != 0 {
		t.Errorf("a refused new password counted an attempt: %d", n)
	}
}
