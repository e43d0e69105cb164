// Command gendocs regenerates authctl's command reference in docs/reference
// (markdown) and docs/man (man pages) from the cobra command tree. Run it from
// anywhere in the repository:
//
//	go run ./scripts/gendocs
//	go generate ./cmd/docgen
//
// Pages of commands that no longer exist are removed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authctl/authctl/cmd/docgen"
)

func main() {
	root := flag.String("root", "", "repository root (default: the nearest directory above the current one holding go.mod)")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func run(root string) error {
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return err
		}
	}
	mdDir := filepath.Join(root, "docs", "reference")
	manDir := filepath.Join(root, "docs", "man")
	// Only generated files live in these folders; clearing them first makes
	// a deleted or renamed command's page disappear.
	for _, stale := range []string{filepath.Join(mdDir, "*.md"), filepath.Join(manDir, "*.1")} {
		files, err := filepath.Glob(stale)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	return docgen.GenDocs(mdDir, manDir)
}

// findRoot walks up from the working directory to the folder holding go.mod,
// so the generator works from the repository root and from go generate in cmd/docgen.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the current directory; run from the authctl repository or pass -root")
		}
		dir = parent
	}
}
