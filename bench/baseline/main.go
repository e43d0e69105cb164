// Command baseline does nothing but argon2id hashes with authctl's default
// parameters: the floor under which no password login or import can go.
// bench/run divides authctl's timings by this program's.
//
//	baseline        one hash, as one login does
//	baseline -n N   N hashes of distinct passwords on every core (one
//	                goroutine per CPU, as `user import` does), for the
//	                import's in-round baseline
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

func main() {
	n := flag.Int("n", 1, "hash `N` passwords on all cores")
	flag.Parse()
	if *n <= 1 {
		hash("correct horse battery")
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				hash("correct horse battery " + strconv.FormatInt(i, 10))
			}
		}()
	}
	wg.Wait()
}

// hash is one argon2id hash with a fresh random salt.
func hash(password string) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// m=19456 KiB, t=2, p=1, 32-byte key: secret.DefaultParams.
	key := argon2.IDKey([]byte(password), salt, 2, 19456, 1, 32)
	if len(key) != 32 {
		os.Exit(1)
	}
}
