// Package importer reads the files `authctl user import` accepts: CSV with a
// header, JSON lines, and Apache htpasswd files with bcrypt hashes. CSV and
// JSON lines may also carry each user's TOTP secret (totp_secret), so a
// user base moves with its authenticators.
package importer

import (
	"github.com/authctl/authctl/internal/apperr"

	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/authctl/authctl/internal/migrate"
)

// Formats.
const (
	Auto     = "auto"
	CSV      = "csv"
	JSONL    = "jsonl"
	Htpasswd = "htpasswd"
)

// Formats lists the valid --format values.
var Formats = []string{Auto, CSV, JSONL, Htpasswd}

// Record is one user to import: exactly one of Password and Hash is set by
// a well-formed line (the caller validates the values). TOTPSecret, when
// set, is a valid secret already normalised by migrate.NormalizeSecret.
type Record struct {
	Line       int
	Name       string
	Password   string
	Hash       string
	TOTPSecret string // base32, upper case, no padding; "" for none
	// Warnings are about this line (a TOTP secret shorter than
	// recommended); they never hold a secret.
	Warnings []string
}

// Options tune Parse.
type Options struct {
	// AllowShortSecrets accepts TOTP secrets under migrate.MinBits.
	AllowShortSecrets bool
}

// Columns lists the CSV columns (and JSON lines fields) a file may name.
var Columns = []string{"name", "password", "password_hash", "totp_secret"}

// Problem is a line that could not be read.
type Problem struct {
	Line int
	Name string
	Err  string
	// Hint is what would let the line in, for the front end to word.
	Hint apperr.Hint
}

func (p Problem) String() string {
	if p.Name != "" {
		name := p.Name
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		return fmt.Sprintf("line %d (%q): %s", p.Line, name, p.Err)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Err)
}

// maxLine bounds one line of a JSON lines or htpasswd file.
const maxLine = 64 << 10

// Detect picks a format from the file name, then from the first line.
func Detect(name string, head []byte) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	case ".htpasswd":
		return Htpasswd, nil
	}
	if strings.EqualFold(filepath.Base(name), ".htpasswd") || strings.EqualFold(filepath.Base(name), "htpasswd") {
		return Htpasswd, nil
	}
	first := head
	for len(first) > 0 {
		line, rest, _ := bytes.Cut(first, []byte("\n"))
		// Blank lines and htpasswd comments say nothing about the format.
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			first = t
			break
		}
		first = rest
	}
	first = bytes.TrimPrefix(first, []byte("\ufeff"))
	switch {
	case bytes.HasPrefix(first, []byte("{")):
		return JSONL, nil
	case isCSVHeader(string(first)):
		return CSV, nil
	case isHtpasswdLine(string(first)):
		return Htpasswd, nil
	}
	return "", apperr.NewHint(apperr.Invalid, apperr.HintImportFormat, "", "cannot tell the file's format")
}

// isCSVHeader reports whether line names a name column and a password or
// password_hash column, in any order, case, quoting or spacing.
func isCSVHeader(line string) bool {
	var name, pw bool
	for _, f := range strings.Split(line, ",") {
		switch strings.ToLower(strings.Trim(strings.TrimSpace(f), `"`)) {
		case "name":
			name = true
		case "password", "password_hash":
			pw = true
		}
	}
	return name && pw
}

// isHtpasswdLine reports whether line looks like "name:$2y$..." or another
// htpasswd entry, so that such a file read from standard input is known.
func isHtpasswdLine(line string) bool {
	name, hash, ok := strings.Cut(line, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t,{") {
		return false
	}
	for _, p := range []string{"$2a$", "$2b$", "$2y$", "$argon2id$", "$apr1$", "{SHA}", "$1$", "$5$", "$6$"} {
		if strings.HasPrefix(hash, p) {
			return true
		}
	}
	return false
}

// Parse reads every record of r in format with the default Options.
func Parse(r io.Reader, format string) ([]Record, []Problem, error) {
	return ParseWith(r, format, Options{})
}

// ParseWith reads every record of r in format. Lines that cannot be read,
// or whose TOTP secret is not valid, come back as problems; an error means
// the file as a whole is unreadable. It holds the whole file's records in
// memory: Scan streams them.
func ParseWith(r io.Reader, format string, opt Options) ([]Record, []Problem, error) {
	var recs []Record
	var probs, long []Problem
	err := scan(r, format, opt,
		func(rec Record) { recs = append(recs, rec) },
		func(p Problem) { probs = append(probs, p) },
		func(p Problem) { long = append(long, p) })
	if err != nil {
		return nil, nil, err
	}
	return recs, append(long, probs...), nil
}

// Scan reads r in format as ParseWith does, but calls rec with each record
// and prob with each problem, in line order, as they are read, so that no
// more than one line is held at a time.
func Scan(r io.Reader, format string, opt Options, rec func(Record), prob func(Problem)) error {
	return scan(r, format, opt, rec, prob, prob)
}

// scan reads r, reporting over-long lines (JSON lines and htpasswd) to long.
func scan(r io.Reader, format string, opt Options, rec func(Record), prob, long func(Problem)) error {
	switch format {
	case CSV:
		return parseCSV(r, opt, rec, prob)
	case JSONL:
		return parseJSONL(r, opt, rec, prob, long)
	case Htpasswd:
		return parseHtpasswd(r, rec, prob, long)
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

func parseCSV(r io.Reader, opt Options, emit func(Record), prob func(Problem)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return errors.New("the CSV file is empty; it needs a header line such as name,password")
	}
	if err != nil {
		return fmt.Errorf("CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return fmt.Errorf("CSV header names column %q twice", clipName(h))
		}
		col[h] = i
	}
	nameCol, ok := col["name"]
	pwCol, hasPW := col["password"]
	hashCol, hasHash := col["password_hash"]
	totpCol, hasTOTP := col["totp_secret"]
	if !ok || (!hasPW && !hasHash) {
		return errors.New("CSV header must name the columns name and password (or password_hash)")
	}
	// An extra column would be dropped without a word: refuse it, as JSON
	// lines refuse an unknown field.
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Columns, h) {
			if h == "" {
				return fmt.Errorf("CSV header column %d has no name (known columns: %s)", i+1, strings.Join(Columns, ", "))
			}
			return fmt.Errorf("CSV header names an unknown column %q (known columns: %s)", clipName(h), strings.Join(Columns, ", "))
		}
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// The reader resumes at the line after the error, so the rest
				// of the file is still checked (and imported with --skip-invalid).
				prob(csvProblem(pe))
				continue
			}
			return err
		}
		// After a successful Read only: FieldPos panics when the failed
		// record has no complete field.
		line, _ := cr.FieldPos(0)
		if len(row) != len(header) {
			prob(Problem{Line: line, Err: fmt.Sprintf("%d fields where the header has %d (quote values that contain commas, such as argon2id hashes)", len(row), len(header))})
			continue
		}
		get := func(i int, present bool) string {
			if !present || i >= len(row) {
				return ""
			}
			return row[i]
		}
		rec := Record{Line: line, Name: get(nameCol, true), Password: get(pwCol, hasPW), Hash: get(hashCol, hasHash), TOTPSecret: get(totpCol, hasTOTP)}
		if p, ok := shape(rec); !ok {
			prob(p)
			continue
		}
		if p, ok := totpSecret(&rec, opt); !ok {
			prob(p)
			continue
		}
		emit(rec)
	}
	return nil
}

// csvProblem reports a quoting error at the line where its record starts,
// which is where the stray or missing quote usually is.
func csvProblem(pe *csv.ParseError) Problem {
	msg := pe.Err.Error()
	if pe.Line != pe.StartLine {
		msg = fmt.Sprintf("%s (the record starting here runs to line %d)", msg, pe.Line)
	}
	return Problem{Line: pe.StartLine, Err: msg}
}

// totpSecret checks and normalises a record's TOTP secret, if it has one.
func totpSecret(r *Record, opt Options) (Problem, bool) {
	if strings.TrimSpace(r.TOTPSecret) == "" {
		r.TOTPSecret = ""
		return Problem{}, true
	}
	s, warns, err := migrate.NormalizeSecret(r.TOTPSecret, opt.AllowShortSecrets)
	if err != nil {
		p := Problem{Line: r.Line, Name: r.Name, Err: "totp_secret: " + err.Error()}
		if errors.Is(err, migrate.ErrShortSecret) {
			p.Hint = apperr.HintShortSecret
		}
		return p, false
	}
	r.TOTPSecret = s
	for _, w := range warns {
		r.Warnings = append(r.Warnings, "totp_secret: "+w)
	}
	return Problem{}, true
}

// clipName shortens a column name for a message.
func clipName(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// shape checks that a record has exactly one credential.
func shape(r Record) (Problem, bool) {
	switch {
	case r.Password != "" && r.Hash != "":
		return Problem{Line: r.Line, Name: r.Name, Err: "give password or password_hash, not both"}, false
	case r.Password == "" && r.Hash == "":
		return Problem{Line: r.Line, Name: r.Name, Err: "no password or password_hash"}, false
	}
	return Problem{}, true
}

// lines calls fn with each line of r and its number; an over-long line is
// reported as a problem and skipped.
func lines(r io.Reader, long func(Problem), fn func(n int, line string)) error {
	br := bufio.NewReaderSize(r, maxLine)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long(Problem{Line: n, Err: fmt.Sprintf("line is longer than %d bytes", maxLine)})
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		if len(line) > 0 {
			fn(n, strings.TrimRight(string(line), "\r\n"))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func parseJSONL(r io.Reader, opt Options, emit func(Record), prob func(Problem), long func(Problem)) error {
	return lines(r, long, func(n int, line string) {
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // as some editors save UTF-8
		}
		if strings.TrimSpace(line) == "" {
			return
		}
		if msg := checkObject(line); msg != "" {
			prob(Problem{Line: n, Err: msg})
			return
		}
		var v struct {
			Name       *string `json:"name"`
			Password   string  `json:"password"`
			Hash       string  `json:"password_hash"`
			TOTPSecret string  `json:"totp_secret"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			prob(Problem{Line: n, Err: "not a JSON object with name and password or password_hash: " + err.Error()})
			return
		}
		// dec.More is false before a stray "}" or "]", so look at the rest.
		if strings.TrimSpace(line[dec.InputOffset():]) != "" {
			prob(Problem{Line: n, Err: "text after the JSON object; put one object on each line"})
			return
		}
		if v.Name == nil {
			prob(Problem{Line: n, Err: "no name"})
			return
		}
		rec := Record{Line: n, Name: *v.Name, Password: v.Password, Hash: v.Hash, TOTPSecret: v.TOTPSecret}
		if pr, ok := shape(rec); !ok {
			prob(pr)
			return
		}
		if pr, ok := totpSecret(&rec, opt); !ok {
			prob(pr)
			return
		}
		emit(rec)
	})
}

func parseHtpasswd(r io.Reader, emit func(Record), prob func(Problem), long func(Problem)) error {
	return lines(r, long, func(n int, line string) {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			return
		}
		name, hash, ok := strings.Cut(line, ":")
		// Editors leave trailing blanks; no hash ends in one.
		hash = strings.TrimRight(hash, " \t")
		if !ok || hash == "" {
			prob(Problem{Line: n, Err: "expected name:hash"})
			return
		}
		emit(Record{Line: n, Name: name, Hash: hash})
	})
}

// checkObject makes sure line is one JSON object whose keys appear once
// each. encoding/json would otherwise let a repeated "name" (in any case)
// silently win, so {"name":"alice",...,"NAME":"mallory"} imports mallory.
func checkObject(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "not a JSON object: each line must be {\"name\":..., \"password\":...} or {\"name\":..., \"password_hash\":...}"
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "not a JSON object: " + err.Error()
		}
		key, _ := tok.(string)
		if k := strings.ToLower(key); seen[k] {
			return fmt.Sprintf("not a JSON object with unique keys: %q appears twice", key)
		} else {
			seen[k] = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "not a JSON object: " + err.Error()
		}
	}
	return ""
}
