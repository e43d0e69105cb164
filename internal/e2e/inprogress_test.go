package e2e

import (
	"os"
	"syscall"
	"testing"
)

// atCodePrompt starts `authctl login NAME` at a terminal and types the
// right password: the process waits at the code prompt with its attempt
// counted (in progress).
func (e *env) atCodePrompt(t *testing.T, name, pw string) *ptyProc {
	t.Helper()
	p := e.startPTY(t, 80, 24, "login", name)
	p.password("Password: ", pw)
	p.expect("Code from your authenticator app (or a backup code): ")
	return p
}

func (p *ptyProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
}

// Attempts in progress count: with the threshold's worth of logins waiting
// at the code prompt (their passwords right), one more attempt is refused
// as if locked, right code and all. Killing those processes leaves their
// attempts counted: the account is locked, and the admin sees it. A
// successful login afterwards clears the count, killed attempts included.
func TestAttemptsInProgressCount(t *testing.T) { onBackends(t, testAttemptsInProgressCount) }

func testAttemptsInProgressCount(t *testing.T, newEnv func(testing.TB) *env) {
	const pw = "correct horse battery"
	e := newEnv(t)
	// The 5th failure locks for an hour: no lock runs out while the test
	// looks at it, however slow the machine.
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig("lockout:\n  threshold: 5\n  delay: 1h\n  max-delay: 1h\n"))
	e.addUser("alice", pw)
	app, _ := e.enroll("alice", pw)

	waiting := make([]*ptyProc, 5)
	for i := range waiting {
		waiting[i] = e.atCodePrompt(t, "alice", pw)
	}
	wrong := e.must(1, "wrong horse battery\n", "login", "alice", "--password-stdin")
	r := e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	if r.stderr != wrong.stderr {
		t.Fatalf("with 5 attempts in progress, the right password and code are answered\n%s\nnot as a wrong password is:\n%s", r, wrong)
	}
	if _, refused := e.verifiedAndRefused("alice"); refused != 2 {
		t.Fatalf("%d attempts refused as locked, want 2", refused)
	}
	for _, p := range waiting {
		p.kill()
	}
	if u := e.show("alice"); u.Failures != 5 || !u.Locked {
		t.Fatalf("after 5 logins were killed at the code prompt: %+v; want 5 failures, locked", u)
	}
	e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	if u := e.show("alice"); u.Failures != 5 || !u.Locked {
		t.Fatalf("after an attempt on the locked account: %+v; want 5 failures, locked", u)
	}
	e.must(0, "", "user", "unlock", "alice")

	// Killed attempts are cleared by a successful login, as failures are.
	for range 2 {
		e.atCodePrompt(t, "alice", pw).kill()
	}
	if u := e.show("alice"); u.Failures != 2 || u.Locked {
		t.Fatalf("after 2 logins were killed at the code prompt: %+v; want 2 failures", u)
	}
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	if u := e.show("alice"); u.Failures != 0 || u.Locked {
		t.Fatalf("after a successful login: %+v; want the count cleared", u)
	}
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
	if u := e.show("alice"); u.Failures != 0 {
		t.Fatalf("the killed attempts came back after the login cleared them: %+v", u)
	}
}

// A table of attempts that is not a regular file only its owner can write
// is not used: logins still work, without waiting on it, and their attempts
// are counted in the database instead.
func TestAttemptsTableRefused(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"world-writable", func(p string) error {
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				return err
			}
			return os.Chmod(p, 0o666)
		}},
		{"symlink to /dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.addUser("alice", pw)
			table := e.db + ".attempts"
			if err := tc.make(table); err != nil {
				t.Fatal(err)
			}
			before, err := os.Lstat(table)
			if err != nil {
				t.Fatal(err)
			}
			e.must(0, pw+"\n", "login", "alice", "--password-stdin")
			e.must(1, "wrong horse battery\n", "login", "alice", "--password-stdin")
			if u := e.show("alice"); u.Failures != 1 {
				t.Fatalf("a failed login with the table refused: %+v; want 1 failure, counted in the database", u)
			}
			after, err := os.Lstat(table)
			if err != nil || after.Mode() != before.Mode() || after.Size() != before.Size() {
				t.Fatalf("the refused table was changed: %v %v, was %v %v", after.Mode(), after.Size(), before.Mode(), before.Size())
			}
		})
	}
}
