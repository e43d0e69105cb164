// Command baseline does nothing but one argon2id hash with authctl's default
// parameters: the floor under which no password login can go. bench/run
// divides authctl's timings by this program's.
package main

import (
	"crypto/rand"
	"fmt"
	"os"

	"golang.org/x/crypto/argon2"
)

func main() {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// m=19456 KiB, t=2, p=1, 32-byte key: secret.DefaultParams.
	key := argon2.IDKey([]byte("correct horse battery"), salt, 2, 19456, 1, 32)
	if len(key) != 32 {
		os.Exit(1)
	}
}
