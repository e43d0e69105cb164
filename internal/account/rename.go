package account

import (
	"errors"
	"strconv"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// RenameUser gives the user old the name next, stored in its normalised
// form, which it returns. It is the admin's way to move a user off a legacy
// name (IsLegacyName), so old is looked up as typed first. The TOTP secret
// and a pending enrollment are sealed with the name as associated data, so
// they are opened under the old name and sealed again under the new one;
// the record, its secrets, the removal of the old name and the audit entry
// are one transaction, which re-checks the record it read.
func (s *Service) RenameUser(old, next string) (string, error) {
	name, err := NormalizeName(next)
	if err != nil {
		return "", err
	}
	err = retry(func() error {
		var u *store.User
		var keyID string
		err := s.Store.View(func(tx store.Tx) error {
			var err error
			if u, err = findUser(tx, old); err != nil {
				return err
			}
			keyID = tx.KeyID()
			if tx.HasUser(name) {
				return userExists(name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		totp, pending, err := s.resealFor(keyID, u, name)
		if err != nil {
			return err
		}
		return s.Store.Update(func(tx store.Tx) error {
			f, err := tx.User(u.Name)
			if errors.Is(err, store.ErrNotFound) {
				return errChanged // renamed or deleted meanwhile: read again
			}
			if err != nil {
				return err
			}
			if f.Rev != u.Rev || tx.KeyID() != keyID {
				return errChanged
			}
			if tx.HasUser(name) {
				return userExists(name)
			}
			// Attempts in progress are kept under the name; count those
			// whose process ended before the name goes.
			if _, err := s.countOrphans(tx, f); err != nil {
				return err
			}
			f.Name = name
			if f.TOTP != nil {
				f.TOTP.Secret = totp
			}
			if f.Pending != nil {
				f.Pending.Secret = pending
			}
			if err := tx.PutUser(f); err != nil {
				return err
			}
			if err := tx.DeleteUser(u.Name); err != nil {
				return err
			}
			return s.audit(tx, store.AuditEntry{Event: EvUserRename, User: name, Detail: "renamed from " + displayName(u.Name)})
		})
	})
	if err != nil {
		return "", err
	}
	return name, nil
}

// findUser reads the user stored under name as typed, which may be a
// legacy name, or else under its normalised form.
func findUser(tx store.Tx, name string) (*store.User, error) {
	n, nerr := NormalizeName(name)
	if checkLegacyName(name) != nil && nerr != nil {
		return nil, nerr // no stored name can look like this
	}
	u, err := tx.User(name)
	if errors.Is(err, store.ErrNotFound) && nerr == nil && n != name {
		u, err = tx.User(n)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(apperr.Conflict, "no such user: %s", displayName(name))
	}
	return u, err
}

// resealFor opens u's sealed secrets, bound to u's name, and seals them
// again for name. Either result is nil when u has no such secret.
func (s *Service) resealFor(keyID string, u *store.User, name string) (totp, pending []byte, err error) {
	if u.TOTP == nil && u.Pending == nil {
		return nil, nil, nil
	}
	sealer, err := s.Keys.Open(keyID, false)
	if err != nil {
		return nil, nil, err
	}
	reseal := func(b []byte) ([]byte, error) {
		plain, err := sealer.Open(b, secretAD(u.Name))
		if err != nil {
			return nil, apperr.New(apperr.Env, "cannot decrypt the 2fa secret of %s: the key file does not match or the record is damaged; nothing was changed", displayName(u.Name))
		}
		return sealer.Seal(plain, secretAD(name))
	}
	if u.TOTP != nil {
		if totp, err = reseal(u.TOTP.Secret); err != nil {
			return nil, nil, err
		}
	}
	if u.Pending != nil {
		if pending, err = reseal(u.Pending.Secret); err != nil {
			return nil, nil, err
		}
	}
	return totp, pending, nil
}

func userExists(name string) error {
	return apperr.New(apperr.Conflict, "user %s already exists", displayName(name))
}

// displayName is name as a message shows it: as it is when it is a valid
// user name, and quoted with every non-ASCII character escaped otherwise,
// so that a legacy name with an invisible character is seen to have one.
func displayName(name string) string {
	if n, err := NormalizeName(name); err == nil && n == name {
		return name
	}
	if len(name) > MaxNameBytes {
		return "(a name of " + strconv.Itoa(len(name)) + " bytes)"
	}
	return strconv.QuoteToASCII(name)
}
