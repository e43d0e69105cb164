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

	// Validate everything before any work.
	seen := make(map[string]int, len(recs))
	valid := recs[:0:0]
	conflict := false
	for _, r := range recs {
		var msg string
		// Two spellings of one name (composed and decomposed, say) are one
		// user, stored under the normalised name.
		name, err := NormalizeName(r.Name)
		if err != nil {
			msg = err.Error()
		} else if first, dup := seen[name]; dup {
			msg = fmt.Sprintf("duplicate of line %d", first)
		} else if r.Password != "" {
			if err := secret.CheckPassword(r.Password); err != nil {
				msg = err.Error()
			} else if err := secret.CheckCommon(r.Password, r.Name, s.Issuer, "authctl"); err != nil {
				msg = err.Error()
			}
		} else if err := secret.CheckHash(r.Hash); err != nil {
			msg = "password_hash is not an argon2id PHC string or a bcrypt hash" + foreignHash(r.Hash)
		}
		if msg != "" {
			probs = append(probs, importer.Problem{Line: r.Line, Name: r.Name, Err: msg})
			continue
		}
		seen[name] = r.Line
		r.Name = name
		valid = append(valid, r)
	}
	if len(valid) > 0 {
		err := s.Store.View(func(tx store.Tx) error {
			kept := valid[:0]
			for _, r := range valid {
				if tx.HasUser(r.Name) {
					probs = append(probs, importer.Problem{Line: r.Line, Name: r.Name, Err: "user already exists"})
					conflict = true
					continue
				}
				kept = append(kept, r)
			}
			valid = kept
			return nil
		})
		if err != nil && !isNoDatabase(err) {
			return res, err
		}
	}
	slices.SortFunc(probs, func(a, b importer.Problem) int { return a.Line - b.Line })
	if len(probs) > 0 && !opt.SkipInvalid {
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
		return res, apperr.NewHint(kind, hint, "", "%s%s; nothing was imported", probs[0], more)
	}
	res.Skipped = probs

	// Secrets from a totp_secret column are sealed with the key file, as
	// enrolled ones are; the key is opened (or made) once.
	var sealer *secret.Sealer
	for _, r := range valid {
		if r.TOTPSecret == "" {
			continue
		}
		keyID := ""
		if err := s.Store.View(func(tx store.Tx) error { keyID = tx.KeyID(); return nil }); err != nil && !isNoDatabase(err) {
			return res, err
		}
		var err error
		if sealer, err = s.Keys.Open(keyID, true); err != nil {
			return res, err
		}
		break
	}

	// Hash plain passwords on every core.
	users := make([]*store.User, len(valid))
	now := s.now()
	var done atomic.Int64
	total := len(valid)
	progress := func() {
		if opt.Progress != nil {
			opt.Progress(int(done.Add(1)), 2*total)
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := valid[i]
				hash := r.Hash
				if r.Password != "" {
					h, err := s.Hasher.Hash(r.Password)
					if err != nil {
						errOnce.Do(func() { firstErr = err })
						continue
					}
					hash = h
				}
				u := &store.User{Name: r.Name, PasswordHash: hash, CreatedAt: now, PasswordAt: now}
				if r.TOTPSecret != "" {
					if err := s.importSecret(u, sealer, r.TOTPSecret, now); err != nil {
						errOnce.Do(func() { firstErr = err })
						continue
					}
				}
				users[i] = u
				progress()
			}
		}()
	}
	for i := range valid {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}

	// Write in name order (sequential B+tree inserts), in short batches.
	slices.SortFunc(users, func(a, b *store.User) int { return strings.Compare(a.Name, b.Name) })
	lineOf := make(map[string]int, len(valid))
	plain := make(map[string]bool, len(valid))
	for _, r := range valid {
		lineOf[r.Name], plain[r.Name] = r.Line, r.Password != ""
	}
	for start := 0; start < len(users); start += opt.BatchSize {
		batch := users[start:min(start+opt.BatchSize, len(users))]
		written, hashed := 0, 0
		err := s.Store.Update(func(tx store.Tx) error {
			written, hashed = 0, 0
			if sealer != nil {
				switch id := tx.KeyID(); {
				case id == "":
					if err := tx.SetKeyID(sealer.ID()); err != nil {
						return err
					}
				case id != sealer.ID():
					return apperr.New(apperr.Env, "the key file changed during the import (key rotated?); nothing more was imported")
				}
			}
			for _, u := range batch {
				if tx.HasUser(u.Name) {
					// Added by another process since validation.
					res.Skipped = append(res.Skipped, importer.Problem{Line: lineOf[u.Name], Name: u.Name, Err: "user already exists"})
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
			return res, fmt.Errorf("after %d users were imported: %w", res.Imported, err)
		}
		res.Imported += written
		res.Hashed += hashed
		res.FromHash += written - hashed
		for range batch {
			progress()
		}
	}
	return res, nil
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
