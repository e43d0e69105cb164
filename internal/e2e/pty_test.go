//go:build linux

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// The interactive journeys, typed at a pseudo-terminal as a person would:
// passwords without echo, the QR code and the secret on the screen, codes at
// prompts, Ctrl-C and Ctrl-D at any prompt. (Linux only: the driver reads
// the terminal's modes with Linux ioctls and watches the process in /proc.)

// ptyTimeout bounds every wait for output or exit. It is generous because
// the machine running the tests may be slow and busy (-race, shared cores);
// a passing test never waits for it.
const ptyTimeout = 20 * time.Second

// ptyProc is one authctl process whose standard streams are a
// pseudo-terminal, driven as expect(1) drives a program: wait for some
// text, type a line.
type ptyProc struct {
	t          testing.TB
	args       []string
	cols, rows int
	cmd        *exec.Cmd
	ptmx       *os.File // our side of the terminal: the screen and the keyboard
	tty        *os.File // the process's side, held open so its modes outlive the process

	mu   sync.Mutex
	out  []byte // everything the terminal showed
	seen int    // how much of transcript() expect has consumed
	more chan struct{}
	eof  chan struct{} // closed when the terminal has nothing more to show

	exited  chan struct{} // closed once the process is gone and the fields below are set
	state   *os.ProcessState
	waitErr error
	modes   *unix.Termios // the terminal's modes right after the process exited
	modeErr error
}

// startPTY starts authctl with args on a new cols x rows pseudo-terminal,
// as the session leader with that terminal as its controlling terminal (so
// Ctrl-C typed there is a SIGINT for it, as in a shell). It skips the test
// only where the system has no pseudo-terminals at all.
func (e *env) startPTY(t testing.TB, cols, rows uint16, args ...string) *ptyProc {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: cols, Rows: rows}); err != nil {
		ptmx.Close()
		tty.Close()
		t.Fatal(err)
	}
	p := &ptyProc{
		t: t, args: args, cols: int(cols), rows: int(rows), ptmx: ptmx, tty: tty,
		more: make(chan struct{}, 1), eof: make(chan struct{}), exited: make(chan struct{}),
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = e.environ()
	p.cmd.Dir = e.dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, tty
	// Ctty 0: the child's standard input is the controlling terminal.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		ptmx.Close()
		tty.Close()
		t.Fatalf("starting authctl %s: %v", p.name(), err)
	}
	go p.read()
	go p.wait()
	t.Cleanup(p.stop)
	return p
}

func (p *ptyProc) name() string { return strings.Join(p.args, " ") }

// read copies what the terminal shows into out until the terminal is
// closed on the process's side (read then fails with EIO).
func (p *ptyProc) read() {
	defer close(p.eof)
	buf := make([]byte, 4096)
	for {
		n, err := p.ptmx.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.out = append(p.out, buf[:n]...)
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// wait reaps the process, records the terminal's modes as it left them,
// then closes our copy of the process's side so that read ends once it has
// drained what is left.
func (p *ptyProc) wait() {
	err := p.cmd.Wait()
	p.state = p.cmd.ProcessState
	if _, exited := err.(*exec.ExitError); !exited {
		p.waitErr = err
	}
	p.modes, p.modeErr = unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS)
	p.tty.Close()
	close(p.exited)
}

// stop kills the process if a failed test left it running and releases
// the terminal.
func (p *ptyProc) stop() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	select {
	case <-p.eof:
	case <-time.After(ptyTimeout):
		p.t.Errorf("authctl %s: the terminal never closed", p.name())
	}
	p.ptmx.Close()
}

// transcript is what the terminal showed so far, with the terminal's CR LF
// line endings made LF.
func (p *ptyProc) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(string(p.out), "\r\n", "\n")
}

// screen is what the terminal shows now: everything it was sent, applied
// to a model of a cols x rows terminal (see vt).
func (p *ptyProc) screen() *vt {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := newVT(p.cols, p.rows)
	s.write(p.out)
	return s
}

// expect waits until sub appears in the output after the previous match
// and returns the output up to and including it. Line ends are "\n" on
// both sides, whatever the terminal's output modes make of them. It fails
// the test with the transcript when sub does not come.
func (p *ptyProc) expect(sub string) string {
	p.t.Helper()
	timeout := time.NewTimer(ptyTimeout)
	defer timeout.Stop()
	for {
		rest := p.transcript()[p.seen:]
		if i := strings.Index(rest, sub); i >= 0 {
			p.seen += i + len(sub)
			return rest[:i+len(sub)]
		}
		select {
		case <-p.more:
			continue
		case <-p.eof:
			// All output is in: one last look, then give up.
			if strings.Contains(p.transcript()[p.seen:], sub) {
				continue
			}
			p.t.Fatalf("authctl %s ended (%s) without printing %q; terminal:\n%s", p.name(), p.status(), sub, p.transcript())
		case <-timeout.C:
			p.t.Fatalf("authctl %s: no %q within %s; terminal so far:\n%s", p.name(), sub, ptyTimeout, p.transcript())
		}
	}
}

// expectLine waits for prefix and returns the rest of its line.
func (p *ptyProc) expectLine(prefix string) string {
	p.t.Helper()
	p.expect(prefix)
	return strings.TrimSuffix(p.expect("\n"), "\n")
}

// send types s at the keyboard. A person ends a line with Enter, which a
// terminal sends as "\r".
func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.ptmx.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing at authctl %s: %v", p.name(), err)
	}
}

// sendLine types s and Enter.
func (p *ptyProc) sendLine(s string) { p.t.Helper(); p.send(s + "\r") }

// echo reports whether the terminal echoes what is typed, now.
func (p *ptyProc) echo() (bool, error) {
	m, err := unix.IoctlGetTermios(int(p.ptmx.Fd()), unix.TCGETS)
	if err != nil {
		return false, err
	}
	return m.Lflag&unix.ECHO != 0, nil
}

// waitNoEcho waits until the process has turned echo off: it is then
// reading a password, and what is typed next is not shown. A person needs
// longer than that to start typing; a test must wait for it explicitly.
func (p *ptyProc) waitNoEcho() {
	p.t.Helper()
	deadline := time.Now().Add(ptyTimeout)
	for {
		on, err := p.echo()
		if err != nil {
			p.t.Fatalf("reading the terminal modes: %v", err)
		}
		if !on {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("authctl %s exited (%s) before reading a password; terminal:\n%s", p.name(), p.status(), p.transcript())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("authctl %s: echo still on %s after the prompt; terminal:\n%s", p.name(), ptyTimeout, p.transcript())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitReading waits until a thread of the process is blocked reading the
// terminal, as /proc/PID/task/*/wchan shows on Linux. authctl arms its
// Ctrl-C handler right after printing a prompt; a Ctrl-C typed in between
// would kill it with SIGINT instead of the exit 130 under test. Where the
// kernel does not tell, it returns at once.
func (p *ptyProc) waitReading() {
	p.t.Helper()
	deadline := time.Now().Add(ptyTimeout)
	for {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", p.cmd.Process.Pid))
		told := false
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			switch w := string(b); w {
			case "wait_woken", "n_tty_read":
				return
			case "", "0":
			default:
				told = true
			}
		}
		if !told {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("authctl %s exited (%s) before reading the terminal; terminal:\n%s", p.name(), p.status(), p.transcript())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("authctl %s is not reading the terminal %s after the prompt; terminal:\n%s", p.name(), ptyTimeout, p.transcript())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// password waits for prompt and types pw once echo is off.
func (p *ptyProc) password(prompt, pw string) {
	p.t.Helper()
	p.expect(prompt)
	p.waitNoEcho()
	p.sendLine(pw)
}

func (p *ptyProc) status() string {
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return p.waitErr.Error()
		}
		return p.state.String()
	default:
		return "still running"
	}
}

// exit waits for the process to end and returns its exit code, failing
// the test if it was killed by a signal or left the terminal without echo
// (a password prompt that did not restore the terminal). The transcript is
// complete afterwards.
func (p *ptyProc) exit() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(ptyTimeout):
		p.t.Fatalf("authctl %s still running after %s; terminal:\n%s", p.name(), ptyTimeout, p.transcript())
	}
	select {
	case <-p.eof:
	case <-time.After(ptyTimeout):
		p.t.Fatalf("authctl %s: terminal output never ended", p.name())
	}
	if p.waitErr != nil {
		p.t.Fatalf("waiting for authctl %s: %v", p.name(), p.waitErr)
	}
	ws := p.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		p.t.Fatalf("authctl %s was killed by %v instead of exiting; terminal:\n%s", p.name(), ws.Signal(), p.transcript())
	}
	if p.modeErr != nil {
		p.t.Fatalf("reading the terminal modes after authctl %s: %v", p.name(), p.modeErr)
	}
	if p.modes.Lflag&unix.ECHO == 0 {
		p.t.Errorf("authctl %s left the terminal without echo; terminal:\n%s", p.name(), p.transcript())
	}
	return ws.ExitStatus()
}

// mustExit waits for the exit and fails unless the code is want.
func (p *ptyProc) mustExit(want int) {
	p.t.Helper()
	if got := p.exit(); got != want {
		p.t.Fatalf("authctl %s: exit %d, want %d; terminal:\n%s", p.name(), got, want, p.transcript())
	}
}

// noSecretOnScreen fails if any of secrets was shown on the terminal.
func (p *ptyProc) noSecretOnScreen(secrets ...string) {
	p.t.Helper()
	for _, s := range secrets {
		if strings.Contains(p.transcript(), s) {
			p.t.Errorf("authctl %s showed %q on the terminal:\n%s", p.name(), s, p.transcript())
		}
	}
}

// ptyLogin runs `authctl login NAME` at a terminal: the password, then,
// when code is not empty, the code at the code prompt. It returns the
// finished process.
func (e *env) ptyLogin(t testing.TB, name, pw, code string) *ptyProc {
	t.Helper()
	p := e.startPTY(t, 80, 24, "login", name)
	p.password("Password: ", pw)
	if code != "" {
		p.expect("Code from your authenticator app (or a backup code): ")
		p.sendLine(code)
	}
	p.exit()
	p.noSecretOnScreen(pw)
	return p
}

// ptyCode returns the exit code of a finished ptyProc.
func (p *ptyProc) code() int { return p.state.ExitCode() }

func TestPTYUserAddAndLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "s3cret horse battery"

	// "The password is asked twice without echo."
	p := e.startPTY(t, 80, 24, "user", "add", "alice")
	p.password("New password for alice: ", pw)
	p.password("Repeat the password: ", pw)
	p.expect("user alice added\n")
	p.mustExit(0)
	p.noSecretOnScreen(pw)

	// The password typed there is the one stored.
	e.must(0, pw+"\n", "login", "alice", "--password-stdin")
	if p := e.ptyLogin(t, "alice", pw, ""); p.code() != 0 || !strings.HasSuffix(p.transcript(), "\nlogin ok\n") {
		t.Fatalf("login at a terminal: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	// Typing mistakes are fixed as anywhere else: Backspace, and Ctrl-U to
	// start the line again.
	if p := e.ptyLogin(t, "alice", "typo\x15"+pw+"x\x7f", ""); p.code() != 0 {
		t.Fatalf("login with a password edited with Ctrl-U and Backspace: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	if p := e.ptyLogin(t, "alice", "wrong horse battery", ""); p.code() != 1 ||
		!strings.Contains(p.transcript(), "authctl: login failed: invalid username or password, or account locked\n") {
		t.Fatalf("wrong password at a terminal: exit %d; terminal:\n%s", p.code(), p.transcript())
	}

	// Two different passwords: nothing is created.
	p = e.startPTY(t, 80, 24, "user", "add", "bob")
	p.password("New password for bob: ", pw)
	p.password("Repeat the password: ", pw+"!")
	p.expect("authctl: the passwords do not match; nothing was changed\n")
	p.mustExit(2)
	p.noSecretOnScreen(pw)
	e.must(3, "", "user", "show", "bob")

	// A password too short is refused before it is asked again.
	p = e.startPTY(t, 80, 24, "user", "add", "bob")
	p.password("New password for bob: ", "short")
	p.expect("authctl: ")
	p.expect("shorter than 8")
	p.mustExit(2)
	if strings.Contains(p.transcript(), "Repeat") {
		t.Errorf("a password refused by the rules was asked again:\n%s", p.transcript())
	}
	e.must(3, "", "user", "show", "bob")
}

// enrollment is what the interactive `2fa enable` showed.
type enrollment struct {
	secret string   // the key for typing by hand, read off the screen
	first  *vt      // the screen at the prompt for the first code
	codes  []string // the backup codes
	screen string   // the whole transcript
}

// enrollPromptEnd ends both prompts for the first code: the one beside the
// QR code ("Code from the app: ") and the one under it, where the code is
// drawn above the details ("Enter the 6-digit code from the app: ").
const enrollPromptEnd = "from the app: "

// ptyStartEnroll starts the interactive `2fa enable NAME extra...` at a
// cols x rows terminal, types the password and reads what the screen
// shows at the prompt for the first code: the key for typing by hand, and
// the details beside it.
func (e *env) ptyStartEnroll(t testing.TB, cols, rows uint16, name, pw string, extra ...string) (*ptyProc, enrollment) {
	t.Helper()
	p := e.startPTY(t, cols, rows, append([]string{"2fa", "enable", name}, extra...)...)
	p.password("Password for "+name+": ", pw)
	p.expect(enrollPromptEnd)
	en := enrollment{first: p.screen(), screen: p.transcript()}
	en.secret = manualEntryOnScreen(t, en.first, name)
	return p, en
}

// ptyEnroll runs the interactive `2fa enable NAME extra...` to the end:
// the password, then (with wrongFirst) a wrong code and the retry message,
// then the code of the secret shown for manual entry. It returns what was
// shown and the authenticator holding the secret.
func (e *env) ptyEnroll(t testing.TB, cols, rows uint16, name, pw string, wrongFirst bool, extra ...string) (enrollment, *authenticator) {
	t.Helper()
	p, en := e.ptyStartEnroll(t, cols, rows, name, pw, extra...)
	app := &authenticator{t: t, secret: en.secret}
	if wrongFirst {
		p.sendLine(wrongCode(t, en.secret))
		p.expect(enrollPromptEnd)
		if sc := p.screen(); !strings.Contains(screenText(sc), wrongCodeMsg(2)) {
			t.Errorf("no %q on the screen after a wrong code:\n%s", wrongCodeMsg(2), sc)
		}
	}
	p.sendLine(app.next())
	p.expect("Two-factor authentication is on for " + name + ".\n")
	p.expect("Backup codes (8, each works once). They are shown only now:\n")
	p.expect("they are your way in if you lose your phone.\n")
	p.mustExit(0)
	p.noSecretOnScreen(pw)
	en.screen = p.transcript()
	en.codes = backupCodesOnScreen(t, en.screen)
	return en, app
}

// wrongCodeMsg is what the enrollment screen says after a wrong code, with
// left tries left.
func wrongCodeMsg(left int) string {
	return fmt.Sprintf("wrong code; check the time on the device and enter the current code. Try again (%d left).", left)
}

// groupedSecretRE is the key for typing by hand: base32 in groups of four.
var groupedSecretRE = regexp.MustCompile(`^[A-Z2-7]{4}( [A-Z2-7]{1,4})*$`)

// manualEntryOnScreen reads the details for typing the key by hand off the
// screen, checks the issuer, the account (name) and the type, and returns
// the key without its spaces.
func manualEntryOnScreen(t testing.TB, sc *vt, name string) string {
	t.Helper()
	d := labelledOnScreen(sc, "issuer", "account", "key", "type")
	if got := strings.Join(d["issuer"], " "); got != "authctl" {
		t.Errorf("issuer shown for manual entry: %q; screen:\n%s", got, sc)
	}
	// A long name is cut into pieces, one under the other.
	if got := strings.Join(d["account"], ""); got != name {
		t.Errorf("account shown for manual entry: %q, want %q; screen:\n%s", got, name, sc)
	}
	if got := strings.Join(d["type"], " "); got != "time-based, 6 digits, SHA1, 30 s" {
		t.Errorf("type shown for manual entry: %q; screen:\n%s", got, sc)
	}
	grouped := strings.Join(d["key"], " ")
	if !groupedSecretRE.MatchString(grouped) {
		t.Fatalf("key for manual entry %q is not base32 in groups of four; screen:\n%s", grouped, sc)
	}
	secret := strings.ReplaceAll(grouped, " ", "")
	checkSecret(t, secret)
	return secret
}

// labelledOnScreen finds each "label:" on the screen and returns its value
// as the lines it takes: the text after the label, then the text in the
// same columns of the lines under it, as long as nothing stands under the
// label.
func labelledOnScreen(sc *vt, labels ...string) map[string][]string {
	rows := sc.lines()
	found := map[string][]string{}
	for y, row := range rows {
		r := []rune(row)
		for _, label := range labels {
			li := strings.Index(row, " "+label+":")
			if li < 0 {
				continue
			}
			li = utf8.RuneCountInString(row[:li+1])
			vi := li + utf8.RuneCountInString(label) + 1
			for vi < len(r) && r[vi] == ' ' {
				vi++
			}
			vals := []string{string(r[vi:])}
			for _, next := range rows[y+1:] {
				n := []rune(next)
				if len(n) <= vi || strings.TrimSpace(string(n[li:vi])) != "" {
					break
				}
				vals = append(vals, string(n[vi:]))
			}
			found[label] = vals
		}
	}
	return found
}

// screenText is the text on the screen with the QR code taken off the
// start of each line and the lines joined with spaces: a message wrapped
// at spaces reads as it was written, one cut inside a word does not.
func screenText(sc *vt) string {
	var parts []string
	for _, row := range sc.lines() {
		if t := strings.TrimLeft(row, " █▀▄"); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

var backupLineRE = regexp.MustCompile(`(?m)^  ([a-z0-9]{5}-[a-z0-9]{5})$`)

// backupCodesOnScreen returns the 8 backup codes shown in transcript.
func backupCodesOnScreen(t testing.TB, transcript string) []string {
	t.Helper()
	var codes []string
	for _, m := range backupLineRE.FindAllStringSubmatch(transcript, -1) {
		codes = append(codes, m[1])
	}
	b, err := json.Marshal(map[string][]string{"backup_codes": codes})
	if err != nil {
		t.Fatal(err)
	}
	return checkBackupCodes(t, string(b))
}

// wrongCode returns a well-formed code that no step near now accepts.
func wrongCode(t testing.TB, secret string) string {
	t.Helper()
	now := time.Now().Unix() / period
	near := map[string]bool{}
	for s := now - 3; s <= now+3; s++ {
		near[oathtool(t, secret, s)] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", 123456+i*111)
		if !near[c] {
			return c
		}
	}
}

// The whole interactive 2FA journey at a terminal, as the seed articles
// tell it: enable with the password, scan, a mistyped code, the right one,
// backup codes; log in with a code, not twice; with a backup code, not
// twice; regenerate the codes; disable; the password alone again.
//
// On a database file and on PostgreSQL: the terminal journey is the same.
func TestPTYTwoFactorJourney(t *testing.T) { onBackends(t, testPTYTwoFactorJourney) }

func testPTYTwoFactorJourney(t *testing.T, newEnv func(testing.TB) *env) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)

	// The password, the QR code and the key, a mistyped code, the right
	// one, the backup codes.
	en, app := e.ptyEnroll(t, 80, 24, "alice", pw, true)
	if !strings.ContainsAny(en.first.String(), "█▀▄") {
		t.Errorf("no half-block QR code drawn:\n%s", en.first)
	}
	codes := en.codes
	st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", "alice", "-o", "json").stdout)
	if !st.Enabled || st.Pending || st.BackupLeft != 8 {
		t.Fatalf("2fa status after enabling at a terminal: %+v", st)
	}

	// Password, then the code from the app.
	code := app.next()
	if p := e.ptyLogin(t, "alice", pw, code); p.code() != 0 || !strings.HasSuffix(p.transcript(), "\nlogin ok\n") {
		t.Fatalf("login with a code: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	// The same code again is a replay.
	if p := e.ptyLogin(t, "alice", pw, code); p.code() != 1 ||
		!strings.Contains(p.transcript(), "authctl: login failed: code already used; wait for the next one\n") {
		t.Fatalf("replayed code: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	// A backup code works once and says how many are left.
	if p := e.ptyLogin(t, "alice", pw, codes[0]); p.code() != 0 ||
		!strings.HasSuffix(p.transcript(), "\nlogin ok (backup code used; 7 left)\n") {
		t.Fatalf("login with a backup code: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	if p := e.ptyLogin(t, "alice", pw, codes[0]); p.code() != 1 ||
		!strings.Contains(p.transcript(), "authctl: login failed: code already used; wait for the next one\n") {
		t.Fatalf("used backup code: exit %d; terminal:\n%s", p.code(), p.transcript())
	}

	// New backup codes, with the password and a code from the app: the old
	// ones stop working, the new ones work.
	p := e.startPTY(t, 80, 24, "2fa", "codes", "regen", "alice")
	p.password("Password for alice: ", pw)
	p.expect("Code from your authenticator app (or a backup code): ")
	p.sendLine(app.next())
	p.expect("New backup codes for alice; the old ones no longer work.\n")
	p.expect("they are your way in if you lose your phone.\n")
	p.mustExit(0)
	p.noSecretOnScreen(pw)
	fresh := backupCodesOnScreen(t, p.transcript())
	if p := e.ptyLogin(t, "alice", pw, codes[1]); p.code() != 1 ||
		!strings.Contains(p.transcript(), "invalid or already used code") {
		t.Fatalf("old backup code after regen: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
	if p := e.ptyLogin(t, "alice", pw, fresh[0]); p.code() != 0 ||
		!strings.HasSuffix(p.transcript(), "\nlogin ok (backup code used; 7 left)\n") {
		t.Fatalf("new backup code: exit %d; terminal:\n%s", p.code(), p.transcript())
	}

	// Disable with the password and a backup code; then the password alone
	// logs in, and no code is asked for.
	p = e.startPTY(t, 80, 24, "2fa", "disable", "alice")
	p.password("Password for alice: ", pw)
	p.expect("Code from your authenticator app (or a backup code): ")
	p.sendLine(fresh[1])
	p.expect("2fa disabled for alice\n")
	p.mustExit(0)
	p.noSecretOnScreen(pw)
	p = e.ptyLogin(t, "alice", pw, "")
	if p.code() != 0 || !strings.HasSuffix(p.transcript(), "\nlogin ok\n") || strings.Contains(p.transcript(), "Code from") {
		t.Fatalf("password-only login after disable: exit %d; terminal:\n%s", p.code(), p.transcript())
	}
}

// The enrollment screen at a real 80x24 terminal: the QR code, the key for
// typing by hand and the prompt are all in view at once, and stay in view
// after each wrong code, which is said beside the code; nothing is wrapped
// by the terminal. "In view" is the model's screen (screen_test.go): the
// whole drawing, quiet zone included, is on it and scans, with the key
// read off the same screen. Ctrl-D then ends the prompt's line before the
// message. TERM=dumb cannot clear the screen: the reason and a new prompt
// go under the code, which for a short name still leaves it all in view
// after one wrong code.
func TestPTYEnrollScreenAt80x24(t *testing.T) {
	t.Parallel()
	needZbarimg(t)
	const pw = "correct horse battery"
	for _, tt := range []struct {
		name, user    string
		env           []string
		tries         int // wrong codes the screen stays whole after
		width, height int // the drawing in colours; 0 for a plain one
		scans         []theme
		right         bool // end with the right code, else with Ctrl-D
	}{
		{name: "short name", user: "alice", tries: 2, width: 41, height: 21, scans: bothThemes},
		{name: "56-byte name", user: longestName, tries: 2, width: 45, height: 23, scans: bothThemes, right: true},
		{name: "NO_COLOR", user: "alice", env: []string{"NO_COLOR=1"}, tries: 2, scans: []theme{darkTheme}},
		{name: "TERM=dumb", user: "alice", env: []string{"TERM=dumb"}, tries: 1, scans: []theme{darkTheme}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.setenv(tt.env...)
			e.addUser(tt.user, pw)
			p, en := e.ptyStartEnroll(t, 80, 24, tt.user, pw)
			check := func(sc *vt, msg string) {
				t.Helper()
				checkEnrollScreen(t, sc)
				if got := manualEntryOnScreen(t, sc, tt.user); got != en.secret {
					t.Errorf("the key on the screen changed from %s to %s", en.secret, got)
				}
				if x0, y0, x1, y1, ok := sc.paintedBox(); tt.width != 0 && (!ok || x1-x0 != tt.width || y1-y0 != tt.height) {
					t.Errorf("the drawing on the screen is %dx%d cells, want %dx%d:\n%s", x1-x0, y1-y0, tt.width, tt.height, sc)
				}
				// Plain "half" draws the quiet zone in the foreground: its
				// top line, over the finder patterns, is on the screen.
				if tt.width == 0 && !slices.ContainsFunc(sc.lines(), func(l string) bool { return strings.HasPrefix(l, strings.Repeat("█", 41)) }) {
					t.Errorf("the top of the code is not on the screen:\n%s", sc)
				}
				checkScans(t, sc, tt.user, en.secret, tt.scans, nil)
				if msg != "" && !strings.Contains(screenText(sc), msg) {
					t.Errorf("%q is not on the screen, or not whole:\n%s", msg, sc)
				}
			}
			t.Logf("80x24, at the prompt for the first code:\n%s", en.first)
			check(en.first, "")
			for try := 1; try <= tt.tries; try++ {
				p.sendLine(wrongCode(t, en.secret))
				p.expect(enrollPromptEnd)
				sc := p.screen()
				t.Logf("80x24, after wrong code %d:\n%s", try, sc)
				check(sc, wrongCodeMsg(codeTries-try))
			}
			if tt.right {
				// The last words, and the backup codes, fit too.
				p.sendLine((&authenticator{t: t, secret: en.secret}).next())
				p.mustExit(0)
				sc := p.screen()
				t.Logf("80x24, at the end:\n%s", sc)
				if sc.wraps > 0 || len(sc.unknown) > 0 || !strings.Contains(screenText(sc), "Two-factor authentication is on for "+tt.user+".") {
					t.Errorf("the end of the enrollment, within 80 columns:\n%s", sc)
				}
				return
			}
			p.send("\x04")
			p.mustExit(2)
			sc := p.screen()
			if !slices.Contains(sc.lines(), "authctl: input closed at the prompt; nothing was changed") || sc.wraps > 0 {
				t.Errorf("after Ctrl-D at the code prompt the message is not a line of its own:\n%s", sc)
			}
			want2FAOff(t, e, tt.user)
		})
	}
}

// codeTries is how many codes a person may type at enrollment.
const codeTries = 3

// Three wrong codes at enrollment: the reason for the last one, then one
// line saying 2FA stays off, both within 80 columns.
func TestPTYEnrollThreeWrongCodes(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("alice", pw)
	p, en := e.ptyStartEnroll(t, 80, 24, "alice", pw)
	for try := 1; try < codeTries; try++ {
		p.sendLine(wrongCode(t, en.secret))
		p.expect(enrollPromptEnd)
	}
	p.sendLine(wrongCode(t, en.secret))
	p.mustExit(1)
	sc := p.screen()
	lines := sc.lines()
	want := []string{
		"wrong code; check the time on the device and enter the current code.",
		"authctl: 2fa was not enabled after 3 tries; run the same command to start again",
	}
	if i := slices.Index(lines, want[0]); sc.wraps > 0 || i < 0 || i+1 == len(lines) || lines[i+1] != want[1] {
		t.Errorf("after the last wrong code, want the lines %q; screen:\n%s", want, sc)
	}
	want2FAOff(t, e, "alice")
}

// Ctrl-C at any prompt ends authctl with exit 130, the terminal echoing
// again and nothing changed; Ctrl-D (end of input) at a prompt is a clear
// usage error, also with the terminal restored.
func TestPTYInterruptAndEOF(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	const (
		ctrlC = "\x03"
		ctrlD = "\x04"
	)
	interrupted := "authctl: interrupted; nothing was changed\n"
	closed := "authctl: input closed at the prompt; nothing was changed\n"

	for _, tt := range []struct {
		name  string
		setup func(e *env)
		args  []string
		// answers to the prompts before the one the key is pressed at
		before []string
		prompt string
		secret bool // the prompt reads a password: wait for echo off
		key    string
		code   int
		msg    string
		check  func(t *testing.T, e *env)
	}{
		{
			name: "ctrl-c at the new password", setup: func(e *env) { e.addUser("dave", pw) },
			args:   []string{"user", "add", "carol"},
			prompt: "New password for carol: ", secret: true, key: ctrlC, code: 130, msg: interrupted,
			check: func(t *testing.T, e *env) { e.must(3, "", "user", "show", "carol") },
		},
		{
			name: "ctrl-c at the repeated password", setup: func(e *env) { e.addUser("dave", pw) },
			args:   []string{"user", "add", "carol"},
			before: []string{"New password for carol: "},
			prompt: "Repeat the password: ", secret: true, key: ctrlC, code: 130, msg: interrupted,
			check: func(t *testing.T, e *env) { e.must(3, "", "user", "show", "carol") },
		},
		{
			name: "ctrl-c at the 2fa enable password", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"2fa", "enable", "carol"},
			prompt: "Password for carol: ", secret: true, key: ctrlC, code: 130, msg: interrupted,
			check: func(t *testing.T, e *env) { want2FAOff(t, e, "carol") },
		},
		{
			name: "ctrl-c at the 2fa enable code", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"2fa", "enable", "carol"},
			before: []string{"Password for carol: "},
			prompt: enrollPromptEnd, key: ctrlC, code: 130, msg: interrupted,
			check: func(t *testing.T, e *env) { want2FAOff(t, e, "carol") },
		},
		{
			name: "ctrl-c at the login password", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"login", "carol"},
			prompt: "Password: ", secret: true, key: ctrlC, code: 130, msg: interrupted,
			check: func(t *testing.T, e *env) {
				if u := e.show("carol"); u.LastLoginAt != nil || u.Failures != 0 {
					t.Errorf("an interrupted login changed the user: %+v", u)
				}
			},
		},
		// At the code prompt the password was right: leaving there must
		// cost an attempt, and the message says so.
		{
			name: "ctrl-c at the login code", setup: func(e *env) { e.addUser("carol", pw); e.enroll("carol", pw) },
			args:   []string{"login", "carol"},
			before: []string{"Password: "},
			prompt: "Code from your authenticator app (or a backup code): ", key: ctrlC, code: 130,
			msg: "authctl: interrupted at the code prompt; this counts as a failed attempt\n",
			check: func(t *testing.T, e *env) {
				if u := e.show("carol"); u.LastLoginAt != nil || u.Failures != 1 {
					t.Errorf("an interrupted code prompt: %+v", u)
				}
			},
		},
		{
			name: "ctrl-d at the new password", setup: func(e *env) { e.addUser("dave", pw) },
			args:   []string{"user", "add", "carol"},
			prompt: "New password for carol: ", secret: true, key: ctrlD, code: 2, msg: closed,
			check: func(t *testing.T, e *env) { e.must(3, "", "user", "show", "carol") },
		},
		{
			name: "ctrl-d at the login password", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"login", "carol"},
			prompt: "Password: ", secret: true, key: ctrlD, code: 2, msg: closed,
		},
		{
			name: "ctrl-d at the 2fa enable code", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"2fa", "enable", "carol"},
			before: []string{"Password for carol: "},
			prompt: enrollPromptEnd, key: ctrlD, code: 2, msg: closed,
			check: func(t *testing.T, e *env) { want2FAOff(t, e, "carol") },
		},
		{
			name: "ctrl-d at a question", setup: func(e *env) { e.addUser("carol", pw) },
			args:   []string{"user", "delete", "carol"},
			prompt: "[y/N] ", key: ctrlD, code: 2, msg: closed,
			check: func(t *testing.T, e *env) { e.must(0, "", "user", "show", "carol") },
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			p := e.startPTY(t, 80, 24, tt.args...)
			for _, prompt := range tt.before {
				p.password(prompt, pw)
			}
			p.expect(tt.prompt)
			if tt.secret {
				p.waitNoEcho()
			} else {
				p.waitReading()
			}
			p.send(tt.key)
			p.expect(tt.msg)
			p.mustExit(tt.code) // also checks that echo is back on
			// The prompt's line was ended: the message starts a line of
			// its own.
			sc := p.screen()
			if !slices.Contains(sc.lines(), strings.TrimSuffix(tt.msg, "\n")) {
				t.Errorf("%q is not a line of its own on the screen:\n%s", tt.msg, sc)
			}
			p.noSecretOnScreen(pw)
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// want2FAOff fails unless 2FA is off for name and no enrollment is pending:
// an interrupted `2fa enable` forgets the secret it showed.
func want2FAOff(t *testing.T, e *env, name string) {
	t.Helper()
	st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "status", name, "-o", "json").stdout)
	if st.Enabled || st.BackupLeft != 0 || st.Pending {
		t.Errorf("2fa status after an interrupted enable: %+v", st)
	}
}

// Confirmation questions at a terminal: anything but yes changes nothing;
// yes goes ahead. The password change asks the current password and the new
// one twice, none of them echoed.
func TestPTYConfirmationsAndPasswd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw, pw2 = "correct horse battery", "another horse battery"
	e.addUser("alice", pw)
	e.addUser("bob", pw)
	e.enroll("bob", pw)

	for _, answer := range []string{"", "n", "no", "yes please"} {
		p := e.startPTY(t, 80, 24, "user", "delete", "alice")
		p.expect("Delete user alice and its 2FA secret and backup codes? [y/N] ")
		p.waitReading()
		p.sendLine(answer)
		p.expect("authctl: not confirmed; nothing was changed\n")
		p.mustExit(2)
	}
	e.must(0, "", "user", "show", "alice")

	p := e.startPTY(t, 80, 24, "2fa", "reset", "bob")
	p.expect("Did you verify who they are? [y/N] ")
	p.waitReading()
	p.sendLine("N")
	p.mustExit(2)
	if !e.show("bob").TwoFactor {
		t.Fatal("2fa reset answered no turned 2FA off")
	}
	p = e.startPTY(t, 80, 24, "2fa", "reset", "bob")
	p.expect("Did you verify who they are? [y/N] ")
	p.waitReading()
	p.sendLine("y")
	p.expect("2fa reset for bob")
	p.mustExit(0)
	if e.show("bob").TwoFactor {
		t.Fatal("2fa reset answered yes left 2FA on")
	}

	p = e.startPTY(t, 80, 24, "user", "passwd", "alice")
	p.password("Current password for alice: ", pw)
	p.password("New password for alice: ", pw2)
	p.password("Repeat the password: ", pw2)
	p.expect("password changed for alice\n")
	p.mustExit(0)
	p.noSecretOnScreen(pw, pw2)
	e.must(1, pw+"\n", "login", "alice", "--password-stdin")
	e.must(0, pw2+"\n", "login", "alice", "--password-stdin")

	p = e.startPTY(t, 80, 24, "user", "delete", "alice")
	p.expect("[y/N] ")
	p.waitReading()
	p.sendLine("Y")
	p.expect("user alice deleted\n")
	p.mustExit(0)
	e.must(3, "", "user", "show", "alice")
}
