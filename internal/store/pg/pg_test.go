package pg_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
	"github.com/authctl/authctl/internal/store/pg"
	"github.com/authctl/authctl/internal/store/pg/pgtest"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://authctl:s3cret@db1.example/authctl?sslmode=verify-full", "postgres://authctl:xxxxx@db1.example/authctl?sslmode=verify-full"},
		{"postgresql://authctl@db1/authctl", "postgresql://authctl@db1/authctl"},
		{"postgres:///authctl?host=/run/postgresql&user=authctl&password=s3cret", "postgres:///authctl?host=/run/postgresql&user=authctl&password=xxxxx"},
		{"postgres://u:p%40ss@h/d?sslpassword=k3y&sslmode=require", "postgres://u:xxxxx@h/d?sslpassword=xxxxx&sslmode=require"},
		{"postgres://%zz", "(a database URL that does not parse)"},
	} {
		if got := pg.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"postgres://h/d": true, "postgresql:///d?host=/tmp": true,
		"/var/lib/authctl/authctl.db": false, "postgres.db": false, "mysql://h/d": false, "": false,
	} {
		if pg.IsURL(s) != want {
			t.Errorf("IsURL(%q) = %v", s, !want)
		}
	}
}

// wantEnv checks that err is one line of kind Env, saying each of subs and
// never the password.
func wantEnv(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil || apperr.KindOf(err) != apperr.Env {
		t.Fatalf("want an Env error, got %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
		t.Errorf("the message shows the password or spans lines: %q", msg)
	}
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			t.Errorf("the message %q does not say %q", msg, s)
		}
	}
}

// A server that is down is a clear Env error within the lock timeout,
// whether nothing listens (a socket that is not there, a port that
// refuses) or something listens and never answers.
func TestServerDown(t *testing.T) {
	t.Parallel()
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close() // accepts in the kernel's backlog, never answers
	refusing, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := refusing.Addr().String()
	refusing.Close()
	for _, c := range []struct{ url, says string }{
		{"postgres://authctl:s3cret@/authctl?host=" + t.TempDir(), "no server socket"},
		{"postgres://authctl:s3cret@" + refused + "/authctl?sslmode=disable", "connection refused"},
		{"postgres://authctl:s3cret@" + hung.Addr().String() + "/authctl?sslmode=disable", "no answer within 1s"},
	} {
		db := pg.New(pg.Options{URL: c.url, LockTimeout: time.Second, Create: true})
		start := time.Now()
		err := db.Update(func(store.Tx) error { return nil })
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: gave up after %s with a lock timeout of 1s", c.says, d)
		}
		wantEnv(t, err, "cannot connect to database server", "xxxxx", c.says)
		db.Close()
	}
}

// A password the server refuses and a database that is not there are
// Env errors naming the cause.
func TestConnectRefusedByServer(t *testing.T) {
	t.Parallel()
	u := pgtest.URL(t)
	for _, c := range []struct{ url, says string }{
		{strings.Replace(u, "/t_", "/missing_", 1), "does not exist"},
	} {
		db := pg.New(pg.Options{URL: c.url, LockTimeout: time.Second})
		wantEnv(t, db.View(func(store.Tx) error { return nil }), c.says)
	}
}

func TestBackupRefused(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	if err := db.Update(func(store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var werr error
	db.View(func(tx store.Tx) error { _, werr = tx.WriteTo(nil); return nil })
	if apperr.KindOf(werr) != apperr.Invalid || !strings.Contains(werr.Error(), "pg_dump") {
		t.Fatalf("WriteTo on PostgreSQL = %v, want a usage error pointing to pg_dump", werr)
	}
}

// exec runs SQL on db's database behind the store's back.
func exec(t *testing.T, db *pg.DB, sql string, args ...any) {
	t.Helper()
	if err := pgtest.Exec(db.Location(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Records damaged behind the store's back are each reported by Check,
// with the same record checks as on bbolt.
func TestCheckDamaged(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := db.Update(func(tx store.Tx) error {
		if err := tx.PutUser(&store.User{Name: "ok", PasswordHash: "h"}); err != nil {
			return err
		}
		return tx.AddAudit(store.AuditEntry{Time: t0, Event: "user.add", User: "ok"})
	}); err != nil {
		t.Fatal(err)
	}
	check := func() []string {
		var msgs []string
		if err := db.View(func(tx store.Tx) error {
			for _, p := range tx.Check(nil) {
				msgs = append(msgs, p.Error())
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	if p := check(); len(p) != 0 {
		t.Fatalf("Check on a sound database: %v", p)
	}
	exec(t, db, `INSERT INTO authctl_users (name, data) VALUES
		('garbled', '{not json'), ('renamed', '{"name":"other","password_hash":"h"}'),
		('nohash', '{"name":"nohash"}'), ('halftotp', '{"name":"halftotp","password_hash":"h","totp":{"secret":"AQID"}}')`)
	exec(t, db, `INSERT INTO authctl_audit (ts, data) VALUES (now(), 'junk'), ('2026-03-01 12:00:00+00', '{"time":"2026-03-02T12:00:00Z","event":"x"}')`)
	all := strings.Join(check(), "\n")
	for _, want := range []string{`"garbled"`, `"renamed"`, `"nohash"`, `"halftotp"`, "is malformed", "its ts column"} {
		if !strings.Contains(all, want) {
			t.Errorf("Check did not report %s; it said:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "\n") + 1; n != 6 {
		t.Errorf("Check reported %d problems, want 6:\n%s", n, all)
	}
	exec(t, db, `DELETE FROM authctl_meta WHERE key = 'key_id'`)
	if all := strings.Join(check(), "\n"); !strings.Contains(all, "no key_id row") {
		t.Errorf("Check did not report the missing key_id row:\n%s", all)
	}
}

// A database holding other tables is fine: authctl adds its own. Tables
// that are not authctl's, or of another schema version, are refused and
// left as they are.
func TestForeignAndNewerSchemas(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	exec(t, db, `CREATE TABLE inventory (id int)`)
	if err := db.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "a", PasswordHash: "h"}) }); err != nil {
		t.Fatalf("a database with other tables: %v", err)
	}

	reopen := func() error {
		h := pg.New(pg.Options{URL: db.Location(), LockTimeout: time.Second, Create: true})
		defer h.Close()
		return h.Update(func(store.Tx) error { return nil })
	}
	exec(t, db, `UPDATE authctl_meta SET value = '2' WHERE key = 'schema'`)
	wantEnv(t, reopen(), "schema version 2, this authctl reads version 1")
	exec(t, db, `UPDATE authctl_meta SET value = 'other' WHERE key = 'magic'`)
	wantEnv(t, reopen(), "not authctl's", "left untouched")

	other := newDB(t)
	exec(t, other, `CREATE TABLE authctl_users (name text)`)
	wantEnv(t, other.Update(func(store.Tx) error { return nil }), "no authctl_meta", "left untouched")
	exec(t, other, `INSERT INTO authctl_users VALUES ('kept')`)
	exec(t, other, `CREATE TABLE authctl_meta (id int)`)
	wantEnv(t, other.Update(func(store.Tx) error { return nil }), "not authctl's", "left untouched")
}

// Processes that find a new database at once create the tables once.
func TestConcurrentCreate(t *testing.T) {
	t.Parallel()
	u := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := pg.New(pg.Options{URL: u, LockTimeout: 10 * time.Second, Create: true})
			defer db.Close()
			errs[i] = db.Update(func(tx store.Tx) error {
				return tx.AddAudit(store.AuditEntry{Time: time.Now(), Event: "hello"})
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// Without Create, a database without authctl's tables is "no database
// yet", for reads and writes alike, and nothing is created.
func TestNoCreate(t *testing.T) {
	t.Parallel()
	u := pgtest.URL(t)
	db := pg.New(pg.Options{URL: u, LockTimeout: time.Second})
	defer db.Close()
	for _, run := range []func(func(store.Tx) error) error{db.View, db.Update} {
		if err := run(func(store.Tx) error { return nil }); !errors.Is(err, store.ErrNoDatabase) {
			t.Errorf("want store.ErrNoDatabase, got %v", err)
		}
	}
}

// A connection the server ends is an Env error for the transaction on it;
// the next transaction connects again.
func TestReconnects(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	put := func(name string) error {
		return db.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: name, PasswordHash: "h"}) })
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'authctl'`)
	wantEnv(t, put("b"))
	if err := put("c"); err != nil {
		t.Fatalf("after the server ended the connection, the next update: %v", err)
	}
	db.View(func(tx store.Tx) error {
		if tx.HasUser("b") || !tx.HasUser("c") {
			t.Error("the failed update wrote, or the next one did not")
		}
		return nil
	})
}

// A light update (the attempt reservation) commits like any other, is seen
// by the next transaction, and rolls back on an error; only its wait for
// the disk is skipped.
func TestUpdateLight(t *testing.T) {
	t.Parallel()
	db := pg.New(pg.Options{URL: pgtest.URL(t), LockTimeout: 10 * time.Second, Create: true})
	defer db.Close()
	var _ store.LightUpdater = db
	if err := db.UpdateLight(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "ann", PasswordHash: "x"}) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.UpdateLight(func(tx store.Tx) error {
		if err := tx.PutUser(&store.User{Name: "ben", PasswordHash: "x"}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateLight returned %v", err)
	}
	err := db.View(func(tx store.Tx) error {
		if !tx.HasUser("ann") || tx.HasUser("ben") {
			t.Errorf("after the light updates: ann %v (want true), ben %v (want false)", tx.HasUser("ann"), tx.HasUser("ben"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A write waits to go with the next statement or with COMMIT; when it
// fails there (a name found free, inserted by another process meanwhile),
// nothing sent with it commits, the audit entry of the same run included,
// and fn runs again and finds the name taken.
func TestWriteFailsAtCommit(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	other := pg.New(pg.Options{URL: db.Location(), LockTimeout: 10 * time.Second})
	defer other.Close()
	if err := db.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "seed", PasswordHash: "h"}) }); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err := db.Update(func(tx store.Tx) error {
		runs++
		if tx.HasUser("x") {
			return nil
		}
		// Another process takes the name between the check and the write.
		if err := other.Update(func(tx store.Tx) error { return tx.PutUser(&store.User{Name: "x", PasswordHash: "other's"}) }); err != nil {
			return err
		}
		if err := tx.PutUser(&store.User{Name: "x", PasswordHash: "mine"}); err != nil {
			return err
		}
		return tx.AddAudit(store.AuditEntry{Time: time.Now(), Event: "user.add", User: "x"})
	})
	if err != nil || runs != 2 {
		t.Fatalf("Update = %v after %d runs, want nil after 2 (the second finding x taken)", err, runs)
	}
	err = db.View(func(tx store.Tx) error {
		u, err := tx.User("x")
		if err != nil {
			return err
		}
		if u.PasswordHash != "other's" {
			t.Errorf("x's record is %q, want the other process's", u.PasswordHash)
		}
		return tx.Audit(time.Time{}, func(e store.AuditEntry) (bool, error) {
			t.Errorf("the audit entry of the run that failed was committed: %+v", e)
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
