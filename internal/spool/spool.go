// Package spool keeps a stream that must be read more than once, such as
// an import from standard input, in a temporary file that nobody else can
// read: the file is removed from its directory as soon as it is created
// (only the open descriptor reaches it, and the system frees it when that
// is closed or the process dies), and every byte is sealed with AES-256-GCM
// under a key made for this spool that never leaves the process's memory.
// Plain passwords in the stream never reach the disk in clear, and what
// does reach it is useless once the process is gone.
//
// The stream is cut into chunks of ChunkSize bytes, each sealed on its own
// with its index as nonce and a flag on the last one (the STREAM
// construction of age and Tink), so a chunk cannot be changed, moved,
// dropped or cut short without Open failing.
package spool

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ChunkSize is how much of the stream each sealed chunk holds.
const ChunkSize = 64 << 10

// ErrCorrupt means the spool file was changed under the process.
var ErrCorrupt = errors.New("spool file was changed or cut short")

// Spool is a stream kept sealed in an unlinked temporary file.
type Spool struct {
	f    *os.File
	aead cipher.AEAD
	size int64 // bytes on disk
	n    int64 // bytes of the stream
}

// Write copies r into a new spool in dir (os.TempDir() when empty), up to
// the end of r, and returns it ready to be read. A failure of r is
// returned as it is (errors.Is finds it); a failure to write the file is
// wrapped with what was being done. Nothing is left in dir, whatever
// happens.
func Write(dir string, r io.Reader) (*Spool, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	clear(key) // the cipher holds its own schedule of it
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	f, err := create(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot make a temporary file: %w", err)
	}
	s := &Spool{f: f, aead: aead}
	if err := s.fill(r); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// create makes a file of mode 0600 in dir that no name leads to. Where the
// system refuses to remove an open file (Windows), Close removes it.
func create(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".authctl-spool-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	return f, nil
}

// readErr marks a failure of the stream being spooled, as opposed to one
// of the file.
type readErr struct{ err error }

func (e readErr) Error() string { return e.err.Error() }
func (e readErr) Unwrap() error { return e.err }

func (s *Spool) fill(r io.Reader) error {
	plain := make([]byte, ChunkSize)
	sealed := make([]byte, 0, ChunkSize+s.aead.Overhead())
	for index := uint64(0); ; index++ {
		n, err := io.ReadFull(r, plain)
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return readErr{err}
		}
		s.n += int64(n)
		sealed = s.aead.Seal(sealed[:0], nonce(index, last), plain[:n], nil)
		if _, err := s.f.Write(sealed); err != nil {
			return fmt.Errorf("cannot write a temporary file: %w", err)
		}
		s.size += int64(len(sealed))
		if last {
			clear(plain)
			return nil
		}
	}
}

// IsReadError reports whether err, from Write, is a failure to read the
// stream rather than to keep it.
func IsReadError(err error) bool {
	var re readErr
	return errors.As(err, &re)
}

// nonce is the 96-bit GCM nonce of chunk index: the index, big-endian, in
// 11 bytes, then 1 on the last chunk and 0 on the others. The key is new
// for every spool, so no nonce is ever used twice with one key.
func nonce(index uint64, last bool) []byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[3:11], index)
	if last {
		n[11] = 1
	}
	return n[:]
}

// Len is the length of the stream.
func (s *Spool) Len() int64 { return s.n }

// Open returns a reader of the whole stream from its start; each reader is
// independent of the others. A chunk that does not open (the file was
// changed) is an error wrapping ErrCorrupt.
func (s *Spool) Open() io.Reader {
	return &reader{s: s, r: io.NewSectionReader(s.f, 0, s.size)}
}

// Close removes the file, if the system let it stay until now, and closes
// it. The stream cannot be read again.
func (s *Spool) Close() error {
	err := s.f.Close()
	os.Remove(s.f.Name()) // gone already where the system allows it
	return err
}

type reader struct {
	s      *Spool
	r      io.Reader
	index  uint64
	sealed []byte
	plain  []byte // what is left of the current chunk
	buf    []byte
	done   bool
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next opens the next chunk. The last chunk, and only it, is shorter than
// a full one (a stream of a multiple of ChunkSize ends with an empty one),
// and it opens only as the last, so a file cut at a chunk boundary does not
// pass for a shorter stream.
func (r *reader) next() error {
	full := ChunkSize + r.s.aead.Overhead()
	if r.sealed == nil {
		r.sealed = make([]byte, full)
		r.buf = make([]byte, 0, ChunkSize)
	}
	n, err := io.ReadFull(r.r, r.sealed)
	switch {
	case err == io.EOF:
		return fmt.Errorf("%w (chunk %d missing)", ErrCorrupt, r.index)
	case err == io.ErrUnexpectedEOF:
		r.done = true
	case err != nil:
		return err
	}
	plain, err := r.s.aead.Open(r.buf[:0], nonce(r.index, r.done), r.sealed[:n], nil)
	if err != nil {
		return fmt.Errorf("%w (chunk %d)", ErrCorrupt, r.index)
	}
	r.index++
	r.plain = plain
	return nil
}
