package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchDB returns a database of n users.
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	db := New(Options{Path: filepath.Join(b.TempDir(), "bench.db"), LockTimeout: time.Second, Create: true, NoSync: true})
	for start := 0; start < n; start += 10000 {
		err := db.Update(func(tx Tx) error {
			for i := start; i < min(start+10000, n); i++ {
				u := &User{Name: fmt.Sprintf("user%07d", i), PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$SGVsbG9IZWxsb0hlbGxvSGVsbG9IZWxsb0hlbGxvMTI"}
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkViewUser is the read half of a login: open, look up, close.
func BenchmarkViewUser(b *testing.B) {
	for _, n := range []int{1, 100000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			name := fmt.Sprintf("user%07d", n/2)
			b.ReportAllocs()
			for b.Loop() {
				if err := db.View(func(tx Tx) error { _, err := tx.User(name); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpdateUser is the write half of a login, with fsync.
func BenchmarkUpdateUser(b *testing.B) {
	db := benchDB(b, 1000)
	db.opts.NoSync = false
	b.ReportAllocs()
	for b.Loop() {
		err := db.Update(func(tx Tx) error {
			u, err := tx.User("user0000500")
			if err != nil {
				return err
			}
			u.Failures = 0
			if err := tx.PutUser(u); err != nil {
				return err
			}
			return tx.AddAudit(AuditEntry{Time: time.Now(), Event: "login.ok", User: u.Name})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanUsers decodes every user, as user list does.
func BenchmarkScanUsers(b *testing.B) {
	db := benchDB(b, 20000)
	b.ReportAllocs()
	for b.Loop() {
		err := db.View(func(tx Tx) error { return tx.Users(func(*User) error { return nil }) })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserve is the attempt counted before a login's hash: on Linux
// in the table of attempts in progress (no fsync), then settled; compare
// with BenchmarkReserveInRecord, the durable write it replaces.
func BenchmarkReserve(b *testing.B) {
	db := benchDB(b, 1000)
	db.opts.NoSync = false
	b.ReportAllocs()
	for b.Loop() {
		h, err := db.Reserve(func(tx Tx) (string, *Attempt, error) {
			u, err := tx.User("user0000500")
			if err != nil {
				return "", nil, err
			}
			tx.(AttemptTx).Attempts(u.Name)
			return u.Name, &Attempt{Started: time.Now()}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		h.Done()
	}
}

// BenchmarkReserveInRecord counts the attempt in the user's record, with
// fsync, as where the table cannot be used.
func BenchmarkReserveInRecord(b *testing.B) {
	db := benchDB(b, 1000)
	db.opts.NoSync = false
	b.ReportAllocs()
	for b.Loop() {
		err := db.Update(func(tx Tx) error {
			u, err := tx.User("user0000500")
			if err != nil {
				return err
			}
			u.Failures++
			return tx.PutUser(u)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
