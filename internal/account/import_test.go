package account

import (
	"sync"
	"testing"

	"github.com/authctl/authctl/internal/importer"
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
	if res.Imported != 2 || len(res.Skipped) != 1 || res.Skipped[0].Line != 3 || res.Skipped[0].Err != "user already exists" {
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
