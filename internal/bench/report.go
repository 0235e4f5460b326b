package bench

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteTable prints the report for people: the scenarios with their
// ratios and targets, the process checks, then the first error of each
// row that had any.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "naive bench: %s (sandbox carrier in %s), %s per scenario after a %s warm-up; %d CPUs (GOMAXPROCS %d), %s %s\n\n",
		r.Database, r.Sandbox, seconds(r.DurationSeconds), seconds(r.WarmupSeconds), r.CPUs, r.GOMAXPROCS, r.GoVersion, r.Platform)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tconc\trequests\treq/s\tp50\tp99\terrors\tbaseline\tratio\ttarget\tresult")
	for _, row := range r.Rows {
		base, ratio, target, result := "-", "-", "-", "-"
		if row.Baseline != "" {
			base = row.Baseline
			ratio = fmt.Sprintf("%.2f", row.Ratio)
			target = fmt.Sprintf("≥ %.2f", row.Target)
			result = row.Result
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", row.Scenario, row.Concurrency, row.Requests,
			row.Rate, ms(row.P50Ms), ms(row.P99Ms), row.Errors, base, ratio, target, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "process\tvalue\ttarget\tresult")
	for _, c := range r.Process {
		value := "-"
		if c.Result != ResultFailed {
			value = fmt.Sprintf("%.1f %s", c.Value, c.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, value, c.Target, c.Result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	first := true
	for _, row := range r.Rows {
		if row.Errors == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nFirst error of each scenario with errors:")
			first = false
		}
		fmt.Fprintf(w, "  %s (%d errors): %s\n", row.Scenario, row.Errors, row.FirstError)
	}
	for _, c := range r.Process {
		if c.Error != "" {
			fmt.Fprintf(w, "\n%s could not be measured: %s\n", c.Name, c.Error)
		}
	}
	fmt.Fprintf(w, "\nratio = the scenario's req/s over its baseline's, measured in this run: B0 a bare net/http server,\n"+
		"B1 one raw store transaction with a provision's writes. Compare machines by ratio, not by raw times.\n")
	if missed := r.Missed(); len(missed) > 0 {
		fmt.Fprintf(w, "%d short of target:\n", len(missed))
		for _, m := range missed {
			fmt.Fprintf(w, "  %s\n", m)
		}
	} else {
		fmt.Fprintln(w, "Every target met.")
	}
	return nil
}

// ms formats milliseconds with about three significant digits.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + "s" }
