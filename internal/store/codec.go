package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/authctl/authctl/internal/apperr"
)

// Magic marks a database as authctl's, in the bbolt meta bucket and in
// PostgreSQL's authctl_meta table alike.
const Magic = "authctl"

// NoDatabase is the Env error for a store that holds no authctl data yet
// (a missing or empty file, a PostgreSQL database without authctl's
// tables), which only a write that may create it creates. It wraps
// ErrNoDatabase.
func NoDatabase(format string, args ...any) error {
	return noDatabase(format, args...)
}

// EncodeUser is the stored form of a user record, the same in every
// backend (JSON; the field names are part of the schema). Secrets in it are
// already sealed by the domain.
func EncodeUser(u *User) ([]byte, error) { return json.Marshal(u) }

// DecodeUser reads a stored user record.
func DecodeUser(v []byte) (*User, error) {
	if u, ok := decodeUserFast(v); ok {
		return u, nil
	}
	u := new(User)
	if err := json.Unmarshal(v, u); err != nil {
		return nil, apperr.New(apperr.Env, "corrupt user record: %v", err)
	}
	return u, nil
}

// EncodeAudit is the stored form of an audit entry.
func EncodeAudit(e AuditEntry) ([]byte, error) { return json.Marshal(e) }

// DecodeAudit reads a stored audit entry.
func DecodeAudit(v []byte) (AuditEntry, error) {
	var e AuditEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return e, apperr.New(apperr.Env, "corrupt audit entry: %v", err)
	}
	return e, nil
}

// CheckUser checks one stored user record, stored under key: it decodes,
// names its key, has a password hash and a consistent 2fa state. inspect,
// if not nil, is called with a record that decodes, for the domain's own
// checks. Every backend's Check runs it on every record.
func CheckUser(key string, v []byte, inspect func(*User) []error) []error {
	var errs []error
	u, err := DecodeUser(v)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("user %q: %v", key, err))
	case u.Name != key:
		errs = append(errs, fmt.Errorf("user %q: record names %q", key, u.Name))
	case u.PasswordHash == "":
		errs = append(errs, fmt.Errorf("user %q: no password hash", key))
	case u.TOTP != nil && (len(u.TOTP.Secret) == 0 || u.Backup == nil):
		errs = append(errs, fmt.Errorf("user %q: 2fa on without a secret or backup codes", key))
	}
	if err == nil && inspect != nil {
		errs = append(errs, inspect(u)...)
	}
	return errs
}

// errMalformedAudit is what CheckAudit reports for an entry that does not
// decode; callers name the entry.
var errMalformedAudit = errors.New("malformed")

// CheckAudit checks one stored audit entry.
func CheckAudit(v []byte) (AuditEntry, error) {
	e, err := DecodeAudit(v)
	if err != nil {
		return e, errMalformedAudit
	}
	return e, nil
}
