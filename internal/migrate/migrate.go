// Package migrate reads the TOTP secrets that users' phones already hold,
// as other systems keep them: google-authenticator-libpam's
// ~/.google_authenticator, otpauth:// URIs (app exports, QR codes) and PSKC
// key containers (RFC 6030; FreeIPA, token vendors). A user brought in with
// one keeps the same authenticator entry: no re-enrollment.
//
// The package only parses and validates; storing, sealing and auditing are
// the account service's.
package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Formats.
const (
	GoogleAuthenticator = "google-authenticator"
	Otpauth             = "otpauth"
	PSKC                = "pskc"
)

// Formats lists the formats Parse reads.
var Formats = []string{GoogleAuthenticator, Otpauth, PSKC}

// MaxFile bounds the input of Parse. A google-authenticator file is under
// 1 KiB and an otpauth URI a line; 1 MiB holds a PSKC file of thousands of
// keys.
const MaxFile = 1 << 20

// Algorithms authctl computes codes with.
const (
	SHA1   = "SHA1"
	SHA256 = "SHA256"
	SHA512 = "SHA512"
)

// Limits on the parameters of an imported key.
const (
	MinPeriod = 10  // seconds
	MaxPeriod = 300 // seconds
	// MaxScratch is the most scratch codes google-authenticator writes.
	MaxScratch = 10
)

// Token is one TOTP key read from a file, with what the file says about it.
type Token struct {
	Secret    string   // base32, upper case, no padding
	Digits    int      // 6 or 8
	Period    int      // seconds, MinPeriod..MaxPeriod
	Algorithm string   // SHA1, SHA256 or SHA512
	Scratch   []string // 8-digit scratch codes, in file order (google-authenticator)
	Issuer    string   // as the file names it, if it does
	Account   string   // as the file names it, if it does
	Serial    string   // the device's serial number (PSKC)
	Format    string   // the format it was read from
	// Drift is how many time steps the device's clock is off, when the file
	// says (PSKC TimeDrift); it becomes the user's clock offset.
	Drift int
}

// ErrTooLarge means the input is over MaxFile.
var ErrTooLarge = errors.New("the file is larger than 1 MiB")

// SerialError means a PSKC file holds several keys and none was picked, or
// none has the serial number asked for.
type SerialError struct {
	Want    string   // the serial asked for; "" when none was
	Serials []string // the serial numbers in the file, in file order
	Count   int      // the number of keys in the file
}

func (e *SerialError) Error() string {
	list := e.list()
	if e.Want == "" {
		return fmt.Sprintf("the PSKC file holds %d keys%s; pick one by its serial number", e.Count, list)
	}
	return fmt.Sprintf("no key in the PSKC file has serial number %q%s", e.Want, list)
}

// list names up to 10 serial numbers; they identify devices, not secrets.
func (e *SerialError) list() string {
	if len(e.Serials) == 0 {
		return " (none with a serial number)"
	}
	shown := e.Serials[:min(len(e.Serials), 10)]
	q := make([]string, len(shown))
	for i, s := range shown {
		q[i] = fmt.Sprintf("%q", s)
	}
	more := ""
	if len(e.Serials) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(e.Serials)-len(shown))
	}
	return fmt.Sprintf(" (serial numbers %s%s)", strings.Join(q, ", "), more)
}

// Detect tells the format of a file from its first bytes.
func Detect(head []byte) (string, error) {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n")
	lower := bytes.ToLower(t[:min(len(t), 32)])
	switch {
	case bytes.HasPrefix(lower, []byte("otpauth-migration:")):
		return "", errMigrationURI
	case bytes.HasPrefix(lower, []byte("otpauth:")):
		return Otpauth, nil
	case bytes.HasPrefix(t, []byte("<")):
		return PSKC, nil
	}
	line, _, _ := bytes.Cut(t, []byte("\n"))
	if looksBase32(string(bytes.TrimRight(line, " \t\r"))) {
		return GoogleAuthenticator, nil
	}
	return "", errors.New("cannot tell the file's format (google-authenticator, otpauth or pskc)")
}

// looksBase32 reports whether a line could be a base32 secret of 40 bits or
// more, as the first line of a google-authenticator file.
func looksBase32(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '2' <= c && c <= '7':
			n++
		case c == ' ' || c == '=':
		default:
			return false
		}
	}
	return n >= 8
}

// Parse reads the one TOTP key of data in format. serial picks a key of a
// PSKC file that holds several; other formats refuse one. The secret is
// checked with NormalizeSecret(secret, allowShort). Warnings are about what
// authctl cannot keep (a wider code window, a time drift) or a weak secret;
// they never hold the secret.
func Parse(data []byte, format, serial string, allowShort bool) (Token, []string, error) {
	if len(data) > MaxFile {
		return Token{}, nil, ErrTooLarge
	}
	if serial != "" && format != PSKC {
		return Token{}, nil, fmt.Errorf("a serial number picks a key of a PSKC file; %s files hold one key", format)
	}
	var (
		t     Token
		warns []string
		err   error
	)
	switch format {
	case GoogleAuthenticator:
		t, warns, err = parseGoogleAuthenticator(data)
	case Otpauth:
		t, warns, err = parseOtpauth(data)
	case PSKC:
		t, warns, err = parsePSKC(data, serial)
	default:
		return Token{}, nil, fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return Token{}, nil, err
	}
	secret, w, err := NormalizeSecret(t.Secret, allowShort)
	if err != nil {
		return Token{}, nil, err
	}
	t.Secret = secret
	t.Format = format
	return t, append(warns, w...), nil
}

// checkParams refuses parameters authctl cannot compute codes with.
func checkParams(digits, period int, alg string) error {
	if digits != 6 && digits != 8 {
		return fmt.Errorf("codes of %d digits are not supported (6 or 8)", digits)
	}
	if period < MinPeriod || period > MaxPeriod {
		return fmt.Errorf("a time step of %d seconds is not supported (%d to %d)", period, MinPeriod, MaxPeriod)
	}
	switch alg {
	case SHA1, SHA256, SHA512:
		return nil
	}
	return fmt.Errorf("algorithm %q is not supported (SHA1, SHA256 or SHA512)", clip(alg))
}

// clip shortens a value from a file for a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
