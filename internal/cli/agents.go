package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// NewCmdAgents is `naive agents …`.
func NewCmdAgents(f *Factory) *cobra.Command {
	cmd := newGroup("agents", "Register, list, change and delete the operator's agents")
	cmd.AddCommand(NewCmdAgentsList(f, nil), NewCmdAgentsGet(f, nil), NewCmdAgentsCreate(f, nil),
		NewCmdAgentsUpdate(f, nil), NewCmdAgentsDelete(f, nil))
	return cmd
}

// AgentsListOptions are the inputs of `naive agents list`.
type AgentsListOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	List    naive.ListParams
}

// NewCmdAgentsList is `naive agents list`.
func NewCmdAgentsList(f *Factory, runF func(*AgentsListOptions) error) *cobra.Command {
	opts := &AgentsListOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List agents",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return agentsListRun(cmd.Context(), opts)
		},
	}
	listFlags(cmd, &opts.List)
	return cmd
}

func agentsListRun(ctx context.Context, opts *AgentsListOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	l, err := svc.ListAgents(ctx, opts.List)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, l)
	}
	if len(l.Data) == 0 {
		fmt.Fprintln(out, "No agents yet.")
		nextSteps(out, "naive agents create --name support-bot", "register one")
		return nil
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "ID\tNAME\tMODE\tWEBHOOK\tCREATED")
	for _, a := range l.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Mode, orDash(a.WebhookURL), when(a.CreatedAt))
	}
	tw.Flush()
	moreHint(out, "naive agents list", l.NextCursor)
	return nil
}

// AgentsGetOptions are the inputs of `naive agents get`.
type AgentsGetOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
}

// NewCmdAgentsGet is `naive agents get <id>`.
func NewCmdAgentsGet(f *Factory, runF func(*AgentsGetOptions) error) *cobra.Command {
	opts := &AgentsGetOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "get <agent-id>",
		Short: "Show one agent",
		Args:  exactArgs(1, "an agent id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return agentsGetRun(cmd.Context(), opts)
		},
	}
}

func agentsGetRun(ctx context.Context, opts *AgentsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.GetAgent(ctx, opts.ID)
	if err != nil {
		return err
	}
	return printAgent(opts.IO, opts.JSON, a)
}

func printAgent(s *IOStreams, asJSON bool, a *naive.Agent) error {
	if asJSON {
		return printJSON(s.Out, a)
	}
	tw := newTable(s.Out)
	fmt.Fprintf(tw, "Agent:\t%s\n", a.Name)
	fmt.Fprintf(tw, "Id:\t%s\n", a.ID)
	fmt.Fprintf(tw, "Mode:\t%s\n", a.Mode)
	fmt.Fprintf(tw, "Webhook:\t%s\n", orDash(a.WebhookURL))
	if a.WebhookSecret != "" {
		fmt.Fprintf(tw, "Webhook secret:\t%s (shown once: keep it to verify the agent's webhooks)\n", a.WebhookSecret)
	}
	fmt.Fprintf(tw, "Created:\t%s\n", when(a.CreatedAt))
	tw.Flush()
	nextSteps(s.Out, "naive phone provision --agent-id "+a.ID, "give it a number")
	return nil
}

// AgentsCreateOptions are the inputs of `naive agents create`.
type AgentsCreateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	Request naive.AgentRequest
}

// NewCmdAgentsCreate is `naive agents create`.
func NewCmdAgentsCreate(f *Factory, runF func(*AgentsCreateOptions) error) *cobra.Command {
	opts := &AgentsCreateOptions{IO: f.IO, Service: f.Service}
	cmd := &cobra.Command{
		Use:   "create --name NAME [--webhook-url URL]",
		Short: "Register an agent",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Request.Name == "" {
				return usageError{errorf("--name is required")}
			}
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return agentsCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Request.Name, "name", "", "the agent's name")
	cmd.Flags().StringVar(&opts.Request.WebhookURL, "webhook-url", "", "where the agent receives its numbers' SMS")
	return cmd
}

func agentsCreateRun(ctx context.Context, opts *AgentsCreateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.CreateAgent(ctx, opts.Request)
	if err != nil {
		return err
	}
	return printAgent(opts.IO, opts.JSON, a)
}

// AgentsUpdateOptions are the inputs of `naive agents update`.
type AgentsUpdateOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
	ID      string
	Patch   naive.AgentPatch
}

// NewCmdAgentsUpdate is `naive agents update <id>`.
func NewCmdAgentsUpdate(f *Factory, runF func(*AgentsUpdateOptions) error) *cobra.Command {
	opts := &AgentsUpdateOptions{IO: f.IO, Service: f.Service}
	var name, webhookURL string
	cmd := &cobra.Command{
		Use:   "update <agent-id> [--name NAME] [--webhook-url URL]",
		Short: "Rename an agent or set, change or remove (--webhook-url '') its webhook",
		Args:  exactArgs(1, "an agent id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if cmd.Flags().Changed("name") {
				opts.Patch.Name = &name
			}
			if cmd.Flags().Changed("webhook-url") {
				opts.Patch.WebhookURL = &webhookURL
			}
			if opts.Patch.Name == nil && opts.Patch.WebhookURL == nil {
				return usageError{errorf("nothing to change: give --name or --webhook-url")}
			}
			if runF != nil {
				return runF(opts)
			}
			return agentsUpdateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the agent's new name")
	cmd.Flags().StringVar(&webhookURL, "webhook-url", "", "where the agent receives its numbers' SMS (\"\" removes it)")
	return cmd
}

func agentsUpdateRun(ctx context.Context, opts *AgentsUpdateOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	a, err := svc.UpdateAgent(ctx, opts.ID, opts.Patch)
	if err != nil {
		return err
	}
	return printAgent(opts.IO, opts.JSON, a)
}

// NewCmdAgentsDelete is `naive agents delete <id>`.
func NewCmdAgentsDelete(f *Factory, runF func(*AgentsGetOptions) error) *cobra.Command {
	opts := &AgentsGetOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:     "delete <agent-id>",
		Aliases: []string{"rm"},
		Short:   "Delete an agent, its number assignments and its webhook",
		Long: `Delete an agent, its number assignments and its webhook. An agent an
unrevoked API key is bound to cannot be deleted: revoke the key first.`,
		Args: exactArgs(1, "an agent id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.ID = f.JSONOutput(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return agentsDeleteRun(cmd.Context(), opts)
		},
	}
}

func agentsDeleteRun(ctx context.Context, opts *AgentsGetOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	if err := svc.DeleteAgent(ctx, opts.ID); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"id": opts.ID, "deleted": true})
	}
	fmt.Fprintf(opts.IO.Out, "Deleted agent %s.\n", opts.ID)
	return nil
}
