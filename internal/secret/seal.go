package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/authctl/authctl/internal/fsutil"
)

// KeySize is the size of the key that encrypts TOTP secrets (AES-256).
const KeySize = 32

// ErrOpen means a sealed value could not be decrypted: wrong key or tampering.
var ErrOpen = errors.New("cannot decrypt: wrong key or damaged data")

// Sealer encrypts small secrets with AES-256-GCM. The associated data binds
// a ciphertext to its owner, so a sealed secret copied onto another user
// does not decrypt.
type Sealer struct {
	aead cipher.AEAD
	id   string
	rand io.Reader
}

// NewSealer returns a Sealer for a 32-byte key. r supplies nonces (nil
// means crypto/rand).
func NewSealer(key []byte, r io.Reader) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = rand.Reader
	}
	return &Sealer{aead: aead, id: KeyID(key), rand: r}, nil
}

// ID identifies the key without revealing it; the database records it so a
// wrong key file is reported as such.
func (s *Sealer) ID() string { return s.id }

// Seal returns nonce || ciphertext.
func (s *Sealer) Seal(plain []byte, ad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("reading random nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(ad)), nil
}

// Open reverses Seal.
func (s *Sealer) Open(sealed []byte, ad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyID is a short fingerprint of key.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("authctl key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}

const keyFilePrefix = "authctl-key-v1:"

// NewKey draws a fresh key from r (nil means crypto/rand).
func NewKey(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, err
	}
	return key, nil
}

// ErrKeyFileMode means a key file can be read or written by other users.
var ErrKeyFileMode = errors.New("key file is accessible by other users")

type keyModeError struct {
	path string
	perm fs.FileMode
}

func (e *keyModeError) Error() string {
	return fmt.Sprintf("key file %s may be read or written by other users (mode %04o); run chmod 600 %s", e.path, uint32(e.perm), e.path)
}

func (e *keyModeError) Is(target error) bool { return target == ErrKeyFileMode }

// ReadKeyFile reads a key file: one line "authctl-key-v1:" and the base64
// of the key. It refuses, before reading a byte, anything but a regular
// file of at most fsutil.MaxKeyFile bytes, and a file that group or others
// may read or write (as ssh refuses such a private key). A missing file
// gives an error satisfying errors.Is(err, fs.ErrNotExist). Messages name
// the file and never quote its content.
func ReadKeyFile(path string) ([]byte, error) {
	f, err := fsutil.Open(path, fsutil.MaxKeyFile)
	var fe *fsutil.Error
	if errors.As(err, &fe) {
		return nil, fmt.Errorf("key file %w", err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if perm := f.Info().Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, &keyModeError{path: path, perm: perm}
	}
	b, err := f.ReadAll()
	if errors.As(err, &fe) {
		return nil, fmt.Errorf("key file %w", err)
	}
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if !bytes.HasPrefix(b, []byte(keyFilePrefix)) {
		return nil, fmt.Errorf("key file %s is not an authctl key file", path)
	}
	key, err := base64.StdEncoding.DecodeString(string(b[len(keyFilePrefix):]))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("key file %s is not an authctl key file", path)
	}
	return key, nil
}

// WriteKeyFile writes key to path with mode 0600 (its directory 0700 when
// created). The file appears whole or not at all, and an existing file is
// never replaced unless replace is true.
func WriteKeyFile(path string, key []byte, replace bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".authctl-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	data := keyFilePrefix + base64.StdEncoding.EncodeToString(key) + "\n"
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path) // fails if path exists
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not supported everywhere (Windows); best effort
	return nil
}
