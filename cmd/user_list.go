package cmd

import (
	"bufio"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
)

func newUserListCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users",
		Long: `List every user, one per line: name, 2FA on or off, locked or not, and when
the user was created. With -o json, a JSON array of the objects that
"authctl user show -o json" prints. Output streams, so memory stays flat
however many users there are.`,
		Example: `  authctl user list
  authctl user list -o json | jq -r '.[] | select(.two_factor == false) | .name'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			svc, err := app.Service(false)
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(app.IO.Out, 64<<10)
			asJSON := outputJSON(c)
			n := 0
			if asJSON {
				w.WriteString("[")
			} else {
				fmt.Fprintf(w, "%-24s %-4s %-7s %s\n", "NAME", "2FA", "LOCKED", "CREATED")
			}
			enc := newJSONEncoder(w)
			var line []byte
			err = svc.EachUser(func(v account.UserView) error {
				if asJSON {
					if n > 0 {
						w.WriteString(",")
					}
					n++
					var ok bool
					if line, ok = appendUserJSON(line[:0], v); !ok {
						return errOutput(enc.Encode(v), "")
					}
					_, err := w.Write(line)
					return errOutput(err, "")
				}
				locked := "no"
				if v.Locked {
					locked = "yes"
				}
				_, err := fmt.Fprintf(w, "%-24s %-4s %-7s %s\n", v.Name, onOff(v.TwoFactor), locked, stamp(v.CreatedAt))
				return errOutput(err, "")
			})
			if err != nil {
				return err
			}
			if asJSON {
				w.WriteString("]\n")
			}
			// bufio.Writer keeps its first error: Flush reports any write.
			return errOutput(w.Flush(), "")
		},
	}
}
