// Package storetest is the conformance suite of store.Store: every backend
// (the bbolt file, PostgreSQL) runs it, so the domain can rely on the
// contract alone. Besides each method, it checks the concurrency
// properties the domain's guarantees rest on, with goroutines and with
// separate processes: no lost update in a read-modify-write, one winner
// when several insert the same new name, lock waits that end in a clear
// error.
//
// A package runs it with
//
//	func TestMain(m *testing.M) { os.Exit(storetest.Main(m, reopen)) }
//	func TestStore(t *testing.T) { storetest.Run(t, open) }
//
// where open returns a new store that holds nothing yet (its first update
// creates it) and implements Located, and reopen opens the store at a
// location in another process or goroutine.
package storetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// Located is a store that can say where it is, so that another process can
// open it.
type Located interface {
	store.Store
	Location() string
}

// Reopener opens the store at loc (as Location gave it), waiting at most
// lockTimeout for locks; it never creates one.
type Reopener func(loc string, lockTimeout time.Duration) store.Store

var reopen Reopener

// Environment of a child process.
const (
	envRole = "AUTHCTL_STORETEST_ROLE"
	envLoc  = "AUTHCTL_STORETEST_LOC"
	envArg  = "AUTHCTL_STORETEST_ARG"
)

// Main is the TestMain of a package that runs the suite. In a process the
// suite started, it plays that process's part and returns its exit code;
// otherwise it runs the tests.
func Main(m *testing.M, r Reopener) int {
	reopen = r
	if role := os.Getenv(envRole); role != "" {
		return child(role, os.Getenv(envLoc), os.Getenv(envArg))
	}
	return m.Run()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the whole suite on stores that open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	fresh := func(t *testing.T) store.Store {
		t.Helper()
		st := open(t)
		if err := st.Update(func(store.Tx) error { return nil }); err != nil {
			t.Fatalf("creating the store: %v", err)
		}
		return st
	}
	t.Run("NoDataYet", func(t *testing.T) { t.Parallel(); testNoDataYet(t, open(t)) })
	t.Run("Schema", func(t *testing.T) { t.Parallel(); testSchema(t, fresh(t)) })
	t.Run("UserRoundTrip", func(t *testing.T) { t.Parallel(); testUserRoundTrip(t, fresh(t)) })
	t.Run("UsersInNameOrder", func(t *testing.T) { t.Parallel(); testUsersInNameOrder(t, fresh(t)) })
	t.Run("UsersCallbackMayWrite", func(t *testing.T) { t.Parallel(); testUsersCallbackMayWrite(t, fresh(t)) })
	t.Run("KeyID", func(t *testing.T) { t.Parallel(); testKeyID(t, fresh(t)) })
	t.Run("Audit", func(t *testing.T) { t.Parallel(); testAudit(t, fresh(t)) })
	t.Run("AuditPages", func(t *testing.T) { t.Parallel(); testAuditPages(t, fresh(t)) })
	t.Run("Check", func(t *testing.T) { t.Parallel(); testCheck(t, fresh(t)) })
	t.Run("UpdateRollsBack", func(t *testing.T) { t.Parallel(); testUpdateRollsBack(t, fresh(t)) })
	t.Run("ViewCannotWrite", func(t *testing.T) { t.Parallel(); testViewCannotWrite(t, fresh(t)) })
	t.Run("Goroutines", func(t *testing.T) { t.Parallel(); testGoroutines(t, fresh(t)) })
	t.Run("Processes", func(t *testing.T) { t.Parallel(); testProcesses(t, fresh(t)) })
	t.Run("LockWaitEnds", func(t *testing.T) { t.Parallel(); testLockWaitEnds(t, fresh(t)) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testNoDataYet(t *testing.T, st store.Store) {
	err := st.View(func(store.Tx) error { return nil })
	if !errors.Is(err, store.ErrNoDatabase) || apperr.KindOf(err) != apperr.Env {
		t.Fatalf("View of a store with no data yet = %v, want an Env error wrapping store.ErrNoDatabase", err)
	}
}

func testSchema(t *testing.T, st store.Store) {
	must(t, st.View(func(tx store.Tx) error {
		if tx.Schema() != store.SchemaVersion {
			t.Errorf("Schema() = %d, want %d", tx.Schema(), store.SchemaVersion)
		}
		if n := tx.CountUsers(); n != 0 {
			t.Errorf("a new store has %d users", n)
		}
		return nil
	}))
}

func sampleUser(name string) *store.User {
	return &store.User{
		Name:         name,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		CreatedAt:    t0,
		PasswordAt:   t0.Add(time.Hour),
		LastLoginAt:  t0.Add(2 * time.Hour),
		TOTP:         &store.TOTP{Secret: []byte{1, 2, 3, 0, 255}, EnabledAt: t0.Add(3 * time.Hour), Digits: 8, Offset: -2, Source: "test"},
		Pending:      &store.Pending{Secret: []byte("sealed pending"), CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)},
		Backup: &store.BackupSet{
			Salt: []byte("0123456789abcdef"), Memory: 64, Time: 1, Threads: 1,
			Hashes:      [][]byte{bytes.Repeat([]byte{1}, 32), nil, bytes.Repeat([]byte{3}, 32)},
			GeneratedAt: t0.Add(4 * time.Hour),
			LastUsed:    bytes.Repeat([]byte{2}, 32),
		},
		LastStep:    58_000_000,
		Failures:    3,
		LockedUntil: t0.Add(5 * time.Hour),
	}
}

func equalUsers(a, b *store.User) bool {
	x, _ := store.EncodeUser(a)
	y, _ := store.EncodeUser(b)
	return bytes.Equal(x, y)
}

func testUserRoundTrip(t *testing.T, st store.Store) {
	u := sampleUser("alice")
	must(t, st.Update(func(tx store.Tx) error {
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.PutUser(&store.User{Name: "bob", PasswordHash: "h", CreatedAt: t0, PasswordAt: t0})
	}))
	if u.Rev != 1 {
		t.Errorf("Rev after the first write = %d, want 1", u.Rev)
	}
	must(t, st.View(func(tx store.Tx) error {
		got, err := tx.User("alice")
		if err != nil {
			return err
		}
		if !equalUsers(got, u) {
			t.Errorf("read back:\n%+v\nwant\n%+v", got, u)
		}
		if _, err := tx.User("carol"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("User of a missing name = %v, want store.ErrNotFound", err)
		}
		if !tx.HasUser("alice") || !tx.HasUser("bob") || tx.HasUser("carol") || tx.HasUser("Alice") {
			t.Error("HasUser is wrong (names are exact)")
		}
		if n := tx.CountUsers(); n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}
		return nil
	}))
	// A second write bumps Rev again; the stored record follows.
	must(t, st.Update(func(tx store.Tx) error {
		f, err := tx.User("alice")
		if err != nil {
			return err
		}
		f.Failures = 0
		if err := tx.PutUser(f); err != nil {
			return err
		}
		if f.Rev != 2 {
			t.Errorf("Rev after the second write = %d, want 2", f.Rev)
		}
		g, err := tx.User("alice")
		if err != nil {
			return err
		}
		if g.Rev != 2 || g.Failures != 0 {
			t.Errorf("in the same update, User reads %+v, not what was put", g)
		}
		return nil
	}))
	// Delete, and deleting a missing name is no error.
	must(t, st.Update(func(tx store.Tx) error {
		if err := tx.DeleteUser("bob"); err != nil {
			return err
		}
		return tx.DeleteUser("nobody")
	}))
	must(t, st.View(func(tx store.Tx) error {
		if tx.HasUser("bob") || tx.CountUsers() != 1 {
			t.Errorf("after delete: HasUser(bob) %v, %d users", tx.HasUser("bob"), tx.CountUsers())
		}
		return nil
	}))
}

// names in byte order include upper case, spaces, accents and more than a
// page of a PostgreSQL scan.
func manyNames() []string {
	names := []string{"alice", "Bob", "bob", "zoë", "Émile", "ß", "a b", "日本", "z"}
	for i := range 1200 {
		names = append(names, fmt.Sprintf("u%05d", i))
	}
	return names
}

func testUsersInNameOrder(t *testing.T, st store.Store) {
	names := manyNames()
	must(t, st.Update(func(tx store.Tx) error {
		for _, n := range names {
			if err := tx.PutUser(&store.User{Name: n, PasswordHash: "h"}); err != nil {
				return err
			}
		}
		return nil
	}))
	want := slices.Clone(names)
	slices.Sort(want) // bytewise
	for _, write := range []bool{false, true} {
		var got []string
		scan := func(tx store.Tx) error {
			return tx.Users(func(u *store.User) error { got = append(got, u.Name); return nil })
		}
		if write {
			must(t, st.Update(scan))
		} else {
			must(t, st.View(scan))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Users (update %v) is not in byte order of names: %d names, first %q", write, len(got), got[:min(len(got), 12)])
		}
	}
	// fn's error stops the scan and comes back.
	stop := errors.New("stop")
	n := 0
	err := st.View(func(tx store.Tx) error {
		return tx.Users(func(*store.User) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("Users with fn failing at the third user: err %v after %d calls", err, n)
	}
	must(t, st.View(func(tx store.Tx) error {
		if c := tx.CountUsers(); c != len(names) {
			t.Errorf("CountUsers = %d, want %d", c, len(names))
		}
		return nil
	}))
}

// Inside Users, fn may use the transaction: read another user, write the
// one it got.
func testUsersCallbackMayWrite(t *testing.T, st store.Store) {
	names := manyNames()[:700]
	must(t, st.Update(func(tx store.Tx) error {
		for _, n := range names {
			if err := tx.PutUser(&store.User{Name: n, PasswordHash: "h"}); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, st.Update(func(tx store.Tx) error {
		return tx.Users(func(u *store.User) error {
			if !tx.HasUser("alice") {
				return errors.New("alice vanished")
			}
			u.Failures = 7
			return tx.PutUser(u)
		})
	}))
	must(t, st.View(func(tx store.Tx) error {
		return tx.Users(func(u *store.User) error {
			if u.Failures != 7 || u.Rev != 2 {
				t.Fatalf("%s was not rewritten during the scan: %+v", u.Name, u)
			}
			return nil
		})
	}))
}

func testKeyID(t *testing.T, st store.Store) {
	must(t, st.Update(func(tx store.Tx) error {
		if id := tx.KeyID(); id != "" {
			t.Errorf("a new store has key id %q", id)
		}
		return tx.SetKeyID("abc123")
	}))
	must(t, st.View(func(tx store.Tx) error {
		if id := tx.KeyID(); id != "abc123" {
			t.Errorf("KeyID = %q, want abc123", id)
		}
		return nil
	}))
	must(t, st.Update(func(tx store.Tx) error { return tx.SetKeyID("def456") }))
	must(t, st.View(func(tx store.Tx) error {
		if id := tx.KeyID(); id != "def456" {
			t.Errorf("KeyID after a second SetKeyID = %q", id)
		}
		return nil
	}))
}

func collectAudit(t *testing.T, st store.Store, since time.Time) []store.AuditEntry {
	t.Helper()
	var got []store.AuditEntry
	must(t, st.View(func(tx store.Tx) error {
		return tx.Audit(since, func(e store.AuditEntry) (bool, error) { got = append(got, e); return true, nil })
	}))
	return got
}

func sameEntry(a, b store.AuditEntry) bool {
	return a.Time.Equal(b.Time) && a.Event == b.Event && a.User == b.User && a.Factor == b.Factor && a.Detail == b.Detail
}

func testAudit(t *testing.T, st store.Store) {
	if got := collectAudit(t, st, time.Time{}); len(got) != 0 {
		t.Fatalf("a new store has %d audit entries", len(got))
	}
	// Added out of time order; two with the same time; one before 1970
	// (which sorts as 1970) and one with nanoseconds.
	entries := []store.AuditEntry{
		{Time: t0.Add(2 * time.Hour), Event: "login.ok", User: "alice", Factor: "code"},
		{Time: t0, Event: "user.add", User: "alice"},
		{Time: t0.Add(time.Hour), Event: "user.add", User: "bob"},
		{Time: t0.Add(time.Hour), Event: "login.fail", User: "bob", Factor: "password", Detail: "same time, added later"},
		{Time: t0.Add(3*time.Hour + 123456789), Event: "user.delete", User: "bob"},
		{Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Event: "old"},
	}
	must(t, st.Update(func(tx store.Tx) error {
		for _, e := range entries {
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	}))
	want := []store.AuditEntry{entries[4], entries[0], entries[3], entries[2], entries[1], entries[5]}
	got := collectAudit(t, st, time.Time{})
	if len(got) != len(want) {
		t.Fatalf("Audit returned %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameEntry(got[i], want[i]) {
			t.Errorf("entry %d newest first: %+v, want %+v", i, got[i], want[i])
		}
	}
	// since is inclusive.
	got = collectAudit(t, st, t0.Add(time.Hour))
	if len(got) != 4 || got[3].Event != "user.add" {
		t.Errorf("Audit since an entry's time: %+v", got)
	}
	// fn stops the scan.
	n := 0
	must(t, st.View(func(tx store.Tx) error {
		return tx.Audit(time.Time{}, func(store.AuditEntry) (bool, error) { n++; return n < 2, nil })
	}))
	if n != 2 {
		t.Errorf("Audit went on after fn returned false: %d calls", n)
	}
	// Prune deletes what is older than its argument, and says how many.
	var pruned int
	must(t, st.Update(func(tx store.Tx) error {
		var err error
		pruned, err = tx.PruneAudit(t0.Add(time.Hour))
		return err
	}))
	if pruned != 2 {
		t.Errorf("PruneAudit = %d, want 2 (the 1960 entry and the first user.add)", pruned)
	}
	if got := collectAudit(t, st, time.Time{}); len(got) != 4 || got[3].Event != "user.add" || got[3].User != "bob" {
		t.Errorf("after pruning: %+v", got)
	}
}

// More entries than a page of a PostgreSQL scan, many of them sharing a
// time: the order holds across pages.
func testAuditPages(t *testing.T, st store.Store) {
	const n = 1100
	must(t, st.Update(func(tx store.Tx) error {
		for i := range n {
			e := store.AuditEntry{Time: t0.Add(time.Duration(i/3) * time.Second), Event: "e", Detail: strconv.Itoa(i)}
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	}))
	got := collectAudit(t, st, time.Time{})
	if len(got) != n {
		t.Fatalf("Audit returned %d entries, want %d", len(got), n)
	}
	for i, e := range got {
		if want := strconv.Itoa(n - 1 - i); e.Detail != want {
			t.Fatalf("entry %d newest first is %s, want %s", i, e.Detail, want)
		}
	}
	since := t0.Add(100 * time.Second)
	if got := collectAudit(t, st, since); len(got) != n-300 {
		t.Errorf("Audit since %s: %d entries, want %d", since, len(got), n-300)
	}
	var pruned int
	must(t, st.Update(func(tx store.Tx) error {
		var err error
		pruned, err = tx.PruneAudit(since)
		return err
	}))
	if pruned != 300 {
		t.Errorf("PruneAudit = %d, want 300", pruned)
	}
}

func testCheck(t *testing.T, st store.Store) {
	must(t, st.Update(func(tx store.Tx) error {
		for _, n := range []string{"alice", "bob"} {
			if err := tx.PutUser(sampleUser(n)); err != nil {
				return err
			}
		}
		return tx.AddAudit(store.AuditEntry{Time: t0, Event: "user.add", User: "alice"})
	}))
	var problems []error
	var seen []string
	must(t, st.View(func(tx store.Tx) error {
		problems = tx.Check(func(u *store.User) []error {
			seen = append(seen, u.Name)
			if u.Name == "bob" {
				return []error{errors.New("bob: the domain objects")}
			}
			return nil
		})
		return nil
	}))
	if !slices.Equal(seen, []string{"alice", "bob"}) {
		t.Errorf("inspect saw %v, want every user once", seen)
	}
	if len(problems) != 1 || problems[0].Error() != "bob: the domain objects" {
		t.Errorf("Check on sound data returned %v, want only inspect's problem", problems)
	}
	must(t, st.View(func(tx store.Tx) error {
		if p := tx.Check(nil); len(p) != 0 {
			t.Errorf("Check(nil) on sound data: %v", p)
		}
		return nil
	}))
}

func testUpdateRollsBack(t *testing.T, st store.Store) {
	must(t, st.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "a", PasswordHash: "h"}) }))
	boom := errors.New("boom")
	err := st.Update(func(tx store.Tx) error {
		if err := tx.PutUser(&store.User{Name: "b", PasswordHash: "h"}); err != nil {
			return err
		}
		if err := tx.DeleteUser("a"); err != nil {
			return err
		}
		if err := tx.SetKeyID("k"); err != nil {
			return err
		}
		if err := tx.AddAudit(store.AuditEntry{Time: t0, Event: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	must(t, st.View(func(tx store.Tx) error {
		if !tx.HasUser("a") || tx.HasUser("b") || tx.KeyID() != "" {
			t.Error("a failed update left changes behind")
		}
		return nil
	}))
	if got := collectAudit(t, st, time.Time{}); len(got) != 0 {
		t.Errorf("a failed update left %d audit entries", len(got))
	}
}

func testViewCannotWrite(t *testing.T, st store.Store) {
	for name, write := range map[string]func(store.Tx) error{
		"PutUser":    func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "x", PasswordHash: "h"}) },
		"DeleteUser": func(tx store.Tx) error { return tx.DeleteUser("x") },
		"SetKeyID":   func(tx store.Tx) error { return tx.SetKeyID("k") },
		"AddAudit":   func(tx store.Tx) error { return tx.AddAudit(store.AuditEntry{Time: t0, Event: "x"}) },
	} {
		var werr error
		err := st.View(func(tx store.Tx) error {
			werr = write(tx)
			return nil // even when fn ignores the failure, View reports it
		})
		if werr == nil {
			t.Errorf("%s in a View succeeded", name)
		}
		_ = err // bbolt reports it to fn alone; either is fine as long as nothing is written
	}
	must(t, st.View(func(tx store.Tx) error {
		if tx.HasUser("x") || tx.KeyID() != "" {
			t.Error("a View wrote")
		}
		return nil
	}))
	if got := collectAudit(t, st, time.Time{}); len(got) != 0 {
		t.Error("a View wrote an audit entry")
	}
}

func location(t *testing.T, st store.Store) string {
	t.Helper()
	l, ok := st.(Located)
	if !ok {
		t.Fatalf("%T has no Location: the suite cannot open it again", st)
	}
	if reopen == nil {
		t.Fatal("storetest.Main was not called from TestMain: the suite cannot open the store again")
	}
	return l.Location()
}

// Work done by each goroutine or process.
const (
	workers    = 6
	increments = 8
)

// increment is a read-modify-write of one counter (Failures) in one update:
// none may be lost.
func increment(st store.Store, name string) error {
	return st.Update(func(tx store.Tx) error {
		u, err := tx.User(name)
		if err != nil {
			return err
		}
		u.Failures++
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.AddAudit(store.AuditEntry{Time: time.Now(), Event: "incr", User: name})
	})
}

var errTaken = errors.New("taken")

// newNames are the names every worker tries to create, in the same order.
const newNames = 10

// insert creates name unless it exists, marking the record with who did.
// It dawdles between the check and the write, so that racing inserts
// overlap: the store must still let only one of them create the name.
func insert(st store.Store, name, who string) error {
	return st.Update(func(tx store.Tx) error {
		if tx.HasUser(name) {
			return errTaken
		}
		time.Sleep(5 * time.Millisecond)
		return tx.PutUser(&store.User{Name: name, PasswordHash: "by " + who})
	})
}

// race inserts every new name, then increments the counter; it returns
// the names it created.
func race(st store.Store, who string) (won []string, err error) {
	for k := range newNames {
		name := fmt.Sprintf("new%02d", k)
		switch err := insert(st, name, who); {
		case err == nil:
			won = append(won, name)
		case !errors.Is(err, errTaken):
			return won, err
		}
	}
	for range increments {
		if err := increment(st, "counter"); err != nil {
			return won, err
		}
	}
	return won, nil
}

func checkCounter(t *testing.T, st store.Store, want int) {
	t.Helper()
	must(t, st.View(func(tx store.Tx) error {
		u, err := tx.User("counter")
		if err != nil {
			return err
		}
		if u.Failures != want || u.Rev != uint64(want)+1 {
			t.Errorf("after %d concurrent increments: counter %d, rev %d (lost updates)", want, u.Failures, u.Rev)
		}
		return nil
	}))
	if got := collectAudit(t, st, time.Time{}); len(got) != want {
		t.Errorf("%d audit entries, want %d", len(got), want)
	}
}

// checkOneWinner checks that each new name was created by exactly one
// worker (winners maps names to who created them), whose record stayed.
func checkOneWinner(t *testing.T, st store.Store, winners map[string][]string) {
	t.Helper()
	for k := range newNames {
		name := fmt.Sprintf("new%02d", k)
		w := winners[name]
		if len(w) != 1 {
			t.Errorf("%d of %d racing inserts of the new name %s won (%v), want exactly 1", len(w), workers, name, w)
			continue
		}
		must(t, st.View(func(tx store.Tx) error {
			u, err := tx.User(name)
			if err != nil {
				return err
			}
			if u.PasswordHash != "by "+w[0] || u.Rev != 1 {
				t.Errorf("the stored record of %s is %+v, not the winner's (%s)", name, u, w[0])
			}
			return nil
		}))
	}
}

func testGoroutines(t *testing.T, st store.Store) {
	loc := location(t, st)
	must(t, st.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "counter", PasswordHash: "h"}) }))
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := map[string][]string{}
	start := make(chan struct{})
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := reopen(loc, time.Minute)
			defer closeStore(h)
			<-start
			who := strconv.Itoa(i)
			won, err := race(h, who)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
			for _, n := range won {
				winners[n] = append(winners[n], who)
			}
		}()
	}
	close(start)
	wg.Wait()
	checkCounter(t, st, workers*increments)
	checkOneWinner(t, st, winners)
}

func closeStore(st store.Store) {
	if c, ok := st.(interface{ Close() error }); ok {
		c.Close()
	}
}

// proc is a child process of the suite, started and held at a barrier (its
// standard input) until in is closed.
type proc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	label  string
}

func startChild(t *testing.T, role, loc, arg string) *proc {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), envRole+"="+role, envLoc+"="+loc, envArg+"="+arg)
	p := &proc{cmd: c, label: role + " " + arg}
	c.Stderr = &p.stderr
	var err error
	if p.in, err = c.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(out)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.ProcessState == nil {
			c.Process.Kill()
			c.Wait()
		}
	})
	return p
}

// line reads the child's next line of output.
func (p *proc) line() string {
	s, _ := p.out.ReadString('\n')
	return strings.TrimSpace(s)
}

// wait returns the rest of the child's output once it has exited.
func (p *proc) wait(t *testing.T) string {
	t.Helper()
	rest, _ := io.ReadAll(p.out)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("child %s: %v\n%s", p.label, err, p.stderr.String())
	}
	return strings.TrimSpace(string(rest))
}

// testProcesses runs the read-modify-write and the insert race in separate
// processes, each with its own handle (its own connection), all let go at
// once.
func testProcesses(t *testing.T, st store.Store) {
	loc := location(t, st)
	must(t, st.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "counter", PasswordHash: "h"}) }))
	ps := make([]*proc, workers)
	for i := range ps {
		ps[i] = startChild(t, "race", loc, strconv.Itoa(i))
	}
	for _, p := range ps {
		p.in.Close() // the barrier
	}
	winners := map[string][]string{}
	for i, p := range ps {
		for _, n := range strings.Fields(p.wait(t)) {
			winners[n] = append(winners[n], strconv.Itoa(i))
		}
	}
	checkCounter(t, st, workers*increments)
	checkOneWinner(t, st, winners)
}

// testLockWaitEnds holds a user (and, in another process, the key id) in
// an update that does not end, and checks that an update of another
// process needing it gives up after its lock timeout with a clear Env
// error, even when fn ignores what the read returned (HasUser and KeyID
// have no error result: the transaction reports it).
func testLockWaitEnds(t *testing.T, st store.Store) {
	loc := location(t, st)
	must(t, st.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "held", PasswordHash: "h"}) }))
	for _, what := range []string{"user", "key"} {
		p := startChild(t, "hold", loc, what)
		// The child says when it holds the lock, then waits for its stdin.
		if l := p.line(); l != "holding" {
			p.in.Close()
			p.wait(t)
			t.Fatalf("the holding child said %q", l)
		}
		h := reopen(loc, 300*time.Millisecond)
		start := time.Now()
		ran := false
		err := h.Update(func(tx store.Tx) error {
			ran = true
			if what == "user" {
				_ = tx.HasUser("held")
			} else {
				_ = tx.KeyID()
			}
			return nil
		})
		waited := time.Since(start)
		closeStore(h)
		p.in.Close()
		p.wait(t)
		if err == nil || apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), "locked by another authctl process") {
			t.Errorf("an update needing the %s another process holds: %v (fn ran: %v); want an Env error saying it is locked", what, err, ran)
		}
		if waited > 10*time.Second {
			t.Errorf("the update waited %s with a lock timeout of 300ms", waited)
		}
	}
}

// child plays a child process's part; its stdout is its answer.
func child(role, loc, arg string) int {
	st := reopen(loc, time.Minute)
	defer closeStore(st)
	in := bufio.NewReader(os.Stdin)
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch role {
	case "race":
		in.ReadString('\n') // the barrier: stdin closes
		won, err := race(st, arg)
		if err != nil {
			return fail(err)
		}
		fmt.Println(strings.Join(won, " "))
	case "hold":
		err := st.Update(func(tx store.Tx) error {
			if arg == "user" {
				if _, err := tx.User("held"); err != nil {
					return err
				}
			} else if err := tx.SetKeyID("held"); err != nil {
				return err
			}
			fmt.Println("holding")
			os.Stdout.Sync()
			in.ReadString('\n')
			return errors.New("rolled back on purpose")
		})
		if err != nil && err.Error() != "rolled back on purpose" {
			return fail(err)
		}
	default:
		return fail(fmt.Errorf("unknown role %q", role))
	}
	return 0
}
