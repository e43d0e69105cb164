package e2e

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scripted 2FA journey, step by step as the seed articles tell it
// (enable with the password, scan, first code, backup codes; log in with a
// code or a backup code; regenerate the codes; disable), done by a script:
// --password-stdin, --begin / --confirm, --code, -o json and exit codes.
//
// The journey runs in the test process on a clock it moves (newInProcEnv):
// it needs a dozen TOTP steps, which took 48 s of waiting as processes.
func TestScriptedTwoFactorJourney(t *testing.T) {
	t.Parallel()
	t.Run("file", func(t *testing.T) { testScriptedTwoFactorJourney(t, newInProcEnv) })
	t.Run("postgres", func(t *testing.T) { testScriptedTwoFactorJourney(t, newInProcPGEnv) })
}

func testScriptedTwoFactorJourney(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"

	// An admin adds alice.
	if r := e.must(0, pw+"\n", "user", "add", "alice", "--password-stdin"); r.stdout != "user alice added\n" {
		t.Fatalf("user add: %s", r)
	}

	// Enabling two-factor authentication: "You will be prompted for your
	// password" (the first line of standard input), then the secret the app
	// would scan, as JSON for the script.
	png := filepath.Join(e.dir, "alice-qr.png")
	r := e.must(0, pw+"\n", "2fa", "enable", "alice", "--password-stdin", "--begin", "-o", "json", "--qr-png", png)
	en := decodeJSON[enrollmentJSON](t, r.stdout)
	checkSecret(t, en.Secret)
	checkURI(t, en.URI, "authctl", "alice", en.Secret)
	if left := time.Until(en.ExpiresAt); left < 5*time.Minute || left > 11*time.Minute {
		t.Errorf("expires_at %s is %s away, want about 10 minutes", en.ExpiresAt, left)
	}
	checkPNG(t, png)

	// Before the first code, 2FA is not on: the password alone still logs in.
	e.must(0, pw+"\n", "login", "alice", "--password-stdin")
	st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout)
	if st.Enabled || !st.Pending {
		t.Fatalf("after --begin: want pending and not enabled, got %+v", st)
	}

	// "Enter the one-time token from your token generator": the app here is
	// oathtool. Only then 2FA is on and the 8 backup codes are shown, once.
	app := e.app(en.Secret)
	r = e.must(0, pw+"\n", "2fa", "enable", "alice", "--password-stdin", "--confirm", app.next(), "-o", "json")
	codes := checkBackupCodes(t, r.stdout)

	// 2FA on: "after verifying your username and password the system will
	// prompt you to enter the one-time token".
	code := app.next()
	if r := e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", code); r.stdout != "login ok\n" {
		t.Fatalf("login with a code: %s", r)
	}
	// The same code again is a replay: refused as used (a double submit,
	// which does not count as a guess).
	r = e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", code)
	wantStderr(t, r, "code already used")
	// The code may also come as the second line of standard input.
	e.must(0, pw+"\n"+app.next()+"\n", "login", "alice", "--password-stdin")
	// Without a code and without a terminal: a usage error naming --code.
	r = e.must(2, pw+"\n", "login", "alice", "--password-stdin")
	wantStderr(t, r, "--code")
	// With a wrong password, no code is asked for and the message is the
	// password one.
	r = e.must(1, "wrong horse battery\n", "login", "alice", "--password-stdin", "--code", "123456")
	wantStderr(t, r, "invalid username or password")

	// Backup codes: each works once, and the output says how many are left.
	r = e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	if r.stdout != "login ok (backup code used; 7 left)\n" {
		t.Fatalf("login with a backup code: %s", r)
	}
	if r.stderr != "" {
		t.Errorf("7 codes left needs no warning: %s", r)
	}
	r = e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0])
	wantStderr(t, r, "code already used")
	// Typed without the dash, in upper case, with spaces around it or in
	// place of the dash, and as the second line of standard input.
	for i, typed := range []string{
		strings.ReplaceAll(codes[1], "-", ""),
		strings.ToUpper(codes[2]),
		"  " + strings.Replace(codes[3], "-", " ", 1) + " ",
	} {
		want := "login ok (backup code used; " + strconv.Itoa(6-i) + " left)\n"
		if r := e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", typed); r.stdout != want {
			t.Fatalf("backup code typed as %q: want %q, got %s", typed, want, r)
		}
	}
	r = e.must(0, pw+"\n"+strings.ToUpper(codes[4])+"\n", "login", "alice", "--password-stdin", "-o", "json")
	lr := decodeJSON[loginJSON](t, r.stdout)
	if !lr.OK || lr.User != "alice" || lr.Factor != "backup code" || lr.BackupCodesLeft == nil || *lr.BackupCodesLeft != 3 {
		t.Fatalf("login -o json with a backup code: %s", r)
	}
	if r.stderr != "" {
		t.Errorf("3 codes left needs no warning: %s", r)
	}
	// At two codes left, a warning on stderr says how to get new ones.
	r = e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[5])
	if r.stdout != "login ok (backup code used; 2 left)\n" {
		t.Fatalf("login with a backup code: %s", r)
	}
	wantStderr(t, r, "only 2 backup codes left", "2fa codes regen alice")

	st = decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout)
	if !st.Enabled || st.BackupLeft != 2 || st.Pending || st.EnabledAt == nil || st.User != "alice" {
		t.Fatalf("2fa status -o json: %+v", st)
	}

	// Enabling again is a conflict that says what to do instead, and it
	// fails before asking for the password.
	r = e.must(3, "", "2fa", "enable", "alice", "--password-stdin", "--begin")
	wantStderr(t, r, "already enabled", "2fa codes regen", "2fa disable")

	// "Regenerate your backup codes": with the password and a current code
	// (the password alone must never replace the second factor); the old
	// ones stop working.
	r = e.must(2, pw+"\n", "2fa", "codes", "regen", "alice", "--password-stdin")
	wantStderr(t, r, "--code")
	r = e.must(0, pw+"\n", "2fa", "codes", "regen", "alice", "--password-stdin", "--code", app.next(), "-o", "json")
	fresh := checkBackupCodes(t, r.stdout)
	for _, c := range fresh {
		for _, old := range codes {
			if c == old {
				t.Fatalf("regenerated code %s was in the old set", c)
			}
		}
	}
	r = e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[6])
	wantStderr(t, r, "invalid or already used code")
	r = e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", fresh[0])
	if r.stdout != "login ok (backup code used; 7 left)\n" {
		t.Fatalf("new backup code: %s", r)
	}
	// Regenerating needs the password again.
	r = e.must(1, "wrong horse battery\n"+app.next()+"\n", "2fa", "codes", "regen", "alice", "--password-stdin")
	wantStderr(t, r, "wrong password")
	st = decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout)
	if st.BackupLeft != 7 {
		t.Fatalf("after regen and one use: want 7 codes left, got %+v", st)
	}

	// "Disabling two-factor authentication": with the password and a code
	// (here a backup code, as the second line); the password alone is not
	// enough. Afterwards the password alone logs in.
	e.must(1, "wrong horse battery\n", "2fa", "disable", "alice", "--password-stdin", "--code", fresh[1])
	r = e.must(2, pw+"\n", "2fa", "disable", "alice", "--password-stdin")
	wantStderr(t, r, "--code")
	if st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout); !st.Enabled {
		t.Fatal("the password alone turned 2fa off")
	}
	if r := e.must(0, pw+"\n"+fresh[1]+"\n", "2fa", "disable", "alice", "--password-stdin"); r.stdout != "2fa disabled for alice\n" {
		t.Fatalf("2fa disable: %s", r)
	}
	if r := e.must(0, pw+"\n", "login", "alice", "--password-stdin"); r.stdout != "login ok\n" {
		t.Fatalf("password-only login after disable: %s", r)
	}
	r = e.must(3, pw+"\n", "2fa", "disable", "alice", "--password-stdin")
	wantStderr(t, r, "not enabled")
	st = decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout)
	if st.Enabled || st.BackupLeft != 0 || st.EnabledAt != nil {
		t.Fatalf("2fa status after disable: %+v", st)
	}

	// The audit trail saw every step, with the factor of each login.
	events := e.audit()
	for _, want := range []auditJSON{
		{Event: "user.add", User: "alice"},
		{Event: "2fa.enable", User: "alice"},
		{Event: "login.ok", User: "alice", Factor: "code"},
		{Event: "login.ok", User: "alice", Factor: "backup code"},
		{Event: "login.ok", User: "alice", Factor: "password"},
		{Event: "login.fail", User: "alice", Factor: "code"},
		{Event: "login.fail", User: "alice", Factor: "backup code"},
		{Event: "login.fail", User: "alice", Factor: "password"},
		{Event: "codes.regen", User: "alice"},
		{Event: "2fa.disable", User: "alice"},
	} {
		if !hasEvent(events, want) {
			t.Errorf("audit -o json has no %+v", want)
		}
	}
	for i := 1; i < len(events); i++ {
		if events[i].Time.After(events[i-1].Time) {
			t.Errorf("audit is not newest first: %v before %v", events[i-1].Time, events[i].Time)
		}
	}
}

// The account side of the journey: password change, show, list, delete.
func TestScriptedAccountJourney(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const oldPW, newPW = "first password", "second password"
	e.addUser("bob", oldPW)
	e.addUser("carol", "carol's password")

	// "user passwd --password-stdin": current password, then the new one.
	r := e.must(1, "not the password\n"+newPW+"\n", "user", "passwd", "bob", "--password-stdin")
	wantStderr(t, r, "wrong password")
	r = e.must(2, oldPW+"\nshort\n", "user", "passwd", "bob", "--password-stdin")
	wantStderr(t, r, "shorter than 8")
	if r := e.must(0, oldPW+"\n"+newPW+"\n", "user", "passwd", "bob", "--password-stdin"); r.stdout != "password changed for bob\n" {
		t.Fatalf("user passwd: %s", r)
	}
	e.must(1, oldPW+"\n", "login", "bob", "--password-stdin")
	e.must(0, newPW+"\n", "login", "bob", "--password-stdin")

	// show -o json: the documented fields.
	u := e.show("bob")
	if u.Name != "bob" || u.TwoFactor || u.Locked || u.Failures != 0 || u.LastLoginAt == nil ||
		u.CreatedAt.IsZero() || !u.PasswordChangedAt.After(u.CreatedAt) || u.BackupCodesLeft != 0 {
		t.Fatalf("user show -o json: %+v", u)
	}
	r = e.must(0, "", "user", "show", "bob")
	for _, line := range []string{"name:              bob", "2fa:               off", "locked:            no"} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("user show has no line %q:\n%s", line, r.stdout)
		}
	}

	// list -o json is one JSON array of the same objects.
	list := decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json").stdout)
	if len(list) != 2 || list[0].Name != "bob" || list[1].Name != "carol" {
		t.Fatalf("user list -o json: %+v", list)
	}

	// delete needs --yes without a terminal; then bob is gone.
	r = e.must(2, "", "user", "delete", "bob")
	wantStderr(t, r, "--yes")
	if r := e.must(0, "", "user", "delete", "bob", "--yes"); r.stdout != "user bob deleted\n" {
		t.Fatalf("user delete: %s", r)
	}
	e.must(3, "", "user", "show", "bob")
	e.must(1, newPW+"\n", "login", "bob", "--password-stdin")
	list = decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json").stdout)
	if len(list) != 1 || list[0].Name != "carol" {
		t.Fatalf("user list -o json after delete: %+v", list)
	}
	e.must(0, "", "user", "delete", "carol", "--yes")
	if r := e.must(0, "", "user", "list", "-o", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("empty user list -o json: want [], got %s", r)
	}
	if !hasEvent(e.audit(), auditJSON{Event: "password.change", User: "bob"}) ||
		!hasEvent(e.audit(), auditJSON{Event: "user.delete", User: "bob"}) {
		t.Errorf("audit misses password.change or user.delete of bob")
	}
}

// Scripts never hang on a prompt: without a terminal, what would prompt
// fails at once with a message naming the flag to use.
func TestScriptsNeverWaitForATerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("dave", pw)
	e.enroll("dave", pw)
	e.addUser("erin", pw)

	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"2fa", "enable", "erin"}, []string{"--begin", "--confirm"}},
		{[]string{"2fa", "enable", "erin", "--password-stdin"}, []string{"--begin", "--confirm"}},
		{[]string{"2fa", "enable", "erin", "--begin"}, []string{"--password-stdin"}},
		{[]string{"login", "erin"}, []string{"--password-stdin"}},
		{[]string{"user", "add", "frank"}, []string{"--password-stdin"}},
		{[]string{"user", "passwd", "erin"}, []string{"--password-stdin"}},
		{[]string{"2fa", "codes", "regen", "dave"}, []string{"--password-stdin"}},
		{[]string{"2fa", "disable", "dave"}, []string{"--password-stdin"}},
		{[]string{"2fa", "reset", "dave"}, []string{"--yes"}},
		{[]string{"user", "delete", "erin"}, []string{"--yes"}},
	} {
		// Standard input stays open and empty: a process that waited for it
		// would never end.
		r := e.runOpenStdin(10*time.Second, tt.args...)
		if r.code != 2 {
			t.Errorf("authctl %s: want exit 2, got %s", strings.Join(tt.args, " "), r)
			continue
		}
		wantStderr(t, r, tt.want...)
	}
	// A 2FA user's login reads the code from the second line, and fails at
	// once when standard input has none. That attempt counts as a failure:
	// its answer says the password was right, which must cost an attempt.
	r := e.must(2, pw+"\n", "login", "dave", "--password-stdin")
	wantStderr(t, r, "--code")
	// Nothing else changed the accounts.
	if u := e.show("dave"); !u.TwoFactor || u.BackupCodesLeft != 8 || u.Failures != 1 {
		t.Fatalf("dave changed: %+v", u)
	}
	e.must(0, "", "user", "show", "erin")
	e.must(3, "", "user", "show", "frank")
}

// --issuer names the service in the authenticator app; --confirm needs a
// pending enrollment; the QR code PNG is private.
func TestEnrollmentDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("grace", pw)
	e.addUser("heidi", pw)

	r := e.must(3, pw+"\n", "2fa", "enable", "grace", "--password-stdin", "--confirm", "123456")
	wantStderr(t, r, "no pending", "--begin")

	r = e.must(0, pw+"\n", "2fa", "enable", "grace", "--password-stdin", "--begin", "-o", "json", "--issuer", "Example Corp")
	en := decodeJSON[enrollmentJSON](t, r.stdout)
	checkURI(t, en.URI, "Example Corp", "grace", en.Secret)

	e.setenv("AUTHCTL_ISSUER=env-issuer")
	r = e.must(0, pw+"\n", "2fa", "enable", "heidi", "--password-stdin", "--begin")
	m := regexp.MustCompile(`(?m)^secret: +([A-Z2-7]+)\nuri: +(\S+)\nexpires: +(\S+)$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("--begin text output: %s", r)
	}
	checkURI(t, m[2], "env-issuer", "heidi", m[1])
	if _, err := time.Parse(time.RFC3339, m[3]); err != nil {
		t.Errorf("expires: %v", err)
	}
	wantStderr(t, r, "--confirm")

	// A new --begin replaces the pending secret: the first one's codes are
	// refused (exit 1), the new one's accepted.
	r = e.must(0, pw+"\n", "2fa", "enable", "heidi", "--password-stdin", "--begin", "-o", "json", "--qr-png", filepath.Join(e.dir, "q.png"))
	second := decodeJSON[enrollmentJSON](t, r.stdout)
	if second.Secret == m[1] {
		t.Fatal("a new --begin kept the old secret")
	}
	checkPNG(t, filepath.Join(e.dir, "q.png"))
	old := &authenticator{t: t, secret: m[1]}
	r = e.must(1, pw+"\n", "2fa", "enable", "heidi", "--password-stdin", "--confirm", old.next())
	wantStderr(t, r, "wrong code")
	cur := &authenticator{t: t, secret: second.Secret}
	e.must(0, pw+"\n", "2fa", "enable", "heidi", "--password-stdin", "--confirm", cur.next())
	// A malformed code is a usage error before any password check.
	r = e.must(2, "", "2fa", "enable", "grace", "--password-stdin", "--confirm", "12345")
	wantStderr(t, r, "invalid --confirm")
}

// Throttling: after lockout.threshold wrong passwords even the right one is
// refused, with exactly the answer a wrong password and an unknown name get
// (no oracle); the admin sees the lock, and unlocks. (The delay
// is long here so that the checks of the locked state cannot race its end;
// TestLockoutExpires uses a 2 s delay and waits for it.)
func TestLockoutAndUnlock(t *testing.T) { onBackends(t, testLockoutAndUnlock) }

func testLockoutAndUnlock(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.writeConfig("lockout:\n  threshold: 3\n  delay: 10m\n  max-delay: 1h\n")
	const pw = "correct horse battery"
	e.addUser("ivan", pw)

	var wrong result
	for i := 1; i <= 3; i++ {
		wrong = e.must(1, "wrong horse battery\n", "login", "ivan", "--password-stdin", "--config", cfg)
		wantStderr(t, wrong, "invalid username or password")
	}
	r := e.must(1, pw+"\n", "login", "ivan", "--password-stdin", "--config", cfg)
	unknown := e.must(1, pw+"\n", "login", "nobody", "--password-stdin", "--config", cfg)
	lockedWrong := e.must(1, "wrong horse battery\n", "login", "ivan", "--password-stdin", "--config", cfg)
	for _, other := range []result{wrong, unknown, lockedWrong} {
		if r.stdout != other.stdout || r.stderr != other.stderr {
			t.Errorf("the right password while locked is answered differently:\n%s\n%s", r, other)
		}
	}
	u := e.show("ivan")
	if !u.Locked || u.LockedUntil == nil || u.Failures != 3 {
		t.Fatalf("user show -o json of a locked user: %+v", u)
	}
	if r := e.must(0, "", "user", "show", "ivan"); !strings.Contains(r.stdout, "locked:            yes") {
		t.Errorf("user show does not say locked:\n%s", r.stdout)
	}
	if l := decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json").stdout); len(l) != 1 || !l[0].Locked {
		t.Errorf("user list -o json does not show the lock: %+v", l)
	}
	// Commands that check the password honour the lock too, and answer as
	// to a wrong password.
	r = e.must(1, pw+"\n", "2fa", "enable", "ivan", "--password-stdin", "--begin")
	wantStderr(t, r, "wrong password, or account locked")

	if r := e.must(0, "", "user", "unlock", "ivan"); r.stdout != "user ivan unlocked\n" {
		t.Fatalf("user unlock: %s", r)
	}
	if u := e.show("ivan"); u.Locked || u.Failures != 0 {
		t.Fatalf("after unlock: %+v", u)
	}
	e.must(0, pw+"\n", "login", "ivan", "--password-stdin", "--config", cfg)
	if r := e.must(0, "", "user", "unlock", "ivan"); !strings.Contains(r.stdout, "was not locked") {
		t.Errorf("unlock of an unlocked user: %s", r)
	}
	ev := e.audit()
	if !hasEvent(ev, auditJSON{Event: "lockout", User: "ivan"}) || !hasEvent(ev, auditJSON{Event: "user.unlock", User: "ivan"}) {
		t.Errorf("audit misses lockout or user.unlock: %+v", ev)
	}
}

// The lock lifts by itself after lockout.delay, and a success resets the
// counter. This test waits for the 2 s delay once (polling the clock).
func TestLockoutExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.writeConfig("lockout:\n  threshold: 3\n  delay: 2s\n  max-delay: 1h\n")
	const pw = "correct horse battery"
	e.addUser("judy", pw)

	e.must(1, "wrong horse battery\n", "login", "judy", "--password-stdin", "--config", cfg)
	e.must(1, "wrong horse battery\n", "login", "judy", "--password-stdin", "--config", cfg)
	before := time.Now()
	e.must(1, "wrong horse battery\n", "login", "judy", "--password-stdin", "--config", cfg)
	after := time.Now()
	r := e.must(1, pw+"\n", "login", "judy", "--password-stdin", "--config", cfg)
	wantStderr(t, r, "invalid username or password, or account locked")

	u := e.show("judy")
	if !u.Locked || u.LockedUntil == nil {
		t.Fatalf("not locked: %+v", u)
	}
	until := *u.LockedUntil
	// The third failure locked for lockout.delay from when it happened.
	if until.Before(before.Add(2*time.Second-time.Millisecond)) || until.After(after.Add(2*time.Second)) {
		t.Fatalf("locked until %s, want 2s after the third failure (between %s and %s)", until, before, after)
	}
	for time.Now().Before(until.Add(50 * time.Millisecond)) {
		time.Sleep(50 * time.Millisecond)
	}
	e.must(0, pw+"\n", "login", "judy", "--password-stdin", "--config", cfg)
	if u := e.show("judy"); u.Locked || u.Failures != 0 {
		t.Fatalf("a success must reset the counter: %+v", u)
	}
}

// ---- helpers shared by the e2e files of the scripted journeys ----

type enrollmentJSON struct {
	Secret    string    `json:"secret"`
	URI       string    `json:"uri"`
	ExpiresAt time.Time `json:"expires_at"`
}

type statusJSON struct {
	User           string     `json:"user"`
	Enabled        bool       `json:"enabled"`
	EnabledAt      *time.Time `json:"enabled_at"`
	BackupLeft     int        `json:"backup_codes_left"`
	Pending        bool       `json:"pending"`
	PendingExpires *time.Time `json:"pending_expires_at"`
}

type loginJSON struct {
	User            string `json:"user"`
	OK              bool   `json:"ok"`
	Factor          string `json:"factor"`
	BackupCodesLeft *int   `json:"backup_codes_left"`
}

type userJSON struct {
	Name              string     `json:"name"`
	TwoFactor         bool       `json:"two_factor"`
	TwoFactorSince    *time.Time `json:"two_factor_enabled_at"`
	BackupCodesLeft   int        `json:"backup_codes_left"`
	PendingEnrollment bool       `json:"pending_enrollment"`
	Locked            bool       `json:"locked"`
	LockedUntil       *time.Time `json:"locked_until"`
	Failures          int        `json:"failed_attempts"`
	CreatedAt         time.Time  `json:"created_at"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	LastLoginAt       *time.Time `json:"last_login_at"`
}

type auditJSON struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	User   string    `json:"user"`
	Factor string    `json:"factor"`
	Detail string    `json:"detail"`
}

// show returns `user show NAME -o json`.
func (e *env) show(name string) userJSON {
	e.t.Helper()
	return decodeJSON[userJSON](e.t, e.must(0, "", "user", "show", name, "-o", "json").stdout)
}

// audit returns the JSON lines of `audit -o json`.
func (e *env) audit() []auditJSON {
	e.t.Helper()
	out := e.must(0, "", "audit", "-o", "json").stdout
	var evs []auditJSON
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		evs = append(evs, decodeJSON[auditJSON](e.t, line))
	}
	return evs
}

// hasEvent reports whether evs holds an entry matching want's non-empty
// event, user and factor.
func hasEvent(evs []auditJSON, want auditJSON) bool {
	for _, ev := range evs {
		if ev.Event == want.Event && ev.User == want.User && (want.Factor == "" || ev.Factor == want.Factor) {
			return true
		}
	}
	return false
}

// writeConfig writes a config file into e's directory and returns its path.
func (e *env) writeConfig(yaml string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "test-config.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// enroll turns 2FA on for name through --begin and --confirm and returns
// the user's authenticator and backup codes.
func (e *env) enroll(name, pw string) (*authenticator, []string) {
	e.t.Helper()
	r := e.must(0, pw+"\n", "2fa", "enable", name, "--password-stdin", "--begin", "-o", "json")
	app := e.app(decodeJSON[enrollmentJSON](e.t, r.stdout).Secret)
	r = e.must(0, pw+"\n", "2fa", "enable", name, "--password-stdin", "--confirm", app.next(), "-o", "json")
	return app, checkBackupCodes(e.t, r.stdout)
}

// runOpenStdin runs authctl with a standard input that stays open and empty
// until the process ends, so a process that waits for input never ends; it
// fails the test if authctl is still running after limit.
func (e *env) runOpenStdin(limit time.Duration, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	defer pw.Close()
	c := e.command(ctx, args...)
	c.Stdin = pr
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err = c.Start()
	pr.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	err = c.Wait()
	if ctx.Err() != nil {
		e.t.Fatalf("authctl %s waited for standard input (still running after %s)", strings.Join(args, " "), limit)
	}
	return exitResult(e.t, args, out.String(), errb.String(), err)
}

// exitResult turns what Wait returned into a result.
func exitResult(t testing.TB, args []string, stdout, stderr string, err error) result {
	t.Helper()
	r := result{stdout: stdout, stderr: stderr}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running authctl %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// wantStderr fails unless r's stderr contains each of subs. A failing
// command prints exactly one line, "authctl: ..." (STYLE.md).
func wantStderr(t testing.TB, r result, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not mention %q:\n%s", s, r)
		}
	}
	if r.code != 0 && (!strings.HasPrefix(r.stderr, "authctl: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n")) {
		t.Errorf("a failure must print one line starting \"authctl: \":\n%s", r)
	}
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// checkSecret checks a TOTP secret is base32 of 20 bytes (160 bits).
func checkSecret(t testing.TB, s string) []byte {
	t.Helper()
	raw, err := b32.DecodeString(s)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q is not base32 of 20 bytes (%v)", s, err)
	}
	return raw
}

// checkURI checks an otpauth URI as authenticator apps read it.
func checkURI(t testing.TB, uri, issuer, account, secret string) {
	t.Helper()
	checkURIParams(t, uri, issuer, account, secret, false)
}

// checkQRURI is checkURI for the URI in a QR code, which leaves out the
// parameters that have their default values (SHA1, 6 digits, 30 s).
func checkQRURI(t testing.TB, uri, issuer, account, secret string) {
	t.Helper()
	checkURIParams(t, uri, issuer, account, secret, true)
}

func checkURIParams(t testing.TB, uri, issuer, account, secret string, defaultsImplied bool) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatalf("uri %q: %v", uri, err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("uri %q is not otpauth://totp/", uri)
	}
	if want := "/" + issuer + ":" + account; u.Path != want {
		t.Errorf("uri %q: label %q, want %q", uri, u.Path, want)
	}
	q := u.Query()
	for k, want := range map[string]string{"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if defaultsImplied && k != "secret" && k != "issuer" {
			if q.Has(k) {
				t.Errorf("uri %q: %s=%q is the default and need not be in the QR code", uri, k, q.Get(k))
			}
			continue
		}
		if q.Get(k) != want {
			t.Errorf("uri %q: %s=%q, want %q", uri, k, q.Get(k), want)
		}
	}
}

// checkPNG checks path is a PNG only its owner can read.
func checkPNG(t testing.TB, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("--qr-png: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("%s has mode %o, want 600", path, m)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG: starts %q", path, b[:min(len(b), 8)])
	}
}

var backupCodeRE = regexp.MustCompile(`^[abcdefghijkmnpqrstuvwxyz23456789]{5}-[abcdefghijkmnpqrstuvwxyz23456789]{5}$`)

// checkBackupCodes parses {"backup_codes":[...]}: 8 distinct xxxxx-xxxxx.
func checkBackupCodes(t testing.TB, out string) []string {
	t.Helper()
	var v map[string][]string
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 1 {
		t.Fatalf("want {\"backup_codes\": [...]} alone, got %q (%v)", out, err)
	}
	codes := v["backup_codes"]
	if len(codes) != 8 {
		t.Fatalf("want 8 backup codes, got %q", codes)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !backupCodeRE.MatchString(c) || seen[c] {
			t.Fatalf("backup code %q is not a new xxxxx-xxxxx code: %q", c, codes)
		}
		seen[c] = true
	}
	return codes
}

// ---- TOTP codes from oathtool, the independent implementation ----

const period = 30 // seconds per TOTP step

// stepStart is when step s begins.
func stepStart(s int64) time.Time { return time.Unix(s*period, 0) }

// oathtool returns the code of secret for time step s, as
// `oathtool --totp -b SECRET -N @UNIX` prints it (UNIX in the middle of s).
func oathtool(t testing.TB, secret string, s int64) string {
	t.Helper()
	at := "@" + strconv.FormatInt(s*period+period/2, 10)
	out, err := exec.Command("oathtool", "--totp", "-b", secret, "-N", at).Output()
	if err != nil {
		t.Fatalf("oathtool --totp -b SECRET -N %s: %v (is oathtool installed? apt-get install oathtool)", at, err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q", out)
	}
	return code
}

// waitForStep polls the clock until step s has begun and at least `into`
// of it has passed.
func waitForStep(s int64, into time.Duration) {
	for time.Now().Before(stepStart(s).Add(into)) {
		time.Sleep(50 * time.Millisecond)
	}
}

// stepWithRoom returns the current step once at least 1 s of it has passed
// and at least room of it is left, waiting for the next step if need be, so
// that what runs next cannot straddle a step boundary unnoticed.
func stepWithRoom(room time.Duration) int64 {
	for {
		now := time.Now()
		s := now.Unix() / period
		if now.Sub(stepStart(s)) >= time.Second && stepStart(s+1).Sub(now) >= room {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// authenticator plays the user's app: it hands out the codes of successive
// time steps. authctl accepts each step once and the steps from now-30s to
// now+30s, so next gives the oldest step that is still accepted and not yet
// used, which lets a test use up to three codes within one 30 s step; it
// waits for the clock only when no unused step is in the window.
type authenticator struct {
	t      testing.TB
	secret string
	last   int64      // the last step handed out
	clock  *fakeClock // nil: the real clock
}

func (a *authenticator) now() time.Time {
	if a.clock != nil {
		return a.clock.Now()
	}
	return time.Now()
}

// wait moves to step s (the real clock by waiting, a fake one at once).
func (a *authenticator) wait(s int64) {
	if a.clock != nil {
		a.clock.until(stepStart(s).Add(time.Second))
		return
	}
	waitForStep(s, 0)
}

// room is how long a code handed out by next stays valid at least.
const room = 5 * time.Second

func (a *authenticator) next() string {
	a.t.Helper()
	for {
		now := a.now()
		cur := now.Unix() / period
		k := max(a.last+1, cur-1)
		if k > cur+1 {
			a.wait(k - 1)
			continue
		}
		// Code k is accepted until step k+1 ends.
		if stepStart(k+2).Sub(now) < room {
			a.wait(cur + 1)
			continue
		}
		a.last = k
		return oathtool(a.t, a.secret, k)
	}
}
