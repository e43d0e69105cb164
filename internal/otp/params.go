package otp

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Params are the TOTP parameters of one secret. Secrets authctl draws use the
// defaults (the zero value); secrets imported from other systems may use
// other digits, periods or hashes, which many apps support too.
type Params struct {
	Digits    int    // 6 or 8; 0 means 6
	Period    int    // seconds; 0 means 30
	Algorithm string // "SHA1", "SHA256" or "SHA512"; "" means SHA1
}

// Supported periods, in seconds.
const (
	MinPeriod = 10
	MaxPeriod = 300
)

// Norm returns p with the defaults filled in.
func (p Params) Norm() Params {
	if p.Digits == 0 {
		p.Digits = Digits
	}
	if p.Period == 0 {
		p.Period = Period
	}
	if p.Algorithm == "" {
		p.Algorithm = "SHA1"
	}
	return p
}

// Validate reports why authctl cannot use p.
func (p Params) Validate() error {
	p = p.Norm()
	switch {
	case p.Digits != 6 && p.Digits != 8:
		return fmt.Errorf("codes of %d digits are not supported (6 or 8)", p.Digits)
	case p.Period < MinPeriod || p.Period > MaxPeriod:
		return fmt.Errorf("a period of %d s is not supported (%d to %d s)", p.Period, MinPeriod, MaxPeriod)
	}
	if _, err := p.alg(); err != nil {
		return err
	}
	return nil
}

func (p Params) alg() (potp.Algorithm, error) {
	switch strings.ToUpper(p.Norm().Algorithm) {
	case "SHA1":
		return potp.AlgorithmSHA1, nil
	case "SHA256":
		return potp.AlgorithmSHA256, nil
	case "SHA512":
		return potp.AlgorithmSHA512, nil
	}
	return 0, fmt.Errorf("algorithm %q is not supported (SHA1, SHA256 or SHA512)", p.Algorithm)
}

// StepOf returns the time step of t.
func (p Params) StepOf(t time.Time) int64 { return t.Unix() / int64(p.Norm().Period) }

// Code returns the code of secret for time step.
func (p Params) Code(secret string, step int64) (string, error) {
	p = p.Norm()
	alg, err := p.alg()
	if err != nil {
		return "", err
	}
	return totp.GenerateCodeCustom(secret, time.Unix(step*int64(p.Period), 0), totp.ValidateOpts{
		Period: uint(p.Period), Digits: potp.Digits(p.Digits), Algorithm: alg,
	})
}

// Verify looks for code among the steps around now, shifted by offset (a
// device whose clock is off, measured by a resync), ±Skew, that come after
// lastStep. It returns the matching step. A code of an already used step is
// ErrReplay with that step (the newest such); no match is ErrWrongCode.
func (p Params) Verify(secret, code string, now time.Time, offset, lastStep int64) (int64, error) {
	cur := p.StepOf(now) + offset
	replay, found := int64(-1), int64(-1)
	for s := cur - Skew; s <= cur+Skew; s++ {
		want, err := p.Code(secret, s)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if s <= lastStep {
				replay = s
				continue
			}
			if found < 0 {
				found = s
			}
		}
	}
	switch {
	case found >= 0:
		return found, nil
	case replay >= 0:
		return replay, ErrReplay
	}
	return 0, ErrWrongCode
}

// Drift looks for code in a wide window of ±radius steps around now and
// returns how many steps from now (not counting an offset) it was found at:
// how far off the device's clock is. Only for the message after a wrong
// code, never to accept one.
func (p Params) Drift(secret, code string, now time.Time, radius int64) (int64, bool) {
	cur := p.StepOf(now)
	for d := int64(0); d <= radius; d++ {
		for _, s := range []int64{cur + d, cur - d} {
			want, err := p.Code(secret, s)
			if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
				return s - cur, true
			}
		}
	}
	return 0, false
}

// Resync finds two consecutive codes c1, c2 within ±radius steps of now and
// returns the step of c2.
func (p Params) Resync(secret, c1, c2 string, now time.Time, radius int64) (int64, bool) {
	cur := p.StepOf(now)
	for s := cur - radius; s <= cur+radius; s++ {
		a, err := p.Code(secret, s)
		if err != nil || subtle.ConstantTimeCompare([]byte(a), []byte(c1)) != 1 {
			continue
		}
		if b, err := p.Code(secret, s+1); err == nil && subtle.ConstantTimeCompare([]byte(b), []byte(c2)) == 1 {
			return s + 1, true
		}
	}
	return 0, false
}

// CodeScratch is an 8-digit scratch code imported from
// google-authenticator-libpam, kept as a backup code.
const CodeScratch CodeKind = CodeBackup + 1

// ScratchDigits is the length of google-authenticator-libpam's scratch codes.
const ScratchDigits = 8

// ParseFor reads a code as typed by a user whose TOTP codes have digits
// digits and who may hold scratch codes: spaces are dropped, then a code of
// digits digits is a TOTP code, one of 8 digits a scratch code (when the
// user has some), and anything else must be a backup code. When the TOTP
// codes have 8 digits too, the kind is CodeTOTP and the caller also tries it
// as a scratch code.
func ParseFor(s string, digits int, scratch bool) (string, CodeKind, error) {
	if digits == 0 {
		digits = Digits
	}
	c := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if allDigits(c) {
		switch {
		case len(c) == digits:
			return c, CodeTOTP, nil
		case scratch && len(c) == ScratchDigits:
			return c, CodeScratch, nil
		}
		return "", 0, fmt.Errorf("a code has %d digits", digits)
	}
	if b, err := ParseBackup(s); err == nil {
		return b, CodeBackup, nil
	}
	return "", 0, ErrCodeFormat
}

// ParseLoose checks that s could be a code for some user (6 or 8 digits, or
// a backup code), before the user is known.
func ParseLoose(s string) error {
	if _, _, err := ParseFor(s, 6, true); err == nil {
		return nil
	}
	_, _, err := ParseFor(s, 8, false)
	return err
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
