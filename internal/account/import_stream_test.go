package account

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/importer"
)

// streamFile writes a CSV of n users with stored hashes, user0002 on line 2
// and so on, with edit changing a line's text by its number, and returns
// an ImportSource that reads it from the disk on each call and counts the
// calls.
func streamFile(t *testing.T, f *fixture, n int, edit func(line int, text string) string) (ImportSource, *int) {
	t.Helper()
	hash, err := f.svc.Hasher.Hash("a stored password")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	var b strings.Builder
	b.WriteString("name,password_hash\n")
	for line := 2; line < n+2; line++ {
		text := fmt.Sprintf("user%04d,%q", line, hash)
		if edit != nil {
			text = edit(line, text)
		}
		b.WriteString(text + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	calls := 0
	return func(rec func(importer.Record), prob func(importer.Problem)) error {
		calls++
		file, err := os.Open(path)
		if err != nil {
			return err
		}
		defer file.Close()
		return importer.Scan(bufio.NewReader(file), importer.CSV, importer.Options{}, rec, prob)
	}, &calls
}

func (f *fixture) userCount() int {
	f.t.Helper()
	n := 0
	if err := f.svc.EachUser(func(UserView) error { n++; return nil }); err != nil && !isNoDatabase(err) {
		f.t.Fatal(err)
	}
	return n
}

// A streamed import reads the file twice and writes it batch by batch, and
// behaves as one that holds the file: one bad line far into the file, past
// several batches, imports nothing; --skip-invalid imports the rest;
// duplicates are found across batches and existing users are reported.
func TestImportStreamsBatches(t *testing.T) {
	const n = 3000
	bad := func(line int, text string) string {
		switch line {
		case 2900:
			return "user2900,not-a-hash"
		case 2500: // a duplicate of line 10, four batches later
			return strings.Replace(text, "user2500", "user0010", 1)
		}
		return text
	}

	f := newFixture(t)
	src, calls := streamFile(t, f, n, bad)
	_, err := f.svc.ImportFrom(src, ImportOptions{Workers: 2, BatchSize: 500})
	wantKind(t, "import with a bad line", err, apperr.Invalid, "line 2500")
	if !strings.Contains(err.Error(), "and 1 more problem") {
		t.Errorf("error %q", err)
	}
	if got := f.userCount(); got != 0 {
		t.Errorf("%d users imported from a file with bad lines, want none", got)
	}
	if *calls != 2 {
		// Once to check it, once more for the duplicate's name.
		t.Errorf("a refused file was read %d times, want twice", *calls)
	}

	f.addUser("user1234", "an existing user's password")
	total := 0
	res, err := f.svc.ImportFrom(src, ImportOptions{Workers: 2, BatchSize: 500, SkipInvalid: true,
		Progress: func(_, t int) { total = t }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Skipped {
		got = append(got, fmt.Sprintf("%d %s: %s", p.Line, p.Name, p.Err))
	}
	want := []string{
		"1234 user1234: user already exists",
		"2500 user0010: duplicate of line 10",
		"2900 user2900: password_hash is not an argon2id PHC string or a bcrypt hash",
	}
	if !slices.Equal(got, want) {
		t.Errorf("skipped %q, want %q", got, want)
	}
	if res.Imported != n-3 || res.FromHash != n-3 || res.Hashed != 0 {
		t.Errorf("result %+v, want %d imported from hashes", res, n-3)
	}
	if total != 2*(n-3) {
		t.Errorf("progress total %d, want %d", total, 2*(n-3))
	}
	if got := f.userCount(); got != n-2 {
		t.Errorf("%d users in the database, want %d", got, n-2)
	}
	if _, err := f.login("user1234", "an existing user's password", ""); err != nil {
		t.Errorf("the existing user was overwritten: %v", err)
	}
	if _, err := f.login("user2999", "a stored password", ""); err != nil {
		t.Errorf("the last line's user: %v", err)
	}
}

// A name that another process takes while earlier batches are written is
// skipped and reported when its batch is written; the other batches are
// imported.
func TestImportStreamNameTakenDuringWrite(t *testing.T) {
	const n = 2000
	f := newFixture(t)
	src, calls := streamFile(t, f, n, nil)
	taken := false
	opt := ImportOptions{Workers: 2, BatchSize: 500, Progress: func(done, _ int) {
		// The first batch is hashed and written (2 × 500 steps): another
		// admin adds a user of the last batch now.
		if done > 1000 && !taken {
			taken = true
			f.addUser("user1990", "the other user's password")
		}
	}}
	res, err := f.svc.ImportFrom(src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != n-1 || len(res.Skipped) != 1 || res.Skipped[0].Line != 1990 || res.Skipped[0].Err != "user already exists" {
		t.Fatalf("result: imported %d, skipped %+v", res.Imported, res.Skipped)
	}
	if *calls != 2 {
		t.Errorf("the file was read %d times, want twice", *calls)
	}
	if _, err := f.login("user1990", "the other user's password", ""); err != nil {
		t.Errorf("the other process's user was overwritten: %v", err)
	}
	if got := f.userCount(); got != n {
		t.Errorf("%d users in the database, want %d", got, n)
	}
}
