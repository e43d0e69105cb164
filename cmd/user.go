package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/store"
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
		Args: exactArgs(0, "a subcommand"),
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(newUserAddCmd(app, nil), newUserListCmd(app), newUserShowCmd(app),
		newUserDeleteCmd(app), newUserPasswdCmd(app), newUserUnlockCmd(app), newUserImportCmd(app),
		newUserRenameCmd(app, nil))
	return c
}

// userView is the stable JSON form of a user (documented in docs/scripting.md).
type userView struct {
	Name              string     `json:"name"`
	TwoFactor         bool       `json:"two_factor"`
	TwoFactorSince    *time.Time `json:"two_factor_enabled_at"`
	BackupCodesLeft   int        `json:"backup_codes_left"`
	PendingEnrollment bool       `json:"pending_enrollment"`
	Locked            bool       `json:"locked"`
	LockedUntil       *time.Time `json:"locked_until"`
	Failures          int        `json:"failed_attempts"`
	CreatedAt         time.Time  `json:"created_at"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	LastLoginAt       *time.Time `json:"last_login_at"`
}

func viewOf(u *store.User, now time.Time) userView {
	st := account.StatusOf(u, now)
	v := userView{
		Name: u.Name, TwoFactor: st.Enabled, TwoFactorSince: st.EnabledAt,
		BackupCodesLeft: st.BackupLeft, PendingEnrollment: st.Pending,
		Failures: u.Failures, CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordAt,
	}
	if account.Locked(u, now) {
		t := u.LockedUntil
		v.Locked, v.LockedUntil = true, &t
	}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		v.LastLoginAt = &t
	}
	return v
}

// printUserResult prints what a command that changed a user prints: msg as
// text, or with -o json the user as "user show -o json" gives it.
func printUserResult(c *cobra.Command, app *App, svc *account.Service, name, msg string) error {
	if c == nil || !outputJSON(c) {
		_, err := fmt.Fprintln(app.IO.Out, msg)
		return err
	}
	u, err := svc.User(name)
	if err != nil {
		return err
	}
	return writeJSON(app.IO.Out, viewOf(u, app.Now()))
}

// print2FAResult is printUserResult for 2FA changes: with -o json, the
// object "2fa status -o json" gives.
func print2FAResult(c *cobra.Command, app *App, svc *account.Service, name, msg string) error {
	if !outputJSON(c) {
		_, err := fmt.Fprintln(app.IO.Out, msg)
		return err
	}
	u, err := svc.User(name)
	if err != nil {
		return err
	}
	return writeJSON(app.IO.Out, account.StatusOf(u, app.Now()))
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
