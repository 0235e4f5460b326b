package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naive-oss/naive/internal/naive"
)

// Config is ~/.naive/config.json. Field names follow the hosted original's
// config ({apiKey, baseUrl}) so its users feel at home.
type Config struct {
	// BaseURL is the server (NAIVE_API_URL and --api-url override it).
	BaseURL string `json:"baseUrl,omitempty"`
	// APIKey is an agent key (NAIVE_API_KEY and --api-key override it).
	APIKey string `json:"apiKey,omitempty"`
	// SessionToken is the human session `naive login` stored; it is used
	// before APIKey.
	SessionToken string `json:"sessionToken,omitempty"`
	// Email is the logged-in human's.
	Email string `json:"email,omitempty"`
	// Mode is the mode a human session acts in (test or live).
	Mode string `json:"mode,omitempty"`
	// Subject is the subject to act on instead of the default one.
	Subject string `json:"subject,omitempty"`
}

// configKeys are the keys `naive config set` accepts.
var configKeys = []string{"baseUrl", "apiKey", "mode", "subject"}

// configPath is $NAIVE_CONFIG, else ~/.naive/config.json.
func configPath(getenv func(string) string) string {
	if p := getenv("NAIVE_CONFIG"); p != "" {
		return p
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".naive", "config.json")
}

// LoadConfig reads the config file; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("config %s is not valid JSON: %w", path, err)
	}
	return &c, nil
}

// Save writes the config file readable by its owner only (it holds
// credentials), replacing it atomically.
func (c *Config) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func (c *Config) field(key string) *string {
	switch key {
	case "baseUrl":
		return &c.BaseURL
	case "apiKey":
		return &c.APIKey
	case "sessionToken":
		return &c.SessionToken
	case "email":
		return &c.Email
	case "mode":
		return &c.Mode
	case "subject":
		return &c.Subject
	}
	return nil
}

// mask hides all but a secret's prefix.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	n := 4
	for _, p := range []string{"nv_sk_live_", "nv_sk_test_", "nv_sess_"} {
		if strings.HasPrefix(secret, p) {
			n = len(p) + 4
		}
	}
	if len(secret) <= n {
		return "****"
	}
	return secret[:n] + "…"
}

// ConfigOptions are the inputs of `naive config`.
type ConfigOptions struct {
	IO         *IOStreams
	JSON       bool
	Path       string
	Load       func() (*Config, error)
	Action     string // show, get, set, unset, path
	Key, Value string
}

// NewCmdConfig is `naive config [get KEY | set KEY VALUE | unset KEY | path]`.
func NewCmdConfig(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: f.IO}
	run := func(action string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			opts.Action, opts.JSON, opts.Path, opts.Load = action, f.JSONOutput(), f.ConfigPath(), f.Config
			if len(args) > 0 {
				opts.Key = args[0]
			}
			if len(args) > 1 {
				opts.Value = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return configRun(opts)
		}
	}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or edit the CLI's config file (~/.naive/config.json)",
		Long: `Show or edit the config file: ~/.naive/config.json, or $NAIVE_CONFIG.

Keys: baseUrl (the server), apiKey (an agent key), mode (test or live, for a
human session), subject (act on this subject instead of the default one).
Flags and NAIVE_* environment variables override the file; ` + "`naive login`" + `
stores a human session in it. Secrets are shown masked.`,
		Args: noArgs,
		RunE: run("show"),
	}
	cmd.AddCommand(&cobra.Command{Use: "get KEY", Short: "Print one value", Args: exactArgs(1, "a key"), RunE: run("get")})
	cmd.AddCommand(&cobra.Command{Use: "set KEY VALUE", Short: "Set a value", Args: exactArgs(2, "a key and a value"), RunE: run("set")})
	cmd.AddCommand(&cobra.Command{Use: "unset KEY", Short: "Remove a value", Args: exactArgs(1, "a key"), RunE: run("unset")})
	cmd.AddCommand(&cobra.Command{Use: "path", Short: "Print the config file's path", Args: noArgs, RunE: run("path")})
	return cmd
}

func configRun(opts *ConfigOptions) error {
	out := opts.IO.Out
	if opts.Action == "path" {
		fmt.Fprintln(out, opts.Path)
		return nil
	}
	cfg, err := opts.Load()
	if err != nil {
		return err
	}
	switch opts.Action {
	case "show":
		shown := *cfg
		shown.APIKey, shown.SessionToken = mask(cfg.APIKey), mask(cfg.SessionToken)
		if opts.JSON {
			return printJSON(out, shown)
		}
		fmt.Fprintf(out, "Config file: %s\n\n", opts.Path)
		tw := newTable(out)
		for _, k := range []string{"baseUrl", "apiKey", "sessionToken", "email", "mode", "subject"} {
			v := *shown.field(k)
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
		tw.Flush()
		nextSteps(out, "naive config set baseUrl http://127.0.0.1:8080", "point the CLI at a server")
		return nil
	case "get":
		p := cfg.field(opts.Key)
		if p == nil {
			return unknownKey(opts.Key)
		}
		v := *p
		if opts.Key == "apiKey" || opts.Key == "sessionToken" {
			v = mask(v)
		}
		fmt.Fprintln(out, v)
		return nil
	case "set", "unset":
		if !slices.Contains(configKeys, opts.Key) && !(opts.Action == "unset" && cfg.field(opts.Key) != nil) {
			return unknownKey(opts.Key)
		}
		if opts.Action == "set" && opts.Key == "mode" && !naive.Mode(opts.Value).Valid() {
			return usageError{errorf("mode must be test or live, not %q", opts.Value)}
		}
		*cfg.field(opts.Key) = opts.Value
		if err := cfg.Save(opts.Path); err != nil {
			return err
		}
		if opts.IO.IsStdoutTTY() {
			if opts.Action == "set" {
				fmt.Fprintf(out, "Set %s in %s\n", opts.Key, opts.Path)
			} else {
				fmt.Fprintf(out, "Removed %s from %s\n", opts.Key, opts.Path)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown config action %q", opts.Action)
}

func unknownKey(k string) error {
	return usageError{errorf("unknown config key %q; keys: %s", k, strings.Join(configKeys, ", "))}
}
