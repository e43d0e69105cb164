package pg_test

import (
	"os"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/pg"
	"github.com/authctl/authctl/internal/store/pg/pgtest"
	"github.com/authctl/authctl/internal/store/storetest"
)

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, func(loc string, lockTimeout time.Duration) store.Store {
		return pg.New(pg.Options{URL: loc, LockTimeout: lockTimeout})
	}))
}

// newDB returns a store on a fresh database of the test server, closed when
// t ends.
func newDB(t *testing.T) *pg.DB {
	t.Helper()
	db := pg.New(pg.Options{URL: pgtest.URL(t), LockTimeout: 10 * time.Second, Create: true})
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgreSQL meets the contract the domain is written against, across
// connections and processes.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newDB(t) })
}
