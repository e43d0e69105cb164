//go:build unix

package cmd

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/authctl/authctl/internal/apperr"
)

// checkConfigOwner refuses a config file that someone other than root or
// the user running authctl could change: a file or directory writable by
// group or others, or owned by another user. Such a file could point db at
// a database of its writer's choosing, as sshd's StrictModes guards
// authorized_keys. info is fstat of the open file; the directories are the
// one named and, through symbolic links, the one the file really is in.
func checkConfigOwner(cf configFile, info fs.FileInfo) error {
	if err := checkOwnerMode(cf, cf.path, info, false); err != nil {
		return err
	}
	dirs := []string{filepath.Dir(cf.path)}
	if real, err := filepath.EvalSymlinks(cf.path); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	for _, d := range dirs {
		di, err := os.Stat(d)
		if err != nil {
			return apperr.New(apperr.Env, "%s %s: cannot check its directory %s: %s", cf.label, cf.path, d, oneLine(statReason(err)))
		}
		if err := checkOwnerMode(cf, d, di, true); err != nil {
			return err
		}
	}
	return nil
}

func checkOwnerMode(cf configFile, path string, info fs.FileInfo, dir bool) error {
	what := cf.label + " " + cf.path
	if dir {
		what = "the directory " + path + " of " + what
	}
	if info.Mode().Perm()&0o022 != 0 {
		return apperr.New(apperr.Env, "%s is writable by group or others; fix it with chmod go-w %s", what, path)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := int(st.Uid); uid != 0 && uid != os.Geteuid() {
		return apperr.New(apperr.Env, "%s belongs to uid %d; it must belong to root (chown root %s)", what, uid, path)
	}
	return nil
}
