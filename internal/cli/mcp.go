package cli

import (
	"context"
	"io"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/mcp"
	"github.com/naive-oss/naive/internal/naive"
)

// MCPOptions are the inputs of `naive mcp`.
type MCPOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
}

// NewCmdMCP is `naive mcp`: the MCP server over stdio, reaching the
// server through the API client.
func NewCmdMCP(f *Factory, runF func(*MCPOptions) error) *cobra.Command {
	opts := &MCPOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "mcp",
		Short: "Run the MCP server over stdio (for Claude, Cursor and other MCP clients)",
		Long: `Run the MCP server over stdio. An MCP client starts it as a subprocess; it
reaches the naive server at NAIVE_API_URL with the agent key NAIVE_API_KEY
(or --api-url, --api-key, the config file).

Tools: naive_status, naive_phone_provision, naive_phone_list, naive_phone_get,
naive_phone_status, naive_phone_release, naive_phone_preflight, naive_phone_search, naive_phone_send,
naive_phone_messages, naive_phone_read, naive_phone_assign,
naive_phone_assignments, naive_approvals_list, naive_approvals_get (there is no
approve or deny tool: only humans decide). ` + "`naive serve`" + ` also serves them over
streamable HTTP at /mcp.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return mcpRun(cmd.Context(), opts)
		},
	}
}

func mcpRun(ctx context.Context, opts *MCPOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	t := &sdk.IOTransport{Reader: io.NopCloser(opts.IO.In), Writer: nopWriteCloser{opts.IO.Out}}
	err = mcp.NewServer(svc).Run(ctx, t)
	if ctx.Err() != nil {
		return nil // interrupted: a normal end
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
