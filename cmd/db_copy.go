package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

type dbCopyOptions struct {
	App  *App
	Dest string
	cmd  *cobra.Command
}

func newDBCopyCmd(app *App, runF func(*dbCopyOptions) error) *cobra.Command {
	opts := &dbCopyOptions{App: app}
	return &cobra.Command{
		Use:   "copy DEST",
		Short: "Copy the whole database to another file or PostgreSQL database",
		Long: `Copy everything in the database authctl is configured with (--db) to DEST, a
file or a postgres:// URL: every user with its password hash, sealed 2FA secret,
backup codes and failed-login count, the key fingerprint, and the audit trail
with its times and order. It is how a site moves from a file to a PostgreSQL
server that many hosts share, and back (see docs/fleet.md).

DEST must hold no users: a new file, or a database without authctl's tables
(they are created) or with them and no users; otherwise nothing is copied (exit
3). The source is read in one transaction, so the copy is of one moment: run
it while nothing else writes (logins on a source file wait for the copy, and
give up after --lock-timeout). DEST is written in batches of 500, each in its
own transaction; if the copy stops half way, empty DEST (or use a new one) and
copy again.

Nothing is decrypted: the 2FA secrets stay sealed with the key file, which
every host that uses DEST needs (mode 0600).`,
		Example: `  authctl db copy 'postgres://authctl@db1.example/authctl?sslmode=verify-full'
  authctl --db 'postgres:///authctl?host=/run/postgresql' db copy /var/lib/authctl/authctl.db`,
		Args: exactArgs(1, "one destination: a file or a postgres:// URL"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Dest, opts.cmd = args[0], c
			if runF != nil {
				return runF(opts)
			}
			return runDBCopy(opts)
		},
	}
}

func runDBCopy(o *dbCopyOptions) error {
	cfg, err := o.App.Config()
	if err != nil {
		return err
	}
	if sameDB(cfg.DB, o.Dest) {
		return apperr.New(apperr.Invalid, "%s is the database to copy from; give another destination", showDB(o.Dest))
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	dst := o.App.openStore(o.Dest, cfg.LockTimeout, true)
	io := o.App.IO
	var progress func(users, entries int)
	if io.ErrTTY {
		progress = func(users, entries int) {
			fmt.Fprintf(io.Err, "\rcopying: %d users, %d audit entries", users, entries)
		}
	}
	res, err := account.Copy(svc.Store, dst, progress)
	if progress != nil {
		fmt.Fprintln(io.Err)
	}
	if err != nil {
		if res.Users+res.Entries > 0 {
			return apperr.Wrap(apperr.KindOf(err), err, fmt.Sprintf("the copy stopped after %d users and %d audit entries, and %s holds that part: empty it before copying again", res.Users, res.Entries, showDB(o.Dest)))
		}
		return err
	}
	done := fmt.Sprintf("copied %d %s and %d audit %s to %s", res.Users, plural(res.Users, "user", "users"), res.Entries, plural(res.Entries, "entry", "entries"), showDB(o.Dest))
	if outputJSON(o.cmd) {
		return errOutput(writeJSON(io.Out, map[string]any{"dest": showDB(o.Dest), "users": res.Users, "audit_entries": res.Entries, "key_id": res.KeyID}), done)
	}
	if _, err := fmt.Fprintln(io.Out, done); err != nil {
		return errOutput(err, done)
	}
	if res.KeyID != "" {
		_, err := fmt.Fprintf(io.Out, "the 2fa secrets are still sealed with the key file (key %s): every host that uses the copy needs it\n", res.KeyID)
		return errOutput(err, done)
	}
	return nil
}
