// Package apperr gives errors a kind, so that cmd/ can map every failure to a
// documented exit code in one place without parsing messages.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies a failure by what the caller should do about it.
type Kind int

const (
	// Internal is a bug or an unexpected failure.
	Internal Kind = iota
	// Denied means authentication failed: wrong credentials or a locked account.
	Denied
	// Invalid means the input itself is wrong: bad name, bad code format, bad flag.
	Invalid
	// Conflict means the request contradicts the stored state: the user exists,
	// does not exist, or 2FA is in the wrong state.
	Conflict
	// Env means the environment failed: database locked, unreadable, corrupt,
	// missing, permissions, key file.
	Env
	// Interrupted means the user pressed Ctrl-C at a prompt.
	Interrupted
)

func (k Kind) String() string {
	switch k {
	case Denied:
		return "denied"
	case Invalid:
		return "invalid"
	case Conflict:
		return "conflict"
	case Env:
		return "environment"
	case Interrupted:
		return "interrupted"
	default:
		return "internal"
	}
}

// Error is an error with a Kind. Msg is the one line shown to the user.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
	// Hint, about Subject, is what to do next; the front end words it.
	Hint    Hint
	Subject string
}

func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a formatted message. A %w verb in the
// format wraps the argument as usual.
func New(k Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap gives err the kind k and prefixes msg, keeping err reachable with errors.Is.
func Wrap(k Kind, err error, msg string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Msg: msg + ": " + err.Error(), Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Hint names what a person can do next about an error, in words the front
// end chooses: the command line says which command or flag to use, a PAM
// module or a test says nothing. The domain sets the hint; it never writes
// command names itself (age's errorWithHint is the model).
type Hint int

// The hints. Subject is the user (or file) the hint is about.
const (
	NoHint             Hint = iota
	HintTwoFAOn             // 2FA is on: new codes or disable it first
	HintTwoFAOff            // 2FA is off: enable it
	HintNoPending           // no enrollment waits for a code: begin one
	HintPendingExpired      // the enrollment expired: begin again
	HintSkipInvalid         // an import can skip the bad lines
	HintNoDatabase          // no database yet: add a user, or point to one
	HintLocked              // the database is busy: wait longer
	HintImportFormat        // the import format is unknown: name it
	HintSync                // the device's clock is off: resynchronise
	HintShortSecret         // a short TOTP secret can be allowed
	HintRegen               // backup codes run low: make new ones
)

// HintOf returns the hint of the outermost *Error in err's chain.
func HintOf(err error) (Hint, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint, e.Subject
	}
	return NoHint, ""
}

// NewHint is New with a hint about subject.
func NewHint(k Kind, h Hint, subject, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: k, Msg: err.Error(), Err: errors.Unwrap(err), Hint: h, Subject: subject}
}
