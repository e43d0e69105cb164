package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/apperr"
)

func newUserDeleteCmd(app *App) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use: "delete NAME",
		// No alias: a deletion is typed in full, so scripts say what they
		// do; "user rm" suggests this command instead.
		SuggestFor: []string{"remove", "rm", "del"},
		Short:      "Delete a user and everything stored for it",
		Long: `Delete a user, with its password hash, 2FA secret and backup codes. On a
terminal authctl asks for confirmation; scripts pass --yes.`,
		Example: `  authctl user delete alice
  authctl user delete ci-bot --yes`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			if !yes {
				if !app.IO.CanPrompt() {
					return apperr.New(apperr.Invalid, "refusing to delete %s without confirmation; pass --yes", name)
				}
				if err := svc.RequireUser(name); err != nil {
					return err
				}
				if err := confirm(app, fmt.Sprintf("Delete user %s and its 2FA secret and backup codes? [y/N] ", name)); err != nil {
					return err
				}
			}
			if err := svc.DeleteUser(name); err != nil {
				return err
			}
			done := fmt.Sprintf("user %s deleted", name)
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, map[string]any{"name": name, "deleted": true}), done)
			}
			_, err = fmt.Fprintln(app.IO.Out, done)
			return errOutput(err, done)
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

// confirm asks a yes/no question; anything but yes aborts with a conflict-free
// usage error so nothing changes.
func confirm(app *App, question string) error {
	ans, err := noInput(app.IO.Prompt(question))
	if err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "y", "yes":
		return nil
	}
	return apperr.New(apperr.Invalid, "not confirmed; nothing was changed")
}
