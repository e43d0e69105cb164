package store

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeUserFast decodes a record in the form EncodeUser writes, without
// reflection: a listing of a million users spends most of its time here.
// It accepts JSON that differs from that form only in whitespace and field
// order, and reports false for anything else (an escape in a string, an
// unknown or repeated key, a null where EncodeUser writes none, a number
// out of range or with a fraction, a damaged record). DecodeUser then hands
// the record to encoding/json, which stays the reference: whatever this
// accepts, encoding/json decodes to the same User (FuzzDecodeUserFast).
func decodeUserFast(v []byte) (*User, bool) {
	s := scanner{b: v}
	u := new(User)
	var seen uint16
	ok := s.object(func(key []byte) bool {
		var bit uint16
		ok := false
		switch string(key) {
		case "name":
			bit = 1 << 0
			u.Name, ok = s.string()
		case "password_hash":
			bit = 1 << 1
			u.PasswordHash, ok = s.string()
		case "created_at":
			bit = 1 << 2
			ok = s.time(&u.CreatedAt)
		case "password_changed_at":
			bit = 1 << 3
			ok = s.time(&u.PasswordAt)
		case "last_login_at":
			bit = 1 << 4
			ok = s.time(&u.LastLoginAt)
		case "totp":
			bit = 1 << 5
			u.TOTP, ok = s.totp()
		case "pending":
			bit = 1 << 6
			u.Pending, ok = s.pending()
		case "backup":
			bit = 1 << 7
			u.Backup, ok = s.backup()
		case "last_step":
			bit = 1 << 8
			u.LastStep, ok = s.int64()
		case "failures":
			bit = 1 << 9
			u.Failures, ok = s.int()
		case "locked_until":
			bit = 1 << 10
			ok = s.time(&u.LockedUntil)
		case "rev":
			bit = 1 << 11
			u.Rev, ok = s.uint(1<<64 - 1)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return u, ok && s.end()
}

func (s *scanner) totp() (*TOTP, bool) {
	if s.null() {
		return nil, true
	}
	t := new(TOTP)
	var seen uint8
	ok := s.object(func(key []byte) bool {
		var bit uint8
		ok := false
		switch string(key) {
		case "secret":
			bit = 1 << 0
			t.Secret, ok = s.bytes()
		case "enabled_at":
			bit = 1 << 1
			ok = s.time(&t.EnabledAt)
		case "digits":
			bit = 1 << 2
			t.Digits, ok = s.int()
		case "period":
			bit = 1 << 3
			t.Period, ok = s.int()
		case "algorithm":
			bit = 1 << 4
			t.Algorithm, ok = s.string()
		case "offset":
			bit = 1 << 5
			t.Offset, ok = s.int64()
		case "source":
			bit = 1 << 6
			t.Source, ok = s.string()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return t, ok
}

func (s *scanner) pending() (*Pending, bool) {
	if s.null() {
		return nil, true
	}
	p := new(Pending)
	var seen uint8
	ok := s.object(func(key []byte) bool {
		var bit uint8
		ok := false
		switch string(key) {
		case "secret":
			bit = 1 << 0
			p.Secret, ok = s.bytes()
		case "created_at":
			bit = 1 << 1
			ok = s.time(&p.CreatedAt)
		case "expires_at":
			bit = 1 << 2
			ok = s.time(&p.ExpiresAt)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return p, ok
}

func (s *scanner) backup() (*BackupSet, bool) {
	if s.null() {
		return nil, true
	}
	b := new(BackupSet)
	var seen uint8
	ok := s.object(func(key []byte) bool {
		var bit uint8
		ok := false
		var n uint64
		switch string(key) {
		case "salt":
			bit = 1 << 0
			b.Salt, ok = s.bytes()
		case "m":
			bit = 1 << 1
			n, ok = s.uint(1<<32 - 1)
			b.Memory = uint32(n)
		case "t":
			bit = 1 << 2
			n, ok = s.uint(1<<32 - 1)
			b.Time = uint32(n)
		case "p":
			bit = 1 << 3
			n, ok = s.uint(1<<8 - 1)
			b.Threads = uint8(n)
		case "hashes":
			bit = 1 << 4
			b.Hashes, ok = s.byteList()
		case "generated_at":
			bit = 1 << 5
			ok = s.time(&b.GeneratedAt)
		case "last_used":
			bit = 1 << 6
			b.LastUsed, ok = s.bytes()
		case "kind":
			bit = 1 << 7
			b.Kind, ok = s.string()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return b, ok
}

// scanner reads the subset of JSON that decodeUserFast accepts. Every
// method reports false where the input leaves that subset.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after any whitespace.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

func (s *scanner) null() bool {
	s.space()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// object reads an object, calling field with each key to read its value.
// A key that field does not know ends the fast path, so that encoding/json
// decides about unknown keys and keys in another case.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		key, ok := s.raw()
		if !ok || !s.next(':') || !field(key) {
			return false
		}
		if !s.next(',') {
			return s.next('}')
		}
	}
}

// raw returns the content of a string without escapes or control
// characters, in valid UTF-8: then it is the string itself.
func (s *scanner) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (s *scanner) string() (string, bool) {
	v, ok := s.raw()
	return string(v), ok
}

// time reads a time as encoding/json does: time.Time's UnmarshalJSON on
// the quoted literal.
func (s *scanner) time(t *time.Time) bool {
	s.space()
	start := s.i
	if _, ok := s.raw(); !ok {
		return false
	}
	return t.UnmarshalJSON(s.b[start:s.i]) == nil
}

// bytes reads base64 as encoding/json does: null is nil, "" is empty but
// not nil.
func (s *scanner) bytes() ([]byte, bool) {
	if s.null() {
		return nil, true
	}
	v, ok := s.raw()
	if !ok {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Decode(b, v)
	return b[:n], err == nil
}

// byteList reads an array of base64 strings or nulls; [] is empty but not
// nil, as encoding/json makes it.
func (s *scanner) byteList() ([][]byte, bool) {
	if s.null() {
		return nil, true
	}
	if !s.next('[') {
		return nil, false
	}
	l := [][]byte{}
	if s.next(']') {
		return l, true
	}
	for {
		b, ok := s.bytes()
		if !ok {
			return nil, false
		}
		l = append(l, b)
		if !s.next(',') {
			return l, s.next(']')
		}
	}
}

// digits reads an integer: an optional minus sign, then 1 to 19 digits
// without a leading zero (JSON's rule), which fit in a uint64. A fraction
// or an exponent is left unread, and the caller's next delimiter fails.
func (s *scanner) digits() (neg bool, n uint64, ok bool) {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		n = n*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	d := s.i - start
	return neg, n, d > 0 && d <= 19 && (d == 1 || s.b[start] != '0')
}

func (s *scanner) uint(max uint64) (uint64, bool) {
	neg, n, ok := s.digits()
	return n, ok && !neg && n <= max
}

func (s *scanner) int64() (int64, bool) {
	neg, n, ok := s.digits()
	if !ok {
		return 0, false
	}
	if neg {
		return int64(-n), n <= 1<<63
	}
	return int64(n), n <= 1<<63-1
}

func (s *scanner) int() (int, bool) {
	neg, n, ok := s.digits()
	if !ok {
		return 0, false
	}
	const max = 1<<(strconv.IntSize-1) - 1
	if neg {
		return int(-n), n <= max+1
	}
	return int(n), n <= max
}
