//go:build unix

package fsutil

import (
	"io/fs"
	"os"
	"syscall"
)

// openRegular opens path without blocking and keeps it only if fstat on the
// descriptor says it is a regular file. O_NONBLOCK makes the open of a FIFO
// return at once instead of waiting for a writer; it is cleared again for
// the regular file, so reads behave as usual. O_NOCTTY keeps a terminal
// device from becoming the controlling terminal.
func openRegular(path string) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if what, ok := fileType(uint32(st.Mode) & syscall.S_IFMT); !ok {
		syscall.Close(fd)
		return nil, &Error{Path: path, What: what, Err: ErrNotRegular}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func fileType(t uint32) (what string, regular bool) {
	switch t {
	case syscall.S_IFREG:
		return "", true
	case syscall.S_IFDIR:
		return "a directory", false
	case syscall.S_IFIFO:
		return "a named pipe", false
	case syscall.S_IFCHR:
		return "a character device", false
	case syscall.S_IFBLK:
		return "a block device", false
	case syscall.S_IFSOCK:
		return "a socket", false
	}
	return "a special file", false
}
