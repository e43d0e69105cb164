package cmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/term"
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

// Standard input past what is kept in memory goes through a spool in
// $TMPDIR, which has no name from the start and is closed when the import
// ends, whether it imported or refused the file: nothing is left in the
// directory and no descriptor stays open on it.
func TestImportStdinSpoolLeavesNothing(t *testing.T) {
	configEnv(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	hash := "$argon2id$v=19$m=19456,t=2,p=1$Uut8kCht0SogsqpOTxNaNg$Jzx4rVzvjBpfdxqJ52d91XyZJcqKl/hDhLWAM+YPk4M"
	var b strings.Builder
	b.WriteString("name,password_hash\n")
	const n = 12000 // past stdinInMemory, across batches
	for i := range n {
		fmt.Fprintf(&b, "user%05d,%q\n", i, hash)
	}
	good := b.String()
	if len(good) <= stdinInMemory {
		t.Fatalf("the input (%d bytes) stays in memory", len(good))
	}
	bad := strings.Replace(good, "user11990,", "user 11990,", 1)
	db := filepath.Join(dir, "a.db")
	run := func(stdin string, want int) string {
		t.Helper()
		io, out, errb := term.Test(stdin, false)
		code := RunAt([]string{"--db", db, "--key-file", filepath.Join(dir, "key"), "user", "import", "-"}, io, time.Now)
		if code != want {
			t.Fatalf("import: exit %d, want %d\n%s%s", code, want, out, errb)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			t.Errorf("%s left in $TMPDIR", ents[0].Name())
		}
		if fds := openIn(t, tmp); len(fds) > 0 {
			t.Errorf("descriptors left open on the spool: %q", fds)
		}
		return errb.String()
	}
	if msg := run(bad, ExitUsage); !strings.Contains(msg, `line 11992 ("user 11990"): user name contains whitespace; nothing was imported`) {
		t.Errorf("refused import: %q", msg)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused import made the database: %v", err)
	}
	run(good, ExitOK)
	run(good, ExitConflict) // every user exists
}

// openIn lists the descriptors of this process open on files in dir (or
// once in it, and removed since), where the system tells.
func openIn(t *testing.T, dir string) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var open []string
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open
}
