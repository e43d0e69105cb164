package account

import (
	"unicode"
	"unicode/utf8"

	"github.com/authctl/authctl/internal/apperr"
)

// MaxNameBytes bounds a user name.
const MaxNameBytes = 64

// CheckName reports why name cannot be a user name, or nil.
func CheckName(name string) error {
	switch {
	case name == "":
		return apperr.New(apperr.Invalid, "user name is empty")
	case len(name) > MaxNameBytes:
		return apperr.New(apperr.Invalid, "user name is longer than %d bytes", MaxNameBytes)
	case !utf8.ValidString(name):
		return apperr.New(apperr.Invalid, "user name is not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return apperr.New(apperr.Invalid, "user name contains a control character")
		}
		if unicode.IsSpace(r) {
			return apperr.New(apperr.Invalid, "user name contains whitespace")
		}
		if !unicode.IsPrint(r) {
			return apperr.New(apperr.Invalid, "user name contains a non-printable character")
		}
	}
	return nil
}
