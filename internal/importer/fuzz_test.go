package importer_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/migrate"
	"github.com/authctl/authctl/internal/secret"
)

var fuzzFormats = []string{importer.CSV, importer.JSONL, importer.Htpasswd}

// seedParse adds every table input in every format, so each parser also
// starts from the other formats' files.
func seedParse(f *testing.F) {
	for _, tc := range parseCases {
		for i := range fuzzFormats {
			f.Add([]byte(tc.in), uint8(i))
			f.Add([]byte(tc.in), uint8(128+i)) // FuzzImport: with SkipInvalid
		}
	}
}

// physicalLines counts the lines of in as an editor numbers them.
func physicalLines(in []byte) int {
	n := bytes.Count(in, []byte("\n"))
	if len(in) > 0 && in[len(in)-1] != '\n' {
		n++
	}
	return n
}

// FuzzParse: no input makes a parser panic; every record has exactly one
// credential (htpasswd: a hash), a valid TOTP secret or none, and every
// record and problem a line number
// inside the file, records in file order, no line both a record and a problem.
func FuzzParse(f *testing.F) {
	seedParse(f)
	f.Fuzz(func(t *testing.T, in []byte, fi uint8) {
		format := fuzzFormats[int(fi)%len(fuzzFormats)]
		recs, probs, err := importer.Parse(bytes.NewReader(in), format)
		if err != nil {
			if recs != nil || probs != nil {
				t.Fatalf("%s: error %v with %d records and %d problems", format, err, len(recs), len(probs))
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("%s: error is not one line: %q", format, err)
			}
			return
		}
		lines := physicalLines(in)
		seen := map[int]bool{}
		last := 0
		for _, r := range recs {
			if (r.Password == "") == (r.Hash == "") {
				t.Fatalf("%s: record %+v does not have exactly one of password and hash", format, r)
			}
			if format == importer.Htpasswd && r.Password != "" {
				t.Fatalf("htpasswd record %+v has a plain password", r)
			}
			// A TOTP secret is valid and normalised, or absent.
			if r.TOTPSecret != "" {
				if s, _, err := migrate.NormalizeSecret(r.TOTPSecret, false); err != nil || s != r.TOTPSecret {
					t.Fatalf("%s: record at line %d has TOTP secret %q: %q, %v", format, r.Line, r.TOTPSecret, s, err)
				}
			}
			for _, w := range r.Warnings {
				if w == "" || strings.ContainsAny(w, "\r\n") {
					t.Fatalf("%s: warning is not one line: %q", format, w)
				}
			}
			if r.Line < 1 || r.Line > lines || r.Line <= last {
				t.Fatalf("%s: record at line %d (after line %d) in a file of %d lines", format, r.Line, last, lines)
			}
			last = r.Line
			seen[r.Line] = true
		}
		for _, p := range probs {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("%s: problem %q at line %d in a file of %d lines", format, p, p.Line, lines)
			}
			if seen[p.Line] {
				t.Fatalf("%s: line %d is both a record and a problem (%q)", format, p.Line, p)
			}
			if p.Err == "" || !strings.HasPrefix(p.String(), "line ") {
				t.Fatalf("%s: problem %#v does not say what is wrong", format, p)
			}
		}
	})
}

// FuzzImport: a file that passes the parser and account.Import together
// only ever stores users with a valid name and a hash authctl can verify,
// each from exactly one line of the file. Without --skip-invalid an import
// is all or nothing; with it, every line is either imported or listed.
func FuzzImport(f *testing.F) {
	seedParse(f)
	f.Fuzz(func(t *testing.T, in []byte, fi uint8) {
		format := fuzzFormats[int(fi)%len(fuzzFormats)]
		skip := fi >= 128
		recs, probs, err := importer.Parse(bytes.NewReader(in), format)
		if err != nil {
			return
		}
		svc, st := importFixture(t)
		res, err := svc.Import(recs, probs, account.ImportOptions{SkipInvalid: skip, Workers: 2, BatchSize: 3})
		users := storedUsers(t, st)
		if err != nil {
			if k := apperr.KindOf(err); k != apperr.Invalid && k != apperr.Conflict {
				t.Fatalf("Import: %v of kind %v", err, k)
			}
			if skip {
				t.Fatalf("Import with SkipInvalid failed: %v", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "line ") || strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
				t.Fatalf("Import error is not one printable line naming a line: %q", msg)
			}
			if len(users) != 0 {
				t.Fatalf("a refused import stored %d users", len(users))
			}
			return
		}
		var skipped []importer.Problem
		if err := res.EachSkipped(func(p importer.Problem) error { skipped = append(skipped, p); return nil }); err != nil || len(skipped) != res.Skipped {
			t.Fatalf("listed %d of %d skipped lines: %v", len(skipped), res.Skipped, err)
		}
		if !skip && (len(probs) > 0 || res.Skipped > 0 || res.Imported != len(recs)) {
			t.Fatalf("Import without SkipInvalid succeeded with %d problems, %d skipped, %d of %d imported", len(probs), res.Skipped, res.Imported, len(recs))
		}
		if res.Imported != len(users) || res.Imported != res.Hashed+res.FromHash {
			t.Fatalf("result %+v, but %d users stored", res, len(users))
		}
		if res.Imported+res.Skipped != len(recs)+len(probs) {
			t.Fatalf("%d imported + %d skipped != %d records + %d problems", res.Imported, res.Skipped, len(recs), len(probs))
		}
		if !slices.IsSortedFunc(skipped, func(a, b importer.Problem) int { return a.Line - b.Line }) {
			t.Fatalf("skipped lines out of order: %v", skipped)
		}
		byName := map[string][]importer.Record{}
		for _, r := range recs {
			byName[r.Name] = append(byName[r.Name], r)
		}
		for name, u := range users {
			if err := account.CheckName(name); err != nil {
				t.Fatalf("stored user %q: %v", name, err)
			}
			if err := secret.CheckHash(u.PasswordHash); err != nil {
				t.Fatalf("stored user %q has hash %q: %v", name, u.PasswordHash, err)
			}
			// The credential comes from one of the name's lines (the first
			// valid one; the parser does not know which that is).
			from := 0
			for _, r := range byName[name] {
				if r.Hash != "" && u.PasswordHash == r.Hash {
					from = r.Line
				} else if _, err := svc.Hasher.Verify(u.PasswordHash, r.Password); r.Password != "" && err == nil {
					from = r.Line
				}
			}
			if from == 0 {
				t.Fatalf("stored user %q has a credential from no line of the file (%d lines name it)", name, len(byName[name]))
			}
		}
	})
}
