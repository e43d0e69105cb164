package account

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/secret"
)

// A name that another process takes between the check of the file and the
// write of its batch is skipped, not overwritten, and reported; the rest is
// imported and counted.
func TestImportNameTakenMeanwhile(t *testing.T) {
	f := newFixture(t)
	recs := []importer.Record{
		{Line: 2, Name: "ann", Password: "ann's password"},
		{Line: 3, Name: "ben", Password: "ben's password"},
		{Line: 4, Name: "cat", Password: "cat's password"},
	}
	var once sync.Once
	opt := ImportOptions{Workers: 1, Progress: func(int, int) {
		// Called while hashing, after the file was checked and before
		// anything is written: another admin adds ben now.
		once.Do(func() { f.addUser("ben", "the other ben's password") })
	}}
	res, err := f.svc.Import(recs, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Skipped != 1 || skippedOf(t, res)[0].Line != 3 || skippedOf(t, res)[0].Err != "user already exists" {
		t.Fatalf("result %+v", res)
	}
	if res.Hashed != 2 {
		t.Errorf("hashed %d, want 2: the skipped user is not counted", res.Hashed)
	}
	if _, err := f.login("ben", "the other ben's password", ""); err != nil {
		t.Errorf("the other ben was overwritten: %v", err)
	}
	if _, err := f.login("cat", "cat's password", ""); err != nil {
		t.Errorf("cat was not imported: %v", err)
	}
}

// Names are stored normalised, so two spellings of one name in a file are
// a duplicate, and a name refused by PRECIS is reported as at the command
// line.
func TestImportNormalisesNames(t *testing.T) {
	f := newFixture(t)
	recs := []importer.Record{
		{Line: 2, Name: "ré.sumé", Password: "first password"},
		{Line: 3, Name: "re\u0301.sume\u0301", Password: "second password"},
		{Line: 4, Name: "ａｎｎ", Password: "ann's password"},
		{Line: 5, Name: "ghost\u3164", Password: "ghost's password"},
	}
	res, err := f.svc.Import(recs, nil, ImportOptions{Workers: 1, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Skipped != 2 {
		t.Fatalf("result %+v", res)
	}
	if p := skippedOf(t, res)[0]; p.Line != 3 || p.Err != "duplicate of line 2" {
		t.Errorf("second spelling: %+v", p)
	}
	if p := skippedOf(t, res)[1]; p.Line != 5 || !strings.Contains(p.Err, "invisible") {
		t.Errorf("invisible name: %+v", p)
	}
	var names []string
	if err := f.svc.EachUser(func(u UserView) error { names = append(names, u.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ann", "ré.sumé"}; !slices.Equal(names, want) {
		t.Errorf("stored %+q, want %+q", names, want)
	}
	if _, err := f.login("ré.sumé", "first password", ""); err != nil {
		t.Errorf("the first spelling's password: %v", err)
	}
}

// Plain passwords in an import are checked against the list of common
// passwords and the user's own name (NIST SP 800-63B §5.1.1.2), reported
// line by line like any other bad password; hashes cannot be checked and
// are taken as they are.
func TestImportRefusesCommonPasswords(t *testing.T) {
	f := newFixture(t)
	recs := []importer.Record{
		{Line: 2, Name: "ann", Password: "ann's password"},
		{Line: 3, Name: "ben", Password: "password123"},
		{Line: 4, Name: "cat", Password: "Qwertyuiop"},
		{Line: 5, Name: "dominique", Password: "DOMINIQUE"},
		{Line: 6, Name: "eve", Password: "AuthCtl1"},
	}
	_, err := f.svc.Import(recs, nil, ImportOptions{Workers: 1})
	wantKind(t, "import with common passwords", err, apperr.Invalid, "line 3")
	if !strings.Contains(err.Error(), "most commonly used") || !strings.Contains(err.Error(), "and 2 more problems") {
		t.Errorf("error %q", err)
	}
	if _, err := f.svc.user("ann"); err == nil {
		t.Error("ann was imported although the file had bad lines")
	}

	res, err := f.svc.Import(recs, nil, ImportOptions{Workers: 1, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range skippedOf(t, res) {
		got = append(got, fmt.Sprintf("%d %s: %s", p.Line, p.Name, p.Err))
	}
	want := []string{
		"3 ben: " + secret.ErrCommonPassword.Error(),
		"4 cat: " + secret.ErrCommonPassword.Error(),
		"5 dominique: " + secret.ErrContextPassword.Error(),
	}
	if res.Imported != 2 || !slices.Equal(got, want) {
		t.Errorf("imported %d, skipped %q; want 2 and %q", res.Imported, got, want)
	}
}

// Records and problems in memory are handed over in line order, as a file
// is read, whatever order the problems came in.
func TestSliceSourceInLineOrder(t *testing.T) {
	recs := []importer.Record{{Line: 2, Name: "ann"}, {Line: 5, Name: "ben"}}
	probs := []importer.Problem{{Line: 7, Err: "long"}, {Line: 3, Err: "bad"}, {Line: 1, Err: "header"}}
	var got []int
	err := SliceSource(recs, probs)(func(r importer.Record) { got = append(got, r.Line) }, func(p importer.Problem) { got = append(got, p.Line) })
	if err != nil || !slices.Equal(got, []int{1, 2, 3, 5, 7}) {
		t.Errorf("lines %v, %v; want 1 2 3 5 7", got, err)
	}
}
