package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/docs"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

func newServerCmd() *cobra.Command {
	server := &cobra.Command{Use: "server", Short: "Run the API server"}
	var host, logFormat, retention string
	var port int
	var authOn bool
	var allowedHosts, corsOrigins []string
	start := &cobra.Command{
		Use:   "start",
		Short: "Start the API server (Prefect 2.7 API under /api, docs at /docs)",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := shared.Load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("host") {
				cfg.Host = host
			}
			if cmd.Flags().Changed("port") {
				cfg.Port = port
			}
			if cmd.Flags().Changed("auth") {
				cfg.Auth = &authOn
			}
			if cmd.Flags().Changed("allowed-hosts") {
				cfg.AllowedHosts = allowedHosts
			}
			if cmd.Flags().Changed("cors-origins") {
				cfg.CORSOrigins = corsOrigins
			}
			if cmd.Flags().Changed("log-format") {
				if logFormat != "json" && logFormat != "text" {
					return fmt.Errorf("--log-format must be json or text, got %q", logFormat)
				}
				cfg.LogFormat = logFormat
			}
			if cmd.Flags().Changed("retention") {
				if cfg.Retention, err = shared.ParseRetention(retention); err != nil {
					return fmt.Errorf("--retention: %w", err)
				}
			}
			return runServer(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	start.Flags().StringVar(&host, "host", "127.0.0.1", "address to listen on (env "+shared.EnvHost+")")
	start.Flags().IntVar(&port, "port", 4200, "port to listen on (env "+shared.EnvPort+")")
	start.Flags().BoolVar(&authOn, "auth", false, "check API keys (env "+shared.EnvAuth+"; default: on when --host is not a loopback address)")
	start.Flags().StringSliceVar(&allowedHosts, "allowed-hosts", nil, "extra Host names answered while API keys are off, comma-separated, * for any (env "+shared.EnvAllowedHosts+"; localhost, 127.0.0.1, [::1] and --host always are)")
	start.Flags().StringSliceVar(&corsOrigins, "cors-origins", nil, "browser origins allowed besides the server's own, comma-separated, * for any (env "+shared.EnvCORSOrigins+")")
	start.Flags().StringVar(&logFormat, "log-format", "", "json or text (env "+shared.EnvLogFormat+"; default: text on a terminal, else json)")
	start.Flags().StringVar(&retention, "retention", "", "delete flow runs that finished longer ago than this, e.g. 30d or 12h (env "+shared.EnvRetention+"; default: keep forever)")
	server.AddCommand(start)
	return server
}

// newLogger logs to stderr in ORRERY_LOG_FORMAT (text on a terminal, else
// JSON, when unset).
func newLogger(level string) *slog.Logger {
	return app.NewLogger(os.Stderr, os.Getenv(shared.EnvLogFormat), level)
}

// runServer serves until ctx is cancelled (Ctrl-C / SIGTERM), then drains
// in-flight requests before closing the store, so every acknowledged write
// is committed.
func runServer(ctx context.Context, cfg shared.Config, out io.Writer) error {
	logger := app.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if os.Getenv("GOGC") == "" {
		// Requests allocate short-lived JSON; collecting less often buys
		// throughput for a few MB of heap.
		debug.SetGCPercent(200)
	}
	on, why := authMode(cfg)
	cfg.Auth = &on
	a, err := app.New(ctx, cfg, backend.Open, api.Config{Logger: logger, DocsHandler: docs.Handler()}, version)
	if err != nil {
		return err
	}
	defer a.Close()
	// The backlog gauge reads the store at scrape time; only the local
	// server has it (a Lambda instance's scrape would cost table reads).
	a.Metrics.WatchQueues(a.Store, nil)
	srv := a.API
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var handler http.Handler = srv
	if os.Getenv("ORRERY_PPROF") != "" {
		// Profiling endpoints for `make bench` investigations; off by default.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.Handle("/", srv)
		handler = mux
	}
	httpSrv := app.NewHTTPServer(handler, app.LimitsOf(cfg), logger)
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Orrery %s is running.\n\n", version)
	fmt.Fprintf(out, "Configure Prefect to use it:\n\n  prefect config set PREFECT_API_URL=%s/api\n\n", base)
	fmt.Fprintf(out, "Dashboard: %s/   API docs: %s/docs   Metrics: %s/metrics\n\n", base, base, base)
	printAuth(ctx, out, a, cfg, on, why)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	go func() {
		// Built-in block types are registered after the listener is up so
		// start-up stays fast; clients register what they use anyway.
		if err := srv.InstallSystemBlockTypes(ctx); err != nil && ctx.Err() == nil {
			logger.Error("installing system block types", "err", err)
		}
	}()
	// Background services: plain RunOnce functions on a ticker here, an
	// EventBridge-triggered Lambda in the serverless shape.
	svcCtx, stopServices := context.WithCancel(context.Background())
	var svcWG sync.WaitGroup
	defer func() { stopServices(); svcWG.Wait() }()
	for _, svc := range a.Services {
		svcWG.Add(1)
		go func(svc services.Service) {
			defer svcWG.Done()
			services.Loop(svcCtx, svc, cfg.ServiceInterval, logger)
		}(svc)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "Shutting down...")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("draining requests: %w", err)
	}
	return nil
}

// authMode decides whether the server checks API keys: ORRERY_AUTH or
// --auth when given, else on exactly when the server listens on a
// non-loopback address (reachable from other machines).
func authMode(cfg shared.Config) (bool, string) {
	if cfg.Auth != nil {
		return *cfg.Auth, "--auth / " + shared.EnvAuth
	}
	if isLoopback(cfg.Host) {
		return false, "loopback host"
	}
	return true, "host " + cfg.Host + " is not loopback"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printAuth says whether keys are checked and, when none exists yet, how
// to create the first one.
func printAuth(ctx context.Context, out io.Writer, a *app.App, cfg shared.Config, on bool, why string) {
	if !on {
		if !isLoopback(cfg.Host) {
			fmt.Fprintf(out, "WARNING: API keys are NOT checked (%s=false) and the server listens on %s.\n", shared.EnvAuth, cfg.Host)
			fmt.Fprintf(out, "Only these Host names are answered: localhost, 127.0.0.1, [::1]")
			for _, h := range app.AllowedHosts(cfg) {
				fmt.Fprintf(out, ", %s", h)
			}
			fmt.Fprintf(out, " (add more with %s).\n\n", shared.EnvAllowedHosts)
		}
		return
	}
	fmt.Fprintf(out, "API keys are checked (%s): clients need PREFECT_API_KEY.\n", why)
	ks, err := a.Store.ListAPIKeys(ctx, &store.APIKeyQuery{Page: store.Page{Limit: 1}})
	if err == nil && len(ks) == 0 {
		fmt.Fprintf(out, "No API key exists yet. Create an admin key with:\n\n  %s='%s' orrery api-key create --name admin --scope admin\n",
			shared.EnvDatabaseURL, shared.RedactURL(cfg.DatabaseURL))
	}
	fmt.Fprintln(out)
}
