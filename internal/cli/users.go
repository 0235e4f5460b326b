package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdUsers is `naive users …`: the operator's humans and their roles.
func NewCmdUsers(f *Factory) *cobra.Command {
	cmd := newGroup("users", "List, invite, change the role of and remove the operator's humans")
	cmd.Long = `The operator's humans and their roles:

  owner     may do everything, managing people included
  approver  approves and denies approvals and reads everything; changes nothing else
  viewer    only reads

Any human may list them; only owners invite, change roles and remove. The last
owner can be neither demoted nor removed.`
	cmd.AddCommand(NewCmdUsersList(f, nil), NewCmdUsersInvite(f, nil), NewCmdUsersSetRole(f, nil), NewCmdUsersRemove(f, nil))
	return cmd
}

// UsersListOptions are the inputs of `naive users list`.
type UsersListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdUsersList is `naive users list`.
func NewCmdUsersList(f *Factory, runF func(*UsersListOptions) error) *cobra.Command {
	opts := &UsersListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the operator's humans with their roles",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return usersListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func usersListRun(ctx context.Context, opts *UsersListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListUsers(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSTATUS\tCREATED")
	for _, u := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, orDash(u.Status), when(u.CreatedAt))
	}
	tw.Flush()
	moreHint(out, "naive users list", l.NextCursor)
	return nil
}

// roleFlag checks a --role value.
func roleFlag(role string) error {
	if role == "" {
		return usageError{errorf("--role is required: owner, approver or viewer")}
	}
	if !naive.Role(role).Valid() {
		return usageError{errorf("--role must be owner, approver or viewer, not %q", role)}
	}
	return nil
}

// UsersInviteOptions are the inputs of `naive users invite`.
type UsersInviteOptions struct {
	IO       *IOStreams
	Service  func() (naive.Service, error)
	Settings func() (Settings, error)
	JSON     bool
	Request  naive.InviteRequest
}

// NewCmdUsersInvite is `naive users invite`.
func NewCmdUsersInvite(f *Factory, runF func(*UsersInviteOptions) error) *cobra.Command {
	opts := &UsersInviteOptions{IO: f.IO, Service: f.Service, Settings: f.Settings}
	var role string
	cmd := &cobra.Command{
		Use:   "invite --email EMAIL --role owner|approver|viewer",
		Short: "Invite a human; the invite token and link are shown once",
		Long: `Invite a human with a role. The answer holds the invite token and the console
link that accepts it, shown once: send them to the person, who sets a password
with the link or with ` + "`naive accept-invite --token …`" + `. The token works once, for 7 days.`,
		Example: `  naive users invite --email ada@example.com --role approver`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(opts.Request.Email) == "" {
				return usageError{errorf("--email is required")}
			}
			if err := roleFlag(role); err != nil {
				return err
			}
			opts.JSON, opts.Request.Role = f.JSONOutput(), naive.Role(role)
			if runF != nil {
				return runF(opts)
			}
			return usersInviteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.Email, "email", "", "the human's email")
	cmd.Flags().StringVar(&role, "role", "", "owner, approver or viewer")
	return cmd
}

func usersInviteRun(ctx context.Context, opts *UsersInviteOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	inv, err := svc.InviteUser(ctx, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, inv)
	}
	link := inv.InviteURL
	if set, err := opts.Settings(); err == nil && set.APIURL != "" {
		link = strings.TrimRight(set.APIURL, "/") + inv.InviteURL
	}
	fmt.Fprintf(out, "Invited %s as %s (%s); the invite expires %s.\n\nInvite link (shown once; send it to them):\n%s\n\nInvite token:\n%s\n",
		inv.User.Email, inv.User.Role, inv.User.ID, when(inv.ExpiresAt), link, inv.InviteToken)
	nextSteps(out, "naive accept-invite --token "+inv.InviteToken, "what they run to set their password from the CLI")
	return nil
}

// UsersSetRoleOptions are the inputs of `naive users set-role`.
type UsersSetRoleOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Role    naive.Role
}

// NewCmdUsersSetRole is `naive users set-role <id> --role R`.
func NewCmdUsersSetRole(f *Factory, runF func(*UsersSetRoleOptions) error) *cobra.Command {
	opts := &UsersSetRoleOptions{IO: f.IO, Service: f.Service}
	var role string
	cmd := &cobra.Command{
		Use:   "set-role <user-id> --role owner|approver|viewer",
		Short: "Change a human's role (from their next request)",
		Args:  exactArgs(1, "a user id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := roleFlag(role); err != nil {
				return err
			}
			opts.JSON, opts.ID, opts.Role = f.JSONOutput(), args[0], naive.Role(role)
			if runF != nil {
				return runF(opts)
			}
			return usersSetRoleRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "owner, approver or viewer")
	return cmd
}

func usersSetRoleRun(ctx context.Context, opts *UsersSetRoleOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	u, err := svc.UpdateUser(ctx, opts.ID, naive.UserPatch{Role: &opts.Role})
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, u)
	}
	fmt.Fprintf(opts.IO.Out, "%s (%s) is now %s.\n", u.Email, u.ID, u.Role)
	return nil
}

// UsersRemoveOptions are the inputs of `naive users remove`.
type UsersRemoveOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdUsersRemove is `naive users remove <id>`.
func NewCmdUsersRemove(f *Factory, runF func(*UsersRemoveOptions) error) *cobra.Command {
	opts := &UsersRemoveOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:     "remove <user-id>",
		Aliases: []string{"rm"},
		Short:   "Remove a human; their sessions end at once",
		Args:    exactArgs(1, "a user id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return usersRemoveRun(cmd.Context(), opts)
		},
	}
}

func usersRemoveRun(ctx context.Context, opts *UsersRemoveOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.DeleteUser(ctx, opts.ID); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"id": opts.ID, "deleted": true})
	}
	fmt.Fprintf(opts.IO.Out, "Removed user %s; their sessions have ended.\n", opts.ID)
	return nil
}

// AcceptInviteOptions are the inputs of `naive accept-invite`.
type AcceptInviteOptions struct {
	IO            *IOStreams
	Service       func() (naive.Service, error)
	Settings      func() (Settings, error)
	Config        func() (*Config, error)
	ConfigPath    string
	JSON          bool
	Token         string
	PasswordStdin bool
	// ReadPassword reads a password from the terminal without echo.
	ReadPassword func() (string, error)
}

// NewCmdAcceptInvite is `naive accept-invite --token T`.
func NewCmdAcceptInvite(f *Factory, runF func(*AcceptInviteOptions) error) *cobra.Command {
	opts := &AcceptInviteOptions{IO: f.IO, Service: f.AnonService, Settings: f.Settings, Config: f.Config, ReadPassword: readPassword(f.IO)}
	cmd := &cobra.Command{
		Use:   "accept-invite --token TOKEN [--password-stdin]",
		Short: "Accept an invite: choose a password and log in",
		Long: `Accept an invite an owner sent you: choose your password (12 to 256
characters) and log in; the session is stored in the config file like
` + "`naive login`" + `. On a terminal it asks for the password twice; in scripts pass it
on standard input with --password-stdin.`,
		Example: `  naive accept-invite --token nv_inv_…
  echo "$PASSWORD" | naive accept-invite --token nv_inv_… --password-stdin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Token == "" {
				return usageError{errorf("--token is required: the invite token an owner sent you")}
			}
			opts.JSON, opts.ConfigPath = f.JSONOutput(), f.ConfigPath()
			if runF != nil {
				return runF(opts)
			}
			return acceptInviteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Token, "token", "", "the invite token (nv_inv_…)")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

func acceptInviteRun(ctx context.Context, opts *AcceptInviteOptions) error {
	var password string
	switch {
	case opts.PasswordStdin:
		b, err := io.ReadAll(bufio.NewReader(opts.IO.In))
		if err != nil {
			return err
		}
		password = strings.TrimRight(string(b), "\r\n")
	case opts.IO.IsStdinTTY():
		fmt.Fprint(opts.IO.ErrOut, "New password: ")
		p, err := opts.ReadPassword()
		if err != nil {
			return err
		}
		fmt.Fprint(opts.IO.ErrOut, "Again: ")
		again, err := opts.ReadPassword()
		if err != nil {
			return err
		}
		if again != p {
			return usageError{errorf("the two passwords differ; nothing was changed")}
		}
		password = p
	default:
		return usageError{errorf("pass the password on standard input with --password-stdin")}
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.AcceptInvite(ctx, naive.AcceptInviteRequest{Token: opts.Token, Password: password})
	if err != nil {
		return err
	}
	set, err := opts.Settings()
	if err != nil {
		return err
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	cfg.SessionToken, cfg.BaseURL, cfg.Email = res.Token, set.APIURL, ""
	role := naive.Role("")
	if c, err := client.New(client.Options{BaseURL: set.APIURL, Token: res.Token, UserAgent: "naive-cli", Hints: "cli"}); err == nil {
		if w, err := c.Whoami(ctx); err == nil {
			cfg.Email, role = w.Email, w.Role
		}
	}
	if err := cfg.Save(opts.ConfigPath); err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		// The token is in the config file; do not print it where logs keep it.
		return printJSON(out, map[string]any{"user_id": res.UserID, "operator_id": res.Operator, "expires_at": res.ExpiresAt,
			"email": cfg.Email, "role": role, "config": opts.ConfigPath})
	}
	fmt.Fprintf(out, "Password set; logged in as %s (%s) until %s.\nSession saved in %s.\n", orDefault(cfg.Email, res.UserID),
		orDefault(string(role), "role unknown"), when(res.ExpiresAt), opts.ConfigPath)
	nextSteps(out, "naive whoami", "check who you are", "naive approvals list", "see what waits for a human")
	return nil
}
