package account

import (
	"fmt"
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
func (s *Service) Audit(q AuditQuery, fn func(Event) error) error {
	n := 0
	return s.Store.View(func(tx store.Tx) error {
		return tx.Audit(q.Since, func(e store.AuditEntry) (bool, error) {
			if q.User != "" && e.User != q.User {
				return true, nil
			}
			if err := fn(Event(e)); err != nil {
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
	if err := s.Store.View(func(tx store.Tx) error { keyID = tx.KeyID(); return nil }); err != nil {
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
	err = s.Store.Update(func(tx store.Tx) error {
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
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Check verifies the database and its records; problems come back as one
// Env error listing them. With the key file, it also opens every sealed
// TOTP secret (enabled or pending) with its user's associated data, so a
// secret that was altered, swapped with another user's or sealed under
// another key is found now rather than at that user's next login. Without a
// usable key file, when the database holds sealed secrets, the key problem
// is reported together with the number of users whose secrets went
// unchecked.
func (s *Service) Check() (users int, problems []error, err error) {
	err = s.Store.View(func(tx store.Tx) error {
		users = tx.CountUsers()
		id := tx.KeyID()
		var sealer *secret.Sealer
		var keyErr error
		if id != "" && s.Keys != nil {
			sealer, keyErr = s.Keys.Open(id, false)
		}
		unchecked := 0
		problems = tx.Check(func(u *store.User) []error {
			if !hasSealed(u) {
				return nil
			}
			switch {
			case id == "":
				return []error{fmt.Errorf("user %q: has a sealed 2fa secret, but the database records no key", u.Name)}
			case sealer == nil:
				unchecked++
				return nil
			}
			return checkSealed(sealer, u)
		})
		if keyErr != nil {
			if unchecked > 0 {
				keyErr = apperr.New(apperr.KindOf(keyErr), "%v; the 2fa secrets of %d %s could not be checked", keyErr, unchecked, plural(unchecked, "user", "users"))
			}
			problems = append(problems, keyErr)
		}
		return nil
	})
	return users, problems, err
}

func hasSealed(u *store.User) bool {
	return u.TOTP != nil && len(u.TOTP.Secret) > 0 || u.Pending != nil
}

// checkSealed opens u's sealed secrets as a login or a confirmation would.
func checkSealed(sealer *secret.Sealer, u *store.User) []error {
	var errs []error
	if u.TOTP != nil && len(u.TOTP.Secret) > 0 {
		if _, err := sealer.Open(u.TOTP.Secret, secretAD(u.Name)); err != nil {
			errs = append(errs, fmt.Errorf("user %q: the 2fa secret does not decrypt with the key file (altered, copied from another user, or sealed under another key)", u.Name))
		}
	}
	if u.Pending != nil {
		if _, err := sealer.Open(u.Pending.Secret, secretAD(u.Name)); err != nil {
			errs = append(errs, fmt.Errorf("user %q: the secret of the pending 2fa enrollment does not decrypt with the key file", u.Name))
		}
	}
	return errs
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
