package store

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// withUser returns a database holding one user.
func withUser(t *testing.T, name string) *DB {
	t.Helper()
	db := newDB(t)
	if err := db.Update(func(tx Tx) error {
		return tx.PutUser(&User{Name: name, PasswordHash: "h", CreatedAt: t0, PasswordAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func reserve(t *testing.T, db *DB, name string, a Attempt) Held {
	t.Helper()
	h, err := db.Reserve(func(tx Tx) (string, *Attempt, error) {
		if !tx.HasUser(name) {
			t.Errorf("Reserve's transaction does not see %s", name)
		}
		return name, &a, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func attemptsOn(t *testing.T, db *DB, name string) (live, orphans []Attempt) {
	t.Helper()
	if err := db.View(func(tx Tx) error {
		live, orphans = tx.(AttemptTx).Attempts(name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return live, orphans
}

func TestAttemptLiveUntilDone(t *testing.T) {
	db := withUser(t, "alice")
	a := Attempt{Started: t0, LockUntil: t0.Add(30 * time.Second)}
	h := reserve(t, db, "alice", a)
	live, orphans := attemptsOn(t, db, "alice")
	if len(live) != 1 || len(orphans) != 0 || !live[0].Started.Equal(a.Started) || !live[0].LockUntil.Equal(a.LockUntil) {
		t.Fatalf("in progress: live %v, orphans %v; want %v live", live, orphans, a)
	}
	if live, orphans := attemptsOn(t, db, "bob"); len(live)+len(orphans) != 0 {
		t.Fatalf("another name sees alice's attempt: %v %v", live, orphans)
	}
	// A write transaction cannot take a live attempt.
	if err := db.Update(func(tx Tx) error {
		if got := tx.(AttemptTx).TakeOrphans("alice"); len(got) != 0 {
			t.Errorf("TakeOrphans took a live attempt: %v", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.Done()
	h.Done()
	if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
		t.Fatalf("after Done: live %v, orphans %v", live, orphans)
	}
	// The freed slot is used again: the table does not grow.
	h = reserve(t, db, "alice", Attempt{Started: t0})
	defer h.Done()
	if fi, err := os.Stat(db.attemptsPath()); err != nil || fi.Size() != slotSize {
		t.Fatalf("table after reuse: %v, %v; want one slot", fi.Size(), err)
	}
	if fi, _ := os.Stat(db.attemptsPath()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("table mode %v, want 0600", fi.Mode().Perm())
	}
}

// An attempt whose holder let go without Done (its process ended) is an
// orphan, which a write transaction takes once.
func TestAttemptOrphan(t *testing.T) {
	db := withUser(t, "alice")
	h := reserve(t, db, "alice", Attempt{Started: t0})
	h.(*held).f.Close() // what the kernel does when the process ends
	live, orphans := attemptsOn(t, db, "alice")
	if len(live) != 0 || len(orphans) != 1 {
		t.Fatalf("after its holder let go: live %v, orphans %v; want one orphan", live, orphans)
	}
	if err := db.View(func(tx Tx) error {
		if got := tx.(AttemptTx).TakeOrphans("alice"); got != nil {
			t.Errorf("a read-only transaction took orphans: %v", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var taken []Attempt
	if err := db.Update(func(tx Tx) error {
		taken = tx.(AttemptTx).TakeOrphans("alice")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(taken) != 1 || !taken[0].Started.Equal(t0) {
		t.Fatalf("TakeOrphans = %v, want the one orphan", taken)
	}
	if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
		t.Fatalf("after TakeOrphans: live %v, orphans %v", live, orphans)
	}
}

func TestAttemptNothingRecorded(t *testing.T) {
	db := withUser(t, "alice")
	h, err := db.Reserve(func(Tx) (string, *Attempt, error) { return "", nil, nil })
	if err != nil || h != nil {
		t.Fatalf("nil attempt: %v, %v", h, err)
	}
	boom := errors.New("boom")
	if _, err := db.Reserve(func(Tx) (string, *Attempt, error) { return "alice", &Attempt{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error: %v", err)
	}
	if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
		t.Fatalf("recorded: %v %v", live, orphans)
	}
}

// The table decides who may try a password: anything but a regular file
// that only its owner can write is not used (the caller counts in the
// record instead), and using it never hangs.
func TestAttemptTableRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"world-writable", func(p string) error {
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				return err
			}
			return os.Chmod(p, 0o666)
		}},
		{"symlink", func(p string) error { return os.Symlink(os.DevNull, p) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := withUser(t, "alice")
			if err := tc.make(db.attemptsPath()); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := db.Reserve(func(Tx) (string, *Attempt, error) { return "alice", &Attempt{Started: t0}, nil })
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNoAttempts) {
					t.Fatalf("Reserve = %v, want ErrNoAttempts", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Reserve hung")
			}
			if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
				t.Fatalf("read from a refused table: %v %v", live, orphans)
			}
		})
	}
}

// A slot torn by a power cut fails its checksum: it reads as free and is
// used again.
func TestAttemptTornSlot(t *testing.T) {
	db := withUser(t, "alice")
	b := encodeSlot("alice", Attempt{Started: t0})
	b[30] ^= 0xff
	if err := os.WriteFile(db.attemptsPath(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
		t.Fatalf("a torn slot read as an attempt: %v %v", live, orphans)
	}
	h := reserve(t, db, "alice", Attempt{Started: t0})
	defer h.Done()
	if fi, err := os.Stat(db.attemptsPath()); err != nil || fi.Size() != slotSize {
		t.Fatalf("the torn slot was not reused: size %d, %v", fi.Size(), err)
	}
}

// A full table (orphans of a name nobody tries again) makes Reserve defer to
// the record rather than lose an attempt.
func TestAttemptTableFull(t *testing.T) {
	db := withUser(t, "alice")
	var buf []byte
	for range maxSlots {
		buf = append(buf, encodeSlot("ghost", Attempt{Started: t0})...)
	}
	if err := os.WriteFile(db.attemptsPath(), buf, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reserve(func(Tx) (string, *Attempt, error) { return "alice", &Attempt{Started: t0}, nil }); !errors.Is(err, ErrNoAttempts) {
		t.Fatalf("Reserve on a full table = %v, want ErrNoAttempts", err)
	}
	if _, orphans := attemptsOn(t, db, "ghost"); len(orphans) != maxSlots {
		t.Fatalf("%d orphans of ghost, want %d", len(orphans), maxSlots)
	}
}

// Goroutines reserving at once each get a slot of their own, all live.
func TestAttemptsConcurrent(t *testing.T) {
	db := withUser(t, "alice")
	const n = 24
	helds := make([]Held, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { helds[i] = reserve(t, db, "alice", Attempt{Started: t0.Add(time.Duration(i))}) })
	}
	wg.Wait()
	live, orphans := attemptsOn(t, db, "alice")
	if len(live) != n || len(orphans) != 0 {
		t.Fatalf("%d reserved at once: %d live, %d orphans", n, len(live), len(orphans))
	}
	seen := map[time.Time]bool{}
	for _, a := range live {
		seen[a.Started] = true
	}
	if len(seen) != n {
		t.Fatalf("attempts overwrote each other: %d distinct of %d", len(seen), n)
	}
	for _, h := range helds {
		h.Done()
	}
	if live, orphans := attemptsOn(t, db, "alice"); len(live)+len(orphans) != 0 {
		t.Fatalf("after Done: %v %v", live, orphans)
	}
}
