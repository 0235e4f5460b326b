package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/naive-oss/naive/internal/store"
)

// inboxChannel is the NOTIFY channel of stored inbound texts; the payload
// is the phone's id.
const inboxChannel = "naive_inbound"

// InboxPoll is how often a request waiting for a text on PostgreSQL reads
// the database anyway: a notice is lost when the process that stored the
// text stops before sending it, or while this one's listener reconnects
// (it then wakes every waiter once).
const InboxPoll = 5 * time.Second

// Inbox is the service's inbox on PostgreSQL: Notify sends NOTIFY on the
// database, and one listening connection per process (not one per waiting
// request) hands each notice to this process's waiters. Close it before
// the store.
type Inbox struct {
	*store.Hub
	pool   *pgxpool.Pool
	conn   *pgx.ConnConfig
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	// listening is closed once the first LISTEN is in place.
	listening chan struct{}
}

// NewInbox starts the process's listener on db's database.
func NewInbox(db *DB, log *slog.Logger) *Inbox {
	ctx, cancel := context.WithCancel(context.Background())
	i := &Inbox{Hub: store.NewHub(InboxPoll), pool: db.pool, conn: db.pool.Config().ConnConfig.Copy(), log: log,
		cancel: cancel, done: make(chan struct{}), listening: make(chan struct{})}
	go i.listen(ctx)
	return i
}

// Notify wakes this process's waiters of phoneID at once and every other
// process's through NOTIFY.
func (i *Inbox) Notify(ctx context.Context, phoneID string) error {
	i.Publish(phoneID)
	_, err := i.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, inboxChannel, phoneID)
	return err
}

// Listening is closed once the listener is in place (tests wait on it).
func (i *Inbox) Listening() <-chan struct{} { return i.listening }

// Close stops the listener and closes its connection.
func (i *Inbox) Close() {
	i.cancel()
	<-i.done
}

// listen keeps one LISTEN connection, reconnecting with backoff.
func (i *Inbox) listen(ctx context.Context) {
	defer close(i.done)
	backoff := 100 * time.Millisecond
	first := true
	for {
		listened, err := i.session(ctx, &first)
		if ctx.Err() != nil {
			return
		}
		if listened {
			backoff = 100 * time.Millisecond
		}
		i.log.Warn("inbox listener: reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// session listens on one connection until it fails or ctx ends; it
// reports whether LISTEN was in place.
func (i *Inbox) session(ctx context.Context, first *bool) (bool, error) {
	conn, err := pgx.ConnectConfig(ctx, i.conn)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+inboxChannel); err != nil {
		return false, err
	}
	if *first {
		*first = false
		close(i.listening)
	} else {
		// Texts stored while nobody listened: every waiter reads again.
		i.PublishAll()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		i.Publish(n.Payload)
	}
}
