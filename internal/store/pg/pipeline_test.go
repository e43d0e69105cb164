package pg

import (
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/pg/pgtest"
)

// The transactions of a login take a round trip for each answer fn waits
// for, and one for the writes and COMMIT: BEGIN goes with the first read,
// and on a new connection the schema check too.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	db := New(Options{URL: pgtest.URL(t), LockTimeout: 10 * time.Second, Create: true})
	defer db.Close()
	if err := db.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "ann", PasswordHash: "h"}) }); err != nil {
		t.Fatal(err)
	}
	db.Close() // the next transaction opens a new connection, unchecked
	trips := func(what string, run func(func(store.Tx) error) error, fn func(tx store.Tx) error, want int) {
		t.Helper()
		before := db.trips
		if err := run(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := db.trips - before; n != want {
			t.Errorf("%s took %d round trips, want %d", what, n, want)
		}
	}
	bump := func(tx store.Tx) error {
		u, err := tx.User("ann")
		if err != nil {
			return err
		}
		u.Failures++
		return tx.PutUser(u)
	}
	trips("a reservation on a new connection", db.UpdateLight, bump, 2)
	trips("a commit with an audit entry", db.Update, func(tx store.Tx) error {
		if err := bump(tx); err != nil {
			return err
		}
		return tx.AddAudit(store.AuditEntry{Time: time.Now(), Event: "login.ok", User: "ann"})
	}, 2)
	trips("a read", db.View, func(tx store.Tx) error { _, err := tx.User("ann"); return err }, 2)
}
