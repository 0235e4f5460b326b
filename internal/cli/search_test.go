package cli

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// searchService answers SearchNumbers with nums.
type searchService struct {
	naive.Service
	nums []naive.AvailableNumber
	got  naive.NumberSearch
}

func (s *searchService) SearchNumbers(_ context.Context, _ string, req naive.NumberSearch) (*naive.List[naive.AvailableNumber], error) {
	s.got = req
	return &naive.List[naive.AvailableNumber]{Data: s.nums}, nil
}

// TestPhoneSearch: the flags reach the search; a table on a terminal,
// the API's JSON otherwise; a bad --limit is a usage error.
func TestPhoneSearch(t *testing.T) {
	t.Parallel()
	nums := []naive.AvailableNumber{{E164: "+14155551235", Type: "local", AreaCode: "415", Country: "US"},
		{E164: "+14155551236", Type: "local", AreaCode: "415", Country: "US"}}
	for _, tty := range []bool{true, false} {
		svc := &searchService{nums: nums}
		f, out, _ := testFactory(t, svc, tty)
		cmd := NewCmdPhoneSearch(f, nil)
		cmd.SetArgs([]string{"--type", "local", "--area-code", "415", "--limit", "2"})
		cmd.SetOut(io.Discard)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if svc.got != (naive.NumberSearch{Type: "local", AreaCode: "415", Limit: 2}) {
			t.Fatalf("request %+v", svc.got)
		}
		if tty {
			for _, want := range []string{"NUMBER", "AREA CODE", "+14155551235  local", "+14155551236", "naive phone provision --e164 +14155551235"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out.String(), "LOCALITY") {
				t.Errorf("locality column without localities:\n%s", out)
			}
		} else {
			var got naive.List[naive.AvailableNumber]
			if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Data) != 2 || got.Data[1].E164 != "+14155551236" {
				t.Fatalf("JSON %s (%v)", out, err)
			}
		}
	}
	svc := &searchService{nums: []naive.AvailableNumber{}}
	f, out, _ := testFactory(t, svc, true)
	cmd := NewCmdPhoneSearch(f, nil)
	cmd.SetArgs([]string{"--area-code", "555"})
	cmd.SetOut(io.Discard)
	if err := cmd.Execute(); err != nil || !strings.Contains(out.String(), "No numbers for sale") {
		t.Fatalf("empty: %v\n%s", err, out)
	}
	f, _, _ = testFactory(t, svc, true)
	cmd = NewCmdPhoneSearch(f, nil)
	cmd.SetArgs([]string{"--limit", "51"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("--limit 51: exit %d (%v)", ExitCode(err), err)
	}
}
