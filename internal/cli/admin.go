package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
	"github.com/naive-oss/naive/internal/store/sqlite"
)

// defaultDatabaseURL is `naive serve`'s default database.
const defaultDatabaseURL = "sqlite:./naive.db"

// AdminOptions are what every `naive admin` command shares: the server's
// database, opened directly on the server's host (not through the API).
type AdminOptions struct {
	IO          *IOStreams
	Getenv      func(string) string
	JSON        bool
	DatabaseURL string
}

// databaseURL is --database-url, else NAIVE_DATABASE_URL, else serve's default.
func (o *AdminOptions) databaseURL() string {
	if o.DatabaseURL != "" {
		return o.DatabaseURL
	}
	if v := o.Getenv("NAIVE_DATABASE_URL"); v != "" {
		return v
	}
	return defaultDatabaseURL
}

// open opens the database, migrated as `naive serve` migrates it.
func (o *AdminOptions) open(ctx context.Context) (*app.Admin, error) {
	return app.OpenAdmin(ctx, o.databaseURL(), nil)
}

// NewCmdAdmin is `naive admin …`: the server administrator's commands.
func NewCmdAdmin(f *Factory) *cobra.Command {
	opts := &AdminOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := newGroup("admin", "The server administrator's commands: operators, credits, backups (on the server's host)")
	cmd.Long = `Commands for whoever runs the server. They open the server's database
directly (--database-url, default NAIVE_DATABASE_URL, else ` + defaultDatabaseURL + `, as
` + "`naive serve`" + `), on the server's host, while servers run on it; they do not use the
API, its keys or sessions. A database they open is migrated as a start migrates it.`
	cmd.PersistentFlags().StringVar(&opts.DatabaseURL, "database-url", "",
		"the server's database: sqlite:PATH or postgres://… (env NAIVE_DATABASE_URL, default "+defaultDatabaseURL+")")
	operators := newGroup("operators", "Create and list operators (tenants)")
	operators.AddCommand(newCmdAdminOperatorsCreate(f, opts), newCmdAdminOperatorsList(f, opts), newCmdAdminOperatorsSetCarrier(f, opts))
	credits := newGroup("credits", "Grant credits to an operator")
	credits.AddCommand(newCmdAdminCreditsGrant(f, opts))
	cmd.AddCommand(operators, credits, newCmdAdminBackup(f, opts))
	return cmd
}

type adminCreateOptions struct {
	*AdminOptions
	Name, OwnerEmail, OwnerPassword string
	PasswordStdin                   bool
}

func newCmdAdminOperatorsCreate(f *Factory, admin *AdminOptions) *cobra.Command {
	opts := &adminCreateOptions{AdminOptions: admin}
	cmd := &cobra.Command{
		Use:   "create --name NAME --owner-email EMAIL [--owner-password-stdin | --owner-password P]",
		Short: "Create an operator with its owner and a default subject per mode",
		Long: `Create an operator (a tenant): its owner, a human who logs in with the
email and password, and a default subject in each mode — test mode's ready
for the sandbox (a demo profile, formation completed), live mode's named after
the operator. It has no credits and no API keys: grant credits with
` + "`naive admin credits grant`" + `; the owner logs in and creates keys.

All of it is stored in one transaction, or nothing is. The password is read
from stdin with --owner-password-stdin (one line), taken from --owner-password
(visible to other users of the host in the process list), or generated and
printed once. An email already used by a human is refused (conflict, exit 1).`,
		Example: `  printf '%s\n' "$OWNER_PASSWORD" | naive admin operators create --name "Acme Inc" \
      --owner-email ops@acme.example --owner-password-stdin
  naive admin operators create --name "Beta LLC" --owner-email it@beta.example   # prints a password`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			var missing []string
			if strings.TrimSpace(opts.Name) == "" {
				missing = append(missing, "--name")
			}
			if strings.TrimSpace(opts.OwnerEmail) == "" {
				missing = append(missing, "--owner-email")
			}
			if len(missing) > 0 {
				return usageError{errorf("%s required (and not blank)", strings.Join(missing, ", "))}
			}
			if opts.PasswordStdin && cmd.Flags().Changed("owner-password") {
				return usageError{errorf("--owner-password and --owner-password-stdin: choose one")}
			}
			if cmd.Flags().Changed("owner-password") && opts.OwnerPassword == "" {
				return usageError{errorf("--owner-password is empty: omit it to have a password generated")}
			}
			return adminCreateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "the operator's name (required)")
	fl.StringVar(&opts.OwnerEmail, "owner-email", "", "the owner's email, to log in with (required)")
	fl.StringVar(&opts.OwnerPassword, "owner-password", "", "the owner's password, 12 to 256 characters (default: generated and printed once)")
	fl.BoolVar(&opts.PasswordStdin, "owner-password-stdin", false, "read the owner's password from stdin (one line)")
	return cmd
}

func adminCreateRun(ctx context.Context, opts *adminCreateOptions) error {
	password := opts.OwnerPassword
	if opts.PasswordStdin {
		line, err := bufio.NewReader(opts.IO.In).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return usageError{errorf("--owner-password-stdin: stdin has no password (an empty first line)")}
		}
	}
	a, err := opts.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	out, err := a.Service().AdminCreateOperator(ctx, service.OperatorRequest{Name: opts.Name, OwnerEmail: opts.OwnerEmail, OwnerPassword: password})
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, out)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Created operator %s (%s)\n", out.Operator.Name, out.Operator.ID)
	fmt.Fprintf(w, "Owner: %s\n", out.Owner.Email)
	if out.OwnerPassword != "" {
		fmt.Fprintf(w, "Password (shown once; the owner changes it in the console, Account page):\n%s\n", out.OwnerPassword)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DEFAULT SUBJECT\tMODE\tLEGAL NAME\tFORMATION")
	for _, s := range out.Subjects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Mode, s.LegalName, s.Formation.Status)
	}
	tw.Flush()
	fmt.Fprintln(w, "Credits: none in either mode.")
	nextSteps(w,
		fmt.Sprintf("naive admin credits grant --operator %s --mode test --amount 1000", out.Operator.ID), "test credits for the sandbox",
		fmt.Sprintf("naive login --email %s --mode test", out.Owner.Email), "the owner logs in (then `naive keys create`)")
	return nil
}

func newCmdAdminOperatorsList(f *Factory, admin *AdminOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every operator: id, name, created, owners, humans",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			admin.JSON = f.JSONOutput()
			a, err := admin.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			ops, err := a.Service().AdminListOperators(cmd.Context())
			if err != nil {
				return err
			}
			if admin.JSON {
				return printJSON(admin.IO.Out, naive.List[service.OperatorSummary]{Data: ops})
			}
			if len(ops) == 0 {
				fmt.Fprintln(admin.IO.Out, "No operators yet.")
				nextSteps(admin.IO.Out, "naive admin operators create --name NAME --owner-email EMAIL", "create one")
				return nil
			}
			tw := newTable(admin.IO.Out)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED\tOWNERS\tUSERS")
			for _, o := range ops {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", o.ID, o.Name, when(o.CreatedAt), orDash(strings.Join(o.OwnerEmails, ", ")), o.Users)
			}
			return tw.Flush()
		},
	}
}

type adminGrantOptions struct {
	*AdminOptions
	Operator, Mode, Memo string
	Amount               int64
}

func newCmdAdminCreditsGrant(f *Factory, admin *AdminOptions) *cobra.Command {
	opts := &adminGrantOptions{AdminOptions: admin}
	cmd := &cobra.Command{
		Use:   "grant --operator ID --mode test|live --amount N [--memo M]",
		Short: "Grant credits to an operator, as the server's administrator",
		Long: `Add credits to an operator's balance in one mode: one ledger entry whose
actor is the administrator (actor_type "admin", actor_id the system user and
host that ran the command), refused like a human's grant when the amount is
not 1 to 10,000,000 or the memo is over 255 characters. It carries no
Idempotency-Key: a command that printed the entry granted once; run it again
only to grant again.`,
		Example: `  naive admin credits grant --operator 0197… --mode live --amount 5000 --memo "invoice 2024-118"`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			var missing []string
			for _, fl := range []string{"operator", "mode", "amount"} {
				if !cmd.Flags().Changed(fl) {
					missing = append(missing, "--"+fl)
				}
			}
			if len(missing) > 0 {
				return usageError{errorf("%s required", strings.Join(missing, ", "))}
			}
			if m := naive.Mode(opts.Mode); m != naive.ModeTest && m != naive.ModeLive {
				return usageError{errorf("--mode must be test or live; got %q", opts.Mode)}
			}
			a, err := opts.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			e, err := a.Service().AdminGrantCredits(cmd.Context(), service.AdminGrantRequest{OperatorID: strings.TrimSpace(opts.Operator),
				Mode: naive.Mode(opts.Mode), GrantRequest: naive.GrantRequest{Amount: opts.Amount, Memo: opts.Memo}, Admin: adminName()})
			if err != nil {
				return err
			}
			if opts.JSON {
				return printJSON(opts.IO.Out, e)
			}
			fmt.Fprintf(opts.IO.Out, "Granted %d credits to operator %s (%s mode). Balance: %d.\n", e.Amount, e.OperatorID, e.Mode, e.BalanceAfter)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Operator, "operator", "", "the operator's id (naive admin operators list)")
	fl.StringVar(&opts.Mode, "mode", "", "test or live")
	fl.Int64Var(&opts.Amount, "amount", 0, "credits to add, 1 to 10000000")
	fl.StringVar(&opts.Memo, "memo", "", "what the grant is for (at most 255 characters), shown in the ledger")
	return cmd
}

// adminName names the administrator in the ledger: the system user and
// the host that ran the command.
func adminName() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "administrator"
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}

func newCmdAdminBackup(f *Factory, admin *AdminOptions) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy an SQLite database consistently while servers run (PostgreSQL: pg_dump)",
		Long: `Write a consistent copy of the server's SQLite database to a new file, with
SQLite's VACUUM INTO, while servers read and write it: the copy is one
moment's snapshot, compacted. An existing FILE is refused. The database is
neither created nor migrated, so a backup before an upgrade keeps the old
schema. Restore: stop the servers, replace the database file with the copy,
delete the old file's -wal and -shm files, start.

On PostgreSQL it copies nothing: it prints the pg_dump command to run (the
password hidden) and exits 1.`,
		Example: `  naive admin backup --database-url sqlite:/var/lib/naive/naive.db --to /var/backups/naive-$(date +%F).db`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			admin.JSON = f.JSONOutput()
			if strings.TrimSpace(to) == "" {
				return usageError{errorf("--to FILE required")}
			}
			url := admin.databaseURL()
			if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
				return &exitError{code: ExitError, err: fmt.Errorf("naive admin backup copies SQLite databases only; back up PostgreSQL with pg_dump:\n"+
					"  pg_dump --format=custom --file=%s '%s'\n"+
					"and restore with: pg_restore --clean --if-exists --dbname='%s' %s", shellQuote(to), app.RedactURL(url), app.RedactURL(url), shellQuote(to))}
			}
			if err := sqlite.Backup(cmd.Context(), url, to); err != nil {
				return err
			}
			st, err := os.Stat(to)
			if err != nil {
				return err
			}
			if admin.JSON {
				return printJSON(admin.IO.Out, map[string]any{"database": app.RedactURL(url), "file": to, "bytes": st.Size()})
			}
			fmt.Fprintf(admin.IO.Out, "Backed up %s to %s (%d bytes).\n", url, to, st.Size())
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new file to write the copy to (must not exist)")
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
