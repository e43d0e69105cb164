package pg

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// pgTx is one transaction. Methods without an error result (Schema,
// KeyID, HasUser, CountUsers) cannot report a database failure to fn, so
// every failure is also kept here, the first one sticky: View and Update
// return it when fn is done, whatever fn returned, and roll back. (After
// a failed statement PostgreSQL refuses every other one in the
// transaction anyway, so none is sent after it.)
//
// Statements whose answer fn does not wait for wait in next and reach the
// server in one round trip (a pipeline) with the next statement whose
// answer it does wait for, or with COMMIT: BEGIN, the schema check of a
// new connection, and writes, whose answer is only whether they worked. A
// write that fails makes the transaction fail then, as its own call would
// have; the server runs nothing after a failed statement of a pipeline,
// so a COMMIT sent behind it never commits the rest. Nothing is written
// before the schema check has passed.
type pgTx struct {
	db    *DB
	write bool
	err   error
	next  *pgx.Batch
	// seen is what an update found of a name: true for a row it read (and
	// so holds locked), false for none. PutUser of a name found free
	// inserts it, and must not overwrite a row another process inserted
	// since.
	seen map[string]bool
}

func (t *pgTx) saw(name string, present bool) {
	if !t.write {
		return
	}
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.seen[name] = present
}

var _ store.Tx = (*pgTx)(nil)

// page is how many rows a scan reads per statement: memory stays flat
// however many users there are, and fn may use the transaction between
// pages (the connection is free while fn runs).
const page = 512

// begin starts a transaction: its BEGIN waits for the first statement.
// An update reads committed rows and locks what it reads; a view reads
// one snapshot. light commits without waiting for the disk.
func (d *DB) begin(write, light bool) *pgTx {
	t := &pgTx{db: d, write: write, next: &pgx.Batch{}}
	if write {
		t.next.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE`)
	} else {
		t.next.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	}
	for _, set := range d.timeouts() {
		t.next.Queue(set)
	}
	if light {
		t.next.Queue(`SET LOCAL synchronous_commit = off`)
	}
	if d.schema == 0 {
		d.queueCheck(t.next)
	}
	return t
}

// send sends the waiting statements in one round trip and reads their
// answers in order; the first failure is the transaction's.
func (t *pgTx) send() error {
	if t.err != nil {
		return t.err
	}
	b := t.next
	if b.Len() == 0 {
		return nil
	}
	t.next = &pgx.Batch{}
	t.db.trips++
	ctx, cancel := t.db.ctx()
	defer cancel()
	if err := t.db.conn.SendBatch(ctx, b).Close(); err != nil {
		return t.fail(err)
	}
	return nil
}

// commit sends what waits and COMMIT, once the schema check has passed.
func (t *pgTx) commit() error {
	if t.db.schema == 0 {
		if err := t.send(); err != nil {
			return err
		}
	}
	var tag pgconn.CommandTag
	t.next.Queue(`COMMIT`).Fn = func(br pgx.BatchResults) (err error) {
		tag, err = br.Exec()
		return err
	}
	if err := t.send(); err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		// The server had rolled the transaction back.
		return t.fail(pgx.ErrTxCommitRollback)
	}
	return nil
}

// rollback drops what waits and ends the transaction on the server, if
// BEGIN reached it.
func (t *pgTx) rollback() {
	t.next = &pgx.Batch{}
	c := t.db.conn
	if c == nil || c.IsClosed() || c.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := t.db.ctx()
	defer cancel()
	_, _ = c.Exec(ctx, `ROLLBACK`)
}

func (t *pgTx) fail(err error) error {
	err = t.db.dbErr(err)
	if t.err == nil {
		t.err = err
	}
	return err
}

var errReadOnly = errors.New("write in a read-only transaction")

func (t *pgTx) writable() error {
	if !t.write {
		return t.fail(apperr.Wrap(apperr.Internal, errReadOnly, "database "+t.db.Redacted()))
	}
	return nil
}

// lock is the locking clause of a read: in an update, every row read is
// held until the end, as the contract says.
func (t *pgTx) lock(mode string) string {
	if t.write {
		return " FOR " + mode
	}
	return ""
}

// queueWrite queues a write to go with the next statement that is sent; fn,
// if not nil, reads its answer. The schema check is passed first, and no
// more than a page of writes wait at a time.
func (t *pgTx) queueWrite(sql string, args []any, fn func(pgx.BatchResults) error) error {
	if t.err != nil {
		return t.err
	}
	if t.db.schema == 0 || t.next.Len() >= page {
		if err := t.send(); err != nil {
			return err
		}
	}
	q := t.next.Queue(sql, args...)
	if fn != nil {
		q.Fn = fn
	}
	return nil
}

// exec runs a write now, with what waits, and returns how many rows it
// touched.
func (t *pgTx) exec(sql string, args ...any) (int64, error) {
	var n int64
	err := t.queueWrite(sql, args, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	if err == nil {
		err = t.send()
	}
	return n, err
}

// row runs a query of one row, with what waits; found is false when there
// is none.
func (t *pgTx) row(sql string, args []any, dest ...any) (found bool, err error) {
	if t.err != nil {
		return false, t.err
	}
	t.next.Queue(sql, args...).Fn = func(br pgx.BatchResults) error {
		err := br.QueryRow().Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	}
	if err := t.send(); err != nil {
		return false, err
	}
	return found, nil
}

// rows reads a whole page of a query into memory, with what waits, so that
// the connection is free again before its rows are handed on.
func rows[T any](t *pgTx, scan func(pgx.CollectableRow) (T, error), sql string, args ...any) ([]T, error) {
	if t.err != nil {
		return nil, t.err
	}
	var out []T
	t.next.Queue(sql, args...).Fn = func(br pgx.BatchResults) error {
		rs, err := br.Query()
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rs, scan)
		return err
	}
	if err := t.send(); err != nil {
		return nil, err
	}
	return out, nil
}

// Schema returns the schema version recorded in the database, checked
// once per connection.
func (t *pgTx) Schema() uint64 {
	if t.db.schema == 0 {
		_ = t.send() // the check waits in next
	}
	return t.db.schema
}

// KeyID returns the fingerprint of the key that seals secrets, or "". In
// an update the row is share-locked: a rotation (SetKeyID) waits until
// the transactions that read the old key are done.
func (t *pgTx) KeyID() string {
	var v string
	_, _ = t.row(`SELECT value FROM authctl_meta WHERE key = 'key_id'`+t.lock("SHARE"), nil, &v)
	return v
}

// SetKeyID records the fingerprint of the key that seals secrets. Unlike
// other writes it is sent at once: from the call on, the update holds the
// key row, and a transaction that reads the key waits for it to end.
func (t *pgTx) SetKeyID(id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO authctl_meta (key, value) VALUES ('key_id', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, id)
	return err
}

// User returns the named user, locked until the end of an update, or
// store.ErrNotFound.
func (t *pgTx) User(name string) (*store.User, error) {
	var data []byte
	found, err := t.row(`SELECT data FROM authctl_users WHERE name = $1`+t.lock("UPDATE"), []any{name}, &data)
	switch {
	case err != nil:
		return nil, err
	case !found:
		t.saw(name, false)
		return nil, store.ErrNotFound
	}
	t.saw(name, true)
	return store.DecodeUser(data)
}

// HasUser reports whether the named user exists (and in an update locks
// it, as User does).
func (t *pgTx) HasUser(name string) bool {
	var one int
	found, err := t.row(`SELECT 1 FROM authctl_users WHERE name = $1`+t.lock("UPDATE"), []any{name}, &one)
	if err == nil {
		t.saw(name, found)
	}
	return found
}

// PutUser stores u and bumps its revision. A name this update found free
// is inserted, unless another process inserted it since: then the whole
// update is rolled back and run again, and finds it (as it would have on
// bbolt's single writer). A row it read (and holds locked), or a name it
// never looked at, is written whatever is there.
func (t *pgTx) PutUser(u *store.User) error {
	if err := t.writable(); err != nil {
		return err
	}
	u.Rev++
	v, err := store.EncodeUser(u)
	if err != nil {
		u.Rev--
		return err
	}
	if err := t.put(u.Name, v); err != nil {
		u.Rev--
		return err
	}
	t.saw(u.Name, true)
	return nil
}

func (t *pgTx) put(name string, v []byte) error {
	if present, known := t.seen[name]; known && !present {
		return t.queueWrite(`INSERT INTO authctl_users (name, data) VALUES ($1, $2)`, []any{name, v}, func(br pgx.BatchResults) error {
			_, err := br.Exec()
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
				return fmt.Errorf("%w: user %q was inserted by another process", errConflict, name)
			}
			return err
		})
	}
	return t.queueWrite(`INSERT INTO authctl_users (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data`, []any{name, v}, nil)
}

// DeleteUser removes the named user.
func (t *pgTx) DeleteUser(name string) error {
	if err := t.writable(); err != nil {
		return err
	}
	err := t.queueWrite(`DELETE FROM authctl_users WHERE name = $1`, []any{name}, nil)
	if err == nil {
		t.saw(name, false)
	}
	return err
}

type userRow struct {
	name string
	data []byte
}

func scanUser(r pgx.CollectableRow) (userRow, error) {
	var u userRow
	err := r.Scan(&u.name, &u.data)
	return u, err
}

// userPages calls fn with every stored user row in name order, a page at a
// time (locked in an update).
func (t *pgTx) userPages(fn func([]userRow) error) error {
	tail := ` ORDER BY name LIMIT ` + fmt.Sprint(page) + t.lock("UPDATE")
	rs, err := rows(t, scanUser, `SELECT name, data FROM authctl_users`+tail)
	for {
		if err != nil || len(rs) == 0 {
			return err
		}
		if err := fn(rs); err != nil {
			return err
		}
		if len(rs) < page {
			return nil
		}
		rs, err = rows(t, scanUser, `SELECT name, data FROM authctl_users WHERE name > $1`+tail, rs[len(rs)-1].name)
	}
}

// Users calls fn for each user in name order (bytewise, as in the bbolt
// file), decoding one at a time.
func (t *pgTx) Users(fn func(*store.User) error) error {
	return t.userPages(func(rs []userRow) error {
		for _, r := range rs {
			u, err := store.DecodeUser(r.data)
			if err != nil {
				return err
			}
			if err := fn(u); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountUsers returns the number of users.
func (t *pgTx) CountUsers() int {
	var n int
	_, _ = t.row(`SELECT count(*) FROM authctl_users`, nil, &n)
	return n
}

var epoch = time.Unix(0, 0).UTC()

// auditTime is an entry's time as the ts column holds it: to the
// microsecond, and times before 1970 as 1970, as in the bbolt file's keys.
func auditTime(t time.Time) time.Time {
	if t.Before(epoch) {
		return epoch
	}
	return t.Truncate(time.Microsecond)
}

// AddAudit appends an entry at e.Time. Entries of the same microsecond
// keep the order they were added in.
func (t *pgTx) AddAudit(e store.AuditEntry) error {
	if err := t.writable(); err != nil {
		return err
	}
	v, err := store.EncodeAudit(e)
	if err != nil {
		return err
	}
	return t.queueWrite(`INSERT INTO authctl_audit (ts, data) VALUES ($1, $2)`, []any{auditTime(e.Time), v}, nil)
}

// PruneAudit deletes entries older than before (to the microsecond) and
// returns how many. Entries that a concurrent transaction is pruning are
// skipped rather than waited for: that one deletes them, or the next
// prune does. The ids go through an array rather than a join (id IN
// (SELECT ...)): the same rows, but a plan a new server process makes in
// about 0.6 ms instead of 0.8, and every audit entry written prunes.
func (t *pgTx) PruneAudit(before time.Time) (int, error) {
	if err := t.writable(); err != nil {
		return 0, err
	}
	n, err := t.exec(`DELETE FROM authctl_audit WHERE id = ANY (ARRAY(SELECT id FROM authctl_audit WHERE ts < $1 FOR UPDATE SKIP LOCKED))`, auditTime(before))
	return int(n), err
}

type auditRow struct {
	id   int64
	ts   time.Time
	data []byte
}

func scanAudit(r pgx.CollectableRow) (auditRow, error) {
	var a auditRow
	err := r.Scan(&a.id, &a.ts, &a.data)
	return a, err
}

// Audit calls fn for entries newest first (by time, then the order they
// were added in), down to since; fn returns false to stop.
func (t *pgTx) Audit(since time.Time, fn func(store.AuditEntry) (bool, error)) error {
	floor := epoch
	if !since.IsZero() {
		floor = auditTime(since)
	}
	tail := ` ORDER BY ts DESC, id DESC LIMIT ` + fmt.Sprint(page)
	rs, err := rows(t, scanAudit, `SELECT id, ts, data FROM authctl_audit WHERE ts >= $1`+tail, floor)
	for {
		if err != nil || len(rs) == 0 {
			return err
		}
		for _, r := range rs {
			e, err := store.DecodeAudit(r.data)
			if err != nil {
				return err
			}
			if !since.IsZero() && unixNano(e.Time) < unixNano(since) {
				continue // the same microsecond as since, but before it
			}
			more, err := fn(e)
			if err != nil || !more {
				return err
			}
		}
		if len(rs) < page {
			return nil
		}
		last := rs[len(rs)-1]
		rs, err = rows(t, scanAudit, `SELECT id, ts, data FROM authctl_audit WHERE ts >= $1 AND (ts, id) < ($2, $3)`+tail, floor, last.ts, last.id)
	}
}

// unixNano orders times as the bbolt file's audit keys do: times before
// 1970 count as 1970.
func unixNano(t time.Time) int64 {
	if t.After(epoch) {
		return t.UnixNano()
	}
	return 0
}

// WriteTo refuses: a PostgreSQL database is backed up with the server's
// own tools.
func (t *pgTx) WriteTo(io.Writer) (int64, error) {
	return 0, apperr.New(apperr.Invalid, "the database is on PostgreSQL (%s): back it up with pg_dump (see docs/fleet.md), and the key file separately", t.db.Redacted())
}

// Check decodes every record and checks it as the bbolt file's Check does
// (store.CheckUser), calling inspect on each user, and checks that each
// audit entry's ts column agrees with the entry; it returns every problem
// found.
func (t *pgTx) Check(inspect func(*store.User) []error) []error {
	var errs []error
	var keyRow string
	if found, err := t.row(`SELECT value FROM authctl_meta WHERE key = 'key_id'`, nil, &keyRow); err != nil {
		return append(errs, err)
	} else if !found {
		errs = append(errs, errors.New("authctl_meta has no key_id row"))
	}
	err := t.userPages(func(rs []userRow) error {
		for _, r := range rs {
			errs = append(errs, store.CheckUser(r.name, r.data, inspect)...)
		}
		return nil
	})
	if err != nil {
		return append(errs, err)
	}
	var after int64
	for {
		rs, err := rows(t, scanAudit, `SELECT id, ts, data FROM authctl_audit WHERE id > $1 ORDER BY id LIMIT `+fmt.Sprint(page), after)
		if err != nil {
			return append(errs, err)
		}
		for _, r := range rs {
			e, err := store.CheckAudit(r.data)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("audit entry %d is malformed", r.id))
			case !r.ts.Equal(auditTime(e.Time)):
				errs = append(errs, fmt.Errorf("audit entry %d: its ts column (%s) is not its time (%s)", r.id, r.ts.UTC().Format(time.RFC3339Nano), e.Time.UTC().Format(time.RFC3339Nano)))
			}
		}
		if len(rs) < page {
			return errs
		}
		after = rs[len(rs)-1].id
	}
}
