package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/naive-oss/naive/internal/jobs"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store"
)

// Admin is the server's database opened for the administrator's commands
// (`naive admin …`), on the server's host: the store migrated as a start
// migrates it (the store's migrations, then River's), and River set up to
// insert — never to work — the jobs the store enqueues with its rows, so
// a row written here gets its job as one a server writes would. Servers
// may run on the database meanwhile.
type Admin struct {
	store store.Store
	svc   *service.Service
}

// OpenAdmin opens the database a URL names (sqlite:PATH, a path, or
// postgres://…), creating and migrating it if needed.
func OpenAdmin(ctx context.Context, databaseURL string, logger *slog.Logger) (*Admin, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := OpenStore(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redact(databaseURL), err)
	}
	svc, err := service.New(service.Config{Store: st, Logger: logger})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	// Not started: River inserts the store's row jobs, the servers work them.
	if _, err := openJobs(ctx, st, jobs.Config{Service: svc, Logger: logger}); err != nil {
		_ = st.Close()
		return nil, err
	}
	return &Admin{store: st, svc: svc}, nil
}

// Service is the service on the database, for its Admin… methods.
func (a *Admin) Service() *service.Service { return a.svc }

// Store is the store, for tests.
func (a *Admin) Store() store.Store { return a.store }

// Close closes the database.
func (a *Admin) Close() error { return a.store.Close() }
