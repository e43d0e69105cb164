package pg

import (
	"os"
	"path/filepath"
	"testing"
)

// With IgnoreEnv, PG* variables and files under $HOME add nothing to the
// URL (authctl pam runs in an environment users can influence), and the
// environment is back as it was afterwards.
func TestIgnoreEnv(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".postgresql"), 0o700)
	os.WriteFile(filepath.Join(home, ".postgresql", "root.crt"), []byte("not a cert"), 0o600)
	t.Setenv("HOME", home)
	t.Setenv("PGOPTIONS", "-c search_path=evil")
	t.Setenv("PGSSLMODE", "disable")
	t.Setenv("PGPASSWORD", "from-env")
	const url = "postgres://authctl@db.example/authctl"

	// pgx reads them: the bad root.crt under $HOME fails the parse.
	if _, err := parseConfig(url, false); err == nil {
		t.Fatal("without IgnoreEnv, pgx should have read ~/.postgresql/root.crt (the test relies on it)")
	}
	os.Rename(filepath.Join(home, ".postgresql", "root.crt"), filepath.Join(home, "moved"))
	cfg, err := parseConfig(url, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "from-env" || cfg.RuntimeParams["options"] == "" {
		t.Fatalf("without IgnoreEnv the environment should count (the test relies on pgx reading it): %+v", cfg.RuntimeParams)
	}
	os.Rename(filepath.Join(home, "moved"), filepath.Join(home, ".postgresql", "root.crt"))
	cfg, err = parseConfig(url, true)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "" || cfg.RuntimeParams["options"] != "" || cfg.TLSConfig == nil {
		t.Errorf("with IgnoreEnv the environment still counted: password %q, options %q, TLS %v", cfg.Password, cfg.RuntimeParams["options"], cfg.TLSConfig != nil)
	}
	if os.Getenv("PGPASSWORD") != "from-env" || os.Getenv("HOME") != home {
		t.Error("the environment was not restored")
	}
}
