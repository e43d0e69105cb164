// Package otp implements authctl's one-time codes: TOTP secrets, otpauth URIs
// and code checks with skew and replay protection (RFC 6238 over
// github.com/pquerna/otp), and the format of backup codes.
package otp

import (
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Defaults every authenticator app understands (RFC 6238; docs/security.md,
// One-time codes).
const (
	SecretSize = 20 // bytes, 160 bits
	Digits     = 6
	Period     = 30 // seconds
	Skew       = 1  // steps either side
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Key is a freshly generated TOTP secret and its otpauth URI.
type Key struct {
	Secret string // base32, no padding
	URI    string
}

// NewKey draws a 160-bit secret from r and builds the otpauth URI.
func NewKey(r io.Reader, issuer, account string) (Key, error) {
	raw := make([]byte, SecretSize)
	if _, err := io.ReadFull(r, raw); err != nil {
		return Key{}, fmt.Errorf("reading random secret: %w", err)
	}
	return KeyFor(b32.EncodeToString(raw), issuer, account)
}

// KeyFor builds the Key of an existing base32 secret: the otpauth URI with
// the label issuer:account and every parameter, in the strict RFC 3986
// encoding of formatURI.
func KeyFor(secret, issuer, account string) (Key, error) {
	raw, err := b32.DecodeString(secret)
	if err != nil {
		return Key{}, fmt.Errorf("bad secret: %w", err)
	}
	switch {
	case issuer == "":
		return Key{}, errors.New("an otpauth URI needs an issuer")
	case account == "":
		return Key{}, errors.New("an otpauth URI needs an account name")
	}
	secret = b32.EncodeToString(raw)
	return Key{Secret: secret, URI: formatURI("totp", issuer, account, totpParams(secret, issuer, true))}, nil
}

// GroupSecret writes a secret in groups of four for manual entry.
func GroupSecret(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// Step returns the RFC 6238 time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// CodeAt returns the code of secret for time step.
func CodeAt(secret string, step int64, digits int, alg potp.Algorithm) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*Period, 0), totp.ValidateOpts{
		Period: Period, Digits: potp.Digits(digits), Algorithm: alg,
	})
}

// ErrReplay means the code was right but its time step was already used.
var ErrReplay = errors.New("code already used")

// Check looks for code among the steps around now (±Skew) that come after
// lastStep. It returns the matching step. A code of an already used step is
// ErrReplay, returned with that step (the newest such), so a caller can tell
// a double submit of the last accepted code from an older one; no match is
// ErrWrongCode.
func Check(secret, code string, now time.Time, lastStep int64) (step int64, err error) {
	return Params{}.Verify(secret, code, now, 0, lastStep)
}

// ErrWrongCode means the code matches none of the accepted steps.
var ErrWrongCode = errors.New("wrong code")

// ParseCode normalises a TOTP code as typed: spaces are dropped ("123 456"),
// and exactly six ASCII digits must remain.
func ParseCode(s string) (string, error) {
	c := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(c) != Digits {
		return "", fmt.Errorf("a code has %d digits", Digits)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return "", fmt.Errorf("a code has %d digits", Digits)
		}
	}
	return c, nil
}
