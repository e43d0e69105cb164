package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

type userAddOptions struct {
	App           *App
	Name          string
	PasswordStdin bool
	cmd           *cobra.Command
}

func newUserAddCmd(app *App, runF func(*userAddOptions) error) *cobra.Command {
	opts := &userAddOptions{App: app}
	c := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user with a password",
		Long: `Add a user. The password is asked twice without echo, or read from the first
line of standard input with --password-stdin.

Names are PRECIS user names (RFC 8265) of at most 64 bytes: letters, digits
and punctuation of any script, without spaces, symbols or invisible
characters; they are stored normalised (NFC, fullwidth letters folded), so
one name has one spelling. Passwords are at least 8 characters and at most
1024 bytes of printable Unicode (spaces allowed, no composition rules),
stored only as an argon2id hash. The database is created on first use.`,
		Example: `  authctl user add alice
  printf '%s\n' "$PASSWORD" | authctl user add ci-bot --password-stdin`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name, opts.cmd = args[0], c
			if runF != nil {
				return runF(opts)
			}
			return runUserAdd(opts)
		},
	}
	c.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return c
}

func runUserAdd(o *userAddOptions) error {
	if err := account.CheckName(o.Name); err != nil {
		return err
	}
	pws, err := o.App.passwords(o.PasswordStdin)
	if err != nil {
		return err
	}
	svc, err := o.App.Service(true)
	if err != nil {
		return err
	}
	// Say so before asking for a password that would be thrown away.
	if exists, err := svc.Exists(o.Name); err == nil && exists {
		return apperr.New(apperr.Conflict, "user %s already exists", o.Name)
	}
	pw, err := pws.newPassword(fmt.Sprintf("New password for %s: ", o.Name), o.Name, "authctl")
	if err != nil {
		return err
	}
	if err := svc.AddUser(o.Name, pw); err != nil {
		return err
	}
	msg := fmt.Sprintf("user %s added", o.Name)
	return printUserResult(o.cmd, o.App, svc, o.Name, msg, msg)
}
