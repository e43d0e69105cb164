package account

import (
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// CheckNewPassword reports why pw cannot be a new password, as an Invalid
// error: the length rules, and NIST SP 800-63B §5.1.1.2's check against
// commonly used passwords and words of the context (the user's name, the
// issuer). It runs only for new passwords, never on the login path.
func CheckNewPassword(pw string, context ...string) error {
	if err := secret.CheckPassword(pw); err != nil {
		return apperr.New(apperr.Invalid, "%v", err)
	}
	if err := secret.CheckCommon(pw, context...); err != nil {
		return apperr.New(apperr.Invalid, "%v", err)
	}
	return nil
}

// checkNew is CheckNewPassword with this service's context words.
func (s *Service) checkNew(name, pw string) error {
	return CheckNewPassword(pw, name, s.Issuer, "authctl")
}

// AddUser creates a user with password pw.
// The name is stored in its normalised form, so two spellings of one name
// are one user.
func (s *Service) AddUser(name, pw string) error {
	name, err := NormalizeName(name)
	if err != nil {
		return err
	}
	if err := s.checkNew(name, pw); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(pw)
	if err != nil {
		return err
	}
	now := s.now()
	return s.Store.Update(func(tx store.Tx) error {
		if tx.HasUser(name) {
			return apperr.New(apperr.Conflict, "user %s already exists", name)
		}
		if err := tx.PutUser(&store.User{Name: name, PasswordHash: hash, CreatedAt: now, PasswordAt: now}); err != nil {
			return err
		}
		return s.audit(tx, store.AuditEntry{Event: EvUserAdd, User: name})
	})
}

// user returns the named user's record (for the domain and its tests).
func (s *Service) user(name string) (*store.User, error) {
	u, _, err := s.read(name)
	return u, err
}

// DeleteUser removes a user and everything stored for it.
func (s *Service) DeleteUser(name string) error {
	return s.updateUser(name, func(tx store.Tx, u *store.User) error {
		if err := tx.DeleteUser(u.Name); err != nil {
			return err
		}
		dropOrphans(tx, u.Name)
		if err := s.audit(tx, store.AuditEntry{Event: EvUserDelete, User: u.Name}); err != nil {
			return err
		}
		return errNoChange // nothing to write back: the record is gone
	})
}

// ChangePassword replaces name's password after checking the current one
// and, when 2FA is on, a second factor. It does not clear the failure count:
// only a successful login does, so changing the password is no way around
// the throttle.
func (s *Service) ChangePassword(name string, proof Proof, next string) error {
	if err := s.checkNew(name, next); err != nil {
		return err
	}
	var hash string
	_, err := s.guard(guarded{
		name:   name,
		op:     "password change",
		proof:  proof,
		second: true,
		prepare: func(*store.User, string) error {
			var err error
			hash, err = s.Hasher.Hash(next)
			return err
		},
		apply: func(tx store.Tx, f *store.User) error {
			f.PasswordHash = hash
			f.PasswordAt = s.now()
			return s.audit(tx, store.AuditEntry{Event: EvPassword, User: f.Name})
		},
	})
	return err
}

// Unlock clears name's failure counter and lock.
func (s *Service) Unlock(name string) (wasLocked bool, err error) {
	err = s.updateUser(name, func(tx store.Tx, u *store.User) error {
		wasLocked = Locked(s.counted(tx, u), s.now())
		u.Failures = 0
		u.LockedUntil = time.Time{}
		dropOrphans(tx, u.Name)
		return s.audit(tx, store.AuditEntry{Event: EvUnlock, User: u.Name})
	})
	return wasLocked, err
}
