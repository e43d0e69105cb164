package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/storetest"
)

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, func(loc string, lockTimeout time.Duration) store.Store {
		return store.New(store.Options{Path: loc, LockTimeout: lockTimeout})
	}))
}

// The bbolt file meets the contract the domain is written against.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.New(store.Options{Path: filepath.Join(t.TempDir(), "authctl.db"), LockTimeout: 10 * time.Second, Create: true})
	})
}
