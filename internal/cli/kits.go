package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdAccountKits is `naive account-kits …`.
func NewCmdAccountKits(f *Factory) *cobra.Command {
	cmd := newGroup("account-kits", "Policies for subjects: which actions need a human's approval")
	cmd.Aliases = []string{"kits"}
	cmd.Long = `Account Kits are policies assigned to subjects. For the phone primitive a kit
can force or lift the approval gate on provisioning (by default every subject
but the operator's default one needs a human's approval when an agent asks),
disable phone actions altogether, and default the provision fields.

Only humans create, assign and delete kits (` + "`naive login`" + ` first).`
	cmd.AddCommand(NewCmdKitsList(f, nil), NewCmdKitsGet(f, nil), NewCmdKitsCreate(f, nil),
		NewCmdKitsAssign(f, nil), NewCmdKitsDelete(f, nil))
	return cmd
}

// KitsListOptions are the inputs of `naive account-kits list`.
type KitsListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdKitsList is `naive account-kits list`.
func NewCmdKitsList(f *Factory, runF func(*KitsListOptions) error) *cobra.Command {
	opts := &KitsListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List Account Kits",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return kitsListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func kitsListRun(ctx context.Context, opts *KitsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListKits(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No Account Kits: subjects use the built-in policy (agents need approval on every subject but the default one).")
		nextSteps(out, "naive account-kits create --name trusted --requires-approval false", "a kit that lifts the gate")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tNAME\tPHONE\tCREATED")
	for _, k := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Name, phonePolicy(k), when(k.CreatedAt))
	}
	tw.Flush()
	moreHint(out, "naive account-kits list", l.NextCursor)
	return nil
}

// phonePolicy summarises a kit's phone config on one line.
func phonePolicy(k naive.AccountKit) string {
	c, ok := k.PrimitivesConfig["phone"]
	if !ok {
		return "built-in"
	}
	var parts []string
	if c.Enabled != nil && !*c.Enabled {
		parts = append(parts, "disabled")
	}
	switch {
	case c.RequiresApproval == nil:
		parts = append(parts, "approval: built-in")
	case *c.RequiresApproval:
		parts = append(parts, "approval: required")
	default:
		parts = append(parts, "approval: not required")
	}
	keys := make([]string, 0, len(c.Defaults))
	for k := range c.Defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		parts = append(parts, key+"="+c.Defaults[key])
	}
	return strings.Join(parts, ", ")
}

// KitOptions are the inputs of `naive account-kits get|delete <id>`.
type KitOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdKitsGet is `naive account-kits get <id>`.
func NewCmdKitsGet(f *Factory, runF func(*KitOptions) error) *cobra.Command {
	opts := &KitOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get <kit-id>",
		Short: "Show one Account Kit",
		Args:  exactArgs(1, "a kit id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return kitsGetRun(cmd.Context(), opts)
		},
	}
}

func kitsGetRun(ctx context.Context, opts *KitOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.GetKit(ctx, opts.ID)
	if err != nil {
		return err
	}
	return printKit(opts.IO.Out, opts.JSON, k)
}

func printKit(w io.Writer, asJSON bool, k *naive.AccountKit) error {
	if asJSON {
		return printJSON(w, k)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Kit:\t%s\n", k.Name)
	fmt.Fprintf(tw, "Id:\t%s\n", k.ID)
	fmt.Fprintf(tw, "Mode:\t%s\n", k.Mode)
	fmt.Fprintf(tw, "Phone:\t%s\n", phonePolicy(*k))
	fmt.Fprintf(tw, "Created:\t%s\n", when(k.CreatedAt))
	tw.Flush()
	nextSteps(w, "naive account-kits assign "+k.ID+" <subject-id>", "apply it to a subject")
	return nil
}

// KitsCreateOptions are the inputs of `naive account-kits create`.
type KitsCreateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.KitRequest
}

// NewCmdKitsCreate is `naive account-kits create --name NAME …`.
func NewCmdKitsCreate(f *Factory, runF func(*KitsCreateOptions) error) *cobra.Command {
	opts := &KitsCreateOptions{IO: f.IO, Service: f.Service}
	var (
		name, requires       string
		disabled             bool
		areaCode, typ, label string
		consent, quiet       string
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME [--requires-approval true|false] [--disabled] [--default-area-code NNN] [--consent required] [--quiet-hours 08:00-21:00]",
		Short: "Create an Account Kit (humans only)",
		Long: `Create an Account Kit. Without phone flags it keeps the built-in phone
policy. --requires-approval true makes every agent provision on its subjects
wait for a human; false lifts the gate; --disabled refuses every phone action
(forbidden, primitive_disabled_by_kit). The --default-* flags fill the
provision fields an agent leaves empty. --consent required refuses texts to
contacts a number holds no consent record for (` + "`naive phone consent`" + `);
--quiet-hours START-END lets texts go only in that window of the recipient's
local day (docs/consent.md).`,
		Example: `  naive account-kits create --name trusted --requires-approval false --default-area-code 415
  naive account-kits create --name locked --disabled
  naive account-kits create --name careful --consent required --quiet-hours 08:00-21:00`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if strings.TrimSpace(name) == "" {
				return usageError{errorf("--name is required")}
			}
			opts.Request.Name = &name
			fl := cmd.Flags()
			var pc naive.PrimitiveConfig
			set := false
			if fl.Changed("requires-approval") {
				b, err := strconv.ParseBool(requires)
				if err != nil {
					return usageError{errorf("--requires-approval takes true or false, not %q", requires)}
				}
				pc.RequiresApproval, set = &b, true
			}
			if disabled {
				off := false
				pc.Enabled, set = &off, true
			}
			for _, d := range []struct{ flag, key, v string }{{"default-area-code", "area_code", areaCode},
				{"default-type", "type", typ}, {"default-label", "label", label}} {
				if fl.Changed(d.flag) {
					if pc.Defaults == nil {
						pc.Defaults = map[string]string{}
					}
					pc.Defaults[d.key], set = d.v, true
				}
			}
			if fl.Changed("consent") {
				if consent != naive.KitConsentRequired && consent != naive.KitConsentNotRequired {
					return usageError{errorf("--consent takes required or not_required, not %q", consent)}
				}
				pc.Consent, set = consent, true
			}
			if fl.Changed("quiet-hours") {
				start, end, ok := strings.Cut(quiet, "-")
				if !ok {
					return usageError{errorf("--quiet-hours takes START-END, such as 08:00-21:00, not %q", quiet)}
				}
				pc.QuietHours, set = &naive.QuietHours{Start: strings.TrimSpace(start), End: strings.TrimSpace(end)}, true
			}
			if set {
				opts.Request.PrimitivesConfig = map[string]naive.PrimitiveConfig{"phone": pc}
			}
			if runF != nil {
				return runF(opts)
			}
			return kitsCreateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "the kit's name")
	fl.StringVar(&requires, "requires-approval", "", "true: agents' numbers need a human's approval; false: they do not (default: built-in policy)")
	fl.BoolVar(&disabled, "disabled", false, "refuse every phone action on the kit's subjects")
	fl.StringVar(&areaCode, "default-area-code", "", "area code for provisions that name none")
	fl.StringVar(&typ, "default-type", "", "local or toll_free for provisions that name none")
	fl.StringVar(&label, "default-label", "", "label for provisions that name none")
	fl.StringVar(&consent, "consent", "", "required: texts need the contact's consent record; not_required (default)")
	fl.StringVar(&quiet, "quiet-hours", "", "START-END (HH:MM-HH:MM): texts go only in this window of the recipient's local day")
	return cmd
}

func kitsCreateRun(ctx context.Context, opts *KitsCreateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.CreateKit(ctx, opts.Request)
	if err != nil {
		return err
	}
	return printKit(opts.IO.Out, opts.JSON, k)
}

// KitsAssignOptions are the inputs of `naive account-kits assign`.
type KitsAssignOptions struct {
	IO        *IOStreams
	Service   func() (naive.Service, error)
	JSON      bool
	KitID     string
	SubjectID string
}

// NewCmdKitsAssign is `naive account-kits assign <kit-id> <subject-id>`.
func NewCmdKitsAssign(f *Factory, runF func(*KitsAssignOptions) error) *cobra.Command {
	opts := &KitsAssignOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "assign <kit-id> <subject-id>",
		Short: "Apply a kit to a subject (humans only)",
		Args:  exactArgs(2, "a kit id and a subject id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.KitID, opts.SubjectID = f.JSONOutput(), args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return kitsAssignRun(cmd.Context(), opts)
		},
	}
}

func kitsAssignRun(ctx context.Context, opts *KitsAssignOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	s, err := svc.AssignKit(ctx, opts.KitID, opts.SubjectID)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, s)
	}
	fmt.Fprintf(out, "Subject %s (%s) now follows kit %s.\n", s.ID, orDash(s.LegalName), opts.KitID)
	nextSteps(out, "naive --subject "+s.ID+" phone preflight", "see what provisioning needs now")
	return nil
}

// NewCmdKitsDelete is `naive account-kits delete <id>`.
func NewCmdKitsDelete(f *Factory, runF func(*KitOptions) error) *cobra.Command {
	opts := &KitOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:     "delete <kit-id>",
		Aliases: []string{"rm"},
		Short:   "Delete an Account Kit (humans only)",
		Args:    exactArgs(1, "a kit id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return kitsDeleteRun(cmd.Context(), opts)
		},
	}
}

func kitsDeleteRun(ctx context.Context, opts *KitOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.DeleteKit(ctx, opts.ID); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"id": opts.ID, "deleted": true})
	}
	fmt.Fprintf(opts.IO.Out, "Deleted kit %s.\n", opts.ID)
	return nil
}
