package account

import (
	"errors"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
)

// codeFor is the code of secret with params at the fixture's time, plus steps.
func (f *fixture) codeFor(p otp.Params, secret string, steps int64) string {
	f.t.Helper()
	c, err := p.Code(secret, p.StepOf(*f.now)+steps)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

const importedSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 160 bits

func TestImportTOTP(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	scratch := []string{"12345678", "87654321", "11223344"}
	n, err := f.svc.ImportTOTP("alice", ImportedTOTP{Secret: "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", Scratch: scratch, Source: "google-authenticator"}, false)
	if err != nil || n != 3 {
		t.Fatalf("ImportTOTP = %d, %v", n, err)
	}
	u := f.user("alice")
	if u.TOTP == nil || u.TOTP.Source != "google-authenticator" || u.Backup.Kind != "scratch" {
		t.Fatalf("after import: %+v", u)
	}
	// The codes the phone already shows log in.
	def := otp.Params{}
	if _, err := f.login("alice", "correct horse", f.codeFor(def, importedSecret, 0)); err != nil {
		t.Fatalf("login with the imported secret's code: %v", err)
	}
	// A scratch code works once, spaces allowed; then it is used.
	res, err := f.login("alice", "correct horse", "8765 4321")
	if err != nil || res.Factor != FactorBackup || res.BackupLeft != 2 {
		t.Fatalf("scratch code: %+v, %v", res, err)
	}
	_, err = f.login("alice", "correct horse", "87654321")
	wantKind(t, "scratch code twice", err, apperr.Denied, "already used")
	// A second import is a conflict, unless replace.
	_, err = f.svc.ImportTOTP("alice", ImportedTOTP{Secret: importedSecret}, false)
	if !errors.Is(err, ErrTwoFactorOn) || apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("import onto 2fa on: %v", err)
	}
	f.advance(30 * time.Second)
	p := otp.Params{Digits: 8, Period: 60, Algorithm: "sha256"}
	if _, err := f.svc.ImportTOTP("alice", ImportedTOTP{Secret: importedSecret, Digits: 8, Period: 60, Algorithm: "sha256", Source: "otpauth"}, true); err != nil {
		t.Fatal(err)
	}
	u = f.user("alice")
	if u.TOTP.Digits != 8 || u.TOTP.Period != 60 || u.TOTP.Algorithm != "SHA256" || u.Backup.Left() != 0 || u.LastStep != 0 {
		t.Fatalf("after --replace: %+v %+v", u.TOTP, u.Backup)
	}
	if _, err := f.login("alice", "correct horse", f.codeFor(p, importedSecret, 0)); err != nil {
		t.Fatalf("login with an 8-digit SHA256 60 s code: %v", err)
	}
	_, err = f.login("alice", "correct horse", f.codeFor(def, importedSecret, 0))
	wantKind(t, "a 6-digit code for an 8-digit secret", err, apperr.Invalid, "8 digits")
	// The old scratch codes went with the old secret.
	_, err = f.login("alice", "correct horse", "12345678")
	wantKind(t, "old scratch code", err, apperr.Denied, "")
}

func TestImportTOTPRefusals(t *testing.T) {
	f := newFixture(t)
	f.addUser("bob", "correct horse")
	for _, tt := range []struct {
		name string
		in   ImportedTOTP
		msg  string
	}{
		{"not base32", ImportedTOTP{Secret: "not base32!"}, "base32"},
		{"empty", ImportedTOTP{Secret: ""}, "base32"},
		{"64 bits", ImportedTOTP{Secret: "GEZDGNBVGY3TQ"}, "64 bits"},
		{"7 digits", ImportedTOTP{Secret: importedSecret, Digits: 7}, "7 digits"},
		{"period 5", ImportedTOTP{Secret: importedSecret, Period: 5}, "period"},
		{"md5", ImportedTOTP{Secret: importedSecret, Algorithm: "MD5"}, "MD5"},
		{"short scratch code", ImportedTOTP{Secret: importedSecret, Scratch: []string{"1234567"}}, "scratch code 1"},
	} {
		_, err := f.svc.ImportTOTP("bob", tt.in, false)
		wantKind(t, tt.name, err, apperr.Invalid, tt.msg)
	}
	if f.user("bob").TOTP != nil {
		t.Fatal("a refused import turned 2fa on")
	}
	_, err := f.svc.ImportTOTP("nobody", ImportedTOTP{Secret: importedSecret}, false)
	wantKind(t, "unknown user", err, apperr.Conflict, "no such user")
	// A short secret is taken when allowed.
	if _, err := f.svc.ImportTOTP("bob", ImportedTOTP{Secret: "GEZDGNBVGY3TQ", AllowShort: true}, false); err != nil {
		t.Fatal(err)
	}
}

// A known clock offset (PSKC TimeDrift) is kept as a resync would keep it:
// the device's codes log in at once.
func TestImportTOTPOffset(t *testing.T) {
	f := newFixture(t)
	f.addUser("carol", "correct horse")
	if _, err := f.svc.ImportTOTP("carol", ImportedTOTP{Secret: importedSecret, Offset: -4, Source: "pskc"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.login("carol", "correct horse", f.codeFor(otp.Params{}, importedSecret, -4)); err != nil {
		t.Fatalf("the device's code, 2 minutes behind: %v", err)
	}
}
