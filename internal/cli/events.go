package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdEvents is `naive events …`.
func NewCmdEvents(f *Factory) *cobra.Command {
	cmd := newGroup("events", "Read the operator's stored events")
	cmd.AddCommand(NewCmdEventsList(f, nil))
	return cmd
}

// EventsListOptions are the inputs of `naive events list`.
type EventsListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Type    string
	List    naive.ListParams
	Follow  bool
	// Since, with --follow, first prints the events since then (a
	// duration ago, or a time); without it --follow prints only new ones.
	Since string
	// Interval is how often --follow polls.
	Interval time.Duration
}

// followPage is how many events --follow reads per poll, and shows at start
// when --limit does not say.
const followPage = 100

// NewCmdEventsList is `naive events list [--type T] [--follow]`.
func NewCmdEventsList(f *Factory, runF func(*EventsListOptions) error) *cobra.Command {
	opts := &EventsListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list [--type T] [--limit N] [--cursor C] [--follow]",
		Aliases: []string{"ls"},
		Short:   "List stored events, newest first; --follow prints new ones as they happen",
		Long: `List the operator's stored events (the same ones webhooks deliver), newest
first. --type keeps one type: ` + strings.Join(eventTypes, ", ") + `.

--follow polls and prints each new event once, as it happens, oldest first,
until interrupted; with --since (a duration such as 10m, or an RFC 3339 time)
it first prints the events since then (at most --limit, the newest). With
--json (or when piped) it prints one JSON object per line.`,
		Example: `  naive events list --type sms.received --limit 5
  naive events list --follow
  naive events list --follow --since 1h`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if opts.Follow && opts.List.Cursor != "" {
				return usageError{errorf("--follow starts from the newest events; it takes no --cursor")}
			}
			if opts.Interval <= 0 {
				return usageError{errorf("--interval must be positive")}
			}
			if opts.Since != "" && !opts.Follow {
				return usageError{errorf("--since goes with --follow; a plain list is newest first, paged with --cursor")}
			}
			if _, err := sinceTime(opts.Since, time.Now()); err != nil {
				return usageError{err}
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Follow {
				return eventsFollowRun(cmd.Context(), opts)
			}
			return eventsListRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Type, "type", "", "only events of this type, e.g. sms.received")
	listFlags(cmd, &opts.List)
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new events until interrupted")
	fl.StringVar(&opts.Since, "since", "", "with --follow, first print the events since then: a duration ago (10m) or an RFC 3339 time")
	fl.DurationVar(&opts.Interval, "interval", 2*time.Second, "how often --follow checks")
	_ = fl.MarkHidden("interval")
	return cmd
}

func eventsListRun(ctx context.Context, opts *EventsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListEvents(ctx, opts.Type, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No events yet.")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tTYPE\tAT\tSUMMARY")
	for _, e := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, e.Type, when(e.CreatedAt), snippet(eventSummary(e), 80))
	}
	tw.Flush()
	more := "naive events list"
	if opts.Type != "" {
		more += " --type " + opts.Type
	}
	moreHint(out, more, l.NextCursor)
	nextSteps(out, "naive events list --follow", "print new events as they happen")
	return nil
}

// eventsFollowRun prints the latest events oldest first, then every new one
// once, newest last, until ctx ends (an interrupt ends it normally).
func eventsFollowRun(ctx context.Context, opts *EventsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	limit := opts.List.Limit
	if limit <= 0 {
		limit = 20
	}
	since, _ := sinceTime(opts.Since, time.Now()) // checked by the command

	seen := map[string]bool{}
	first := true
	for {
		// Events are listed newest first; new ones may also land just below
		// the newest seen (another process's clock), so each poll reads a
		// whole page and prints what it has not printed before, and pages
		// further back only while a page is all new. The first poll marks a
		// whole page seen but prints only, with --since, the newest --limit
		// of those since then.
		var fresh []naive.Event
		lp := naive.ListParams{Limit: followPage}
		for pages := 0; pages < 10; pages++ {
			l, err := svc.ListEvents(ctx, opts.Type, lp)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			allNew := true
			for _, e := range l.Data {
				if seen[e.ID] {
					allNew = false
					continue
				}
				fresh = append(fresh, e)
			}
			if first || !allNew || l.NextCursor == nil || *l.NextCursor == "" {
				break
			}
			lp.Cursor = *l.NextCursor
		}
		for _, e := range fresh {
			seen[e.ID] = true
		}
		if first {
			fresh = slices.DeleteFunc(fresh, func(e naive.Event) bool { return since.IsZero() || e.CreatedAt.Before(since) })
			if len(fresh) > limit {
				fresh = fresh[:limit] // newest first: keep the newest
			}
		}
		slices.SortStableFunc(fresh, func(a, b naive.Event) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, e := range fresh {
			if err := printEventLine(opts.IO.Out, opts.JSON, e); err != nil {
				return err
			}
		}
		if first && !opts.JSON && len(fresh) == 0 {
			fmt.Fprintln(opts.IO.ErrOut, "Waiting for new events (Ctrl-C to stop); --since 1h shows the last hour's first.")
		}
		first = false
		select {
		case <-ctx.Done():
			return nil // interrupted: the normal end of --follow
		case <-time.After(opts.Interval):
		}
	}
}

func printEventLine(w io.Writer, asJSON bool, e naive.Event) error {
	if asJSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	_, err := fmt.Fprintf(w, "%s  %-22s %s  %s\n", e.CreatedAt.Local().Format("2006-01-02 15:04:05"), e.Type, e.ID, snippet(eventSummary(e), 80))
	return err
}

// eventSummary picks the telling fields of an event's data for one line.
func eventSummary(e naive.Event) string {
	var d map[string]any
	if json.Unmarshal(e.Data, &d) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"title", "e164", "from", "to", "body", "status", "reason"} {
		switch v := d[k].(type) {
		case string:
			if v != "" {
				if k == "body" {
					v = fmt.Sprintf("%q", v)
				}
				parts = append(parts, k+"="+v)
			}
		}
		if len(parts) == 4 {
			break
		}
	}
	if p, ok := d["phone"].(map[string]any); ok && len(parts) < 4 {
		if v, ok := p["e164"].(string); ok {
			parts = append(parts, "e164="+v)
		}
	}
	return strings.Join(parts, " ")
}

// sinceTime reads --since: a duration ago, or an RFC 3339 time; zero when
// empty.
func sinceTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, errorf("--since %q: want a duration such as 10m or 2h, or an RFC 3339 time such as 2026-12-01T09:00:00Z", v)
}
