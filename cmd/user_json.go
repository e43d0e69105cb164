package cmd

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/authctl/authctl/internal/account"
)

// appendUserJSON appends the line newJSONEncoder writes for v, byte for
// byte, without reflection: user list -o json writes a million of them. It
// reports false where encoding/json fails (a time outside the years
// 0-9999), so that the caller lets encoding/json say why.
// TestAppendUserJSON and FuzzAppendUserJSON hold it to encoding/json.
func appendUserJSON(b []byte, v account.UserView) ([]byte, bool) {
	ok := true
	b = append(b, `{"name":`...)
	b = appendJSONString(b, v.Name)
	b = append(b, `,"two_factor":`...)
	b = strconv.AppendBool(b, v.TwoFactor)
	b = append(b, `,"two_factor_enabled_at":`...)
	b = appendJSONTimeRef(b, v.TwoFactorSince, &ok)
	b = append(b, `,"backup_codes_left":`...)
	b = strconv.AppendInt(b, int64(v.BackupCodesLeft), 10)
	b = append(b, `,"pending_enrollment":`...)
	b = strconv.AppendBool(b, v.PendingEnrollment)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, v.Locked)
	b = append(b, `,"locked_until":`...)
	b = appendJSONTimeRef(b, v.LockedUntil, &ok)
	b = append(b, `,"failed_attempts":`...)
	b = strconv.AppendInt(b, int64(v.Failures), 10)
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, v.CreatedAt, &ok)
	b = append(b, `,"password_changed_at":`...)
	b = appendJSONTime(b, v.PasswordChangedAt, &ok)
	b = append(b, `,"last_login_at":`...)
	b = appendJSONTimeRef(b, v.LastLoginAt, &ok)
	b = append(b, "}\n"...)
	return b, ok
}

func appendJSONTimeRef(b []byte, t *time.Time, ok *bool) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, *t, ok)
}

// appendJSONTime is time.Time's MarshalJSON: RFC 3339 with nanoseconds,
// quoted.
func appendJSONTime(b []byte, t time.Time, ok *bool) []byte {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		*ok = false
		return b
	}
	return append(b, '"')
}

// appendJSONString quotes s as encoding/json does without HTML escaping:
// quote, backslash and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
