package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by goreleaser's ldflags; otherwise filled from the build info.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo returns version, commit and date, falling back to what the Go
// toolchain recorded (module version, VCS revision and time).
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && c != "" && version == "" {
					c += "-dirty"
				}
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print authctl's version, commit and build date",
		Long: `Print the version, the commit it was built from, the build date and the Go
version. Release builds get them from the release; a build from source takes
the commit and date from the Go toolchain's VCS stamp.`,
		Example: `  authctl version
  authctl version -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			v, cm, d := buildInfo()
			if outputJSON(c) {
				return errOutput(writeJSON(app.IO.Out, map[string]string{"version": v, "commit": cm, "date": d, "go": runtime.Version()}), "")
			}
			_, err := fmt.Fprintf(app.IO.Out, "authctl %s (commit %s, built %s, %s)\n", v, cm, d, runtime.Version())
			return errOutput(err, "")
		},
	}
}
