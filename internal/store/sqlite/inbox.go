package sqlite

import (
	"time"

	"github.com/naive-oss/naive/internal/store"
)

// InboxPoll is how often a request waiting for a text on SQLite reads the
// database anyway: another process on the same file (a second `naive
// serve`) stores texts this process hears nothing of.
const InboxPoll = time.Second

// NewInbox returns the service's inbox on SQLite: a text stored by this
// process wakes its waiters at once (an in-process notice), one stored by
// another process on the file within InboxPoll.
func NewInbox() *store.Hub { return store.NewHub(InboxPoll) }
