package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBenchUsage: `naive bench` refuses what it cannot run before
// measuring anything (the harness itself is tested in internal/bench).
func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench", "--duration", "0s"},
		{"bench", "--duration", "-1s"},
		{"bench", "--database-url", "sqlite:./naive.db"},
		{"bench", "extra"},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (usage); stderr %s", args, code, ExitUsage, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("%q printed %s", args, out.String())
		}
	}
}
