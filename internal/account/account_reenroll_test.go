package account

import "testing"

// A user who turns 2FA off and enrolls a new app within the same 30 s step
// must be able to confirm with the new app's current code: the replay marker
// belonged to the old secret.
func TestReenrollSameStep(t *testing.T) {
	for _, how := range []string{"disable", "reset"} {
		t.Run(how, func(t *testing.T) {
			f := newFixture(t)
			f.addUser("alice", "correct horse")
			secret, _ := f.enable("alice", "correct horse")
			if _, err := f.login("alice", "correct horse", f.code(secret, 0)); err != nil {
				t.Fatalf("login with code: %v", err)
			}
			var err error
			if how == "disable" {
				err = f.svc.Disable("alice", Proof{Password: "correct horse", Code: f.code(secret, 1)})
			} else {
				err = f.svc.Reset("alice")
			}
			if err != nil {
				t.Fatal(err)
			}
			en, err := f.svc.BeginEnroll("alice", "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.ConfirmEnroll("alice", "correct horse", f.code(en.Key.Secret, 0)); err != nil {
				t.Fatalf("confirming the new secret in the step the old one was last used: %v", err)
			}
		})
	}
}
