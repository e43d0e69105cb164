package account

import (
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
)

// A phone 3 minutes ahead: its codes are refused with a hint (only once
// the password is right), 2fa sync measures the offset from two codes in a
// row, and then its codes log in; replay protection follows the device.
func TestClockDriftAndSync(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	secret, _ := f.enable("alice", "correct horse")
	ahead := int64(6) // 6 steps of 30 s: 3 minutes

	_, err := f.login("alice", "correct horse", f.code(secret, ahead))
	wantKind(t, "a code 3 minutes ahead", err, apperr.Denied, "about 3 minutes ahead")
	if h, who := apperr.HintOf(err); h != apperr.HintSync || who != "alice" {
		t.Errorf("the answer does not hint at a resync: %v (hint %v about %q)", err, h, who)
	}
	// No hint for a wrong password.
	_, err = f.login("alice", "wrong horse", f.code(secret, ahead))
	if err == nil || err.Error() != msgDenied {
		t.Errorf("wrong password with a drifting code: %v", err)
	}
	// Two codes that do not follow each other, or one wrong: refused.
	_, err = f.svc.Sync("alice", Proof{Password: "correct horse"}, f.code(secret, ahead), f.code(secret, ahead+2))
	wantKind(t, "codes not in a row", err, apperr.Denied, "not two unused codes in a row")
	_, err = f.svc.Sync("alice", Proof{Password: "wrong horse"}, f.code(secret, ahead), f.code(secret, ahead+1))
	wantKind(t, "sync with a wrong password", err, apperr.Denied, "wrong password")

	res, err := f.svc.Sync("alice", Proof{Password: "correct horse"}, f.code(secret, ahead), f.code(secret, ahead+1))
	if err != nil || res.Steps != ahead+1 || res.Offset != time.Duration(ahead+1)*30*time.Second {
		t.Fatalf("Sync = %+v, %v", res, err)
	}
	// The device's next code logs in; the two sync codes are used.
	if _, err := f.login("alice", "correct horse", f.code(secret, ahead+2)); err != nil {
		t.Fatalf("login after sync: %v", err)
	}
	_, err = f.login("alice", "correct horse", f.code(secret, ahead+1))
	wantKind(t, "a sync code again", err, apperr.Denied, "")
	// A code of the server's own time is now far from the device's.
	f.advance(30 * time.Second)
	_, err = f.login("alice", "correct horse", f.code(secret, 0))
	wantKind(t, "a code of the server's time after sync", err, apperr.Denied, "behind")
	// Beyond 15 minutes nothing is found.
	_, err = f.svc.Sync("alice", Proof{Password: "correct horse"}, f.code(secret, 40), f.code(secret, 41))
	wantKind(t, "codes an hour away", err, apperr.Denied, "not two unused codes")
}

// At enrollment, a first code from a drifting clock is named as such.
func TestEnrollDriftHint(t *testing.T) {
	f := newFixture(t)
	f.addUser("bob", "correct horse")
	en, err := f.svc.BeginEnroll("bob", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.ConfirmEnroll("bob", "correct horse", f.code(en.Key.Secret, -8))
	wantKind(t, "a code 4 minutes behind", err, apperr.Denied, "about 4 minutes behind")
	if f.user("bob").TOTP != nil {
		t.Fatal("a drifting code turned 2fa on")
	}
}
