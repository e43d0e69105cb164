package account

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/pg"
	"github.com/authctl/authctl/internal/store/pg/pgtest"
)

func newFile(t *testing.T) store.Store {
	return store.New(store.Options{Path: filepath.Join(t.TempDir(), "authctl.db"), LockTimeout: 5 * time.Second, Create: true})
}

func newPG(t *testing.T) store.Store {
	db := pg.New(pg.Options{URL: pgtest.URL(t), LockTimeout: 5 * time.Second, Create: true})
	t.Cleanup(func() { db.Close() })
	return db
}

// fillForCopy writes users of every kind (more than a batch) and an audit
// trail with runs of entries of one time that cross batch boundaries.
func fillForCopy(t *testing.T, st store.Store) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := st.Update(func(tx store.Tx) error {
		if err := tx.SetKeyID("k-0123456789"); err != nil {
			return err
		}
		for i := range 2*copyBatch + 7 {
			u := &store.User{Name: fmt.Sprintf("user%04d", i), PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: t0, PasswordAt: t0}
			if i%3 == 0 {
				u.TOTP = &store.TOTP{Secret: []byte{byte(i), 1, 2, 3}, EnabledAt: t0, Offset: int64(i % 5)}
				u.Backup = &store.BackupSet{Salt: []byte("salt"), Memory: 64, Time: 1, Threads: 1, Hashes: [][]byte{{1}, nil, {3}}, LastUsed: []byte{2}}
				u.LastStep = int64(58_000_000 + i)
			}
			if i%7 == 0 {
				u.Failures, u.LockedUntil = 4, t0.Add(time.Hour)
			}
			if i%11 == 0 {
				u.Pending = &store.Pending{Secret: []byte("sealed"), CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if i%5 == 0 { // a few revisions more
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
		}
		for i := range 3*copyBatch + 11 {
			e := store.AuditEntry{Time: t0.Add(time.Duration(i/3) * time.Second), Event: "login.ok", User: fmt.Sprintf("user%04d", i%50), Detail: fmt.Sprint(i)}
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type dump struct {
	keyID string
	users [][]byte
	audit []store.AuditEntry
}

func dumpStore(t *testing.T, st store.Store) dump {
	t.Helper()
	var d dump
	err := st.View(func(tx store.Tx) error {
		d.keyID = tx.KeyID()
		if err := tx.Users(func(u *store.User) error {
			b, err := store.EncodeUser(u)
			d.users = append(d.users, b)
			return err
		}); err != nil {
			return err
		}
		return tx.Audit(time.Time{}, func(e store.AuditEntry) (bool, error) { d.audit = append(d.audit, e); return true, nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sameDump(t *testing.T, what string, a, b dump) {
	t.Helper()
	if a.keyID != b.keyID {
		t.Errorf("%s: key id %q, want %q", what, b.keyID, a.keyID)
	}
	if len(a.users) != len(b.users) {
		t.Fatalf("%s: %d users, want %d", what, len(b.users), len(a.users))
	}
	for i := range a.users {
		if !bytes.Equal(a.users[i], b.users[i]) {
			t.Fatalf("%s: user record %d differs:\n%s\nwant\n%s", what, i, b.users[i], a.users[i])
		}
	}
	if len(a.audit) != len(b.audit) {
		t.Fatalf("%s: %d audit entries, want %d", what, len(b.audit), len(a.audit))
	}
	for i := range a.audit {
		x, y := a.audit[i], b.audit[i]
		if !x.Time.Equal(y.Time) || x.Detail != y.Detail || x.User != y.User || x.Event != y.Event {
			t.Fatalf("%s: audit entry %d newest first is %+v, want %+v", what, i, y, x)
		}
	}
}

func TestCopy(t *testing.T) {
	for _, c := range []struct {
		name     string
		src, dst func(*testing.T) store.Store
	}{
		{"file to file", newFile, newFile},
		{"file to PostgreSQL and back", newFile, newPG},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, dst := c.src(t), c.dst(t)
			fillForCopy(t, src)
			want := dumpStore(t, src)
			var calls, lastU, lastE int
			res, err := Copy(src, dst, func(u, e int) { calls++; lastU, lastE = u, e })
			if err != nil {
				t.Fatal(err)
			}
			if res.Users != len(want.users) || res.Entries != len(want.audit) || res.KeyID != want.keyID {
				t.Errorf("CopyResult %+v", res)
			}
			if calls < 5 || lastU != res.Users || lastE != res.Entries {
				t.Errorf("progress: %d calls, last (%d, %d)", calls, lastU, lastE)
			}
			sameDump(t, "the copy", want, dumpStore(t, dst))

			// And back, into a new file.
			back := newFile(t)
			if _, err := Copy(dst, back, nil); err != nil {
				t.Fatal(err)
			}
			sameDump(t, "the copy of the copy", want, dumpStore(t, back))

			// A destination that holds users is refused, and left as it was.
			_, err = Copy(src, back, nil)
			wantKind(t, "a copy into a database with users", err, apperr.Conflict, "already holds")
			sameDump(t, "a refused copy's destination", want, dumpStore(t, back))
		})
	}
}
