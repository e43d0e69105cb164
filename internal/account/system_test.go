package account

import (
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
)

func (f *fixture) system(name, secret string, codeOnly, allow bool) error {
	_, err := f.svc.LoginSystem(SystemLogin{Name: name, Secret: secret, CodeOnly: codeOnly, AllowWithout2FA: allow})
	return err
}

func TestLoginSystemPasswordAndCode(t *testing.T) {
	f := newFixture(t)
	f.svc.Policy = DefaultPolicy
	f.addUser("plain", "correct horse")
	f.addUser("alice", "correct horse 42") // ends in digits, as passwords do
	secret, codes := f.enable("alice", "correct horse 42")

	if err := f.system("plain", "correct horse", false, false); err != nil {
		t.Fatalf("password of a user without 2fa: %v", err)
	}
	wantKind(t, "wrong password", f.system("plain", "wrong horse", false, false), apperr.Denied, "invalid username or password")
	wantKind(t, "unknown user", f.system("nobody", "correct horse", false, false), apperr.Denied, "invalid username or password")

	// The password immediately followed by the code, or a backup code with
	// or without its dash.
	if err := f.system("alice", "correct horse 42"+f.code(secret, 0), false, false); err != nil {
		t.Fatalf("password+code: %v", err)
	}
	wantKind(t, "password+code again", f.system("alice", "correct horse 42"+f.code(secret, 0), false, false), apperr.Denied, "already used")
	if err := f.system("alice", "correct horse 42"+codes[0], false, false); err != nil {
		t.Fatalf("password+backup code: %v", err)
	}
	if err := f.system("alice", "correct horse 42"+strings.ReplaceAll(codes[1], "-", ""), false, false); err != nil {
		t.Fatalf("password+backup code without its dash: %v", err)
	}
	// The password alone is not enough, and counts.
	before := f.user("alice").Failures
	wantKind(t, "password alone", f.system("alice", "correct horse 42", false, false), apperr.Denied, "")
	wantKind(t, "wrong password+right code", f.system("alice", "wrong horse 42"+f.code(secret, 1), false, false), apperr.Denied, "invalid username or password")
	if n := f.user("alice").Failures; n != before+2 {
		t.Fatalf("Failures = %d, want %d", n, before+2)
	}
	// Locked: the right secret gets the wrong one's answer.
	for range 5 {
		f.system("alice", "wrong horse 42000000", false, false)
	}
	err := f.system("alice", "correct horse 42"+f.code(secret, 1), false, false)
	wantKind(t, "locked", err, apperr.Denied, "")
	if err.Error() != msgDenied {
		t.Errorf("locked answer %q, want %q", err, msgDenied)
	}
}

func TestLoginSystemCodeOnly(t *testing.T) {
	f := newFixture(t)
	f.addUser("plain", "correct horse")
	f.addUser("alice", "correct horse")
	secret, codes := f.enable("alice", "correct horse")

	if err := f.system("alice", f.code(secret, 0), true, false); err != nil {
		t.Fatalf("code only: %v", err)
	}
	if err := f.system("alice", codes[0], true, false); err != nil {
		t.Fatalf("backup code only: %v", err)
	}
	wrong := f.system("alice", "000000", true, false)
	if f.code(secret, -1) != "000000" && f.code(secret, 1) != "000000" {
		wantKind(t, "wrong code", wrong, apperr.Denied, "invalid or already used code")
	}
	// A user without 2fa: refused, not counted, unless the rollout allows;
	// an unknown user answers as a wrong code.
	noTwoFA := f.system("plain", "123456", true, false)
	unknown := f.system("nobody", "123456", true, false)
	wantKind(t, "no 2fa", noTwoFA, apperr.Denied, "")
	if noTwoFA.Error() != msgBadCode || unknown.Error() != msgBadCode {
		t.Errorf("answers: no 2fa %q, unknown %q, want %q", noTwoFA, unknown, msgBadCode)
	}
	if n := f.user("plain").Failures; n != 0 {
		t.Errorf("a user without 2fa was counted a failure: %d", n)
	}
	if err := f.system("plain", "", true, true); err != nil {
		t.Fatalf("rollout: %v", err)
	}
	// A code-only success clears the count (the stack checked the first
	// factor); the allowed pass of a user without 2fa does not.
	f.svc.Policy = Policy{Threshold: 50, BaseDelay: time.Hour, MaxDelay: time.Hour}
	f.login("plain", "wrong", "")
	if err := f.system("plain", "", true, true); err != nil || f.user("plain").Failures != 1 {
		t.Fatalf("rollout pass: %v, failures %d", err, f.user("plain").Failures)
	}
}

func TestSplitCombined(t *testing.T) {
	for _, tt := range []struct {
		secret  string
		digits  int
		scratch bool
		want    []split
	}{
		{"hunter22123456", 6, false, []split{{"hunter22", "123456"}}},
		{"123456", 6, false, nil},
		{"pw12345678", 8, true, []split{{"pw", "12345678"}}},
		{"pw12345678", 6, true, []split{{"pw12", "345678"}, {"pw", "12345678"}}},
		{"secret pwabcde-fghij", 6, false, []split{{"secret pw", "abcde-fghij"}}},
		{"secret pwabcdefghij", 6, false, []split{{"secret pw", "abcdefghij"}}},
		{"", 6, false, nil},
	} {
		got := splitCombined(tt.secret, tt.digits, tt.scratch)
		if len(got) != len(tt.want) {
			t.Errorf("splitCombined(%q) = %q, want %q", tt.secret, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("splitCombined(%q) = %q, want %q", tt.secret, got, tt.want)
			}
		}
	}
}
