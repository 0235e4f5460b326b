package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// databases makes the run's throwaway databases: SQLite files in a
// temporary directory, or scratch databases on a PostgreSQL server.
type databases struct {
	admin string // the postgres:// URL given; "" for SQLite
	dir   string // SQLite's temporary directory
	made  []string
}

func newDatabases(admin string) (*databases, error) {
	if admin != "" {
		return &databases{admin: admin}, nil
	}
	dir, err := os.MkdirTemp("", "naive-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return &databases{dir: dir}, nil
}

// create makes an empty database and returns its URL.
func (d *databases) create(ctx context.Context, name string) (string, error) {
	if d.admin == "" {
		return "sqlite:" + filepath.Join(d.dir, name+".db"), nil
	}
	db := "naive_bench_" + randomHex(6) + "_" + name
	if err := d.exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return "", fmt.Errorf("bench: create scratch database: %w", err)
	}
	d.made = append(d.made, db)
	return withDatabase(d.admin, db), nil
}

// drop removes a database create made (SQLite files stay until cleanup).
func (d *databases) drop(dbURL string) error {
	if d.admin == "" {
		return nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	// A fresh context: the run's may have ended, and the database must go.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// FORCE ends connections still open, such as River's listener.
	if err := d.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("bench: drop scratch database %s: %w", name, err)
	}
	for i, m := range d.made {
		if m == name {
			d.made = append(d.made[:i], d.made[i+1:]...)
			break
		}
	}
	return nil
}

// cleanup removes whatever is left: the SQLite directory, or scratch
// databases a failed run did not drop.
func (d *databases) cleanup() {
	if d.admin == "" {
		_ = os.RemoveAll(d.dir)
		return
	}
	for _, name := range append([]string(nil), d.made...) {
		_ = d.drop(withDatabase(d.admin, name))
	}
}

// exec runs one statement on a connection of its own to the admin URL,
// retrying while PostgreSQL reports the template database busy (55006).
func (d *databases) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
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

// withDatabase returns the postgres:// URL s naming database name.
func withDatabase(s, name string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}
