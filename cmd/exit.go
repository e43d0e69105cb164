package cmd

import "github.com/authctl/authctl/internal/apperr"

// Exit codes. They are part of authctl's interface: scripts depend on them,
// and docs/scripting.md and `authctl --help` list them.
const (
	ExitOK          = 0   // success
	ExitDenied      = 1   // authentication denied: wrong credentials, locked account
	ExitUsage       = 2   // usage error or invalid input
	ExitConflict    = 3   // conflict or not found: user exists, no such user, wrong 2FA state
	ExitEnv         = 4   // environment: database locked, unreadable, corrupt, permissions, key file, stdout
	ExitInterrupted = 130 // Ctrl-C at a prompt
)

// exitCodeHelp is shown in the root command's help.
const exitCodeHelp = `Exit codes:

    0    success
    1    authentication denied (wrong credentials, locked account)
    2    usage error or invalid input
    3    conflict or not found (user exists, no such user, wrong 2FA state)
    4    environment (database locked past --lock-timeout, unreadable,
         corrupt, permissions, missing or wrong key file, standard
         output that cannot be written)
    130  interrupted (Ctrl-C at a prompt)`

// ExitCode maps an error to the exit code of its kind.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch apperr.KindOf(err) {
	case apperr.Denied:
		return ExitDenied
	case apperr.Invalid:
		return ExitUsage
	case apperr.Conflict:
		return ExitConflict
	case apperr.Interrupted:
		return ExitInterrupted
	default: // Env, and errors of no kind: an I/O error is the environment's
		return ExitEnv
	}
}
