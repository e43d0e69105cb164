package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/cmd"
	"github.com/authctl/authctl/internal/term"
)

// fakeClock is the clock of an in-process env: it moves only when a test
// moves it, so a journey that needs the next TOTP step takes no time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// until moves the clock forward to t (never back).
func (c *fakeClock) until(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// newInProcEnv is an env whose commands run in the test process through
// cmd.RunAt with a clock the test moves, for scripted journeys where a
// separate process adds nothing: no process start, no wall-clock waits for
// the next TOTP step. Pseudo-terminals, kills, locks between processes and
// concurrency keep real processes (newEnv).
func newInProcEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	// 5 s into the current step: near the real time (expiry times are
	// checked against it), moving only when the test moves it.
	e.clock = &fakeClock{t: stepStart(time.Now().Unix() / period).Add(5 * time.Second)}
	return e
}

// inProcFlags are the flags standing in for the environment a subprocess
// would get: the same files and the settings tests set with setenv.
var inProcFlags = map[string]string{
	"AUTHCTL_DB":           "--db",
	"AUTHCTL_KEY_FILE":     "--key-file",
	"AUTHCTL_CONFIG":       "--config",
	"AUTHCTL_ISSUER":       "--issuer",
	"AUTHCTL_LOCK_TIMEOUT": "--lock-timeout",
}

// runInProc runs authctl in the test process.
func (e *env) runInProc(stdin string, args ...string) result {
	e.t.Helper()
	cfg := filepath.Join(e.dir, "inproc-config.yaml")
	if _, err := os.Stat(cfg); err != nil {
		writeFile(e.t, cfg, nil)
	}
	set := map[string]string{"--db": e.db, "--key-file": e.key, "--config": cfg}
	for _, kv := range e.extra {
		k, v, _ := strings.Cut(kv, "=")
		flag, ok := inProcFlags[k]
		if !ok {
			e.t.Fatalf("an in-process env cannot set %s", k)
		}
		set[flag] = v
	}
	var full []string
	for flag, v := range set {
		full = append(full, flag+"="+v)
	}
	// The test's own flags come last, so they win as they would over the
	// environment.
	full = append(full, args...)
	io, out, errb := term.Test(stdin, false)
	code := cmd.RunAt(full, io, e.clock.Now)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// app returns the authenticator of secret, on e's clock.
func (e *env) app(secret string) *authenticator {
	return &authenticator{t: e.t, secret: secret, clock: e.clock}
}

// stepWithRoom is the package function on e's clock: an in-process env
// never straddles a step, since its clock stands still.
func (e *env) stepWithRoom(room time.Duration) int64 {
	if e.clock == nil {
		return stepWithRoom(room)
	}
	return e.clock.Now().Unix() / period
}

// waitForStep is the package function on e's clock.
func (e *env) waitForStep(s int64, into time.Duration) {
	if e.clock == nil {
		waitForStep(s, into)
		return
	}
	e.clock.until(stepStart(s).Add(into).Add(time.Second))
}
