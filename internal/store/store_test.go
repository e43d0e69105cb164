package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authctl/authctl/internal/apperr"
)

func newDB(t *testing.T) *DB {
	t.Helper()
	return New(Options{Path: filepath.Join(t.TempDir(), "authctl.db"), LockTimeout: time.Second, Create: true})
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestUserRoundTrip(t *testing.T) {
	db := newDB(t)
	u := &User{
		Name:         "alice",
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		CreatedAt:    t0,
		PasswordAt:   t0.Add(time.Hour),
		LastLoginAt:  t0.Add(2 * time.Hour),
		TOTP:         &TOTP{Secret: []byte{1, 2, 3, 0, 255}, EnabledAt: t0.Add(3 * time.Hour)},
		Pending:      &Pending{Secret: []byte("sealed pending"), CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)},
		Backup: &BackupSet{
			Salt: []byte("0123456789abcdef"), Memory: 64, Time: 1, Threads: 1,
			Hashes:      [][]byte{bytes.Repeat([]byte{1}, 32), nil, bytes.Repeat([]byte{3}, 32)},
			GeneratedAt: t0.Add(4 * time.Hour),
		},
		LastStep:    58_000_000,
		Failures:    3,
		LockedUntil: t0.Add(5 * time.Hour),
	}
	bob := &User{Name: "bob", PasswordHash: "h", CreatedAt: t0, PasswordAt: t0}
	if err := db.Update(func(tx Tx) error {
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.PutUser(bob)
	}); err != nil {
		t.Fatal(err)
	}
	if u.Rev != 1 {
		t.Errorf("Rev after first write = %d, want 1", u.Rev)
	}
	var got, gotBob *User
	if err := db.View(func(tx Tx) error {
		var err error
		if got, err = tx.User("alice"); err != nil {
			return err
		}
		gotBob, err = tx.User("bob")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, u) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, u)
	}
	if !reflect.DeepEqual(gotBob, bob) || gotBob.TOTP != nil || gotBob.Backup != nil || gotBob.Pending != nil {
		t.Errorf("user without 2FA: got %+v, want %+v", gotBob, bob)
	}
	if got.Backup.Left() != 2 || (*BackupSet)(nil).Left() != 0 {
		t.Errorf("Left = %d (nil set %d), want 2 (0)", got.Backup.Left(), (*BackupSet)(nil).Left())
	}

	// Rev grows on every write; delete removes.
	err := db.Update(func(tx Tx) error {
		if err := tx.PutUser(got); err != nil {
			return err
		}
		return tx.DeleteUser("bob")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx Tx) error {
		a, err := tx.User("alice")
		if err != nil {
			return err
		}
		if a.Rev != 2 {
			t.Errorf("Rev after second write = %d, want 2", a.Rev)
		}
		if _, err := tx.User("bob"); !errors.Is(err, ErrNotFound) {
			t.Errorf("User(deleted) = %v, want ErrNotFound", err)
		}
		if tx.HasUser("bob") || !tx.HasUser("alice") {
			t.Error("HasUser disagrees with the stored users")
		}
		if n := tx.CountUsers(); n != 1 {
			t.Errorf("CountUsers = %d, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUsersInNameOrder(t *testing.T) {
	db := newDB(t)
	names := []string{"zoe", "alice", "Bob", "émile", "carol"}
	err := db.Update(func(tx Tx) error {
		for _, n := range names {
			if err := tx.PutUser(&User{Name: n, PasswordHash: "h"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := db.View(func(tx Tx) error {
		return tx.Users(func(u *User) error { got = append(got, u.Name); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Bob", "alice", "carol", "zoe", "émile"} // byte order
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Users order = %v, want %v", got, want)
	}
	// An error from fn stops the scan and comes back.
	stop := errors.New("stop")
	n := 0
	err = db.View(func(tx Tx) error { return tx.Users(func(*User) error { n++; return stop }) })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Users with failing fn: err %v after %d calls", err, n)
	}
}

func TestSchemaVersionRecorded(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var v uint64
	if err := db.View(func(tx Tx) error { v = tx.Schema(); return nil }); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion {
		t.Fatalf("Schema() = %d, want %d", v, SchemaVersion)
	}
	// Read the file with bbolt directly: the meta bucket holds magic and version.
	bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		if m == nil {
			return errors.New("no meta bucket")
		}
		if got := string(m.Get([]byte("magic"))); got != "authctl" {
			return fmt.Errorf("magic = %q", got)
		}
		if got := m.Get([]byte("schema")); !bytes.Equal(got, []byte{0, 0, 0, 0, 0, 0, 0, SchemaVersion}) {
			return fmt.Errorf("schema = %x", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOtherSchemaVersionRefused(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, 99})
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := readFile(t, db.Path())
	for _, op := range []func(func(Tx) error) error{db.View, db.Update} {
		err := op(func(Tx) error { t.Fatal("fn ran on a database of another schema"); return nil })
		if apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), "schema version 99") {
			t.Errorf("err = %v (kind %v), want an Env error naming version 99", err, apperr.KindOf(err))
		}
	}
	if !bytes.Equal(before, readFile(t, db.Path())) {
		t.Error("a database of another schema was modified")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// foreignBolt writes a bbolt file with buckets of its own and no meta.
func foreignBolt(t *testing.T, path string) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestForeignFilesRefusedAndUntouched(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.Read(random)
	tests := []struct {
		name    string
		make    func(t *testing.T, path string)
		message string
	}{
		{"bbolt without meta", foreignBolt, "not an authctl database"},
		{"bbolt with a foreign meta bucket", func(t *testing.T, p string) {
			bdb, err := bolt.Open(p, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer bdb.Close()
			bdb.Update(func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("meta"))
				return b.Put([]byte("magic"), []byte("someone else"))
			})
		}, "not an authctl database"},
		{"random bytes", func(t *testing.T, p string) { os.WriteFile(p, random, 0o600) }, "not an authctl database or is corrupt"},
		{"short random", func(t *testing.T, p string) { os.WriteFile(p, random[:100], 0o600) }, "not an authctl database or is corrupt"},
		{"text", func(t *testing.T, p string) {
			os.WriteFile(p, []byte(strings.Repeat("db: /var/lib/authctl.db\n", 400)), 0o600)
		}, "not an authctl database or is corrupt"},
		{"sqlite-like header", func(t *testing.T, p string) {
			os.WriteFile(p, append([]byte("SQLite format 3\x00"), make([]byte, 8192)...), 0o600)
		}, "not an authctl database or is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			tt.make(t, path)
			before := readFile(t, path)
			fiBefore, _ := os.Stat(path)
			for _, create := range []bool{false, true} {
				db := New(Options{Path: path, LockTimeout: time.Second, Create: create})
				ran := false
				for name, op := range map[string]func(func(Tx) error) error{"View": db.View, "Update": db.Update} {
					err := op(func(tx Tx) error {
						ran = true
						return tx.PutUser(&User{Name: "mallory", PasswordHash: "h"})
					})
					if err == nil || apperr.KindOf(err) != apperr.Env {
						t.Errorf("%s (create=%v) = %v (kind %v), want an Env error", name, create, err, apperr.KindOf(err))
					} else if !strings.Contains(err.Error(), tt.message) || !strings.Contains(err.Error(), path) {
						t.Errorf("%s (create=%v) = %q, want it to say %q and name the file", name, create, err, tt.message)
					}
				}
				if ran {
					t.Error("the transaction function ran on a foreign file")
				}
			}
			if !bytes.Equal(before, readFile(t, path)) {
				t.Fatal("the foreign file was modified")
			}
			if fi, _ := os.Stat(path); fi.Mode() != fiBefore.Mode() {
				t.Errorf("mode changed from %v to %v", fiBefore.Mode(), fi.Mode())
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "authctl.db")
	db := New(Options{Path: path, LockTimeout: time.Second, Create: false})
	for name, op := range map[string]func(func(Tx) error) error{"View": db.View, "Update": db.Update} {
		err := op(func(Tx) error { t.Fatalf("%s ran fn without a database", name); return nil })
		if !errors.Is(err, ErrNoDatabase) || apperr.KindOf(err) != apperr.Env {
			t.Errorf("%s = %v, want an Env error wrapping ErrNoDatabase", name, err)
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Errorf("%s error %q does not name the path", name, err)
		}
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read or a write without Create made %s (%v)", filepath.Dir(path), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the directory holds %d new entries", len(ents))
	}
}

func TestCreateModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "authctl")
	path := filepath.Join(dir, "authctl.db")
	db := New(Options{Path: path, LockTimeout: time.Second, Create: true})
	if err := db.Update(func(tx Tx) error { return tx.PutUser(&User{Name: "a", PasswordHash: "h"}) }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{path, 0o600}, {dir, 0o700}, {filepath.Dir(dir), 0o700}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.mode {
			t.Errorf("%s: mode %o, want %o", c.path, fi.Mode().Perm(), c.mode)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ro := New(Options{Path: path, LockTimeout: time.Second})
	for name, op := range map[string]func(func(Tx) error) error{"View": ro.View, "Update": ro.Update} {
		err := op(func(Tx) error { t.Fatalf("%s ran fn on an empty file", name); return nil })
		if !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "empty") {
			t.Errorf("%s(empty file, no create) = %v, want ErrNoDatabase saying it is empty", name, err)
		}
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatalf("empty file grew to %d bytes without Create", fi.Size())
	}
	// A write with Create initialises the empty file (as if it were missing).
	rw := New(Options{Path: path, LockTimeout: time.Second, Create: true})
	if err := rw.Update(func(tx Tx) error { return tx.PutUser(&User{Name: "a", PasswordHash: "h"}) }); err != nil {
		t.Fatalf("Update(create) on an empty file: %v", err)
	}
	if err := ro.View(func(tx Tx) error {
		if tx.Schema() != SchemaVersion || !tx.HasUser("a") {
			return errors.New("empty file not initialised")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A bbolt file with no buckets at all (say, opened by another tool) is an
// empty database: reads say there is nothing yet, a creating write adopts it.
func TestBoltFileWithoutBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bare.db")
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	err = New(Options{Path: path, LockTimeout: time.Second}).View(func(Tx) error { return nil })
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("View(bare bbolt) = %v, want ErrNoDatabase", err)
	}
	if err := New(Options{Path: path, LockTimeout: time.Second, Create: true}).Update(func(Tx) error { return nil }); err != nil {
		t.Fatalf("Update(create) on a bare bbolt file: %v", err)
	}
}

func TestPathIsDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, create := range []bool{false, true} {
		db := New(Options{Path: dir, LockTimeout: time.Second, Create: create})
		for name, op := range map[string]func(func(Tx) error) error{"View": db.View, "Update": db.Update} {
			err := op(func(Tx) error { return nil })
			if apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), "is a directory") {
				t.Errorf("%s(create=%v) = %v, want an Env error saying it is a directory", name, create, err)
			}
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the directory got %d entries", len(ents))
	}
	if err := New(Options{}).View(func(Tx) error { return nil }); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("empty path: %v, want Invalid", err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return tx.PutUser(&User{Name: "a", PasswordHash: "h"}) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := db.Update(func(tx Tx) error {
		if err := tx.PutUser(&User{Name: "b", PasswordHash: "h"}); err != nil {
			return err
		}
		if err := tx.DeleteUser("a"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	db.View(func(tx Tx) error {
		if !tx.HasUser("a") || tx.HasUser("b") {
			t.Error("a failed transaction left changes behind")
		}
		return nil
	})
}

func TestKeyID(t *testing.T) {
	db := newDB(t)
	err := db.Update(func(tx Tx) error {
		if tx.KeyID() != "" {
			t.Errorf("new database has key id %q", tx.KeyID())
		}
		return tx.SetKeyID("abc123")
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx Tx) error {
		if tx.KeyID() != "abc123" {
			t.Errorf("KeyID = %q", tx.KeyID())
		}
		return nil
	})
}

func TestAudit(t *testing.T) {
	db := newDB(t)
	// Entries added out of time order, and two with the same time.
	entries := []AuditEntry{
		{Time: t0.Add(2 * time.Hour), Event: "login.ok", User: "alice", Factor: "code"},
		{Time: t0, Event: "user.add", User: "alice"},
		{Time: t0.Add(time.Hour), Event: "user.add", User: "bob"},
		{Time: t0.Add(time.Hour), Event: "login.fail", User: "bob", Factor: "password", Detail: "same time, added later"},
		{Time: t0.Add(3 * time.Hour), Event: "user.delete", User: "bob"},
	}
	if err := db.Update(func(tx Tx) error {
		for _, e := range entries {
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list := func(since time.Time, max int) []AuditEntry {
		t.Helper()
		var got []AuditEntry
		err := db.View(func(tx Tx) error {
			return tx.Audit(since, func(e AuditEntry) (bool, error) {
				got = append(got, e)
				return max == 0 || len(got) < max, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	events := func(es []AuditEntry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Event+"/"+e.User)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name  string
		since time.Time
		max   int
		want  string
	}{
		{"all, newest first", time.Time{}, 0, "user.delete/bob login.ok/alice login.fail/bob user.add/bob user.add/alice"},
		{"limit 2", time.Time{}, 2, "user.delete/bob login.ok/alice"},
		{"since one hour", t0.Add(time.Hour), 0, "user.delete/bob login.ok/alice login.fail/bob user.add/bob"},
		{"since just after one hour", t0.Add(time.Hour + time.Nanosecond), 0, "user.delete/bob login.ok/alice"},
		{"since the future", t0.Add(24 * time.Hour), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := events(list(tt.since, tt.max)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	// Every field survives.
	if got := list(t0.Add(time.Hour), 0)[2]; !reflect.DeepEqual(got, entries[3]) {
		t.Errorf("entry = %+v, want %+v", got, entries[3])
	}

	// Prune drops what is older than the cut and nothing else.
	var pruned int
	if err := db.Update(func(tx Tx) error {
		var err error
		pruned, err = tx.PruneAudit(t0.Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if pruned != 1 {
		t.Errorf("PruneAudit removed %d, want 1", pruned)
	}
	if got := events(list(time.Time{}, 0)); got != "user.delete/bob login.ok/alice login.fail/bob user.add/bob" {
		t.Errorf("after prune: %s", got)
	}
	if err := db.Update(func(tx Tx) error {
		var err error
		pruned, err = tx.PruneAudit(t0.Add(100 * time.Hour))
		return err
	}); err != nil || pruned != 4 {
		t.Errorf("PruneAudit(all) = %d, %v; want 4", pruned, err)
	}
	if got := list(time.Time{}, 0); len(got) != 0 {
		t.Errorf("after pruning all: %v", got)
	}
	// An error from fn stops the scan.
	db.Update(func(tx Tx) error { return tx.AddAudit(AuditEntry{Time: t0, Event: "x"}) })
	boom := errors.New("boom")
	if err := db.View(func(tx Tx) error {
		return tx.Audit(time.Time{}, func(AuditEntry) (bool, error) { return true, boom })
	}); !errors.Is(err, boom) {
		t.Errorf("Audit with failing fn = %v", err)
	}
}

func TestCheck(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error {
		if err := tx.PutUser(&User{Name: "ok", PasswordHash: "h"}); err != nil {
			return err
		}
		return tx.AddAudit(AuditEntry{Time: t0, Event: "user.add", User: "ok"})
	}); err != nil {
		t.Fatal(err)
	}
	var problems []error
	db.View(func(tx Tx) error { problems = tx.Check(nil); return nil })
	if len(problems) != 0 {
		t.Fatalf("Check on a sound database: %v", problems)
	}
	// Damage records behind the store's back.
	bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		u := tx.Bucket([]byte("users"))
		u.Put([]byte("garbled"), []byte("{not json"))
		u.Put([]byte("renamed"), []byte(`{"name":"other","password_hash":"h"}`))
		u.Put([]byte("nohash"), []byte(`{"name":"nohash"}`))
		u.Put([]byte("halftotp"), []byte(`{"name":"halftotp","password_hash":"h","totp":{"secret":"AQID"}}`))
		return tx.Bucket([]byte("audit")).Put([]byte("short"), []byte("{}"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx Tx) error { problems = tx.Check(nil); return nil })
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`"garbled"`, `"renamed"`, `"nohash"`, `"halftotp"`, "audit entry"} {
		if !strings.Contains(all, want) {
			t.Errorf("Check did not report %s; it said:\n%s", want, all)
		}
	}
	if len(problems) != 5 {
		t.Errorf("Check reported %d problems, want 5:\n%s", len(problems), all)
	}
}

// TestLockTimeout holds the database open read-write with bbolt directly (as
// another process would) and checks a write gives up after the timeout with
// a clear Env error instead of hanging.
func TestLockTimeout(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	holder, err := bolt.Open(db.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiting := New(Options{Path: db.Path(), LockTimeout: 200 * time.Millisecond})
	ran := false
	err = waiting.Update(func(Tx) error { ran = true; return nil })
	if err == nil || ran {
		t.Fatalf("Update while another handle holds the lock: err %v, ran %v", err, ran)
	}
	if apperr.KindOf(err) != apperr.Env {
		t.Errorf("kind = %v, want Env", apperr.KindOf(err))
	}
	if msg := err.Error(); !strings.Contains(msg, "locked by another authctl process") || !strings.Contains(msg, "200ms") {
		t.Errorf("message %q: want it to say the database is locked by another authctl process and for how long it waited", msg)
	}
	// Readers wait too: bbolt's shared lock conflicts with the writer's.
	if err := waiting.View(func(Tx) error { return nil }); !strings.Contains(fmt.Sprint(err), "locked by another authctl process") {
		t.Errorf("View while locked = %v", err)
	}
	// Once the holder lets go, the same call succeeds.
	holder.Close()
	if err := waiting.Update(func(Tx) error { return nil }); err != nil {
		t.Errorf("Update after the lock was released: %v", err)
	}
}

// TestSidecarLockTimeout holds authctl's own lock file, as a running authctl
// process does, and checks the same error comes back.
func TestSidecarLockTimeout(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	release, err := lockSidecar(db.Path(), true, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	waiting := New(Options{Path: db.Path(), LockTimeout: 100 * time.Millisecond})
	err = waiting.Update(func(Tx) error { return nil })
	if apperr.KindOf(err) != apperr.Env || !strings.Contains(fmt.Sprint(err), "locked by another authctl process") {
		t.Fatalf("Update while the lock file is held = %v", err)
	}
	release()
	if err := waiting.Update(func(Tx) error { return nil }); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// Readers share the lock: a read in progress does not block another read.
func TestConcurrentReaders(t *testing.T) {
	db := newDB(t)
	if err := db.Update(func(tx Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ro := New(Options{Path: db.Path(), LockTimeout: 100 * time.Millisecond})
	err := ro.View(func(Tx) error {
		return ro.View(func(Tx) error { return nil })
	})
	if err != nil {
		t.Fatalf("a read inside a read: %v", err)
	}
}

// A database cut short is refused for reads and writes, even when the part
// that is left still opens, and the file is left as it was.
func TestTruncatedFileRefused(t *testing.T) {
	db := newDB(t)
	for i := range 200 {
		if err := db.Update(func(tx Tx) error {
			return tx.PutUser(&User{Name: fmt.Sprintf("user%03d", i), PasswordHash: strings.Repeat("h", 500), CreatedAt: t0})
		}); err != nil {
			t.Fatal(err)
		}
	}
	full := readFile(t, db.Path())
	for _, n := range []int{len(full) / 2, len(full) / 4, 5 * 4096} {
		cut := full[:n]
		for _, write := range []bool{false, true} {
			// A fresh file each time: when bbolt panics while opening a
			// damaged file for writing, its file lock stays with this process
			// (harmless for authctl, which exits after the error).
			p := filepath.Join(t.TempDir(), "cut.db")
			if err := os.WriteFile(p, cut, 0o600); err != nil {
				t.Fatal(err)
			}
			cdb := New(Options{Path: p, LockTimeout: time.Second})
			op := cdb.View
			if write {
				op = cdb.Update
			}
			err := op(func(tx Tx) error {
				return tx.Users(func(*User) error { return nil })
			})
			if apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "left untouched") {
				t.Errorf("database cut to %d of %d bytes (write %v): %v, want an environment error saying it is corrupt", n, len(full), write, err)
			}
			if !bytes.Equal(readFile(t, p), cut) {
				t.Errorf("the database cut to %d bytes was changed", n)
			}
		}
	}
}

// A scan decodes records a chunk at a time on every core but hands them
// over in name order; a damaged record ends it with an error after every
// record before it, across a chunk boundary too.
func TestUsersInOrderAndStopAtDamage(t *testing.T) {
	db := New(Options{Path: filepath.Join(t.TempDir(), "scan.db"), LockTimeout: time.Second, Create: true, NoSync: true})
	const n, bad = 5000, 4500 // bad is past the first chunk of 4096
	err := db.Update(func(tx Tx) error {
		for i := range n {
			if err := tx.PutUser(&User{Name: fmt.Sprintf("u%05d", i), PasswordHash: "x"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := db.View(func(tx Tx) error {
		return tx.Users(func(u *User) error { names = append(names, u.Name); return nil })
	}); err != nil || len(names) != n || !slices.IsSorted(names) {
		t.Fatalf("scan: %d names, sorted %v, %v", len(names), slices.IsSorted(names), err)
	}
	if err := db.Update(func(tx Tx) error {
		return tx.(*boltTx).tx.Bucket(bucketUsers).Put([]byte(fmt.Sprintf("u%05d", bad)), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	err = db.View(func(tx Tx) error {
		return tx.Users(func(u *User) error { names = append(names, u.Name); return nil })
	})
	if err == nil || len(names) != bad || names[bad-1] != fmt.Sprintf("u%05d", bad-1) {
		t.Fatalf("scan past a damaged record: %d names (want %d), %v", len(names), bad, err)
	}
	if want := fmt.Sprintf(`user "u%05d": corrupt user record: `, bad); !strings.HasPrefix(err.Error(), want) || apperr.KindOf(err) != apperr.Env {
		t.Errorf("scan of a damaged record: %v (%v), want it named: %s...", err, apperr.KindOf(err), want)
	}
}
