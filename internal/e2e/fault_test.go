package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultConfig lets up to 98 failures in a row go by without a lock (so
// failed logins are all counted) and waits long for the lock, so that the
// only failures are the kills. Hashing keeps authctl's real cost (about
// 50 ms a hash): no setting may lower it below the OWASP floor, not even
// for tests.
const faultConfig = `lockout:
  threshold: 99
  delay: 24h
  max-delay: 24h
lock-timeout: 60s
`

// faultSeed returns the seed of this run's random choices, logged so that
// a failure can be replayed with AUTHCTL_FAULT_SEED (the moments of the
// kills depend on timing too, so a replay is close, not exact).
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AUTHCTL_FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("AUTHCTL_FAULT_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("random choices with seed %d (replay with AUTHCTL_FAULT_SEED=%d)", seed, seed)
	return seed
}

// killed is the outcome of a process that died of SIGKILL.
const killed = -9

// outcome returns the exit code of a finished process, or killed.
func outcome(err error) (int, error) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ws.Signal() == syscall.SIGKILL {
				return killed, nil
			}
			return 0, fmt.Errorf("died of %v", ws.Signal())
		}
		return ee.ExitCode(), nil
	default:
		return 0, err
	}
}

// children are the authctl processes running in a round, for the killer
// to pick from.
type children struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (k *children) start(c *exec.Cmd) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := c.Start(); err != nil {
		return err
	}
	k.cmds = append(k.cmds, c)
	return nil
}

func (k *children) done(c *exec.Cmd) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cmds = slices.DeleteFunc(k.cmds, func(x *exec.Cmd) bool { return x == c })
}

// killOne sends SIGKILL to one running child, if any. (A child that has
// just ended is safe to signal: os.Process knows it is done.)
func (k *children) killOne(rng *rand.Rand) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cmds) > 0 {
		_ = k.cmds[rng.IntN(len(k.cmds))].Process.Signal(syscall.SIGKILL)
	}
}

// runChild runs authctl as one of kids. It returns the exit code (or
// killed) and the output; it does not fail the test itself, since it runs
// on the workers' goroutines.
func (e *env) runChild(kids *children, stdin string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.command(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := kids.start(c); err != nil {
		return result{}, err
	}
	err := c.Wait()
	kids.done(c)
	if ctx.Err() != nil {
		return result{}, fmt.Errorf("authctl %s did not finish in time", strings.Join(args, " "))
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	r.code, err = outcome(err)
	return r, err
}

// ledger is what the workers know about the users they wrote: the
// password each has after a reported success, and for a write that was
// killed, the passwords it may have.
type ledger struct {
	mu      sync.Mutex
	pw      map[string]string // user -> password, after a reported success
	unsure  map[string]unsure // user -> after a killed add or passwd
	tried   map[string]bool   // every name an add was started for
	touched map[string]bool   // users written in this round
	changes map[string]int    // password changes that took effect
	begins  map[string][2]int // 2fa enable --begin: reported ok, killed
	pending map[string]bool   // a --begin reported success
	fails   [2]int            // failed logins of the target this round: reported, killed
	audited int               // login.fail events of the target in earlier rounds
	// resolved counts how the killed writes turned out, to show that the
	// kills land before, inside and after the transactions.
	resolved map[string]int
}

// unsure is a user whose last write was killed: it has one of pws (the
// first is what it had before), or, after a killed add, may not exist.
type unsure struct {
	pws   []string
	added bool
}

func newLedger() *ledger {
	return &ledger{pw: map[string]string{}, unsure: map[string]unsure{}, tried: map[string]bool{},
		touched: map[string]bool{}, changes: map[string]int{}, begins: map[string][2]int{}, pending: map[string]bool{},
		resolved: map[string]int{}}
}

func (l *ledger) locked(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// SIGKILL at random moments while several processes write: after each
// round the database passes db check, a new reader and a new writer get the
// lock at once (no stale lock), every write that reported success is there
// (users, passwords, pending enrollments, counted failures), a killed write
// is there whole or not at all (with its audit entry or without), and no
// update is lost.
func TestKillDuringWrites(t *testing.T) {
	t.Parallel()
	seed := faultSeed(t)
	t.Run("mixed writes", func(t *testing.T) {
		t.Parallel()
		testKillMixedWrites(t, seed)
	})
	t.Run("key rotate", func(t *testing.T) {
		t.Parallel()
		testKillKeyRotate(t, seed)
	})
}

func testKillMixedWrites(t *testing.T, seed uint64) {
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(faultConfig))
	const target = "target"
	e.addUser(target, "the target's password")

	const rounds, workers, ops, pairs = 6, 3, 12, 8
	l := newLedger()
	mine := make([][]string, workers) // the users each worker added; only it writes them
	total := map[string]int{}         // outcomes over all rounds
	var totalMu sync.Mutex
	for round := range rounds {
		kids := &children{}
		stop := make(chan struct{})
		killerDone := make(chan struct{})
		go func() {
			defer close(killerDone)
			e.killer(kids, rand.New(rand.NewPCG(seed, uint64(round)<<32|0xffff)), stop)
		}()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(seed, uint64(round*workers+w)))
				for i := range ops {
					op, err := e.writeOp(kids, l, rng, &mine[w], fmt.Sprintf("u%d-%d-%d", round, w, i), target)
					if err != nil {
						t.Errorf("round %d worker %d: %v", round, w, err)
						return
					}
					totalMu.Lock()
					total[op]++
					totalMu.Unlock()
				}
			})
		}
		// Failed logins of the target, two processes at a time, so that
		// their read-check-write of the counter overlap.
		for pair := range pairs {
			for j := range 2 {
				wg.Go(func() {
					op, err := e.failedLogin(kids, l, target)
					if err != nil {
						t.Errorf("round %d failed login %d.%d: %v", round, pair, j, err)
						return
					}
					totalMu.Lock()
					total[op]++
					totalMu.Unlock()
				})
			}
			time.Sleep(25 * time.Millisecond)
		}
		wg.Wait()
		close(stop)
		<-killerDone
		if t.Failed() {
			t.FailNow()
		}
		e.checkAfterKills(l, target, round, round == rounds-1)
	}
	t.Logf("%d rounds of %d workers: %v; %v", rounds, workers, total, l.resolved)
	if total["killed"] == 0 {
		t.Errorf("no process was killed: the test proved nothing (seed %d)", seed)
	}
}

// killer sends SIGKILL to a running child every 0 to 40 ms until stop is
// closed. Most of a short-lived process's life is its start-up, so every
// other kill waits for the database file to change (a transaction is
// writing its pages) and strikes 0 to 2 ms later, when one process is in
// the middle of its commit or just past it.
func (e *env) killer(kids *children, rng *rand.Rand, stop <-chan struct{}) {
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	stat := func() (time.Time, int64) {
		fi, err := os.Stat(e.db)
		if err != nil {
			return time.Time{}, 0
		}
		return fi.ModTime(), fi.Size()
	}
	for sleep(time.Duration(rng.IntN(41)) * time.Millisecond) {
		if rng.IntN(2) == 0 {
			kids.killOne(rng)
			continue
		}
		mtime, size := stat()
		for end := time.Now().Add(40 * time.Millisecond); time.Now().Before(end); {
			if m, s := stat(); !m.Equal(mtime) || s != size {
				if !sleep(time.Duration(rng.IntN(2001)) * time.Microsecond) {
					return
				}
				kids.killOne(rng)
				break
			}
			if !sleep(200 * time.Microsecond) {
				return
			}
		}
	}
}

// writeOp runs one random operation of a worker and records what it did in
// l. It returns how the operation ended, for the statistics.
func (e *env) writeOp(kids *children, l *ledger, rng *rand.Rand, mine *[]string, fresh, target string) (string, error) {
	// One of this worker's users whose password is known.
	var name, pw string
	l.locked(func() {
		var known []string
		for _, n := range *mine {
			if _, ok := l.pw[n]; ok {
				known = append(known, n)
			}
		}
		if len(known) > 0 {
			name = known[rng.IntN(len(known))]
			pw = l.pw[name]
		}
	})
	op := rng.IntN(100)
	if name == "" && op >= 40 && op < 75 {
		op = 0
	}
	var (
		r   result
		err error
	)
	switch {
	case op < 40: // add a user
		name, pw = fresh, "password of "+fresh
		*mine = append(*mine, name)
		l.locked(func() { l.tried[name], l.touched[name] = true, true })
		r, err = e.runChild(kids, pw+"\n", "user", "add", name, "--password-stdin")
		l.locked(func() {
			switch r.code {
			case 0:
				l.pw[name] = pw
			case killed:
				l.unsure[name] = unsure{pws: []string{pw}, added: true}
			}
		})
	case op < 60: // change the password of one of mine
		next := fmt.Sprintf("%s changed %d", fresh, rng.IntN(1000))
		l.locked(func() { l.touched[name] = true })
		r, err = e.runChild(kids, pw+"\n"+next+"\n", "user", "passwd", name, "--password-stdin")
		l.locked(func() {
			switch r.code {
			case 0:
				l.pw[name] = next
				l.changes[name]++
			case killed:
				delete(l.pw, name)
				l.unsure[name] = unsure{pws: []string{pw, next}}
			}
		})
	case op < 75: // begin an enrollment for one of mine
		r, err = e.runChild(kids, pw+"\n", "2fa", "enable", name, "--password-stdin", "--begin", "-o", "json")
		if err == nil && r.code == 0 {
			var en enrollmentJSON
			if jerr := json.Unmarshal([]byte(r.stdout), &en); jerr != nil || en.Secret == "" {
				return "", fmt.Errorf("2fa enable %s --begin -o json printed %q (%v)", name, r.stdout, jerr)
			}
		}
		l.locked(func() {
			b := l.begins[name]
			switch r.code {
			case 0:
				b[0]++
				l.pending[name] = true
			case killed:
				b[1]++
			}
			l.begins[name] = b
		})
	case op < 85: // a failed login of the shared target
		return e.failedLogin(kids, l, target)
	default: // read the audit trail while others write
		r, err = e.runChild(kids, "", "audit", "--limit", "20", "-o", "json")
		if err == nil && r.code == 0 {
			for line := range strings.Lines(r.stdout) {
				var ev auditJSON
				if jerr := json.Unmarshal([]byte(line), &ev); jerr != nil {
					return "", fmt.Errorf("audit -o json printed a line that is not JSON: %q", line)
				}
			}
		}
	}
	switch {
	case err != nil:
		return "", err
	case r.code == killed:
		return "killed", nil
	case r.code != 0:
		return "", fmt.Errorf("want exit 0, got %s", r)
	}
	return "ok", nil
}

// failedLogin tries the target's login with a wrong password: one more
// failure to count.
func (e *env) failedLogin(kids *children, l *ledger, target string) (string, error) {
	r, err := e.runChild(kids, "not the password\n", "login", target, "--password-stdin")
	if err != nil {
		return "", err
	}
	l.locked(func() {
		switch r.code {
		case 1:
			l.fails[0]++
		case killed:
			l.fails[1]++
		}
	})
	switch r.code {
	case 1:
		return "ok", nil
	case killed:
		return "killed", nil
	}
	return "", fmt.Errorf("want exit 1, got %s", r)
}

// checkAfterKills checks the database after a round of kills, and resolves
// the unsure users to what the database holds.
func (e *env) checkAfterKills(l *ledger, target string, round int, final bool) {
	e.t.Helper()
	t := e.t
	// No stale lock: a reader and (below) a writer that may not wait at
	// all get the database at once.
	start := time.Now()
	if r := e.run("", "db", "check", "--lock-timeout", "0s"); r.code != 0 {
		t.Fatalf("round %d: db check after the kills: %s", round, r)
	}
	took := time.Since(start)

	users := map[string]userJSON{}
	for _, u := range decodeJSON[[]userJSON](t, e.must(0, "", "user", "list", "-o", "json", "--lock-timeout", "0s").stdout) {
		users[u.Name] = u
	}
	for name := range users {
		_, known := l.pw[name]
		_, maybe := l.unsure[name]
		if name != target && !known && !maybe {
			t.Fatalf("round %d: user %s exists, but no add of it succeeded or was killed", round, name)
		}
	}
	login := func(name, pw string) int {
		t.Helper()
		r := e.run(pw+"\n", "login", name, "--password-stdin")
		if r.code != 0 && r.code != 1 {
			t.Fatalf("round %d: login %s: %s", round, name, r)
		}
		return r.code
	}
	// A killed write is there whole or not at all: exactly one of the
	// passwords it may have left works.
	for name, u := range l.unsure {
		if _, ok := users[name]; !ok {
			if !u.added {
				t.Fatalf("round %d: user %s is gone after a killed password change", round, name)
			}
			delete(l.unsure, name)
			l.resolved["killed add, not committed"]++
			continue
		}
		var works []string
		last := 0
		for _, pw := range u.pws {
			if last = login(name, pw); last == 0 {
				works = append(works, pw)
			}
		}
		if len(works) != 1 {
			t.Fatalf("round %d: user %s after a killed write: %d of the passwords %q work, want exactly 1", round, name, len(works), u.pws)
		}
		if last != 0 {
			login(name, works[0]) // a success clears the failure the other one counted
		}
		switch {
		case u.added:
			l.resolved["killed add, committed"]++
		case works[0] == u.pws[1]:
			l.changes[name]++
			l.resolved["killed passwd, committed"]++
		default:
			l.resolved["killed passwd, not committed"]++
		}
		l.pw[name] = works[0]
		delete(l.unsure, name)
	}
	// Every reported success is there.
	for name, pw := range l.pw {
		u, ok := users[name]
		if !ok {
			t.Fatalf("round %d: user %s was added (exit 0) but is gone", round, name)
		}
		if l.pending[name] && !u.PendingEnrollment {
			t.Errorf("round %d: 2fa enable %s --begin succeeded, but no enrollment is pending: %+v", round, name, u)
		}
		if (final || l.touched[name]) && login(name, pw) != 0 {
			t.Errorf("round %d: %s does not log in with the password of its last reported change", round, name)
		}
	}
	// No lost update: every failure that was reported is counted, and a
	// killed one at most once.
	got := users[target].Failures
	if lo, hi := l.fails[0], l.fails[0]+l.fails[1]; got < lo || got > hi {
		t.Fatalf("round %d: failed-login counter of %s is %d; %d failures reported and %d killed, so want %d to %d", round, target, got, lo, l.fails[1], lo, hi)
	}
	// Each change and its audit entry are one transaction.
	count := map[[2]string]int{}
	for _, ev := range e.audit() {
		count[[2]string{ev.Event, ev.User}]++
	}
	for name := range l.tried {
		want := 0
		if _, ok := users[name]; ok {
			want = 1
		}
		if n := count[[2]string{"user.add", name}]; n != want {
			t.Errorf("round %d: %d user.add audit entries for %s, want %d", round, n, name, want)
		}
		if n, want := count[[2]string{"password.change", name}], l.changes[name]; n != want {
			t.Errorf("round %d: %d password.change audit entries for %s, want %d", round, n, name, want)
		}
		b := l.begins[name]
		if n := count[[2]string{"2fa.begin", name}]; n < b[0] || n > b[0]+b[1] {
			t.Errorf("round %d: %d 2fa.begin audit entries for %s; %d reported and %d killed", round, n, name, b[0], b[1])
		}
	}
	// An attempt is counted before it is verified and audited after, so a
	// kill in between leaves a count without its entry (the safe way
	// round); every reported failure has its entry.
	if n := count[[2]string{"login.fail", target}] - l.audited; n < l.fails[0] || n > got {
		t.Errorf("round %d: %d new login.fail audit entries for %s, want %d (reported) to %d (counter)", round, n, target, l.fails[0], got)
	}
	// A writer that may not wait gets the lock too; this also resets the
	// counter for the next round.
	e.must(0, "", "user", "unlock", target, "--lock-timeout", "0s")
	l.audited = count[[2]string{"login.fail", target}]
	l.fails = [2]int{}
	clear(l.touched)
	e.t.Logf("round %d: %d users, db check in %s, target counted %d failures", round, len(users), took.Round(time.Millisecond), got)
}

// keyState is what a key rotation may have changed: the key file, the
// staged key file beside it, and the number of rotations in the audit
// trail (a rotation commits together with its audit entry).
type keyState struct {
	key, staged []byte
	rotations   int
}

func (e *env) keyState() keyState {
	e.t.Helper()
	s := keyState{key: readFile(e.t, e.key), staged: readFileIfAny(e.t, e.key+".new")}
	for _, ev := range e.audit() {
		if ev.Event == "key.rotate" {
			s.rotations++
		}
	}
	return s
}

// rotateWithKill runs `authctl key rotate` and sends it SIGKILL after
// delay, or, when afterStage is true, delay after the new key file is
// staged (the rotation's critical section: database commit, then rename).
func (e *env) rotateWithKill(delay time.Duration, afterStage bool) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	staged := e.key + ".new"
	before, _ := os.Stat(staged)
	c := e.command(ctx, "key", "rotate")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		if afterStage {
			for {
				if fi, err := os.Stat(staged); err == nil && (before == nil || !os.SameFile(before, fi)) {
					break
				}
				select {
				case <-done:
					return
				case <-time.After(100 * time.Microsecond):
				}
			}
		}
		select {
		case <-done:
		case <-time.After(delay):
			_ = c.Process.Signal(syscall.SIGKILL)
		}
	}()
	err := c.Wait()
	close(done)
	<-killerDone
	if ctx.Err() != nil {
		e.t.Fatal("authctl key rotate did not finish in time")
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	if r.code, err = outcome(err); err != nil {
		e.t.Fatalf("authctl key rotate: %v", err)
	}
	return r
}

// SIGKILL during key rotation, anywhere in the run and right around its
// commit: the key file is never replaced before the database commits, a
// committed new key is never lost (it waits in KEYFILE.new), and afterwards
// every user's secret opens with the key authctl finds: db check passes and
// logins with codes from oathtool succeed.
func testKillKeyRotate(t *testing.T, seed uint64) {
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(faultConfig))
	rng := rand.New(rand.NewPCG(seed, 1<<62))
	const pw = "correct horse battery"
	names := []string{"ann", "ben", "cat", "dan"}
	apps := map[string]*authenticator{}
	for _, n := range names {
		e.addUser(n, pw)
		apps[n], _ = e.enroll(n, pw)
	}
	// eve's enrollment is pending: rotation re-encrypts her secret too.
	e.addUser("eve", pw)
	r := e.must(0, pw+"\n", "2fa", "enable", "eve", "--password-stdin", "--begin", "-o", "json")
	eve := &authenticator{t: t, secret: decodeJSON[enrollmentJSON](t, r.stdout).Secret}

	// loginAll logs every user in: with a real code (which uses up one of
	// the app's codes), or with a wrong one, which is refused as wrong
	// (exit 1) only when the user's secret opened with the key authctl
	// found; a key that does not fit is exit 4.
	loginAll := func(what string, real bool) {
		t.Helper()
		for _, n := range names {
			if real {
				e.must(0, pw+"\n", "login", n, "--password-stdin", "--code", apps[n].next())
				continue
			}
			r := e.run(pw+"\n", "login", n, "--password-stdin", "--code", "000000")
			if r.code != 1 && r.code != 0 { // 000000 may even be right
				t.Fatalf("%s: login %s with a code: %s", what, n, r)
			}
			if r.code == 1 {
				wantStderr(t, r, "invalid or already used code")
			}
		}
	}

	// How long a whole rotation takes here, so that the kills of the even
	// rounds land while it runs, however fast or loaded this machine is (a
	// fixed 0-40 ms missed every rotation on a fast one, now and then).
	startRot := time.Now()
	e.must(0, "", "key", "rotate")
	span := max(time.Since(startRot), time.Millisecond)

	classes := map[string]int{}
	realDone := false
	st := e.keyState()
	// 16 rounds, or up to 24 until a kill has landed before the commit and
	// one after it. Odd rounds aim at the critical section.
	for round := 0; round < 24; round++ {
		if round >= 16 && classes["killed before the commit"] > 0 && classes["killed after the commit"] > 0 {
			break
		}
		afterStage := round%2 == 1
		delay := time.Duration(rng.Int64N(int64(span)))
		if afterStage {
			delay = time.Duration(rng.IntN(3000)) * time.Microsecond
		}
		r := e.rotateWithKill(delay, afterStage)
		after := e.keyState()
		what := fmt.Sprintf("round %d (kill %s after the %s)", round, delay, map[bool]string{false: "start", true: "staging"}[afterStage])
		committed := after.rotations - st.rotations
		replaced := !bytes.Equal(after.key, st.key)
		class := ""
		switch {
		case committed < 0 || committed > 1:
			t.Fatalf("%s: %d rotations in the audit trail, was %d", what, after.rotations, st.rotations)
		case r.code == 0:
			class = "completed"
			if committed != 1 || !replaced || after.staged != nil {
				t.Fatalf("%s: key rotate succeeded, but committed %d, key file replaced %v, staged key left %v", what, committed, replaced, after.staged != nil)
			}
		case r.code != killed:
			t.Fatalf("%s: key rotate: %s", what, r)
		case committed == 0:
			class = "killed before the commit"
			if replaced {
				t.Fatalf("%s: the key file was replaced, but the database still has the old key", what)
			}
		case !replaced:
			class = "killed between the commit and the rename"
			if after.staged == nil {
				t.Fatalf("%s: the database committed to a new key, but neither the key file nor %s.new holds it", what, e.key)
			}
		default:
			class = "killed after the rename"
			if after.staged != nil {
				t.Fatalf("%s: the key file was replaced, but a staged key is left", what)
			}
		}
		classes[class]++
		if class != "completed" {
			classes["killed"]++
		}
		if committed == 1 && class != "completed" {
			classes["killed after the commit"]++
		}

		// The next authctl that needs the key finds the right one: the
		// first login of the between class installs the staged key.
		between := class == "killed between the commit and the rename"
		loginAll(what, between && !realDone)
		realDone = realDone || between
		if between && (!bytes.Equal(readFile(t, e.key), after.staged) || readFileIfAny(t, e.key+".new") != nil) {
			t.Fatalf("%s: the login did not install the staged key", what)
		}
		if r := e.run("", "db", "check", "--lock-timeout", "0s"); r.code != 0 {
			t.Fatalf("%s: db check: %s", what, r)
		}
		st = e.keyState()
	}
	if !realDone {
		// No kill landed in the short window between the commit and the
		// rename; make its state by hand (a finished rotation with the old
		// key file put back) and check that logins recover from it.
		old := readFile(t, e.key)
		e.must(0, "", "key", "rotate")
		fresh := readFile(t, e.key)
		writeFile(t, e.key, old)
		writeFile(t, e.key+".new", fresh)
		loginAll("the state of a kill between the commit and the rename", true)
		if !bytes.Equal(readFile(t, e.key), fresh) {
			t.Fatal("a login did not install the staged key")
		}
		t.Log("no kill landed between the commit and the rename; its state was made by hand")
	}
	// Every user logs in with a code from the app, and eve's pending
	// enrollment, re-encrypted by every rotation, takes her first code.
	loginAll("at the end", true)
	e.must(0, pw+"\n", "2fa", "enable", "eve", "--password-stdin", "--confirm", eve.next())
	e.must(0, pw+"\n", "login", "eve", "--password-stdin", "--code", eve.next())
	e.must(0, "", "db", "check")
	litter, _ := filepath.Glob(filepath.Join(filepath.Dir(e.key), ".authctl-key-*"))
	t.Logf("rotations: %v; %d temporary key files left by killed writes", classes, len(litter))
	if classes["killed"] == 0 {
		t.Errorf("no rotation was killed: the test proved nothing (seed %d)", seed)
	}
}
