//go:build unix

package fsutil

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Opening a FIFO returns at once even with no writer, and leaves the FIFO
// as it was: a writer that comes later finds no reader.
func TestFIFONeverBlocks(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	mkfifo(t, fifo)
	for range 3 {
		var err error
		within(t, func() { _, err = Open(fifo, MaxImport) })
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("Open(fifo) = %v", err)
		}
	}
	// No descriptor was left open on it: a non-blocking writer sees no reader.
	fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err == nil {
		syscall.Close(fd)
		t.Fatal("a reader is still open on the FIFO")
	}
	if err != syscall.ENXIO {
		t.Fatalf("opening the writer side: %v", err)
	}
}
