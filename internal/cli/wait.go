package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// PhoneWaitOptions are the inputs of `naive phone wait`.
type PhoneWaitOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	PhoneID string
	After   string
	Timeout time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// beforeAll is an after that every message id follows: the mark of a
// number that had no message when the wait began.
const beforeAll = "00000000-0000-0000-0000-000000000000"

// NewCmdPhoneWait is `naive phone wait <phone-id>`.
func NewCmdPhoneWait(f *Factory, runF func(*PhoneWaitOptions) error) *cobra.Command {
	opts := &PhoneWaitOptions{IO: f.IO, Service: f.Service, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "wait <phone-id> [--after <message-id>] [--timeout 60s]",
		Short: "Wait for the number's next inbound text and print it with its codes",
		Long: `Wait until the number receives an inbound text, then print it with the
one-time codes found in it (482913, G-123456, …). The server answers the moment
the text arrives, whichever of its processes receives it.

Without --after it waits for a text that arrives after the command starts; with
--after <message-id> (the last text you read) it prints the first inbound text
after that one, at once if it is already there, so nothing between two waits
is missed. The exit code is 8 when no text arrived within --timeout.`,
		Example: `  naive phone wait 01f0… --timeout 2m
  code=$(naive phone wait 01f0… --json | jq -r '.codes[0]')`,
		Args: exactArgs(1, "a phone id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.PhoneID = f.JSONOutput(), args[0]
			if opts.Timeout < time.Second {
				return usageError{errorf("--timeout must be at least 1s")}
			}
			if runF != nil {
				return runF(opts)
			}
			return phoneWaitRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.After, "after", "", "the id of the last message read: print the first inbound text after it")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", naive.MaxWait, "how long to wait for the text")
	return cmd
}

func phoneWaitRun(ctx context.Context, opts *PhoneWaitOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	after := opts.After
	if after == "" {
		// The mark is the newest message now, so that the waits a long
		// --timeout takes (one request waits at most a minute) all look
		// for a text after the same one.
		l, err := svc.ListMessages(ctx, "", opts.PhoneID, naive.ListParams{Limit: 1})
		if err != nil {
			return err
		}
		after = beforeAll
		if len(l.Data) > 0 {
			after = l.Data[0].ID
		}
	}
	start := opts.Now()
	deadline := start.Add(opts.Timeout)
	spin := newSpinner(opts.IO)
	defer spin.stop()
	for {
		left := deadline.Sub(opts.Now()).Round(time.Second)
		if left < time.Second {
			spin.stop()
			hint := fmt.Sprintf("No text arrived. Wait again with `naive phone wait %s --after %s`.", opts.PhoneID, after)
			if after == beforeAll {
				hint = fmt.Sprintf("No text arrived. Wait again with `naive phone wait %s`.", opts.PhoneID)
			}
			return &WaitTimeoutError{What: "a text on phone " + opts.PhoneID, After: opts.Timeout, Hint: hint}
		}
		spin.update(fmt.Sprintf("Waiting for a text on %s (%s left)", opts.PhoneID, left))
		m, err := svc.NextMessage(ctx, "", opts.PhoneID, naive.NextMessageRequest{After: after, Timeout: min(left, naive.MaxWait)})
		if err != nil {
			return err
		}
		if m == nil {
			continue
		}
		spin.stop()
		out := opts.IO.Out
		if opts.JSON {
			return printJSON(out, m)
		}
		fmt.Fprintf(out, "Text from %s to %s (%s):\n", m.From, m.To, when(messageTime(m)))
		for _, line := range strings.Split(m.Body, "\n") {
			fmt.Fprintf(out, "  %s\n", line)
		}
		if len(m.Codes) > 0 {
			fmt.Fprintf(out, "\nCodes: %s\n", strings.Join(m.Codes, ", "))
		} else {
			fmt.Fprintln(out, "\nNo one-time code found in it.")
		}
		nextSteps(out, "naive phone wait "+opts.PhoneID+" --after "+m.ID, "wait for the text after this one")
		return nil
	}
}
