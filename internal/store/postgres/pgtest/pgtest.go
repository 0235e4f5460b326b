// Package pgtest gives tests PostgreSQL databases of their own. It imports
// testing, so only tests import it: nothing of it is compiled into the
// binary.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// NewDatabase creates an empty database naive_test_<random> on the server
// of adminURL, drops it when t ends, and returns its URL, so every test,
// of the postgres store or end to end in other packages, gets a database
// to itself.
func NewDatabase(t testing.TB, adminURL string) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "naive_test_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{name}.Sanitize()
	if err := adminExec(adminURL, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("postgres: create test database: %v", err)
	}
	t.Cleanup(func() {
		// FORCE ends connections a test left open, such as a pool it
		// never closed.
		if err := adminExec(adminURL, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("postgres: drop test database: %v", err)
		}
	})
	return withDatabase(adminURL, name)
}

// adminExec runs one statement on a connection of its own, retrying while
// PostgreSQL reports the template database busy (55006), which concurrent
// CREATE DATABASE calls can cause.
func adminExec(adminURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for attempt := 1; ; attempt++ {
		_, err = conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		if attempt < 10 && errors.As(err, &pe) && pe.Code == "55006" {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
			continue
		}
		return err
	}
}

// withDatabase returns connection string s pointing at database name; s
// is a postgres:// URL or a key=value string.
func withDatabase(s, name string) string {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if u, err := url.Parse(s); err == nil {
			u.Path = "/" + name
			u.RawPath = ""
			return u.String()
		}
	}
	return s + " dbname=" + name
}
