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

// ready checks, once per connection, that the database holds authctl's
// tables at the version this code reads, and creates them when it holds
// none and the caller may create them. Other tables in the database are
// left alone.
func (d *DB) ready(write bool) error {
	if d.schema != 0 {
		return nil
	}
	ctx, cancel := d.ctx()
	defer cancel()
	meta, err := readMeta(ctx, d.conn)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUndefinedTable {
		if !write || !d.opts.Create {
			return store.NoDatabase("database %s has no authctl data yet", d.Redacted())
		}
		if err := d.create(); err != nil {
			return err
		}
		meta, err = readMeta(ctx, d.conn)
	}
	if errors.As(err, &pe) && pe.Code == codeUndefinedColumn {
		meta, err = nil, nil // a table of that name, not ours
	}
	if err != nil {
		return d.dbErr(err)
	}
	if meta["magic"] != store.Magic {
		return apperr.New(apperr.Env, "database %s has a table authctl_meta that is not authctl's; it was left untouched", d.Redacted())
	}
	n, err := strconv.ParseUint(meta["schema"], 10, 64)
	switch {
	case err != nil:
		return apperr.New(apperr.Env, "database %s has no schema version; it was left untouched", d.Redacted())
	case n != store.SchemaVersion:
		// Version 1 is the first: there is nothing to migrate from yet.
		// A later version migrates here, in one transaction under
		// schemaLock, and records its number last.
		return apperr.New(apperr.Env, "database %s has schema version %d, this authctl reads version %d", d.Redacted(), n, store.SchemaVersion)
	}
	d.schema = n
	return nil
}

// readMeta reads the magic and the schema version: one statement, the
// only one a process needs before its first transaction.
func readMeta(ctx context.Context, conn *pgx.Conn) (map[string]string, error) {
	rows, err := conn.Query(ctx, `SELECT key, value FROM authctl_meta WHERE key IN ('magic', 'schema')`)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	var k, v string
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error { meta[k] = v; return nil })
	return meta, err
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
