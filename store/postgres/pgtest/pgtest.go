// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database NEWSBRIEF_TEST_POSTGRES names, dropped when the
// test ends. It lives beside store/postgres, the one package that speaks
// to PostgreSQL directly, so that tests elsewhere (the end-to-end tests
// of the binary) need no driver of their own.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that holds the URL of a PostgreSQL database
// the tests may create schemas in; without it, the tests that need one
// skip.
const EnvURL = "NEWSBRIEF_TEST_POSTGRES"

// URL is the test database's URL; without one, it skips t.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " is not set: set it to a PostgreSQL URL (postgres://user@127.0.0.1:5432/database?sslmode=disable) to run the tests against a database")
	}
	return u
}

// NewSchema creates an empty schema of a unique name in the test
// database, drops it with everything in it when t ends, and returns the
// database's connection string with the schema as its search_path. It
// skips t without a test database.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "newsbrief_test_" + hex.EncodeToString(b)
	exec := func(sql string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", EnvURL, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE SCHEMA ` + name)
	t.Cleanup(func() { exec(`DROP SCHEMA ` + name + ` CASCADE`) })
	return WithSearchPath(t, base, name)
}

// WithSearchPath is the connection string base with search_path set to
// schema, in the URL or the key=value form.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
