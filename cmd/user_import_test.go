package cmd

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/store"
)

// The JSON summary is written a skipped line at a time, byte for byte as
// encoding importSummary whole would write it: the same field order, the
// same escaping (none of "<", ">" or "&"), the empty list as [].
func TestImportJSONStreamed(t *testing.T) {
	svc := account.New(store.New(store.Options{Path: filepath.Join(t.TempDir(), "a.db"), LockTimeout: time.Second, Create: true}),
		&account.Keyring{Path: filepath.Join(t.TempDir(), "key")})
	for _, tt := range []struct {
		recs  []importer.Record
		probs []importer.Problem
	}{
		{},
		{
			recs: []importer.Record{
				{Line: 2, Name: "<b>&amp;\"é\u2028", Password: "short"},
				{Line: 4, Name: "bob", Hash: "$argon2id$nope"},
			},
			probs: []importer.Problem{{Line: 3, Err: `bare " in non-quoted-field`}},
		},
	} {
		res, err := svc.Import(tt.recs, tt.probs, account.ImportOptions{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		elapsed := 1234567 * time.Microsecond
		sum := importSummary{Imported: res.Imported, Hashed: res.Hashed, FromHash: res.FromHash, Skipped: []importSkipJSON{}, Seconds: elapsed.Seconds()}
		err = res.EachSkipped(func(p importer.Problem) error {
			sum.Skipped = append(sum.Skipped, importSkipJSON{Line: p.Line, Name: p.Name, Error: p.Err})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got, want bytes.Buffer
		if err := writeJSON(&want, sum); err != nil {
			t.Fatal(err)
		}
		if err := writeImportJSON(&got, res, elapsed); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed JSON\n%s\nwant\n%s", got.String(), want.String())
		}
	}
}
