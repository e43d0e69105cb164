package account

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/secret"
)

// Keyring finds the key that seals TOTP secrets. The key lives in a file
// outside the database, so a copy of the database alone reveals no secret.
type Keyring struct {
	Path string
	Rand io.Reader
}

// exists reports whether the key file is there (of whatever kind).
func (k *Keyring) exists() bool {
	_, err := os.Lstat(k.Path)
	return err == nil
}

// pendingPath holds a key being rotated in: written before the database
// commits, renamed over Path after, so a crash between the two loses nothing.
func (k *Keyring) pendingPath() string { return k.Path + ".new" }

// Open returns the sealer for the key with fingerprint wantID (the one the
// database records). wantID "" means the database has no sealed secrets
// yet; then a missing file is created when create is true.
func (k *Keyring) Open(wantID string, create bool) (*secret.Sealer, error) {
	if k.Path == "" {
		return nil, apperr.New(apperr.Invalid, "no key file path given")
	}
	key, err := secret.ReadKeyFile(k.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s, ok := k.finishRotation(wantID); ok {
			return s, nil
		}
		if wantID != "" {
			return nil, apperr.New(apperr.Env, "key file %s is missing; it holds the key to the TOTP secrets in this database (restore it from your backup)", k.Path)
		}
		if !create {
			return nil, apperr.New(apperr.Env, "key file %s is missing", k.Path)
		}
		return k.create()
	case errors.Is(err, fs.ErrPermission):
		return nil, apperr.New(apperr.Env, "cannot read key file %s: permission denied", k.Path)
	case err != nil:
		// ReadKeyFile's messages name the key file and what to do.
		return nil, apperr.New(apperr.Env, "%w", err)
	}
	s, err := secret.NewSealer(key, k.Rand)
	if err != nil {
		return nil, apperr.Wrap(apperr.Env, err, "key file "+k.Path)
	}
	if wantID != "" && s.ID() != wantID {
		if s, ok := k.finishRotation(wantID); ok {
			return s, nil
		}
		return nil, apperr.New(apperr.Env, "key file %s does not match this database (key %s, database needs %s); restore the right key file", k.Path, s.ID(), wantID)
	}
	return s, nil
}

// finishRotation completes a key rotation that committed to the database
// but crashed before the new key file replaced the old one.
func (k *Keyring) finishRotation(wantID string) (*secret.Sealer, bool) {
	if wantID == "" {
		return nil, false
	}
	key, err := secret.ReadKeyFile(k.pendingPath())
	if err != nil {
		return nil, false
	}
	s, err := secret.NewSealer(key, k.Rand)
	if err != nil || s.ID() != wantID {
		return nil, false
	}
	_ = os.Rename(k.pendingPath(), k.Path)
	return s, true
}

func (k *Keyring) create() (*secret.Sealer, error) {
	key, err := secret.NewKey(k.Rand)
	if err != nil {
		return nil, err
	}
	err = secret.WriteKeyFile(k.Path, key, false)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		return k.Open("", false)
	}
	if err != nil {
		return nil, apperr.Wrap(apperr.Env, err, "creating key file")
	}
	return secret.NewSealer(key, k.Rand)
}

// stage writes a new key next to the current one for a rotation.
func (k *Keyring) stage(key []byte) error {
	if err := secret.WriteKeyFile(k.pendingPath(), key, true); err != nil {
		return apperr.Wrap(apperr.Env, err, "writing new key file")
	}
	return nil
}

// promote makes the staged key the current one.
func (k *Keyring) promote() error {
	if err := os.Rename(k.pendingPath(), k.Path); err != nil {
		return apperr.Wrap(apperr.Env, err, "installing new key file")
	}
	return nil
}
