package account

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
)

var backupShown = regexp.MustCompile(`^[abcdefghijkmnpqrstuvwxyz23456789]{5}-[abcdefghijkmnpqrstuvwxyz23456789]{5}$`)

// enable turns 2FA on for name and returns the secret and the backup codes
// as shown. The clock is then moved to the next step, so the code used to
// confirm is not a replay of the next login's.
func (f *fixture) enable(name, pw string) (string, []string) {
	f.t.Helper()
	en, err := f.svc.BeginEnroll(name, pw)
	if err != nil {
		f.t.Fatalf("BeginEnroll(%s): %v", name, err)
	}
	codes, err := f.svc.ConfirmEnroll(name, pw, f.code(en.Key.Secret, 0))
	if err != nil {
		f.t.Fatalf("ConfirmEnroll(%s): %v", name, err)
	}
	f.advance(otp.Period * time.Second)
	return en.Key.Secret, codes
}

func TestEnroll(t *testing.T) {
	f := newFixture(t)
	f.svc.Issuer = "Example Co"
	f.addUser("alice", "correct horse")

	_, err := f.svc.BeginEnroll("alice", "wrong password")
	wantKind(t, "BeginEnroll(wrong password)", err, apperr.Denied, "")
	_, err = f.svc.BeginEnroll("nobody", "correct horse")
	wantKind(t, "BeginEnroll(unknown)", err, apperr.Conflict, "")
	_, err = f.svc.ConfirmEnroll("alice", "correct horse", "123456")
	wantKind(t, "ConfirmEnroll before BeginEnroll", err, apperr.Conflict, "no pending")
	if h, who := apperr.HintOf(err); h != apperr.HintNoPending || who != "alice" {
		t.Errorf("hint %v about %q, want HintNoPending about alice", h, who)
	}

	en1, err := f.svc.BeginEnroll("alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if en1.Issuer != "Example Co" || en1.Account != "alice" || !en1.ExpiresAt.Equal(f.now.Add(10*time.Minute)) {
		t.Errorf("enrollment %+v", en1)
	}
	u, err := url.Parse(en1.Key.URI)
	if err != nil || u.Query().Get("secret") != en1.Key.Secret || u.Query().Get("issuer") != "Example Co" || u.Path != "/Example Co:alice" {
		t.Errorf("URI %q (%v)", en1.Key.URI, err)
	}
	if rec := f.user("alice"); rec.TOTP != nil || rec.Pending == nil {
		t.Fatalf("after begin: TOTP %v, Pending %v; want pending only", rec.TOTP, rec.Pending)
	}
	if st := StatusOf(f.user("alice"), *f.now); st.Enabled || !st.Pending {
		t.Errorf("status after begin: %+v", st)
	}
	// A login does not need a code yet.
	if res, err := f.login("alice", "correct horse", ""); err != nil || res.TwoFactor {
		t.Fatalf("login with a pending enrollment = %+v, %v", res, err)
	}

	// A second begin replaces the first: the first secret's codes stop working.
	en2, err := f.svc.BeginEnroll("alice", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if en2.Key.Secret == en1.Key.Secret {
		t.Fatal("two enrollments drew the same secret")
	}
	_, err = f.svc.ConfirmEnroll("alice", "correct horse", f.code(en1.Key.Secret, 0))
	wantKind(t, "ConfirmEnroll with the replaced secret", err, apperr.Denied, "wrong code")
	_, err = f.svc.ConfirmEnroll("alice", "correct horse", "12345")
	wantKind(t, "ConfirmEnroll(5 digits)", err, apperr.Invalid, "")
	_, err = f.svc.ConfirmEnroll("alice", "wrong password", f.code(en2.Key.Secret, 0))
	wantKind(t, "ConfirmEnroll(wrong password)", err, apperr.Denied, "")
	if rec := f.user("alice"); rec.TOTP != nil {
		t.Fatal("a refused confirmation turned 2FA on")
	}

	before := f.user("alice").Failures
	codes, err := f.svc.ConfirmEnroll("alice", "correct horse", f.code(en2.Key.Secret, 0))
	if err != nil {
		t.Fatalf("ConfirmEnroll: %v", err)
	}
	if len(codes) != 8 {
		t.Fatalf("%d backup codes, want 8", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !backupShown.MatchString(c) || seen[c] {
			t.Errorf("backup code %q: bad form or repeated", c)
		}
		seen[c] = true
	}
	rec := f.user("alice")
	if rec.TOTP == nil || rec.Pending != nil || rec.Backup.Left() != 8 || rec.Failures != before || rec.LastStep != (otp.Step(*f.now)) {
		t.Fatalf("after confirm: %+v", rec)
	}
	if st := StatusOf(rec, *f.now); !st.Enabled || st.Pending || st.BackupLeft != 8 || st.EnabledAt == nil {
		t.Errorf("status after confirm: %+v", st)
	}

	// Now enabling again is a conflict that points to regen and disable.
	_, err = f.svc.BeginEnroll("alice", "correct horse")
	wantKind(t, "BeginEnroll when on", err, apperr.Conflict, "already enabled")
	if h, _ := apperr.HintOf(err); h != apperr.HintTwoFAOn {
		t.Errorf("hint %v, want HintTwoFAOn (regen or disable)", h)
	}
	_, err = f.svc.ConfirmEnroll("alice", "correct horse", f.code(en2.Key.Secret, 0))
	wantKind(t, "ConfirmEnroll when on", err, apperr.Conflict, "already enabled")

	// The code that confirmed the enrollment is used: it cannot log in.
	_, err = f.login("alice", "correct horse", f.code(en2.Key.Secret, 0))
	wantKind(t, "login with the confirmation code", err, apperr.Denied, "")
}

func TestEnrollExpires(t *testing.T) {
	f := newFixture(t)
	f.addUser("bob", "correct horse")
	en, err := f.svc.BeginEnroll("bob", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	f.advance(10 * time.Minute)
	_, err = f.svc.ConfirmEnroll("bob", "correct horse", f.code(en.Key.Secret, 0))
	wantKind(t, "ConfirmEnroll after 10 min", err, apperr.Conflict, "expired")
	if st := StatusOf(f.user("bob"), *f.now); st.Pending {
		t.Errorf("status shows an expired enrollment as pending")
	}
	// A new begin starts over.
	en, err = f.svc.BeginEnroll("bob", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	f.advance(10*time.Minute - time.Second)
	if _, err := f.svc.ConfirmEnroll("bob", "correct horse", f.code(en.Key.Secret, 0)); err != nil {
		t.Fatalf("ConfirmEnroll a second before expiry: %v", err)
	}
}

func TestLoginWithTOTP(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	secret, _ := f.enable("alice", "correct horse")

	// Without a code and without a way to ask: a usage error, counted as a
	// failure (otherwise it would tell the password was right for free).
	_, err := f.login("alice", "correct horse", "")
	wantKind(t, "login without code", err, apperr.Invalid, "no one-time code")
	if n := f.user("alice").Failures; n != 1 {
		t.Errorf("Failures = %d after a right password without a code, want 1", n)
	}
	// AskCode is called once, and only after the password is right.
	asked := 0
	ask := func() (string, error) { asked++; return f.code(secret, 0), nil }
	_, err = f.svc.Login(LoginRequest{Name: "alice", Password: "wrong password", AskCode: ask})
	wantKind(t, "wrong password", err, apperr.Denied, "invalid username or password")
	if asked != 0 {
		t.Fatal("asked for the code after a wrong password")
	}
	res, err := f.svc.Login(LoginRequest{Name: "alice", Password: "correct horse", AskCode: ask})
	if err != nil || asked != 1 {
		t.Fatalf("Login with AskCode = %+v, %v (asked %d times)", res, err, asked)
	}
	if res.Factor != FactorTOTP || !res.TwoFactor || res.BackupLeft != 8 {
		t.Errorf("result %+v", res)
	}
	if got := f.user("alice").LastStep; got != otp.Step(*f.now) {
		t.Errorf("LastStep = %d, want %d", got, otp.Step(*f.now))
	}

	// Replay of the same code is refused as used and not counted; a code
	// of the step before is refused and counted as a guess.
	_, err = f.login("alice", "correct horse", f.code(secret, 0))
	wantKind(t, "replay", err, apperr.Denied, "login failed: code already used")
	if n := f.user("alice").Failures; n != 0 {
		t.Errorf("a double submit counted as a failure: %d", n)
	}
	_, err = f.login("alice", "correct horse", f.code(secret, -1))
	wantKind(t, "previous step after current used", err, apperr.Denied, "login failed: invalid or already used code")
	if n := f.user("alice").Failures; n != 1 {
		t.Errorf("Failures = %d after an older code, want 1", n)
	}
	// The next step is fine, once.
	if _, err := f.login("alice", "correct horse", f.code(secret, 1)); err != nil {
		t.Fatalf("next step: %v", err)
	}
	f.advance(2 * otp.Period * time.Second)
	_, err = f.login("alice", "correct horse", f.code(secret, -2))
	wantKind(t, "two steps back", err, apperr.Denied, "")
	_, err = f.login("alice", "correct horse", f.code(secret, 2))
	wantKind(t, "two steps ahead", err, apperr.Denied, "")
	// Codes typed with spaces.
	c := f.code(secret, 0)
	if _, err := f.login("alice", "correct horse", c[:3]+" "+c[3:]); err != nil {
		t.Fatalf("code with a space: %v", err)
	}
	f.advance(otp.Period * time.Second)
	for _, bad := range []string{"12345", "1234567", "abcdef", "１２３４５６"} {
		_, err := f.login("alice", "correct horse", bad)
		wantKind(t, "code "+bad, err, apperr.Invalid, "")
	}
	// A right code with a wrong password is a password failure.
	_, err = f.login("alice", "wrong password", f.code(secret, 0))
	wantKind(t, "right code, wrong password", err, apperr.Denied, "invalid username or password")
}

func TestTwoFactorThrottling(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy
	f.addUser("alice", "correct horse")
	secret, codes := f.enable("alice", "correct horse")
	wrong := "000000"
	if wrong == f.code(secret, -1) || wrong == f.code(secret, 0) || wrong == f.code(secret, 1) {
		wrong = "999999"
	}
	for i := 0; i < 5; i++ {
		_, err := f.login("alice", "correct horse", wrong)
		wantKind(t, "wrong code", err, apperr.Denied, "")
	}
	// Right password and right code (or backup code) are refused until the delay passes.
	_, err := f.login("alice", "correct horse", f.code(secret, 0))
	wantKind(t, "right code while locked", err, apperr.Denied, "locked")
	_, err = f.login("alice", "correct horse", codes[0])
	wantKind(t, "backup code while locked", err, apperr.Denied, "locked")
	f.advance(30 * time.Second)
	if _, err := f.login("alice", "correct horse", f.code(secret, 0)); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	if u := f.user("alice"); u.Failures != 0 {
		t.Errorf("Failures = %d after success", u.Failures)
	}
	// A backup code refused while locked was not consumed.
	if _, err := f.login("alice", "correct horse", codes[0]); err != nil {
		t.Errorf("backup code tried while locked no longer works: %v", err)
	}
}

func TestBackupCodes(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "correct horse")
	_, codes := f.enable("alice", "correct horse")
	_, bobCodes := f.enable("bob", "correct horse")

	res, err := f.login("alice", "correct horse", codes[0])
	if err != nil {
		t.Fatalf("backup code: %v", err)
	}
	if res.Factor != FactorBackup || res.BackupLeft != 7 {
		t.Errorf("result %+v, want backup code with 7 left", res)
	}
	// The same code again is a double submit: refused, not counted.
	_, err = f.login("alice", "correct horse", codes[0])
	wantKind(t, "same backup code again", err, apperr.Denied, "already used")
	if n := f.user("alice").Failures; n != 0 {
		t.Errorf("a double submit of a backup code counted as a failure: %d", n)
	}
	// Any case, no dash, surrounding spaces.
	typed := "  " + strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")) + " "
	if res, err := f.login("alice", "correct horse", typed); err != nil || res.BackupLeft != 6 {
		t.Fatalf("backup code typed as %q: %+v, %v", typed, res, err)
	}
	_, err = f.login("alice", "correct horse", bobCodes[0])
	wantKind(t, "bob's code for alice", err, apperr.Denied, "")
	if f.user("bob").Backup.Left() != 8 {
		t.Error("trying bob's code on alice consumed it")
	}
	if _, err := f.login("bob", "correct horse", bobCodes[0]); err != nil {
		t.Errorf("bob's own code: %v", err)
	}

	// Regenerate: password again; every earlier code stops working.
	_, err = f.svc.RegenCodes("alice", Proof{Password: "wrong password", Code: codes[2]})
	wantKind(t, "regen with wrong password", err, apperr.Denied, "")
	fresh, err := f.svc.RegenCodes("alice", Proof{Password: "correct horse", Code: codes[2]})
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 8 || f.user("alice").Backup.Left() != 8 {
		t.Fatalf("regen gave %d codes, %d left", len(fresh), f.user("alice").Backup.Left())
	}
	for _, old := range codes[2:] {
		_, err := f.login("alice", "correct horse", old)
		wantKind(t, "old code "+old, err, apperr.Denied, "")
		f.svc.Unlock("alice") // keep the lock out of the way
	}
	if res, err := f.login("alice", "correct horse", fresh[7]); err != nil || res.BackupLeft != 7 {
		t.Fatalf("new code: %+v, %v", res, err)
	}
	// All eight can be used, then none is left.
	for _, c := range fresh[:7] {
		if _, err := f.login("alice", "correct horse", c); err != nil {
			t.Fatalf("code %s: %v", c, err)
		}
	}
	if left := f.user("alice").Backup.Left(); left != 0 {
		t.Errorf("%d codes left after using all", left)
	}
}

func TestDisableAndReset(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "correct horse")
	_, codes := f.enable("alice", "correct horse")
	f.enable("bob", "correct horse")

	wantKind(t, "disable with wrong password", f.svc.Disable("alice", Proof{Password: "wrong password", Code: codes[7]}), apperr.Denied, "")
	if f.user("alice").TOTP == nil {
		t.Fatal("a refused disable turned 2FA off")
	}
	if err := f.svc.Disable("alice", Proof{Password: "correct horse", Code: codes[7]}); err != nil {
		t.Fatal(err)
	}
	u := f.user("alice")
	if u.TOTP != nil || u.Backup != nil || u.Pending != nil {
		t.Fatalf("after disable the secret or codes remain: %+v", u)
	}
	res, err := f.login("alice", "correct horse", "")
	if err != nil || res.TwoFactor || res.Factor != FactorPassword {
		t.Fatalf("password-only login after disable = %+v, %v", res, err)
	}
	// A code given anyway is ignored, and old backup codes are not a factor.
	if _, err := f.login("alice", "correct horse", codes[0]); err != nil {
		t.Errorf("login with a stale code after disable: %v", err)
	}
	wantKind(t, "disable twice", f.svc.Disable("alice", Proof{Password: "correct horse"}), apperr.Conflict, "not enabled")
	_, err = f.svc.RegenCodes("alice", Proof{Password: "correct horse"})
	wantKind(t, "regen when off", err, apperr.Conflict, "not enabled")

	// Reset: no password needed.
	if err := f.svc.Reset("bob"); err != nil {
		t.Fatal(err)
	}
	if u := f.user("bob"); u.TOTP != nil || u.Backup != nil {
		t.Fatalf("after reset: %+v", u)
	}
	if res, err := f.login("bob", "correct horse", ""); err != nil || res.TwoFactor {
		t.Fatalf("login after reset = %+v, %v", res, err)
	}
	wantKind(t, "reset twice", f.svc.Reset("bob"), apperr.Conflict, "not enabled")
	wantKind(t, "reset unknown", f.svc.Reset("nobody"), apperr.Conflict, "no such user")
	// Reset also clears a pending enrollment.
	if _, err := f.svc.BeginEnroll("bob", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Reset("bob"); err != nil || f.user("bob").Pending != nil {
		t.Fatalf("reset of a pending enrollment: %v, pending %v", err, f.user("bob").Pending)
	}
	// 2FA can be enabled again after a disable.
	secret2, _ := f.enable("alice", "correct horse")
	if _, err := f.login("alice", "correct horse", f.code(secret2, 0)); err != nil {
		t.Fatalf("login after re-enabling: %v", err)
	}
}

// TestConcurrentSameCode: several logins race with one backup code, and
// with one TOTP code; exactly one of each succeeds (docs/security.md,
// One-time codes: each code works once), and the others, double submits of
// the accepted code, do not count as failures.
func TestConcurrentSameCode(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	secret, codes := f.enable("alice", "correct horse")
	for _, code := range []string{codes[0], f.code(secret, 0)} {
		t.Run(code, func(t *testing.T) {
			const n = 4
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.login("alice", "correct horse", code)
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case apperr.KindOf(err) != apperr.Denied:
					t.Errorf("unexpected error: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d of %d concurrent logins with one code succeeded, want exactly 1: %v", ok, n, errs)
			}
			// The losers sent the code just accepted: double submits, not
			// guesses, so none of them counts.
			if u := f.user("alice"); u.Failures != 0 {
				t.Errorf("Failures = %d, want 0 (a double submit is not a guess)", u.Failures)
			}
			f.svc.Unlock("alice")
		})
	}
}

// TestConcurrentFailuresCounted: no lost update between concurrent logins.
func TestConcurrentFailuresCounted(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = Policy{Threshold: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}
	f.addUser("alice", "correct horse")
	const n = 6
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.login("alice", fmt.Sprintf("wrong password %d", i), "")
		}()
	}
	wg.Wait()
	if got := f.user("alice").Failures; got != n {
		t.Fatalf("Failures = %d after %d concurrent wrong passwords", got, n)
	}
}

// An interactive enrollment that ends without a correct code leaves no
// pending secret behind; a newer enrollment and a finished one are kept.
func TestCancelEnroll(t *testing.T) {
	f := newFixture(t)
	f.addUser("cy", "correct horse")
	old, err := f.svc.BeginEnroll("cy", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	f.advance(time.Second)
	newer, err := f.svc.BeginEnroll("cy", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CancelEnroll("cy", old); err != nil {
		t.Fatal(err)
	}
	if f.user("cy").Pending == nil {
		t.Fatal("cancelling an older enrollment dropped the newer one")
	}
	if err := f.svc.CancelEnroll("cy", newer); err != nil {
		t.Fatal(err)
	}
	if u := f.user("cy"); u.Pending != nil || u.TOTP != nil {
		t.Fatalf("after cancel: pending %v, totp %v", u.Pending, u.TOTP)
	}
	_, err = f.svc.ConfirmEnroll("cy", "correct horse", f.code(newer.Key.Secret, 0))
	wantKind(t, "ConfirmEnroll after cancel", err, apperr.Conflict, "no pending")

	// Cancel after a confirm changes nothing; an unknown user is no error.
	secret, _ := f.enable("cy", "correct horse")
	if err := f.svc.CancelEnroll("cy", newer); err != nil {
		t.Fatal(err)
	}
	if u := f.user("cy"); u.TOTP == nil {
		t.Fatal("cancel turned 2fa off")
	}
	if _, err := f.login("cy", "correct horse", f.code(secret, 0)); err != nil {
		t.Fatalf("login after a stale cancel: %v", err)
	}
	if err := f.svc.CancelEnroll("nobody", newer); err != nil {
		t.Fatalf("cancel for an unknown user: %v", err)
	}
}
