package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The table of attempts in progress is a file of fixed-size slots beside
// the database. A slot is
//
//	0      state: 1 in use, anything else free
//	8:16   when the attempt started, Unix nanoseconds
//	16:24  the lock it sets if it fails, Unix nanoseconds, or 0
//	24:56  SHA-256 of the user's name as stored
//	56:60  CRC-32 (IEEE) of bytes 0:56
//
// The process that holds an attempt holds an open-file-description lock
// (F_OFD_SETLK) on its slot until it settles the attempt; the kernel drops
// that lock when the process ends, however it ends, so an in-use slot
// whose lock is free is an orphan: its process was killed before settling
// it. Slots are taken and orphans removed only under the database's
// exclusive lock; a holder frees its own slot by clearing its state byte.
// Nothing here is fsynced: after a power cut the table may be lost or torn
// (a torn slot fails its checksum and reads as free), which gives attempts
// back, and nothing else.
const (
	slotSize  = 64
	maxSlots  = 4096
	slotInUse = 1
)

func (d *DB) attemptsPath() string { return d.opts.Path + ".attempts" }

// Reserve implements InFlight.
func (d *DB) Reserve(fn func(tx Tx) (string, *Attempt, error)) (Held, error) {
	var h Held
	err := d.runTx(true, false, func(tx *boltTx) error {
		name, a, err := fn(tx)
		if err != nil || a == nil {
			return err
		}
		h, err = tx.attempts().add(tx.attemptsPath, name, *a)
		return err
	})
	return h, err
}

// openAttempts opens the table for reading and writing. It is refused
// unless it is a regular file that only its owner can write, since what
// it holds decides who may try a password.
func openAttempts(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0) {
		err = errors.New("not a regular file writable by its owner alone")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// attemptTable is the table as one transaction sees it.
type attemptTable struct {
	f      *os.File // nil: the table cannot be used, or is not there
	kept   bool     // f belongs to a Held now
	loaded bool
	slots  []slot // in use, valid
}

type slot struct {
	off  int64
	name [32]byte
	a    Attempt
}

// attempts opens the table on first use in a transaction.
func (t *boltTx) attempts() *attemptTable {
	if t.at == nil {
		t.at = &attemptTable{}
		if f, err := openAttempts(t.attemptsPath, false); err == nil {
			t.at.f = f
		}
	}
	t.at.load()
	return t.at
}

func (t *boltTx) closeAttempts() {
	if t.at != nil && t.at.f != nil && !t.at.kept {
		t.at.f.Close()
	}
}

// Attempts implements AttemptTx.
func (t *boltTx) Attempts(name string) (live, orphans []Attempt) {
	at := t.attempts()
	if len(at.slots) == 0 {
		return nil, nil // a listing asks for every user: skip the hash
	}
	h := sha256.Sum256([]byte(name))
	for _, s := range at.slots {
		if s.name != h {
			continue
		}
		if at.held(s.off) {
			live = append(live, s.a)
		} else {
			orphans = append(orphans, s.a)
		}
	}
	return live, orphans
}

// TakeOrphans implements AttemptTx. Only a write transaction holds the
// exclusive lock that lets it free slots.
func (t *boltTx) TakeOrphans(name string) []Attempt {
	if !t.tx.Writable() {
		return nil
	}
	at := t.attempts()
	h := sha256.Sum256([]byte(name))
	var taken []Attempt
	kept := at.slots[:0]
	for _, s := range at.slots {
		if s.name == h && !at.held(s.off) {
			if _, err := at.f.WriteAt([]byte{0}, s.off); err == nil {
				taken = append(taken, s.a)
				continue
			}
		}
		kept = append(kept, s)
	}
	at.slots = kept
	return taken
}

// load reads the table once per transaction.
func (at *attemptTable) load() {
	if at.loaded || at.f == nil {
		return
	}
	at.loaded = true
	fi, err := at.f.Stat()
	if err != nil {
		return
	}
	buf := make([]byte, min(fi.Size(), maxSlots*slotSize))
	n, err := at.f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return
	}
	le := binary.LittleEndian
	for i := range n / slotSize {
		b := buf[i*slotSize : (i+1)*slotSize]
		if b[0] != slotInUse || crc32.ChecksumIEEE(b[:56]) != le.Uint32(b[56:]) {
			continue
		}
		s := slot{off: int64(i * slotSize)}
		s.a.Started = time.Unix(0, int64(le.Uint64(b[8:])))
		if l := int64(le.Uint64(b[16:])); l != 0 {
			s.a.LockUntil = time.Unix(0, l)
		}
		copy(s.name[:], b[24:56])
		at.slots = append(at.slots, s)
	}
}

// held reports whether some process holds the slot at off. When that
// cannot be told, the slot counts as held: its attempt stays counted.
func (at *attemptTable) held(off int64) bool {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: off, Len: slotSize}
	if err := unix.FcntlFlock(at.f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return true
	}
	return lk.Type != unix.F_UNLCK
}

// add records a in a free slot, under the exclusive lock, and locks the
// slot for this process.
func (at *attemptTable) add(path, name string, a Attempt) (Held, error) {
	if at.f == nil {
		f, err := openAttempts(path, true)
		if err != nil {
			return nil, ErrNoAttempts
		}
		at.f = f
	}
	at.load()
	used := make(map[int64]bool, len(at.slots))
	for _, s := range at.slots {
		used[s.off] = true
	}
	for i := 0; i < maxSlots; i++ {
		off := int64(i * slotSize)
		if used[off] {
			continue
		}
		lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: off, Len: slotSize}
		if err := unix.FcntlFlock(at.f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
				continue // its last holder is still letting go
			}
			return nil, ErrNoAttempts
		}
		if _, err := at.f.WriteAt(encodeSlot(name, a), off); err != nil {
			lk.Type = unix.F_UNLCK
			_ = unix.FcntlFlock(at.f.Fd(), unix.F_OFD_SETLK, &lk)
			return nil, ErrNoAttempts
		}
		at.kept = true
		return &held{f: at.f, off: off}, nil
	}
	return nil, ErrNoAttempts
}

func encodeSlot(name string, a Attempt) []byte {
	b := make([]byte, slotSize)
	le := binary.LittleEndian
	b[0] = slotInUse
	le.PutUint64(b[8:], uint64(a.Started.UnixNano()))
	if !a.LockUntil.IsZero() {
		le.PutUint64(b[16:], uint64(a.LockUntil.UnixNano()))
	}
	h := sha256.Sum256([]byte(name))
	copy(b[24:56], h[:])
	le.PutUint32(b[56:], crc32.ChecksumIEEE(b[:56]))
	return b
}

// held is an attempt in progress in this process.
type held struct {
	once sync.Once
	f    *os.File
	off  int64
}

func (h *held) Done() {
	h.once.Do(func() {
		_, _ = h.f.WriteAt([]byte{0}, h.off)
		h.f.Close() // drops the slot's lock
	})
}

var (
	_ InFlight  = (*DB)(nil)
	_ AttemptTx = (*boltTx)(nil)
)
