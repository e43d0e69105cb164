package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUserUnlockCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock NAME",
		Short: "Clear a user's failed-login counter and lock",
		Long: `Clear the failed-login counter and the lock that throttling put on an account,
so the user can log in again at once. Recorded in the audit trail.`,
		Example: `  authctl user unlock alice`,
		Args:    exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			was, err := svc.Unlock(args[0])
			if err != nil {
				return err
			}
			done := fmt.Sprintf("user %s unlocked", args[0])
			msg := done
			if !was {
				done = fmt.Sprintf("failed-login counter cleared for %s", args[0])
				msg = fmt.Sprintf("user %s was not locked; failed-login counter cleared", args[0])
			}
			return printUserResult(c, app, svc, args[0], done, msg)
		},
	}
}
