package migrate

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// Secret strengths, in bits. RFC 4226 §4 requires 128 and recommends 160
// (what authctl draws); older google-authenticator versions wrote 80.
const (
	RecommendedBits = 128
	MinBits         = 80
	// FloorBits holds even with allowShort: a shorter secret is guessed
	// from a couple of observed codes.
	FloorBits = 40
	// MaxBits is far above any authenticator's secret (SHA512's block is
	// 1024 bits).
	MaxBits = 1024
)

// ErrShortSecret means a secret has fewer than MinBits bits.
var ErrShortSecret = errors.New("secret too short")

// shortError says how short a secret is and unwraps to ErrShortSecret.
type shortError int

func (e shortError) Error() string {
	return fmt.Sprintf("the secret is only %d bits; authctl refuses fewer than %d", int(e), MinBits)
}

func (e shortError) Unwrap() error { return ErrShortSecret }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NormalizeSecret checks a base32 secret as people and programs write it
// (any case, spaces, "=" padding) and returns it in upper case without
// spaces or padding. A secret under MinBits is refused (an error wrapping
// ErrShortSecret) unless allowShort, and one under RecommendedBits gets a
// warning. Messages never hold the secret.
func NormalizeSecret(s string, allowShort bool) (string, []string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	clean := strings.TrimRight(b.String(), "=")
	if clean == "" {
		return "", nil, errors.New("the secret is empty")
	}
	for i := 0; i < len(clean); i++ {
		if c := clean[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return "", nil, fmt.Errorf("the secret is not base32: character %d is not a letter or a digit 2 to 7", i+1)
		}
	}
	if len(clean) > MaxBits/5+1 {
		return "", nil, fmt.Errorf("the secret is longer than %d bits", MaxBits)
	}
	// 1, 3 or 6 characters past a multiple of 8 are not a whole number of
	// bytes (encoding/base32 lets some of these through).
	raw, err := b32.DecodeString(clean)
	if r := len(clean) % 8; err != nil || r == 1 || r == 3 || r == 6 {
		return "", nil, fmt.Errorf("the secret is not base32: %d characters are not a whole number of bytes (cut short?)", len(clean))
	}
	bits := 8 * len(raw)
	switch {
	case bits > MaxBits:
		return "", nil, fmt.Errorf("the secret is longer than %d bits", MaxBits)
	case bits < FloorBits:
		return "", nil, fmt.Errorf("the secret is only %d bits; authctl never accepts fewer than %d", bits, FloorBits)
	case bits < MinBits && !allowShort:
		return "", nil, shortError(bits)
	}
	var warns []string
	if bits < RecommendedBits {
		warns = append(warns, fmt.Sprintf("the secret is only %d bits, below the %d recommended (RFC 4226); enroll the user again when you can", bits, RecommendedBits))
	}
	return b32.EncodeToString(raw), warns, nil
}
