package cmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
)

type userRenameOptions struct {
	App      *App
	Old, New string
	cmd      *cobra.Command
}

func newUserRenameCmd(app *App, runF func(*userRenameOptions) error) *cobra.Command {
	opts := &userRenameOptions{App: app}
	c := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Give a user a new name, keeping its password and 2FA",
		Long: `Give a user a new name. The password, the 2FA secret, a pending enrollment,
the backup codes and the failed-login counter stay as they are; the TOTP secret
is sealed again for the new name. An admin command: no password is asked.
Recorded in the audit trail as user.rename.

NEW follows the rules for user names and is stored in its normalised form
(PRECIS, RFC 8265); it must be free. OLD is looked up exactly as typed, then in
its normalised form: this is how to move a user created before names were
normalised (a name with an invisible character, fullwidth letters or
decomposed accents), typed as stored, to a valid name.

Authenticator apps keep showing the old account name until the user enrolls
again; their codes keep working.`,
		Example: `  authctl user rename alice alice.smith
  authctl user rename bob robert -o json`,
		Args: exactArgs(2, "the current and the new user name"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Old, opts.New, opts.cmd = args[0], args[1], c
			if runF != nil {
				return runF(opts)
			}
			return runUserRename(opts)
		},
	}
	return c
}

func runUserRename(o *userRenameOptions) error {
	// A bad new name is a usage error before the database is opened.
	if err := account.CheckName(o.New); err != nil {
		return err
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	name, err := svc.RenameUser(o.Old, o.New)
	if err != nil {
		return err
	}
	// OLD as typed, escaped when it is not a name in normal form (a legacy
	// name may hold an invisible character).
	old := o.Old
	if n, err := account.NormalizeName(old); err != nil || n != old {
		old = strconv.QuoteToASCII(old)
	}
	msg := fmt.Sprintf("user %s renamed to %s", old, name)
	return printUserResult(o.cmd, o.App, svc, name, msg, msg)
}
