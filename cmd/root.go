// Package cmd is authctl's command line: cobra commands that parse flags,
// prompt, print and map errors to exit codes. The work happens in internal/.
package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

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
	return newRootCmd(app, topLevel())
}

// topLevelCmd is one of the root's commands, named so that a run can pick
// it before it is built.
type topLevelCmd struct {
	name    string   // cobra's Name(): the first word of Use
	aliases []string // cobra's Aliases
	group   string   // the help group it is listed in ("" for none)
	build   func(*App) *cobra.Command
}

// topLevelCmds lists the root's commands, in the order they are added. It
// is data the compiler lays out, so picking a command allocates nothing.
var topLevelCmds = [...]topLevelCmd{
	{name: "login", group: "main", build: func(a *App) *cobra.Command { return newLoginCmd(a, nil) }},
	{name: "user", group: "main", build: newUserCmd},
	{name: "2fa", group: "main", build: newTwoFACmd},
	{name: "audit", group: "admin", build: newAuditCmd},
	{name: "db", group: "admin", build: newDBCmd},
	{name: "key", group: "admin", build: newKeyCmd},
	{name: "pam", group: "admin", build: func(a *App) *cobra.Command { return newPamCmd(a, nil) }},
	{name: "version", build: newVersionCmd},
}

// topLevel returns every command of the root.
func topLevel() []topLevelCmd { return topLevelCmds[:] }

// commandsFor returns the root's commands that a run with args needs. When
// the first argument names one of them, cobra looks only at that one (and
// the root) to route, parse flags, check arguments and print help, so the
// others are left unbuilt: building every subcommand with its flags, and
// cobra's completion commands with their long help, was most of the work
// `authctl version` did. Anything else (flags first, help, completion, an
// unknown or no command) gets the whole tree.
func commandsFor(args []string) []topLevelCmd {
	all := topLevel()
	if len(args) == 0 {
		return all
	}
	for i, t := range all {
		if args[0] == t.name || slices.Contains(t.aliases, args[0]) {
			return all[i : i+1]
		}
	}
	return all
}

// newRootCmd builds the root with the given commands; with all of them,
// cobra's completion commands too.
func newRootCmd(app *App, cmds []topLevelCmd) *cobra.Command {
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
			// cobra checks required flags and flag groups after this hook,
			// with errors of no kind: check them here, as usage errors.
			if err := c.ValidateRequiredFlags(); err != nil {
				return usageErr(c, err)
			}
			if err := c.ValidateFlagGroups(); err != nil {
				return usageErr(c, err)
			}
			return nil
		},
	}
	root.SetIn(app.IO.In)
	root.SetOut(app.IO.Out)
	root.SetErr(app.IO.Err)
	root.SetFlagErrorFunc(flagErr)

	pf := root.PersistentFlags()
	pf.String(keyDB, "", "database `FILE`, or a postgres:// URL for a database shared by many hosts (default $XDG_DATA_HOME/authctl/authctl.db; env AUTHCTL_DB)")
	pf.String(keyConfig, "", "config `FILE` (default $XDG_CONFIG_HOME/authctl/config.yaml; env AUTHCTL_CONFIG)")
	pf.String(keyLockTimeout, "5s", "how long to wait for a database locked by another authctl process, a `DURATION` such as 5s or 1m (env AUTHCTL_LOCK_TIMEOUT)")
	pf.String(keyIssuer, "authctl", "issuer `NAME` shown in authenticator apps (env AUTHCTL_ISSUER)")
	pf.String(keyKeyFile, "", "`FILE` holding the key that encrypts 2FA secrets (default $XDG_CONFIG_HOME/authctl/key; env AUTHCTL_KEY_FILE)")
	pf.StringP("output", "o", outText, "output `FORMAT`: text or json")
	app.flags = pf

	root.AddGroup(&cobra.Group{ID: "main", Title: "Commands:"}, &cobra.Group{ID: "admin", Title: "Administration:"})
	for _, t := range cmds {
		c := t.build(app)
		c.GroupID = t.group
		root.AddCommand(c)
	}
	if len(cmds) == len(topLevel()) {
		// cobra adds its completion command when the tree runs; add it now,
		// so that its arguments are checked like every other command's.
		root.InitDefaultCompletionCmd()
	} else {
		// A run of one of our commands never reaches it.
		root.CompletionOptions.DisableDefaultCmd = true
	}
	tagUsageErrors(root)
	return root
}

// tagUsageErrors makes every error cobra raises about the arguments a usage
// error, where cobra raises it: a command that groups subcommands shows its
// help without one and refuses an unknown one with cobra's suggestions, and
// every other command's argument check (ours, or cobra's own on the
// completion commands) returns errors of kind Invalid.
func tagUsageErrors(c *cobra.Command) {
	if c.HasSubCommands() {
		c.Args = subcommands
		if !c.Runnable() {
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	} else if check := c.Args; check != nil {
		c.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageErr(c, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		tagUsageErrors(sub)
	}
}

// subcommands is the argument check of a command that groups subcommands:
// an argument there is a subcommand that does not exist. cobra only says so
// on the root; it would show the help of "authctl user" for "authctl user
// ad" and exit 0.
func subcommands(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, set only on its own path
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		return apperr.New(apperr.Invalid, "%s; did you mean %s?", msg, orList(s))
	}
	return apperr.New(apperr.Invalid, "%s (see \"%s --help\")", msg, c.CommandPath())
}

// orList quotes words and joins them with commas and a final "or".
func orList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// flagErr is the error of a flag cobra could not parse. On a command that
// groups subcommands, an argument before the flag is an unknown subcommand,
// and that is what is wrong: "authctl user rm bob --yes" is not a bad --yes.
func flagErr(c *cobra.Command, err error) error {
	if args := c.Flags().Args(); c.HasSubCommands() && len(args) > 0 {
		return subcommands(c, args)
	}
	return usageErr(c, err)
}

// usageErr gives an error cobra raised (a bad flag, a wrong number of
// arguments) the kind Invalid, and points to the command's help. An error
// that already has a kind is returned as it is.
func usageErr(c *cobra.Command, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.New(apperr.Invalid, "%v (see \"%s --help\")", err, c.CommandPath())
}

// Execute runs authctl with the process's arguments and streams and returns
// the exit code.
func Execute() int {
	return Run(os.Args[1:], term.System())
}

// Run runs authctl with args and streams and returns the exit code; every
// error is printed here, as one line, and its exit code decided here: by
// its kind (cobra's own usage errors are given one where cobra raises
// them), and an error of no kind is an environment failure. A failed write
// to standard output fails the run, even when the command did not notice.
func Run(args []string, streams *term.IO) int {
	return RunAt(args, streams, time.Now)
}

// RunAt is Run with the clock the domain uses: tests run whole journeys in
// the test process with a clock they move by hand, instead of waiting for
// the next TOTP step.
func RunAt(args []string, streams *term.IO, now func() time.Time) int {
	return run(args, streams, now, commandsFor(args))
}

// ranTree, when a test sets it, is shown the App and the tree of each run.
var ranTree func(app *App, root *cobra.Command)

// run is RunAt over a tree with the given top-level commands.
func run(args []string, streams *term.IO, now func() time.Time, cmds []topLevelCmd) int {
	out := &checkedWriter{w: streams.Out}
	io := *streams
	io.Out = out
	app := NewApp(&io)
	app.Now = now
	defer app.Close()
	root := newRootCmd(app, cmds)
	root.SetArgs(args)
	_, err := root.ExecuteC()
	if ranTree != nil {
		ranTree(app, root)
	}
	err = outcome(err, out.err)
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
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
