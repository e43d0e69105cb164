//go:build unix

package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
)

// A system config file that group or others could change, or that sits in
// such a directory, or belongs to another user, is refused (exit 4) naming
// the fix: it decides which database checks logins.
func TestSystemConfigOwnership(t *testing.T) {
	const content = "db: /a.db\nkey-file: /k\n"
	for _, tt := range []struct {
		name          string
		file, dir     os.FileMode
		ok            bool
		msg, fixOnDir string
	}{
		{name: "0644 in 0755", file: 0o644, dir: 0o755, ok: true},
		{name: "0600 in 0700", file: 0o600, dir: 0o700, ok: true},
		{name: "0444 in 0555", file: 0o444, dir: 0o555, ok: true},
		{name: "group-writable file", file: 0o664, dir: 0o755, msg: "is writable by group or others; fix it with chmod go-w FILE"},
		{name: "world-writable file", file: 0o646, dir: 0o755, msg: "is writable by group or others; fix it with chmod go-w FILE"},
		{name: "group-writable directory", file: 0o644, dir: 0o775, msg: "the directory DIR of system config file FILE is writable by group or others; fix it with chmod go-w DIR"},
		{name: "sticky world-writable directory", file: 0o644, dir: 0o1777, msg: "chmod go-w DIR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			configEnv(t)
			p := writeSystemConfig(t, content)
			dir := filepath.Dir(p)
			if err := os.Chmod(p, tt.file); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			c, err := configFor(t)
			if tt.ok {
				if err != nil || c.DB != "/a.db" {
					t.Errorf("%+v, %v", c, err)
				}
				return
			}
			msg := strings.NewReplacer("FILE", p, "DIR", dir).Replace(tt.msg)
			if err == nil || apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), msg) {
				t.Errorf("got %+v, %v; want an Env error saying %q", c, err, msg)
			}
		})
	}

	// A symbolic link is judged by the directory it is in and the one its
	// target is in.
	t.Run("link into a writable directory", func(t *testing.T) {
		configEnv(t)
		open := filepath.Join(t.TempDir(), "open")
		target := writeConfig(t, filepath.Join(open, "config.yaml"), content)
		if err := os.Chmod(open, 0o777); err != nil {
			t.Fatal(err)
		}
		p := systemConfigPath(false)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		real, _ := filepath.EvalSymlinks(open)
		if _, err := configFor(t); err == nil || !strings.Contains(err.Error(), "chmod go-w "+real) {
			t.Errorf("link to a file in a 0777 directory: %v", err)
		}
	})

	t.Run("owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("changing a file's owner needs root")
		}
		configEnv(t)
		p := writeSystemConfig(t, content)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		want := "system config file " + p + " belongs to uid 65534; it must belong to root (chown root " + p + ")"
		if _, err := configFor(t); err == nil || apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
		if err := os.Chown(p, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Dir(p), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := configFor(t); err == nil || !strings.Contains(err.Error(), "the directory "+filepath.Dir(p)+" of system config file") {
			t.Errorf("directory of another user: %v", err)
		}
	})

	// The user's own config file keeps today's rules (no ownership check),
	// except on the pam line, where --config is held to the system rules.
	t.Run("user config and pam --config", func(t *testing.T) {
		configEnv(t)
		user := writeConfig(t, filepath.Join(t.TempDir(), "user.yaml"), content)
		if err := os.Chmod(user, 0o666); err != nil {
			t.Fatal(err)
		}
		if c, err := configFor(t, "--config", user); err != nil || c.DB != "/a.db" {
			t.Errorf("user config: %+v, %v", c, err)
		}
		app, err := pamApp(t, func(*pamOptions) error { return nil }, nil, "pam", "--config", user)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Config(); err == nil || !strings.Contains(err.Error(), "config file "+user+" is writable by group or others") {
			t.Errorf("pam --config of mode 0666: %v", err)
		}
		if err := os.Chmod(user, 0o600); err != nil {
			t.Fatal(err)
		}
		app, _ = pamApp(t, func(*pamOptions) error { return nil }, nil, "pam", "--config", user)
		if c, err := app.Config(); err != nil || c.DB != "/a.db" || c.KeyFile != "/k" {
			t.Errorf("pam --config of mode 0600: %+v, %v", c, err)
		}
	})
}
