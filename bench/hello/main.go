// Command hello is the smallest Go program that prints a line: the start-up
// floor that `authctl version` is compared with.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
