package fsutil

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// within fails the test if f takes longer than a few seconds: a FIFO that
// blocks the open must fail the test, not hang it.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still blocked after 5s")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("regular", link); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact")
	if err := os.WriteFile(exact, bytes.Repeat([]byte("x"), 64), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 65), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if runtime.GOOS != "windows" {
		mkfifo(t, fifo)
	}
	tests := []struct {
		name, path string
		want       string // content, when accepted
		err        error  // errors.Is target, when refused
		msg        string // in the message, when refused
		unix       bool   // needs /dev or mkfifo
	}{
		{name: "regular", path: regular, want: "hello\n"},
		{name: "symlink to a regular file", path: link, want: "hello\n"},
		{name: "empty", path: empty, want: ""},
		{name: "exactly the cap", path: exact, want: strings.Repeat("x", 64)},
		{name: "one byte over the cap", path: big, err: ErrTooLarge, msg: big + " is larger than 64 bytes"},
		{name: "directory", path: dir, err: ErrNotRegular, msg: dir + " is a directory, not a regular file"},
		{name: "missing", path: filepath.Join(dir, "missing"), err: fs.ErrNotExist},
		{name: "fifo without a writer", path: fifo, err: ErrNotRegular, msg: "is a named pipe", unix: true},
		{name: "/dev/zero", path: "/dev/zero", err: ErrNotRegular, msg: "/dev/zero is a character device", unix: true},
		{name: "/dev/urandom", path: "/dev/urandom", err: ErrNotRegular, msg: "character device", unix: true},
		{name: "/dev/null", path: "/dev/null", err: ErrNotRegular, msg: "character device", unix: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("no FIFOs or /dev here")
			}
			var b []byte
			var err error
			within(t, func() { b, err = ReadFile(tt.path, 64) })
			if tt.err == nil {
				if err != nil || string(b) != tt.want {
					t.Fatalf("ReadFile = %q, %v; want %q", b, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("ReadFile = %q, %v; want an error matching %v", b, err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// A file that grows past its cap after the open is cut off with
// ErrTooLarge, not read to the end.
func TestGrowthPastTheCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "growing")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 1000))
	w.Close()
	b, err := f.ReadAll()
	if !errors.Is(err, ErrTooLarge) || b != nil {
		t.Fatalf("ReadAll of a grown file = %d bytes, %v; want ErrTooLarge", len(b), err)
	}
}

// Streaming reads stop at the cap: no more than max bytes come through.
func TestStreamCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, bytes.Repeat([]byte("y"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p, 100)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, f)
	if err != nil || n != 100 {
		t.Fatalf("copy of a file at its cap = %d, %v", n, err)
	}
	f.Close()
	f, err = Open(p, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.max = 40 // as if the file had grown from 40 to 100 bytes after the open
	n, err = io.Copy(io.Discard, f)
	if !errors.Is(err, ErrTooLarge) || n != 40 {
		t.Fatalf("copy past the cap = %d, %v; want 40 bytes and ErrTooLarge", n, err)
	}
	if f.Info().Size() != 100 || !f.Info().Mode().IsRegular() {
		t.Errorf("Info = %v", f.Info())
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{
		MaxConfig: "1 MiB", MaxKeyFile: "4 KiB", MaxImport: "2 GiB", 64: "64 bytes", 1500: "1500 bytes",
	} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
