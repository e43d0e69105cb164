//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// dropPages is a no-op where the resident set is not worth managing by hand.
func dropPages(*bolt.Tx) {}
