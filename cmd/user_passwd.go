package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
)

func newUserPasswdCmd(app *App) *cobra.Command {
	var stdin bool
	var code string
	c := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Change a user's password",
		Long: `Change a user's password: the current password first, then the new one twice.
When the user has 2FA on, a current second factor is needed too (a code from
the authenticator app or an unused backup code), asked last. With
--password-stdin the first line of standard input is the current password, the
second the new one, and the third the code if --code is not given.

Changing the password does not clear the count of failed attempts; only a
successful login does.`,
		Example: `  authctl user passwd alice
  printf '%s\n%s\n' "$OLD" "$NEW" | authctl user passwd alice --password-stdin
  printf '%s\n%s\n' "$OLD" "$NEW" | authctl user passwd alice --password-stdin --code "$CODE"`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if err := checkCodeFlag(code); err != nil {
				return err
			}
			pws, err := app.passwords(stdin)
			if err != nil {
				return err
			}
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			if err := svc.RequireUser(name); err != nil {
				return err
			}
			cur, err := pws.get(fmt.Sprintf("Current password for %s: ", name))
			if err != nil {
				return err
			}
			next, err := pws.newPassword(fmt.Sprintf("New password for %s: ", name), name, "authctl")
			if err != nil {
				return err
			}
			if err := svc.ChangePassword(name, account.Proof{Password: cur, Code: code, AskCode: pws.codeAsker(name)}, next); err != nil {
				return err
			}
			msg := fmt.Sprintf("password changed for %s", name)
			return printUserResult(c, app, svc, name, msg, msg)
		},
	}
	c.Flags().BoolVar(&stdin, "password-stdin", false, "read the current and the new password from the first two lines of standard input (and the code from the third, if --code is not given)")
	c.Flags().StringVar(&code, "code", "", codeFlagUsage)
	return c
}
