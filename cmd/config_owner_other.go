//go:build !unix

package cmd

import "io/fs"

// checkConfigOwner has nothing to check where Unix modes do not apply; an
// ACL check on Windows would belong here.
func checkConfigOwner(configFile, fs.FileInfo) error { return nil }
