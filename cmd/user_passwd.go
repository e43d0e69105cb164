package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserPasswdCmd(app *App) *cobra.Command {
	var stdin bool
	c := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Change a user's password",
		Long: `Change a user's password: the current password first, then the new one twice.
With --password-stdin the first line of standard input is the current password
and the second the new one.`,
		Example: `  authctl user passwd alice
  printf '%s\n%s\n' "$OLD" "$NEW" | authctl user passwd alice --password-stdin`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			pws, err := app.passwords(stdin)
			if err != nil {
				return err
			}
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			if _, err := svc.User(name); err != nil {
				return err
			}
			cur, err := pws.get(fmt.Sprintf("Current password for %s: ", name))
			if err != nil {
				return err
			}
			next, err := pws.newPassword(fmt.Sprintf("New password for %s: ", name))
			if err != nil {
				return err
			}
			if err := svc.ChangePassword(name, cur, next); err != nil {
				return err
			}
			return printUserResult(c, app, svc, name, fmt.Sprintf("password changed for %s", name))
		},
	}
	c.Flags().BoolVar(&stdin, "password-stdin", false, "read the current and the new password from the first two lines of standard input")
	return c
}
