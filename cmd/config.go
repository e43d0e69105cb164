package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/fsutil"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store/pg"
)

// Config is every setting, resolved once from flag > environment > config
// file > default, and passed down as plain values.
type Config struct {
	DB             string
	ConfigFile     string
	LockTimeout    time.Duration
	Issuer         string
	KeyFile        string
	Policy         account.Policy
	AuditRetention time.Duration
	Hash           secret.Params
}

// Configuration keys (also the config file's keys; environment variables are
// AUTHCTL_ plus the key in upper case with . and - as _).
const (
	keyDB             = "db"
	keyConfig         = "config"
	keyLockTimeout    = "lock-timeout"
	keyIssuer         = "issuer"
	keyKeyFile        = "key-file"
	keyLockThreshold  = "lockout.threshold"
	keyLockDelay      = "lockout.delay"
	keyLockMaxDelay   = "lockout.max-delay"
	keyAuditRetention = "audit.retention"
	keyHashMemory     = "argon2.memory"
	keyHashTime       = "argon2.time"
	keyHashThreads    = "argon2.threads"
)

// settingFlags are the root's flags that are also settings.
var settingFlags = []string{keyDB, keyConfig, keyLockTimeout, keyIssuer, keyKeyFile}

// newViper returns a viper with authctl's defaults; env makes it read
// AUTHCTL_* variables.
func newViper(env bool) *viper.Viper {
	v := viper.New()
	if env {
		v.SetEnvPrefix("AUTHCTL")
		v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
		v.AutomaticEnv()
	}
	defaults := map[string]any{
		keyDB: "", keyConfig: "", keyLockTimeout: "5s", keyIssuer: "authctl", keyKeyFile: "",
		keyLockThreshold:  account.DefaultPolicy.Threshold,
		keyLockDelay:      account.DefaultPolicy.BaseDelay.String(),
		keyLockMaxDelay:   account.DefaultPolicy.MaxDelay.String(),
		keyAuditRetention: "2160h",
		keyHashMemory:     secret.DefaultParams.Memory,
		keyHashTime:       secret.DefaultParams.Time,
		keyHashThreads:    secret.DefaultParams.Threads,
	}
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	return v
}

func bindSettingFlags(v *viper.Viper, flags *pflag.FlagSet) {
	for _, k := range settingFlags {
		_ = v.BindPFlag(k, flags.Lookup(k))
	}
}

// dataHome and configHome follow the XDG base directory spec on every Unix
// (as admins expect of a CLI), and the usual folders on Windows.
func dataHome() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	if runtime.GOOS == "windows" {
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share"), nil
}

func configHome() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	if runtime.GOOS == "windows" {
		return os.UserConfigDir()
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".config"), nil
}

// loadConfig reads the config files (once) and resolves every setting:
// the system config first, then the user's (or --config / AUTHCTL_CONFIG)
// over it key by key, then the environment and flags over both. With
// noEnv (authctl pam) the environment is not read at all: settings come
// from flags and files alone, and nothing depends on a home directory.
func loadConfig(v *viper.Viper, noEnv bool) (*Config, error) {
	if err := readConfigFile(v, systemConfigFile(noEnv)); err != nil {
		return nil, err
	}
	user, err := userConfigFile(v, noEnv)
	if err != nil {
		return nil, err
	}
	if user.path != "" {
		if err := readConfigFile(v, user); err != nil {
			return nil, err
		}
	}

	c := &Config{ConfigFile: user.path, Issuer: v.GetString(keyIssuer)}
	if c.DB, err = locationSetting(v, keyDB, noEnv, defaultDB); err != nil {
		return nil, err
	}
	if c.KeyFile, err = locationSetting(v, keyKeyFile, noEnv, defaultKeyFile); err != nil {
		return nil, err
	}
	if c.LockTimeout, err = durationSetting(v, keyLockTimeout, 0, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.Issuer, err = checkIssuer(c.Issuer); err != nil {
		return nil, err
	}
	th, err := intSetting(v, keyLockThreshold, 1, 100)
	if err != nil {
		return nil, err
	}
	c.Policy.Threshold = th
	if c.Policy.BaseDelay, err = durationSetting(v, keyLockDelay, time.Millisecond, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.Policy.MaxDelay, err = durationSetting(v, keyLockMaxDelay, time.Millisecond, 30*24*time.Hour); err != nil {
		return nil, err
	}
	if err := c.Policy.Validate(); err != nil {
		return nil, apperr.New(apperr.Invalid, "%v", err)
	}
	if c.AuditRetention, err = durationSetting(v, keyAuditRetention, time.Hour, 100*365*24*time.Hour); err != nil {
		return nil, err
	}
	if c.Hash, err = hashSettings(v); err != nil {
		return nil, err
	}
	return c, nil
}

// userConfigFile is the config file read over the system one: --config (or
// AUTHCTL_CONFIG), else $XDG_CONFIG_HOME/authctl/config.yaml when there is
// a home directory to find it in. With noEnv only --config counts.
func userConfigFile(v *viper.Viper, noEnv bool) (configFile, error) {
	if p := v.GetString(keyConfig); p != "" {
		if noEnv && !filepath.IsAbs(p) {
			return configFile{}, apperr.New(apperr.Invalid, "authctl pam needs an absolute path for --config")
		}
		return configFile{path: p, label: "config file", strict: noEnv}, nil
	}
	if noEnv {
		return configFile{}, nil
	}
	dir, err := configHome()
	if err != nil {
		return configFile{}, nil // no home, no user config: the other layers may be complete
	}
	return configFile{path: filepath.Join(dir, "authctl", "config.yaml"), label: "config file", optional: true}, nil
}

// locationSetting resolves db or key-file. Unset, it falls back to a file
// under the user's XDG directories, which needs a home directory; with
// noEnv there is no fallback, and the path must be absolute (pam_exec runs
// authctl in the directory of the program that called PAM, which for sudo
// is wherever the user stands).
func locationSetting(v *viper.Viper, key string, noEnv bool, fallback func() (string, error)) (string, error) {
	if noEnv {
		s := v.GetString(key)
		switch {
		case strings.ContainsRune(s, 0):
			return "", apperr.New(apperr.Invalid, "%s contains a NUL byte", key)
		case s == "":
			return "", apperr.New(apperr.Env, "authctl pam needs %s: set it in %s or give --%s on the pam line", key, systemConfigPath(true), key)
		case key == keyDB && pg.IsURL(s):
			// A PostgreSQL database shared by the fleet (docs/fleet.md).
		case !filepath.IsAbs(s):
			return "", apperr.New(apperr.Invalid, "authctl pam needs an absolute path for %s", key)
		}
		return s, nil
	}
	s, err := pathSetting(v, key)
	if err != nil || s != "" {
		return s, err
	}
	return fallback()
}

func defaultDB() (string, error) {
	dir, err := dataHome()
	if err != nil {
		return "", noHome(keyDB, "database")
	}
	return filepath.Join(dir, "authctl", "authctl.db"), nil
}

func defaultKeyFile() (string, error) {
	dir, err := configHome()
	if err != nil {
		return "", noHome(keyKeyFile, "key file")
	}
	return filepath.Join(dir, "authctl", "key"), nil
}

// noHome says which setting would make the missing home directory
// unnecessary, and where to put it.
func noHome(key, what string) error {
	return apperr.New(apperr.Env, "no home directory for the default %s: set %s in %s, or AUTHCTL_%s, or --%s",
		what, key, systemConfigPath(false), strings.ToUpper(strings.ReplaceAll(key, "-", "_")), key)
}

// hashSettings reads the argon2id parameters and refuses any pair of memory
// and passes below OWASP's minimum (secret.MinParams); there is no way to
// configure cheaper hashing, not even for tests.
func hashSettings(v *viper.Viper) (secret.Params, error) {
	lowest := secret.MinParams[len(secret.MinParams)-1].Memory
	m, err := intSetting(v, keyHashMemory, int(lowest), 4<<20)
	if err != nil {
		return secret.Params{}, err
	}
	t, err := intSetting(v, keyHashTime, 1, 100)
	if err != nil {
		return secret.Params{}, err
	}
	p, err := intSetting(v, keyHashThreads, 1, 255)
	if err != nil {
		return secret.Params{}, err
	}
	params := secret.Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(p)}
	if err := secret.CheckParams(params); err != nil {
		return secret.Params{}, apperr.New(apperr.Invalid, "%v", err)
	}
	return params, nil
}

// configFile is one config file to read, and how.
type configFile struct {
	path     string
	label    string // "config file" or "system config file", for messages
	optional bool   // a missing file is no error
	strict   bool   // refuse a file others than root or this user could change
}

// readConfigFile reads a config file into v, over what earlier files set.
// Only a regular file of at most 1 MiB is read, by authctl itself (viper
// gets the bytes), and a file that does not parse is reported by its path
// and the line number alone: parsers quote the offending text, and
// --config may name a file the caller could not otherwise read.
func readConfigFile(v *viper.Viper, cf configFile) error {
	data, err := readConfigBytes(cf)
	if err != nil || data == nil {
		return err
	}
	format, name := configFormat(cf.path)
	if format == "" {
		return apperr.New(apperr.Invalid, "%s %s: unknown extension %q; name it .yaml (or .json, .toml)", cf.label, cf.path, filepath.Ext(cf.path))
	}
	v.SetConfigType(format)
	if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
		if line := parseErrorLine(err, data); line > 0 {
			return apperr.New(apperr.Invalid, "%s %s: syntax error at line %d", cf.label, cf.path, line)
		}
		return apperr.New(apperr.Invalid, "%s %s is not valid %s", cf.label, cf.path, name)
	}
	return nil
}

// readConfigBytes returns the file's content, or nil for an optional file
// that does not exist. A strict file is checked on the open descriptor
// before a byte is read.
func readConfigBytes(cf configFile) ([]byte, error) {
	f, err := fsutil.Open(cf.path, fsutil.MaxConfig)
	if err == nil {
		defer f.Close()
		if cf.strict {
			err = checkConfigOwner(cf, f.Info())
			if err != nil {
				return nil, err
			}
		}
		var data []byte
		if data, err = f.ReadAll(); err == nil {
			return data, nil
		}
	}
	var fe *fsutil.Error
	switch {
	case errors.Is(err, fs.ErrNotExist) && cf.optional:
		return nil, nil
	case errors.Is(err, fs.ErrPermission):
		return nil, apperr.New(apperr.Env, "cannot read %s %s: permission denied", cf.label, cf.path)
	case errors.As(err, &fe):
		return nil, apperr.New(apperr.Invalid, "%s %v", cf.label, err)
	default:
		return nil, apperr.New(apperr.Invalid, "%s %s: %s", cf.label, cf.path, oneLine(statReason(err)))
	}
}

// configFormat maps a config file's extension to viper's format and a
// name for messages; a file without one is YAML.
func configFormat(path string) (format, name string) {
	switch strings.ToLower(strings.TrimPrefix(filepath.Ext(path), ".")) {
	case "", "yaml", "yml":
		return "yaml", "YAML"
	case "json":
		return "json", "JSON"
	case "toml":
		return "toml", "TOML"
	}
	return "", ""
}

// yamlLine finds the first line number in a YAML error ("yaml: line 3:
// ..."), which comes before any text the error quotes.
func yamlLine(msg string) int {
	_, rest, ok := strings.Cut(msg, "line ")
	if !ok {
		return 0
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}

// parseErrorLine returns the line of data where a parser failed, or 0. It
// reads only numbers from the error, never its text.
func parseErrorLine(err error, data []byte) int {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var pos interface{ Position() (row, column int) } // go-toml's DecodeError
	offset := int64(-1)
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	case errors.As(err, &pos):
		row, _ := pos.Position()
		return max(row, 0)
	default:
		return yamlLine(err.Error())
	}
	if offset < 0 || offset > int64(len(data)) {
		return 0
	}
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func pathSetting(v *viper.Viper, key string) (string, error) {
	s := v.GetString(key)
	if strings.ContainsRune(s, 0) {
		return "", apperr.New(apperr.Invalid, "%s contains a NUL byte", key)
	}
	// A config file cannot rely on the shell to expand ~, so authctl does.
	if s == "~" || strings.HasPrefix(s, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", apperr.New(apperr.Env, "cannot expand ~ in %s: no home directory", key)
		}
		s = filepath.Join(home, s[1:])
	}
	return s, nil
}

// ParseDurationSetting parses a duration setting such as "5s" or "1h30m".
func ParseDurationSetting(key, s string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "invalid %s %q: want a duration such as 5s, 10m or 1h", key, s)
	}
	if d < lo || d > hi {
		return 0, apperr.New(apperr.Invalid, "invalid %s %s: must be between %s and %s", key, d, lo, hi)
	}
	return d, nil
}

func durationSetting(v *viper.Viper, key string, lo, hi time.Duration) (time.Duration, error) {
	return ParseDurationSetting(key, v.GetString(key), lo, hi)
}

// ParseIntSetting parses an integer setting within [lo, hi].
func ParseIntSetting(key, s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, apperr.New(apperr.Invalid, "invalid %s %q: want a whole number from %d to %d", key, s, lo, hi)
	}
	return n, nil
}

func intSetting(v *viper.Viper, key string, lo, hi int) (int, error) {
	return ParseIntSetting(key, fmt.Sprint(v.Get(key)), lo, hi)
}

// checkIssuer returns the issuer in the normalised form (PRECIS Nickname)
// that is stored in secrets' URIs and shown by authenticator apps.
func checkIssuer(s string) (string, error) {
	return account.NormalizeIssuer(s)
}

func statReason(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file"
	}
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	return err.Error()
}
