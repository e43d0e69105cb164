package cmd

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// FuzzConfigFile feeds arbitrary bytes as the config file. authctl either
// resolves a configuration within its documented bounds or refuses with a
// one-line usage error; it never panics and never reports success for a
// lockout policy that docs/security.md (Throttling; NIST SP 800-63B §5.2.2)
// forbids.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"",
		"db: /tmp/a.db\nlockout:\n  threshold: 3\n  delay: 2m\n",
		"lockout:\n  threshold: \"lots\"\n",
		"lockout: [1, 2]\n",
		"argon2:\n  memory: 1\n",
		"audit:\n  retention: 1ns\n",
		"lock-timeout: -5s\n",
		"issuer: \"a:b\"\n",
		"\x00\xff\xfe",
		"db: ~/x.db\nkey-file: ~\n",
		"{{{{",
		"a: &a [*a, *a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		t.Setenv("HOME", dir)
		t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
		t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
		t.Setenv(envSystemConfig, filepath.Join(dir, "no-system-config.yaml"))
		path := writeConfig(t, filepath.Join(dir, "config.yaml"), string(content))
		io, _, _ := term.Test("", false)
		app := NewApp(io)
		root := NewRootCmd(app)
		root.SetArgs([]string{"--config", path, "version"})
		if err := root.Execute(); err != nil {
			t.Fatalf("version with a config file: %v", err)
		}
		c, err := app.Config()
		if err != nil {
			if k := apperr.KindOf(err); k != apperr.Invalid && k != apperr.Env {
				t.Fatalf("kind %v for %q: %v", k, content, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) && utf8.Valid(content) {
				t.Fatalf("error is not one clean line: %q", msg)
			}
			return
		}
		if err := c.Policy.Validate(); err != nil {
			t.Fatalf("accepted a policy that Validate refuses: %+v: %v", c.Policy, err)
		}
		if c.LockTimeout < 0 || !c.Hash.MeetsFloor() || c.Hash.Time < 1 || c.Hash.Threads < 1 || c.DB == "" || c.KeyFile == "" {
			t.Fatalf("accepted out-of-range settings: %+v", c)
		}
		if n, err := checkIssuer(c.Issuer); err != nil || n != c.Issuer {
			t.Fatalf("accepted issuer %q, not in normal form (%q, %v)", c.Issuer, n, err)
		}
	})
}
