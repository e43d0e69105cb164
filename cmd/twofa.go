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
		Long: `Two-factor authentication (2FA): after the password, a login also needs a
6-digit code from an authenticator app (TOTP, RFC 6238) or one of 8 single-use
backup codes. Enabling, regenerating codes and disabling each ask for the
user's password again; an admin can reset a user who lost everything, and
import the secret a user's phone already has from another system.
See docs/enrolling.md and docs/migrating.md.`,
		Example: `  authctl 2fa enable alice
  authctl 2fa status alice
  authctl 2fa codes regen alice
  authctl 2fa disable alice
  authctl 2fa reset alice --yes
  authctl 2fa sync alice
  authctl 2fa import alice /home/alice/.google_authenticator`,
		Args: exactArgs(0, "a subcommand"),
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	codes := &cobra.Command{
		Use:   "codes",
		Short: "Manage backup codes",
		Long: `Backup codes let a user log in without the authenticator app: 8 codes of the
form xxxxx-xxxxx, each working once. "2fa status" shows how many are left.`,
		Example: `  authctl 2fa codes regen alice`,
		Args:    exactArgs(0, "a subcommand"),
		RunE:    func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	codes.AddCommand(newCodesRegenCmd(app))
	c.AddCommand(newEnableCmd(app, nil), codes, newDisableCmd(app), newStatusCmd(app), newResetCmd(app), newSyncCmd(app), newTwoFAImportCmd(app, nil))
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
