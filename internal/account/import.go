package account

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/importer"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// SkipInvalid imports the valid records and reports the others, instead
	// of importing nothing when one is bad.
	SkipInvalid bool
	// Workers hash passwords in parallel; 0 means one per CPU.
	Workers int
	// BatchSize is the number of users written per transaction.
	BatchSize int
	// Progress, if set, is called as passwords are hashed and users written,
	// for one step at a time (never concurrently).
	Progress func(done, total int)
}

// ImportResult summarises an import.
type ImportResult struct {
	Imported int
	Hashed   int // from plain passwords
	FromHash int // from argon2id or bcrypt hashes
	// Skipped is how many lines were not imported; EachSkipped lists them.
	Skipped int

	skips *skipList
}

// EachSkipped calls fn with each line that was not imported, in line order,
// then with the lines whose name another process added while the batches
// were written, and stops at fn's first error. When many lines were
// skipped, their problems are not held in memory: the source is read once
// more to word them, so it must still yield the same lines.
func (r ImportResult) EachSkipped(fn func(importer.Problem) error) error {
	if r.skips == nil {
		return nil
	}
	err := r.skips.each(fn)
	if errors.Is(err, errImportChanged) {
		return apperr.New(apperr.Invalid, "the import file changed while it was imported; %d users were imported", r.Imported)
	}
	return err
}

// ImportSource reads an import file from its start each time it is called,
// calling rec with each record and prob with each line that could not be
// read, in line order (importer.Scan). ImportFrom calls it at least twice
// (and ImportResult.EachSkipped may call it again), so it must yield the
// same lines each time.
type ImportSource func(rec func(importer.Record), prob func(importer.Problem)) error

// SliceSource is the ImportSource of records and problems already in memory
// (as importer.ParseWith returns them), yielded in line order.
func SliceSource(recs []importer.Record, probs []importer.Problem) ImportSource {
	probs = slices.Clone(probs)
	slices.SortStableFunc(probs, func(a, b importer.Problem) int { return a.Line - b.Line })
	return func(rec func(importer.Record), prob func(importer.Problem)) error {
		i := 0
		for _, r := range recs {
			for ; i < len(probs) && probs[i].Line < r.Line; i++ {
				prob(probs[i])
			}
			rec(r)
		}
		for _, p := range probs[i:] {
			prob(p)
		}
		return nil
	}
}

// Import adds users in bulk from records in memory; see ImportFrom.
func (s *Service) Import(recs []importer.Record, probs []importer.Problem, opt ImportOptions) (ImportResult, error) {
	return s.ImportFrom(SliceSource(recs, probs), opt)
}

// ImportFrom adds users in bulk, reading src twice so that memory is bounded
// by a batch, not by the file. Pass 1 validates every record (names,
// passwords or hashes, duplicates in the file and in the database) and keeps
// 16 bytes of each valid line (a 96-bit hash of its name and its line) and
// 8 of each bad one (its line and why); names are stored in their
// normalised form (NormalizeName). Unless SkipInvalid, one bad record
// imports nothing. Pass 2 reads the records again and, batch by batch,
// hashes plain passwords on all cores with no lock held and writes the
// batch in one short transaction that re-checks the names are still free.
func (s *Service) ImportFrom(src ImportSource, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	v, err := s.validatePass(src, opt.BatchSize)
	if err != nil {
		return res, err
	}
	skips := v.skips
	if len(skips.marks) > 0 && !opt.SkipInvalid {
		return res, importRefused(skips)
	}
	res.skips = skips
	res.Skipped = len(skips.marks)
	if v.valid == 0 {
		return res, nil
	}
	var sealer *secret.Sealer
	if v.totp {
		if sealer, err = s.importSealer(); err != nil {
			return res, err
		}
	}
	prog := &importProgress{fn: opt.Progress, total: 2 * v.valid}
	batch := make([]importer.Record, 0, min(opt.BatchSize, v.valid))
	seen := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		users, err := s.hashImport(batch, sealer, opt.Workers, prog)
		if err != nil {
			return err
		}
		if err := s.writeImport(&res, users, batch, sealer, opt.BatchSize, prog); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	var stop error
	err = src(func(r importer.Record) {
		if stop != nil || skips.skips(r.Line) {
			return
		}
		name, err := NormalizeName(r.Name)
		if err != nil || seen == v.valid {
			stop = errImportChanged
			return
		}
		seen++
		r.Name = name
		r.Warnings = nil
		batch = append(batch, r)
		if len(batch) == opt.BatchSize {
			stop = flush()
		}
	}, func(importer.Problem) {})
	if err == nil {
		err = stop
	}
	if err == nil {
		err = flush()
	}
	if err == nil && seen != v.valid {
		err = errImportChanged
	}
	if errors.Is(err, errImportChanged) {
		return res, apperr.New(apperr.Invalid, "the import file changed while it was imported; %d users were imported", res.Imported)
	}
	return res, err
}

var errImportChanged = errors.New("import file changed")

// importCheck is what the validating pass keeps: the lines not to import,
// how many records are valid, and whether one brings a TOTP secret.
type importCheck struct {
	skips *skipList
	valid int
	totp  bool
}

// nameKey is a 96-bit hash of a normalised name, then the line it is on in
// the low 32 bits: 16 bytes a valid record, where a map of names would take
// about 100. Sorted, the lines of one name follow each other, first first.
type nameKey [2]uint64

func makeNameKey(name string, line int) nameKey {
	return nameKey{maphash.String(nameSeed[0], name), maphash.String(nameSeed[1], name)&^0xffffffff | uint64(uint32(line))}
}

func (k nameKey) line() int               { return int(uint32(k[1])) }
func (k nameKey) sameName(o nameKey) bool { return k[0] == o[0] && k[1]>>32 == o[1]>>32 }

var nameSeed = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// validatePass reads src once, checking each record on its own, then the
// valid ones against the database (batchSize names per read transaction)
// and against each other (duplicates by a 96-bit hash of the normalised
// name: two different names of a file of n collide with a chance of about
// n²/2⁹⁷, 10⁻¹⁷ for a million).
func (s *Service) validatePass(src ImportSource, batchSize int) (importCheck, error) {
	c := importCheck{skips: &skipList{src: src, recheck: func(r importer.Record) (string, string) { return s.checkImportRecord(r, nil) }}}
	skips := c.skips
	var keys []nameKey
	var names []string
	var lines []int
	noDB := false
	checkDB := func() error {
		if len(names) == 0 || noDB {
			names, lines = names[:0], lines[:0]
			return nil
		}
		err := s.Store.View(func(tx store.Tx) error {
			for i, n := range names {
				if tx.HasUser(n) {
					skips.add(skipExists, importer.Problem{Line: lines[i], Name: n, Err: "user already exists"})
				}
			}
			return nil
		})
		names, lines = names[:0], lines[:0]
		if isNoDatabase(err) {
			noDB = true
			return nil
		}
		return err
	}
	var stop error
	err := src(func(r importer.Record) {
		if stop != nil {
			return
		}
		name, msg := s.checkImportRecord(r, nil)
		if msg != "" {
			skips.add(skipInvalid, importer.Problem{Line: r.Line, Name: r.Name, Err: msg})
			return
		}
		if r.TOTPSecret != "" {
			c.totp = true
		}
		keys = append(keys, makeNameKey(name, r.Line))
		names, lines = append(names, name), append(lines, r.Line)
		if len(names) == batchSize {
			stop = checkDB()
		}
	}, func(p importer.Problem) { skips.add(skipInvalid, p) })
	if err == nil {
		err = stop
	}
	if err == nil {
		err = checkDB()
	}
	if err != nil {
		return c, err
	}
	// The first line of a name is kept, the later ones are duplicates of it
	// (and not reported as users that exist, as they are not imported).
	slices.SortFunc(keys, func(a, b nameKey) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	for i := 1; i < len(keys); i++ {
		first := i - 1
		for i < len(keys) && keys[i].sameName(keys[first]) {
			skips.addDup(keys[i].line(), keys[first].line())
			i++
		}
	}
	skips.sort()
	c.valid = len(keys) - skips.count(skipDup) - skips.count(skipExists)
	return c, nil
}

// checkImportRecord returns r's normalised name, or why r cannot be
// imported. seen, if not nil, maps the names of the valid records before r
// to their lines.
func (s *Service) checkImportRecord(r importer.Record, seen map[string]int) (name, problem string) {
	name, err := NormalizeName(r.Name)
	if err != nil {
		return "", err.Error()
	}
	if first, dup := seen[name]; dup {
		return "", fmt.Sprintf("duplicate of line %d", first)
	}
	if r.Password == "" {
		if err := secret.CheckHash(r.Hash); err != nil {
			return "", "password_hash is not an argon2id PHC string or a bcrypt hash" + foreignHash(r.Hash)
		}
		return name, ""
	}
	if err := secret.CheckPassword(r.Password); err != nil {
		return "", err.Error()
	}
	if err := secret.CheckCommon(r.Password, r.Name, s.Issuer, "authctl"); err != nil {
		return "", err.Error()
	}
	return name, ""
}

// importRefused is the error of an import that imports nothing: the first
// problem, by line, and how many more there are. It is a conflict when
// every problem is a user that exists.
func importRefused(skips *skipList) error {
	first, err := skips.firstProblem()
	if errors.Is(err, errImportChanged) {
		return apperr.New(apperr.Invalid, "the import file changed while it was imported; 0 users were imported")
	}
	if err != nil {
		return err
	}
	kind := apperr.Invalid
	if skips.count(skipExists) == len(skips.marks) {
		kind = apperr.Conflict
	}
	more := ""
	switch n := len(skips.marks) - 1; {
	case n == 1:
		more = " (and 1 more problem)"
	case n > 1:
		more = fmt.Sprintf(" (and %d more problems)", n)
	}
	hint := apperr.HintSkipInvalid
	if first.Hint != apperr.NoHint {
		hint = first.Hint
	}
	return apperr.NewHint(kind, hint, "", "%s%s; nothing was imported", first, more)
}

// importSealer opens (or makes) the key file once when a record brings a
// TOTP secret, which is sealed as enrolled ones are.
func (s *Service) importSealer() (*secret.Sealer, error) {
	keyID := ""
	if err := s.Store.View(func(tx store.Tx) error { keyID = tx.KeyID(); return nil }); err != nil && !isNoDatabase(err) {
		return nil, err
	}
	return s.Keys.Open(keyID, true)
}

// importProgress counts the steps of an import, hashing then writing each
// user, for ImportOptions.Progress. Every worker steps it, but the callback
// runs for one step at a time, so it needs no locking of its own.
type importProgress struct {
	fn    func(done, total int)
	total int
	mu    sync.Mutex
	done  int
}

func (p *importProgress) step(n int) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.done++
		p.fn(p.done, p.total)
	}
}

// hashImport builds the user records of valid, in the same order, hashing
// plain passwords on workers goroutines with no lock held.
func (s *Service) hashImport(valid []importer.Record, sealer *secret.Sealer, workers int, prog *importProgress) ([]*store.User, error) {
	users := make([]*store.User, len(valid))
	now := s.now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				u, err := s.importUser(valid[i], sealer, now)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				users[i] = u
				prog.step(1)
			}
		}()
	}
	for i := range valid {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return users, firstErr
}

// importUser is the new user of record r: its password hashed (or its hash
// as given) and its TOTP secret sealed, if it has one.
func (s *Service) importUser(r importer.Record, sealer *secret.Sealer, now time.Time) (*store.User, error) {
	hash := r.Hash
	if r.Password != "" {
		h, err := s.Hasher.Hash(r.Password)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	u := &store.User{Name: r.Name, PasswordHash: hash, CreatedAt: now, PasswordAt: now}
	if r.TOTPSecret != "" {
		if err := s.importSecret(u, sealer, r.TOTPSecret, now); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// writeImport writes users in name order (sequential B+tree inserts), in
// short transactions of batchSize users, and counts them in res. A name
// taken by another process since validation is skipped and reported.
func (s *Service) writeImport(res *ImportResult, users []*store.User, valid []importer.Record, sealer *secret.Sealer, batchSize int, prog *importProgress) error {
	slices.SortFunc(users, func(a, b *store.User) int { return strings.Compare(a.Name, b.Name) })
	lineOf := make(map[string]int, len(valid))
	plain := make(map[string]bool, len(valid))
	for _, r := range valid {
		lineOf[r.Name], plain[r.Name] = r.Line, r.Password != ""
	}
	for start := 0; start < len(users); start += batchSize {
		batch := users[start:min(start+batchSize, len(users))]
		var written, hashed int
		var taken []importer.Problem
		err := s.Store.Update(func(tx store.Tx) error {
			written, hashed, taken = 0, 0, nil
			if err := useImportKey(tx, sealer); err != nil {
				return err
			}
			for _, u := range batch {
				if tx.HasUser(u.Name) {
					taken = append(taken, importer.Problem{Line: lineOf[u.Name], Name: u.Name, Err: "user already exists"})
					continue
				}
				if err := tx.PutUser(u); err != nil {
					return err
				}
				written++
				if plain[u.Name] {
					hashed++
				}
			}
			return s.audit(tx, store.AuditEntry{Event: EvUserImport, Detail: fmt.Sprintf("%d %s", written, map[bool]string{true: "user", false: "users"}[written == 1])})
		})
		if err != nil {
			return fmt.Errorf("after %d users were imported: %w", res.Imported, err)
		}
		res.skips.taken = append(res.skips.taken, taken...)
		res.Skipped += len(taken)
		res.Imported += written
		res.Hashed += hashed
		res.FromHash += written - hashed
		prog.step(len(batch))
	}
	return nil
}

// useImportKey records the key of the imported secrets in a database that
// has none yet, and refuses a database whose key changed meanwhile.
func useImportKey(tx store.Tx, sealer *secret.Sealer) error {
	if sealer == nil {
		return nil
	}
	switch id := tx.KeyID(); {
	case id == "":
		return tx.SetKeyID(sealer.ID())
	case id != sealer.ID():
		return apperr.New(apperr.Env, "the key file changed during the import (key rotated?); nothing more was imported")
	}
	return nil
}

// importSecret turns 2FA on for a new user u with an imported base32
// secret, sealed for u's name, and no backup codes yet (the user makes a
// set with 2fa codes regen).
func (s *Service) importSecret(u *store.User, sealer *secret.Sealer, b32 string, now time.Time) error {
	raw, err := secretBytes(b32, true) // the importer checked its length
	if err != nil {
		return err
	}
	sealed, err := sealer.Seal([]byte(b32NoPad.EncodeToString(raw)), secretAD(u.Name))
	if err != nil {
		return err
	}
	salt := make([]byte, 16)
	if _, err := s.Rand.Read(salt); err != nil {
		return err
	}
	p := s.CodeParams
	u.TOTP = &store.TOTP{Secret: sealed, EnabledAt: now, Source: "user import"}
	u.Backup = &store.BackupSet{Salt: salt, Memory: p.Memory, Time: p.Time, Threads: p.Threads, GeneratedAt: now, Hashes: [][]byte{}}
	return nil
}

// isNoDatabase reports the error a read gets before the first write created
// the database.
func isNoDatabase(err error) bool {
	return errors.Is(err, store.ErrNoDatabase)
}

// foreignHash names a hash scheme authctl does not take, so an admin knows
// why a line of an htpasswd file was refused and what to do.
func foreignHash(h string) string {
	schemes := []struct{ prefix, name string }{
		{"{SHA}", "SHA-1 ({SHA})"},
		{"$apr1$", "Apache MD5 ($apr1$)"},
		{"$1$", "MD5-crypt ($1$)"},
		{"$5$", "SHA-256-crypt ($5$)"},
		{"$6$", "SHA-512-crypt ($6$)"},
		{"$argon2i$", "argon2i"},
		{"$argon2d$", "argon2d"},
		{"$y$", "yescrypt ($y$)"},
	}
	for _, s := range schemes {
		if strings.HasPrefix(h, s.prefix) {
			return " (it is " + s.name + ", which authctl does not accept; these users need a new password)"
		}
	}
	return ""
}
