package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/term"
)

type enableOptions struct {
	App           *App
	Name          string
	PasswordStdin bool
	Begin         bool
	Confirm       string
	QRMode        string
	QRPNG         string
	JSON          bool
}

// codeTries is how many codes a person may type at enrollment.
const codeTries = 3

func newEnableCmd(app *App, runF func(*enableOptions) error) *cobra.Command {
	opts := &enableOptions{App: app}
	c := &cobra.Command{
		Use:   "enable NAME",
		Short: "Enroll an authenticator app: password, QR code, first code, backup codes",
		Long: `Turn on two-factor authentication for a user.

On a terminal: authctl asks for the user's password, draws a QR code to scan
with an authenticator app (Google Authenticator, Authy, 1Password, Microsoft
Authenticator, LastPass...) and shows the secret for manual entry, then asks
for the 6-digit code the app shows. Only a correct code turns 2FA on (three
tries). Then it prints 8 single-use backup codes, once: store them safely.

For scripts and provisioning, enrollment takes two steps:

    --begin          stores a pending enrollment (valid 10 minutes; a new
                     begin replaces it) and prints the secret and the
                     otpauth URI;
    --confirm CODE   checks a code against the pending secret, turns 2FA on
                     and prints the backup codes.

--qr-png writes the QR code as a PNG file (mode 0600) for terminals that
cannot show it. --qr-mode picks how the code is drawn: "half" (default, for
light text on a dark background), "half-invert" (dark text on a light
background) or "ansi" (coloured cells, larger, right on any theme).`,
		Example: `  authctl 2fa enable alice
  authctl 2fa enable alice --qr-mode half-invert
  printf '%s\n' "$PASSWORD" | authctl 2fa enable alice --password-stdin --begin -o json
  printf '%s\n' "$PASSWORD" | authctl 2fa enable alice --password-stdin --confirm 123456`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.JSON = outputJSON(c)
			opts.Begin, _ = c.Flags().GetBool("begin")
			if runF != nil {
				return runF(opts)
			}
			return runEnable(opts)
		},
	}
	f := c.Flags()
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.Bool("begin", false, "start a pending enrollment and print the secret and otpauth URI")
	f.StringVar(&opts.Confirm, "confirm", "", "finish a pending enrollment with the first `CODE` from the app")
	f.StringVar(&opts.QRMode, "qr-mode", term.QRHalf, "how to draw the QR code: half, half-invert or ansi")
	f.StringVar(&opts.QRPNG, "qr-png", "", "also write the QR code as a PNG to `FILE`")
	c.MarkFlagsMutuallyExclusive("begin", "confirm")
	return c
}

// enrollmentJSON is the stable JSON form of --begin.
type enrollmentJSON struct {
	Secret    string    `json:"secret"`
	URI       string    `json:"uri"`
	ExpiresAt time.Time `json:"expires_at"`
}

func runEnable(o *enableOptions) error {
	io := o.App.IO
	if err := term.CheckQRMode(o.QRMode); err != nil {
		return apperr.New(apperr.Invalid, "%v", err)
	}
	if o.Confirm != "" {
		if _, err := otp.ParseCode(o.Confirm); err != nil {
			return apperr.New(apperr.Invalid, "invalid --confirm code: %v", err)
		}
	}
	interactive := !o.Begin && o.Confirm == ""
	if interactive && !io.CanPrompt() {
		return apperr.New(apperr.Invalid, "2fa enable needs a terminal to show the QR code and ask for a code; in scripts use --begin, then --confirm CODE")
	}
	pws, err := o.App.passwords(o.PasswordStdin)
	if err != nil {
		return err
	}
	if o.QRPNG != "" && o.Confirm == "" {
		// The PNG is written after the enrollment is stored; a file that
		// cannot be written must fail the command before that, or it would
		// leave (and replace an earlier) pending secret nobody saw.
		if err := checkWritable(o.QRPNG); err != nil {
			return apperr.Wrap(apperr.Env, err, "writing QR code PNG")
		}
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	if err := svc.Require2FA(o.Name, false); err != nil {
		return err
	}
	pw, err := pws.get(fmt.Sprintf("Password for %s: ", o.Name))
	if err != nil {
		return err
	}
	if o.Confirm != "" {
		codes, err := svc.ConfirmEnroll(o.Name, pw, o.Confirm)
		if err != nil {
			return err
		}
		if !o.JSON {
			fmt.Fprintf(io.Err, "Two-factor authentication is on for %s.\n", o.Name)
		}
		return printBackupCodes(o.App, o.JSON, o.Name, enabledDone(o.Name), codes)
	}
	en, err := svc.BeginEnroll(o.Name, pw)
	if err != nil {
		return err
	}
	if o.QRPNG != "" {
		if err := term.WriteQRPNG(o.QRPNG, otp.QRURI(en.Key.URI)); err != nil {
			return apperr.Wrap(apperr.Env, err, "writing QR code PNG")
		}
	}
	if o.Begin {
		return printEnrollment(o, en)
	}
	showEnrollment(o, en)
	err = confirmLoop(o, svc, pw)
	if err != nil {
		// Leave nothing half-done (Ctrl-C, end of input, three wrong codes):
		// the secret just shown is forgotten.
		if cerr := svc.CancelEnroll(o.Name, en); cerr != nil {
			return cerr
		}
	}
	return err
}

// checkWritable opens path for writing without changing it, and removes
// it again if it did not exist.
func checkWritable(path string) error {
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if errors.Is(statErr, fs.ErrNotExist) {
		return os.Remove(path)
	}
	return nil
}

func printEnrollment(o *enableOptions, en account.Enrollment) error {
	io := o.App.IO
	if io.ErrTTY {
		_ = term.DrawQR(io.Err, otp.QRURI(en.Key.URI), o.QRMode)
	}
	// Nothing is lost when the secret cannot be shown: begin again.
	done := fmt.Sprintf("enrollment begun for %s", o.Name)
	if o.JSON {
		return errOutputHint(writeJSON(io.Out, enrollmentJSON{Secret: en.Key.Secret, URI: en.Key.URI, ExpiresAt: en.ExpiresAt}), done, apperr.HintPendingExpired, o.Name)
	}
	if _, err := fmt.Fprintf(io.Out, "secret:  %s\nuri:     %s\nexpires: %s\n", en.Key.Secret, en.Key.URI, en.ExpiresAt.Format(time.RFC3339)); err != nil {
		return errOutputHint(err, done, apperr.HintPendingExpired, o.Name)
	}
	fmt.Fprintf(io.Err, "Add the secret to the authenticator app, then finish with:\n  authctl 2fa enable %s --confirm CODE\n", o.Name)
	return nil
}

// showEnrollment draws the QR code and the manual-entry details on stderr.
//
// The details come first and the QR code last, right above the prompt for
// the first code: on an 80x24 terminal the 23 rows of the code and the
// prompt fill the screen, so the whole code stays in view while the user
// scans it and types the code.
func showEnrollment(o *enableOptions, en account.Enrollment) {
	w := o.App.IO.Err
	fmt.Fprintf(w, "\nCan't scan the QR code below? Enter these details by hand:\n")
	fmt.Fprintf(w, "  issuer:  %s\n  account: %s\n  key:     %s\n  type:    time-based, 6 digits, SHA1, 30 s\n",
		en.Issuer, en.Account, otp.GroupSecret(en.Key.Secret))
	if o.QRPNG != "" {
		fmt.Fprintf(w, "The QR code is also in %s; delete it once scanned.\n", o.QRPNG)
	}
	fmt.Fprintf(w, "\nScan this QR code with your authenticator app:\n\n")
	_ = term.DrawQR(w, otp.QRURI(en.Key.URI), o.QRMode)
}

func confirmLoop(o *enableOptions, svc *account.Service, pw string) error {
	io := o.App.IO
	for try := 1; ; try++ {
		code, err := noInput(io.Prompt("Enter the 6-digit code from the app: "))
		if err != nil {
			return err
		}
		codes, err := svc.ConfirmEnroll(o.Name, pw, code)
		if err == nil {
			if !o.JSON {
				fmt.Fprintf(io.Err, "\nTwo-factor authentication is on for %s.\n", o.Name)
			}
			return printBackupCodes(o.App, o.JSON, o.Name, enabledDone(o.Name), codes)
		}
		k := apperr.KindOf(err)
		if (k != apperr.Denied && k != apperr.Invalid) || try == codeTries {
			if k == apperr.Denied || k == apperr.Invalid {
				return apperr.New(k, "%v; 2fa was not enabled (run \"authctl 2fa enable %s\" again)", err, o.Name)
			}
			return err
		}
		fmt.Fprintf(io.Err, "%v. Try again (%d left).\n", err, codeTries-try)
	}
}
