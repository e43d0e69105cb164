package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// proc is one authctl process of a concurrent batch.
type proc struct {
	args  []string
	stdin string
}

// runAll starts every process, each blocked reading its standard input,
// then feeds them all at once (the barrier) and waits for all. It returns
// the results in the order of procs.
func (e *env) runAll(procs []proc) []result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type running struct {
		in       io.WriteCloser
		out, err bytes.Buffer
		wait     func() error
	}
	rs := make([]*running, len(procs))
	for i, p := range procs {
		c := e.command(ctx, p.args...)
		r := &running{}
		c.Stdout, c.Stderr = &r.out, &r.err
		var err error
		if r.in, err = c.StdinPipe(); err != nil {
			e.t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			e.t.Fatal(err)
		}
		r.wait = c.Wait
		rs[i] = r
	}
	// The barrier: every process is started; let them all read now.
	for i, r := range rs {
		io.WriteString(r.in, procs[i].stdin) // a process that exited early may not read
		r.in.Close()
	}
	res := make([]result, len(procs))
	for i, r := range rs {
		err := r.wait()
		if ctx.Err() != nil {
			e.t.Fatalf("authctl %s did not finish in time", strings.Join(procs[i].args, " "))
		}
		res[i] = exitResult(e.t, procs[i].args, r.out.String(), r.err.String(), err)
	}
	return res
}

// same returns n copies of p.
func same(n int, p proc) []proc {
	ps := make([]proc, n)
	for i := range ps {
		ps[i] = p
	}
	return ps
}

// exactlyOne checks that one result is a success and all others are the
// denial of an already used code.
func exactlyOne(t *testing.T, res []result) {
	t.Helper()
	ok := 0
	for _, r := range res {
		switch r.code {
		case 0:
			ok++
		case 1:
			wantStderr(t, r, "login failed")
		default:
			t.Errorf("want exit 0 or 1, got %s", r)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent logins with one code succeeded, want exactly 1", ok, len(res))
	}
}

// noLockBelow20 is a config under which the failures of these tests never
// lock the account, so that every attempt is checked and counted (with the
// default policy the fifth failure locks, and later attempts are refused
// without being counted).
const noLockBelow20 = "lockout:\n  threshold: 20\n  delay: 1h\n  max-delay: 1h\n"

// N processes started at once log in with the same backup code: exactly one
// gets in.
func TestConcurrentSameBackupCode(t *testing.T) { onBackends(t, testConcurrentSameBackupCode) }

func testConcurrentSameBackupCode(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw, n = "correct horse battery", 8
	e := newEnv(t)
	e.addUser("alice", pw)
	_, codes := e.enroll("alice", pw)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(noLockBelow20))

	res := e.runAll(same(n, proc{[]string{"login", "alice", "--password-stdin", "--code", codes[0]}, pw + "\n"}))
	exactlyOne(t, res)
	// The others were double submits of the code just accepted: refused,
	// and not counted as guesses, so a double click never locks a user.
	if u := e.show("alice"); u.BackupCodesLeft != 7 || u.Failures != 0 {
		t.Fatalf("after one code was used: %d backup codes left (want 7), %d failures (want 0)", u.BackupCodesLeft, u.Failures)
	}
	oks := 0
	for _, ev := range e.audit() {
		if ev.Event == "login.ok" && ev.Factor == "backup code" {
			oks++
		}
	}
	if oks != 1 {
		t.Errorf("audit has %d successful backup-code logins, want 1", oks)
	}
	// The other codes still work.
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[1])
}

// N processes started at once log in with the same TOTP code, of a step not
// used yet: exactly one gets in.
func TestConcurrentSameTOTPCode(t *testing.T) { onBackends(t, testConcurrentSameTOTPCode) }

func testConcurrentSameTOTPCode(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw, n = "correct horse battery", 8
	e := newEnv(t)
	e.addUser("alice", pw)
	app, _ := e.enroll("alice", pw)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(noLockBelow20))

	code := app.next() // valid for at least 30 s more
	res := e.runAll(same(n, proc{[]string{"login", "alice", "--password-stdin", "--code", code}, pw + "\n"}))
	exactlyOne(t, res)
	if u := e.show("alice"); u.Failures != 0 || u.LastLoginAt == nil {
		t.Fatalf("want one login and no failures (double submits are not guesses), got %+v", u)
	}
	// The code is used up; the next step's code is not.
	e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", app.next())
}

// 32 processes at once on one database, logins of distinct users mixed with
// changes and reads: with a generous --lock-timeout, not one fails.
func TestConcurrentMixedLoad(t *testing.T) { onBackends(t, testConcurrentMixedLoad) }

func testConcurrentMixedLoad(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	var csv strings.Builder
	csv.WriteString("name,password\n")
	for i := range 16 {
		fmt.Fprintf(&csv, "user%02d,%s %02d\n", i, pw, i)
	}
	e.must(0, csv.String(), "user", "import", "-", "--format", "csv")

	var procs []proc
	for i := range 16 {
		procs = append(procs, proc{[]string{"login", fmt.Sprintf("user%02d", i), "--password-stdin", "--lock-timeout", "60s"}, fmt.Sprintf("%s %02d\n", pw, i)})
		switch i % 2 {
		case 0:
			procs = append(procs, proc{[]string{"user", "add", fmt.Sprintf("new%02d", i), "--password-stdin", "--lock-timeout", "60s"}, pw + "\n"})
		case 1:
			procs = append(procs, proc{[]string{"2fa", "status", fmt.Sprintf("user%02d", i), "-o", "json", "--lock-timeout", "60s"}, ""})
		}
	}
	start := time.Now()
	res := e.runAll(procs)
	t.Logf("%d processes in %s", len(procs), time.Since(start).Round(time.Millisecond))
	for i, r := range res {
		if r.code != 0 {
			t.Errorf("authctl %s: %s", strings.Join(procs[i].args, " "), r)
		}
	}

	list := decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json").stdout)
	if len(list) != 24 {
		t.Fatalf("want 16 imported + 8 added users, got %d", len(list))
	}
	for _, u := range list {
		if strings.HasPrefix(u.Name, "user") && (u.LastLoginAt == nil || u.Failures != 0) {
			t.Errorf("login of %s not recorded: %+v", u.Name, u)
		}
	}
	ok := 0
	for _, ev := range e.audit() {
		if ev.Event == "login.ok" {
			ok++
		}
	}
	if ok != 16 {
		t.Errorf("audit has %d successful logins, want 16", ok)
	}
	e.must(0, "", "db", "check")
	for i := 0; i < 16; i += 2 {
		e.must(0, pw+"\n", "login", fmt.Sprintf("new%02d", i), "--password-stdin")
	}
}

// N concurrent failed logins of one user are all counted: no process's
// update of the counter is lost.
func TestConcurrentFailuresAllCounted(t *testing.T) { onBackends(t, testConcurrentFailuresAllCounted) }

func testConcurrentFailuresAllCounted(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	const pw, n = "correct horse battery", 16
	e := newEnv(t)
	// A threshold above n, so no attempt is refused by a lock before its
	// password is checked. (lockout.threshold: 100 is refused: 100 failures
	// with no delay between them would fit in a day.)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(noLockBelow20))
	e.addUser("carol", pw)

	res := e.runAll(same(n, proc{[]string{"login", "carol", "--password-stdin", "--lock-timeout", "60s"}, "wrong horse battery\n"}))
	for _, r := range res {
		if r.code != 1 {
			t.Errorf("want exit 1, got %s", r)
		}
		wantStderr(t, r, "invalid username or password")
	}
	if u := e.show("carol"); u.Failures != n || u.Locked {
		t.Fatalf("after %d concurrent failed logins: failed_attempts %d (locked %v), want %d", n, u.Failures, u.Locked, n)
	}
	fails := 0
	for _, ev := range e.audit() {
		if ev.Event == "login.fail" && ev.User == "carol" {
			fails++
		}
	}
	if fails != n {
		t.Errorf("audit has %d failed logins of carol, want %d", fails, n)
	}
}
