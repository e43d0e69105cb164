package e2e

import (
	"testing"
)

// An admin renames a user who has 2FA on: no password is asked, the JSON
// is the user as `user show` gives it, the old name is gone, and the user
// logs in under the new name with the same authenticator app and backup
// codes. Taken and invalid names are refused with exit 3 and 2.
func TestRenameUserWithTwoFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)
	e.addUser("bob", pw)
	app, codes := e.enroll("alice", pw)

	r := e.must(0, "", "user", "rename", "alice", "alice.smith", "-o", "json")
	u := decodeJSON[userJSON](t, r.stdout)
	if u.Name != "alice.smith" || !u.TwoFactor || u.BackupCodesLeft != 8 {
		t.Fatalf("rename -o json: %+v", u)
	}
	r = e.must(3, "", "user", "show", "alice")
	wantStderr(t, r, "no such user")

	if r := e.must(0, pw+"\n", "login", "alice.smith", "--password-stdin", "--code", app.next()); r.stdout != "login ok\n" {
		t.Fatalf("login with a code under the new name: %s", r)
	}
	e.must(0, pw+"\n", "login", "alice.smith", "--password-stdin", "--code", codes[0])
	e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", "123456")
	if !hasEvent(e.audit(), auditJSON{Event: "user.rename", User: "alice.smith"}) {
		t.Error("no user.rename audit entry")
	}

	// Text output; the new name is stored normalised (é composed).
	r = e.must(0, "", "user", "rename", "alice.smith", "re\u0301sume\u0301")
	if r.stdout != "user alice.smith renamed to résumé\n" {
		t.Errorf("rename text output: %s", r)
	}
	e.must(0, "", "user", "show", "résumé")
	e.must(0, pw+"\n", "login", "résumé", "--password-stdin", "--code", codes[1])

	r = e.must(3, "", "user", "rename", "résumé", "bob")
	wantStderr(t, r, "user bob already exists")
	r = e.must(3, "", "user", "rename", "carol", "dave")
	wantStderr(t, r, "no such user")
	r = e.must(2, "", "user", "rename", "résumé", "ghost\u3164")
	wantStderr(t, r, "invisible")
	r = e.must(2, "", "user", "rename", "résumé")
	wantStderr(t, r, "takes the current and the new user name")
	if u := e.show("résumé"); !u.TwoFactor || u.BackupCodesLeft != 6 {
		t.Fatalf("after the refused renames: %+v", u)
	}
}
