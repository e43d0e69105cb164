package cmd

import (
	"fmt"

	"github.com/authctl/authctl/internal/apperr"
)

// hintText words a hint of the domain for the command line: the one place
// that knows authctl's command names and flags. The domain only says which
// hint applies (age's errorWithHint is the model).
func hintText(h apperr.Hint, subject string) string {
	switch h {
	case apperr.HintTwoFAOn:
		return fmt.Sprintf("use \"authctl 2fa codes regen %s\" for new backup codes or \"authctl 2fa disable %s\" first", subject, subject)
	case apperr.HintTwoFAOff:
		return fmt.Sprintf("enable it with \"authctl 2fa enable %s\"", subject)
	case apperr.HintNoPending:
		return fmt.Sprintf("start one with \"authctl 2fa enable %s --begin\"", subject)
	case apperr.HintPendingExpired:
		return "start again with --begin"
	case apperr.HintSkipInvalid:
		return "--skip-invalid imports the valid lines"
	case apperr.HintNoDatabase:
		return "create it with \"authctl user add\" or point --db at an existing one"
	case apperr.HintLocked:
		return "try again or raise --lock-timeout"
	case apperr.HintImportFormat:
		return "pass --format csv, jsonl or htpasswd"
	case apperr.HintSync:
		return fmt.Sprintf("or resynchronise it with \"authctl 2fa sync %s\"", subject)
	case apperr.HintShortSecret:
		return "--allow-short-secrets imports a short secret anyway"
	case apperr.HintRegen:
		return fmt.Sprintf("get new ones with \"authctl 2fa codes regen %s\"", subject)
	}
	return ""
}

// message is the one line an error prints: its message and, where the
// domain named one, what to do next.
func message(err error) string {
	msg := err.Error()
	if h, subject := apperr.HintOf(err); h != apperr.NoHint {
		if t := hintText(h, subject); t != "" {
			sep := "; "
			if h == apperr.HintSync {
				sep = ", "
			}
			msg += sep + t
		}
	}
	return msg
}
