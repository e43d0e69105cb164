package e2e

import "testing"

func TestPasswordLoginJourney(t *testing.T) { onBackends(t, testPasswordLoginJourney) }

func testPasswordLoginJourney(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	e.addUser("alice", "correct horse")
	if r := e.must(0, "correct horse\n", "login", "alice", "--password-stdin"); r.stdout != "login ok\n" {
		t.Fatalf("want login ok, got %s", r)
	}
	r := e.must(1, "wrong horse!\n", "login", "alice", "--password-stdin")
	if r.stderr != "authctl: login failed: invalid username or password, or account locked\n" {
		t.Fatalf("unexpected message: %s", r)
	}
	if u := e.must(1, "wrong horse!\n", "login", "nobody", "--password-stdin"); u.stderr != r.stderr {
		t.Fatalf("unknown user and wrong password must look the same:\n%s\n%s", u, r)
	}
}
