package e2e

import (
	"strings"
	"testing"
)

// Every command a script may call gives one JSON document on stdout with
// -o json, in the shapes docs/scripting.md documents.
func TestJSONOutputOfEveryChange(t *testing.T) {
	e := newEnv(t)
	const pw, pw2 = "correct horse battery", "another horse battery"

	u := decodeJSON[userJSON](t, e.must(0, pw+"\n", "user", "add", "bob", "--password-stdin", "-o", "json").stdout)
	if u.Name != "bob" || u.TwoFactor || u.CreatedAt.IsZero() || u.LastLoginAt != nil {
		t.Errorf("user add -o json: %+v", u)
	}
	u = decodeJSON[userJSON](t, e.must(0, pw+"\n"+pw2+"\n", "user", "passwd", "bob", "--password-stdin", "-o", "json").stdout)
	if u.Name != "bob" || !u.PasswordChangedAt.After(u.CreatedAt) {
		t.Errorf("user passwd -o json: %+v", u)
	}
	e.must(1, "wrong password\n", "login", "bob", "--password-stdin")
	u = decodeJSON[userJSON](t, e.must(0, "", "user", "unlock", "bob", "-o", "json").stdout)
	if u.Failures != 0 || u.Locked {
		t.Errorf("user unlock -o json: %+v", u)
	}

	r := e.must(0, pw2+"\n", "2fa", "enable", "bob", "--password-stdin", "--begin", "-o", "json")
	en := decodeJSON[enrollmentJSON](t, r.stdout)
	// The URI is written as is, not with \u0026 for "&".
	if !strings.Contains(r.stdout, "&issuer=") || en.ExpiresAt.IsZero() {
		t.Errorf("2fa enable --begin -o json: %s", r.stdout)
	}
	app := &authenticator{t: t, secret: en.Secret}
	e.must(0, pw2+"\n", "2fa", "enable", "bob", "--password-stdin", "--confirm", app.next(), "-o", "json")
	st := decodeJSON[statusJSON](t, e.must(0, "", "2fa", "reset", "bob", "--yes", "-o", "json").stdout)
	if st.User != "bob" || st.Enabled || st.EnabledAt != nil {
		t.Errorf("2fa reset -o json: %+v", st)
	}

	en = decodeJSON[enrollmentJSON](t, e.must(0, pw2+"\n", "2fa", "enable", "bob", "--password-stdin", "--begin", "-o", "json").stdout)
	app = &authenticator{t: t, secret: en.Secret}
	e.must(0, pw2+"\n", "2fa", "enable", "bob", "--password-stdin", "--confirm", app.next(), "-o", "json")
	rot := decodeJSON[map[string]int](t, e.must(0, "", "key", "rotate", "-o", "json").stdout)
	if rot["secrets_reencrypted"] != 1 {
		t.Errorf("key rotate -o json: %v", rot)
	}
	st = decodeJSON[statusJSON](t, e.must(0, pw2+"\n", "2fa", "disable", "bob", "--password-stdin", "--code", app.next(), "-o", "json").stdout)
	if st.Enabled || st.BackupLeft != 0 {
		t.Errorf("2fa disable -o json: %+v", st)
	}

	del := decodeJSON[map[string]any](t, e.must(0, "", "user", "delete", "bob", "--yes", "-o", "json").stdout)
	if del["name"] != "bob" || del["deleted"] != true {
		t.Errorf("user delete -o json: %v", del)
	}
	// Errors never print JSON: stdout stays empty and stderr has one line.
	r = e.must(3, "", "user", "delete", "bob", "--yes", "-o", "json")
	if r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("failed delete -o json: %s", r)
	}
}

// audit --since takes a duration, a date or an RFC 3339 time.
func TestAuditSince(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("ann", "correct horse battery")
	for _, tt := range []struct {
		since string
		want  int
	}{
		{"1h", 1}, {"2000-01-01", 1}, {"2000-01-01T00:00:00Z", 1}, {"2999-01-01", 0}, {"2999-01-01T00:00:00+02:00", 0},
	} {
		out := e.must(0, "", "audit", "--since", tt.since, "-o", "json").stdout
		if got := strings.Count(out, "\n"); got != tt.want {
			t.Errorf("audit --since %s: %d entries, want %d:\n%s", tt.since, got, tt.want, out)
		}
	}
	e.must(2, "", "audit", "--since", "last tuesday")
}
