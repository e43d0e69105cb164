//go:build !linux

package store

// Elsewhere than Linux there are no open-file-description locks to tell a
// live attempt from an orphan, so attempts are counted in the record.

func (d *DB) attemptsPath() string { return d.opts.Path + ".attempts" }

// Reserve implements InFlight: it always defers to the record.
func (d *DB) Reserve(func(tx Tx) (string, *Attempt, error)) (Held, error) {
	return nil, ErrNoAttempts
}

type attemptTable struct{}

func (t *boltTx) closeAttempts() {}

// Attempts implements AttemptTx: there are none.
func (t *boltTx) Attempts(string) (live, orphans []Attempt) { return nil, nil }

// TakeOrphans implements AttemptTx: there are none.
func (t *boltTx) TakeOrphans(string) []Attempt { return nil }
