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

// skippedOf lists the lines an import skipped.
func skippedOf(t *testing.T, res ImportResult) []importer.Problem {
	t.Helper()
	var probs []importer.Problem
	if err := res.EachSkipped(func(p importer.Problem) error { probs = append(probs, p); return nil }); err != nil {
		t.Fatalf("listing the skipped lines: %v", err)
	}
	if len(probs) != res.Skipped {
		t.Fatalf("%d skipped lines listed, the result counts %d", len(probs), res.Skipped)
	}
	return probs
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
	for _, p := range skippedOf(t, res) {
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
	if res.Imported != n-1 || res.Skipped != 1 || skippedOf(t, res)[0].Line != 1990 || skippedOf(t, res)[0].Err != "user already exists" {
		t.Fatalf("result: imported %d, skipped %+v", res.Imported, skippedOf(t, res))
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

// Past a budget, the problems of the skipped lines are not held in memory
// but worded again from a new read of the file, and come out as held ones
// do: the same lines, names and messages, in line order, whatever their
// kind, and the refusal names the same first line.
func TestImportSkippedReworded(t *testing.T) {
	const n = 1200
	bad := func(line int, text string) string {
		switch {
		case line == 7:
			return "user0007,short" // not a hash
		case line == 1000: // a duplicate of line 10, four batches later
			return strings.Replace(text, "user1000", "user0010", 1)
		case line == 1100:
			return "user1100" // one field
		case line == 1150:
			return "user\u3164,\"x\"" // an invisible name
		}
		return text
	}
	// Every third user exists, as in a re-run of an import.
	var existing []importer.Record
	for line := 2; line < n+2; line += 3 {
		existing = append(existing, importer.Record{Line: line, Name: fmt.Sprintf("user%04d", line), Password: "an existing user's password"})
	}
	type outcome struct {
		res     ImportResult
		skipped []importer.Problem
		calls   int
		err     error
	}
	run := func(budget int, edit func(int, string) string, exist []importer.Record, opt ImportOptions) outcome {
		t.Helper()
		old := heldBudget
		heldBudget = budget
		defer func() { heldBudget = old }()
		f := newFixture(t)
		if _, err := f.svc.Import(exist, nil, ImportOptions{Workers: 2}); err != nil {
			t.Fatal(err)
		}
		src, calls := streamFile(t, f, n, edit)
		opt.Workers, opt.BatchSize = 2, 200
		res, err := f.svc.ImportFrom(src, opt)
		o := outcome{res: res, calls: *calls, err: err}
		if err == nil {
			o.skipped = skippedOf(t, res)
			o.calls = *calls
		}
		return o
	}
	// Held and reworded alike. A duplicate's name is not held, so with one
	// the file is read again whatever the budget.
	noDup := func(line int, text string) string {
		if line == 1000 {
			return text
		}
		return bad(line, text)
	}
	for _, tt := range []struct {
		edit func(int, string) string
		dup  bool
	}{{noDup, false}, {bad, true}} {
		held := run(1<<30, tt.edit, existing, ImportOptions{SkipInvalid: true})
		reworded := run(1000, tt.edit, existing, ImportOptions{SkipInvalid: true})
		if held.err != nil || reworded.err != nil {
			t.Fatal(held.err, reworded.err)
		}
		if !slices.Equal(held.skipped, reworded.skipped) || held.res.Imported != reworded.res.Imported || held.res.Imported != n-len(held.skipped) {
			t.Errorf("reworded problems differ from held ones:\n%v\n%v", reworded.skipped, held.skipped)
		}
		if reworded.calls != 3 {
			t.Errorf("the file was read %d times, want 3 (check, write, list)", reworded.calls)
		}
		if !tt.dup && held.calls != 2 {
			t.Errorf("the file was read %d times, want twice (check, write): the problems were held", held.calls)
		}
	}
	reworded := run(1000, bad, existing, ImportOptions{SkipInvalid: true})
	var got []string
	exist := 0
	for _, p := range reworded.skipped {
		if p.Err == "user already exists" && p.Name == fmt.Sprintf("user%04d", p.Line) {
			exist++
			continue
		}
		got = append(got, fmt.Sprintf("%d %s: %s", p.Line, p.Name, p.Err))
	}
	want := []string{
		"7 user0007: password_hash is not an argon2id PHC string or a bcrypt hash",
		"1000 user0010: duplicate of line 10",
		"1100 : 1 fields where the header has 2 (quote values that contain commas, such as argon2id hashes)",
		"1150 user\u3164: user name contains an invisible or bidi-control character",
	}
	// Line 1100, of a user that exists, is not a CSV record.
	if !slices.Equal(got, want) || exist != len(existing)-1 || reworded.skipped[0].Line != 2 || reworded.skipped[1].Line != 5 {
		t.Errorf("skipped %q and %d users that exist; want %q and %d", got, exist, want, len(existing)-1)
	}

	// Refused: the first line's problem, without reading the file again
	// when it is a user that exists or a bad line.
	o := run(1000, bad, existing, ImportOptions{})
	wantKind(t, "import over existing users", o.err, apperr.Invalid, fmt.Sprintf(`line 2 ("user0002"): user already exists (and %d more problems)`, len(existing)+2))
	if o.calls != 1 {
		t.Errorf("a refused file was read %d times, want once", o.calls)
	}
	o = run(1000, bad, existing[3:], ImportOptions{})
	wantKind(t, "import with a bad line", o.err, apperr.Invalid, `line 7 ("user0007"): password_hash is not`)
	if o.calls != 1 {
		t.Errorf("a refused file was read %d times, want once", o.calls)
	}
	o = run(1000, nil, existing, ImportOptions{})
	wantKind(t, "import of users that exist", o.err, apperr.Conflict, `line 2 ("user0002"): user already exists`)
}

// The skipped lines are listed from the file after the import: a file
// changed meanwhile is an error, not a wrong list.
func TestImportSkippedFileChanged(t *testing.T) {
	old := heldBudget
	heldBudget = 100
	defer func() { heldBudget = old }()
	f := newFixture(t)
	src, _ := streamFile(t, f, 50, func(line int, text string) string {
		if line%10 == 0 {
			return fmt.Sprintf("user%04d,bad", line)
		}
		return text
	})
	res, err := f.svc.ImportFrom(src, ImportOptions{Workers: 1, SkipInvalid: true})
	if err != nil || res.Imported != 45 || res.Skipped != 5 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	skippedOf(t, res) // the same file: listed
	f2 := newFixture(t)
	changed, _ := streamFile(t, f2, 50, nil)
	res.skips.src = changed
	err = res.EachSkipped(func(importer.Problem) error { return nil })
	wantKind(t, "listing from a changed file", err, apperr.Invalid, "changed")
}
