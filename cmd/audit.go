package cmd

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
)

func newAuditCmd(app *App) *cobra.Command {
	var since string
	var limit int
	c := &cobra.Command{
		Use:   "audit [NAME]",
		Short: "Show the audit trail, newest first",
		Long: `Show the audit trail: users added and deleted, password changes, logins that
succeeded or failed (and with which factor), lockouts, unlocks, 2FA enabled,
disabled or reset, backup codes regenerated, key rotations. Newest first; with
NAME only that user's entries. -o json prints JSON lines (one object per line:
time, event, user, factor, detail). The trail never holds a password, secret or
code. Entries older than audit.retention (default 90 days) are pruned.`,
		Example: `  authctl audit
  authctl audit alice --since 24h
  authctl audit --since 2026-11-01
  authctl audit --limit 100 -o json | jq -c 'select(.event == "login.fail")'`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return apperr.New(apperr.Invalid, "audit takes at most one user name")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			q := account.AuditQuery{Limit: limit}
			if len(args) == 1 {
				q.User = args[0]
			}
			if limit < 0 {
				return apperr.New(apperr.Invalid, "invalid --limit %d: must be 0 (no limit) or more", limit)
			}
			if since != "" {
				t, err := ParseSince(since, app.Now())
				if err != nil {
					return err
				}
				q.Since = t
			}
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(app.IO.Out)
			enc := newJSONEncoder(w)
			asJSON := outputJSON(c)
			err = svc.Audit(q, func(e account.Event) error {
				if asJSON {
					return errOutput(enc.Encode(e), "")
				}
				line := fmt.Sprintf("%s  %-16s %s", stamp(e.Time), e.Event, e.User)
				if e.Factor != "" {
					line += "  factor=" + e.Factor
				}
				if e.Detail != "" {
					line += "  (" + e.Detail + ")"
				}
				_, err := fmt.Fprintln(w, line)
				return errOutput(err, "")
			})
			if err != nil {
				return err
			}
			return errOutput(w.Flush(), "")
		},
	}
	c.Flags().StringVar(&since, "since", "", "only entries newer than `WHEN`: a duration back from now (24h, 30m), a date (2026-11-01) or an RFC 3339 time")
	c.Flags().IntVar(&limit, "limit", 0, "at most `N` entries (0: all)")
	return c
}

// ParseSince reads --since: a duration back from now (24h, 90m), or a point
// in time, an RFC 3339 time (2026-11-28T09:00:00Z) or a date (2026-11-28,
// midnight local time).
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 100*365*24*time.Hour {
		return time.Time{}, apperr.New(apperr.Invalid, "invalid --since %q: want a duration such as 24h or 90m, a date such as 2026-11-01, or an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}
