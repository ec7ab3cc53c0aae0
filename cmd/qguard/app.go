package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/qguard/qguard"

	"github.com/qguard/qguard/config"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// app is the state shared by all commands: global flags, the home
// directory, the loaded configuration and the logger.
type app struct {
	home      string
	json      bool
	logFormat string
	logLevel  string

	log *slog.Logger
	cfg *config.Config // loaded lazily by config()

	hooks testHooks
}

// testHooks let in-process tests reach parts that a real run never
// replaces: the clock, the store, extra providers.
type testHooks struct {
	clock     qguard.Clock
	wrapStore func(qguard.Store) qguard.Store
	providers []qguard.Provider
}

func (a *app) now() time.Time {
	if a.hooks.clock != nil {
		return a.hooks.clock()
	}
	return time.Now()
}

func (a *app) flags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.home, "home", "", "qguard home directory (default $QGUARD_HOME or ~/.qguard)")
	f.BoolVar(&a.json, "json", false, "print data as JSON")
	f.StringVar(&a.logFormat, "log-format", "", "log format: text or json (default text on a terminal, json otherwise)")
	f.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

func (a *app) setup(cmd *cobra.Command) error {
	if a.home == "" {
		a.home = os.Getenv("QGUARD_HOME")
	}
	if a.home == "" {
		dir, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("cannot find the home directory; set QGUARD_HOME: %w", err)
		}
		a.home = filepath.Join(dir, ".qguard")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	w := cmd.ErrOrStderr()
	format := a.logFormat
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	switch format {
	case "text":
		a.log = slog.New(slog.NewTextHandler(w, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(w, opts))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", format)
	}
	return nil
}

// config loads config.yaml from the home (defaults when it does not exist).
func (a *app) config() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, err := config.Load(filepath.Join(a.home, config.FileName))
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

func (a *app) printJSON(cmd *cobra.Command, v any) error {
	return writeJSON(cmd.OutOrStdout(), v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
