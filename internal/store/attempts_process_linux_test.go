package store_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/store"
)

func attempts(t *testing.T, db store.Store, name string) (live, orphans []store.Attempt) {
	t.Helper()
	if err := db.View(func(tx store.Tx) error {
		live, orphans = tx.(store.AttemptTx).Attempts(name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return live, orphans
}

// An attempt held by another process is live while that process runs and
// an orphan once it is killed: the kernel drops the process's lock on its
// slot however it ends.
func TestAttemptOfAKilledProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authctl.db")
	db := store.New(store.Options{Path: path, LockTimeout: 10 * time.Second, Create: true})
	if err := db.Update(func(tx store.Tx) error {
		return tx.PutUser(&store.User{Name: "alice", PasswordHash: "h"})
	}); err != nil {
		t.Fatal(err)
	}
	const children = 3
	cmds := make([]*exec.Cmd, children)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "AUTHCTL_ATTEMPT_CHILD="+path)
		stdin, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "reserved" {
			t.Fatalf("child %d: %q, %v", i, line, err)
		}
		cmds[i] = c
	}
	if live, orphans := attempts(t, db, "alice"); len(live) != children || len(orphans) != 0 {
		t.Fatalf("%d other processes hold attempts: %d live, %d orphans", children, len(live), len(orphans))
	}
	for i, c := range cmds[:2] {
		if err := c.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = c.Wait()
		if live, orphans := attempts(t, db, "alice"); len(live) != children-1-i || len(orphans) != i+1 {
			t.Fatalf("after %d killed: %d live, %d orphans", i+1, len(live), len(orphans))
		}
	}
	var taken []store.Attempt
	if err := db.Update(func(tx store.Tx) error {
		taken = tx.(store.AttemptTx).TakeOrphans("alice")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(taken) != 2 || !taken[0].Started.Equal(time.Unix(1e9, 0)) {
		t.Fatalf("TakeOrphans = %v, want the two killed processes' attempts", taken)
	}
	if live, orphans := attempts(t, db, "alice"); len(live) != 1 || len(orphans) != 0 {
		t.Fatalf("after TakeOrphans: %d live, %d orphans; want the running process's one", len(live), len(orphans))
	}
}
