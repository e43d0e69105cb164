package store

import (
	"io"
	"time"
)

// Store is what authctl keeps its records in: the bbolt file of one host
// (DB, the default) or a PostgreSQL server shared by many (package pg). The
// domain (internal/account) is written against this contract alone, and one
// conformance suite (internal/store/storetest) holds every implementation to
// it.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in one read-write transaction, committed if fn returns
	// nil and rolled back otherwise. Records read in it stay as read until
	// it ends: a concurrent writer waits (bbolt's single writer, or
	// PostgreSQL's row locks), so a read-check-write never loses an update.
	//
	// A backend whose writers run side by side may roll the transaction
	// back and run fn again, from the start, when it ran into another
	// (PostgreSQL: a deadlock, or a user inserted under a name fn found
	// free): fn must decide everything it reports afresh on each run.
	Update(fn func(Tx) error) error
}

// Tx is one transaction. Methods without an error result record a failure
// of the underlying database and make the transaction fail when it ends
// (View and Update return that first failure, whatever fn returned). A
// backend may also send a write later, with the next read or the commit
// (PostgreSQL does, to save round trips): its failure then comes from that
// read or from Update, and the transaction fails all the same; nothing of
// it commits.
type Tx interface {
	// Schema is the layout version recorded in the database.
	Schema() uint64
	// KeyID is the fingerprint of the key that seals secrets, or "".
	KeyID() string
	SetKeyID(id string) error

	// User returns the named user, or ErrNotFound.
	User(name string) (*User, error)
	HasUser(name string) bool
	// PutUser stores u and bumps its revision.
	PutUser(u *User) error
	DeleteUser(name string) error
	// Users calls fn for each user in name order, one at a time.
	Users(fn func(*User) error) error
	CountUsers() int

	// AddAudit appends an entry at e.Time.
	AddAudit(e AuditEntry) error
	// PruneAudit deletes entries older than before.
	PruneAudit(before time.Time) (int, error)
	// Audit calls fn for entries newest first, down to since; fn returns
	// false to stop.
	Audit(since time.Time, fn func(AuditEntry) (bool, error)) error

	// WriteTo writes a consistent copy of the whole database to w, where
	// the backend can (a bbolt file); others say how to back them up.
	WriteTo(w io.Writer) (int64, error)
	// Check checks the database and every record, calling inspect on each
	// user for the domain's own checks, and returns every problem found.
	Check(inspect func(*User) []error) []error
}

// LightUpdater is a Store that can commit a transaction without waiting for
// it to be durable, for writes whose loss in a crash is harmless: an attempt
// counted before it is verified (losing it gives one attempt back), never a
// change reported as done. PostgreSQL has it (synchronous_commit off for the
// transaction: a crash may lose it, never corrupt anything). The bbolt file
// has not: bbolt's NoSync skips the fdatasync that orders its data pages
// before its meta page, so a power cut could leave a meta page pointing at
// pages never written.
type LightUpdater interface {
	UpdateLight(fn func(Tx) error) error
}

var _ Store = (*DB)(nil)
