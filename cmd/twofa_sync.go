package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

// syncResult is the stable JSON form of a resync.
type syncResult struct {
	User          string `json:"user"`
	OffsetSteps   int64  `json:"offset_steps"`
	OffsetSeconds int64  `json:"offset_seconds"`
}

func newSyncCmd(app *App) *cobra.Command {
	var stdin bool
	var codes []string
	c := &cobra.Command{
		Use:   "sync NAME",
		Short: "Resynchronise an authenticator whose clock is off (password and two codes)",
		Long: `Resynchronise a device whose clock is off, as FreeIPA's otptoken-sync does:
after the user's password, enter two codes from the app, one after the other
(wait for the code to change). authctl looks for them within 15 minutes either
side of its own time and stores how far off the device is; later codes are
checked around that offset (one step either side). Both codes are then used.
Recorded in the audit trail with the offset.

A login or enrollment code that is wrong but matches such a drifting clock
already says how far off the device is. Setting the phone to automatic time is
the better fix; use this when that is not possible (a hardware token, a
device without network time).

Scripts give the password as the first line of standard input with
--password-stdin, and the codes with --code twice or as the next two lines.`,
		Example: `  authctl 2fa sync alice
  printf '%s\n' "$PASSWORD" | authctl 2fa sync alice --password-stdin --code 123456 --code 654321`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if len(codes) != 0 && len(codes) != 2 {
				return apperr.New(apperr.Invalid, "give --code twice: two codes in a row from the app")
			}
			for _, code := range codes {
				if err := checkCodeFlag(code); err != nil {
					return err
				}
			}
			svc, pws, pw, err := app.passwordFor2FA(stdin, name)
			if err != nil {
				return err
			}
			if len(codes) == 0 {
				first, err := pws.code(name, "Code from your authenticator app: ")
				if err != nil {
					return err
				}
				next, err := pws.code(name, "Wait for the code to change, then enter the next one: ")
				if err != nil {
					return err
				}
				codes = []string{first, next}
			}
			res, err := svc.Sync(name, account.Proof{Password: pw}, codes[0], codes[1])
			if err != nil {
				return err
			}
			done := "2fa synchronised for " + name
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, syncResult{User: name, OffsetSteps: res.Steps, OffsetSeconds: int64(res.Offset.Seconds())}), done)
			}
			switch {
			case res.Steps == 0:
				_, err = fmt.Fprintf(app.IO.Out, "2fa synchronised for %s: the device's clock is right\n", name)
			default:
				_, err = fmt.Fprintf(app.IO.Out, "2fa synchronised for %s: the device's clock is %s %s; its codes are accepted from now on\n",
					name, absDuration(res.Offset), map[bool]string{true: "ahead", false: "behind"}[res.Steps > 0])
			}
			return errOutput(err, done)
		},
	}
	c.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input (and the codes from the next two, if --code is not given)")
	c.Flags().StringArrayVar(&codes, "code", nil, "a code from the app; give it twice, two codes in a row")
	return c
}
