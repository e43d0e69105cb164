package cmd

import (
	"errors"
	"fmt"
	goio "io" // io is the command's streams below
	"io/fs"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/fsutil"
	"github.com/authctl/authctl/internal/migrate"
	"github.com/authctl/authctl/internal/term"
)

type twofaImportOptions struct {
	App               *App
	Name              string
	File              string
	Format            string
	Serial            string
	Replace           bool
	AllowShortSecrets bool
	JSON              bool
}

// twofaImportFormats are the valid --format values.
var twofaImportFormats = append([]string{"auto"}, migrate.Formats...)

func newTwoFAImportCmd(app *App, runF func(*twofaImportOptions) error) *cobra.Command {
	opts := &twofaImportOptions{App: app}
	c := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Admin: turn 2FA on with a secret the user's phone already has (no re-enrollment)",
		Long: `Turn 2FA on for an existing user with a TOTP secret brought from another
system, so the user keeps the authenticator entry they have and nobody scans a
new QR code. FILE ("-" reads standard input) is one of:

    google-authenticator  a google-authenticator-libpam file
                          (~/.google_authenticator): the secret, its options
                          (STEP_SIZE is kept) and its 8-digit scratch codes,
                          which become the user's backup codes
    otpauth               an otpauth://totp/ URI, as apps export and QR codes
                          carry, with its digits (6 or 8), period (10 to 300
                          seconds) and algorithm (SHA1, SHA256 or SHA512)
    pskc                  a PSKC key container (RFC 6030) with plain values,
                          as token vendors and FreeIPA use; --serial picks
                          one key of a file that holds several

At a terminal, "-" asks for an otpauth URI to paste, without echo, so that
the secret lands in no file, no shell history and no scrollback.

The format is detected from the content unless --format says it. Counter-based
(HOTP) keys and encrypted PSKC files are refused. FILE must be a regular file
of at most 1 MiB.

The secret is checked (base32, at least 80 bits, or 40 with
--allow-short-secrets; a warning under 128) and sealed with the key file like
an enrolled one. A user whose 2FA is already on is refused unless --replace.
This is an admin command, like "2fa reset": no user password is asked, and it
is recorded in the audit trail as 2fa.import. The secret is never printed.

Scratch codes become single-use backup codes that log in like the user's
other backup codes; they are 8 digits, weaker than authctl's own, so
regenerate them ("authctl 2fa codes regen NAME") once the user has logged in.
See docs/migrating.md.`,
		Example: `  authctl 2fa import alice /home/alice/.google_authenticator
  authctl 2fa import bob bob-otpauth.txt --format otpauth
  authctl 2fa import carol tokens.pskc --serial 1000133508267
  printf '%s\n' "$OTPAUTH_URI" | authctl 2fa import dave - --replace -o json`,
		Args: exactArgs(2, "a user name and a file (or - for standard input)"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name, opts.File = args[0], args[1]
			opts.JSON = outputJSON(c)
			if runF != nil {
				return runF(opts)
			}
			return runTwoFAImport(opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Format, "format", "auto", "file format: auto, "+strings.Join(migrate.Formats, ", "))
	f.StringVar(&opts.Serial, "serial", "", "pick the key of the device with this `SERIAL` number in a PSKC file")
	f.BoolVar(&opts.Replace, "replace", false, "replace the secret of a user whose 2FA is already on")
	f.BoolVar(&opts.AllowShortSecrets, "allow-short-secrets", false, "accept a secret shorter than 80 bits (down to 40), with a warning")
	return c
}

// twofaImportJSON is the stable JSON form of an import. It never holds the
// secret.
type twofaImportJSON struct {
	User        string   `json:"user"`
	Format      string   `json:"format"`
	Digits      int      `json:"digits"`
	Period      int      `json:"period"`
	Algorithm   string   `json:"algorithm"`
	Serial      string   `json:"serial,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`  // as the file names them, to check
	Account     string   `json:"account,omitempty"` // it was the right user's file
	BackupCodes int      `json:"backup_codes"`
	Warnings    []string `json:"warnings"`
}

func runTwoFAImport(o *twofaImportOptions) error {
	if !slices.Contains(twofaImportFormats, o.Format) {
		return apperr.New(apperr.Invalid, "unknown --format %q (use %s)", o.Format, strings.Join(twofaImportFormats, ", "))
	}
	if o.Serial != "" && o.Format != "auto" && o.Format != migrate.PSKC {
		return apperr.New(apperr.Invalid, "--serial picks a key of a PSKC file; %s files hold one key", o.Format)
	}
	data, err := o.read()
	if err != nil {
		return err
	}
	format := o.Format
	if format == "auto" {
		if format, err = migrate.Detect(data); err != nil {
			return apperr.New(apperr.Invalid, "%s: %v; pass --format %s", o.source(), err, strings.Join(migrate.Formats, ", "))
		}
	}
	tok, warns, err := migrate.Parse(data, format, o.Serial, o.AllowShortSecrets)
	if err != nil {
		return o.parseErr(err)
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	n, err := svc.ImportTOTP(o.Name, account.ImportedTOTP{
		Secret: tok.Secret, Digits: tok.Digits, Period: tok.Period, Algorithm: tok.Algorithm,
		Scratch: tok.Scratch, Source: format, AllowShort: o.AllowShortSecrets, Offset: int64(tok.Drift),
	}, o.Replace)
	if errors.Is(err, account.ErrTwoFactorOn) {
		return apperr.New(apperr.Conflict, "%v; pass --replace to replace its secret", err)
	}
	if err != nil {
		return err
	}
	io := o.App.IO
	for _, w := range warns {
		fmt.Fprintf(io.Err, "authctl: warning: %s\n", w)
	}
	done := fmt.Sprintf("2fa imported for %s from %s", o.Name, format)
	if o.JSON {
		return errOutput(writeJSON(io.Out, twofaImportJSON{User: o.Name, Format: format, Digits: tok.Digits, Period: tok.Period,
			Algorithm: tok.Algorithm, Serial: tok.Serial, Issuer: tok.Issuer, Account: tok.Account, BackupCodes: n, Warnings: append([]string{}, warns...)}), done)
	}
	regen := fmt.Sprintf("\"authctl 2fa codes regen %s\"", o.Name)
	if n > 0 {
		_, err = fmt.Fprintf(io.Out, "2fa imported for %s from %s (%d scratch %s as backup codes; regenerate them with %s for stronger ones)\n",
			o.Name, format, n, plural(n, "code", "codes"), regen)
	} else {
		_, err = fmt.Fprintf(io.Out, "2fa imported for %s from %s (no backup codes; the user can make a set with %s)\n", o.Name, format, regen)
	}
	return errOutput(err, done)
}

// read returns FILE's content: a regular file of at most migrate.MaxFile
// bytes, or standard input up to the same size.
func (o *twofaImportOptions) read() ([]byte, error) {
	io := o.App.IO
	if o.File != "-" {
		data, err := fsutil.ReadFile(o.File, migrate.MaxFile)
		if err != nil {
			var fe *fsutil.Error
			var pe *fs.PathError
			switch {
			case errors.As(err, &fe):
				return nil, apperr.New(apperr.Invalid, "2fa import file %v", fe)
			case errors.As(err, &pe) && pe.Op == "open":
				return nil, apperr.Wrap(apperr.Invalid, err, "cannot read the 2fa import file")
			}
			return nil, apperr.New(apperr.Invalid, "%s: %v", o.File, err)
		}
		return data, nil
	}
	if io.CanPrompt() {
		// A person pastes a URI: one line, not echoed, so that the secret is
		// in no file, no shell history and no scrollback.
		s, err := io.Password("Paste the otpauth URI (it is not shown): ")
		switch {
		case err == term.ErrNoInput:
			return nil, apperr.New(apperr.Invalid, "no otpauth URI was pasted; nothing was changed")
		case err != nil:
			return nil, err
		}
		return []byte(s), nil
	}
	data, err := goio.ReadAll(goio.LimitReader(io.In, migrate.MaxFile+1))
	switch {
	case err != nil:
		return nil, apperr.Wrap(apperr.Invalid, err, "cannot read standard input")
	case len(data) > migrate.MaxFile:
		return nil, apperr.New(apperr.Invalid, "standard input is larger than %s", fsutil.Size(migrate.MaxFile))
	case len(data) == 0:
		return nil, apperr.New(apperr.Invalid, "standard input is empty; pipe the file or the otpauth URI in")
	}
	return data, nil
}

// source names FILE in messages.
func (o *twofaImportOptions) source() string {
	if o.File == "-" {
		return "standard input"
	}
	return o.File
}

// parseErr makes a parse error a usage error, with the flag that helps.
func (o *twofaImportOptions) parseErr(err error) error {
	var se *migrate.SerialError
	switch {
	case errors.As(err, &se) && se.Want == "":
		return apperr.New(apperr.Invalid, "%s: %v with --serial", o.source(), err)
	case errors.Is(err, migrate.ErrShortSecret):
		return apperr.New(apperr.Invalid, "%s: %v (--allow-short-secrets imports it anyway)", o.source(), err)
	}
	return apperr.New(apperr.Invalid, "%s: %v", o.source(), err)
}
