package cmd

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

// The config file that docs/getting-started.md shows "with every key at its
// default" parses, and gives exactly the defaults.
func TestGettingStartedConfigIsTheDefaults(t *testing.T) {
	configEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	guide, err := os.ReadFile(filepath.Join("..", "docs", "getting-started.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(guide)
	if m == nil {
		t.Fatal("docs/getting-started.md has no yaml block")
	}
	file := writeConfig(t, filepath.Join(t.TempDir(), "config.yaml"), string(m[1]))
	got, err := configFor(t, "--config", file)
	if err != nil {
		t.Fatalf("the guide's config file: %v", err)
	}
	want, err := configFor(t)
	if err != nil {
		t.Fatal(err)
	}
	want.ConfigFile = got.ConfigFile
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the guide's config file gives\n%+v\nthe defaults are\n%+v", got, want)
	}
}
