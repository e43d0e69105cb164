package e2e

import (
	"testing"
	"time"
)

// A phone whose clock is 3 minutes ahead: its code is refused with a hint
// that says so (after the right password only), 2fa sync measures the
// offset from two codes in a row, and its next code logs in.
func TestClockDriftJourney(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("dana", pw)
	app, _ := e.enroll("dana", pw)

	cur := stepWithRoom(10 * time.Second)
	r := e.must(1, pw+"\n", "login", "dana", "--password-stdin", "--code", oathtool(t, app.secret, cur+6))
	wantStderr(t, r, "about 3 minutes ahead", "2fa sync")
	// A wrong password learns nothing about the code.
	r = e.must(1, "wrong horse battery\n", "login", "dana", "--password-stdin", "--code", oathtool(t, app.secret, cur+6))
	wantStderr(t, r, "invalid username or password, or account locked")

	// Two codes that are not in a row are refused.
	e.must(1, pw+"\n", "2fa", "sync", "dana", "--password-stdin", "--code", oathtool(t, app.secret, cur+6), "--code", oathtool(t, app.secret, cur+8))
	cur = stepWithRoom(10 * time.Second)
	r = e.must(0, pw+"\n"+oathtool(t, app.secret, cur+6)+"\n"+oathtool(t, app.secret, cur+7)+"\n", "2fa", "sync", "dana", "--password-stdin", "-o", "json")
	res := decodeJSON[struct {
		User          string `json:"user"`
		OffsetSteps   int64  `json:"offset_steps"`
		OffsetSeconds int64  `json:"offset_seconds"`
	}](t, r.stdout)
	if res.User != "dana" || res.OffsetSteps < 6 || res.OffsetSteps > 7 || res.OffsetSeconds != res.OffsetSteps*period {
		t.Fatalf("2fa sync -o json: %s", r.stdout)
	}
	e.must(0, pw+"\n", "login", "dana", "--password-stdin", "--code", oathtool(t, app.secret, cur+8))
	// The sync codes are used.
	e.must(1, pw+"\n", "login", "dana", "--password-stdin", "--code", oathtool(t, app.secret, cur+7))
	if !hasEvent(e.audit(), auditJSON{Event: "2fa.sync", User: "dana"}) {
		t.Error("the audit trail has no 2fa.sync")
	}
}

// At enrollment, a first code from a phone 3 minutes ahead is named as such,
// and 2FA stays off.
func TestClockDriftAtEnrollment(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("eli", pw)
	en := decodeJSON[enrollmentJSON](t, e.must(0, pw+"\n", "2fa", "enable", "eli", "--password-stdin", "--begin", "-o", "json").stdout)
	cur := stepWithRoom(10 * time.Second)
	r := e.must(1, pw+"\n", "2fa", "enable", "eli", "--password-stdin", "--confirm", oathtool(t, en.Secret, cur+6))
	wantStderr(t, r, "wrong code", "about 3 minutes ahead")
	if st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "eli", "-o", "json").stdout); st.Enabled || !st.Pending {
		t.Fatalf("after a drifting first code: %+v", st)
	}
}
