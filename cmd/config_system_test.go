package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// writeSystemConfig writes the system config file of configEnv.
func writeSystemConfig(t *testing.T, content string) string {
	t.Helper()
	return writeConfig(t, systemConfigPath(false), content)
}

// The system config is read first; the user's config overrides it key by
// key (nested keys too), the environment overrides both, flags override all.
func TestSystemConfigPrecedence(t *testing.T) {
	configEnv(t)
	writeSystemConfig(t, "db: /system.db\nkey-file: /system.key\nlock-timeout: 7s\nissuer: System\nlockout:\n  threshold: 3\n  delay: 2m\n")
	user := writeConfig(t, filepath.Join(t.TempDir(), "user.yaml"), "lock-timeout: 8s\nlockout:\n  delay: 3m\n")

	c, err := configFor(t, "--config", user)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/system.db" || c.KeyFile != "/system.key" || c.Issuer != "System" || c.LockTimeout != 8*time.Second ||
		c.Policy.Threshold != 3 || c.Policy.BaseDelay != 3*time.Minute {
		t.Errorf("system config under the user's: %+v", c)
	}

	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "4")
	t.Setenv("AUTHCTL_DB", "/env.db")
	c, err = configFor(t, "--config", user, "--db", "/flag.db")
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/flag.db" || c.Policy.Threshold != 4 || c.Policy.BaseDelay != 3*time.Minute || c.KeyFile != "/system.key" {
		t.Errorf("environment and flags over both files: %+v", c)
	}

	// The user's default config file, found through XDG_CONFIG_HOME, also
	// goes over the system one.
	_, conf := configEnv(t)
	writeSystemConfig(t, "db: /system.db\nissuer: System\n")
	writeConfig(t, filepath.Join(conf, "authctl", "config.yaml"), "issuer: User\n")
	if c, err := configFor(t); err != nil || c.DB != "/system.db" || c.Issuer != "User" {
		t.Errorf("default user config over the system one: %+v, %v", c, err)
	}
}

// Without HOME or XDG variables, authctl works when the settings that need
// no home directory are complete, and otherwise names what to set.
func TestConfigWithoutHome(t *testing.T) {
	noHome := func(t *testing.T) {
		configEnv(t)
		for _, k := range []string{"HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"} {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Run("flags", func(t *testing.T) {
		noHome(t)
		c, err := configFor(t, "--db", "/var/lib/authctl/authctl.db", "--key-file", "/etc/authctl/key")
		if err != nil || c.DB != "/var/lib/authctl/authctl.db" || c.KeyFile != "/etc/authctl/key" || c.ConfigFile != "" {
			t.Errorf("%+v, %v", c, err)
		}
	})
	t.Run("system config", func(t *testing.T) {
		noHome(t)
		writeSystemConfig(t, "db: /var/lib/authctl/authctl.db\nkey-file: /etc/authctl/key\n")
		c, err := configFor(t)
		if err != nil || c.DB != "/var/lib/authctl/authctl.db" || c.KeyFile != "/etc/authctl/key" {
			t.Errorf("%+v, %v", c, err)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"nothing", nil, []string{"default database", "set db in " + "SYSTEM", "AUTHCTL_DB", "--db"}},
		{"no key file", []string{"--db", "/a.db"}, []string{"default key file", "set key-file in SYSTEM", "AUTHCTL_KEY_FILE", "--key-file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			noHome(t)
			c, err := configFor(t, tt.args...)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if apperr.KindOf(err) != apperr.Env {
				t.Errorf("kind %v, want Env: %v", apperr.KindOf(err), err)
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "SYSTEM", systemConfigPath(false))
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestSystemConfigInvalid(t *testing.T) {
	for _, tt := range []struct {
		name, content, msg string
		kind               apperr.Kind
	}{
		{"syntax", "db: /a.db\nlockout: [unclosed\n  - : :\n", "system config file SYSTEM: syntax error at line", apperr.Invalid},
		{"binary", "\x00\x01\xff secret-looking text", "system config file SYSTEM", apperr.Invalid},
		{"over 1 MiB", "db: /a.db\n" + strings.Repeat("#", 1<<20), "system config file SYSTEM is larger than 1 MiB", apperr.Invalid},
		{"weak policy", "lockout:\n  threshold: 100\n  delay: 1s\n  max-delay: 1m\n", "100 failed logins", apperr.Invalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			configEnv(t)
			writeSystemConfig(t, tt.content)
			c, err := configFor(t)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			msg := strings.ReplaceAll(tt.msg, "SYSTEM", systemConfigPath(false))
			if apperr.KindOf(err) != tt.kind || !strings.Contains(err.Error(), msg) {
				t.Errorf("got %v (%v), want %v saying %q", err, apperr.KindOf(err), tt.kind, msg)
			}
			if strings.Contains(err.Error(), "secret-looking") || strings.Contains(err.Error(), "unclosed") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
	// A directory at the system config's place is refused, not skipped.
	configEnv(t)
	if err := os.MkdirAll(systemConfigPath(false), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := configFor(t); err == nil || !strings.Contains(err.Error(), "is a directory, not a regular file") {
		t.Errorf("a directory as system config: %v", err)
	}
}

// authctl pam reads settings from flags and files only: no AUTHCTL_*
// variable, HOME or XDG directory chooses its database or its policy.
func TestPamIgnoresTheEnvironment(t *testing.T) {
	data, conf := configEnv(t)
	writeConfig(t, filepath.Join(conf, "authctl", "config.yaml"), "db: /from/user/config.db\nkey-file: /from/user/key\n")
	writeSystemConfig(t, "db: /from/AUTHCTL_SYSTEM_CONFIG.db\nkey-file: /from/system/key\n")
	t.Setenv("AUTHCTL_DB", "/from/env.db")
	t.Setenv("AUTHCTL_KEY_FILE", "/from/env.key")
	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "100")
	t.Setenv("AUTHCTL_LOCKOUT_DELAY", "1h")
	t.Setenv("AUTHCTL_CONFIG", filepath.Join(conf, "authctl", "config.yaml"))
	t.Setenv("HOME", data)

	var got *pamOptions
	app, err := pamApp(t, func(o *pamOptions) error { got = o; return nil }, map[string]string{"PAM_USER": "alice", "PAM_TYPE": "auth"},
		"pam", "--code-only", "--allow-no-2fa", "--db", "/var/lib/authctl/authctl.db", "--key-file", "/etc/authctl/key", "--lock-timeout", "2s")
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.User != "alice" || got.Type != "auth" || !got.CodeOnly || !got.AllowNo2FA {
		t.Fatalf("options: %+v", got)
	}
	c, err := app.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/var/lib/authctl/authctl.db" || c.KeyFile != "/etc/authctl/key" || c.LockTimeout != 2*time.Second || c.Policy != account.DefaultPolicy || c.ConfigFile != "" {
		t.Errorf("pam settings came from the environment: %+v", c)
	}
	if _, err := os.Stat(systemConfigPath(true)); err == nil {
		t.Skipf("%s exists on this machine; the rest of this test needs it absent", systemConfigPath(true))
	}
	// Without flags, AUTHCTL_SYSTEM_CONFIG and the user's files are not
	// read either: db is missing.
	app, err = pamApp(t, func(*pamOptions) error { return nil }, map[string]string{"PAM_USER": "alice"}, "pam")
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Config()
	if err == nil || apperr.KindOf(err) != apperr.Env || !strings.Contains(err.Error(), "authctl pam needs db: set it in /etc/authctl/config.yaml or give --db on the pam line") {
		t.Errorf("pam without db: %v", err)
	}
}

// The paths authctl pam uses must be absolute: pam_exec runs it in the
// working directory of the program that called PAM (for sudo, wherever the
// user stands), and ~ would need the untrusted HOME.
func TestPamNeedsAbsolutePaths(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
		kind apperr.Kind
	}{
		{[]string{"--db", "authctl.db", "--key-file", "/k"}, "authctl pam needs an absolute path for db", apperr.Invalid},
		{[]string{"--db", "~/authctl.db", "--key-file", "/k"}, "authctl pam needs an absolute path for db", apperr.Invalid},
		{[]string{"--db", "/a.db", "--key-file", "key"}, "authctl pam needs an absolute path for key-file", apperr.Invalid},
		{[]string{"--db", "/a.db"}, "authctl pam needs key-file: set it in /etc/authctl/config.yaml or give --key-file on the pam line", apperr.Env},
		{[]string{"--config", "pam.yaml"}, "authctl pam needs an absolute path for --config", apperr.Invalid},
	} {
		configEnv(t)
		app, err := pamApp(t, func(*pamOptions) error { return nil }, nil, append([]string{"pam"}, tt.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		c, err := app.Config()
		if err == nil || apperr.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %+v, %v; want %v saying %q", tt.args, c, err, tt.kind, tt.msg)
		}
	}
}

// pamApp parses args with the pam command's runF and returns the app.
func pamApp(t *testing.T, runF func(*pamOptions) error, env map[string]string, args ...string) (*App, error) {
	t.Helper()
	io, _, _ := term.Test("", false)
	app := NewApp(io)
	app.Getenv = func(k string) string { return env[k] }
	root := NewRootCmd(app)
	for _, c := range root.Commands() {
		if c.Name() == "pam" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newPamCmd(app, runF))
	root.SetArgs(args)
	return app, root.Execute()
}
