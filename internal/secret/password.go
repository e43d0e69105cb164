// Package secret holds authctl's cryptography: password hashing (argon2id in
// PHC form, bcrypt for imported hashes), backup-code hashing and the
// encryption of TOTP secrets at rest.
package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// Password length limits: at least 8 characters (after NFKC) and at most
// 1024 bytes, as docs/security.md says (NIST SP 800-63B §5.1.1.2).
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's recommended argon2id parameters (m=19 MiB, t=2, p=1).
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1}

// MinParams are the rows of OWASP's table of equally strong minimum argon2id
// parameters (Password Storage Cheat Sheet), each with p=1: less memory is
// paid for with more passes.
var MinParams = []Params{
	{Memory: 47104, Time: 1, Threads: 1},
	{Memory: 19456, Time: 2, Threads: 1},
	{Memory: 12288, Time: 3, Threads: 1},
	{Memory: 9216, Time: 4, Threads: 1},
	{Memory: 7168, Time: 5, Threads: 1},
}

// AtLeast reports whether p is at least as costly as q in memory, passes
// and threads alike.
func (p Params) AtLeast(q Params) bool {
	return p.Memory >= q.Memory && p.Time >= q.Time && p.Threads >= q.Threads
}

// MeetsFloor reports whether p reaches one row of MinParams.
func (p Params) MeetsFloor() bool {
	for _, m := range MinParams {
		if p.AtLeast(m) {
			return true
		}
	}
	return false
}

// CheckParams refuses argon2id parameters below OWASP's minimum. The
// message names the configuration keys, since configuration is the only
// way to choose them.
func CheckParams(p Params) error {
	if p.MeetsFloor() {
		return nil
	}
	return fmt.Errorf("argon2.memory %d with argon2.time %d is below the OWASP minimum for argon2id; use memory 19456 (KiB) with time 2 or more, or one of 47104/1, 12288/3, 9216/4, 7168/5", p.Memory, p.Time)
}

const (
	saltLen = 16
	keyLen  = 32
)

var (
	// ErrMismatch means the password does not match the hash.
	ErrMismatch = errors.New("password does not match")
	// ErrUnknownHash means a hash string is not a supported format.
	ErrUnknownHash = errors.New("unsupported password hash")
)

var b64 = base64.RawStdEncoding

// CheckPassword reports why a password is unacceptable, or nil. It counts
// characters after NFKC normalisation; it imposes no composition rules.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8")
	}
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("password is longer than %d bytes", MaxPasswordBytes)
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return errors.New("password contains a control character")
		}
	}
	if n := utf8.RuneCountInString(norm.NFKC.String(pw)); n < MinPasswordChars {
		return fmt.Errorf("password is shorter than %d characters", MinPasswordChars)
	}
	return nil
}

// Hasher hashes and verifies passwords. Tests inject cheap parameters.
type Hasher struct {
	Params Params
	Rand   io.Reader // nil means crypto/rand
}

// Hash returns the argon2id PHC string of the NFKC form of pw.
func (h Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("reading random salt: %w", err)
	}
	p := h.Params
	key := argon2.IDKey(normalize(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks pw against an argon2id PHC string or a bcrypt hash. It
// returns ErrMismatch for a wrong password. rehash is true when the hash
// should be replaced by one with the hasher's current parameters, which
// never weakens it: see needsRehash.
func (h Hasher) Verify(hash, pw string) (rehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		ph, err := ParsePHC(hash)
		if err != nil {
			return false, err
		}
		key := argon2.IDKey(normalize(pw), ph.Salt, ph.Params.Time, ph.Params.Memory, ph.Params.Threads, uint32(len(ph.Key)))
		if subtle.ConstantTimeCompare(key, ph.Key) != 1 {
			return false, ErrMismatch
		}
		return needsRehash(ph, h.Params), nil
	case IsBcrypt(hash):
		// bcrypt hashes come from other systems (htpasswd), which did not
		// normalise; try the password as typed, then its NFKC form.
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil ||
			bcrypt.CompareHashAndPassword([]byte(hash), normalize(pw)) == nil {
			return true, nil
		}
		return false, ErrMismatch
	default:
		return false, ErrUnknownHash
	}
}

// needsRehash reports whether a stored argon2id hash should be replaced by
// one made with cur. Never by a weaker one: cur must cost at least as much
// as the stored parameters in memory, passes and threads (or the stored
// ones must be below the OWASP floor that cur reaches), and then either
// cost more somewhere or the stored salt or key must be shorter than ours.
// A stored hash stronger than cur in any dimension stays as it is, so
// lowering the configured cost never weakens stored hashes.
func needsRehash(ph PHC, cur Params) bool {
	stored := ph.Params
	notWeaker := cur.AtLeast(stored) || !stored.MeetsFloor() && cur.MeetsFloor()
	short := len(ph.Salt) < saltLen || len(ph.Key) < keyLen
	return notWeaker && (cur != stored || short)
}

// Dummy burns the same time as verifying a real hash, so an unknown user
// cannot be told from a wrong password by timing.
func (h Hasher) Dummy(pw string) {
	p := h.Params
	argon2.IDKey(normalize(pw), make([]byte, saltLen), p.Time, p.Memory, p.Threads, keyLen)
}

func normalize(pw string) []byte { return []byte(norm.NFKC.String(pw)) }

// PHC is a parsed argon2id PHC string.
type PHC struct {
	Params Params
	Salt   []byte
	Key    []byte
}

// ParsePHC parses "$argon2id$v=19$m=...,t=...,p=...$salt$hash".
func ParsePHC(s string) (PHC, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return PHC{}, fmt.Errorf("%w: not an argon2id PHC string", ErrUnknownHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return PHC{}, fmt.Errorf("%w: argon2 version %q", ErrUnknownHash, parts[2])
	}
	params, err := parsePHCParams(parts[3])
	if err != nil {
		return PHC{}, err
	}
	salt, ok := phcBytes(parts[4], 8)
	if !ok {
		return PHC{}, fmt.Errorf("%w: bad salt", ErrUnknownHash)
	}
	key, ok := phcBytes(parts[5], 16)
	if !ok {
		return PHC{}, fmt.Errorf("%w: bad hash", ErrUnknownHash)
	}
	return PHC{Params: params, Salt: salt, Key: key}, nil
}

// parsePHCParams parses "m=...,t=...,p=..." within bounds that keep a
// hostile import from asking for terabytes of memory.
func parsePHCParams(s string) (Params, error) {
	var m, t, p uint64
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return Params{}, fmt.Errorf("%w: bad parameter %q", ErrUnknownHash, kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return Params{}, fmt.Errorf("%w: unknown parameter %q", ErrUnknownHash, k)
		}
	}
	if m < 8 || m > 4<<20 || t < 1 || t > 100 || p < 1 || p > 255 || m < 8*p {
		return Params{}, fmt.Errorf("%w: argon2id parameters out of range", ErrUnknownHash)
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(p)}, nil
}

// phcBytes decodes a salt or hash of a PHC string: unpadded base64 of
// least to 64 bytes. The base64 decoder skips CR and LF; a hash is one
// token, so they are refused.
func phcBytes(s string, least int) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	return b, err == nil && onlyIn(s, phcAlphabet) && len(b) >= least && len(b) <= 64
}

// IsBcrypt reports whether s looks like a bcrypt hash ($2a$, $2b$, $2y$).
func IsBcrypt(s string) bool {
	if len(s) != 60 {
		return false
	}
	switch s[:4] {
	case "$2a$", "$2b$", "$2y$":
	default:
		return false
	}
	cost, err := strconv.Atoi(s[4:6])
	return err == nil && s[6] == '$' && cost >= bcrypt.MinCost && cost <= bcrypt.MaxCost &&
		onlyIn(s[7:], bcryptAlphabet) // otherwise no password can ever match it
}

const (
	phcAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// onlyIn reports whether every byte of s is in alphabet.
func onlyIn(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// CheckHash reports whether s is a password hash authctl can verify.
func CheckHash(s string) error {
	if IsBcrypt(s) {
		return nil
	}
	_, err := ParsePHC(s)
	return err
}
