package secret

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustSealer(t *testing.T, key []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyOf(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealerRoundTrip(t *testing.T) {
	s := mustSealer(t, keyOf(1))
	for _, plain := range []string{"", "JBSWY3DPEHPK3PXP", strings.Repeat("A", 1000)} {
		sealed, err := s.Seal([]byte(plain), "ad:alice")
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && bytes.Contains(sealed, []byte(plain)) {
			t.Fatalf("sealed value contains the plain text")
		}
		got, err := s.Open(sealed, "ad:alice")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if string(got) != plain {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
		again, _ := s.Seal([]byte(plain), "ad:alice")
		if bytes.Equal(again, sealed) {
			t.Fatalf("two seals of one value are equal: the nonce is not fresh")
		}
	}
}

func TestSealerRefuses(t *testing.T) {
	s := mustSealer(t, keyOf(1))
	other := mustSealer(t, keyOf(2))
	sealed, err := s.Seal([]byte("JBSWY3DPEHPK3PXP"), "ad:alice")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		sealer *Sealer
		sealed []byte
		ad     string
	}{
		{"wrong associated data", s, sealed, "ad:bob"},
		{"empty associated data", s, sealed, ""},
		{"wrong key", other, sealed, "ad:alice"},
		{"nonce flipped", s, flip(0), "ad:alice"},
		{"ciphertext flipped", s, flip(len(sealed) / 2), "ad:alice"},
		{"tag flipped", s, flip(len(sealed) - 1), "ad:alice"},
		{"truncated", s, sealed[:len(sealed)-1], "ad:alice"},
		{"too short", s, sealed[:5], "ad:alice"},
		{"empty", s, nil, "ad:alice"},
		{"extended", s, append(bytes.Clone(sealed), 0), "ad:alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.sealed, tt.ad)
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := NewSealer(make([]byte, n), nil); err == nil {
			t.Errorf("NewSealer(%d-byte key) = nil error", n)
		}
	}
}

func TestKeyID(t *testing.T) {
	a, b := mustSealer(t, keyOf(1)), mustSealer(t, keyOf(2))
	if a.ID() == b.ID() {
		t.Fatal("two keys have one ID")
	}
	if a.ID() != KeyID(keyOf(1)) || mustSealer(t, keyOf(1)).ID() != a.ID() {
		t.Fatal("ID is not a function of the key")
	}
	if strings.Contains(a.ID(), "0101") && len(a.ID()) >= 64 {
		t.Fatal("ID looks like the key itself")
	}
}

func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf", "authctl")
	path := filepath.Join(dir, "key")
	key, err := NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != KeySize {
		t.Fatalf("NewKey gave %d bytes", len(key))
	}
	if _, err := ReadKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadKeyFile(missing) = %v, want ErrNotExist", err)
	}
	if err := WriteKeyFile(path, key, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode fs.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.mode {
			t.Errorf("%s has mode %o, want %o", c.path, got, c.mode)
		}
	}
	got, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, key) {
		t.Fatal("ReadKeyFile returned another key")
	}

	// replace=false never overwrites.
	before, _ := os.ReadFile(path)
	err = WriteKeyFile(path, keyOf(9), false)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteKeyFile(existing, replace=false) = %v, want ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("WriteKeyFile(replace=false) changed an existing key file")
	}
	// replace=true does, atomically, keeping the mode.
	if err := WriteKeyFile(path, keyOf(9), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadKeyFile(path); !bytes.Equal(got, keyOf(9)) {
		t.Fatal("WriteKeyFile(replace=true) did not replace the key")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced key file has mode %o", fi.Mode().Perm())
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("key directory holds %v, want only the key", names)
	}
}

func TestReadKeyFileRejects(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"empty":       "",
		"text":        "hello world\n",
		"raw key":     string(keyOf(1)),
		"no prefix":   "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n",
		"short key":   "authctl-key-v1:AQEBAQ==\n",
		"bad base64":  "authctl-key-v1:!!!!\n",
		"long key":    "authctl-key-v1:" + strings.Repeat("AQEB", 12) + "\n",
		"other magic": "authctl-key-v2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if k, err := ReadKeyFile(p); err == nil {
				t.Fatalf("ReadKeyFile accepted %q as key %x", content, k)
			}
		})
	}
	// The well-formed version of the same line is accepted.
	p := filepath.Join(dir, "good")
	os.WriteFile(p, []byte("authctl-key-v1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"), 0o600)
	if k, err := ReadKeyFile(p); err != nil || !bytes.Equal(k, keyOf(1)) {
		t.Fatalf("ReadKeyFile(good) = %x, %v", k, err)
	}
}

func TestHashCodeAndMatch(t *testing.T) {
	salt := []byte("0123456789abcdef")
	codes := []string{"abcdefghjk", "mnpqrstuvw", "xyz2345678"}
	var hashes [][]byte
	for _, c := range codes {
		hashes = append(hashes, HashCode(cheap, salt, c))
	}
	for i, c := range codes {
		if got := MatchCode(hashes, HashCode(cheap, salt, c)); got != i {
			t.Errorf("MatchCode(%s) = %d, want %d", c, got, i)
		}
	}
	if got := MatchCode(hashes, HashCode(cheap, salt, "zzzzzzzzzz")); got != -1 {
		t.Errorf("MatchCode(unknown) = %d", got)
	}
	if got := MatchCode(hashes, HashCode(cheap, []byte("another salt 16b"), codes[0])); got != -1 {
		t.Errorf("a code hashed with another set's salt matched entry %d", got)
	}
	hashes[1] = nil // used
	if got := MatchCode(hashes, HashCode(cheap, salt, codes[1])); got != -1 {
		t.Errorf("a used code matched entry %d", got)
	}
}
