// Package cmd is authctl's command line: cobra commands that parse flags,
// prompt, print and map errors to exit codes. The work happens in internal/.
package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

// Output formats for -o.
const (
	outText = "text"
	outJSON = "json"
)

// NewRootCmd builds the whole command tree for app. It does no I/O.
func NewRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "authctl",
		Short: "Manage user accounts with passwords and two-factor authentication",
		Long: `authctl manages user accounts protected by a password and, optionally,
two-factor authentication (TOTP authenticator apps and single-use backup codes),
in a local database file.

Admins add users and reset their second factor; users enroll an authenticator
app by scanning a QR code in the terminal; scripts check logins with
--password-stdin, -o json and documented exit codes. Prompts never hang a
script: without a terminal, authctl asks for --password-stdin instead.

Settings come from flags, then AUTHCTL_* environment variables, then the config
file ($XDG_CONFIG_HOME/authctl/config.yaml or --config), then the system config
file /etc/authctl/config.yaml (AUTHCTL_SYSTEM_CONFIG), then defaults. The
database defaults to $XDG_DATA_HOME/authctl/authctl.db
(~/.local/share/authctl/authctl.db); a postgres:// URL instead puts it on a
PostgreSQL server that many hosts share (docs/fleet.md).

` + exitCodeHelp,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			o, _ := c.Flags().GetString("output")
			if o != outText && o != outJSON {
				return apperr.New(apperr.Invalid, "invalid output format %q: use text or json", o)
			}
			return nil
		},
	}
	root.SetIn(app.IO.In)
	root.SetOut(app.IO.Out)
	root.SetErr(app.IO.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return apperr.New(apperr.Invalid, "%v (see \"%s --help\")", err, c.CommandPath())
	})

	pf := root.PersistentFlags()
	pf.String(keyDB, "", "database `FILE`, or a postgres:// URL for a database shared by many hosts (default $XDG_DATA_HOME/authctl/authctl.db; env AUTHCTL_DB)")
	pf.String(keyConfig, "", "config `FILE` (default $XDG_CONFIG_HOME/authctl/config.yaml; env AUTHCTL_CONFIG)")
	pf.String(keyLockTimeout, "5s", "how long to wait for a database locked by another authctl process, a `DURATION` such as 5s or 1m (env AUTHCTL_LOCK_TIMEOUT)")
	pf.String(keyIssuer, "authctl", "issuer `NAME` shown in authenticator apps (env AUTHCTL_ISSUER)")
	pf.String(keyKeyFile, "", "`FILE` holding the key that encrypts 2FA secrets (default $XDG_CONFIG_HOME/authctl/key; env AUTHCTL_KEY_FILE)")
	pf.StringP("output", "o", outText, "output `FORMAT`: text or json")
	bindSettingFlags(app.v, pf)

	root.AddGroup(&cobra.Group{ID: "main", Title: "Commands:"}, &cobra.Group{ID: "admin", Title: "Administration:"})
	for _, c := range []*cobra.Command{newLoginCmd(app, nil), newUserCmd(app), newTwoFACmd(app)} {
		c.GroupID = "main"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newAuditCmd(app), newDBCmd(app), newKeyCmd(app), newPamCmd(app, nil)} {
		c.GroupID = "admin"
		root.AddCommand(c)
	}
	root.AddCommand(newVersionCmd(app))
	return root
}

// Execute runs authctl with the process's arguments and streams and returns
// the exit code.
func Execute() int {
	return Run(os.Args[1:], term.System())
}

// Run runs authctl with args and streams and returns the exit code; every
// error is printed here, as one line.
func Run(args []string, io *term.IO) int {
	app := NewApp(io)
	defer app.Close()
	root := NewRootCmd(app)
	root.SetArgs(args)
	c, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		// Errors cobra raises itself (unknown command, bad arguments).
		code = ExitUsage
		err = fmt.Errorf("%v (see \"%s --help\")", err, c.CommandPath())
	}
	switch {
	case code != ExitInterrupted:
		fmt.Fprintf(io.Err, "authctl: %s\n", oneLine(message(err)))
	case errors.Is(err, errCodeInterrupted):
		fmt.Fprintf(io.Err, "authctl: %s\n", errCodeInterrupted.Msg)
	default:
		fmt.Fprintln(io.Err, "authctl: interrupted; nothing was changed")
	}
	return code
}

// outputJSON reports whether -o json was given.
func outputJSON(c *cobra.Command) bool {
	o, _ := c.Flags().GetString("output")
	return o == outJSON
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	return newJSONEncoder(w).Encode(v)
}

// newJSONEncoder writes JSON as scripts expect to read it: no HTML escaping,
// so an otpauth URI keeps its "&" instead of "\u0026".
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// exactArgs is cobra.ExactArgs with a usage error of our kind.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return apperr.New(apperr.Invalid, "%s takes %s (see \"%s --help\")", c.CommandPath(), what, c.CommandPath())
		}
		return nil
	}
}

func indent(s string) string {
	return strings.TrimSpace(s)
}
