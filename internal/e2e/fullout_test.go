package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A standard output that cannot be written (a full disk: /dev/full fails
// every write with ENOSPC) fails every command that prints a result (all
// but pam), in every output format, with exit 4 and one "authctl: " line on
// stderr. A read changes nothing.
// A change that committed before its result could not be printed stays
// committed, and the line says what was changed, so nobody repeats it
// blindly; where the lost output cannot be printed again (new backup
// codes), it says how to get new ones.
func TestFullOutput(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			testFullOutput(t, format)
		})
	}
}

// fullStep is one command run with its output on /dev/full.
type fullStep struct {
	// run returns standard input and the arguments (without -o), computed
	// when the step runs, after the steps before it.
	run func() (stdin string, args []string)
	msg []string // in the error line
	// textOnly: the command has no -o json (help, completion scripts).
	textOnly bool
	// prose: the text form talks on stderr before the result (enrollment,
	// new codes); the error is then the last line, and the only one that
	// starts with "authctl: ".
	prose bool
	// change checks that the command's change stands; nil for a read,
	// which must leave the database byte for byte as it was.
	change func(t *testing.T)
}

func fixed(stdin string, args ...string) func() (string, []string) {
	return func() (string, []string) { return stdin, args }
}

func testFullOutput(t *testing.T, format string) {
	const pw, pw2 = "correct horse battery", "staple battery horse"
	e := newEnv(t)
	e.addUser("bob", pw)
	e.addUser("alice", pw)
	alice, codes := e.enroll("alice", pw)
	users := filepath.Join(e.dir, "users.csv")
	writeFile(t, users, []byte("name,password\nerin,"+pw+"\n"))
	backup := filepath.Join(e.dir, "backup.db")
	var erin *authenticator
	keyBefore := readFile(t, e.key)
	regen := `get new ones with "authctl 2fa codes regen `

	steps := []fullStep{
		{run: fixed("", "version"), msg: []string{"cannot write the output: no space left on device"}},
		{run: fixed("", "--help"), textOnly: true, msg: []string{"cannot write the output"}},
		{run: fixed("", "completion", "bash"), textOnly: true, msg: []string{"cannot write the output"}},
		{run: fixed("", "user", "list"), msg: []string{"cannot write the output"}},
		{run: fixed("", "user", "show", "alice"), msg: []string{"cannot write the output"}},
		{run: fixed("", "2fa", "status", "alice"), msg: []string{"cannot write the output"}},
		{run: fixed("", "audit"), msg: []string{"cannot write the output"}},
		{run: fixed("", "db", "check"), msg: []string{"cannot write the output"}},

		{run: fixed(pw+"\n", "login", "bob", "--password-stdin"),
			msg: []string{"login ok for bob, but the output could not be written: no space left on device"},
			change: func(t *testing.T) {
				if e.show("bob").LastLoginAt == nil {
					t.Error("the login was not recorded")
				}
			}},
		{run: fixed(pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0]),
			msg: []string{"login ok for alice with a backup code (7 left), but the output could not be written"},
			change: func(t *testing.T) {
				e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[0]) // used
			}},
		{run: fixed(pw+"\n", "user", "add", "carl", "--password-stdin"),
			msg:    []string{"user carl added, but the output could not be written"},
			change: func(t *testing.T) { e.must(0, pw+"\n", "login", "carl", "--password-stdin") }},
		{run: fixed(pw+"\n"+pw2+"\n", "user", "passwd", "carl", "--password-stdin"),
			msg:    []string{"password changed for carl, but the output could not be written"},
			change: func(t *testing.T) { e.must(0, pw2+"\n", "login", "carl", "--password-stdin") }},
		{run: fixed("", "user", "unlock", "carl"),
			msg: []string{"failed-login counter cleared for carl, but the output could not be written"},
			change: func(t *testing.T) {
				if ev := e.audit(); !hasEvent(ev, auditJSON{Event: "user.unlock", User: "carl"}) {
					t.Error("no user.unlock in the audit trail")
				}
			}},
		{run: fixed("", "user", "rename", "carl", "dave"),
			msg:    []string{"user carl renamed to dave, but the output could not be written"},
			change: func(t *testing.T) { e.must(3, "", "user", "show", "carl"); e.show("dave") }},
		{run: fixed("", "user", "delete", "dave", "--yes"),
			msg:    []string{"user dave deleted, but the output could not be written"},
			change: func(t *testing.T) { e.must(3, "", "user", "show", "dave") }},
		{run: fixed("", "user", "import", users),
			msg:    []string{"imported 1 user, but the output could not be written"},
			change: func(t *testing.T) { e.show("erin") }},
		{run: fixed(pw+"\n", "2fa", "enable", "erin", "--password-stdin", "--begin"),
			msg: []string{"enrollment begun for erin, but the output could not be written", "start again with --begin"},
			change: func(t *testing.T) {
				if !e.status("erin").Pending {
					t.Error("no pending enrollment")
				}
			}},
		{run: func() (string, []string) {
			// Begin again where the secret can be read, then confirm.
			r := e.must(0, pw+"\n", "2fa", "enable", "erin", "--password-stdin", "--begin", "-o", "json")
			erin = &authenticator{t: t, secret: decodeJSON[enrollmentJSON](t, r.stdout).Secret}
			return pw + "\n", []string{"2fa", "enable", "erin", "--password-stdin", "--confirm", erin.next()}
		}, prose: true,
			msg: []string{"2fa enabled for erin with new backup codes, but the output could not be written", regen + `erin"`},
			change: func(t *testing.T) {
				if st := e.status("erin"); !st.Enabled || st.BackupLeft != 8 {
					t.Errorf("2fa status after --confirm: %+v", st)
				}
			}},
		{run: fixed(pw+"\n", "2fa", "codes", "regen", "alice", "--password-stdin", "--code", codes[1]),
			prose: true,
			msg:   []string{"new backup codes made for alice (the old ones no longer work), but the output could not be written", regen + `alice"`},
			change: func(t *testing.T) {
				if n := e.status("alice").BackupLeft; n != 8 {
					t.Errorf("%d backup codes left, want a new set of 8", n)
				}
				e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", codes[2]) // the old set
			}},
		{run: func() (string, []string) {
			// A phone 3 minutes ahead: two codes in a row.
			cur := time.Now().Unix() / period
			return pw + "\n", []string{"2fa", "sync", "alice", "--password-stdin",
				"--code", oathtool(t, alice.secret, cur+6), "--code", oathtool(t, alice.secret, cur+7)}
		},
			msg: []string{"2fa synchronised for alice, but the output could not be written"},
			change: func(t *testing.T) {
				if !hasEvent(e.audit(), auditJSON{Event: "2fa.sync", User: "alice"}) {
					t.Error("no 2fa.sync in the audit trail")
				}
			}},
		{run: func() (string, []string) {
			return pw + "\n", []string{"2fa", "disable", "erin", "--password-stdin", "--code", erin.next()}
		},
			msg: []string{"2fa disabled for erin, but the output could not be written"},
			change: func(t *testing.T) {
				if e.status("erin").Enabled {
					t.Error("2fa is still on for erin")
				}
			}},
		{run: fixed("", "2fa", "reset", "alice", "--yes"),
			msg: []string{"2fa reset for alice, but the output could not be written"},
			change: func(t *testing.T) {
				if e.status("alice").Enabled {
					t.Error("2fa is still on for alice")
				}
			}},
		{run: fixed("otpauth://totp/ACME:bob?secret="+alice.secret+"&issuer=ACME\n", "2fa", "import", "bob", "-"),
			msg: []string{"2fa imported for bob from otpauth, but the output could not be written"},
			change: func(t *testing.T) {
				if !e.status("bob").Enabled {
					t.Error("2fa is not on for bob")
				}
			}},
		{run: fixed("", "key", "rotate"),
			msg: []string{"key rotated; 1 secret re-encrypted, but the output could not be written"},
			change: func(t *testing.T) {
				if bytes.Equal(keyBefore, readFile(t, e.key)) {
					t.Error("the key file is the same")
				}
				e.must(0, "", "db", "check")
			}},
		{run: fixed("", "db", "backup", backup),
			msg: []string{"backup written to " + backup, "but the output could not be written"},
			change: func(t *testing.T) {
				e.must(0, "", "db", "check", "--db", backup)
				os.Remove(backup) // for the next format
			}},
	}
	for _, s := range steps {
		if s.textOnly && format != "text" {
			continue
		}
		stdin, args := s.run()
		if !s.textOnly {
			args = append(args, "-o", format)
		}
		before := readFile(t, e.db)
		r := e.runFull(stdin, args...)
		if r.code != 4 {
			t.Errorf("authctl %s >/dev/full: want exit 4, got %s", strings.Join(args, " "), r)
			continue
		}
		if s.prose && format == "text" {
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if strings.Count(r.stderr, "authctl: ") != 1 || !strings.HasPrefix(last, "authctl: ") {
				t.Errorf("authctl %s >/dev/full: the error is not the one last line:\n%s", strings.Join(args, " "), r)
			}
			r.stderr = last + "\n"
		}
		wantStderr(t, r, s.msg...)
		if s.change == nil {
			if !bytes.Equal(before, readFile(t, e.db)) {
				t.Errorf("authctl %s >/dev/full changed the database", strings.Join(args, " "))
			}
			continue
		}
		s.change(t)
	}
	// authctl pam prints nothing on stdout, so a full one does not fail it.
	if format == "text" {
		e.setenv("PAM_USER=erin")
		if r := e.runFull(pw, "pam", "--db", e.db, "--key-file", e.key); r.code != 0 || r.stderr != "" {
			t.Errorf("authctl pam >/dev/full: %s", r)
		}
	}
}

// runFull runs authctl with standard output on /dev/full.
func (e *env) runFull(stdin string, args ...string) result {
	e.t.Helper()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer full.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.command(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var errb bytes.Buffer
	c.Stdout, c.Stderr = full, &errb
	err = c.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("authctl %v did not finish in time", args)
	}
	return exitResult(e.t, args, "", errb.String(), err)
}
