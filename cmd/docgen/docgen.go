// Package docgen writes authctl's command reference (markdown and man pages)
// from the cobra command tree. It lives apart from package cmd so that the
// authctl binary does not link cobra/doc and its markdown renderer, which
// would cost every command start-up time.
package docgen

//go:generate go run ../../scripts/gendocs

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/authctl/authctl/cmd"
	"github.com/authctl/authctl/internal/term"
)

// docsDate is the date printed in the man pages' header. It is fixed so that
// regenerating the reference gives the same bytes; bump it when a release
// changes the commands.
var docsDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// GenDocs writes the command reference: one markdown page per command into
// mdDir and one man page per command into manDir. The output depends only on
// the command tree, never on the machine or the environment, so the
// checked-in reference can be compared byte for byte with a fresh one.
func GenDocs(mdDir, manDir string) error {
	root := docsTree()
	for _, dir := range []string{mdDir, manDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// Links between pages stay relative (authctl_user_add.md), so they work
	// on GitHub and in a local checkout alike.
	noPrefix := func(string) string { return "" }
	sameDir := func(name string) string { return name }
	if err := doc.GenMarkdownTreeCustom(root, mdDir, noPrefix, sameDir); err != nil {
		return fmt.Errorf("markdown reference: %w", err)
	}
	// Title is left empty so that each page is titled after its command
	// (AUTHCTL, AUTHCTL-USER-ADD, ...), as man expects.
	header := &doc.GenManHeader{
		Section: "1",
		Date:    &docsDate,
		Source:  "authctl",
		Manual:  "authctl manual",
	}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}

// docsTree builds the command tree over an App that can do nothing: no
// streams, no terminal, and a configuration that is never read.
func docsTree() *cobra.Command {
	app := cmd.NewApp(&term.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	root := cmd.NewRootCmd(app)
	// cobra adds the completion command only when the tree runs; add it here
	// so the reference lists every command a user can type.
	root.InitDefaultCompletionCmd()
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
	return root
}
