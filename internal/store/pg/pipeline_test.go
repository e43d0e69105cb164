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

// The server-side timeouts hold in every transaction and leave nothing
// in the session, so that they hold through a pooler in transaction mode
// (which hands the session to other clients between transactions) and
// the pooler sees no startup parameter it would refuse.
func TestTimeoutsPerTransaction(t *testing.T) {
	t.Parallel()
	db := New(Options{URL: pgtest.URL(t), LockTimeout: 1500 * time.Millisecond, Create: true})
	defer db.Close()
	if err := db.Update(func(store.Tx) error { return nil }); err != nil {
		t.Fatal(err) // the tables
	}
	show := func(tx store.Tx, name string) string {
		var v string
		if _, err := tx.(*pgTx).row("SHOW "+name, nil, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, run := range []func(func(store.Tx) error) error{db.Update, db.View, db.UpdateLight} {
		if err := run(func(tx store.Tx) error {
			if lt, it := show(tx, "lock_timeout"), show(tx, "idle_in_transaction_session_timeout"); lt != "1500ms" || it != "1min" {
				t.Errorf("in a transaction: lock_timeout %s, idle_in_transaction_session_timeout %s; want 1500ms, 1min", lt, it)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := db.ctx()
	defer cancel()
	for _, name := range []string{"lock_timeout", "idle_in_transaction_session_timeout", "synchronous_commit"} {
		var v, source string
		if err := db.conn.QueryRow(ctx, "SELECT setting, source FROM pg_settings WHERE name = $1", name).Scan(&v, &source); err != nil {
			t.Fatal(err)
		}
		if source == "client" || source == "session" {
			t.Errorf("the session has %s = %s from authctl (%s), not only its transactions", name, v, source)
		}
	}
}
