package account

import (
	"io"
	"strconv"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// AuditQuery selects audit entries.
type AuditQuery struct {
	User  string    // "" for all users
	Since time.Time // zero for all
	Limit int       // 0 for no limit
}

// Audit calls fn for matching entries, newest first, streaming.
func (s *Service) Audit(q AuditQuery, fn func(store.AuditEntry) error) error {
	n := 0
	return s.Store.View(func(tx *store.Tx) error {
		return tx.Audit(q.Since, func(e store.AuditEntry) (bool, error) {
			if q.User != "" && e.User != q.User {
				return true, nil
			}
			if err := fn(e); err != nil {
				return false, err
			}
			n++
			return q.Limit == 0 || n < q.Limit, nil
		})
	})
}

// RotateKey re-encrypts every TOTP secret under a new key in one
// transaction. The new key is staged in a file beside the old one before the
// commit and installed after, and Keyring.Open completes an interrupted
// rotation, so a crash at any point loses no secret.
func (s *Service) RotateKey() (n int, err error) {
	var keyID string
	if err := s.Store.View(func(tx *store.Tx) error { keyID = tx.KeyID(); return nil }); err != nil {
		return 0, err
	}
	if keyID == "" {
		return 0, apperr.New(apperr.Conflict, "no 2fa secret has been stored yet, so there is no key to rotate")
	}
	old, err := s.Keys.Open(keyID, false)
	if err != nil {
		return 0, err
	}
	key, err := secret.NewKey(s.Rand)
	if err != nil {
		return 0, err
	}
	next, err := secret.NewSealer(key, s.Rand)
	if err != nil {
		return 0, err
	}
	if err := s.Keys.stage(key); err != nil {
		return 0, err
	}
	reseal := func(name string, b []byte) ([]byte, error) {
		plain, err := old.Open(b, secretAD(name))
		if err != nil {
			return nil, apperr.New(apperr.Env, "cannot decrypt the 2fa secret of %s; nothing was changed", name)
		}
		return next.Seal(plain, secretAD(name))
	}
	err = s.Store.Update(func(tx *store.Tx) error {
		if tx.KeyID() != keyID {
			return apperr.New(apperr.Env, "the key changed during rotation; try again")
		}
		var changed []*store.User
		err := tx.Users(func(u *store.User) error {
			if u.TOTP == nil && u.Pending == nil {
				return nil
			}
			var err error
			if u.TOTP != nil {
				if u.TOTP.Secret, err = reseal(u.Name, u.TOTP.Secret); err != nil {
					return err
				}
			}
			if u.Pending != nil {
				if u.Pending.Secret, err = reseal(u.Name, u.Pending.Secret); err != nil {
					return err
				}
			}
			changed = append(changed, u)
			return nil
		})
		if err != nil {
			return err
		}
		for _, u := range changed {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		n = len(changed)
		if err := tx.SetKeyID(next.ID()); err != nil {
			return err
		}
		return s.audit(tx, store.AuditEntry{Event: EvKeyRotate, Detail: "secrets re-encrypted: " + strconv.Itoa(n)})
	})
	if err != nil {
		return 0, err
	}
	return n, s.Keys.promote()
}

// Backup writes a consistent copy of the database to w.
func (s *Service) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Check verifies the database and its records; problems come back as one
// Env error listing them.
func (s *Service) Check() (users int, problems []error, err error) {
	err = s.Store.View(func(tx *store.Tx) error {
		problems = tx.Check()
		users = tx.CountUsers()
		if id := tx.KeyID(); id != "" && s.Keys != nil {
			if _, err := s.Keys.Open(id, false); err != nil {
				problems = append(problems, err)
			}
		}
		return nil
	})
	return users, problems, err
}
