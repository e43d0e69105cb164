package account

import (
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// CopyResult says what Copy copied.
type CopyResult struct {
	Users   int
	Entries int    // audit entries
	KeyID   string // the fingerprint of the key the copied secrets are sealed with
}

// copyBatch is how many users, or audit entries, go in one transaction on
// the destination.
const copyBatch = 500

// Copy copies everything in src to dst: every user record as it is
// (password hash, sealed 2FA secrets, backup codes, throttle state,
// revision), the key fingerprint, and the audit trail with its times and
// order. It is how a site moves from a file to a server and back.
//
// src is read in one transaction, so the copy is of one moment. dst is
// written in batches, each its own transaction; a dst that already holds
// users is refused (a Conflict), and so is one where a user appears during
// the copy. Nothing is decrypted: the secrets stay sealed with the key file,
// which the destination's hosts need too. progress, if not nil, is called
// after each batch with the totals so far.
func Copy(src, dst store.Store, progress func(users, entries int)) (CopyResult, error) {
	var res CopyResult
	report := func() {
		if progress != nil {
			progress(res.Users, res.Entries)
		}
	}
	err := src.View(func(stx store.Tx) error {
		res.KeyID = stx.KeyID()
		if err := dst.Update(func(dtx store.Tx) error {
			if n := dtx.CountUsers(); n > 0 {
				return apperr.New(apperr.Conflict, "the destination already holds %d %s; copy into a new, empty database", n, plural(n, "user", "users"))
			}
			return dtx.SetKeyID(res.KeyID)
		}); err != nil {
			return err
		}

		var users []*store.User
		flushUsers := func() error {
			err := dst.Update(func(dtx store.Tx) error {
				for _, u := range users {
					if dtx.HasUser(u.Name) {
						return apperr.New(apperr.Conflict, "user %s appeared in the destination during the copy; copy into a database nothing else writes to", u.Name)
					}
					c := *u
					c.Rev-- // PutUser bumps it back: the copy keeps the revision
					if err := dtx.PutUser(&c); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			res.Users += len(users)
			users = users[:0]
			report()
			return nil
		}
		if err := stx.Users(func(u *store.User) error {
			users = append(users, u)
			if len(users) == copyBatch {
				return flushUsers()
			}
			return nil
		}); err != nil {
			return err
		}
		if err := flushUsers(); err != nil {
			return err
		}
		return copyAudit(stx, dst, &res, report)
	})
	return res, err
}

// copyAudit copies the audit trail. It is read newest first; each batch is
// written oldest first, and a batch never ends inside a run of entries of
// the same microsecond (the finest time both stores order by), so every
// store orders the copy as the source does: by time, then by the order
// the entries were added in.
func copyAudit(stx store.Tx, dst store.Store, res *CopyResult, report func()) error {
	var batch []store.AuditEntry // newest first
	flush := func() error {
		err := dst.Update(func(dtx store.Tx) error {
			for i := len(batch) - 1; i >= 0; i-- {
				if err := dtx.AddAudit(batch[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.Entries += len(batch)
		batch = batch[:0]
		report()
		return nil
	}
	err := stx.Audit(time.Time{}, func(e store.AuditEntry) (bool, error) {
		if len(batch) >= copyBatch && !sameMicrosecond(e.Time, batch[len(batch)-1].Time) {
			if err := flush(); err != nil {
				return false, err
			}
		}
		batch = append(batch, e)
		return true, nil
	})
	if err != nil {
		return err
	}
	if len(batch) == 0 {
		return nil
	}
	return flush()
}

// sameMicrosecond reports whether two entry times tie in a store's order:
// the same microsecond, or both before 1970 (which stores keep as 1970).
func sameMicrosecond(a, b time.Time) bool {
	epoch := time.Unix(0, 0)
	if !a.After(epoch) && !b.After(epoch) {
		return true
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
