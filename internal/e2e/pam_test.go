package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pamExecGlobs are where distributions install pam_exec.so (Debian:
// /lib/x86_64-linux-gnu/security and its /usr twin).
var pamExecGlobs = []string{"/lib/*/security/pam_exec.so", "/usr/lib/*/security/pam_exec.so", "/lib/security/pam_exec.so", "/usr/lib/security/pam_exec.so", "/usr/lib64/security/pam_exec.so"}

// needPAM returns pamtester's path. The PAM tests need root (they write
// /etc/pam.d, and PAM runs authctl as root), pamtester and pam_exec.so; without them they skip, except
// in CI (CI=true, as root), where a missing tool must not pass unnoticed.
func needPAM(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the PAM tests write /etc/pam.d and need root")
	}
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install pamtester libpam-modules)", what)
		}
		t.Skipf("%s not installed (apt-get install pamtester libpam-modules)", what)
	}
	p, err := exec.LookPath("pamtester")
	if err != nil {
		missing("pamtester")
	}
	found := false
	for _, g := range pamExecGlobs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			found = true
		}
	}
	if !found {
		missing("pam_exec.so")
	}
	return p
}

// pamStack is a PAM service whose auth lines are a stack that docs/pam.md
// shows, with the built authctl for /usr/bin/authctl and log= capturing what
// authctl writes (stdout and stderr).
type pamStack struct {
	t       testing.TB
	tester  string
	service string
	log     string
	logSeen int
}

// docStack returns the PAM lines docs/pam.md shows after
// "<!-- tested: NAME -->".
func docStack(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "pam.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- tested: " + regexp.QuoteMeta(name) + " -->\n```text\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatalf("docs/pam.md has no tested block %q", name)
	}
	return string(m[1])
}

// pamStack writes /etc/pam.d/authctl-test-RANDOM with the stack docs/pam.md
// shows under doc, running `authctl pam ... ARGS...`; the file is removed
// when the test ends. pam_exec passes authctl no environment but the PAM
// one (empty here), PAM_SERVICE, PAM_USER and PAM_TYPE: no HOME, no XDG_*.
func (e *env) pamStack(tester, doc string, args ...string) *pamStack {
	e.t.Helper()
	var rnd [8]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	s := &pamStack{t: e.t, tester: tester, service: "authctl-test-" + id, log: filepath.Join(e.dir, "pam-"+id+".log")}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(docStack(e.t, doc)), "\n") {
		if strings.Contains(l, "pam_exec.so") {
			if !strings.Contains(l, " quiet ") || !strings.Contains(l, " /usr/bin/authctl pam") {
				e.t.Fatalf("docs/pam.md's %s line is not the expected shape: %q", doc, l)
			}
			l = strings.Replace(l, " quiet ", " quiet log="+s.log+" ", 1)
			l = strings.Replace(l, " /usr/bin/authctl pam", " "+bin+" pam", 1)
			l += " " + strings.Join(args, " ")
		}
		lines = append(lines, l)
	}
	path := filepath.Join("/etc/pam.d", s.service)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { os.Remove(path) })
	return s
}

// auth runs `pamtester -v [-E VAR=VALUE...] SERVICE USER authenticate
// setcred` with secret typed at its "Password: " prompt, and reports
// whether PAM authenticated the user (and set credentials, as sshd asks).
// It also checks what authctl wrote: nothing on success, one "authctl: "
// line on failure, which it returns. pamEnv goes into the PAM environment,
// which pam_exec hands to authctl.
func (s *pamStack) auth(user, secret string, pamEnv ...string) (ok bool, line string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"-v"}
	for _, kv := range pamEnv {
		args = append(args, "-E", kv)
	}
	args = append(args, s.service, user, "authenticate", "setcred")
	c := exec.CommandContext(ctx, s.tester, args...)
	c.Stdin = strings.NewReader(secret + "\n")
	c.Dir = "/"
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		s.t.Fatalf("pamtester: %v", err)
	}
	ok = err == nil
	if ok != strings.Contains(out.String(), "credential info has successfully been set") {
		s.t.Fatalf("pamtester exit status and output disagree: %v\n%s", err, out.String())
	}
	logged, rerr := os.ReadFile(s.log)
	if rerr != nil {
		s.t.Fatalf("pam_exec log: %v", rerr)
	}
	var lines []string
	for _, l := range strings.Split(string(logged[s.logSeen:]), "\n") {
		if l != "" && !strings.HasPrefix(l, "*** ") { // pam_exec's time stamp
			lines = append(lines, l)
		}
	}
	s.logSeen = len(logged)
	switch {
	case ok && len(lines) != 0:
		s.t.Errorf("authctl pam wrote on success: %q", lines)
	case !ok && (len(lines) != 1 || !strings.HasPrefix(lines[0], "authctl: ")):
		s.t.Errorf("authctl pam should write one \"authctl: \" line on failure, wrote %q", lines)
	case !ok:
		line = lines[0]
	}
	return ok, line
}

// want checks the outcome of one login through the stack.
func (s *pamStack) want(ok bool, user, secret, what string, pamEnv ...string) string {
	s.t.Helper()
	got, line := s.auth(user, secret, pamEnv...)
	if got != ok {
		verb := map[bool]string{true: "accepted", false: "refused"}
		s.t.Errorf("%s: PAM %s the login, want it %s (%s)", what, verb[got], verb[ok], line)
	}
	return line
}

// The PAM journey: logins typed at PAM's "Password: " prompt reach authctl
// through pam_exec expose_authtok, with the password followed by the code
// for users with 2FA, and every rule of authctl login holds there.
func TestPAMPasswordAndCode(t *testing.T) {
	t.Parallel()
	tester := needPAM(t)
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)
	e.addUser("bob", pw)
	bob, codes := e.enroll("bob", pw)
	stack := e.pamStack(tester, "pam-stack", "--db", e.db, "--key-file", e.key)

	stack.want(true, "alice", pw, "no 2fa, right password")
	wrong := stack.want(false, "alice", "wrong horse battery", "no 2fa, wrong password")
	if !strings.Contains(wrong, "invalid username or password") {
		t.Errorf("a wrong password is answered %q", wrong)
	}
	stack.want(false, "alice", pw+"492039", "no 2fa, password followed by a code")

	code := bob.next()
	stack.want(true, "bob", pw+code, "2fa, password and code")
	stack.want(false, "bob", pw+code, "2fa, the same password and code again (replay)")
	stack.want(false, "bob", pw, "2fa, password alone")
	stack.want(false, "bob", "wrong horse battery"+bob.next(), "2fa, wrong password and a right code")
	stack.want(true, "bob", pw+codes[0], "2fa, password and backup code")
	stack.want(false, "bob", pw+codes[0], "2fa, a used backup code")
	stack.want(true, "bob", pw+strings.ReplaceAll(codes[1], "-", ""), "2fa, password and backup code without its dash")

	unknown := stack.want(false, "nobody-here", pw, "unknown user")
	if unknown != wrong {
		t.Errorf("an unknown user is answered %q, a wrong password %q", unknown, wrong)
	}

	// Without the key file, codes cannot be checked, but backup codes
	// (hashed, not encrypted) and users without 2FA still work.
	if err := os.Rename(e.key, e.key+".away"); err != nil {
		t.Fatal(err)
	}
	if line := stack.want(false, "bob", pw+wrongCode(t, bob.secret), "2fa, no key file"); !strings.Contains(line, "key file "+e.key+" is missing") {
		t.Errorf("without the key file, a code is answered %q", line)
	}
	stack.want(true, "bob", pw+codes[2], "2fa, backup code, no key file")
	stack.want(true, "alice", pw, "no 2fa, no key file")
	if err := os.Rename(e.key+".away", e.key); err != nil {
		t.Fatal(err)
	}

	ev := e.audit()
	for _, want := range []auditJSON{
		{Event: "login.ok", User: "alice", Factor: "password"},
		{Event: "login.ok", User: "bob", Factor: "code"},
		{Event: "login.ok", User: "bob", Factor: "backup code"},
		{Event: "login.fail", User: "bob"},
	} {
		if !hasEvent(ev, want) {
			t.Errorf("audit has no %+v entry", want)
		}
	}
	if u := e.show("bob"); u.BackupCodesLeft != 5 {
		t.Errorf("bob has %d backup codes left, want 5", u.BackupCodesLeft)
	}
}

// A stack configured through --config (the bare environment has no HOME):
// the lockout policy of that file holds, and a locked account refuses the
// right secret with the answer a wrong one gets.
func TestPAMLockout(t *testing.T) {
	t.Parallel()
	tester := needPAM(t)
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("dave", pw)
	e.addUser("erin", pw)
	erin, _ := e.enroll("erin", pw)
	cfg := e.writeConfig("db: " + e.db + "\nkey-file: " + e.key + "\nlockout:\n  threshold: 3\n  delay: 10m\n  max-delay: 1h\n")
	stack := e.pamStack(tester, "pam-stack", "--config", cfg)

	stack.want(true, "dave", pw, "before the lock")
	var wrong string
	for range 3 {
		wrong = stack.want(false, "dave", "wrong horse battery", "wrong password")
	}
	locked := stack.want(false, "dave", pw, "locked, right password")
	if locked != wrong {
		t.Errorf("the right password while locked is answered %q, a wrong one %q", locked, wrong)
	}
	if u := e.show("dave"); !u.Locked || u.Failures != 3 {
		t.Errorf("dave after 3 failures through PAM: %+v", u)
	}
	e.must(0, "", "user", "unlock", "dave")
	stack.want(true, "dave", pw, "after unlock")

	// The PAM environment, which users may influence, chooses nothing: a
	// database of the user's own, named in AUTHCTL_DB (which would override
	// the config file's db), AUTHCTL_CONFIG or HOME, is not used.
	mine := newEnv(t)
	mine.addUser("dave", "my own chosen password")
	mine.writeConfig("db: " + mine.db + "\nkey-file: " + mine.key + "\n")
	stack.want(false, "dave", "my own chosen password", "AUTHCTL_DB in the PAM environment", "AUTHCTL_DB="+mine.db)
	stack.want(false, "dave", "my own chosen password", "XDG_DATA_HOME and HOME in the PAM environment",
		"XDG_DATA_HOME="+filepath.Join(mine.dir, "data"), "HOME="+mine.dir)
	stack.want(true, "dave", pw, "the right password, AUTHCTL_LOCKOUT_THRESHOLD=100 in the PAM environment", "AUTHCTL_LOCKOUT_THRESHOLD=100")
	for range 3 {
		stack.want(false, "dave", "wrong horse battery", "wrong password, AUTHCTL_LOCKOUT_THRESHOLD=100 in the PAM environment", "AUTHCTL_LOCKOUT_THRESHOLD=100")
	}
	if u := e.show("dave"); !u.Locked {
		t.Errorf("AUTHCTL_LOCKOUT_THRESHOLD in the PAM environment raised the config file's threshold: %+v", u)
	}

	for range 3 {
		stack.want(false, "erin", pw+wrongCode(t, erin.secret), "2fa, wrong code")
	}
	stack.want(false, "erin", pw+erin.next(), "2fa, locked, right password and code")
}

// --code-only, for stacks where an SSH key was the first factor: the code
// or a backup code alone; a user without 2FA is refused unless the stack
// says --allow-no-2fa.
func TestPAMCodeOnly(t *testing.T) {
	t.Parallel()
	tester := needPAM(t)
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)
	e.addUser("carol", pw)
	carol, codes := e.enroll("carol", pw)
	stack := e.pamStack(tester, "pam-stack-code-only", "--db", e.db, "--key-file", e.key)
	rollout := e.pamStack(tester, "pam-stack-code-only", "--allow-no-2fa", "--db", e.db, "--key-file", e.key)

	code := carol.next()
	stack.want(true, "carol", code, "code")
	stack.want(false, "carol", code, "the same code again")
	stack.want(false, "carol", wrongCode(t, carol.secret), "wrong code")
	stack.want(false, "carol", pw, "the password instead of a code")
	stack.want(false, "carol", pw+code, "password and code")
	stack.want(true, "carol", codes[0], "backup code")
	stack.want(true, "carol", carol.next(), "code through the rollout stack")

	stack.want(false, "alice", pw, "no 2fa")
	stack.want(false, "alice", "123456", "no 2fa, some code")
	rollout.want(true, "alice", "123456", "no 2fa, --allow-no-2fa")
	rollout.want(true, "alice", "", "no 2fa, --allow-no-2fa, an empty answer")
	stack.want(false, "alice", "", "no 2fa, an empty answer")
	rollout.want(false, "nobody-here", "123456", "unknown user, --allow-no-2fa")

	if ev := e.audit(); !hasEvent(ev, auditJSON{Event: "login.ok", User: "alice", Factor: "none"}) {
		t.Errorf("the rollout login of alice is not audited as login.ok with factor none: %+v", ev)
	}
}

// authctl runs with no HOME and no XDG variables, as pam_exec runs it,
// when --db and --key-file say where the files are, and otherwise says in
// one line what to set.
func TestBareEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)
	bare := func(stdin string, args ...string) result {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "PAM_USER=alice"}
		c.Dir = "/"
		c.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		return exitResult(t, args, out.String(), errb.String(), err)
	}
	files := []string{"--db", e.db, "--key-file", e.key}
	if r := bare(pw, append([]string{"pam"}, files...)...); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("pam in a bare environment: %s", r)
	}
	if r := bare("wrong horse battery", append([]string{"pam"}, files...)...); r.code != 1 || r.stdout != "" {
		t.Errorf("pam, wrong password: %s", r)
	} else {
		wantStderr(t, r, "login failed: invalid username or password")
	}
	if r := bare("", append([]string{"user", "list"}, files...)...); r.code != 0 || !strings.Contains(r.stdout, "alice") {
		t.Errorf("user list in a bare environment: %s", r)
	}

	r := bare(pw, "pam")
	if r.code != 4 {
		t.Errorf("pam without settings: %s", r)
	}
	wantStderr(t, r, "authctl pam needs db: set it in /etc/authctl/config.yaml or give --db on the pam line")
	r = bare("", "user", "list")
	if r.code != 4 {
		t.Errorf("user list without settings: %s", r)
	}
	wantStderr(t, r, "no home directory for the default database", "--db")
	r = bare("", "user", "list", "--db", e.db)
	if r.code != 4 {
		t.Errorf("user list without a key file setting: %s", r)
	}
	wantStderr(t, r, "no home directory for the default key file", "--key-file")
}

// The system config file gives db and key-file to every command; the
// user's config file and flags override it key by key.
func TestSystemConfigFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	sys := filepath.Join(e.dir, "system-config.yaml")
	other := filepath.Join(e.dir, "elsewhere.db")
	if err := os.WriteFile(sys, []byte("db: "+other+"\nissuer: Acme Corp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.addUser("alice", pw)
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("user add did not use the system config's db: %v", err)
	}
	if r := e.must(0, pw+"\n", "2fa", "enable", "alice", "--password-stdin", "--begin", "-o", "json"); !strings.Contains(r.stdout, "issuer=Acme%20Corp") {
		t.Errorf("the system config's issuer is not used: %s", r)
	}
	user := e.writeConfig("issuer: Other\n")
	if r := e.must(0, "", "2fa", "status", "alice", "--config", user, "-o", "json"); !strings.Contains(r.stdout, `"pending":true`) {
		t.Errorf("the user's config does not keep the system config's db: %s", r)
	}

	if err := os.Chmod(sys, 0o666); err != nil {
		t.Fatal(err)
	}
	r := e.must(4, "", "user", "list")
	wantStderr(t, r, "system config file "+sys+" is writable by group or others; fix it with chmod go-w "+sys)
}
