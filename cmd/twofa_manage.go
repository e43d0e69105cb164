package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

func newCodesRegenCmd(app *App) *cobra.Command {
	var stdin bool
	var code string
	c := &cobra.Command{
		Use:   "regen NAME",
		Short: "Replace a user's backup codes with 8 new ones (password and a code)",
		Long: `Generate 8 new backup codes after checking the user's password and a current
second factor: a code from the authenticator app or one of the unused backup
codes. A password alone is not enough, so someone who learned it cannot
replace the user's second factor. Every earlier code stops working at once.
The new codes are shown only this time.

Scripts give the password as the first line of standard input with
--password-stdin, and the code with --code or as the second line.`,
		Example: `  authctl 2fa codes regen alice
  printf '%s\n' "$PASSWORD" | authctl 2fa codes regen alice --password-stdin --code "$CODE" -o json`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if err := checkCodeFlag(code); err != nil {
				return err
			}
			svc, pws, pw, err := app.passwordFor2FA(stdin, name)
			if err != nil {
				return err
			}
			codes, err := svc.RegenCodes(name, account.Proof{Password: pw, Code: code, AskCode: pws.codeAsker(name)})
			if err != nil {
				return err
			}
			if !outputJSON(c) {
				fmt.Fprintf(app.IO.Err, "New backup codes for %s; the old ones no longer work.\n", name)
			}
			return printBackupCodes(app, outputJSON(c), name, fmt.Sprintf("new backup codes made for %s (the old ones no longer work)", name), codes)
		},
	}
	c.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input (and the code from the second, if --code is not given)")
	c.Flags().StringVar(&code, "code", "", codeFlagUsage)
	return c
}

func newDisableCmd(app *App) *cobra.Command {
	var stdin bool
	var code string
	c := &cobra.Command{
		Use:   "disable NAME",
		Short: "Turn two-factor authentication off (password and a code)",
		Long: `Turn 2FA off after checking the user's password and a current second factor:
a code from the authenticator app or one of the unused backup codes. A password
alone is not enough, so someone who learned it cannot remove the user's second
factor. The secret and the backup codes are erased; the next login asks only
for the password. An admin helping a user who lost both the device and the
backup codes uses "authctl 2fa reset".

Scripts give the password as the first line of standard input with
--password-stdin, and the code with --code or as the second line.`,
		Example: `  authctl 2fa disable alice
  printf '%s\n' "$PASSWORD" | authctl 2fa disable alice --password-stdin --code "$CODE"`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if err := checkCodeFlag(code); err != nil {
				return err
			}
			svc, pws, pw, err := app.passwordFor2FA(stdin, name)
			if err != nil {
				return err
			}
			if err := svc.Disable(name, account.Proof{Password: pw, Code: code, AskCode: pws.codeAsker(name)}); err != nil {
				return err
			}
			msg := fmt.Sprintf("2fa disabled for %s", name)
			return print2FAResult(c, app, svc, name, msg, msg)
		},
	}
	c.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input (and the code from the second, if --code is not given)")
	c.Flags().StringVar(&code, "code", "", codeFlagUsage)
	return c
}

func newResetCmd(app *App) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "reset NAME",
		Short: "Admin recovery: turn 2FA off without the user's password",
		Long: `Turn 2FA off for a user who lost both the authenticator device and the backup
codes, without the user's password. Verify the person's identity first, by a
channel an attacker does not control (in person, a call-back to a known
number); see docs/security.md. Asks for confirmation on a terminal; scripts
pass --yes. Recorded in the audit trail.`,
		Example: `  authctl 2fa reset alice
  authctl 2fa reset alice --yes`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			if !yes {
				if !app.IO.CanPrompt() {
					return apperr.New(apperr.Invalid, "refusing to reset 2fa for %s without confirmation; pass --yes", name)
				}
				if err := svc.RequireResettable(name); err != nil {
					return err
				}
				if err := confirm(app, fmt.Sprintf("Turn 2FA off for %s without their password? Did you verify who they are? [y/N] ", name)); err != nil {
					return err
				}
			}
			if err := svc.Reset(name); err != nil {
				return err
			}
			return print2FAResult(c, app, svc, name, fmt.Sprintf("2fa reset for %s", name),
				fmt.Sprintf("2fa reset for %s; they can log in with the password alone and enroll again", name))
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func newStatusCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "status NAME",
		Short: "Show whether 2FA is on, since when, and how many backup codes are left",
		Long: `Show whether 2FA is on for a user and since when, how many backup codes are
left, and whether an enrollment started with --begin is waiting for its first
code. Needs no password.`,
		Example: "  authctl 2fa status alice\n  authctl 2fa status alice -o json",
		Args:    exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			st, err := svc.Status(args[0])
			if err != nil {
				return err
			}
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, st), "")
			}
			w := new(strings.Builder)
			if st.Enabled {
				fmt.Fprintf(w, "2fa: on for %s since %s\nbackup codes left: %d of 8\n", st.User, stamp(*st.EnabledAt), st.BackupLeft)
			} else {
				fmt.Fprintf(w, "2fa: off for %s\n", st.User)
			}
			if st.Pending {
				fmt.Fprintf(w, "pending enrollment: waiting for the first code until %s (%s left)\n",
					stamp(*st.PendingExpires), st.PendingExpires.Sub(app.Now()).Round(time.Second))
			}
			_, err = io.WriteString(app.IO.Out, w.String())
			return errOutput(err, "")
		},
	}
}
