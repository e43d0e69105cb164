package spool

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// spoolOf spools b in a new directory, checks the directory is empty at
// once, and closes the spool at the end of the test.
func spoolOf(t *testing.T, b []byte) (*Spool, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Write(dir, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	wantEmpty(t, dir)
	return s, dir
}

func wantEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		t.Errorf("%s holds %s: the spool has a name", dir, ents[0].Name())
	}
}

// Streams of every length around the chunk size read back whole, as often
// as asked, through readers that do not disturb each other.
func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		want := make([]byte, n)
		rand.Read(want)
		s, _ := spoolOf(t, want)
		if s.Len() != int64(n) {
			t.Errorf("%d bytes: Len %d", n, s.Len())
		}
		a, b := s.Open(), s.Open()
		half := make([]byte, n/2)
		if _, err := io.ReadFull(a, half); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		for _, r := range []io.Reader{b, io.MultiReader(bytes.NewReader(half), a), iotest.OneByteReader(s.Open())} {
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%d bytes: read back %d bytes, %v", n, len(got), err)
			}
		}
	}
}

// What reaches the disk is sealed: the plain text is nowhere in the file,
// which is the owner's alone, and a change to it, a cut or a swap of
// chunks is refused, not read as another stream.
func TestSealedOnDisk(t *testing.T) {
	secret := []byte("name,password\nalice,correct horse battery staple\n")
	plain := bytes.Repeat(secret, 3*ChunkSize/len(secret))
	s, _ := spoolOf(t, plain)
	fi, err := s.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("spool mode %v, want 0600", fi.Mode().Perm())
	}
	disk, err := io.ReadAll(io.NewSectionReader(s.f, 0, s.size))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(disk, []byte("correct horse")) || bytes.Contains(disk, []byte("alice")) {
		t.Fatal("the spool holds the stream in clear")
	}
	full := int64(ChunkSize + s.aead.Overhead())
	for name, edit := range map[string]func([]byte) []byte{
		"flipped byte": func(b []byte) []byte { b[full+5] ^= 1; return b },
		"cut at a chunk": func(b []byte) []byte {
			return b[:2*full]
		},
		"cut in a chunk": func(b []byte) []byte { return b[:2*full+100] },
		"chunks swapped": func(b []byte) []byte {
			c := append([]byte{}, b...)
			copy(c[:full], b[full:2*full])
			copy(c[full:2*full], b[:full])
			return c
		},
		"last chunk dropped": func(b []byte) []byte { return b[:len(b)-int(len(b)%int(full))] },
	} {
		changed := edit(append([]byte{}, disk...))
		if _, err := s.f.WriteAt(changed, 0); err != nil {
			t.Fatal(err)
		}
		size := s.size
		s.size = int64(len(changed))
		_, err := io.ReadAll(s.Open())
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: read %v, want ErrCorrupt", name, err)
		}
		s.size = size
		if _, err := s.f.WriteAt(disk, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := io.ReadAll(s.Open()); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("restored spool: %v", err)
	}
}

// Two spools of the same stream share nothing: each has its own key.
func TestKeyPerSpool(t *testing.T) {
	plain := []byte(strings.Repeat("same stream ", 100))
	a, _ := spoolOf(t, plain)
	b, _ := spoolOf(t, plain)
	da := make([]byte, a.size)
	db := make([]byte, b.size)
	a.f.ReadAt(da, 0)
	b.f.ReadAt(db, 0)
	if bytes.Equal(da, db) {
		t.Error("two spools of one stream are the same bytes on disk")
	}
}

// A stream that fails is reported as such, and one that cannot be kept
// (no such directory) as something else; neither leaves a file behind.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("boom")
	_, err := Write(dir, io.MultiReader(bytes.NewReader(make([]byte, 2*ChunkSize)), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || !IsReadError(err) {
		t.Errorf("failing stream: %v", err)
	}
	wantEmpty(t, dir)
	_, err = Write(dir+"/missing", strings.NewReader("x"))
	if err == nil || IsReadError(err) {
		t.Errorf("missing directory: %v", err)
	}
	wantEmpty(t, dir)
}

// Close lets go of the file: the stream cannot be read after it.
func TestClose(t *testing.T) {
	s, err := Write(t.TempDir(), strings.NewReader("a stream"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(s.Open()); err == nil {
		t.Error("a closed spool was read")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""), 1)
	f.Add([]byte("name,password\nalice,correct horse\n"), 3)
	f.Fuzz(func(t *testing.T, b []byte, repeat int) {
		repeat = 1 + int(uint(repeat)%uint(2*ChunkSize/max(1, len(b))))
		want := bytes.Repeat(b, repeat)
		s, err := Write(t.TempDir(), iotest.HalfReader(bytes.NewReader(want)))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := io.ReadAll(s.Open())
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read back %d of %d bytes: %v", len(got), len(want), err)
		}
	})
}
