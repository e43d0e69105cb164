package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newKeyCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "key",
		Short: "Manage the key that encrypts 2FA secrets",
		Long: `TOTP secrets are encrypted in the database with AES-256-GCM under a key kept in
a separate file (--key-file, default $XDG_CONFIG_HOME/authctl/key), created
with mode 0600 when the first user enables 2FA. A copy of the database alone
reveals no secret. See docs/security.md.`,
		Example: `  authctl key rotate`,
	}
	c.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every 2FA secret under a new key",
		Long: `Generate a new key, re-encrypt every 2FA secret in one transaction and replace
the key file. The new key is written beside the old one (KEYFILE.new) before
the database commits and renamed over it after, so an interruption at any
point loses nothing: the next run picks up the right key. Back up the new key
file afterwards.`,
		Example: `  authctl key rotate
  authctl key rotate --key-file /etc/authctl/key`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			n, err := svc.RotateKey()
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("key rotated; %d %s re-encrypted", n, plural(n, "secret", "secrets"))
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, map[string]int{"secrets_reencrypted": n}), msg)
			}
			_, err = fmt.Fprintln(app.IO.Out, msg)
			return errOutput(err, msg)
		},
	})
	return c
}
