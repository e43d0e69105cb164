package cmd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/pg"
)

// openStore returns the store a --db value names: a PostgreSQL database for
// a postgres:// or postgresql:// URL, a bbolt file otherwise. create lets a
// write create it. A PostgreSQL store keeps a connection open, which Close
// ends when the command is done.
func (a *App) openStore(loc string, lockTimeout time.Duration, create bool) store.Store {
	if pg.IsURL(loc) {
		db := pg.New(pg.Options{URL: loc, LockTimeout: lockTimeout, Create: create, IgnoreEnv: a.noEnv})
		a.closers = append(a.closers, db)
		return db
	}
	return store.New(store.Options{Path: loc, LockTimeout: lockTimeout, Create: create})
}

// Close closes the connections the command opened; Run calls it when the
// command is done.
func (a *App) Close() error {
	var errs []error
	for _, c := range a.closers {
		errs = append(errs, c.Close())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// showDB is a --db value as messages show it: a URL without its password.
func showDB(loc string) string {
	if pg.IsURL(loc) {
		return pg.Redact(loc)
	}
	return loc
}

// sameDB reports whether two --db values name the same database: the same
// URL, or the same file (by path, or as the same file on disk).
func sameDB(a, b string) bool {
	if pg.IsURL(a) || pg.IsURL(b) {
		return a == b
	}
	x, errx := filepath.Abs(a)
	y, erry := filepath.Abs(b)
	if errx == nil && erry == nil && x == y {
		return true
	}
	fx, errx := os.Stat(a)
	fy, erry := os.Stat(b)
	return errx == nil && erry == nil && os.SameFile(fx, fy)
}

var _ io.Closer = (*pg.DB)(nil)
