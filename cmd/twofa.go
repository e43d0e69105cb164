package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/apperr"
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
	}
	codes := &cobra.Command{
		Use:   "codes",
		Short: "Manage backup codes",
		Long: `Backup codes let a user log in without the authenticator app: 8 codes of the
form xxxxx-xxxxx, each working once. "2fa status" shows how many are left.`,
		Example: `  authctl 2fa codes regen alice`,
	}
	codes.AddCommand(newCodesRegenCmd(app))
	c.AddCommand(newEnableCmd(app, nil), codes, newDisableCmd(app), newStatusCmd(app), newResetCmd(app), newSyncCmd(app), newTwoFAImportCmd(app, nil))
	return c
}

// backupCodesJSON is the stable JSON form of a new set of backup codes.
type backupCodesJSON struct {
	BackupCodes []string `json:"backup_codes"`
}

// printBackupCodes shows name's new codes: the codes alone on stdout (so
// "> codes.txt" keeps just them), the advice on stderr. Codes that cannot
// be written are lost: the error says what was done and how to get others.
func printBackupCodes(app *App, asJSON bool, name, done string, codes []string) error {
	if asJSON {
		return errOutputHint(writeJSON(app.IO.Out, backupCodesJSON{BackupCodes: codes}), done, apperr.HintRegen, name)
	}
	fmt.Fprintf(app.IO.Err, "\nBackup codes (%d, each works once). They are shown only now:\n", len(codes))
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	if _, err := io.WriteString(app.IO.Out, b.String()); err != nil {
		return errOutputHint(err, done, apperr.HintRegen, name)
	}
	fmt.Fprintln(app.IO.Err, "Keep them somewhere safe, such as a password manager or a printed copy:\nthey are your way in if you lose your phone.")
	return nil
}

// enabledDone is what enrolling did, for the error when the backup codes
// that follow cannot be written.
func enabledDone(name string) string {
	return fmt.Sprintf("2fa enabled for %s with new backup codes", name)
}
