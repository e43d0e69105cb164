package pg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authctl/authctl/internal/apperr"
)

// errConflict marks a transaction the server aborted because it ran into
// another (a deadlock it broke, a serialisation failure) or that found a
// name it meant to insert taken meanwhile: Update runs it again.
var errConflict = errors.New("conflict with a concurrent transaction")

// SQLSTATE codes authctl tells apart.
const (
	codeLockNotAvailable    = "55P03"
	codeDeadlock            = "40P01"
	codeSerialization       = "40001"
	codeUniqueViolation     = "23505"
	codeUndefinedTable      = "42P01"
	codeUndefinedColumn     = "42703"
	codeInsufficientPriv    = "42501"
	codeReadOnlyTransaction = "25006"
	codeQueryCanceled       = "57014"
	codeIdleInTxTimeout     = "25P03"
)

func (d *DB) lockedErr() error {
	return apperr.NewHint(apperr.Env, apperr.HintLocked, "", "database %s is locked by another authctl process (waited %s)", d.Redacted(), d.opts.LockTimeout)
}

// dbErr turns a failure of a statement into one clear line naming the
// database (without its password).
func (d *DB) dbErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) || errors.Is(err, errConflict) || errors.Is(err, errNoTables) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == codeLockNotAvailable:
			return d.lockedErr()
		case pe.Code == codeDeadlock, pe.Code == codeSerialization:
			return fmt.Errorf("%w: %s", errConflict, pe.Message)
		case pe.Code == codeInsufficientPriv:
			return apperr.New(apperr.Env, "database %s: permission denied (%s); see docs/fleet.md for the grants authctl needs", d.Redacted(), pe.Message)
		case pe.Code == codeReadOnlyTransaction:
			return apperr.New(apperr.Env, "database %s is read-only (a standby server?): %s", d.Redacted(), pe.Message)
		case pe.Code == codeIdleInTxTimeout:
			return apperr.New(apperr.Env, "database %s ended a transaction that stalled for %s; nothing of it was written", d.Redacted(), idleInTx)
		case strings.HasPrefix(pe.Code, "57P"), strings.HasPrefix(pe.Code, "08"):
			return apperr.New(apperr.Env, "database server %s went away (%s); nothing of this transaction was written", d.Redacted(), pe.Message)
		case strings.HasPrefix(pe.Code, "53"):
			return apperr.New(apperr.Env, "database server %s is out of resources (%s)", d.Redacted(), pe.Message)
		}
		return apperr.New(apperr.Env, "database %s: %s (SQLSTATE %s)", d.Redacted(), d.scrub(pe.Message), pe.Code)
	}
	switch {
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return apperr.New(apperr.Env, "database server %s stopped answering (waited %s); nothing of this transaction was written", d.Redacted(), d.connectTimeout()+stallSlack)
	case errors.Is(err, pgx.ErrTxCommitRollback):
		return apperr.New(apperr.Env, "database %s rolled the transaction back; nothing of it was written", d.Redacted())
	case d.conn != nil && d.conn.IsClosed():
		return apperr.New(apperr.Env, "lost the connection to database server %s (%s); nothing of this transaction was written", d.Redacted(), d.scrub(lastLine(err)))
	}
	return apperr.New(apperr.Env, "database %s: %s", d.Redacted(), d.scrub(lastLine(err)))
}

// connectErr says why no connection could be made, in one line: the
// server's answer (a password refused, a database that does not exist) or
// what the network said.
func (d *DB) connectErr(err error) error {
	var pe *pgconn.PgError
	var reason string
	hint := apperr.NoHint
	switch {
	case errors.As(err, &pe):
		reason = pe.Message
	case pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		reason = fmt.Sprintf("no answer within %s", d.connectTimeout())
		hint = apperr.HintLocked
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.Is(err, syscall.ENOENT):
		reason = "no server socket there"
	default:
		reason = lastLine(err)
	}
	return apperr.NewHint(apperr.Env, hint, "", "cannot connect to database server %s: %s; check that it is running and reachable", d.Redacted(), d.scrub(reason))
}

// lastLine is the innermost part of an error's text: pgx prefixes its own
// context ("failed to connect to ...:"), and several hosts' reasons come on
// separate lines.
func lastLine(err error) string {
	s := err.Error()
	if c, ok := err.(*pgconn.ConnectError); ok && c.Unwrap() != nil {
		s = c.Unwrap().Error()
	}
	return strings.Join(strings.Fields(s), " ")
}

// parseReason is a URL parse error without the URL (pgx quotes it).
func parseReason(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	if errors.As(err, &pe) {
		return "malformed"
	}
	return err.Error()
}

// scrub removes the URL's password from a message that may quote it.
func (d *DB) scrub(s string) string {
	for _, pw := range passwords(d.opts.URL) {
		if pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	return s
}

// passwords are the secrets a URL may hold: the password in its user
// part, and password= or sslpassword= parameters.
func passwords(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var pws []string
	if p, ok := u.User.Password(); ok {
		pws = append(pws, p, url.PathEscape(p), url.QueryEscape(p))
	}
	q, _ := url.ParseQuery(u.RawQuery)
	for _, k := range []string{"password", "sslpassword"} {
		for _, p := range q[k] {
			pws = append(pws, p, url.QueryEscape(p))
		}
	}
	return pws
}

// Redact returns a database URL fit for messages: its password, in the
// user part or as a parameter, replaced by xxxxx. Something that does not
// parse as a URL is not shown at all.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(a database URL that does not parse)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			if uk, err := url.QueryUnescape(k); err == nil && (uk == "password" || uk == "sslpassword") {
				parts[i] = k + "=xxxxx"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}
