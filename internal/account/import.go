package account

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// Progress, if set, is called as passwords are hashed and users written.
	Progress func(done, total int)
}

// ImportResult summarises an import.
type ImportResult struct {
	Imported int
	Hashed   int // from plain passwords
	FromHash int // from argon2id or bcrypt hashes
	Skipped  []importer.Problem
}

// Import adds users in bulk. Every record is validated first (names,
// passwords or hashes, duplicates in the file and in the database); names
// are stored in their normalised form (NormalizeName). Unless
// SkipInvalid, one bad record imports nothing. Plain passwords are hashed on
// all cores with no lock held; users are then written in batches, each one
// short transaction that re-checks the names are still free.
func (s *Service) Import(recs []importer.Record, probs []importer.Problem, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	valid, probs := s.validateImport(recs, probs)
	valid, probs, conflict, err := s.dropExisting(valid, probs)
	if err != nil {
		return res, err
	}
	slices.SortFunc(probs, func(a, b importer.Problem) int { return a.Line - b.Line })
	if len(probs) > 0 && !opt.SkipInvalid {
		return res, importRefused(probs, conflict)
	}
	res.Skipped = probs
	sealer, err := s.importSealer(valid)
	if err != nil {
		return res, err
	}
	prog := &importProgress{fn: opt.Progress, total: 2 * len(valid)}
	users, err := s.hashImport(valid, sealer, opt.Workers, prog)
	if err != nil {
		return res, err
	}
	err = s.writeImport(&res, users, valid, sealer, opt.BatchSize, prog)
	return res, err
}

// validateImport checks every record on its own and against the ones before
// it, with no database: the name (stored normalised, so two spellings of
// one name are one user), the password or the hash. It returns the valid
// records, with normalised names, and adds a problem for each other one.
func (s *Service) validateImport(recs []importer.Record, probs []importer.Problem) ([]importer.Record, []importer.Problem) {
	seen := make(map[string]int, len(recs))
	valid := recs[:0:0]
	for _, r := range recs {
		name, msg := s.checkImportRecord(r, seen)
		if msg != "" {
			probs = append(probs, importer.Problem{Line: r.Line, Name: r.Name, Err: msg})
			continue
		}
		seen[name] = r.Line
		r.Name = name
		valid = append(valid, r)
	}
	return valid, probs
}

// checkImportRecord returns r's normalised name, or why r cannot be
// imported. seen maps the names of the valid records before r to their
// lines.
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

// dropExisting removes the records whose user already exists and reports
// them; conflict says whether there was one. No database yet means no user.
func (s *Service) dropExisting(valid []importer.Record, probs []importer.Problem) (kept []importer.Record, _ []importer.Problem, conflict bool, _ error) {
	if len(valid) == 0 {
		return valid, probs, false, nil
	}
	err := s.Store.View(func(tx store.Tx) error {
		kept = valid[:0]
		for _, r := range valid {
			if tx.HasUser(r.Name) {
				probs = append(probs, importer.Problem{Line: r.Line, Name: r.Name, Err: "user already exists"})
				conflict = true
				continue
			}
			kept = append(kept, r)
		}
		return nil
	})
	switch {
	case isNoDatabase(err):
		return valid, probs, false, nil
	case err != nil:
		return nil, nil, false, err
	}
	return kept, probs, conflict, nil
}

// importRefused is the error of an import that imports nothing: the first
// problem, sorted by line, and how many more there are. It is a conflict
// when every problem is a user that exists.
func importRefused(probs []importer.Problem, conflict bool) error {
	kind := apperr.Invalid
	if conflict && !hasInvalid(probs) {
		kind = apperr.Conflict
	}
	more := ""
	switch n := len(probs) - 1; {
	case n == 1:
		more = " (and 1 more problem)"
	case n > 1:
		more = fmt.Sprintf(" (and %d more problems)", n)
	}
	hint := apperr.HintSkipInvalid
	if probs[0].Hint != apperr.NoHint {
		hint = probs[0].Hint
	}
	return apperr.NewHint(kind, hint, "", "%s%s; nothing was imported", probs[0], more)
}

// importSealer opens (or makes) the key file once when a record brings a
// TOTP secret, which is sealed as enrolled ones are; nil when none does.
func (s *Service) importSealer(valid []importer.Record) (*secret.Sealer, error) {
	if !slices.ContainsFunc(valid, func(r importer.Record) bool { return r.TOTPSecret != "" }) {
		return nil, nil
	}
	keyID := ""
	if err := s.Store.View(func(tx store.Tx) error { keyID = tx.KeyID(); return nil }); err != nil && !isNoDatabase(err) {
		return nil, err
	}
	return s.Keys.Open(keyID, true)
}

// importProgress counts the steps of an import, hashing then writing each
// user, for ImportOptions.Progress; it is called from every worker.
type importProgress struct {
	fn    func(done, total int)
	total int
	done  atomic.Int64
}

func (p *importProgress) step(n int) {
	for range n {
		if p.fn != nil {
			p.fn(int(p.done.Add(1)), p.total)
		}
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
		res.Skipped = append(res.Skipped, taken...)
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

func hasInvalid(probs []importer.Problem) bool {
	for _, p := range probs {
		if p.Err != "user already exists" {
			return true
		}
	}
	return false
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
