package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// printJSON prints v as the API's JSON, indented for people who look.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// newTable returns a writer that aligns tab-separated columns.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// nextSteps prints the next useful commands, as pairs of command and what
// it does.
func nextSteps(w io.Writer, pairs ...string) {
	if len(pairs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNext:")
	tw := newTable(w)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "  %s\t# %s\n", pairs[i], pairs[i+1])
	}
	tw.Flush()
}

// orDash shows "-" for an empty value in tables.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when formats a time for people.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// exactArgs makes a wrong number of arguments a usage error that names
// what is expected.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s needs %s: %s", cmd.CommandPath(), what, cmd.UseLine())}
		}
		return nil
	}
}

// noArgs refuses arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments; got %q: %s", cmd.CommandPath(), strings.Join(args, " "), cmd.UseLine())}
	}
	return nil
}

// newGroup returns a command that only holds subcommands: alone it prints
// its help; with an unknown subcommand it is a usage error (cobra would
// print the help and exit 0, which hides a typo from an agent).
func newGroup(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		// A typo one or two letters off a subcommand is suggested.
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if near := cmd.SuggestionsFor(args[0]); len(near) > 0 {
					msg += fmt.Sprintf("; did you mean %q?", cmd.CommandPath()+" "+near[0])
				}
				return usageError{errors.New(msg)}
			}
			return cmd.Help()
		},
	}
}
