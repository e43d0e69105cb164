package account

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"

	"github.com/authctl/authctl/internal/apperr"
)

// MaxNameBytes bounds a user name (in its normalised form) and an issuer.
const MaxNameBytes = 64

// maxRawBytes bounds the input handed to PRECIS. Normalisation can shrink a
// name (fullwidth letters fold to ASCII, decomposed letters compose), so the
// raw input may be somewhat longer than MaxNameBytes, but never this long.
const maxRawBytes = 16 * MaxNameBytes

// NormalizeName returns the form under which name is stored: PRECIS
// UsernameCasePreserved (RFC 8265), so that one name typed composed ("é")
// or decomposed ("e" + U+0301), or in fullwidth letters, is one user. It
// refuses what PRECIS refuses and, explicitly, every control, white-space,
// invisible, zero-width, bidi-control and default-ignorable character, so
// that no two users look alike on screen and no name hides text. Errors are
// Invalid and never echo the name.
func NormalizeName(name string) (string, error) {
	const what = "user name"
	switch {
	case name == "":
		return "", apperr.New(apperr.Invalid, "user name is empty")
	case len(name) > maxRawBytes:
		return "", apperr.New(apperr.Invalid, "user name is longer than %d bytes", MaxNameBytes)
	}
	if err := checkRunes(what, name, true); err != nil {
		return "", err
	}
	n, err := precis.UsernameCasePreserved.String(name)
	if err != nil {
		return "", precisErr(what, err)
	}
	switch {
	case n == "":
		return "", apperr.New(apperr.Invalid, "user name is empty")
	case len(n) > MaxNameBytes:
		return "", apperr.New(apperr.Invalid, "user name is longer than %d bytes", MaxNameBytes)
	}
	// Mapping cannot bring in a character refused above; check anyway, as
	// this check is the one the security of the rule rests on.
	if err := checkRunes(what, n, true); err != nil {
		return "", err
	}
	return n, nil
}

// CheckName reports why name cannot be a user name, or nil. A name it
// accepts may still differ from its stored form: see NormalizeName.
func CheckName(name string) error {
	_, err := NormalizeName(name)
	return err
}

// IsLegacyName reports whether name was a valid user name under the rules
// of authctl before PRECIS (1 to 64 bytes of printable UTF-8 without white
// space) but is refused or changed by NormalizeName. A user stored under
// such a name stays readable, and an admin can rename or delete it, but no
// new user gets such a name.
func IsLegacyName(name string) bool {
	if checkLegacyName(name) != nil {
		return false
	}
	n, err := NormalizeName(name)
	return err != nil || n != name
}

// checkLegacyName is the rule user names followed before PRECIS.
func checkLegacyName(name string) error {
	switch {
	case name == "":
		return apperr.New(apperr.Invalid, "user name is empty")
	case len(name) > MaxNameBytes:
		return apperr.New(apperr.Invalid, "user name is longer than %d bytes", MaxNameBytes)
	case !utf8.ValidString(name):
		return apperr.New(apperr.Invalid, "user name is not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return apperr.New(apperr.Invalid, "user name contains a control, white-space or non-printable character")
		}
	}
	return nil
}

// NormalizeIssuer returns the issuer as authenticator apps will show it:
// PRECIS Nickname (RFC 8266), which maps other spaces to U+0020, trims and
// collapses them and applies NFKC. It refuses control, invisible and
// bidi-control characters, a colon (the otpauth label's separator between
// issuer and account), an empty issuer and one longer than 64 bytes.
func NormalizeIssuer(s string) (string, error) {
	const what = "issuer"
	switch {
	case strings.TrimSpace(s) == "":
		return "", apperr.New(apperr.Invalid, "issuer is empty")
	case len(s) > maxRawBytes:
		return "", apperr.New(apperr.Invalid, "issuer is longer than %d bytes", MaxNameBytes)
	}
	if err := checkRunes(what, s, false); err != nil {
		return "", err
	}
	n, err := precis.Nickname.String(s)
	if err != nil {
		return "", precisErr(what, err)
	}
	switch {
	case n == "":
		return "", apperr.New(apperr.Invalid, "issuer is empty")
	case len(n) > MaxNameBytes:
		return "", apperr.New(apperr.Invalid, "issuer is longer than %d bytes", MaxNameBytes)
	case strings.ContainsRune(n, ':'):
		// Also a fullwidth or small colon, which NFKC maps to ':'.
		return "", apperr.New(apperr.Invalid, "invalid issuer %s: it may not contain a colon, which separates issuer and account in authenticator apps", quoteShort(s))
	}
	if err := checkRunes(what, n, false); err != nil {
		return "", err
	}
	return n, nil
}

// CheckIssuer reports why s cannot be an issuer, or nil.
func CheckIssuer(s string) error {
	_, err := NormalizeIssuer(s)
	return err
}

// checkRunes refuses invalid UTF-8, controls, invisible characters and,
// when noSpace, white space, in a message that does not echo s.
func checkRunes(what, s string, noSpace bool) error {
	if !utf8.ValidString(s) {
		return apperr.New(apperr.Invalid, "%s is not valid UTF-8", what)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return apperr.New(apperr.Invalid, "%s contains a control character", what)
		case invisible(r):
			return apperr.New(apperr.Invalid, "%s contains an invisible or bidi-control character", what)
		case noSpace && unicode.IsSpace(r):
			return apperr.New(apperr.Invalid, "%s contains whitespace", what)
		}
	}
	return nil
}

// invisible reports characters that render as nothing or reorder text:
// format characters (zero-width spaces and joiners, bidi marks, embeddings,
// overrides and isolates, the soft hyphen, tags), variation selectors and
// the other default-ignorable code points such as the Hangul fillers.
// PRECIS refuses most of them by itself, but lets a zero-width joiner or
// non-joiner through after a virama; authctl refuses them all.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// precisErr explains a PRECIS refusal in one line, without the input.
func precisErr(what string, err error) error {
	reason := "it holds a character that is not allowed here (such as a symbol, a compatibility form, or an unassigned or private-use character)"
	switch {
	case errors.Is(err, bidirule.ErrInvalid):
		reason = "it mixes right-to-left and left-to-right text in a way that can display misleadingly"
	case strings.Contains(err.Error(), "context"):
		reason = "a joiner, mark or punctuation character is used outside the script context it needs"
	case strings.Contains(err.Error(), "empty"):
		return apperr.New(apperr.Invalid, "%s is empty", what)
	}
	return apperr.New(apperr.Invalid, "%s is not allowed: %s", what, reason)
}

// quoteShort quotes s for a message when it is short, and otherwise says
// only how long it is.
func quoteShort(s string) string {
	if len(s) > MaxNameBytes {
		return "(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}
