// Command designfloor is the start-up floor of a program built on every
// library authctl's design fixes: it parses its command line with cobra,
// makes a viper, and links (and so initialises) pgx, bbolt, pquerna/otp,
// qrterminal and x/term, then prints one line. bench/run shows `authctl
// version` against it as a reference beside the cobra + viper floor
// (bench/depsfloor), which links the two and calls neither.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/mdp/qrterminal/v3"
	"github.com/pquerna/otp/totp"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/term"
)

func main() {
	v := viper.New()
	v.SetEnvPrefix("DESIGNFLOOR")
	v.AutomaticEnv()
	root := &cobra.Command{Use: "designfloor", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use: "version",
		RunE: func(*cobra.Command, []string) error {
			if v.GetBool("use-all") {
				// Never taken in a benchmark; it keeps every library linked.
				return useAll()
			}
			_, err := fmt.Println("designfloor")
			return err
		},
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}

func useAll() error {
	if _, err := pgx.Connect(context.Background(), os.Getenv("DESIGNFLOOR_URL")); err != nil {
		return err
	}
	db, err := bolt.Open(os.DevNull, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "designfloor", AccountName: "x"})
	if err != nil {
		return err
	}
	qrterminal.Generate(k.URL(), qrterminal.L, os.Stdout)
	_ = term.IsTerminal(int(os.Stdin.Fd()))
	return nil
}
