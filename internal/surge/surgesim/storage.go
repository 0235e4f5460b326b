package surgesim

import (
	"context"
	"time"
)

// Record is one object of the simulator's state as a Storage keeps it:
// its kind ("account", "campaign", "number", …), its id within the kind,
// and its JSON. The simulator alone reads Data.
type Record struct {
	Kind string
	ID   string
	// Data is the object's JSON; nil when the object was deleted.
	Data []byte
}

// Task kinds.
const (
	// TaskAdvance runs the clock-driven transitions (campaign reviews,
	// message deliveries) due by the time it runs.
	TaskAdvance = "advance"
	// TaskWebhook drains the webhooks: it sends the events not delivered
	// yet, in order, to the simulator's WebhookURL.
	TaskWebhook = "webhook"
)

// Task is work due at a time, to be run once by whichever simulator on the
// Storage gets to it ((*Server).RunTask), retried until it succeeds.
type Task struct {
	Kind string
	// Ref names what the task acts on (no kind uses it yet).
	Ref string
	Due time.Time
}

// Storage keeps a simulator's state where every simulator on it finds it:
// a restart of the process, and the other processes sharing it. Without
// one (Config.Storage nil) the state lives in the process's memory only.
//
// State moves by versions: each Update that writes records makes a new
// version, and a simulator keeps in memory the records up to the version
// it last read.
type Storage interface {
	// Changes returns the records written after version since (every
	// live record when since is 0) and the version they bring the reader
	// to: every record written at a version in (since, returned] is among
	// them, each as last written (a record written again later may come
	// too; applying it again is harmless).
	Changes(ctx context.Context, since int64) ([]Record, int64, error)
	// Update runs fn in one transaction holding the storage's one write
	// lock, which every simulator on the storage (other processes
	// included) takes for its writes: fn receives the records written
	// after version since, and returns the records to write and the tasks
	// to schedule, which commit together — a task exists exactly when the
	// records written with it do. An error from fn writes nothing and is
	// returned. Update returns the version the caller is now at: a new
	// one when fn wrote records, else the latest read.
	Update(ctx context.Context, since int64, fn func(changed []Record) ([]Record, []Task, error)) (int64, error)
}
