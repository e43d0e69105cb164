package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
)

func newUserCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "user",
		Short: "Add, list, show, rename, delete and unlock users; change passwords",
		Long: `Manage user accounts. Names are PRECIS user names (RFC 8265): letters,
digits and punctuation of any script, no spaces, symbols or invisible
characters, at most 64 bytes, stored in normalised form (an accent typed
composed or decomposed is one name). Passwords are stored only as argon2id
hashes.`,
		Example: `  authctl user add alice
  authctl user list
  authctl user show alice -o json
  authctl user passwd alice
  authctl user rename alice alice.smith
  authctl user unlock alice
  authctl user delete alice
  authctl user import users.csv`,
	}
	c.AddCommand(newUserAddCmd(app, nil), newUserListCmd(app), newUserShowCmd(app),
		newUserDeleteCmd(app), newUserPasswdCmd(app), newUserUnlockCmd(app), newUserImportCmd(app),
		newUserRenameCmd(app, nil))
	return c
}

// printUserResult prints what a command that changed a user prints: msg as
// text, or with -o json the user as "user show -o json" gives it. done says
// what changed, for the error when the output cannot be written.
func printUserResult(c *cobra.Command, app *App, svc *account.Service, name, done, msg string) error {
	if c == nil || !outputJSON(c) {
		_, err := fmt.Fprintln(app.IO.Out, msg)
		return errOutput(err, done)
	}
	v, err := svc.View(name)
	if err != nil {
		return err
	}
	return errOutput(writeJSON(app.IO.Out, v), done)
}

// print2FAResult is printUserResult for 2FA changes: with -o json, the
// object "2fa status -o json" gives.
func print2FAResult(c *cobra.Command, app *App, svc *account.Service, name, done, msg string) error {
	if !outputJSON(c) {
		_, err := fmt.Fprintln(app.IO.Out, msg)
		return errOutput(err, done)
	}
	st, err := svc.Status(name)
	if err != nil {
		return err
	}
	return errOutput(writeJSON(app.IO.Out, st), done)
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
