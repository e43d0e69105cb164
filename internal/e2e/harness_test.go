// Package e2e drives the real authctl binary through whole user journeys:
// scripted ones over pipes, interactive ones under a pseudo-terminal, and
// several processes at once on one database.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bin is the authctl binary built once for the whole package; pubBin is a
// copy that an unprivileged user can run. The copy is made here, before any
// test starts processes: writing an executable while another goroutine
// forks makes its exec fail with "text file busy" (golang/go#22315).
var bin, pubBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "authctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "authctl")
	build := exec.Command("go", "build", "-o", bin, "github.com/authctl/authctl")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building authctl:", err)
		return 1
	}
	pub, err := os.MkdirTemp("", "authctl-e2e-pub-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(pub)
	pubBin = filepath.Join(pub, "authctl")
	data, err := os.ReadFile(bin)
	if err == nil {
		err = os.WriteFile(pubBin, data, 0o755)
	}
	if err == nil {
		err = os.Chmod(pub, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "copying authctl:", err)
		return 1
	}
	return m.Run()
}

// env is one isolated authctl installation: its own XDG directories,
// database and key file under a temp dir.
type env struct {
	// clock, when set, makes the env run authctl in the test process on
	// this clock (newInProcEnv).
	clock *fakeClock
	t     testing.TB
	dir   string
	db    string
	key   string
	extra []string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{
		t:   t,
		dir: dir,
		db:  filepath.Join(dir, "data", "authctl", "authctl.db"),
		key: filepath.Join(dir, "config", "authctl", "key"),
	}
}

// environ is the environment every authctl process of e gets.
func (e *env) environ() []string {
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.dir,
		"XDG_DATA_HOME=" + filepath.Join(e.dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(e.dir, "config"),
		"TERM=xterm",
		"LANG=C.UTF-8",
		// Not the machine's /etc/authctl/config.yaml; absent unless a test writes it.
		"AUTHCTL_SYSTEM_CONFIG=" + filepath.Join(e.dir, "system-config.yaml"),
	}
	return append(base, e.extra...)
}

// setenv adds VAR=value for every later run.
func (e *env) setenv(kv ...string) { e.extra = append(e.extra, kv...) }

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// command returns an exec.Cmd for authctl with e's environment.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = e.environ()
	c.Dir = e.dir
	return c
}

// run runs authctl with stdin and returns what it printed and its exit code.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	if e.clock != nil {
		return e.runInProc(stdin, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.command(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		e.t.Fatalf("running authctl %v: %v", args, err)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("authctl %v did not finish in time (hung on a prompt?)", args)
	}
	return r
}

// must runs authctl and fails the test unless it exits with want.
func (e *env) must(want int, stdin string, args ...string) result {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != want {
		e.t.Fatalf("authctl %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// addUser creates name with password pw.
func (e *env) addUser(name, pw string) {
	e.t.Helper()
	e.must(0, pw+"\n", "user", "add", name, "--password-stdin")
}

func decodeJSON[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	return v
}
