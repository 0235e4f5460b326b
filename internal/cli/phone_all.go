package cli

import (
	"context"
	"fmt"

	"github.com/naive-oss/naive/internal/naive"
)

// phoneListAllRun is `naive phone list --all-subjects`: the numbers of every
// subject of the mode, with a SUBJECT column.
func phoneListAllRun(ctx context.Context, svc naive.Service, opts *PhoneListOptions) error {
	l, err := svc.ListAllPhones(ctx, opts.AgentID, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No numbers in any subject yet.")
		nextSteps(out, "naive phone provision --ein 12-3456789 --area-code 415", "buy the first number")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tSUBJECT\tNUMBER\tTYPE\tSTATUS\tSMS OUT\tLABEL\tCREATED")
	for _, p := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.SubjectID, p.E164, p.Type, p.Status,
			yesNo(p.Capabilities.SMSOutbound), orDash(p.Label), when(p.CreatedAt))
	}
	tw.Flush()
	more := "naive phone list --all-subjects"
	if opts.AgentID != "" {
		more += " --agent " + opts.AgentID
	}
	moreHint(out, more, l.NextCursor)
	nextSteps(out, "naive --subject "+l.Data[0].SubjectID+" phone get "+l.Data[0].ID, "details of a number")
	return nil
}
