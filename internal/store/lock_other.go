//go:build !unix

package store

import (
	"errors"
	"time"
)

var errLockTimeout = errors.New("lock timeout")

// lockSidecar is a no-op where flock(2) is missing; bbolt's own lock
// serialises processes there.
func lockSidecar(string, bool, time.Duration) (func(), error) { return func() {}, nil }
