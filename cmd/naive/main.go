// Command naive is the server, the CLI and the MCP server of naive.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/naive-oss/naive/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
