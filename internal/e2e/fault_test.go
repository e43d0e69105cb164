package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cheapConfig keeps hashing fast (the hash parameters live in each hash, so
// logins stay cheap too), lets up to 98 failures in a row go by without a
// lock (so failed logins are all counted), and waits long for the lock so
// that the only failures are the kills.
const cheapConfig = `argon2:
  memory: 64
  time: 1
lockout:
  threshold: 99
  delay: 24h
  max-delay: 24h
lock-timeout: 60s
`

// faultSeed returns the seed of this run's random kills, logged so that a
// failure can be replayed with AUTHCTL_FAULT_SEED.
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
	t.Logf("random kills with seed %d (replay with AUTHCTL_FAULT_SEED=%d)", seed, seed)
	return seed
}

// killed is the outcome of a process that was sent SIGKILL before it ended.
const killed = -9

// runKill runs authctl and sends it SIGKILL after delay if it is still
// running. It returns the exit code, or killed.
func (e *env) runKill(delay time.Duration, stdin string, args ...string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.command(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() { _ = c.Process.Signal(syscall.SIGKILL) })
	err := c.Wait()
	timer.Stop()
	if ctx.Err() != nil {
		e.t.Fatalf("authctl %v did not finish in time", args)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return killed, stderr.String()
		}
		return ee.ExitCode(), stderr.String()
	default:
		e.t.Fatalf("authctl %v: %v", args, err)
		return 0, ""
	}
}

// ledger is what the workers of a round know about the users they wrote:
// the password each committed user has, and for an interrupted change the
// passwords it may have.
type ledger struct {
	mu        sync.Mutex
	committed map[string]string   // user -> password, after a reported success
	uncertain map[string][]string // user -> possible passwords, after a kill
	failures  [2]int              // failed logins of "target": reported, killed
}

func (l *ledger) set(name, pw string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed[name] = pw
	delete(l.uncertain, name)
}

func (l *ledger) maybe(name string, pws ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.committed, name)
	l.uncertain[name] = pws
}

// SIGKILL at random moments while several processes write: afterwards the
// database passes db check, every write that reported success is there,
// an interrupted write is there whole or not at all, no update is lost, and
// no lock is left behind.
func TestKillDuringWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(cheapConfig))
	seed := faultSeed(t)
	const target, targetPW = "target", "the target's password"
	e.addUser(target, targetPW)

	const rounds, workers, ops = 5, 3, 10
	l := &ledger{committed: map[string]string{}, uncertain: map[string][]string{}}
	kills := 0
	for round := range rounds {
		var wg sync.WaitGroup
		var killsMu sync.Mutex
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(round*workers+w)))
				var mine []string // this worker's users; only it changes them
				for i := range ops {
					delay := time.Duration(rng.IntN(100)) * time.Millisecond
					var code int
					switch op := rng.IntN(4); {
					case op <= 1 || len(mine) == 0: // add a user
						name := fmt.Sprintf("u%d-%d-%d", round, w, i)
						pw := "password of " + name
						code, _ = e.runKill(delay, pw+"\n", "user", "add", name, "--password-stdin")
						switch code {
						case 0:
							l.set(name, pw)
							mine = append(mine, name)
						case killed:
							l.maybe(name, pw)
						}
					case op == 2: // change the password of one of mine
						name := mine[rng.IntN(len(mine))]
						l.mu.Lock()
						old, known := l.committed[name]
						l.mu.Unlock()
						if !known {
							continue
						}
						pw := fmt.Sprintf("new password %d of %s", i, name)
						code, _ = e.runKill(delay, old+"\n"+pw+"\n", "user", "passwd", name, "--password-stdin")
						switch code {
						case 0:
							l.set(name, pw)
						case killed:
							l.maybe(name, old, pw)
						}
					default: // a failed login of the shared target: one more failure
						code, _ = e.runKill(delay, "not the password\n", "login", target, "--password-stdin")
						l.mu.Lock()
						switch code {
						case 1:
							l.failures[0]++
						case killed:
							l.failures[1]++
						}
						l.mu.Unlock()
						if code == 1 || code == killed {
							code = 0 // expected outcomes
						}
					}
					switch code {
					case 0:
					case killed:
						killsMu.Lock()
						kills++
						killsMu.Unlock()
					default:
						t.Errorf("round %d worker %d op %d: exit %d", round, w, i, code)
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		e.checkAfterKills(l, target)
	}
	t.Logf("%d rounds, %d processes killed", rounds, kills)
	if kills == 0 {
		t.Errorf("no process was killed: the test proved nothing (seed %d)", seed)
	}
}

// checkAfterKills checks the database after a round of kills, and resolves
// the uncertain users to what the database holds.
func (e *env) checkAfterKills(l *ledger, target string) {
	e.t.Helper()
	// A killed process leaves no lock behind: this waits at most 2 s.
	e.must(0, "", "--lock-timeout", "2s", "db", "check")
	present := map[string]bool{}
	for _, u := range decodeJSON[[]userJSON](e.t, e.must(0, "", "user", "list", "-o", "json").stdout) {
		present[u.Name] = true
	}
	for name, pw := range l.committed {
		if !present[name] {
			e.t.Fatalf("user %s was added (exit 0) but is gone", name)
		}
		e.must(0, pw+"\n", "login", name, "--password-stdin")
	}
	for name, pws := range l.uncertain {
		if !present[name] {
			delete(l.uncertain, name) // an add that never committed
			continue
		}
		// Whole or not at all: exactly one of the passwords works.
		var works []string
		for _, pw := range pws {
			if e.run(pw+"\n", "login", name, "--password-stdin").code == 0 {
				works = append(works, pw)
			}
		}
		if len(works) != 1 {
			e.t.Fatalf("user %s after a killed write: %d of the passwords %q work, want exactly 1", name, len(works), pws)
		}
		l.set(name, works[0])
	}
	// No lost update: every failure that was reported is counted, and a
	// killed one at most once.
	got := e.show(target).Failures
	if lo, hi := l.failures[0], l.failures[0]+l.failures[1]; got < lo || got > hi {
		e.t.Fatalf("failed-login counter of %s is %d; %d failures reported and %d killed, so want %d to %d", target, got, lo, l.failures[1], lo, hi)
	}
}

// SIGKILL during key rotation, at random moments: afterwards the key file
// (or the staged KEYFILE.new) still decrypts every user's secret, db check
// passes, and every user logs in with a code from the app.
func TestKillDuringKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setenv("AUTHCTL_CONFIG=" + e.writeConfig(cheapConfig))
	seed := faultSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))

	const pw = "correct horse battery"
	names := []string{"ann", "ben", "cat"}
	apps := map[string]*authenticator{}
	for _, n := range names {
		e.addUser(n, pw)
		apps[n], _ = e.enroll(n, pw)
	}
	kills, done := 0, 0
	for round := range 12 {
		delay := time.Duration(rng.IntN(60)) * time.Millisecond
		code, stderr := e.runKill(delay, "", "key", "rotate")
		switch code {
		case 0:
			done++
		case killed:
			kills++
		default:
			t.Fatalf("round %d: key rotate exit %d: %s", round, code, stderr)
		}
		e.must(0, "", "db", "check")
		// A wrong code is refused as wrong (exit 1), which means the secret
		// decrypted: with a key that does not match it would be exit 4.
		for _, n := range names {
			r := e.run(pw+"\n", "login", n, "--password-stdin", "--code", "000000")
			if r.code != 1 && r.code != 0 {
				t.Fatalf("round %d: login %s after key rotate (%d): %s", round, n, code, r)
			}
		}
	}
	for _, n := range names {
		e.must(0, pw+"\n", "login", n, "--password-stdin", "--code", apps[n].next())
	}
	if _, err := os.Stat(e.key); err != nil {
		t.Errorf("key file after the rotations: %v", err)
	}
	if left, _ := filepath.Glob(e.key + ".new*"); len(left) > 0 {
		// A rotation killed before its commit may leave a staged key; it must
		// not be one the database needs (db check passed above).
		t.Logf("staged key files left by killed rotations: %v", left)
	}
	t.Logf("12 rotations: %d completed, %d killed (seed %d)", done, kills, seed)
	if kills == 0 || done == 0 {
		t.Logf("note: this run had %d kills and %d completions", kills, done)
	}
}
