package docgen

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocsUpToDate regenerates the reference and compares it with the
// checked-in docs/reference and docs/man, so help text and docs never drift.
func TestDocsUpToDate(t *testing.T) {
	// The reference must not depend on who generates it: give the
	// environment values no real machine has and expect the same bytes.
	for _, k := range []string{"HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "AUTHCTL_DB", "AUTHCTL_CONFIG", "AUTHCTL_KEY_FILE"} {
		t.Setenv(k, "/nonexistent/authctl-docs-test")
	}
	tmp := t.TempDir()
	mdDir, manDir := filepath.Join(tmp, "reference"), filepath.Join(tmp, "man")
	if err := GenDocs(mdDir, manDir); err != nil {
		t.Fatal(err)
	}
	compareDocs(t, filepath.Join("..", "..", "docs", "reference"), mdDir, ".md")
	compareDocs(t, filepath.Join("..", "..", "docs", "man"), manDir, ".1")
}

func compareDocs(t *testing.T, checkedIn, fresh, ext string) {
	t.Helper()
	want := readDocs(t, fresh, ext)
	got := readDocs(t, checkedIn, ext)
	var missing, extra, differ []string
	for name, b := range want {
		old, ok := got[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case !bytes.Equal(old, b):
			differ = append(differ, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
	}
	if len(missing)+len(extra)+len(differ) == 0 {
		return
	}
	var msg []string
	for _, l := range []struct {
		what  string
		names []string
	}{{"missing", missing}, {"no longer generated", extra}, {"out of date", differ}} {
		if len(l.names) > 0 {
			sort.Strings(l.names)
			msg = append(msg, l.what+": "+strings.Join(l.names, ", "))
		}
	}
	t.Errorf("%s is stale: run go run ./scripts/gendocs\n%s", filepath.ToSlash(strings.TrimPrefix(checkedIn, ".."+string(filepath.Separator))), strings.Join(msg, "\n"))
}

// readDocs returns the generated files (those ending in ext) in dir by name;
// a missing dir holds none.
func readDocs(t *testing.T, dir, ext string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ext) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}
