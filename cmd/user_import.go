package cmd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	goio "io" // io is the command's streams below
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/fsutil"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/spool"
)

type importOptions struct {
	App               *App
	File              string
	Format            string
	SkipInvalid       bool
	AllowShortSecrets bool
	JSON              bool
}

func newUserImportCmd(app *App) *cobra.Command {
	opts := &importOptions{App: app}
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Add many users from a CSV, JSON lines or htpasswd file",
		Long: `Add users in bulk from FILE ("-" reads standard input). FILE must be a
regular file of at most 2 GiB, not a pipe or a device.

Formats (--format, detected from the file name or first line when "auto"):

    csv       a header line naming the columns name and password, or name
              and password_hash, and optionally totp_secret, then one user
              per line; any other column is an error
    jsonl     one JSON object per line: {"name":..., "password":...} or
              {"name":..., "password_hash":...}, optionally with
              "totp_secret"; any other field is an error
    htpasswd  Apache htpasswd lines, name:hash, with bcrypt hashes

password_hash takes argon2id PHC strings and bcrypt hashes ($2a$, $2b$, $2y$),
so accounts migrate without knowing their passwords; a bcrypt user is re-hashed
to argon2id at the next successful login. Plain passwords are hashed in
parallel on every core.

totp_secret turns 2FA on for that user with a base32 secret their
authenticator app already has (SHA1, 6 digits, 30 seconds, as most apps
use), sealed with the key file like an enrolled one: the user keeps their
codes. Any case, spaces and "=" padding are accepted. A secret under 128 bits
gets a warning on stderr; one under 80 bits is refused unless
--allow-short-secrets. An empty cell means no 2FA. For one user with other
parameters or scratch codes, see "authctl 2fa import" and docs/migrating.md.

The whole file is checked first: names, passwords, hashes, duplicates within
the file and against the database. One bad line imports nothing and is
reported with its line number, unless --skip-invalid, which imports the rest
and lists what it skipped. Users are written in batches of short transactions,
so other authctl processes keep working during a large import.

FILE is read twice, once to check it and once to write the users (and once
more to list many skipped lines), so memory stays bounded however long it
is; it must not change meanwhile. Standard input, which cannot be read
twice, is kept in memory up to 1 MiB; past that, in a temporary file in
$TMPDIR (or /tmp) that is removed as soon as it is made and sealed with a
key that never leaves authctl's memory, so no password reaches the disk in
clear. It is capped at 2 GiB, as a file is.`,
		Example: `  authctl user import users.csv
  authctl user import --format htpasswd /etc/apache2/.htpasswd
  printf 'name,password_hash,totp_secret\nalice,%s,%s\n' "$HASH" "$SECRET" | authctl user import -
  printf '{"name":"ci-bot","password":"%s"}\n' "$PW" | authctl user import - --format jsonl -o json`,
		Args: exactArgs(1, "one file name (or - for standard input)"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.JSON = outputJSON(c)
			return runImport(opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", importer.Auto, "file format: auto, csv, jsonl or htpasswd")
	c.Flags().BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the valid lines and list the invalid ones instead of importing nothing")
	c.Flags().BoolVar(&opts.AllowShortSecrets, "allow-short-secrets", false, "accept TOTP secrets shorter than 80 bits (down to 40), with a warning")
	return c
}

// importSummary is the stable JSON form of an import.
type importSummary struct {
	Imported int              `json:"imported"`
	Hashed   int              `json:"hashed"`
	FromHash int              `json:"from_hash"`
	Skipped  []importSkipJSON `json:"skipped"`
	Seconds  float64          `json:"seconds"`
}

type importSkipJSON struct {
	Line  int    `json:"line"`
	Name  string `json:"name,omitempty"`
	Error string `json:"error"`
}

func runImport(o *importOptions) error {
	if !slices.Contains(importer.Formats, o.Format) {
		return apperr.New(apperr.Invalid, "unknown --format %q (use %s)", o.Format, strings.Join(importer.Formats, ", "))
	}
	src, empty, done, err := o.source()
	if err != nil {
		return err
	}
	defer done()
	svc, err := o.App.Service(true)
	if err != nil {
		return err
	}
	bar := &importBar{w: o.App.IO.Err}
	opt := account.ImportOptions{SkipInvalid: o.SkipInvalid}
	if o.App.IO.ErrTTY {
		opt.Progress = bar.set
	}
	start := time.Now()
	res, err := svc.ImportFrom(src, opt)
	bar.finish()
	if err == nil && empty() {
		return apperr.New(apperr.Invalid, "%s holds no users", o.File)
	}
	if err != nil {
		return err
	}
	return o.report(res, time.Since(start))
}

// source opens FILE (a regular file, or standard input) in its format,
// detected when --format is auto, as the source of an import, which reads it
// at least twice: once to check every line, once to write the users batch
// by batch (and again to list many skipped lines). A file is read again from
// the disk, so memory does not grow with it; standard input, which cannot be
// read twice, is kept first (openStdin). The records that are imported with
// a warning are warned about on stderr, once. empty says, after the import,
// whether the file had no line to import; done closes what source opened.
func (o *importOptions) source() (src account.ImportSource, empty func() bool, done func(), _ error) {
	open, format, done, err := o.open()
	if err != nil {
		return nil, nil, nil, err
	}
	popt := importer.Options{AllowShortSecrets: o.AllowShortSecrets}
	passes, lines := 0, 0
	src = func(rec func(importer.Record), prob func(importer.Problem)) error {
		passes++
		first := passes == 1
		r, close, err := open(first)
		if err != nil {
			return err
		}
		defer close()
		err = importer.Scan(r, format, popt, func(r importer.Record) {
			if first {
				lines++
				o.warn(r)
			}
			rec(r)
		}, func(p importer.Problem) {
			if first {
				lines++
			}
			prob(p)
		})
		if err != nil {
			return importReadErr(o.File, err)
		}
		return nil
	}
	return src, func() bool { return lines == 0 }, done, nil
}

// open opens FILE and tells its format. open(first) returns a reader of
// the whole file for each pass: the one already open for the first, a new
// one for the others.
func (o *importOptions) open() (open func(first bool) (goio.Reader, func(), error), format string, done func(), _ error) {
	if o.File == "-" {
		return o.openStdin()
	}
	// Only a regular file, read up to fsutil.MaxImport: a FIFO or a device
	// would hang the import or fill the memory.
	f, err := fsutil.Open(o.File, fsutil.MaxImport)
	if err != nil {
		return nil, "", nil, importReadErr(o.File, err)
	}
	info := f.Info()
	br := bufio.NewReaderSize(f, 64<<10)
	if format, err = o.format(br); err != nil {
		f.Close()
		return nil, "", nil, err
	}
	open = func(first bool) (goio.Reader, func(), error) {
		if first {
			return br, func() { f.Close() }, nil
		}
		// Read it again from the start, and make sure it is the same file.
		f, err := fsutil.Open(o.File, fsutil.MaxImport)
		if err != nil {
			return nil, nil, importReadErr(o.File, err)
		}
		if i := f.Info(); !os.SameFile(info, i) || i.Size() != info.Size() || !i.ModTime().Equal(info.ModTime()) {
			f.Close()
			return nil, nil, apperr.New(apperr.Invalid, "%s changed during the import", o.File)
		}
		return bufio.NewReaderSize(f, 64<<10), func() { f.Close() }, nil
	}
	// The first pass closes f; closing it again is harmless.
	return open, format, func() { f.Close() }, nil
}

// stdinInMemory is how much of standard input an import keeps in memory;
// more is kept in a spool.
const stdinInMemory = 1 << 20

// openStdin keeps standard input so that the import can read it more than
// once: in memory when it is small, as most are, else in a spool (package
// spool: a temporary file that no name leads to, sealed with a key only this
// process has), up to fsutil.MaxImport, as a file is capped. Plain passwords
// never reach the disk in clear.
func (o *importOptions) openStdin() (open func(first bool) (goio.Reader, func(), error), format string, done func(), _ error) {
	br := bufio.NewReaderSize(o.App.IO.In, 64<<10)
	format, err := o.format(br)
	if err != nil {
		return nil, "", nil, err
	}
	head := make([]byte, stdinInMemory+1)
	n, err := goio.ReadFull(br, head)
	switch {
	case err == goio.EOF || err == goio.ErrUnexpectedEOF:
		head = head[:n]
		open = func(bool) (goio.Reader, func(), error) { return bytes.NewReader(head), func() {}, nil }
		return open, format, func() { clear(head) }, nil
	case err != nil:
		return nil, "", nil, importReadErr(o.File, err)
	}
	sp, err := spool.Write(os.TempDir(), goio.LimitReader(goio.MultiReader(bytes.NewReader(head), br), fsutil.MaxImport+1))
	clear(head)
	switch {
	case spool.IsReadError(err):
		return nil, "", nil, importReadErr(o.File, err)
	case err != nil:
		return nil, "", nil, apperr.New(apperr.Env, "cannot keep standard input in %s for the import: %w; set TMPDIR to a directory with room, or import from a file", os.TempDir(), err)
	case sp.Len() > fsutil.MaxImport:
		sp.Close()
		return nil, "", nil, apperr.New(apperr.Invalid, "standard input is larger than %s; split the import", fsutil.Size(fsutil.MaxImport))
	}
	open = func(bool) (goio.Reader, func(), error) {
		return bufio.NewReaderSize(sp.Open(), 64<<10), func() {}, nil
	}
	return open, format, func() { sp.Close() }, nil
}

// format is --format, or the format detected from the file name and the
// start of br when it is auto.
func (o *importOptions) format(br *bufio.Reader) (string, error) {
	if o.Format != importer.Auto {
		return o.Format, nil
	}
	// A read error (a directory, an I/O error) is reported as such, not as
	// a format that cannot be told.
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, goio.EOF) {
		return "", importReadErr(o.File, err)
	}
	return importer.Detect(o.File, head)
}

// warn prints the warnings about record r on stderr.
func (o *importOptions) warn(r importer.Record) {
	for _, w := range r.Warnings {
		fmt.Fprintf(o.App.IO.Err, "authctl: warning: %s\n", importer.Problem{Line: r.Line, Name: r.Name, Err: w})
	}
}

// importBar is the progress bar of an import on a terminal, drawn once
// the first step is done.
type importBar struct {
	w   goio.Writer
	mu  sync.Mutex // set is called from every hashing worker
	bar *progressbar.ProgressBar
}

func (b *importBar) set(done, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar == nil {
		b.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	_ = b.bar.Set(done)
}

func (b *importBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		_ = b.bar.Finish()
		b.bar = nil
	}
}

// report prints the summary of an import: what was skipped on stderr and
// the counts on stdout, or the JSON summary. It returns the import's
// failure, if it was one, after the summary. The skipped lines are written
// as they are listed, which may read the file again, so that a million of
// them are never held at once.
func (o *importOptions) report(res account.ImportResult, elapsed time.Duration) error {
	io := o.App.IO
	// --skip-invalid with nothing valid left is a failure for a script,
	// after the summary says what was skipped.
	var none error
	switch {
	case !o.SkipInvalid && res.Skipped > 0:
		// The file was all valid when checked; these names were taken by
		// another authctl process while the batches were written.
		none = apperr.New(apperr.Conflict, "%d %s added by another process during the import and skipped; the rest was imported",
			res.Skipped, plural(res.Skipped, "user was", "users were"))
	case res.Imported == 0 && res.Skipped > 0:
		none = apperr.New(apperr.Invalid, "nothing was imported: every line was invalid (%d skipped)", res.Skipped)
	}
	summary := fmt.Sprintf("imported %d %s", res.Imported, plural(res.Imported, "user", "users"))
	done := summary // what stays done when the summary cannot be printed
	if res.Imported == 0 {
		done = ""
	}
	if o.JSON {
		err := writeImportJSON(io.Out, res, elapsed)
		var le listError
		if errors.As(err, &le) {
			return skippedListErr(le.err, done)
		}
		if err != nil {
			return errOutput(err, done)
		}
		return none
	}
	// Stderr is not buffered: one write per skipped line would be a
	// million system calls.
	w := bufio.NewWriterSize(io.Err, 64<<10)
	listErr := res.EachSkipped(func(p importer.Problem) error {
		fmt.Fprintf(w, "authctl: skipped %s\n", p)
		return nil
	})
	w.Flush()
	if listErr != nil {
		return skippedListErr(listErr, done)
	}
	if _, err := fmt.Fprintf(io.Out, "%s (%d hashed from passwords, %d from hashes), skipped %d, in %s\n",
		summary, res.Hashed, res.FromHash, res.Skipped, elapsed.Round(time.Millisecond)); err != nil {
		return errOutput(err, done)
	}
	return none
}

// skippedListErr is the failure to list the skipped lines again (the file
// changed after it was imported), with what the import did.
func skippedListErr(err error, done string) error {
	if done == "" {
		done = "nothing was imported"
	}
	return apperr.Wrap(apperr.KindOf(err), err, done+", but the skipped lines cannot be listed")
}

// listError is a failure of ImportResult.EachSkipped, not of the output.
type listError struct{ err error }

func (e listError) Error() string { return e.err.Error() }

// writeImportJSON writes the importSummary of res, one skipped line at a
// time, byte for byte as encoding it whole would.
func writeImportJSON(w goio.Writer, res account.ImportResult, elapsed time.Duration) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var item bytes.Buffer
	enc := newJSONEncoder(&item)
	// encode writes v as the encoder would, without its newline.
	encode := func(v any) error {
		item.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(item.Bytes(), []byte("\n")))
		return err
	}
	fmt.Fprintf(bw, `{"imported":%d,"hashed":%d,"from_hash":%d,"skipped":[`, res.Imported, res.Hashed, res.FromHash)
	n := 0
	var werr error
	err := res.EachSkipped(func(p importer.Problem) error {
		if n++; n > 1 {
			bw.WriteByte(',')
		}
		werr = encode(importSkipJSON{Line: p.Line, Name: p.Name, Error: p.Err})
		return werr
	})
	if err != nil && werr == nil {
		return listError{err}
	}
	if err != nil {
		return err
	}
	bw.WriteString(`],"seconds":`)
	if err := encode(elapsed.Seconds()); err != nil {
		return err
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// importReadErr describes a failure to open or read the import file.
func importReadErr(file string, err error) error {
	var fe *fsutil.Error
	if errors.As(err, &fe) {
		return apperr.New(apperr.Invalid, "import file %v", fe)
	}
	if errors.Is(err, spool.ErrCorrupt) {
		return apperr.Wrap(apperr.Env, err, "standard input")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return apperr.Wrap(apperr.Invalid, err, "cannot read import file")
	}
	return apperr.New(apperr.Invalid, "%s: %v", file, err)
}
