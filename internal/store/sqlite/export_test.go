package sqlite

import "context"

// OpenWriters is Open with n writer connections, for tests.
func OpenWriters(ctx context.Context, dsn string, n int) (*DB, error) { return open(ctx, dsn, n) }
