package cmd

import (
	"os"
	"path/filepath"
	"runtime"
)

// envSystemConfig names another system config file (tests, unusual
// layouts). authctl pam ignores it, as it ignores every variable.
const envSystemConfig = "AUTHCTL_SYSTEM_CONFIG"

// systemConfigPath is the system-wide config file, read before the user's:
// the natural home of db and key-file for root and for authctl pam.
func systemConfigPath(noEnv bool) string {
	if !noEnv {
		if p := os.Getenv(envSystemConfig); p != "" {
			return p
		}
	}
	if runtime.GOOS == "windows" {
		if d := os.Getenv("ProgramData"); filepath.IsAbs(d) && !noEnv {
			return filepath.Join(d, "authctl", "config.yaml")
		}
		return `C:\ProgramData\authctl\config.yaml`
	}
	return "/etc/authctl/config.yaml"
}

// systemConfigFile is the system config as loadConfig reads it: optional
// wherever it is, and refused when anyone but root (or the user running
// authctl) could change it, since it says which database decides logins.
func systemConfigFile(noEnv bool) configFile {
	return configFile{path: systemConfigPath(noEnv), label: "system config file", optional: true, strict: true}
}
