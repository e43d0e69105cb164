package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWithin runs authctl and fails the test if it has not finished within
// limit: a process blocked opening a FIFO is killed and reported, never
// waited for.
func (e *env) runWithin(limit time.Duration, stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := e.command(ctx, args...)
	c.WaitDelay = time.Second
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("authctl %s still running after %s: blocked on a file?", strings.Join(args, " "), limit)
	}
	return exitResult(e.t, args, out.String(), errb.String(), err)
}

// mkfifo makes a named pipe. The tests never open its writing side, so
// anything that opens it for reading and waits for data would block
// forever.
func mkfifo(t *testing.T, p string) string {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Config, key and import files are read only when they are regular files
// of a sane size: a FIFO, a device or a huge file gets its documented exit
// code and one line naming the file within seconds (never a hang, never a
// huge allocation), and nothing is written. A key file that others may
// read or write is refused as ssh refuses such a private key. A config file
// that does not parse is reported by line number, never by its text.
func TestFilesAreRegularAndCapped(t *testing.T) {
	t.Parallel()
	base := newHostileBase(t)
	const pw = hostilePW
	const marker = "SECRET-MARKER-c0ffee"
	// FIFOs live outside the installation, whose snapshot reads every file.
	special := t.TempDir()
	cfgFIFO := mkfifo(t, filepath.Join(special, "config.fifo"))
	keyFIFO := mkfifo(t, filepath.Join(special, "key.fifo"))
	importFIFO := mkfifo(t, filepath.Join(special, "users.fifo"))
	// A 2FA login reaches the key file after the password.
	login := []string{"login", "bob", "--password-stdin", "--code", "123456"}
	chmodKey := func(mode os.FileMode) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			if err := os.Chmod(e.key, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows := []struct {
		name  string
		args  []string
		stdin string
		setup func(t *testing.T, e *env)
		code  int
		msg   []string
	}{
		// ---- Config files ----
		{name: "--config FIFO", args: []string{"user", "list", "--config", cfgFIFO}, code: 2,
			msg: []string{"config file " + cfgFIFO + " is a named pipe, not a regular file"}},
		{name: "AUTHCTL_CONFIG names a FIFO", args: []string{"user", "list"}, code: 2,
			setup: func(t *testing.T, e *env) { e.setenv("AUTHCTL_CONFIG=" + cfgFIFO) },
			msg:   []string{"config file " + cfgFIFO + " is a named pipe"}},
		{name: "--config /dev/zero", args: []string{"user", "list", "--config", "/dev/zero"}, code: 2,
			msg: []string{"config file /dev/zero is a character device, not a regular file"}},
		{name: "--config /dev/urandom", args: []string{"login", "alice", "--password-stdin", "--config", "/dev/urandom"}, stdin: pw + "\n", code: 2,
			msg: []string{"config file /dev/urandom is a character device"}},
		{name: "--config a directory", args: []string{"user", "list", "--config", special}, code: 2,
			msg: []string{"config file " + special + " is a directory"}},
		{name: "config file over 1 MiB", args: []string{"user", "list"}, code: 2,
			setup: func(t *testing.T, e *env) {
				writeFile(t, e.configFile(), append([]byte("lock-timeout: 60s\n"), bytes.Repeat([]byte("# padding\n"), 110_000)...))
			},
			msg: []string{"test-config.yaml is larger than 1 MiB"}},
		{name: "config file with a secret on a bad line", args: []string{"user", "list"}, code: 2,
			setup: func(t *testing.T, e *env) {
				writeFile(t, e.configFile(), []byte("lock-timeout: 60s\nissuer: x: "+marker+"\n"))
			},
			msg: []string{"test-config.yaml: syntax error at line 2"}},
		{name: "config file that is one secret line", args: []string{"user", "list"}, code: 2,
			setup: func(t *testing.T, e *env) { writeFile(t, e.configFile(), []byte(marker+"\n")) },
			msg:   []string{"test-config.yaml: syntax error at line 1"}},

		// ---- Key files ----
		{name: "--key-file FIFO", args: append(slices.Clone(login), "--key-file", keyFIFO), stdin: pw + "\n", code: 4,
			msg: []string{"key file " + keyFIFO + " is a named pipe, not a regular file"}},
		{name: "--key-file /dev/zero", args: append(slices.Clone(login), "--key-file", "/dev/zero"), stdin: pw + "\n", code: 4,
			msg: []string{"key file /dev/zero is a character device"}},
		{name: "--key-file /dev/zero at 2fa enable", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin", "--key-file", "/dev/zero"}, stdin: pw + "\n", code: 4,
			msg: []string{"key file /dev/zero is a character device"}},
		{name: "key file over 4 KiB", args: login, stdin: pw + "\n", code: 4,
			setup: func(t *testing.T, e *env) {
				writeFile(t, e.key, append(readFile(t, e.key), bytes.Repeat([]byte(" "), 5000)...))
			},
			msg: []string{"is larger than 4 KiB"}},
		{name: "key file mode 0640", args: login, stdin: pw + "\n", code: 4, setup: chmodKey(0o640),
			msg: []string{"mode 0640", "chmod 600 "}},
		{name: "key file mode 0604", args: login, stdin: pw + "\n", code: 4, setup: chmodKey(0o604),
			msg: []string{"mode 0604", "chmod 600 "}},
		{name: "key file mode 0660 at 2fa enable", args: []string{"2fa", "enable", "alice", "--password-stdin", "--begin"}, stdin: pw + "\n", code: 4, setup: chmodKey(0o660),
			msg: []string{"chmod 600 "}},
		{name: "key file mode 0644 at key rotate", args: []string{"key", "rotate"}, code: 4, setup: chmodKey(0o644),
			msg: []string{"chmod 600 "}},

		// ---- Import files ----
		{name: "user import FIFO", args: []string{"user", "import", importFIFO}, code: 2,
			msg: []string{"import file " + importFIFO + " is a named pipe, not a regular file"}},
		{name: "user import FIFO --format csv", args: []string{"user", "import", importFIFO, "--format", "csv"}, code: 2,
			msg: []string{"import file " + importFIFO + " is a named pipe"}},
		{name: "user import /dev/zero", args: []string{"user", "import", "/dev/zero"}, code: 2,
			msg: []string{"import file /dev/zero is a character device, not a regular file"}},
		{name: "user import /dev/urandom --format jsonl", args: []string{"user", "import", "/dev/urandom", "--format", "jsonl"}, code: 2,
			msg: []string{"import file /dev/urandom is a character device"}},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := base.env(t)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := snapshot(t, e.dir)
			r := e.runWithin(10*time.Second, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("want exit %d, got %s", tt.code, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout is not empty: %q", r.stdout)
			}
			wantStderr(t, r, tt.msg...)
			if strings.Contains(r.stderr, marker) || strings.Contains(r.stderr, "authctl-key-v1") || strings.Contains(r.stderr, pw) {
				t.Errorf("stderr shows a file's content or the password: %q", r.stderr)
			}
			d := withoutScratch(t, e.dir, diffSnapshots(before, snapshot(t, e.dir)))
			if len(d) > 0 {
				t.Errorf("a refused command changed files: %v", d)
			}
		})
	}
}

// Standard input stays a valid import source ("-"), although it is a pipe.
func TestImportFromStandardInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runWithin(30*time.Second, "name,password\nerin,erin's long password\n", "user", "import", "-")
	if r.code != 0 {
		t.Fatalf("import from standard input: %s", r)
	}
	e.loginOK("erin", "erin's long password")
}

// Every key file authctl writes is 0600: the first one, and the new one
// that key rotate stages as key.new and renames into place.
func TestKeyFilesAreOwnerOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "correct horse battery"
	e.addUser("alice", pw)
	e.enroll("alice", pw)
	checkMode(t, e.key, 0o600)
	checkMode(t, filepath.Dir(e.key), os.ModeDir|0o700)
	e.must(0, "", "key", "rotate")
	checkMode(t, e.key, 0o600)
	if _, err := os.Stat(e.key + ".new"); !os.IsNotExist(err) {
		t.Errorf("key.new left behind: %v", err)
	}
	// A key restored with a loose mode works again once chmod-ed.
	if err := os.Chmod(e.key, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.must(4, "", "db", "check")
	if !strings.Contains(r.stderr, "chmod 600 "+e.key) {
		t.Errorf("db check with a 0644 key file: %s", r)
	}
	if err := os.Chmod(e.key, 0o600); err != nil {
		t.Fatal(err)
	}
	e.must(0, "", "db", "check")
}
