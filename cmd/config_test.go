package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/term"
)

// configEnv isolates a test from the machine's environment and files: XDG
// directories in a temporary directory, no AUTHCTL_* variables, and a
// system config file (AUTHCTL_SYSTEM_CONFIG) that does not exist until a
// test writes it, at systemConfigPath(false).
func configEnv(t *testing.T) (dataHome, configHome string) {
	t.Helper()
	dir := t.TempDir()
	dataHome, configHome = filepath.Join(dir, "data"), filepath.Join(dir, "config")
	t.Setenv("XDG_DATA_HOME", dataHome)
	t.Setenv("XDG_CONFIG_HOME", configHome)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AUTHCTL_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv(envSystemConfig, filepath.Join(dir, "etc", "authctl", "config.yaml"))
	return dataHome, configHome
}

// configFor parses args as the root command does and resolves the
// configuration (the version command itself reads none).
func configFor(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	io, _, _ := term.Test("", false)
	app := NewApp(io)
	root := NewRootCmd(app)
	root.SetArgs(append(args, "version"))
	if err := root.Execute(); err != nil {
		return nil, err
	}
	return app.Config()
}

func writeConfig(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigDefaults(t *testing.T) {
	data, conf := configEnv(t)
	c, err := configFor(t)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DB:             filepath.Join(data, "authctl", "authctl.db"),
		ConfigFile:     filepath.Join(conf, "authctl", "config.yaml"),
		LockTimeout:    5 * time.Second,
		Issuer:         "authctl",
		KeyFile:        filepath.Join(conf, "authctl", "key"),
		Policy:         account.DefaultPolicy,
		AuditRetention: 90 * 24 * time.Hour,
		Hash:           secret.DefaultParams,
	}
	if *c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
	// Without XDG_DATA_HOME, the database is under ~/.local/share.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "relative/is/ignored")
	c, err = configFor(t)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "share", "authctl", "authctl.db"); c.DB != want {
		t.Errorf("DB without XDG_DATA_HOME = %s, want %s", c.DB, want)
	}
	if want := filepath.Join(home, ".config", "authctl", "key"); c.KeyFile != want {
		t.Errorf("KeyFile with a relative XDG_CONFIG_HOME = %s, want %s", c.KeyFile, want)
	}
}

// TestConfigPrecedence sets db and lock-timeout at each layer and checks
// the highest one wins: flag > environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	type layers struct{ file, env, flag bool }
	tests := []struct {
		name    string
		set     layers
		db      string
		timeout time.Duration
	}{
		{"default", layers{}, "", 5 * time.Second},
		{"file", layers{file: true}, "/from/file.db", 7 * time.Second},
		{"env", layers{env: true}, "/from/env.db", 8 * time.Second},
		{"flag", layers{flag: true}, "/from/flag.db", 9 * time.Second},
		{"env over file", layers{file: true, env: true}, "/from/env.db", 8 * time.Second},
		{"flag over file", layers{file: true, flag: true}, "/from/flag.db", 9 * time.Second},
		{"flag over env", layers{env: true, flag: true}, "/from/flag.db", 9 * time.Second},
		{"flag over env over file", layers{file: true, env: true, flag: true}, "/from/flag.db", 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := configEnv(t)
			cfg := writeConfig(t, filepath.Join(t.TempDir(), "authctl.yaml"), "issuer: From File\n")
			if tt.set.file {
				writeConfig(t, cfg, "db: /from/file.db\nlock-timeout: 7s\nissuer: From File\n")
			}
			if tt.set.env {
				t.Setenv("AUTHCTL_DB", "/from/env.db")
				t.Setenv("AUTHCTL_LOCK_TIMEOUT", "8s")
			}
			args := []string{"--config", cfg}
			if tt.set.flag {
				args = append(args, "--db", "/from/flag.db", "--lock-timeout", "9s")
			}
			c, err := configFor(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			wantDB := tt.db
			if wantDB == "" {
				wantDB = filepath.Join(data, "authctl", "authctl.db")
			}
			if c.DB != wantDB || c.LockTimeout != tt.timeout {
				t.Errorf("db %s, lock-timeout %s; want %s, %s", c.DB, c.LockTimeout, wantDB, tt.timeout)
			}
			if c.Issuer != "From File" || c.ConfigFile != cfg {
				t.Errorf("config file %s not read (issuer %q)", c.ConfigFile, c.Issuer)
			}
		})
	}
}

func TestConfigFileLocations(t *testing.T) {
	_, conf := configEnv(t)
	// The default location is read when present.
	writeConfig(t, filepath.Join(conf, "authctl", "config.yaml"), "db: /default/location.db\nlockout:\n  threshold: 3\n  delay: 2m\n")
	c, err := configFor(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "/default/location.db" || c.Policy.Threshold != 3 || c.Policy.BaseDelay != 2*time.Minute {
		t.Errorf("default config file: %+v", c)
	}
	// AUTHCTL_CONFIG picks another file, which replaces the default one.
	other := writeConfig(t, filepath.Join(t.TempDir(), "other.yml"), "db: /other.db\n")
	t.Setenv("AUTHCTL_CONFIG", other)
	if c, err := configFor(t); err != nil || c.DB != "/other.db" || c.Policy.Threshold != 5 {
		t.Errorf("AUTHCTL_CONFIG: %+v, %v", c, err)
	}
	// A file without an extension is YAML.
	noext := writeConfig(t, filepath.Join(t.TempDir(), "authctlrc"), "db: /noext.db\n")
	if c, err := configFor(t, "--config", noext); err != nil || c.DB != "/noext.db" {
		t.Errorf("config without extension: %+v, %v", c, err)
	}
	// Nested keys from the environment.
	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "4")
	t.Setenv("AUTHCTL_ARGON2_MEMORY", "65536")
	if c, err := configFor(t); err != nil || c.Policy.Threshold != 4 || c.Hash.Memory != 65536 {
		t.Errorf("AUTHCTL_LOCKOUT_THRESHOLD / AUTHCTL_ARGON2_MEMORY: %+v, %v", c, err)
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		file string            // config file content, "" for none
		env  map[string]string // environment
		args []string
		msg  string
	}{
		{name: "garbage yaml", file: "db: [unclosed\n  - : :\n\t{{{", msg: "config file"},
		{name: "binary file", file: "\x00\x01\x02\xff\xfe", msg: "config file"},
		{name: "explicit missing file", args: []string{"--config", "/no/such/authctl.yaml"}, msg: "no such file"},
		{name: "flag duration", args: []string{"--lock-timeout", "abc"}, msg: "lock-timeout"},
		{name: "flag negative duration", args: []string{"--lock-timeout", "-1s"}, msg: "lock-timeout"},
		{name: "flag duration too long", args: []string{"--lock-timeout", "25h"}, msg: "lock-timeout"},
		{name: "bare number", args: []string{"--lock-timeout", "5"}, msg: "lock-timeout"},
		{name: "env duration", env: map[string]string{"AUTHCTL_LOCK_TIMEOUT": "soon"}, msg: "lock-timeout"},
		{name: "file duration", file: "lock-timeout: forever\n", msg: "lock-timeout"},
		{name: "file delay", file: "lockout:\n  delay: fast\n", msg: "lockout.delay"},
		{name: "file max delay", file: "lockout:\n  max-delay: 0s\n", msg: "lockout.max-delay"},
		{name: "threshold not a number", file: "lockout:\n  threshold: many\n", msg: "lockout.threshold"},
		{name: "threshold zero", env: map[string]string{"AUTHCTL_LOCKOUT_THRESHOLD": "0"}, msg: "lockout.threshold"},
		{name: "weak policy", file: "lockout:\n  threshold: 5\n  delay: 1s\n  max-delay: 1m\n", msg: "100 failed logins"},
		{name: "weak policy from the environment", env: map[string]string{"AUTHCTL_LOCKOUT_THRESHOLD": "10", "AUTHCTL_LOCKOUT_DELAY": "1s", "AUTHCTL_LOCKOUT_MAX_DELAY": "1m"}, msg: "100 failed logins"},
		{name: "weak policy, threshold alone from the environment", file: "lockout:\n  delay: 1s\n  max-delay: 10m\n", env: map[string]string{"AUTHCTL_LOCKOUT_THRESHOLD": "100"}, msg: "100 failed logins"},
		{name: "config over 1 MiB", file: "db: /a.db\n" + strings.Repeat("#", 1<<20), msg: "is larger than 1 MiB"},
		{name: "config is a directory", args: []string{"--config", os.TempDir()}, msg: "is a directory, not a regular file"},
		{name: "config file extension", args: []string{"--config", "/dev/null/x.ini"}, msg: "config file"},
		{name: "retention", file: "audit:\n  retention: 1m\n", msg: "audit.retention"},
		{name: "argon2 memory", env: map[string]string{"AUTHCTL_ARGON2_MEMORY": "1"}, msg: "argon2.memory"},
		{name: "argon2 memory of 8 KiB", file: "argon2:\n  memory: 8\n  time: 1\n", msg: "argon2.memory"},
		{name: "argon2 below the floor, file", file: "argon2:\n  memory: 19456\n  time: 1\n", msg: "below the OWASP minimum"},
		{name: "argon2 below the floor, env", env: map[string]string{"AUTHCTL_ARGON2_MEMORY": "12287", "AUTHCTL_ARGON2_TIME": "3"}, msg: "below the OWASP minimum"},
		{name: "argon2 below the floor, more threads", env: map[string]string{"AUTHCTL_ARGON2_MEMORY": "9216", "AUTHCTL_ARGON2_TIME": "3", "AUTHCTL_ARGON2_THREADS": "4"}, msg: "below the OWASP minimum"},
		{name: "argon2 time 0", env: map[string]string{"AUTHCTL_ARGON2_TIME": "0"}, msg: "argon2.time"},
		{name: "argon2 threads", file: "argon2:\n  threads: 300\n", msg: "argon2.threads"},
		{name: "issuer with colon", args: []string{"--issuer", "a:b"}, msg: "issuer"},
		{name: "empty issuer", args: []string{"--issuer", ""}, msg: "issuer"},
		{name: "NUL in db path", file: "db: \"/tmp/a\\0b\"\n", msg: "NUL"},
		{name: "NUL in key file flag", args: []string{"--key-file", "/tmp/a\x00b"}, msg: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			configEnv(t)
			args := tt.args
			if tt.file != "" {
				args = append(args, "--config", writeConfig(t, filepath.Join(t.TempDir(), "c.yaml"), tt.file))
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := configFor(t, args...)
			if err == nil {
				t.Fatalf("config accepted: %+v", c)
			}
			if k := apperr.KindOf(err); k != apperr.Invalid {
				t.Fatalf("error %v has kind %v, want Invalid", err, k)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// Every row of OWASP's table is accepted, from the file or the
// environment, and so is anything above a row.
func TestConfigHashFloorAccepted(t *testing.T) {
	for _, p := range append(slices.Clone(secret.MinParams),
		secret.Params{Memory: 65536, Time: 1, Threads: 1},
		secret.Params{Memory: 19456, Time: 3, Threads: 4},
		secret.Params{Memory: 7168, Time: 100, Threads: 1},
	) {
		configEnv(t)
		cfg := writeConfig(t, filepath.Join(t.TempDir(), "c.yaml"), fmt.Sprintf("argon2:\n  memory: %d\n  time: %d\n  threads: %d\n", p.Memory, p.Time, p.Threads))
		if c, err := configFor(t, "--config", cfg); err != nil || c.Hash != p {
			t.Errorf("config file with %+v: %v, %v", p, c, err)
		}
		configEnv(t)
		t.Setenv("AUTHCTL_ARGON2_MEMORY", fmt.Sprint(p.Memory))
		t.Setenv("AUTHCTL_ARGON2_TIME", fmt.Sprint(p.Time))
		t.Setenv("AUTHCTL_ARGON2_THREADS", fmt.Sprint(p.Threads))
		if c, err := configFor(t); err != nil || c.Hash != p {
			t.Errorf("environment with %+v: %v, %v", p, c, err)
		}
	}
}

// A lockout policy that lets 100 failures through within a day is refused
// however it is set; one that takes a day or more is accepted.
func TestConfigLockoutPolicyBoundary(t *testing.T) {
	configEnv(t)
	// 5 failures, then 30 s doubling to 1 h: the default takes over a day.
	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "5")
	if _, err := configFor(t); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	// 100 failures before the first lock: all fit in no time.
	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "100")
	if _, err := configFor(t); apperr.KindOf(err) != apperr.Invalid || !strings.Contains(fmt.Sprint(err), "100 failed logins") {
		t.Errorf("threshold 100 from the environment: %v", err)
	}
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "c.yaml"), "lockout:\n  threshold: 99\n  delay: 24h\n  max-delay: 24h\n")
	t.Setenv("AUTHCTL_LOCKOUT_THRESHOLD", "")
	os.Unsetenv("AUTHCTL_LOCKOUT_THRESHOLD")
	if c, err := configFor(t, "--config", cfg); err != nil || c.Policy.MinTimeFor(100) < 24*time.Hour {
		t.Errorf("a policy of a day between the 99th and 100th failures: %+v, %v", c, err)
	}
	cfg = writeConfig(t, cfg, "lockout:\n  threshold: 99\n  delay: 23h\n  max-delay: 24h\n")
	if _, err := configFor(t, "--config", cfg); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("a policy of 23 h between the 99th and 100th failures: %v", err)
	}
}

// A config file that does not parse is reported by its path and line
// number, never by the text of the line: --config may name a file the
// caller could not otherwise read.
func TestConfigParseErrorHidesContent(t *testing.T) {
	const marker = "SECRET-MARKER-7f3a"
	tests := []struct {
		name, file, content, want string
	}{
		{"yaml syntax", "c.yaml", "db: /a.db\nissuer: x\n" + marker + "\n", "syntax error at line 3"},
		{"yaml mapping in a value", "c.yaml", "db: /a.db\nissuer: x: " + marker + "\n", "syntax error at line 2"},
		{"yaml tab", "c.yaml", "db: /a.db\n\t" + marker + "\n", "syntax error at line 2"},
		{"yaml scalar document", "c.yaml", marker + "\n", "syntax error at line 1"},
		{"yaml list at the top", "c.yml", "- " + marker + "\n", "syntax error at line 1"},
		{"yaml without a line", "c.yaml", "a: \x00" + marker, "config file"},
		{"json syntax", "c.json", "{\n\"db\": \"/a.db\",\n" + marker + "\n}", "syntax error at line 3"},
		{"json not an object", "c.json", "\n[\"" + marker + "\"]", "syntax error at line 2"},
		{"toml syntax", "c.toml", "db = \"/a.db\"\n\n" + marker + " = = 1\n", "syntax error at line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			configEnv(t)
			cfg := writeConfig(t, filepath.Join(t.TempDir(), tt.file), tt.content)
			io, out, errb := term.Test("", false)
			code := Run([]string{"--config", cfg, "user", "list"}, io)
			msg := errb.String()
			if code != ExitUsage || out.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, msg)
			}
			if strings.Contains(msg, marker) {
				t.Fatalf("stderr shows the file's content: %q", msg)
			}
			if !strings.HasPrefix(msg, "authctl: config file "+cfg) || !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr = %q, want one line naming %s and %q", msg, cfg, tt.want)
			}
		})
	}
}

// A bad config file stops a command with exit code 2 and one line on stderr,
// before any database is touched.
func TestConfigErrorExitCode(t *testing.T) {
	data, _ := configEnv(t)
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "c.yaml"), "{{{ not yaml")
	io, out, errb := term.Test("", false)
	code := Run([]string{"--config", cfg, "user", "list"}, io)
	if code != ExitUsage {
		t.Errorf("exit code %d, want %d", code, ExitUsage)
	}
	msg := errb.String()
	if !strings.HasPrefix(msg, "authctl: config file "+cfg) || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr = %q, want one line naming the config file", msg)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q", out)
	}
	if _, err := os.Stat(filepath.Join(data, "authctl")); !os.IsNotExist(err) {
		t.Errorf("a failed command created the data directory (%v)", err)
	}
}

func TestParseDurationSetting(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration // -1 means refused
	}{
		{"5s", 5 * time.Second}, {" 5s ", 5 * time.Second}, {"1h30m", 90 * time.Minute},
		{"0s", 0}, {"24h", 24 * time.Hour}, {"500ms", 500 * time.Millisecond},
		{"24h0m1s", -1}, {"-1s", -1}, {"5", -1}, {"", -1}, {"abc", -1}, {"5 s", -1}, {"1e3s", -1},
	}
	for _, tt := range tests {
		got, err := ParseDurationSetting("lock-timeout", tt.in, 0, 24*time.Hour)
		if tt.want < 0 {
			if err == nil || apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("ParseDurationSetting(%q) = %s, %v; want an Invalid error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDurationSetting(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseIntSetting(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1 means refused
	}{
		{"1", 1}, {"100", 100}, {" 5 ", 5}, {"007", 7}, {"+5", 5},
		{"0", -1}, {"101", -1}, {"-5", -1}, {"", -1}, {"5.0", -1}, {"five", -1}, {"1e2", -1}, {"99999999999999999999", -1},
	}
	for _, tt := range tests {
		got, err := ParseIntSetting("lockout.threshold", tt.in, 1, 100)
		if tt.want < 0 {
			if err == nil || apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("ParseIntSetting(%q) = %d, %v; want an Invalid error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseIntSetting(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseDurationSetting: an accepted value is within bounds and its
// canonical form parses to the same value; a refused one is Invalid with a
// one-line message.
func FuzzParseDurationSetting(f *testing.F) {
	f.Add("5s", int64(0), int64(24*time.Hour))
	f.Add(" 1h30m ", int64(time.Millisecond), int64(24*time.Hour))
	f.Add("-1s", int64(0), int64(time.Hour))
	f.Add("9223372036854775807ns", int64(0), int64(1<<62))
	f.Add("1\n2", int64(0), int64(time.Hour))
	f.Add("", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, s string, lo, hi int64) {
		d, err := ParseDurationSetting("some.key", s, time.Duration(lo), time.Duration(hi))
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || d != 0 {
				t.Fatalf("ParseDurationSetting(%q) = %s, %v (kind %v)", s, d, err, apperr.KindOf(err))
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if d < time.Duration(lo) || d > time.Duration(hi) {
			t.Fatalf("ParseDurationSetting(%q, %d, %d) = %s: out of bounds", s, lo, hi, d)
		}
		if again, err := ParseDurationSetting("some.key", d.String(), time.Duration(lo), time.Duration(hi)); err != nil || again != d {
			t.Fatalf("canonical %q parses to %s, %v; want %s", d.String(), again, err, d)
		}
	})
}

// FuzzParseIntSetting: an accepted value is within bounds and its decimal
// form parses to the same value.
func FuzzParseIntSetting(f *testing.F) {
	f.Add("5", 1, 100)
	f.Add(" +07 ", 1, 100)
	f.Add("-0", 0, 0)
	f.Add("99999999999999999999", 0, 1<<30)
	f.Add("1_000", 0, 10000)
	f.Fuzz(func(t *testing.T, s string, lo, hi int) {
		n, err := ParseIntSetting("some.key", s, lo, hi)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || n != 0 {
				t.Fatalf("ParseIntSetting(%q) = %d, %v (kind %v)", s, n, err, apperr.KindOf(err))
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if n < lo || n > hi {
			t.Fatalf("ParseIntSetting(%q, %d, %d) = %d: out of bounds", s, lo, hi, n)
		}
		if again, err := ParseIntSetting("some.key", strconv.Itoa(n), lo, hi); err != nil || again != n {
			t.Fatalf("canonical %d parses to %d, %v", n, again, err)
		}
	})
}

func TestConfigTildePaths(t *testing.T) {
	configEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "c.yaml"), "db: ~/data/a.db\nkey-file: ~/keys/k\n")
	c, err := configFor(t, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != filepath.Join(home, "data", "a.db") || c.KeyFile != filepath.Join(home, "keys", "k") {
		t.Errorf("~ not expanded: db %q, key file %q", c.DB, c.KeyFile)
	}
	// Only a leading ~/ is special.
	c, err = configFor(t, "--db", "a~/b.db")
	if err != nil || c.DB != "a~/b.db" {
		t.Errorf("--db a~/b.db: %+v, %v", c, err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"24h", now.Add(-24 * time.Hour)},
		{" 90m ", now.Add(-90 * time.Minute)},
		{"0s", now},
		{"2026-11-28T09:30:00Z", time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)},
		{"2026-11-28T09:30:00+01:00", time.Date(2026, 11, 28, 8, 30, 0, 0, time.UTC)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local)},
	} {
		got, err := ParseSince(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-1h", "2026-13-01", "2026-11-28 09:30", "1000000h"} {
		if _, err := ParseSince(bad, now); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("ParseSince(%q): %v, want a usage error", bad, err)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "2026-11-01", "2026-11-28T09:30:00Z", "x", "-5m"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSince(s, now)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("ParseSince(%q): %v", s, err)
			}
			return
		}
		if got.IsZero() {
			t.Fatalf("ParseSince(%q) accepted a zero time", s)
		}
	})
}
