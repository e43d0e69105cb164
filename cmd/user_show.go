package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newUserShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one user: 2FA state, backup codes left, lock, dates",
		Long: `Show one user: whether 2FA is on and since when, backup codes left, a pending
enrollment, the failed-login counter and any lock with its remaining time,
and when the user was created, last changed the password and last logged in.
-o json gives the object documented in docs/scripting.md.`,
		Example: `  authctl user show alice
  authctl user show alice -o json`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			v, err := svc.View(args[0])
			if err != nil {
				return err
			}
			now := app.Now()
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, v), "")
			}
			w := new(strings.Builder)
			fmt.Fprintf(w, "name:              %s\n", v.Name)
			if v.TwoFactor {
				fmt.Fprintf(w, "2fa:               on since %s\n", stamp(*v.TwoFactorSince))
				fmt.Fprintf(w, "backup codes left: %d\n", v.BackupCodesLeft)
			} else {
				fmt.Fprintf(w, "2fa:               off\n")
			}
			if v.PendingEnrollment {
				fmt.Fprintf(w, "pending 2fa:       waiting for the first code\n")
			}
			if v.Locked {
				fmt.Fprintf(w, "locked:            yes, for %s (until %s)\n", v.LockedUntil.Sub(now).Round(time.Second), stamp(*v.LockedUntil))
			} else {
				fmt.Fprintf(w, "locked:            no\n")
			}
			fmt.Fprintf(w, "failed attempts:   %d\n", v.Failures)
			fmt.Fprintf(w, "created:           %s\n", stamp(v.CreatedAt))
			fmt.Fprintf(w, "password changed:  %s\n", stamp(v.PasswordChangedAt))
			if v.LastLoginAt != nil {
				fmt.Fprintf(w, "last login:        %s\n", stamp(*v.LastLoginAt))
			} else {
				fmt.Fprintf(w, "last login:        never\n")
			}
			_, err = io.WriteString(app.IO.Out, w.String())
			return errOutput(err, "")
		},
	}
}
