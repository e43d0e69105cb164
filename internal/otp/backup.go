package otp

import (
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"strings"
)

// Backup codes: 10 symbols from a 32-letter alphabet (50 bits), shown as
// xxxxx-xxxxx. The alphabet drops 0/o and 1/l, which are misread aloud.
const (
	BackupAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	BackupLen      = 10
	BackupCount    = 8
)

// NewBackupCodes draws n codes from r, in their normalised form (no dash).
func NewBackupCodes(r io.Reader, n int) ([]string, error) {
	if r == nil {
		r = rand.Reader
	}
	max := big.NewInt(int64(len(BackupAlphabet)))
	codes := make([]string, 0, n)
	seen := map[string]bool{}
	for len(codes) < n {
		b := make([]byte, BackupLen)
		for i := range b {
			v, err := rand.Int(r, max)
			if err != nil {
				return nil, err
			}
			b[i] = BackupAlphabet[v.Int64()]
		}
		if c := string(b); !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	return codes, nil
}

// FormatBackup shows a normalised code as xxxxx-xxxxx.
func FormatBackup(c string) string {
	if len(c) != BackupLen {
		return c
	}
	return c[:5] + "-" + c[5:]
}

// ErrBackupFormat means the input cannot be a backup code.
var ErrBackupFormat = errors.New("a backup code has 10 letters and digits, like abcde-fghjk")

// ParseBackup normalises a backup code as typed: surrounding space, dashes
// and inner spaces are dropped and case is folded.
func ParseBackup(s string) (string, error) {
	c := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, s)
	if len(c) != BackupLen {
		return "", ErrBackupFormat
	}
	for i := 0; i < len(c); i++ {
		if strings.IndexByte(BackupAlphabet, c[i]) < 0 {
			return "", ErrBackupFormat
		}
	}
	return c, nil
}

// Kind of a one-time code typed at login.
type CodeKind int

const (
	CodeTOTP CodeKind = iota + 1
	CodeBackup
)

// ErrCodeFormat means the input is neither a TOTP code nor a backup code.
var ErrCodeFormat = errors.New("expected a 6-digit code or a backup code like abcde-fghjk")

// ParseAny accepts either a 6-digit TOTP code or a backup code.
func ParseAny(s string) (string, CodeKind, error) {
	if c, err := ParseCode(s); err == nil {
		return c, CodeTOTP, nil
	}
	if c, err := ParseBackup(s); err == nil {
		return c, CodeBackup, nil
	}
	return "", 0, ErrCodeFormat
}
