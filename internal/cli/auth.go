package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// LoginOptions are the inputs of `naive login`.
type LoginOptions struct {
	IO            *IOStreams
	Service       func() (naive.Service, error)
	Settings      func() (Settings, error)
	Config        func() (*Config, error)
	ConfigPath    string
	JSON          bool
	Email         string
	PasswordStdin bool
	Mode          string
	// ReadPassword reads a password from the terminal without echo.
	ReadPassword func() (string, error)
}

// NewCmdLogin is `naive login`.
func NewCmdLogin(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{IO: f.IO, Service: f.AnonService, Settings: f.Settings, Config: f.Config, ReadPassword: readPassword(f.IO)}
	cmd := &cobra.Command{
		Use:   "login [--email EMAIL] [--password-stdin] [--mode test|live]",
		Short: "Log in as a human and store the session in the config file",
		Long: `Log in as a human (to approve, manage keys and grant credits) and store the
session token in the config file, where later commands find it.

On a terminal it asks for what is missing; in scripts pass --email and the
password on standard input with --password-stdin. --mode (or the global
--mode) chooses the mode the session acts in; the server's default is live.`,
		Example: `  naive login --email admin@localhost --mode test
  echo "$PASSWORD" | naive login --email admin@localhost --password-stdin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON, opts.ConfigPath = f.JSONOutput(), f.ConfigPath()
			if opts.Mode == "" {
				opts.Mode = f.Flags.Mode
			}
			if opts.Mode != "" && !naive.Mode(opts.Mode).Valid() {
				return usageError{errorf("--mode must be test or live, not %q", opts.Mode)}
			}
			if runF != nil {
				return runF(opts)
			}
			return loginRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Email, "email", "", "the human's email")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from standard input")
	cmd.Flags().StringVar(&opts.Mode, "mode", "", "test or live: the mode the session acts in")
	return cmd
}

// readPassword reads without echo when stdin is a terminal.
func readPassword(s *IOStreams) func() (string, error) {
	return func() (string, error) {
		f, ok := s.In.(*os.File)
		if !ok {
			return "", errors.New("no terminal to read a password from")
		}
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.ErrOut)
		return string(b), err
	}
}

func loginRun(ctx context.Context, opts *LoginOptions) error {
	in := bufio.NewReader(opts.IO.In)
	if opts.Email == "" {
		if !opts.IO.IsStdinTTY() || opts.PasswordStdin {
			return usageError{errorf("--email is required when not on a terminal")}
		}
		fmt.Fprint(opts.IO.ErrOut, "Email: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return usageError{errorf("no email given")}
		}
		opts.Email = strings.TrimSpace(line)
	}
	var password string
	switch {
	case opts.PasswordStdin:
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		password = strings.TrimRight(string(b), "\r\n")
	case opts.IO.IsStdinTTY():
		fmt.Fprint(opts.IO.ErrOut, "Password: ")
		p, err := opts.ReadPassword()
		if err != nil {
			return err
		}
		password = p
	default:
		return usageError{errorf("pass the password on standard input with --password-stdin")}
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	res, err := svc.Login(ctx, naive.LoginRequest{Email: opts.Email, Password: password})
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
	cfg.SessionToken, cfg.Email, cfg.BaseURL = res.Token, strings.ToLower(opts.Email), set.APIURL
	if opts.Mode != "" {
		cfg.Mode = opts.Mode
	}
	if err := cfg.Save(opts.ConfigPath); err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		// The token is in the config file; do not print it where logs keep it.
		return printJSON(out, map[string]any{"user_id": res.UserID, "operator_id": res.Operator, "expires_at": res.ExpiresAt,
			"email": cfg.Email, "mode": orDefault(cfg.Mode, "live"), "config": opts.ConfigPath})
	}
	fmt.Fprintf(out, "Logged in as %s (%s mode) until %s.\nSession saved in %s.\n", cfg.Email, orDefault(cfg.Mode, "live"), when(res.ExpiresAt), opts.ConfigPath)
	nextSteps(out, "naive whoami", "check who you are", "naive keys create --name my-agent --mode test", "make an API key for an agent")
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// LogoutOptions are the inputs of `naive logout`.
type LogoutOptions struct {
	IO         *IOStreams
	Settings   func() (Settings, error)
	Config     func() (*Config, error)
	ConfigPath string
	JSON       bool
}

// NewCmdLogout is `naive logout`.
func NewCmdLogout(f *Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Settings: f.Settings, Config: f.Config}
	return &cobra.Command{
		Use:   "logout",
		Short: "End the stored human session",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON, opts.ConfigPath = f.JSONOutput(), f.ConfigPath()
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(cmd.Context(), opts)
		},
	}
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if cfg.SessionToken == "" {
		if opts.JSON {
			return printJSON(opts.IO.Out, map[string]any{"logged_out": false})
		}
		fmt.Fprintln(opts.IO.Out, "Not logged in.")
		return nil
	}
	set, err := opts.Settings()
	if err != nil {
		return err
	}
	c, err := client.New(client.Options{BaseURL: set.APIURL, Token: cfg.SessionToken, UserAgent: "naive-cli", Hints: "cli"})
	if err != nil {
		return usageError{err}
	}
	// An expired session is as good as ended; anything else is reported
	// after the local session is forgotten anyway.
	lerr := c.Logout(ctx)
	if naive.ErrorCode(lerr) == naive.EUnauthorized {
		lerr = nil
	}
	cfg.SessionToken, cfg.Email = "", ""
	if err := cfg.Save(opts.ConfigPath); err != nil {
		return err
	}
	if lerr != nil {
		return lerr
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"logged_out": true})
	}
	fmt.Fprintln(opts.IO.Out, "Logged out.")
	return nil
}

// WhoamiOptions are the inputs of `naive whoami`.
type WhoamiOptions struct {
	IO      *IOStreams
	Service func() (naive.Service, error)
	JSON    bool
}

// NewCmdWhoami is `naive whoami`.
func NewCmdWhoami(f *Factory, runF func(*WhoamiOptions) error) *cobra.Command {
	opts := &WhoamiOptions{IO: f.IO, Service: f.Service}
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the CLI acts as",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.JSON = f.JSONOutput()
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(cmd.Context(), opts)
		},
	}
}

func whoamiRun(ctx context.Context, opts *WhoamiOptions) error {
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	w, err := svc.Whoami(ctx)
	if err != nil {
		return err
	}
	out := opts.IO.Out
	if opts.JSON {
		return printJSON(out, w)
	}
	tw := newTable(out)
	if w.Kind == naive.PrincipalHuman {
		fmt.Fprintf(tw, "Human:\t%s (%s)\n", orDash(w.Email), w.UserID)
		fmt.Fprintf(tw, "Role:\t%s\n", orDash(string(w.Role)))
	} else {
		fmt.Fprintf(tw, "Agent key:\t%s\n", w.KeyID)
		if w.AgentID != "" {
			fmt.Fprintf(tw, "Agent:\t%s\n", w.AgentID)
		}
	}
	fmt.Fprintf(tw, "Operator:\t%s\n", w.OperatorID)
	fmt.Fprintf(tw, "Mode:\t%s\n", w.Mode)
	fmt.Fprintf(tw, "Default subject:\t%s\n", orDash(w.SubjectID))
	tw.Flush()
	nextSteps(out, "naive credits", "the credit balance", "naive phone list", "the subject's numbers")
	return nil
}
