package secret

import (
	"crypto/subtle"

	"golang.org/x/crypto/argon2"
)

// CodeParams are the argon2id parameters for backup codes. The codes carry
// 50 bits of entropy, so one pass is enough to make an offline search of a
// stolen database hopeless while a login still costs one hash.
var CodeParams = Params{Memory: 19456, Time: 1, Threads: 1}

// HashCode hashes a normalised backup code with the set's salt.
func HashCode(p Params, salt []byte, code string) []byte {
	return argon2.IDKey([]byte(code), salt, p.Time, p.Memory, p.Threads, keyLen)
}

// MatchCode returns the index in hashes of the hash equal to h, or -1. Used
// codes are nil entries. Every entry is compared so the time does not depend
// on which matched.
func MatchCode(hashes [][]byte, h []byte) int {
	found := -1
	for i, c := range hashes {
		if c != nil && subtle.ConstantTimeCompare(c, h) == 1 {
			found = i
		}
	}
	return found
}
