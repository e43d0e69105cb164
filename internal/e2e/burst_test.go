package e2e

import (
	"fmt"
	"testing"
	"time"
)

// burstSize is how many authctl processes a burst starts at once.
const burstSize = 36

// verified counts, from the audit trail, the attempts on name that were
// checked (a login.fail for a wrong answer) and those refused unchecked
// because the account was locked.
func (e *env) verifiedAndRefused(name string) (verified, refused int) {
	e.t.Helper()
	for _, ev := range e.audit() {
		if ev.Event != "login.fail" || ev.User != name {
			continue
		}
		if ev.Detail == "account locked" {
			refused++
		} else {
			verified++
		}
	}
	return verified, refused
}

// Dozens of processes guessing one account's password at once: no more than
// the lockout threshold are ever verified (each attempt is counted in the
// database before its hash runs), every answer is the same, and once the
// account is locked the right password gets exactly the wrong ones' answer.
func TestBurstOfGuessesIsThrottled(t *testing.T) { onBackends(t, testBurstOfGuessesIsThrottled) }

func testBurstOfGuessesIsThrottled(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t) // the default policy: the 5th failure locks for 30 s
	e.addUser("alice", pw)
	// Dozens of processes queue for the database lock on a loaded machine;
	// none may give up waiting, or its answer would differ.
	e.setenv("AUTHCTL_LOCK_TIMEOUT=120s")

	procs := make([]proc, burstSize)
	for i := range procs {
		procs[i] = proc{[]string{"login", "alice", "--password-stdin"}, fmt.Sprintf("wrong guess %d\n", i)}
	}
	res := e.runAll(procs)
	for _, r := range res {
		if r.code != 1 || r.stderr != res[0].stderr || r.stdout != "" {
			t.Fatalf("answers to a burst differ:\n%s\n%s", res[0], r)
		}
	}
	verified, refused := e.verifiedAndRefused("alice")
	if verified != 5 || refused != burstSize-5 {
		t.Fatalf("%d processes at once: %d verified, %d refused as locked; want 5 verified (the threshold)", burstSize, verified, refused)
	}
	if u := e.show("alice"); !u.Locked || u.Failures != 5 {
		t.Fatalf("after the burst: %+v", u)
	}

	// Locked: right and wrong passwords, and an unknown name, side by side.
	procs = procs[:0]
	for i := range 12 {
		switch i % 3 {
		case 0:
			procs = append(procs, proc{[]string{"login", "alice", "--password-stdin"}, pw + "\n"})
		case 1:
			procs = append(procs, proc{[]string{"login", "alice", "--password-stdin"}, "wrong again\n"})
		default:
			procs = append(procs, proc{[]string{"login", "mallory", "--password-stdin"}, pw + "\n"})
		}
	}
	res = e.runAll(procs)
	for i, r := range res {
		if r.code != 1 || r.stderr != res[1].stderr || r.stdout != "" {
			t.Fatalf("while locked, attempt %d is answered differently from a wrong password:\n%s\n%s", i, r, res[1])
		}
	}
	// The admin sees the lock, and unlocks; the right password works again.
	e.must(0, "", "user", "unlock", "alice")
	e.must(0, pw+"\n", "login", "alice", "--password-stdin")
}

// The same for one-time codes: someone who has the password and sends
// dozens of codes at once gets no more than the threshold checked.
func TestBurstOfCodeGuessesIsThrottled(t *testing.T) {
	onBackends(t, testBurstOfCodeGuessesIsThrottled)
}

func testBurstOfCodeGuessesIsThrottled(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("bob", pw)
	app, _ := e.enroll("bob", pw)
	e.setenv("AUTHCTL_LOCK_TIMEOUT=120s")

	// Wrong codes: none of those of the steps around now.
	right := map[string]bool{}
	cur := time.Now().Unix() / period
	for s := cur - 2; s <= cur+4; s++ {
		right[oathtool(t, app.secret, s)] = true
	}
	procs := make([]proc, 0, burstSize)
	for i := 0; len(procs) < burstSize; i++ {
		code := fmt.Sprintf("%06d", 100000+i*7919)
		if !right[code] {
			procs = append(procs, proc{[]string{"login", "bob", "--password-stdin", "--code", code}, pw + "\n"})
		}
	}
	for _, r := range e.runAll(procs) {
		if r.code != 1 {
			t.Fatalf("a guessed code: %s", r)
		}
	}
	verified, refused := e.verifiedAndRefused("bob")
	if verified > 5 || verified+refused != burstSize {
		t.Fatalf("%d code guesses at once: %d verified, %d refused as locked; want at most 5 verified", burstSize, verified, refused)
	}
	// The right code while locked is refused too, as a wrong password is.
	r := e.must(1, pw+"\n", "login", "bob", "--password-stdin", "--code", app.next())
	wantStderr(t, r, "invalid username or password, or account locked")
}

// Changing a factor needs both factors: with only the password, codes regen,
// 2fa disable and passwd are refused and change nothing; a burst of them
// counts like any other attempts.
func TestPasswordAloneChangesNoFactor(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("carol", pw)
	app, codes := e.enroll("carol", pw)
	before := e.show("carol")

	for _, args := range [][]string{
		{"2fa", "codes", "regen", "carol", "--password-stdin"},
		{"2fa", "disable", "carol", "--password-stdin"},
	} {
		r := e.must(2, pw+"\n", args...)
		wantStderr(t, r, "--code")
		r = e.must(1, pw+"\n", append(args, "--code", "kkkkk-kkkkk")...)
		wantStderr(t, r, "invalid or already used code")
	}
	r := e.must(2, pw+"\nanother good password\n", "user", "passwd", "carol", "--password-stdin")
	wantStderr(t, r, "--code")
	after := e.show("carol")
	if !after.TwoFactor || after.BackupCodesLeft != 8 || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) {
		t.Fatalf("the password alone changed a factor: %+v", after)
	}
	if after.Failures != 5 || !after.Locked {
		t.Fatalf("five refused attempts: %+v", after)
	}
	// A password change does not clear the count: the lock stays.
	e.must(0, "", "user", "unlock", "carol")
	e.must(1, pw+"\n", "login", "carol", "--password-stdin", "--code", "kkkkk-kkkkk")
	e.must(0, pw+"\nanother good password\n"+codes[0]+"\n", "user", "passwd", "carol", "--password-stdin")
	if u := e.show("carol"); u.Failures != 1 {
		t.Fatalf("passwd cleared the failure count: %+v", u)
	}
	// Both factors: regen works, then a full login clears the count.
	e.must(0, "another good password\n", "2fa", "codes", "regen", "carol", "--password-stdin", "--code", app.next())
	e.must(0, "another good password\n", "login", "carol", "--password-stdin", "--code", app.next())
	if u := e.show("carol"); u.Failures != 0 {
		t.Fatalf("a login did not clear the count: %+v", u)
	}
}
