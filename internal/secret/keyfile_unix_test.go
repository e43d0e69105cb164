//go:build unix

package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/fsutil"
)

// A key file that group or others may read or write is refused, naming
// the file and the chmod that fixes it, before its content is read.
func TestReadKeyFileMode(t *testing.T) {
	dir := t.TempDir()
	const line = "authctl-key-v1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o700, true},
		{0o640, false}, {0o604, false}, {0o644, false}, {0o620, false}, {0o602, false}, {0o660, false}, {0o666, false}, {0o601, false},
	} {
		p := filepath.Join(dir, "key-"+tt.mode.String())
		if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tt.mode); err != nil {
			t.Fatal(err)
		}
		key, err := ReadKeyFile(p)
		if tt.ok {
			if err != nil || !bytes.Equal(key, keyOf(1)) {
				t.Errorf("mode %04o: ReadKeyFile = %x, %v", uint32(tt.mode), key, err)
			}
			continue
		}
		if !errors.Is(err, ErrKeyFileMode) || key != nil {
			t.Errorf("mode %04o: ReadKeyFile = %x, %v; want ErrKeyFileMode", uint32(tt.mode), key, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "chmod 600 "+p) || !strings.Contains(msg, p) || strings.Contains(msg, "AQEB") {
			t.Errorf("mode %04o: message %q should name the file and chmod 600, and not the key", uint32(tt.mode), msg)
		}
	}
}

// Only a regular file of at most 4 KiB is read: a FIFO, a device, a
// directory or an oversized file is refused at once, naming the file.
func TestReadKeyFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("authctl-key-v1:"+strings.Repeat("A", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]error{
		fifo: fsutil.ErrNotRegular, "/dev/zero": fsutil.ErrNotRegular, "/dev/urandom": fsutil.ErrNotRegular,
		dir: fsutil.ErrNotRegular, big: fsutil.ErrTooLarge,
	} {
		done := make(chan error, 1)
		go func() { _, err := ReadKeyFile(path); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, want) {
				t.Errorf("ReadKeyFile(%s) = %v, want %v", path, err, want)
			} else if msg := err.Error(); !strings.HasPrefix(msg, "key file "+path+" is ") || strings.Contains(msg, "AAAA") {
				t.Errorf("ReadKeyFile(%s): message %q", path, msg)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadKeyFile(%s) blocked", path)
		}
	}
}
