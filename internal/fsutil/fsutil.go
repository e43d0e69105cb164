// Package fsutil reads the files a user names (config, key and import
// files) without trusting what they are: only regular files are read, a
// named pipe never blocks the process, and no read goes past a size cap,
// so /dev/zero, a FIFO or a huge file is a clear error instead of a hang
// or an out-of-memory crash.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Size caps for the files authctl reads.
const (
	// MaxConfig is far more than any config file needs.
	MaxConfig = 1 << 20
	// MaxKeyFile fits a key file (one line of about 60 bytes) many times over.
	MaxKeyFile = 4 << 10
	// MaxImport fits tens of millions of users at about 100 bytes a line.
	MaxImport = 2 << 30
)

var (
	// ErrNotRegular means the path names a directory, device, pipe or socket.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge means the file is, or grew, larger than its cap.
	ErrTooLarge = errors.New("file too large")
)

// Error says why a file was refused. It never holds the file's content.
type Error struct {
	Path string
	What string // for ErrNotRegular: "a directory", "a named pipe", ...
	Max  int64  // for ErrTooLarge
	Err  error  // ErrNotRegular or ErrTooLarge
}

func (e *Error) Error() string {
	if e.Err == ErrTooLarge {
		return fmt.Sprintf("%s is larger than %s", e.Path, Size(e.Max))
	}
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.What)
}

func (e *Error) Unwrap() error { return e.Err }

// Size formats a byte count for messages: "4 KiB", "1 MiB", "2 GiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// File is a regular file open for reading whose reads stop with an
// *Error wrapping ErrTooLarge past its cap.
type File struct {
	f    *os.File
	info fs.FileInfo
	r    io.Reader // io.LimitReader of max+1, to see growth past the cap
	n    int64
	max  int64
}

// Open opens path for reading when it is a regular file (a symbolic link to
// one is followed) of at most max bytes. Errors from the system keep their
// *fs.PathError form (errors.Is(err, fs.ErrNotExist) and so on); a file of
// another type or over the cap gives an *Error. The type is checked on the
// open descriptor, so there is no window between a check and the open.
func Open(path string, max int64) (*File, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() { // openRegular checked; this is for other systems
		f.Close()
		return nil, &Error{Path: path, What: describe(info.Mode()), Err: ErrNotRegular}
	}
	if info.Size() > max {
		f.Close()
		return nil, &Error{Path: path, Max: max, Err: ErrTooLarge}
	}
	return &File{f: f, info: info, r: io.LimitReader(f, max+1), max: max}, nil
}

// Info is what fstat said of the open file.
func (f *File) Info() fs.FileInfo { return f.info }

// Read reads from the file and fails once more than the cap has been read.
func (f *File) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	if f.n > f.max {
		return n - int(f.n-f.max), &Error{Path: f.f.Name(), Max: f.max, Err: ErrTooLarge}
	}
	return n, err
}

// ReadAll reads the rest of the file.
func (f *File) ReadAll() ([]byte, error) {
	size := min(f.info.Size(), f.max) + 1 // +1 sees EOF without growing
	b := make([]byte, 0, size)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // the file grew; let append pick the next size
		}
	}
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadFile reads the whole of path when it is a regular file of at most max
// bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadAll()
}

// describe names a non-regular file type for a message.
func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
