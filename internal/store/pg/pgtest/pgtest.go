// Package pgtest gives tests a fresh PostgreSQL database each, on the
// server that AUTHCTL_TEST_PG names (scripts/pg-test-server starts one), so
// that tests can run in parallel without seeing each other's data.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the URL of a database on the test server
// whose user may create databases.
const Env = "AUTHCTL_TEST_PG"

// URL returns the URL of a new, empty database on the test server, dropped
// when t ends. Without AUTHCTL_TEST_PG it skips t, except in CI (CI=true),
// where the PostgreSQL tests must never be skipped: there it fails.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server with scripts/pg-test-server)", Env)
		}
		t.Skipf("no PostgreSQL server for this test: set %s, e.g. with eval \"$(scripts/pg-test-server start)\"", Env)
	}
	u, drop, err := CreateDB(admin)
	if err != nil {
		t.Fatalf("creating a test database: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	return u
}

// CreateDB creates a database with a random name on the server of admin
// and returns its URL (admin's, with the database name replaced) and a
// function that drops it.
func CreateDB(admin string) (dbURL string, drop func() error, err error) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("%s does not parse as a URL: %v", Env, err)
	}
	u.Path = "/" + name
	if err := Exec(admin, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	return u.String(), func() error { return Exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }, nil
}

// Exec runs one statement on its own connection to the database dbURL.
func Exec(dbURL, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}
