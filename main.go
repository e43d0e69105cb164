// Command authctl manages user accounts protected by passwords and
// two-factor authentication in a local database.
package main

import (
	"os"

	"github.com/authctl/authctl/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
