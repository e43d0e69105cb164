package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newTwoFACmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "2fa",
		Short: "Enable, inspect, regenerate backup codes for, and disable two-factor authentication",
		Args:  exactArgs(0, "a subcommand"),
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	codes := &cobra.Command{
		Use:   "codes",
		Short: "Manage backup codes",
		Args:  exactArgs(0, "a subcommand"),
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	codes.AddCommand(newCodesRegenCmd(app))
	c.AddCommand(newEnableCmd(app, nil), codes, newDisableCmd(app), newStatusCmd(app), newResetCmd(app))
	return c
}

// backupCodesJSON is the stable JSON form of a new set of backup codes.
type backupCodesJSON struct {
	BackupCodes []string `json:"backup_codes"`
}

// printBackupCodes shows new codes: the codes alone on stdout (so
// "> codes.txt" keeps just them), the advice on stderr.
func printBackupCodes(app *App, asJSON bool, codes []string) error {
	if asJSON {
		return writeJSON(app.IO.Out, backupCodesJSON{BackupCodes: codes})
	}
	fmt.Fprintf(app.IO.Err, "\nBackup codes (%d, each works once). They are shown only now:\n", len(codes))
	for _, c := range codes {
		fmt.Fprintf(app.IO.Out, "  %s\n", c)
	}
	fmt.Fprintln(app.IO.Err, "Keep them somewhere safe, such as a password manager or a printed copy:\nthey are your way in if you lose your phone.")
	return nil
}

func writeLines(w io.Writer, lines ...string) {
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}
