package cli

import (
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/naive-oss/naive/internal/client"
	"github.com/naive-oss/naive/internal/naive"
)

// IOStreams are a command's standard streams and whether each is a
// terminal: human output and prompts need one, agents get JSON.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
}

// IsStdinTTY reports whether input comes from a terminal (prompts allowed).
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether output goes to a terminal (human output).
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal (progress indicators).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// isTerminal reports whether v is a file attached to a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newIOStreams detects terminals. NAIVE_FORCE_TTY=1 makes stdout count as
// one, so scripts and tests can see the human output.
func newIOStreams(e *env) *IOStreams {
	s := &IOStreams{In: e.stdin, Out: e.stdout, ErrOut: e.stderr,
		stdinTTY: isTerminal(e.stdin), stdoutTTY: isTerminal(e.stdout), stderrTTY: isTerminal(e.stderr)}
	if v := e.getenv("NAIVE_FORCE_TTY"); v != "" && v != "0" && v != "false" {
		s.stdoutTTY = true
	}
	return s
}

// GlobalFlags are the flags every client command takes.
type GlobalFlags struct {
	JSON    bool
	APIURL  string
	APIKey  string
	Subject string
	Mode    string
}

// Factory gives commands what they need, resolved lazily so that flag
// parsing stays cheap and tests can replace any part (cli/cli's pattern).
type Factory struct {
	IO     *IOStreams
	Getenv func(string) string
	Flags  *GlobalFlags
	// Config loads the config file (an empty one if there is none).
	Config func() (*Config, error)
	// ConfigPath is where the config file lives.
	ConfigPath func() string
	// Service returns the API client, configured from flags, environment
	// and config file, in that order of precedence.
	Service func() (naive.Service, error)
	// AnonService returns a client without credentials (for login).
	AnonService func() (naive.Service, error)
}

// JSONOutput reports whether to print the API's JSON: asked for with
// --json, or stdout is not a terminal (an agent or a pipe reads it).
func (f *Factory) JSONOutput() bool { return f.Flags.JSON || !f.IO.IsStdoutTTY() }

// newFactory wires the real implementations.
func newFactory(e *env) *Factory {
	f := &Factory{IO: newIOStreams(e), Getenv: e.getenv, Flags: &GlobalFlags{}}
	f.ConfigPath = func() string { return configPath(e.getenv) }
	f.Config = func() (*Config, error) { return LoadConfig(f.ConfigPath()) }
	f.Service = func() (naive.Service, error) { return f.newClient(true) }
	f.AnonService = func() (naive.Service, error) { return f.newClient(false) }
	return f
}

// Settings are the resolved connection settings of a client command.
type Settings struct {
	APIURL  string
	Token   string
	Subject string
	Mode    string
}

// Settings resolves flags > environment > config file > defaults.
func (f *Factory) Settings() (Settings, error) {
	cfg, err := f.Config()
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		APIURL:  first(f.Flags.APIURL, f.Getenv("NAIVE_API_URL"), cfg.BaseURL, client.DefaultBaseURL),
		Token:   strings.TrimSpace(first(f.Flags.APIKey, f.Getenv("NAIVE_API_KEY"), cfg.SessionToken, cfg.APIKey)),
		Subject: first(f.Flags.Subject, f.Getenv("NAIVE_SUBJECT"), cfg.Subject),
		Mode:    first(f.Flags.Mode, f.Getenv("NAIVE_MODE"), cfg.Mode),
	}
	if s.Mode != "" && !naive.Mode(s.Mode).Valid() {
		return s, usageError{errorf("--mode must be test or live, not %q", s.Mode)}
	}
	return s, nil
}

func (f *Factory) newClient(auth bool) (naive.Service, error) {
	s, err := f.Settings()
	if err != nil {
		return nil, err
	}
	opts := client.Options{BaseURL: s.APIURL, Subject: s.Subject, UserAgent: "naive-cli", Hints: "cli"}
	if auth {
		if s.Token == "" {
			return nil, (&naive.Error{Code: naive.EUnauthorized, Message: "No API key or session."}).
				WithHint("Set NAIVE_API_KEY=nv_sk_… (or pass --api-key), or log in as a human with `naive login`.")
		}
		opts.Token = s.Token
		// Keys carry their own mode; only a human session chooses one.
		if !strings.HasPrefix(s.Token, "nv_sk_") {
			opts.Mode = naive.Mode(s.Mode)
		}
	} else {
		opts.Mode = naive.Mode(s.Mode)
	}
	c, err := client.New(opts)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
