package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/spf13/viper"
)

// settingLine is a commented-out setting in packaging/config.yaml
// ("#db: ...", "#  threshold: 5"); prose comments start with "# " and a word
// that is not followed by a colon.
var settingLine = regexp.MustCompile(`(?m)^#(\s*[a-z][a-z0-9-]*:(?:\s|$))`)

func packagedConfig(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "packaging", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The .deb and .rpm install packaging/config.yaml as /etc/authctl/config.yaml
// with every setting commented out: installing the package changes nothing
// for anyone until an admin uncomments a line.
func TestPackagedSystemConfigChangesNothing(t *testing.T) {
	configEnv(t)
	want, err := configFor(t)
	if err != nil {
		t.Fatal(err)
	}
	writeSystemConfig(t, string(packagedConfig(t)))
	got, err := configFor(t)
	if err != nil {
		t.Fatalf("the packaged system config: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the packaged system config gives\n%+v\nwithout it\n%+v", got, want)
	}
}

// Uncommented, it names every setting (but config) with its default, except
// db and key-file, which point where docs/pam.md puts them.
func TestPackagedSystemConfigUncommented(t *testing.T) {
	uncommented := settingLine.ReplaceAll(packagedConfig(t), []byte("$1"))

	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(uncommented)); err != nil {
		t.Fatalf("packaging/config.yaml uncommented does not parse: %v\n%s", err, uncommented)
	}
	for _, k := range newViper(false).AllKeys() {
		if k != keyConfig && !v.IsSet(k) {
			t.Errorf("packaging/config.yaml does not show %s", k)
		}
	}

	configEnv(t)
	want, err := configFor(t, "--db", "/var/lib/authctl/authctl.db", "--key-file", "/etc/authctl/key")
	if err != nil {
		t.Fatal(err)
	}
	writeSystemConfig(t, string(uncommented))
	got, err := configFor(t)
	if err != nil {
		t.Fatalf("packaging/config.yaml uncommented: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packaging/config.yaml uncommented gives\n%+v\nwant the defaults with the system's db and key-file\n%+v", got, want)
	}
}
