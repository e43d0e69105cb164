package pg

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store"
)

// The tables, in the schema the connection's search_path names first.
// User names sort as bytes (COLLATE "C"), as in the bbolt file, whatever
// the database's locale. An audit entry's ts is its time (to the
// microsecond, for queries and pruning); the entry itself, with its exact
// time, is data.
var createSQL = []string{
	`CREATE TABLE authctl_meta (key text PRIMARY KEY, value text NOT NULL)`,
	`CREATE TABLE authctl_users (name text COLLATE "C" PRIMARY KEY, data bytea NOT NULL)`,
	`CREATE TABLE authctl_audit (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, data bytea NOT NULL)`,
	`CREATE INDEX authctl_audit_ts ON authctl_audit (ts, id)`,
	// key_id exists from the start, so that an update can lock it.
	`INSERT INTO authctl_meta (key, value) VALUES ('magic', '` + store.Magic + `'), ('schema', '` + strconv.Itoa(store.SchemaVersion) + `'), ('key_id', '')`,
}

// schemaLock is the advisory lock taken while the tables are created or
// migrated, so that processes starting at once on a new database do not
// race ("authctl" in ASCII).
const schemaLock = 0x61757468637466

// errNoTables says the database has no authctl_meta table: Update
// creates the tables, when it may, and runs fn again.
var errNoTables = errors.New("no authctl tables")

// queueCheck adds to b the statement that checks, once per connection,
// that the database holds authctl's tables at the version this code
// reads: it goes to the server with the first statement of the first
// transaction, not in a round trip of its own. Other tables in the
// database are left alone.
func (d *DB) queueCheck(b *pgx.Batch) {
	b.Queue(`SELECT key, value FROM authctl_meta WHERE key IN ('magic', 'schema')`).Fn = func(br pgx.BatchResults) error {
		rows, err := br.Query()
		meta := map[string]string{}
		if err == nil {
			var k, v string
			_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error { meta[k] = v; return nil })
		}
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == codeUndefinedTable:
			return errNoTables
		case errors.As(err, &pe) && pe.Code == codeUndefinedColumn:
			meta = nil // a table of that name, not ours
		case err != nil:
			return err
		}
		n, err := d.checkMeta(meta)
		if err == nil {
			d.schema = n
		}
		return err
	}
}

// checkMeta returns the schema version the meta rows record, or why this
// authctl leaves the database alone.
func (d *DB) checkMeta(meta map[string]string) (uint64, error) {
	if meta["magic"] != store.Magic {
		return 0, apperr.New(apperr.Env, "database %s has a table authctl_meta that is not authctl's; it was left untouched", d.Redacted())
	}
	n, err := strconv.ParseUint(meta["schema"], 10, 64)
	switch {
	case err != nil:
		return 0, apperr.New(apperr.Env, "database %s has no schema version; it was left untouched", d.Redacted())
	case n != store.SchemaVersion:
		// Version 1 is the first: there is nothing to migrate from yet.
		// A later version migrates in create's way, in one transaction
		// under schemaLock, and records its number last.
		return 0, apperr.New(apperr.Env, "database %s has schema version %d, this authctl reads version %d", d.Redacted(), n, store.SchemaVersion)
	}
	return n, nil
}

// tables says which of authctl's tables the schema that new tables go in
// (the first of the search_path) holds. It reads pg_class with the
// statement's snapshot: under the advisory lock, that sees tables another
// process committed while this one waited.
func tables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT relname FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		AND relname IN ('authctl_meta', 'authctl_users', 'authctl_audit')`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	return have, err
}

// create makes authctl's tables in one transaction, under an advisory
// lock: of several processes creating them at once, the first does and
// the others find them made.
func (d *DB) create() (err error) {
	ctx, cancel := d.ctx()
	defer cancel()
	tx, err := d.conn.Begin(ctx)
	if err != nil {
		return d.dbErr(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx)
		}
	}()
	for _, set := range d.timeouts() {
		if _, err := tx.Exec(ctx, set); err != nil {
			return d.dbErr(err)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return d.dbErr(err)
	}
	have, err := tables(ctx, tx)
	if err != nil {
		return d.dbErr(err)
	}
	if have["authctl_meta"] {
		return d.dbErr(tx.Rollback(ctx)) // another process made them meanwhile
	}
	if have["authctl_users"] || have["authctl_audit"] {
		return apperr.New(apperr.Env, "database %s has a table authctl_users or authctl_audit but no authctl_meta: not authctl's; it was left untouched", d.Redacted())
	}
	for _, q := range createSQL {
		if _, err := tx.Exec(ctx, q); err != nil {
			return d.dbErr(err)
		}
	}
	return d.dbErr(tx.Commit(ctx))
}
