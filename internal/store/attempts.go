package store

import (
	"errors"
	"time"
)

// Attempt is an authentication attempt in progress on a user: counted
// before it is verified, not yet settled.
type Attempt struct {
	Started time.Time
	// LockUntil is the lock the account gets if this attempt fails (it is
	// the one that reaches the lockout threshold), or zero.
	LockUntil time.Time
}

// ErrNoAttempts means the store cannot keep attempts in progress outside
// its records here (not Linux, or the table beside the database cannot be
// used): the caller counts the attempt in the record instead.
var ErrNoAttempts = errors.New("no table of attempts in progress")

// InFlight is a Store that keeps attempts in progress outside its durable
// records: the bbolt file on Linux keeps them in a table beside the database
// (path + ".attempts") that every process sees at once and that is never
// fsynced. Reserving an attempt there costs no durable commit; losing the
// table in a power cut only gives attempts back.
type InFlight interface {
	// Reserve runs fn in a read-only transaction under the store's write
	// lock, so no other reservation or write runs meanwhile. When fn
	// returns a user's name and an attempt, the attempt is recorded as in
	// progress on that user and stays so until the Held's Done, or until
	// its process ends without calling it (then it is an orphan, see
	// AttemptTx). fn may return a nil attempt to record nothing.
	Reserve(fn func(tx Tx) (name string, a *Attempt, err error)) (Held, error)
}

// Held is one attempt in progress.
type Held interface {
	// Done ends it: the attempt is no longer in progress. Call it inside
	// the transaction that settles the attempt (counts it in the record,
	// or not), so that no other process sees it both settled and in
	// progress. Done is idempotent.
	Done()
}

// AttemptTx is implemented by the transactions of an InFlight store.
type AttemptTx interface {
	// Attempts returns the attempts in progress on the named user: live
	// ones, whose process still runs, and orphans, whose process ended
	// (was killed) before settling them.
	Attempts(name string) (live, orphans []Attempt)
	// TakeOrphans removes the named user's orphans from the table and
	// returns them, for a write transaction that counts them in the record.
	TakeOrphans(name string) []Attempt
}
