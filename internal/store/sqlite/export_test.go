package sqlite

import "context"

// OpenWriters is Open with n writer connections, for tests.
func OpenWriters(ctx context.Context, dsn string, n int) (*DB, error) { return open(ctx, dsn, n) }

// Prepared counts the statements prepared on the writer and the reader
// pools.
func (db *DB) Prepared() (writer, reader int) {
	count := func(p *pool) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.stmts)
	}
	return count(db.writer), count(db.reader)
}
