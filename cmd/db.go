package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/store/pg"
)

func newDBCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "db",
		Short: "Back up, check and copy the database",
		Long: `Database tools. The database is one bbolt file, by default
$XDG_DATA_HOME/authctl/authctl.db, or a PostgreSQL database that many hosts
share (--db postgres://...); 2FA secrets in it are encrypted with the key in the
key file, which is backed up separately. See docs/backup.md and docs/fleet.md.`,
		Example: `  authctl db backup /var/backups/authctl-$(date +%F).db
  authctl db check
  authctl db copy postgres://authctl@db1.example/authctl?sslmode=verify-full`,
	}
	c.AddCommand(newDBBackupCmd(app), newDBCheckCmd(app), newDBCopyCmd(app, nil))
	return c
}

func newDBBackupCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to FILE (mode 0600)",
		Long: `Write a consistent copy of the database while other authctl processes keep
working (a read transaction, so logins are not blocked). FILE must not exist;
it is written under a temporary name and renamed into place when complete.
The copy holds 2FA secrets only in encrypted form: back up the key file
separately (see docs/backup.md).

A database on PostgreSQL is backed up with the server's tools (pg_dump), not
with this command: see docs/fleet.md.`,
		Example: `  authctl db backup /var/backups/authctl-$(date +%F).db`,
		Args:    exactArgs(1, "one file name"),
		RunE: func(c *cobra.Command, args []string) error {
			dst := args[0]
			if cfg, err := app.Config(); err == nil && pg.IsURL(cfg.DB) {
				return apperr.New(apperr.Invalid, "the database is on PostgreSQL (%s): back it up with pg_dump, and the key file separately (see docs/fleet.md)", showDB(cfg.DB))
			}
			if _, err := os.Lstat(dst); err == nil {
				return apperr.New(apperr.Conflict, "%s already exists; choose a new file name", dst)
			}
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			tmp, err := os.CreateTemp(filepath.Dir(dst), ".authctl-backup-*")
			if err != nil {
				return apperr.Wrap(apperr.Env, err, "creating backup file")
			}
			defer os.Remove(tmp.Name())
			if err := tmp.Chmod(0o600); err != nil {
				tmp.Close()
				return apperr.Wrap(apperr.Env, err, "creating backup file")
			}
			n, err := svc.Backup(tmp)
			if err == nil {
				err = tmp.Sync()
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return apperr.Wrap(apperr.KindOf(err), err, "writing backup")
			}
			if err := os.Link(tmp.Name(), dst); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return apperr.New(apperr.Conflict, "%s already exists; choose a new file name", dst)
				}
				return apperr.Wrap(apperr.Env, err, "writing backup")
			}
			msg := fmt.Sprintf("backup written to %s (%d bytes)", dst, n)
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, map[string]any{"file": dst, "bytes": n}), msg)
			}
			_, err = fmt.Fprintln(app.IO.Out, msg)
			return errOutput(err, msg)
		},
	}
}

func newDBCheckCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check the database's consistency and every record",
		Long: `Run bbolt's page-level consistency check (on PostgreSQL, the server keeps its
own pages), decode every user record and audit entry, check that the key file matches the database, and decrypt every sealed
2FA secret (enabled or pending enrollment) with it, as a login would. A secret
altered in the file, copied from another user or sealed under another key is
reported with the user's name. Exit 0 when all is well; exit 4 with each
problem on its own line when not.

The 2FA secrets can only be checked with the key file. When the database holds
some and the key file is missing or is another key, that is a problem (exit 4)
whose message says how many users' secrets went unchecked: to check a backup,
pass the key that was current when it was made with --key-file.

A user whose secret does not decrypt cannot log in with a TOTP code (backup
codes still work): after making sure who they are, reset their 2FA with
"authctl 2fa reset NAME" and have them enroll again.`,
		Example: `  authctl db check
  authctl db check --db /var/backups/authctl-2026-11-24.db`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			users, problems, err := svc.Check()
			if err != nil {
				return err
			}
			// The problems go to stderr even when the JSON cannot be
			// written: they matter more than the lost output.
			var werr error
			if outputJSON(c) {
				list := make([]string, len(problems))
				for i, p := range problems {
					list[i] = p.Error()
				}
				werr = writeJSON(app.IO.Out, map[string]any{"ok": len(problems) == 0, "users": users, "problems": list})
			}
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintf(app.IO.Err, "authctl: problem: %v\n", p)
				}
				return apperr.New(apperr.Env, "database check found %d problem(s)", len(problems))
			}
			if !outputJSON(c) {
				_, werr = fmt.Fprintf(app.IO.Out, "database ok: %d %s\n", users, plural(users, "user", "users"))
			}
			return errOutput(werr, "")
		},
	}
}
