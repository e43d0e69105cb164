// Command depsfloor links cobra and viper, which authctl's design requires,
// and does nothing else: the start-up floor of any program built on them.
// bench/run shows it beside `authctl version` and hello world.
package main

import (
	"fmt"

	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
)

func main() { fmt.Println("hello, world") }
