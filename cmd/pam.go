package cmd

import (
	"bytes"
	"io"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

// maxPAMSecret bounds the secret read from pam_exec: the longest password
// authctl accepts (1024 bytes) many times over, plus a code. pam_exec
// itself hands over at most 511 bytes (PAM_MAX_RESP_SIZE - 1).
const maxPAMSecret = 4<<10 + 32

type pamOptions struct {
	App        *App
	User       string // PAM_USER
	Type       string // PAM_TYPE: auth, account, session, password
	CodeOnly   bool
	AllowNo2FA bool
}

func newPamCmd(app *App, runF func(*pamOptions) error) *cobra.Command {
	opts := &pamOptions{App: app}
	c := &cobra.Command{
		Use:   "pam",
		Short: "Check a login handed over by Linux-PAM's pam_exec",
		Long: `Check the login that Linux-PAM's pam_exec module hands over with its
expose_authtok option: the user name from PAM_USER, and what the user typed on
standard input. In a PAM service such as /etc/pam.d/sudo or /etc/pam.d/sshd,
instead of "@include common-auth":

    auth  [success=1 ignore=1 default=ignore]  pam_exec.so expose_authtok quiet seteuid /usr/bin/authctl pam
    auth  requisite                            pam_deny.so
    auth  required                             pam_permit.so

A user with 2FA on types the password immediately followed by the 6-digit code
from the authenticator app, or by a backup code ("s3cret-pass492039"); a user
without 2FA types the password alone. Everything login enforces applies:
throttling, one use per code, the audit trail, and the same answer for an
unknown user as for a wrong password.

With --code-only the user types only the code or a backup code, for stacks
where another module has already checked the first factor (an SSH key, with
sshd's AuthenticationMethods publickey,keyboard-interactive). A user without
2FA is then refused, unless --allow-no-2fa is given, the equivalent of
pam_google_authenticator's nullok, for the time 2FA is being rolled out: such
a user passes (audited as such). Without --code-only, a user without 2FA is
checked by password alone, with or without the flag.

authctl pam reads no AUTHCTL_* variable, HOME or XDG_* directory: PAM's
environment is not to be trusted. Settings come from the system config file
/etc/authctl/config.yaml, --config and flags on the pam line, and db and
key-file must be set there, as absolute paths. It prints nothing on stdout;
on failure one "authctl: ..." line goes to stderr (pam_exec's log= file) and
the exit code is not 0. See docs/pam.md for the sudo and sshd stacks.`,
		Example: `  # /etc/pam.d/sudo: password and code at sudo's prompt (with the two lines above)
  auth  [success=1 ignore=1 default=ignore]  pam_exec.so expose_authtok quiet seteuid /usr/bin/authctl pam

  # /etc/pam.d/sshd after a public key: the code alone
  auth  [success=1 ignore=1 default=ignore]  pam_exec.so expose_authtok quiet /usr/bin/authctl pam --code-only

  # try it by hand (pam_exec writes no newline)
  printf '%s' "$PASSWORD$CODE" | PAM_USER=alice authctl pam`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			opts.User = app.Getenv("PAM_USER")
			opts.Type = app.Getenv("PAM_TYPE")
			app.ignoreEnvironment(c.Root().PersistentFlags())
			if runF != nil {
				return runF(opts)
			}
			return runPam(opts)
		},
	}
	c.Flags().BoolVar(&opts.CodeOnly, "code-only", false, "the user types only the one-time code or a backup code: the first factor was checked before authctl (an SSH key)")
	c.Flags().BoolVar(&opts.AllowNo2FA, "allow-no-2fa", false, "with --code-only, let users without 2FA pass (rollout; like pam_google_authenticator's nullok)")
	return c
}

func runPam(o *pamOptions) error {
	if o.Type != "" && o.Type != "auth" {
		return apperr.New(apperr.Invalid, "authctl pam checks logins on an auth line, not %s (PAM_TYPE)", oneLine(o.Type))
	}
	if o.User == "" {
		return apperr.New(apperr.Invalid, "PAM_USER is not set: authctl pam runs from pam_exec (see docs/pam.md)")
	}
	if o.App.IO.InTTY {
		return apperr.New(apperr.Invalid, "authctl pam reads the secret from pam_exec on standard input, not from a terminal (see docs/pam.md)")
	}
	secret, err := readPAMSecret(o.App.IO.In)
	if err != nil {
		return err
	}
	if secret == "" && !(o.CodeOnly && o.AllowNo2FA) {
		// Nothing to check, and no guess: refused without counting. A
		// rollout stack lets a user without 2FA pass on an empty answer.
		return apperr.New(apperr.Invalid, "no secret on standard input (pam_exec needs expose_authtok)")
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	_, err = svc.LoginSystem(account.SystemLogin{
		Name:            o.User,
		Secret:          secret,
		CodeOnly:        o.CodeOnly,
		AllowWithout2FA: o.AllowNo2FA,
	})
	return err
}

// readPAMSecret reads the secret as pam_exec's expose_authtok writes it:
// the bytes the user typed, without a newline, then end of input. One
// trailing NUL (older pam_exec wrote the C string's terminator) or one
// line ending (a hand-run test with echo) is dropped. More than
// maxPAMSecret bytes is refused without reading the rest. An empty secret
// is the caller's to judge.
func readPAMSecret(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPAMSecret+1))
	if err != nil {
		return "", apperr.Wrap(apperr.Env, err, "cannot read the secret on standard input: "+oneLine(err.Error()))
	}
	if len(b) > maxPAMSecret {
		return "", apperr.New(apperr.Invalid, "the secret on standard input is longer than %d bytes", maxPAMSecret)
	}
	switch {
	case bytes.HasSuffix(b, []byte{0}):
		b = b[:len(b)-1]
	case bytes.HasSuffix(b, []byte("\r\n")):
		b = b[:len(b)-2]
	case bytes.HasSuffix(b, []byte("\n")):
		b = b[:len(b)-1]
	}
	return string(b), nil
}
