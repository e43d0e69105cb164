// Package pg keeps authctl's data on a PostgreSQL server, so that the hosts
// of a fleet share one store: a code used on one host is refused on every
// other, and failures on all of them count against one throttle.
//
// It implements store.Store over one connection per process, opened on the
// first transaction. Updates run at READ COMMITTED and lock every row they
// read (SELECT ... FOR UPDATE), which gives each record the guarantee the
// bbolt file gives the whole database: what an update read stays as read
// until it commits, so a read-check-write never loses an update, while
// updates of different users run side by side. Reads run in a READ ONLY,
// REPEATABLE READ transaction: one snapshot, as a bbolt read transaction.
//
// The server only ever sees records in the form the domain hands them over:
// 2FA secrets sealed with the key file, backup codes hashed.
package pg

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// IsURL reports whether a --db value names a PostgreSQL database rather
// than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Options say which database to use and how long to wait for it.
type Options struct {
	// URL is a postgres:// or postgresql:// URL, with libpq's parameters
	// (host=/run/postgresql for a Unix socket, sslmode, ...).
	URL string
	// LockTimeout bounds the wait for the connection (at least a second)
	// and for each row lock another process holds (PostgreSQL's
	// lock_timeout).
	LockTimeout time.Duration
	// Create lets an update create authctl's tables in a database that
	// has none. Read-only commands leave it false.
	Create bool
	// IgnoreEnv keeps PG* environment variables and files in the home
	// directory (~/.pgpass, ~/.postgresql/root.crt) from adding to the
	// URL: authctl pam runs in an environment users can influence.
	IgnoreEnv bool
}

// DB is a PostgreSQL database holding authctl's tables. It opens one
// connection on first use and keeps it until Close; its transactions run
// one at a time.
type DB struct {
	opts Options
	// sem is held for a whole transaction: the one connection carries one
	// at a time.
	sem    chan struct{}
	conn   *pgx.Conn
	schema uint64 // checked on this connection; 0 until then
	trips  int    // round trips of transactions, for tests
}

var _ store.Store = (*DB)(nil)

// New returns a DB for opts; nothing is opened yet.
func New(opts Options) *DB {
	return &DB{opts: opts, sem: make(chan struct{}, 1)}
}

// Location is the URL as given, password included: for opening the same
// database elsewhere, never for messages (see Redacted).
func (d *DB) Location() string { return d.opts.URL }

// Redacted is the URL without its password, for messages.
func (d *DB) Redacted() string { return Redact(d.opts.URL) }

// Close ends the connection, if one was opened.
func (d *DB) Close() error {
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	if d.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := d.conn.Close(ctx)
	d.conn, d.schema = nil, 0
	return err
}

// View runs fn in a read-only transaction on one snapshot.
func (d *DB) View(fn func(store.Tx) error) error { return d.run(false, fn) }

// Update runs fn in one read-write transaction: committed if fn returns nil,
// rolled back otherwise. When the server aborts it for a conflict with
// another process (a deadlock it broke, a user inserted under a name fn
// found free), it is rolled back and fn runs again; see store.Store.
func (d *DB) Update(fn func(store.Tx) error) error { return d.run(true, fn) }

// UpdateLight is Update without waiting for the commit to reach the disk
// (synchronous_commit off for this transaction): a crash of the server may
// lose it, never corrupt anything, and a later durable commit makes it
// durable too. For writes whose loss is harmless (store.LightUpdater).
func (d *DB) UpdateLight(fn func(store.Tx) error) error { return d.runMode(true, true, fn) }

// maxRuns is how many times an update is tried before giving up.
const maxRuns = 10

func (d *DB) run(write bool, fn func(store.Tx) error) error { return d.runMode(write, false, fn) }

func (d *DB) runMode(write, light bool, fn func(store.Tx) error) error {
	if err := d.acquire(); err != nil {
		return err
	}
	defer func() { <-d.sem }()
	created := false
	for n := 1; ; n++ {
		err := d.runOnce(write, light, fn)
		if d.conn != nil && d.conn.IsClosed() {
			d.conn, d.schema = nil, 0
		}
		if errors.Is(err, errNoTables) {
			if !write || !d.opts.Create || created {
				return store.NoDatabase("database %s has no authctl data yet", d.Redacted())
			}
			if err := d.create(); err != nil {
				return err
			}
			// fn found no tables: it runs again on the ones just made.
			created = true
			continue
		}
		if !errors.Is(err, errConflict) {
			return err
		}
		if n == maxRuns {
			return apperr.New(apperr.Env, "database %s: the transaction kept conflicting with other authctl processes; try again", d.Redacted())
		}
		// Let the other side finish before running fn again.
		time.Sleep(time.Duration(n)*time.Millisecond + rand.N(10*time.Millisecond))
	}
}

// acquire takes the connection for one transaction, waiting no longer than
// the lock timeout for another goroutine's transaction to end.
func (d *DB) acquire() error {
	select {
	case d.sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(max(d.opts.LockTimeout, time.Millisecond))
	defer t.Stop()
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-t.C:
		return d.lockedErr()
	}
}

// runOnce runs fn in one transaction. Its statements reach the server in
// as few round trips as fn's reads allow (see pgTx): BEGIN goes with the
// first of them, and on a new connection the schema check too.
func (d *DB) runOnce(write, light bool, fn func(store.Tx) error) (err error) {
	if err := d.connect(); err != nil {
		return err
	}
	tx := d.begin(write, light)
	done := false
	defer func() {
		if !done {
			// fn panicked: end the transaction before the panic goes on.
			tx.rollback()
		}
	}()
	ferr := fn(tx)
	done = true
	switch {
	case tx.err != nil:
		// The first database failure explains whatever fn made of it.
		tx.rollback()
		return tx.err
	case ferr != nil:
		tx.rollback()
		return ferr
	}
	if err := tx.commit(); err != nil {
		tx.rollback()
		return err
	}
	return nil
}

// connect opens the connection on first use, within the lock timeout (at
// least a second).
func (d *DB) connect() error {
	if d.conn != nil {
		return nil
	}
	cfg, err := parseConfig(d.opts.URL, d.opts.IgnoreEnv)
	if err != nil {
		return apperr.New(apperr.Invalid, "invalid database URL %s: %s", d.Redacted(), d.scrub(parseReason(err)))
	}
	// Every statement goes with its parameters, unprepared, in the round
	// trip of the pipeline it is part of (see pgTx): a process runs each
	// only once or twice, and preparing would cost one more round trip
	// each, which over a network to a distant server adds up to more than
	// the rest of a login's queries. Unnamed statements also keep nothing
	// in the session, which a pooler in transaction mode needs.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "authctl"
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.connectTimeout())
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return d.connectErr(err)
	}
	d.conn = conn
	return nil
}

// timeouts are the statements that bound waits on the server's side too:
// for row locks held by another process (lock_timeout), and for a process
// that stalls inside a transaction (its locks are freed, its transaction
// rolled back). They are set in each transaction, not for the session, so
// that they hold through a pooler in transaction mode, which hands the
// server's session to other clients between transactions and refuses them
// as startup parameters. They go with BEGIN, in the same round trip.
func (d *DB) timeouts() []string {
	return []string{
		"SET LOCAL lock_timeout = " + strconv.FormatInt(max(d.opts.LockTimeout, time.Millisecond).Milliseconds(), 10),
		"SET LOCAL idle_in_transaction_session_timeout = " + strconv.FormatInt(idleInTx.Milliseconds(), 10),
	}
}

// idleInTx is how long the server lets a transaction sit idle before it
// ends the session: authctl never waits for a person or a hash inside one,
// so a process idle that long is stuck (stopped, cut off), and its locks
// must not hold every other host back.
const idleInTx = time.Minute

func (d *DB) connectTimeout() time.Duration { return max(d.opts.LockTimeout, time.Second) }

// ctx bounds one statement: a statement waiting for a lock ends at
// lock_timeout on the server; this deadline is for a server that stopped
// answering (a cut network), after which the connection is closed.
func (d *DB) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d.connectTimeout()+stallSlack)
}

// stallSlack is how long a statement may run beyond the lock timeout.
const stallSlack = 2 * time.Minute

// envMu serialises parsing while the environment is hidden.
var envMu sync.Mutex

// parseConfig parses the URL. pgx fills in what the URL leaves out from PG*
// variables and files in $HOME, and cannot be told not to; with ignoreEnv
// they are hidden from it while it parses.
func parseConfig(url string, ignoreEnv bool) (*pgx.ConnConfig, error) {
	if !ignoreEnv {
		return pgx.ParseConfig(url)
	}
	envMu.Lock()
	defer envMu.Unlock()
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || k == "HOME" {
			saved[k] = v
			os.Unsetenv(k)
		}
	}
	defer func() {
		for k, v := range saved {
			os.Setenv(k, v)
		}
	}()
	return pgx.ParseConfig(url)
}
