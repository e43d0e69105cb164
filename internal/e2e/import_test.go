package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/crypto/bcrypt"

	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// importFile writes a file to import into e's directory and returns its path.
func (e *env) importFile(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "import", name)
	writeFile(e.t, p, []byte(content))
	return p
}

// storedHash reads name's password hash straight from the database file:
// no command shows it, and the re-hash on login is only visible there.
func (e *env) storedHash(name string) string {
	e.t.Helper()
	var h string
	err := store.New(store.Options{Path: e.db, LockTimeout: 5 * time.Second}).View(func(tx store.Tx) error {
		u, err := tx.User(name)
		if err != nil {
			return err
		}
		h = u.PasswordHash
		return nil
	})
	if err != nil {
		e.t.Fatalf("reading %s from the database: %v", name, err)
	}
	return h
}

// loginOK fails the test unless name logs in with pw.
func (e *env) loginOK(name, pw string) {
	e.t.Helper()
	if r := e.run(pw+"\n", "login", name, "--password-stdin"); r.code != 0 || r.stdout != "login ok\n" {
		e.t.Errorf("login %s with its imported password: %s", name, r)
	}
}

// userNames lists the users, in the order `user list` gives.
func (e *env) userNames() []string {
	e.t.Helper()
	var names []string
	for _, u := range decodeJSON[[]userJSON](e.t, e.must(0, "", "user", "list", "-o", "json").stdout) {
		names = append(names, u.Name)
	}
	return names
}

// bcryptHash returns a bcrypt hash of pw at the minimum cost with the given
// prefix: Go writes $2a$; Apache's htpasswd -B writes $2y$; OpenBSD $2b$.
func bcryptHash(t testing.TB, pw, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h[len("$2a$"):])
}

// summaryRE is the text summary of an import.
var summaryRE = regexp.MustCompile(`^imported (\d+) users? \((\d+) hashed from passwords, (\d+) from hashes\), skipped (\d+), in [0-9.]+[µm]?s\n$`)

// wantSummary checks the text summary's counts.
func wantSummary(t testing.TB, r result, imported, hashed, fromHash, skipped int) {
	t.Helper()
	m := summaryRE.FindStringSubmatch(r.stdout)
	want := []string{fmt.Sprint(imported), fmt.Sprint(hashed), fmt.Sprint(fromHash), fmt.Sprint(skipped)}
	if m == nil || !slices.Equal(m[1:], want) {
		t.Errorf("want the summary imported %d (%d hashed, %d from hashes), skipped %d; got %s", imported, hashed, fromHash, skipped, r)
	}
}

// importJSON is the documented -o json form of an import.
type importJSON struct {
	Imported int     `json:"imported"`
	Hashed   int     `json:"hashed"`
	FromHash int     `json:"from_hash"`
	Seconds  float64 `json:"seconds"`
	Skipped  []struct {
		Line  int    `json:"line"`
		Name  string `json:"name"`
		Error string `json:"error"`
	} `json:"skipped"`
}

// Plain passwords from a CSV file and from standard input ("-"): every user
// logs in with the password of its line, quoted commas and all.
func TestImportCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users := map[string]string{
		"alice": "correct horse battery",
		"bob":   "horse, battery, staple", // quoted in the file
		"émile": "café crème brûlée",
		"dave":  `say "hi" twice`,
	}
	f := e.importFile("users.csv", "\ufeffName,Password\r\n"+
		"alice,correct horse battery\r\n"+
		"\"bob\",\"horse, battery, staple\"\r\n"+
		"\r\n"+
		"émile,café crème brûlée\r\n"+
		"dave,\"say \"\"hi\"\" twice\"\r\n")
	r := e.must(0, "", "user", "import", f)
	wantSummary(t, r, 4, 4, 0, 0)
	if r.stderr != "" {
		t.Errorf("stderr is not empty without a terminal: %s", r)
	}
	if got, want := e.userNames(), []string{"alice", "bob", "dave", "émile"}; !slices.Equal(got, want) {
		t.Errorf("users %q, want %q", got, want)
	}
	for name, pw := range users {
		e.loginOK(name, pw)
		if h := e.storedHash(name); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("%s is stored as %q, want argon2id with the default parameters", name, h)
		}
	}
	e.must(1, "correct horse battery!\n", "login", "alice", "--password-stdin")

	// "-" reads standard input, the format told by the first line.
	r = e.must(0, "name,password\nfrank,frank's password\ngina,gina's password\n", "user", "import", "-")
	wantSummary(t, r, 2, 2, 0, 0)
	e.loginOK("frank", "frank's password")
	e.loginOK("gina", "gina's password")
	if n := len(e.userNames()); n != 6 {
		t.Errorf("%d users after the second import, want 6", n)
	}
}

// JSON lines, from a file and from standard input, with passwords and hashes.
func TestImportJSONL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bc := bcryptHash(t, "bob's old password", "$2y$")
	f := e.importFile("users.jsonl",
		`{"name":"alice","password":"correct horse battery"}`+"\n"+
			"\n"+
			`  {"password_hash":"`+bc+`", "name":"bob"}  `+"\r\n"+
			`{"name":"carol","password":"back\\slash \"quoted\" \u00e9"}`)
	r := e.must(0, "", "user", "import", f)
	wantSummary(t, r, 3, 2, 1, 0)
	e.loginOK("alice", "correct horse battery")
	e.loginOK("bob", "bob's old password")
	e.loginOK("carol", `back\slash "quoted" é`)

	// Standard input, detected from the "{".
	r = e.must(0, `{"name":"dave","password":"dave's password"}`+"\n", "user", "import", "-")
	wantSummary(t, r, 1, 1, 0, 0)
	e.loginOK("dave", "dave's password")

	// An unknown field is refused by line, not ignored.
	r = e.must(2, `{"name":"erin","password":"erin's password"}`+"\n"+`{"name":"frank","password":"frank's password","totp":"JBSWY3DP"}`+"\n", "user", "import", "-", "--format", "jsonl")
	wantStderr(t, r, `line 2: `, `unknown field "totp"`, "nothing was imported")
	e.must(3, "", "user", "show", "erin")
}

// Apache htpasswd files with bcrypt hashes ($2y$ as htpasswd -B writes them,
// $2a$, $2b$): each user logs in with the password behind its hash. Other
// schemes (htpasswd -s, -m, -d, -p) are refused by line.
func TestImportHtpasswd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users := []struct{ name, pw, prefix string }{
		{"alice", "alice's htpasswd password", "$2y$"},
		{"bob", "bob's htpasswd password", "$2a$"},
		{"carol", "carol's htpasswd password", "$2b$"},
	}
	var b strings.Builder
	b.WriteString("# written by htpasswd -B\n\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%s:%s\n", u.name, bcryptHash(t, u.pw, u.prefix))
	}
	// Detected by its name, .htpasswd.
	f := e.importFile(".htpasswd", b.String())
	r := e.must(0, "", "user", "import", f)
	wantSummary(t, r, 3, 0, 3, 0)
	for _, u := range users {
		if h := e.storedHash(u.name); !strings.HasPrefix(h, u.prefix) {
			t.Errorf("%s stored as %q before any login, want the imported %s hash", u.name, h, u.prefix)
		}
		e.must(1, u.pw+"x\n", "login", u.name, "--password-stdin")
		e.loginOK(u.name, u.pw)
	}

	// Under any other name, and on standard input, it is known by its
	// first entry ("name:$2y$...").
	hy := bcryptHash(t, "dave's htpasswd password", "$2y$")
	other := e.importFile("passwords", "# apache\ndave:"+hy+"\n")
	r = e.must(0, "", "user", "import", other)
	wantSummary(t, r, 1, 0, 1, 0)
	e.loginOK("dave", "dave's htpasswd password")
	hd := bcryptHash(t, "dora's htpasswd password", "$2y$")
	r = e.must(0, "dora:"+hd+"\n", "user", "import", "-")
	wantSummary(t, r, 1, 0, 1, 0)
	e.loginOK("dora", "dora's htpasswd password")
	// A file whose first line says nothing needs --format.
	r = e.must(2, "", "user", "import", e.importFile("plain", "dora dora's password\n"))
	wantStderr(t, r, "--format")

	// SHA1, MD5 (apr1), crypt and plain text lines are refused with their
	// line; the first one is named and nothing is imported.
	before := readFile(t, e.db)
	schemes := "erin:" + bcryptHash(t, "erin's password", "$2y$") + "\n" +
		"frank:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n" +
		"gina:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n" +
		"hal:rqXexS6ZhobKA\n" +
		"ivy:plain text password\n"
	r = e.must(2, schemes, "user", "import", "-", "--format", "htpasswd")
	wantStderr(t, r, `line 2 ("frank"): `, "not an argon2id PHC string or a bcrypt hash", "3 more problems", "nothing was imported")
	if !bytes.Equal(before, readFile(t, e.db)) {
		t.Errorf("a refused htpasswd import changed the database")
	}
	r = e.must(0, schemes, "user", "import", "-", "--format", "htpasswd", "--skip-invalid", "-o", "json")
	got := decodeJSON[importJSON](t, r.stdout)
	if got.Imported != 1 || len(got.Skipped) != 4 {
		t.Fatalf("--skip-invalid: %+v", got)
	}
	for i, name := range []string{"frank", "gina", "hal", "ivy"} {
		if s := got.Skipped[i]; s.Line != i+2 || s.Name != name || !strings.Contains(s.Error, "bcrypt") {
			t.Errorf("skipped[%d] = %+v, want line %d (%s)", i, s, i+2, name)
		}
	}
	e.loginOK("erin", "erin's password")
}

// Passwords, argon2id PHC strings (authctl's own, and with other parameters)
// and bcrypt hashes in one CSV file.
func TestImportMixedHashes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No command prints a stored hash, so make authctl's PHC form with its
	// own hasher: the default parameters, and cheaper ones (an older system).
	phcDefault, err := secret.Hasher{Params: secret.DefaultParams}.Hash("bob's argon2 password")
	if err != nil {
		t.Fatal(err)
	}
	phcCheap, err := secret.Hasher{Params: secret.Params{Memory: 64, Time: 1, Threads: 1}}.Hash("carol's argon2 password")
	if err != nil {
		t.Fatal(err)
	}
	bc := bcryptHash(t, "dave's bcrypt password", "$2y$")
	f := e.importFile("mixed.csv", "name,password,password_hash\n"+
		"alice,alice's plain password,\n"+
		"bob,,\""+phcDefault+"\"\n"+
		"carol,,\""+phcCheap+"\"\n"+
		"dave,,"+bc+"\n")
	r := e.must(0, "", "user", "import", f)
	wantSummary(t, r, 4, 1, 3, 0)
	if e.storedHash("bob") != phcDefault || e.storedHash("carol") != phcCheap || e.storedHash("dave") != bc {
		t.Fatalf("imported hashes were not stored as given")
	}
	e.loginOK("alice", "alice's plain password")
	e.loginOK("bob", "bob's argon2 password")
	e.loginOK("carol", "carol's argon2 password")
	e.loginOK("dave", "dave's bcrypt password")
	// Only the hashes with other parameters or another scheme are replaced.
	if h := e.storedHash("bob"); h != phcDefault {
		t.Errorf("bob's hash with the default parameters was replaced: %s", h)
	}
	for _, name := range []string{"carol", "dave"} {
		if h := e.storedHash(name); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("%s was not re-hashed with the default parameters at login: %s", name, h)
		}
	}

	// An argon2id hash holds commas: unquoted, the line has too many fields,
	// and the message says to quote it.
	r = e.must(2, "name,password_hash\nerin,"+phcDefault+"\n", "user", "import", "-")
	wantStderr(t, r, "line 2: ", "4 fields where the header has 2", "quote")
	e.must(3, "", "user", "show", "erin")
}

// One bad line refuses the whole file: exit 2, the line number (counting
// every physical line, the header and blank lines included), and the
// database byte for byte as it was, or still not created.
func TestImportBadLineRefusesAll(t *testing.T) {
	t.Parallel()
	bc := bcryptHash(t, "a bcrypt password", "$2y$")
	tests := []struct {
		name, file, content string
		args                []string
		msg                 []string
	}{
		{"bad name", "u.csv", "name,password\nalice,correct horse\n\ncarol smith,correct horse\nbob,correct horse\n",
			nil, []string{`line 4 ("carol smith"): user name contains whitespace`}},
		{"empty name", "u.csv", "name,password\nalice,correct horse\n,correct horse\n",
			nil, []string{`line 3: user name is empty`}},
		{"name too long", "u.csv", "name,password\n" + strings.Repeat("x", 65) + ",correct horse\nbob,correct horse\n",
			nil, []string{"line 2 (", "longer than 64 bytes"}},
		{"escape sequence in name", "u.csv", "name,password\nalice,correct horse\nbob\x1b[2J,correct horse\n",
			nil, []string{`line 3 ("bob\x1b[2J"): user name contains a control character`}},
		{"short password", "u.csv", "name,password\nalice,correct horse\nbob,short\n",
			nil, []string{`line 3 ("bob"): password is shorter than 8 characters`}},
		{"both credentials", "u.csv", "name,password,password_hash\nalice,correct horse,\nbob,correct horse," + bc + "\n",
			nil, []string{`line 3 ("bob"): give password or password_hash, not both`}},
		{"bad hash", "u.csv", "name,password_hash\nalice," + bc + "\nbob,$2y$05$short\n",
			nil, []string{`line 3 ("bob"): password_hash is not an argon2id PHC string or a bcrypt hash`}},
		{"field count", "u.csv", "name,password\nalice,correct horse\nbob\ncarol,correct horse\n",
			nil, []string{"line 3: 1 fields where the header has 2"}},
		// A quote error in the first field used to crash authctl (FieldPos).
		{"bare quote", "u.csv", "name,password\nalice,correct horse\nb\"ob,correct horse\ncarol,correct horse\n",
			nil, []string{`line 3: bare " in non-quoted-field`}},
		{"unterminated quote", "u.csv", "name,password\nalice,correct horse\n\"bob,correct horse\ncarol,correct horse\n",
			nil, []string{`line 3: extraneous or missing " in quoted-field (the record starting here runs to line 4)`}},
		{"two problems", "u.csv", "name,password\nalice,short\nbob,correct horse\ncarol,short\n",
			nil, []string{`line 2 ("alice"): password is shorter than 8`, "(and 1 more problem)"}},
		{"jsonl not json", "u.jsonl", `{"name":"alice","password":"correct horse"}` + "\n\n" + `{"name":"bob","password":"correct horse"` + "\n",
			nil, []string{"line 3: not a JSON object"}},
		{"jsonl stray bracket", "u.jsonl", `{"name":"alice","password":"correct horse"}}` + "\n",
			nil, []string{"line 1: text after the JSON object"}},
		{"jsonl no name", "u.jsonl", `{"name":"alice","password":"correct horse"}` + "\n" + `{"password":"correct horse"}` + "\n",
			nil, []string{"line 2: no name"}},
		{"htpasswd sha1", "h", "alice:" + bc + "\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
			[]string{"--format", "htpasswd"}, []string{`line 2 ("bob"): password_hash is not an argon2id PHC string or a bcrypt hash`}},
		{"htpasswd no colon", "h", "alice:" + bc + "\n# comment\nbob\n",
			[]string{"--format", "htpasswd"}, []string{"line 3: expected name:hash"}},
		{"header only", "u.csv", "name,password\n", nil, []string{"holds no users"}},
		{"not a header", "u.csv", "alice,correct horse\n", nil, []string{"CSV header must name the columns name and password"}},
		{"unknown format", "u.csv", "name,password\nalice,correct horse\n", []string{"--format", "xml"}, []string{`unknown --format "xml"`}},
		{"format not detected", "users.txt", "alice correct horse\n", nil, []string{"--format"}},
	}
	// One installation with a user, one with no database yet.
	e := newEnv(t)
	e.addUser("zed", "zed's password")
	fresh := newEnv(t)
	for _, tt := range tests {
		for _, inst := range []*env{e, fresh} {
			before := readFileIfAny(t, inst.db)
			args := append([]string{"user", "import", inst.importFile(tt.file, tt.content)}, tt.args...)
			r := inst.run("", args...)
			if r.code != 2 {
				t.Errorf("%s: want exit 2, got %s", tt.name, r)
				continue
			}
			wantStderr(t, r, tt.msg...)
			if !strings.Contains(r.stderr, "nothing was imported") && strings.Contains(tt.msg[0], "line ") {
				t.Errorf("%s: stderr does not say nothing was imported: %s", tt.name, r)
			}
			if r.stdout != "" {
				t.Errorf("%s: stdout is not empty: %s", tt.name, r)
			}
			if after := readFileIfAny(t, inst.db); !bytes.Equal(before, after) || (before == nil) != (after == nil) {
				t.Errorf("%s: a refused import changed the database (existed before: %v, after: %v)", tt.name, before != nil, after != nil)
			}
		}
	}
	if _, err := os.Stat(fresh.db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused imports created the database: %v", err)
	}
	if got := e.userNames(); !slices.Equal(got, []string{"zed"}) {
		t.Errorf("users after refused imports: %q", got)
	}
}

// --skip-invalid imports every good line, even those after a CSV quoting
// error, and lists each skipped line with its number and why.
func TestImportSkipInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.importFile("users.csv", "name,password\n"+
		"alice,correct horse\n"+ // 2
		"bob smith,correct horse\n"+ // 3
		"\n"+ // 4
		"carol,short\n"+ // 5
		"d\"ave,correct horse\n"+ // 6: quote error
		"erin,erin's password\n"+ // 7
		"frank\n"+ // 8
		"gina,gina's password\n") // 9
	r := e.must(0, "", "user", "import", f, "--skip-invalid")
	wantSummary(t, r, 3, 3, 0, 4)
	wantLines := []string{
		`authctl: skipped line 3 ("bob smith"): user name contains whitespace`,
		`authctl: skipped line 5 ("carol"): password is shorter than 8 characters`,
		`authctl: skipped line 6: bare " in non-quoted-field`,
		`authctl: skipped line 8: 1 fields where the header has 2 (quote values that contain commas, such as argon2id hashes)`,
	}
	if got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); !slices.Equal(got, wantLines) {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(wantLines, "\n"))
	}
	if got, want := e.userNames(), []string{"alice", "erin", "gina"}; !slices.Equal(got, want) {
		t.Errorf("users %q, want %q", got, want)
	}
	e.loginOK("alice", "correct horse")
	e.loginOK("erin", "erin's password")
	e.loginOK("gina", "gina's password")

	// -o json: the same lines, stdout only.
	r = e.must(0, `{"name":"hal","password":"hal's password"}`+"\n"+`{"name":"ivy"}`+"\n"+`{"name":"alice","password":"another password"}`+"\n", "user", "import", "-", "--skip-invalid", "-o", "json")
	if r.stderr != "" {
		t.Errorf("-o json printed on stderr: %s", r)
	}
	got := decodeJSON[importJSON](t, r.stdout)
	if got.Imported != 1 || got.Hashed != 1 || len(got.Skipped) != 2 ||
		got.Skipped[0].Line != 2 || got.Skipped[0].Name != "ivy" || got.Skipped[0].Error != "no password or password_hash" ||
		got.Skipped[1].Line != 3 || got.Skipped[1].Name != "alice" || got.Skipped[1].Error != "user already exists" {
		t.Errorf("-o json: %+v", got)
	}
	e.loginOK("hal", "hal's password")
	e.loginOK("alice", "correct horse") // not overwritten

	// Every line bad: the summary says so, and the exit code tells a script
	// that nothing was imported.
	r = e.must(2, "name,password\njo e,correct horse\n", "user", "import", "-", "--skip-invalid")
	wantSummary(t, r, 0, 0, 0, 1)
	if want := "skipped line 2 (\"jo e\")"; !strings.Contains(r.stderr, want) || !strings.HasSuffix(r.stderr, "\nauthctl: nothing was imported: every line was invalid (1 skipped)\n") {
		t.Errorf("every line skipped: want the skipped line and the failure on stderr; got %s", r)
	}
	r = e.must(0, "name,password\njo,correct horse\n", "user", "import", "-")
	if !strings.HasPrefix(r.stdout, "imported 1 user (") {
		t.Errorf("summary of one user: %q", r.stdout)
	}
}

// A name twice in the file is refused with both line numbers; a name that
// already exists is a conflict (exit 3) and is never overwritten; with
// --skip-invalid both are skipped and listed.
func TestImportDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("alice", "alice's own password")

	// Duplicate inside the file (exit 2: the file is wrong whatever the database holds).
	inFile := "name,password\nbob,bob's password\ncarol,carol's password\n\nbob,bob's other password\n"
	before := readFile(t, e.db)
	r := e.must(2, inFile, "user", "import", "-")
	wantStderr(t, r, `line 5 ("bob"): duplicate of line 2`, "nothing was imported")
	// Against the database: exit 3, nothing imported.
	againstDB := "name,password\ndave,dave's password\nalice,a new password\n"
	r = e.must(3, againstDB, "user", "import", "-")
	wantStderr(t, r, `line 3 ("alice"): user already exists`, "nothing was imported")
	// Both: the file is invalid, so exit 2, and every problem is counted.
	r = e.must(2, inFile+"alice,a new password\n", "user", "import", "-")
	wantStderr(t, r, `line 5 ("bob"): duplicate of line 2 (and 1 more problem)`)
	if !bytes.Equal(before, readFile(t, e.db)) {
		t.Fatalf("refused imports changed the database")
	}

	// --skip-invalid: the first of the duplicate lines wins, the second and
	// the existing user are listed, and alice keeps her password.
	r = e.must(0, inFile+"alice,a new password\n", "user", "import", "-", "--skip-invalid")
	wantSummary(t, r, 2, 2, 0, 2)
	wantStderr(t, r, `authctl: skipped line 5 ("bob"): duplicate of line 2`, `authctl: skipped line 6 ("alice"): user already exists`)
	e.loginOK("bob", "bob's password")
	e.must(1, "bob's other password\n", "login", "bob", "--password-stdin")
	e.loginOK("alice", "alice's own password")
	e.must(1, "a new password\n", "login", "alice", "--password-stdin")
	if got, want := e.userNames(), []string{"alice", "bob", "carol"}; !slices.Equal(got, want) {
		t.Errorf("users %q, want %q", got, want)
	}
	// Importing the same file again: every line conflicts.
	r = e.must(3, "name,password\nbob,bob's password\ncarol,carol's password\n", "user", "import", "-")
	wantStderr(t, r, `line 2 ("bob"): user already exists (and 1 more problem)`)
}

// An imported bcrypt user logs in and is moved to argon2id with the default
// parameters; a failed login does not touch the hash, and the new hash
// works for the next login.
func TestImportBcryptRehash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const pw = "an old htpasswd password"
	bc := bcryptHash(t, pw, "$2y$")
	e.must(0, "alice:"+bc+"\n", "user", "import", "-", "--format", "htpasswd")
	if h := e.storedHash("alice"); h != bc {
		t.Fatalf("stored %q, want the imported bcrypt hash", h)
	}
	e.must(1, "not the password\n", "login", "alice", "--password-stdin")
	if h := e.storedHash("alice"); h != bc {
		t.Fatalf("a failed login replaced the hash: %q", h)
	}
	e.loginOK("alice", pw)
	h := e.storedHash("alice")
	ph, err := secret.ParsePHC(h)
	if err != nil || !strings.HasPrefix(h, "$argon2id$") || ph.Params != secret.DefaultParams || len(ph.Salt) != 16 || len(ph.Key) != 32 {
		t.Fatalf("after a successful login the hash is %q (%v), want argon2id m=19456,t=2,p=1 with a 16-byte salt and 32-byte key", h, err)
	}
	if strings.Contains(h, pw) {
		t.Fatalf("the password is in the stored hash")
	}
	// The argon2id hash verifies the same password, and is kept.
	e.loginOK("alice", pw)
	if h2 := e.storedHash("alice"); h2 != h {
		t.Errorf("the argon2id hash was replaced again at the next login")
	}
	e.must(1, "not the password\n", "login", "alice", "--password-stdin")
}

// The summary: counts on stdout (text or -o json), nothing on stderr when
// it is not a terminal, and one audit entry per batch written.
func TestImportSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bc := bcryptHash(t, "bcrypt password", "$2y$")
	f := e.importFile("users.csv", "name,password,password_hash\nalice,alice's password,\nbob,bob's password,\ncarol,,"+bc+"\n")
	r := e.must(0, "", "user", "import", f)
	wantSummary(t, r, 3, 2, 1, 0)
	if r.stderr != "" {
		t.Errorf("stderr not empty (a progress bar without a terminal?): %s", r)
	}

	r = e.must(0, `{"name":"dave","password":"dave's password"}`+"\n"+`{"name":"erin","password_hash":"`+bc+`"}`+"\n", "user", "import", "-", "-o", "json")
	if r.stderr != "" {
		t.Errorf("stderr not empty: %s", r)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &fields); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"from_hash", "hashed", "imported", "seconds", "skipped"}; !slices.Equal(keys, want) {
		t.Errorf("-o json keys %q, want %q", keys, want)
	}
	if string(fields["skipped"]) != "[]" {
		t.Errorf(`"skipped" is %s, want [] (not null) when nothing was skipped`, fields["skipped"])
	}
	got := decodeJSON[importJSON](t, r.stdout)
	if got.Imported != 2 || got.Hashed != 1 || got.FromHash != 1 || got.Seconds <= 0 || got.Seconds > 60 {
		t.Errorf("-o json: %+v", got)
	}
	n := 0
	for _, ev := range e.audit() {
		if ev.Event == "user.import" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d user.import audit entries for two small imports, want 2", n)
	}
}

// Writes go in batches of short transactions: a file of more than one
// batch (5000 users) is written in two, each audited.
func TestImportBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bc := bcryptHash(t, "shared password", "$2y$")
	var b strings.Builder
	const n = 5001
	for i := range n {
		fmt.Fprintf(&b, "user%05d:%s\n", i, bc)
	}
	r := e.must(0, b.String(), "user", "import", "-", "--format", "htpasswd", "-o", "json")
	if got := decodeJSON[importJSON](t, r.stdout); got.Imported != n || got.FromHash != n {
		t.Fatalf("imported %+v, want %d", got, n)
	}
	var details []string
	for _, ev := range e.audit() {
		if ev.Event == "user.import" {
			details = append(details, ev.Detail)
		}
	}
	slices.Sort(details)
	if want := []string{"1 user", "5000 users"}; !slices.Equal(details, want) {
		t.Errorf("user.import audit details %q, want one per batch %q", details, want)
	}
	if len(e.userNames()) != n {
		t.Errorf("user list does not show %d users", n)
	}
	e.loginOK("user05000", "shared password")
}

// With stderr on a terminal, a progress bar is drawn there; the summary
// still goes to stdout.
func TestImportProgressBar(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	var csv strings.Builder
	csv.WriteString("name,password\n")
	for i := range 4 {
		fmt.Fprintf(&csv, "user%d,password number %d\n", i, i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.command(ctx, "user", "import", "-")
	c.Stdin = strings.NewReader(csv.String())
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, tty
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var termOut bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&termOut, ptmx) // ends with EIO once the process is gone
		close(done)
	}()
	err = c.Wait()
	<-done
	r := exitResult(t, []string{"user", "import", "-"}, out.String(), termOut.String(), err)
	if r.code != 0 {
		t.Fatalf("import with stderr on a terminal: %s", r)
	}
	wantSummary(t, r, 4, 4, 0, 0)
	if !strings.Contains(termOut.String(), "importing") || !strings.Contains(termOut.String(), "/8") {
		t.Errorf("no progress bar on the terminal: %q", termOut.String())
	}
}

// Standard input larger than what an import keeps in memory is kept in a
// spool in $TMPDIR, sealed and without a name, and imported as a file is:
// checked whole first (a bad line near the end imports nothing), written
// in batches, skipped lines listed as from a file. Nothing is left in
// $TMPDIR, whatever the outcome.
func TestImportLargeStandardInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tmp := t.TempDir()
	e.setenv("TMPDIR=" + tmp)
	noSpool := func(what string) {
		t.Helper()
		if ents, err := os.ReadDir(tmp); err != nil || len(ents) > 0 {
			t.Errorf("%s: $TMPDIR holds %v (%v)", what, ents, err)
		}
	}
	hash, err := secret.Hasher{Params: secret.DefaultParams}.Hash("a stored password")
	if err != nil {
		t.Fatal(err)
	}
	const n = 50000 // 5.6 MB, ten batches
	var b strings.Builder
	b.WriteString("name,password_hash\n")
	for i := range n {
		fmt.Fprintf(&b, "user%05d,%q\n", i, hash)
	}
	good := b.String()
	e.addUser("zed", "zed's password")

	before := readFileIfAny(t, e.db)
	bad := strings.Replace(good, `user49990,"`, `user49990,"x`, 1)
	r := e.must(2, bad, "user", "import", "-")
	wantStderr(t, r, `line 49992 ("user49990"): password_hash is not an argon2id PHC string or a bcrypt hash; nothing was imported`)
	if !bytes.Equal(before, readFileIfAny(t, e.db)) {
		t.Error("a refused import from standard input changed the database")
	}
	noSpool("refused import")

	r = e.must(0, good, "user", "import", "-")
	wantSummary(t, r, n, 0, n, 0)
	noSpool("import")
	batches := 0
	for _, ev := range e.audit() {
		if ev.Event == "user.import" && ev.Detail == "5000 users" {
			batches++
		}
	}
	if batches != n/5000 {
		t.Errorf("%d batches of 5000 audited, want %d", batches, n/5000)
	}
	e.loginOK("user49999", "a stored password")

	// Again: every line is a user that exists, listed in line order, as
	// an import of the same file lists them.
	r = e.must(2, good, "user", "import", "-", "--skip-invalid", "-o", "json")
	noSpool("import of users that exist")
	got := decodeJSON[importJSON](t, r.stdout)
	if got.Imported != 0 || len(got.Skipped) != n {
		t.Fatalf("imported %d, skipped %d; want 0 and %d", got.Imported, len(got.Skipped), n)
	}
	for i, s := range got.Skipped {
		if s.Line != i+2 || s.Name != fmt.Sprintf("user%05d", i) || s.Error != "user already exists" {
			t.Fatalf("skipped[%d] = %+v", i, s)
		}
	}
	fromFile := e.must(2, "", "user", "import", e.importFile("users.csv", good), "--skip-invalid", "-o", "json")
	if f := decodeJSON[importJSON](t, fromFile.stdout); !slices.Equal(f.Skipped, got.Skipped) || fromFile.stderr != r.stderr {
		t.Errorf("standard input and a file list different skipped lines:\n%s\n%s", r, fromFile)
	}

	// Where $TMPDIR cannot hold it, a large input is refused with what to
	// do; a small one is still kept in memory.
	e.setenv("TMPDIR=" + filepath.Join(tmp, "missing"))
	r = e.must(4, good, "user", "import", "-", "--skip-invalid")
	wantStderr(t, r, "cannot keep standard input in "+filepath.Join(tmp, "missing")+" for the import", "set TMPDIR")
	e.must(0, "name,password\nyann,yann's long password\n", "user", "import", "-")
}
