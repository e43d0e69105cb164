// Package store keeps authctl's data in a bbolt file. Every operation opens
// the file, runs one transaction and closes it, so no process holds the lock
// longer than its transaction (and never while hashing a password).
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/authctl/authctl/internal/apperr"
)

// SchemaVersion is the layout this code reads and writes.
const SchemaVersion = 1

var (
	bucketMeta  = []byte("meta")
	bucketUsers = []byte("users")
	bucketAudit = []byte("audit")

	keyMagic  = []byte("magic")
	keySchema = []byte("schema")
	keyKeyID  = []byte("key_id")

	magic = []byte(Magic)
)

// ErrNotFound is returned for a missing user.
var ErrNotFound = errors.New("not found")

// ErrNoDatabase is wrapped by the error for a database file that does not
// exist yet (or is empty), which only a write with Options.Create creates.
var ErrNoDatabase = errors.New("no database")

func noDatabase(format string, args ...any) error {
	return &apperr.Error{Kind: apperr.Env, Msg: fmt.Sprintf(format, args...), Err: ErrNoDatabase, Hint: apperr.HintNoDatabase}
}

// Options say where the database is and how long to wait for its lock.
type Options struct {
	Path        string
	LockTimeout time.Duration
	// Create allows Update to create the file (and its directory) when it
	// does not exist. Read-only commands leave it false.
	Create bool
	// NoSync skips fsync; only for building throwaway benchmark databases.
	NoSync bool
}

// DB is a handle on the database path; it holds no file open between calls.
type DB struct {
	opts Options
}

// New returns a DB for opts.
func New(opts Options) *DB { return &DB{opts: opts} }

// Path is the database file.
func (d *DB) Path() string { return d.opts.Path }

// Location is where the database is, as --db takes it.
func (d *DB) Location() string { return d.opts.Path }

// View runs fn in a read-only transaction under a shared lock.
func (d *DB) View(fn func(Tx) error) error {
	return d.run(false, fn)
}

// Update runs fn in one read-write transaction: it commits if fn returns nil
// and rolls back otherwise.
func (d *DB) Update(fn func(Tx) error) error {
	return d.run(true, fn)
}

func (d *DB) run(write bool, fn func(Tx) error) error {
	return d.runTx(write, write, func(tx *boltTx) error { return fn(tx) })
}

// runTx runs fn in one transaction, read-write when write is set. With
// exclusive, the file is opened for writing under the exclusive lock, and
// the transaction may still be read-only: Reserve reads under that lock,
// and a database it could not write is refused before anything is tried.
func (d *DB) runTx(exclusive, write bool, fn func(*boltTx) error) (err error) {
	db, release, err := d.open(exclusive, exclusive || write)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = d.envErr(cerr)
		}
		release()
	}()
	defer func() {
		// bbolt panics on some kinds of corruption; report it instead.
		if r := recover(); r != nil {
			err = apperr.New(apperr.Env, "database %s is corrupt (%v); it was left untouched", d.opts.Path, r)
		}
	}()
	txfn := func(btx *bolt.Tx) error {
		// A file cut short (a partial copy, a full disk) can still open:
		// bbolt maps what is there and may read or grow past the cut. Its
		// meta page says how long the file must be.
		if fi, err := os.Stat(d.opts.Path); err == nil && fi.Size() < btx.Size() {
			return apperr.New(apperr.Env, "%s is corrupt: it is %d bytes but must be at least %d (cut short?); it was left untouched", d.opts.Path, fi.Size(), btx.Size())
		}
		tx := &boltTx{tx: btx, attemptsPath: d.attemptsPath()}
		defer tx.closeAttempts()
		if err := tx.checkSchema(write && d.opts.Create, d.opts.Path); err != nil {
			return err
		}
		return fn(tx)
	}
	if write {
		return db.Update(txfn)
	}
	return db.View(txfn)
}

// open checks the path, takes the lock and opens the file. release drops
// the lock after the bbolt handle is closed.
func (d *DB) open(exclusive, write bool) (db *bolt.DB, release func(), err error) {
	path := d.opts.Path
	if path == "" {
		return nil, nil, apperr.New(apperr.Invalid, "no database path given")
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !write || !d.opts.Create {
			return nil, nil, noDatabase("no database at %s", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, d.envErr(err)
		}
	case err != nil:
		return nil, nil, d.envErr(err)
	case fi.IsDir():
		return nil, nil, apperr.New(apperr.Env, "database path %s is a directory, not a file", path)
	case !fi.Mode().IsRegular():
		return nil, nil, apperr.New(apperr.Env, "database path %s is not a regular file", path)
	case fi.Size() == 0 && !(write && d.opts.Create):
		return nil, nil, noDatabase("database %s is empty", path)
	}
	start := time.Now()
	release, err = lockSidecar(path, exclusive, d.opts.LockTimeout)
	if err != nil {
		return nil, nil, d.envErr(err)
	}
	// Under the lock, so no writer is growing the file meanwhile.
	if err := checkLength(path); err != nil {
		release()
		return nil, nil, err
	}
	db, err = openBolt(path, &bolt.Options{
		Timeout:  max(d.opts.LockTimeout-time.Since(start), time.Millisecond),
		ReadOnly: !write,
		NoSync:   d.opts.NoSync,
	})
	if err != nil {
		release()
		return nil, nil, d.envErr(err)
	}
	return db, release, nil
}

// checkLength refuses a file shorter than its own meta pages say it is (a
// partial copy, a full disk, a truncation). bbolt maps such a file and
// reads its freelist past the end, which is a SIGBUS, not an error, so the
// check must come before bbolt opens it. Every meta page that is valid (its
// magic and checksum) must fit: bbolt uses the newer one.
func checkLength(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt reports it
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	size := fi.Size()
	head := make([]byte, 64*1024)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	pageSize := int64(0)
	for i := 0; i < 2; i++ {
		off := int64(0)
		if i == 1 {
			if pageSize == 0 {
				pageSize = int64(os.Getpagesize())
			}
			off = pageSize
		}
		m, ok := parseMeta(head, off)
		if !ok {
			continue
		}
		if i == 0 {
			pageSize = int64(m.pageSize)
		}
		if need := int64(m.pgid) * int64(m.pageSize); need > size {
			return apperr.New(apperr.Env, "%s is not an authctl database or is corrupt (cut short: %d bytes of %d); it was left untouched", path, size, need)
		}
	}
	return nil
}

type meta struct {
	pageSize uint32
	pgid     uint64
}

// parseMeta reads the bbolt meta page at off, if it is one with a valid
// checksum (bbolt's layout: a 16-byte page header, then magic, version,
// page size, flags, the root bucket, freelist, high-water mark, txid and an
// FNV-1a checksum of what precedes it).
func parseMeta(b []byte, off int64) (meta, bool) {
	const hdr, size = 16, 64
	if off < 0 || off+hdr+size > int64(len(b)) {
		return meta{}, false
	}
	m := b[off+hdr : off+hdr+size]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != 0xED0CDAED {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return meta{}, false
	}
	ps := le.Uint32(m[8:])
	if ps < 512 || ps > 1<<20 {
		return meta{}, false
	}
	return meta{pageSize: ps, pgid: le.Uint64(m[40:])}, true
}

// errCorruptOnOpen is what bbolt's panics while opening a damaged file
// (a freelist page past the end of a file cut short, say) become.
var errCorruptOnOpen = errors.New("damaged file")

// openBolt is bolt.Open with its panics on damaged files turned into errors.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %v", errCorruptOnOpen, r)
		}
	}()
	return bolt.Open(path, 0o600, o)
}

// envErr turns an open or I/O failure into one clear line.
func (d *DB) envErr(err error) error {
	path := d.opts.Path
	switch {
	case errors.Is(err, berrors.ErrTimeout), errors.Is(err, errLockTimeout):
		return apperr.NewHint(apperr.Env, apperr.HintLocked, "", "database %s is locked by another authctl process (waited %s)", path, d.opts.LockTimeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum), errors.Is(err, errCorruptOnOpen),
		// bbolt has no sentinel for a file shorter than its two meta pages
		// (garbage, or a database cut short).
		strings.HasPrefix(err.Error(), "file size too small"):
		return apperr.New(apperr.Env, "%s is not an authctl database or is corrupt (%v); it was left untouched", path, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return apperr.New(apperr.Env, "cannot open database %s: permission denied", path)
	case errors.Is(err, syscall.EISDIR):
		return apperr.New(apperr.Env, "database path %s is a directory, not a file", path)
	}
	return apperr.Wrap(apperr.Env, err, "database "+path)
}

// boltTx is one transaction on the bbolt file.
type boltTx struct {
	tx *bolt.Tx
	// attemptsPath is the table of attempts in progress beside the
	// database, opened on first use (attempts).
	attemptsPath string
	at           *attemptTable
}

func (t *boltTx) checkSchema(mayInit bool, path string) error {
	meta := t.tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = t.tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty || !mayInit {
			if empty {
				return noDatabase("database %s has no authctl data yet", path)
			}
			return apperr.New(apperr.Env, "%s is a bbolt file but not an authctl database; it was left untouched", path)
		}
		return t.init()
	}
	if string(meta.Get(keyMagic)) != string(magic) {
		return apperr.New(apperr.Env, "%s is not an authctl database; it was left untouched", path)
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return apperr.New(apperr.Env, "database %s has no schema version; it was left untouched", path)
	}
	if n := binary.BigEndian.Uint64(v); n != SchemaVersion {
		return apperr.New(apperr.Env, "database %s has schema version %d, this authctl reads version %d", path, n, SchemaVersion)
	}
	return nil
}

func (t *boltTx) init() error {
	meta, err := t.tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if err := meta.Put(keyMagic, magic); err != nil {
		return err
	}
	if err := meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion)); err != nil {
		return err
	}
	for _, b := range [][]byte{bucketUsers, bucketAudit} {
		if _, err := t.tx.CreateBucket(b); err != nil {
			return err
		}
	}
	return nil
}

// Schema returns the schema version recorded in the file.
func (t *boltTx) Schema() uint64 {
	return binary.BigEndian.Uint64(t.tx.Bucket(bucketMeta).Get(keySchema))
}

// KeyID returns the fingerprint of the key that seals secrets, or "".
func (t *boltTx) KeyID() string { return string(t.tx.Bucket(bucketMeta).Get(keyKeyID)) }

// SetKeyID records the fingerprint of the key that seals secrets.
func (t *boltTx) SetKeyID(id string) error {
	return t.tx.Bucket(bucketMeta).Put(keyKeyID, []byte(id))
}

// User returns the named user or ErrNotFound.
func (t *boltTx) User(name string) (*User, error) {
	v := t.tx.Bucket(bucketUsers).Get([]byte(name))
	if v == nil {
		return nil, ErrNotFound
	}
	return DecodeUser(v)
}

// HasUser reports whether the named user exists, without decoding it.
func (t *boltTx) HasUser(name string) bool {
	return t.tx.Bucket(bucketUsers).Get([]byte(name)) != nil
}

// PutUser stores u and bumps its revision.
func (t *boltTx) PutUser(u *User) error {
	u.Rev++
	v, err := EncodeUser(u)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucketUsers).Put([]byte(u.Name), v)
}

// DeleteUser removes the named user.
func (t *boltTx) DeleteUser(name string) error {
	return t.tx.Bucket(bucketUsers).Delete([]byte(name))
}

// Users calls fn for each user in name order, decoding one at a time, so
// memory stays flat however many users there are.
func (t *boltTx) Users(fn func(*User) error) error {
	// Records are decoded a chunk at a time on every core (decoding is most
	// of a listing's cost) and handed to fn in name order.
	keys, raw := make([][]byte, 0, scanChunk), make([][]byte, 0, scanChunk)
	flush := func() error {
		users, err := decodeAll(keys, raw)
		keys, raw = keys[:0], raw[:0]
		dropPages(t.tx)
		for _, u := range users {
			if err := fn(u); err != nil {
				return err
			}
		}
		return err
	}
	err := t.tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		keys, raw = append(keys, k), append(raw, v)
		if len(raw) == scanChunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// decodeAll decodes records in parallel. On a damaged record it returns the
// users before it, in order, and its error, which names it (its key).
func decodeAll(keys, raw [][]byte) ([]*User, error) {
	users := make([]*User, len(raw))
	errs := make([]error, len(raw))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(raw)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(raw); i += workers {
				users[i], errs[i] = DecodeUser(raw[i])
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return users[:i], apperr.New(apperr.Env, "user %q: %v", keys[i], err)
		}
	}
	return users, nil
}

// scanChunk is how many records a scan reads between releases of the pages
// it has read.
const scanChunk = 4096

// CountUsers returns the number of users.
func (t *boltTx) CountUsers() int {
	return t.tx.Bucket(bucketUsers).Stats().KeyN
}

// auditKey orders entries by time, then by a per-database sequence. Times
// before 1970 clamp to 0.
func auditKey(ts time.Time, seq uint64) []byte {
	ns := int64(0)
	if ts.After(time.Unix(0, 0)) {
		ns = ts.UnixNano()
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(ns))
	return binary.BigEndian.AppendUint64(k, seq)
}

// AddAudit appends an entry.
func (t *boltTx) AddAudit(e AuditEntry) error {
	b := t.tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := EncodeAudit(e)
	if err != nil {
		return err
	}
	return b.Put(auditKey(e.Time, seq), v)
}

// PruneAudit deletes entries older than before and returns how many.
func (t *boltTx) PruneAudit(before time.Time) (int, error) {
	c := t.tx.Bucket(bucketAudit).Cursor()
	limit := auditKey(before, 0)
	n := 0
	for k, _ := c.First(); k != nil && string(k) < string(limit); k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Audit calls fn for entries newest first, down to since; fn returns false
// to stop.
func (t *boltTx) Audit(since time.Time, fn func(AuditEntry) (bool, error)) error {
	c := t.tx.Bucket(bucketAudit).Cursor()
	var floor []byte
	if !since.IsZero() {
		floor = auditKey(since, 0)
	}
	n := 0
	for k, v := c.Last(); k != nil && string(k) >= string(floor); k, v = c.Prev() {
		e, err := DecodeAudit(v)
		if err != nil {
			return err
		}
		if n++; n%scanChunk == 0 {
			dropPages(t.tx)
		}
		more, err := fn(e)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// WriteTo writes a consistent copy of the whole database to w.
func (t *boltTx) WriteTo(w io.Writer) (int64, error) { return t.tx.WriteTo(w) }

// Check runs bbolt's consistency check and decodes every record, returning
// every problem found. inspect, if not nil, is called with every user
// record that decodes, and the problems it returns are added: the domain's
// own checks ride on the same scan.
func (t *boltTx) Check(inspect func(*User) []error) []error {
	var errs []error
	for err := range t.tx.Check() {
		errs = append(errs, err)
	}
	users := t.tx.Bucket(bucketUsers)
	if users == nil {
		return append(errs, errors.New("users bucket is missing"))
	}
	_ = users.ForEach(func(k, v []byte) error {
		errs = append(errs, CheckUser(string(k), v, inspect)...)
		return nil
	})
	audit := t.tx.Bucket(bucketAudit)
	if audit == nil {
		return append(errs, errors.New("audit bucket is missing"))
	}
	_ = audit.ForEach(func(k, v []byte) error {
		if _, err := CheckAudit(v); len(k) != 16 || err != nil {
			errs = append(errs, fmt.Errorf("audit entry %x is malformed", k))
		}
		return nil
	})
	return errs
}
