package store_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/storetest"
)

func TestMain(m *testing.M) {
	if path := os.Getenv("AUTHCTL_ATTEMPT_CHILD"); path != "" {
		os.Exit(attemptChild(path))
	}
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

// attemptChild is the test binary run as another process: it reserves an
// attempt on alice in the database at path, says so, and waits to be killed.
func attemptChild(path string) int {
	db := store.New(store.Options{Path: path, LockTimeout: 10 * time.Second})
	h, err := db.Reserve(func(store.Tx) (string, *store.Attempt, error) {
		return "alice", &store.Attempt{Started: time.Unix(1e9, 0)}, nil
	})
	if err != nil || h == nil {
		fmt.Println("reserve failed:", err)
		return 1
	}
	fmt.Println("reserved")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}
