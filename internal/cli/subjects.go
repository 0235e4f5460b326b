package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdSubjects is `naive subjects …`.
func NewCmdSubjects(f *Factory) *cobra.Command {
	cmd := newGroup("subjects", "Manage subjects: the companies the agents act for")
	cmd.Long = `Manage subjects: the companies the operator's agents act for. Each has a
legal profile and an LLC formation; phone numbers need the formation completed.
Commands act on the default subject unless --subject names another.`
	cmd.AddCommand(NewCmdSubjectsList(f, nil), NewCmdSubjectsGet(f, nil), NewCmdSubjectsCreate(f, nil),
		NewCmdSubjectsUpdate(f, nil), NewCmdSubjectsDelete(f, nil), NewCmdSubjectsFormation(f, nil), NewCmdSubjectsCampaignContent(f))
	return cmd
}

// SubjectsListOptions are the inputs of `naive subjects list`.
type SubjectsListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdSubjectsList is `naive subjects list`.
func NewCmdSubjectsList(f *Factory, runF func(*SubjectsListOptions) error) *cobra.Command {
	opts := &SubjectsListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List subjects",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return subjectsListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func subjectsListRun(ctx context.Context, opts *SubjectsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListSubjects(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tLEGAL NAME\tSTATE\tFORMATION\tDEFAULT")
	for _, s := range l.Data {
		def := ""
		if s.IsDefault {
			def = "default"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, orDash(s.LegalName), orDash(s.State), s.Formation.Status, def)
	}
	tw.Flush()
	moreHint(out, "naive subjects list", l.NextCursor)
	if len(l.Data) > 0 {
		nextSteps(out, "naive --subject "+l.Data[0].ID+" phone status", "act on a subject")
	}
	return nil
}

// SubjectsGetOptions are the inputs of `naive subjects get`.
type SubjectsGetOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdSubjectsGet is `naive subjects get [<id>]`.
func NewCmdSubjectsGet(f *Factory, runF func(*SubjectsGetOptions) error) *cobra.Command {
	opts := &SubjectsGetOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get [<subject-id>]",
		Short: "Show a subject (the default one without an id)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), ""
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return subjectsGetRun(cmd.Context(), opts)
		},
	}
}

func subjectsGetRun(ctx context.Context, opts *SubjectsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	s, err := svc.GetSubject(ctx, opts.ID)
	if err != nil {
		return err
	}
	return printSubject(opts.IO, opts.JSON, s)
}

func printSubject(io *IOStreams, asJSON bool, s *naive.Subject) error {
	out := io.Out
	if asJSON {
		return printJSON(out, s)
	}
	tw := newTable(out)
	fmt.Fprintf(tw, "Subject:\t%s\n", orDash(s.LegalName))
	fmt.Fprintf(tw, "Id:\t%s\n", s.ID)
	fmt.Fprintf(tw, "Default:\t%s\n", yesNo(s.IsDefault))
	fmt.Fprintf(tw, "State:\t%s\n", orDash(s.State))
	fmt.Fprintf(tw, "Website:\t%s\n", orDash(s.Website))
	fmt.Fprintf(tw, "Industry:\t%s\n", orDash(s.Industry))
	a := s.Address
	if a.Line1 != "" {
		fmt.Fprintf(tw, "Address:\t%s, %s, %s %s, %s\n", a.Line1, a.City, a.Region, a.PostalCode, a.Country)
	}
	c := s.Contact
	if c.Email != "" {
		fmt.Fprintf(tw, "Contact:\t%s %s <%s> %s\n", c.FirstName, c.LastName, c.Email, c.Phone)
	}
	fmt.Fprintf(tw, "Formation:\t%s\n", s.Formation.Status)
	tw.Flush()
	if s.Formation.Status != naive.FormationCompleted {
		nextSteps(out, "naive subjects formation "+s.ID+" --start --state DE", "form its LLC (needed for phone numbers)")
	} else {
		nextSteps(out, "naive --subject "+s.ID+" phone provision --ein 12-3456789", "give it a number")
	}
	return nil
}

// profileFlags binds the flags of a subject's legal profile.
type profileFlags struct {
	file string
	p    naive.SubjectProfile
}

func (pf *profileFlags) bind(fs *pflag.FlagSet) {
	fs.StringVarP(&pf.file, "file", "f", "", "read the profile as JSON from this file (- for stdin); flags override it")
	fs.StringVar(&pf.p.LegalName, "legal-name", "", "legal name, e.g. Acme Robotics LLC")
	fs.StringVar(&pf.p.State, "state", "", "US state of the company, e.g. DE")
	fs.StringVar(&pf.p.Website, "website", "", "website URL")
	fs.StringVar(&pf.p.Industry, "industry", "", "industry, e.g. technology")
	fs.StringVar(&pf.p.PrivacyPolicyURL, "privacy-policy-url", "", "privacy policy URL")
	fs.StringVar(&pf.p.TermsURL, "terms-url", "", "terms of service URL")
	fs.StringVar(&pf.p.Address.Line1, "address-line1", "", "street address")
	fs.StringVar(&pf.p.Address.Line2, "address-line2", "", "street address, line 2")
	fs.StringVar(&pf.p.Address.City, "city", "", "city")
	fs.StringVar(&pf.p.Address.Region, "region", "", "state or region of the address")
	fs.StringVar(&pf.p.Address.PostalCode, "postal-code", "", "postal code")
	fs.StringVar(&pf.p.Address.Country, "country", "", "country code, e.g. US")
	fs.StringVar(&pf.p.Contact.FirstName, "contact-first-name", "", "contact person's first name")
	fs.StringVar(&pf.p.Contact.LastName, "contact-last-name", "", "contact person's last name")
	fs.StringVar(&pf.p.Contact.Email, "contact-email", "", "contact person's email")
	fs.StringVar(&pf.p.Contact.Phone, "contact-phone", "", "contact person's phone, E.164")
	fs.StringVar(&pf.p.Contact.Title, "contact-title", "", "contact person's title, e.g. ceo")
}

// readProfileFile reads a JSON profile (or patch) into v.
func readProfileFile(path string, stdin io.Reader, v any) error {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usageError{fmt.Errorf("--file %s: %w", path, err)}
	}
	return nil
}

// SubjectsCreateOptions are the inputs of `naive subjects create`.
type SubjectsCreateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Profile naive.SubjectProfile
}

// NewCmdSubjectsCreate is `naive subjects create`.
func NewCmdSubjectsCreate(f *Factory, runF func(*SubjectsCreateOptions) error) *cobra.Command {
	opts := &SubjectsCreateOptions{IO: f.IO, Service: f.Service}
	pf := &profileFlags{}
	cmd := &cobra.Command{
		Use:   "create [--file profile.json] [--legal-name NAME …]",
		Short: "Create a subject from its legal profile",
		Example: `  naive subjects create --legal-name "Acme Robotics LLC" --state DE --website https://acme.example \
    --industry technology --privacy-policy-url https://acme.example/privacy --terms-url https://acme.example/terms \
    --address-line1 "1 Main St" --city "San Francisco" --region CA --postal-code 94105 --country US \
    --contact-first-name Ada --contact-last-name Lovelace --contact-email ada@acme.example \
    --contact-phone +14155550100 --contact-title ceo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if pf.file != "" {
				if err := readProfileFile(pf.file, f.IO.In, &opts.Profile); err != nil {
					return err
				}
			}
			overlayProfile(cmd.Flags(), &opts.Profile, &pf.p)
			if runF != nil {
				return runF(opts)
			}
			return subjectsCreateRun(cmd.Context(), opts)
		},
	}
	pf.bind(cmd.Flags())
	return cmd
}

// overlayProfile copies the flags that were set onto dst.
func overlayProfile(fs *pflag.FlagSet, dst, src *naive.SubjectProfile) {
	set := func(name string, d *string, v string) {
		if fs.Changed(name) {
			*d = v
		}
	}
	set("legal-name", &dst.LegalName, src.LegalName)
	set("state", &dst.State, src.State)
	set("website", &dst.Website, src.Website)
	set("industry", &dst.Industry, src.Industry)
	set("privacy-policy-url", &dst.PrivacyPolicyURL, src.PrivacyPolicyURL)
	set("terms-url", &dst.TermsURL, src.TermsURL)
	set("address-line1", &dst.Address.Line1, src.Address.Line1)
	set("address-line2", &dst.Address.Line2, src.Address.Line2)
	set("city", &dst.Address.City, src.Address.City)
	set("region", &dst.Address.Region, src.Address.Region)
	set("postal-code", &dst.Address.PostalCode, src.Address.PostalCode)
	set("country", &dst.Address.Country, src.Address.Country)
	set("contact-first-name", &dst.Contact.FirstName, src.Contact.FirstName)
	set("contact-last-name", &dst.Contact.LastName, src.Contact.LastName)
	set("contact-email", &dst.Contact.Email, src.Contact.Email)
	set("contact-phone", &dst.Contact.Phone, src.Contact.Phone)
	set("contact-title", &dst.Contact.Title, src.Contact.Title)
}

func subjectsCreateRun(ctx context.Context, opts *SubjectsCreateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	s, err := svc.CreateSubject(ctx, opts.Profile)
	if err != nil {
		return err
	}
	return printSubject(opts.IO, opts.JSON, s)
}

// SubjectsUpdateOptions are the inputs of `naive subjects update`.
type SubjectsUpdateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Patch   naive.SubjectPatch
}

// NewCmdSubjectsUpdate is `naive subjects update <id>`.
func NewCmdSubjectsUpdate(f *Factory, runF func(*SubjectsUpdateOptions) error) *cobra.Command {
	opts := &SubjectsUpdateOptions{IO: f.IO, Service: f.Service}
	pf := &profileFlags{}
	cmd := &cobra.Command{
		Use:   "update <subject-id> [--file patch.json] [--legal-name NAME …]",
		Short: "Change parts of a subject's profile (only the flags given)",
		Args:  exactArgs(1, "a subject id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if pf.file != "" {
				if err := readProfileFile(pf.file, f.IO.In, &opts.Patch); err != nil {
					return err
				}
			}
			if err := patchFromFlags(cmd.Flags(), &opts.Patch, &pf.p); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return subjectsUpdateRun(cmd.Context(), opts)
		},
	}
	pf.bind(cmd.Flags())
	return cmd
}

// patchFromFlags sets the patch members whose flags were given. Address
// and contact are replaced whole, so their flags start from the patch's
// (or an empty) value.
func patchFromFlags(fs *pflag.FlagSet, patch *naive.SubjectPatch, p *naive.SubjectProfile) error {
	str := func(name string, dst **string, v string) {
		if fs.Changed(name) {
			*dst = &v
		}
	}
	str("legal-name", &patch.LegalName, p.LegalName)
	str("state", &patch.State, p.State)
	str("website", &patch.Website, p.Website)
	str("industry", &patch.Industry, p.Industry)
	str("privacy-policy-url", &patch.PrivacyPolicyURL, p.PrivacyPolicyURL)
	str("terms-url", &patch.TermsURL, p.TermsURL)
	changed := func(names ...string) bool {
		for _, n := range names {
			if fs.Changed(n) {
				return true
			}
		}
		return false
	}
	if changed("address-line1", "address-line2", "city", "region", "postal-code", "country") {
		if patch.Address == nil {
			patch.Address = &naive.Address{}
		}
		var dst naive.SubjectProfile
		dst.Address = *patch.Address
		overlayProfile(fs, &dst, p)
		*patch.Address = dst.Address
	}
	if changed("contact-first-name", "contact-last-name", "contact-email", "contact-phone", "contact-title") {
		if patch.Contact == nil {
			patch.Contact = &naive.Contact{}
		}
		var dst naive.SubjectProfile
		dst.Contact = *patch.Contact
		overlayProfile(fs, &dst, p)
		*patch.Contact = dst.Contact
	}
	return nil
}

func subjectsUpdateRun(ctx context.Context, opts *SubjectsUpdateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	s, err := svc.UpdateSubject(ctx, opts.ID, opts.Patch)
	if err != nil {
		return err
	}
	return printSubject(opts.IO, opts.JSON, s)
}

// NewCmdSubjectsDelete is `naive subjects delete <id>`.
func NewCmdSubjectsDelete(f *Factory, runF func(*SubjectsGetOptions) error) *cobra.Command {
	opts := &SubjectsGetOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:     "delete <subject-id>",
		Aliases: []string{"rm"},
		Short:   "Delete a subject (not the default one; release its numbers first)",
		Args:    exactArgs(1, "a subject id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return subjectsDeleteRun(cmd.Context(), opts)
		},
	}
}

func subjectsDeleteRun(ctx context.Context, opts *SubjectsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.DeleteSubject(ctx, opts.ID); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"id": opts.ID, "deleted": true})
	}
	fmt.Fprintf(opts.IO.Out, "Deleted subject %s.\n", opts.ID)
	return nil
}

// SubjectsFormationOptions are the inputs of `naive subjects formation`.
type SubjectsFormationOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Start   bool
	Request naive.FormationRequest
}

// NewCmdSubjectsFormation is `naive subjects formation [<id>] [--start …]`.
func NewCmdSubjectsFormation(f *Factory, runF func(*SubjectsFormationOptions) error) *cobra.Command {
	opts := &SubjectsFormationOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "formation [<subject-id>] [--start --state DE]",
		Short: "Show a subject's LLC formation, or start it with --start",
		Long: `Show a subject's LLC formation, or start it with --start.

In test mode --start simulates the filing, which completes within seconds. In
live mode it records an existing LLC that a human attests to (--legal-name,
--formed-at, --attest).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), ""
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if !opts.Start && (cmd.Flags().Changed("state") || cmd.Flags().Changed("attest") || cmd.Flags().Changed("legal-name")) {
				return usageError{errorf("--state, --legal-name, --formed-at and --attest go with --start")}
			}
			if runF != nil {
				return runF(opts)
			}
			return subjectsFormationRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Start, "start", false, "file (test mode) or record (live mode) the LLC formation")
	fl.StringVar(&opts.Request.EntityType, "entity-type", "LLC", "entity type")
	fl.StringVar(&opts.Request.State, "state", "", "US state of formation, e.g. DE")
	fl.StringVar(&opts.Request.LegalName, "legal-name", "", "live mode: the existing LLC's legal name")
	fl.StringVar(&opts.Request.FormedAt, "formed-at", "", "live mode: the formation date (YYYY-MM-DD)")
	fl.BoolVar(&opts.Request.Attest, "attest", false, "live mode: attest that the LLC exists (humans only)")
	return cmd
}

func subjectsFormationRun(ctx context.Context, opts *SubjectsFormationOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	var fm *naive.Formation
	if opts.Start {
		fm, err = svc.StartFormation(ctx, opts.ID, opts.Request)
	} else {
		fm, err = svc.GetFormation(ctx, opts.ID)
	}
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, fm)
	}
	tw := newTable(out)
	fmt.Fprintf(tw, "Formation:\t%s\n", fm.Status)
	if fm.EntityType != "" {
		fmt.Fprintf(tw, "Entity:\t%s %s\n", fm.State, fm.EntityType)
	}
	if fm.LegalName != "" {
		fmt.Fprintf(tw, "Legal name:\t%s\n", fm.LegalName)
	}
	if fm.FormedAt != nil {
		fmt.Fprintf(tw, "Formed:\t%s\n", when(*fm.FormedAt))
	}
	tw.Flush()
	switch fm.Status {
	case naive.FormationNotStarted, naive.FormationFailed:
		nextSteps(out, "naive subjects formation "+opts.ID+" --start --state DE", "start it")
	case naive.FormationSubmitted:
		nextSteps(out, "naive subjects formation "+opts.ID, "check again in a few seconds")
	}
	return nil
}
