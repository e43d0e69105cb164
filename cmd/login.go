package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

type loginOptions struct {
	App           *App
	Name          string
	PasswordStdin bool
	Code          string
	JSON          bool
}

func newLoginCmd(app *App, runF func(*loginOptions) error) *cobra.Command {
	opts := &loginOptions{App: app}
	c := &cobra.Command{
		Use:   "login NAME",
		Short: "Check a user's password and, with 2FA on, a one-time code",
		Long: `Check a login. authctl asks for the password and, when the user has 2FA on,
for the 6-digit code from the authenticator app or one of the backup codes.
A backup code works once; the output says how many are left.

Scripts give the password as the first line of standard input with
--password-stdin, and the code with --code or as the second line.

Prints "login ok" and exits 0, or prints why it failed and exits 1. An unknown
user and a wrong password give the same message. Repeated failures lock the
account for a growing delay.`,
		Example: `  authctl login alice
  printf '%s\n' "$PASSWORD" | authctl login alice --password-stdin --code "$(oathtool --totp -b "$SECRET")"
  printf '%s\n%s\n' "$PASSWORD" "$CODE" | authctl login alice --password-stdin -o json`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.JSON = outputJSON(c)
			if runF != nil {
				return runF(opts)
			}
			return runLogin(opts)
		},
	}
	c.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input (and the code from the second, if --code is not given)")
	c.Flags().StringVar(&opts.Code, "code", "", "one-time code: 6 digits from the authenticator app, or a backup code")
	return c
}

// loginResult is the stable JSON form of a successful login.
type loginResult struct {
	User            string `json:"user"`
	OK              bool   `json:"ok"`
	Factor          string `json:"factor"`
	BackupCodesLeft *int   `json:"backup_codes_left,omitempty"`
}

func runLogin(o *loginOptions) error {
	io := o.App.IO
	if err := checkCodeFlag(o.Code); err != nil {
		return err
	}
	pws, err := o.App.passwords(o.PasswordStdin)
	if err != nil {
		return err
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	pw, err := pws.get("Password: ")
	if err != nil {
		return err
	}
	res, err := svc.Login(account.LoginRequest{Name: o.Name, Password: pw, Code: o.Code, AskCode: pws.codeAsker(o.Name)})
	if err != nil {
		return err
	}
	// The login counted (a code is used up) even when it cannot be shown.
	done := "login ok for " + o.Name
	if res.Factor == account.FactorBackup {
		done = fmt.Sprintf("login ok for %s with a backup code (%d left)", o.Name, res.BackupLeft)
	}
	if o.JSON {
		out := loginResult{User: o.Name, OK: true, Factor: res.Factor}
		if res.TwoFactor {
			out.BackupCodesLeft = &res.BackupLeft
		}
		err = writeJSON(io.Out, out)
	} else if res.Factor == account.FactorBackup {
		_, err = fmt.Fprintf(io.Out, "login ok (backup code used; %d left)\n", res.BackupLeft)
	} else {
		_, err = fmt.Fprintln(io.Out, "login ok")
	}
	if err != nil {
		return errOutput(err, done)
	}
	if res.Factor == account.FactorBackup && res.BackupLeft <= 2 {
		fmt.Fprintf(io.Err, "authctl: warning: only %d backup codes left; %s\n", res.BackupLeft, hintText(apperr.HintRegen, o.Name))
	}
	return nil
}
