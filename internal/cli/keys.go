package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdKeys is `naive keys …` (humans only).
func NewCmdKeys(f *Factory) *cobra.Command {
	cmd := newGroup("keys", "Create, list and revoke API keys (humans only)")
	cmd.AddCommand(NewCmdKeysList(f, nil), NewCmdKeysCreate(f, nil), NewCmdKeysRevoke(f, nil))
	return cmd
}

// KeysListOptions are the inputs of `naive keys list`.
type KeysListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdKeysList is `naive keys list`.
func NewCmdKeysList(f *Factory, runF func(*KeysListOptions) error) *cobra.Command {
	opts := &KeysListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API keys (secrets are never shown again)",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return keysListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func keysListRun(ctx context.Context, opts *KeysListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListKeys(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tNAME\tMODE\tPREFIX\tAGENT\tCREATED\tREVOKED")
	for _, k := range l.Data {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = when(*k.RevokedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, orDash(k.Name), k.Mode, k.Prefix, orDash(k.AgentID), when(k.CreatedAt), revoked)
	}
	tw.Flush()
	moreHint(out, "naive keys list", l.NextCursor)
	return nil
}

// KeysCreateOptions are the inputs of `naive keys create`.
type KeysCreateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.KeyRequest
}

// NewCmdKeysCreate is `naive keys create`.
func NewCmdKeysCreate(f *Factory, runF func(*KeysCreateOptions) error) *cobra.Command {
	opts := &KeysCreateOptions{IO: f.IO, Service: f.Service}
	var mode string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--mode test|live] [--agent-id ID]",
		Short: "Create an API key; its secret is shown once",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Request.Name == "" {
				return usageError{errorf("--name is required")}
			}
			if !naive.Mode(mode).Valid() {
				return usageError{errorf("--mode must be test or live, not %q", mode)}
			}
			opts.JSON, opts.Request.Mode = f.JSONOutput(), naive.Mode(mode)
			if runF != nil {
				return runF(opts)
			}
			return keysCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.Name, "name", "", "what the key is for")
	cmd.Flags().StringVar(&mode, "mode", "test", "test or live")
	cmd.Flags().StringVar(&opts.Request.AgentID, "agent-id", "", "bind the key to this agent")
	return cmd
}

func keysCreateRun(ctx context.Context, opts *KeysCreateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.CreateKey(ctx, opts.Request)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, k)
	}
	fmt.Fprintf(out, "Created %s key %q (%s).\n\nSecret (shown once; store it now):\n%s\n", k.Mode, k.Name, k.ID, k.Secret)
	nextSteps(out, "export NAIVE_API_KEY="+k.Secret, "use it from the CLI or `naive mcp`")
	return nil
}

// KeysRevokeOptions are the inputs of `naive keys revoke`.
type KeysRevokeOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdKeysRevoke is `naive keys revoke <id>`.
func NewCmdKeysRevoke(f *Factory, runF func(*KeysRevokeOptions) error) *cobra.Command {
	opts := &KeysRevokeOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "revoke <key-id>",
		Short: "Revoke a key at once (its next request fails)",
		Args:  exactArgs(1, "a key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return keysRevokeRun(cmd.Context(), opts)
		},
	}
}

func keysRevokeRun(ctx context.Context, opts *KeysRevokeOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	k, err := svc.RevokeKey(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, k)
	}
	fmt.Fprintf(opts.IO.Out, "Revoked key %q (%s); its next request is refused.\n", k.Name, k.ID)
	return nil
}
