package cmd

import (
	"errors"
	"io"
	"io/fs"

	"github.com/authctl/authctl/internal/apperr"
)

// checkedWriter is standard output that remembers its first failed write.
// Run turns that failure into an environment error, so that no command can
// print into a full disk or a closed file and exit 0. Once a write failed,
// later ones fail at once: a result is never printed with a hole in it.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (o *checkedWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	o.err = err
	return n, err
}

// errOutput is the error of a result that could not be written to
// standard output, or nil when err is nil. done says what the command
// changed before it printed ("user carl added"): the change stays, and the
// person or script must know that before trying again.
func errOutput(err error, done string) error {
	if err == nil {
		return nil
	}
	return outputError(err, done)
}

// errOutputHint is errOutput with what to do about the lost output, for a
// result that cannot be printed again (new backup codes).
func errOutputHint(err error, done string, h apperr.Hint, subject string) error {
	if err == nil {
		return nil
	}
	e := outputError(err, done)
	e.Hint, e.Subject = h, subject
	return e
}

func outputError(err error, done string) *apperr.Error {
	msg := "cannot write the output: " + writeReason(err)
	if done != "" {
		msg = done + ", but the output could not be written: " + writeReason(err)
	}
	return &apperr.Error{Kind: apperr.Env, Msg: msg, Err: err}
}

// writeReason is why a write failed, without the file name: standard
// output is "/dev/stdout" whatever it points to.
func writeReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// outcome decides how a run ends when standard output failed (werr): a
// failure the command named itself stands (a usage error, a denied login,
// the problems db check found); otherwise the run fails with exit 4 for
// the lost output, whether the command noticed the failed write or not.
func outcome(err, werr error) error {
	if werr == nil {
		return err
	}
	if err != nil && apperr.KindOf(err) != apperr.Internal {
		return err
	}
	return errOutput(werr, "")
}
