package e2e

import "testing"

// Codes from oathtool, an independent RFC 6238 implementation, are accepted
// for the current 30 s step and one step either side (an app whose clock is
// up to 30 s off), not two steps away; each step is accepted once.
//
// Every check needs an account that has not used the step yet, so the
// window is probed on fresh enrollments (--confirm of a new user has no used
// step) and then at login on users whose last used step is known. Each
// check reads the current step when at least 5 s of it are left (see
// stepWithRoom), so no authctl process runs in another step than the one
// its code was chosen for.
func TestOathtoolWindow(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newInProcEnv(t) // the steps come from a clock the test moves
	users := []string{"minus", "zero", "plus", "later"}
	secrets := map[string]string{}
	for _, u := range users {
		e.addUser(u, pw)
		r := e.must(0, pw+"\n", "2fa", "enable", u, "--password-stdin", "--begin", "-o", "json")
		secrets[u] = decodeJSON[enrollmentJSON](t, r.stdout).Secret
	}
	code := func(user string, step int64) string { return oathtool(t, secrets[user], step) }
	confirm := func(want int, user string, step int64) result {
		t.Helper()
		return e.must(want, pw+"\n", "2fa", "enable", user, "--password-stdin", "--confirm", code(user, step))
	}
	login := func(want int, user string, step int64) result {
		t.Helper()
		return e.must(want, pw+"\n", "login", user, "--password-stdin", "--code", code(user, step))
	}
	now := func() int64 { return e.stepWithRoom(room) }

	// "later" enrolls first, with the code of the step before the current
	// one; after the next step boundary it logs in one step behind.
	app := e.app(secrets["later"])
	e.must(0, pw+"\n", "2fa", "enable", "later", "--password-stdin", "--confirm", app.next())
	laterUsed := app.last

	// At enrollment, nothing is used yet: only the window counts.
	wantStderr(t, confirm(1, "minus", now()-2), "wrong code")
	wantStderr(t, confirm(1, "minus", now()+2), "wrong code")
	wantStderr(t, confirm(1, "minus", now()-3), "wrong code")
	minus := now() - 1
	confirm(0, "minus", minus) // the app 30 s behind
	zero := now()
	confirm(0, "zero", zero) // in step
	plus := now() + 1
	confirm(0, "plus", plus) // the app 30 s ahead

	// At login, after "minus" used a step: two steps ahead is refused (the
	// answer says the device's clock seems a minute ahead), the current step
	// and the next are accepted, in that order.
	wantStderr(t, login(1, "minus", now()+2), "60 seconds ahead")
	cur := now()
	login(0, "minus", cur)
	next := now() + 1
	login(0, "minus", next)
	// A code of an earlier step after a later one is refused, even inside
	// the window; so is the step used at enrollment.
	wantStderr(t, login(1, "minus", cur), "invalid or already used code")
	login(1, "minus", next)
	login(1, "zero", zero)
	login(1, "zero", zero-1)
	login(1, "plus", plus)
	login(1, "plus", plus-1)
	login(0, "zero", max(zero+1, now()-1))

	// "later" used laterUsed. Once the clock is two steps past it, the code
	// of the previous step, unused, is accepted at login.
	e.waitForStep(laterUsed+2, 0)
	cur = now()
	login(0, "later", cur-1)
	login(1, "later", cur-2)

	// The refused codes of earlier steps were counted against the accounts;
	// the code just accepted, sent again, was not (a double submit is not a
	// guess); the successes reset the counters.
	if u := e.show("zero"); u.Failures != 0 || u.LastLoginAt == nil {
		t.Errorf("zero: %+v", u)
	}
	if u := e.show("plus"); u.Failures != 1 || u.LastLoginAt != nil {
		t.Errorf("plus: want 1 failed attempt (plus-1) and no login, got %+v", u)
	}
	if u := e.show("minus"); u.Failures != 1 {
		t.Errorf("minus: want 1 failed attempt (cur) since its last login, got %+v", u)
	}
}
