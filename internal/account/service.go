// Package account is authctl's domain: users, password login, the 2FA
// lifecycle, backup codes, throttling and the audit trail. It gets its store,
// clock, randomness and hashing injected and knows nothing of the command line.
package account

import (
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// Store is what the domain needs of the database: store.Store, whose
// contract (transactions as closures, records read in an update held until
// it ends) every backend meets.
type Store = store.Store

// Service carries the injected dependencies of every operation.
type Service struct {
	Store  Store
	Now    func() time.Time
	Rand   io.Reader
	Hasher secret.Hasher
	// CodeParams are the argon2id parameters for new backup codes.
	CodeParams     secret.Params
	Keys           *Keyring
	Policy         Policy
	Issuer         string
	AuditRetention time.Duration
	EnrollTTL      time.Duration
}

// New returns a Service with production defaults for everything but the
// store and the key file.
func New(st Store, keys *Keyring) *Service {
	return &Service{
		Store:          st,
		Now:            time.Now,
		Rand:           rand.Reader,
		Hasher:         secret.Hasher{Params: secret.DefaultParams},
		CodeParams:     secret.CodeParams,
		Keys:           keys,
		Policy:         DefaultPolicy,
		Issuer:         "authctl",
		AuditRetention: 90 * 24 * time.Hour,
		EnrollTTL:      10 * time.Minute,
	}
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// errChanged makes an operation start over because the record changed
// between its read and its write.
var errChanged = errors.New("record changed concurrently")

const maxRetries = 5

// retry runs op again while it reports errChanged.
func retry(op func() error) error {
	for i := 0; ; i++ {
		err := op()
		if !errors.Is(err, errChanged) || i == maxRetries {
			if errors.Is(err, errChanged) {
				return apperr.New(apperr.Env, "the account kept changing under concurrent updates; try again")
			}
			return err
		}
	}
}

func noSuchUser(name string) error {
	// A name that cannot exist is bad input, and is not echoed back (it may
	// be huge or hold terminal escapes).
	if err := CheckName(name); err != nil {
		return err
	}
	return apperr.New(apperr.Conflict, "no such user: %s", name)
}

// audit appends e and prunes what retention drops, in the caller's transaction.
func (s *Service) audit(tx store.Tx, e store.AuditEntry) error {
	e.Time = s.now()
	if err := tx.AddAudit(e); err != nil {
		return err
	}
	if s.AuditRetention > 0 {
		if _, err := tx.PruneAudit(e.Time.Add(-s.AuditRetention)); err != nil {
			return err
		}
	}
	return nil
}

// lookup reads the user a typed name refers to: the record stored under the
// name as typed (which may be a legacy name, stored before names were
// normalised), or else under its normalised form. It returns
// store.ErrNotFound when there is none.
func lookup(tx store.Tx, name string) (*store.User, error) {
	u, err := tx.User(name)
	if errors.Is(err, store.ErrNotFound) {
		if n, nerr := NormalizeName(name); nerr == nil && n != name {
			return tx.User(n)
		}
	}
	return u, err
}

// errNoChange tells updateUser not to write the record back: change had
// nothing to do, or removed it. What change wrote besides is committed.
var errNoChange = errors.New("no change")

// updateUser carries one admin change to the named user, the way bbolt's
// Update carries a transaction: the record is read in the read-write
// transaction (so nothing changes it meanwhile), change modifies it and
// audits, and it is written back, all or nothing. Changes that need the
// user's factors go through guard instead.
func (s *Service) updateUser(name string, change func(tx store.Tx, u *store.User) error) error {
	return s.Store.Update(func(tx store.Tx) error {
		u, err := lookup(tx, name)
		if errors.Is(err, store.ErrNotFound) {
			return noSuchUser(name)
		}
		if err != nil {
			return err
		}
		switch err := change(tx, u); {
		case errors.Is(err, errNoChange):
			return nil
		case err != nil:
			return err
		}
		return tx.PutUser(u)
	})
}

// read loads the named user in a read-only transaction, with the database's
// key fingerprint.
func (s *Service) read(name string) (u *store.User, keyID string, err error) {
	err = s.withUser(name, func(tx store.Tx, found *store.User) error {
		u, keyID = found, tx.KeyID()
		return nil
	})
	return u, keyID, err
}

// withUser calls fn with the named user in a read-only transaction.
func (s *Service) withUser(name string, fn func(tx store.Tx, u *store.User) error) error {
	err := s.Store.View(func(tx store.Tx) error {
		u, err := lookup(tx, name)
		if err != nil {
			return err
		}
		return fn(tx, u)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchUser(name)
	}
	return err
}

// Locked reports whether u is locked at now.
func Locked(u *store.User, now time.Time) bool { return now.Before(u.LockedUntil) }

// Exists reports whether name is a user; a missing database has no users.
func (s *Service) Exists(name string) (bool, error) {
	_, _, err := s.read(name)
	switch {
	case err == nil:
		return true, nil
	case apperr.KindOf(err) == apperr.Conflict:
		return false, nil
	}
	return false, err
}
