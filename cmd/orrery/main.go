// Command orrery is Orrery's one binary: the API server, database admin
// commands, and (with the next issues) the agent and the resource CLIs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is stamped by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "orrery",
		Short: "Orrery: a fast Prefect 2 compatible orchestration server",
		Long: `Orrery serves the Prefect 2.7 REST API, so the stock Prefect client, CLI and
agent work against it unchanged: start the server, then
  export PREFECT_API_URL=http://127.0.0.1:4200/api

Configuration comes from flags and ORRERY_* environment variables:
  ORRERY_HOST, ORRERY_PORT          where the server listens (127.0.0.1:4200)
  ORRERY_DATABASE_URL               sqlite:///abs/path.db (default ~/.orrery/orrery.db),
                                    postgres://user:pw@host/db or dynamodb://TABLE?region=R[&endpoint=URL]
  ORRERY_RESULTS_URL                large payloads: file:///abs/dir (default ~/.orrery/results)
                                    or s3://bucket/prefix?region=R[&endpoint=URL]
  ORRERY_SECRET_KEY                 base64 32-byte key that encrypts block secrets
  ORRERY_SECRET_KEY_FILE            key file used when ORRERY_SECRET_KEY is unset
                                    (default ~/.orrery/secret.key, created on first use)
  ORRERY_SECRET_KEY_PARAMETER       Lambda functions only: SSM SecureString holding that key
  ORRERY_MAX_BODY_BYTES             request body limit (16 MiB)
  ORRERY_HOME                       state directory (~/.orrery)
  ORRERY_LOG_LEVEL                  debug, info (default), warn, error
  ORRERY_LOG_FORMAT                 json or text (default: text on a terminal, else json)
  ORRERY_ALLOWED_HOSTS              extra Host names answered while API keys are off
                                    (localhost, 127.0.0.1, [::1] and --host always; * any)
  ORRERY_CORS_ORIGINS               browser origins allowed besides the server's own (* any)
  ORRERY_READ_TIMEOUT               bound on reading a whole request (60s)
  ORRERY_WRITE_TIMEOUT              bound on answering a request (120s)
  ORRERY_SERVICE_INTERVAL           how often scheduler, late-runs and crashed-runs run (5s)
  ORRERY_AGENT_DEADLINE             unpolled this long, a queue's claimed runs are Crashed (10m)
  ORRERY_RETENTION                  delete flow runs finished longer ago than this (30d, 12h;
                                    default: keep forever)
  ORRERY_UI_URL                     UI address used in notification links (http://HOST:PORT)
  ORRERY_NOTIFICATION_BACKOFF       wait before a failed notification's first retry (10s;
                                    then 3x longer each time, at most 1h; 8 attempts)
  ORRERY_AUTH                       true/false: check API keys (unset: on when --host is not
                                    loopback; always on in the Lambda functions)
  ORRERY_PPROF                      set to serve Go profiles at /debug/pprof/`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServerCmd(), newDatabaseCmd(), newAgentCmd(), newDeploymentCmd(), newWorkQueueCmd(), newFlowRunCmd(), newAPIKeyCmd(), newNotificationCmd())
	rejectUnknownSubcommands(root)
	return root
}

// rejectUnknownSubcommands makes every command group (a command with
// subcommands and no action of its own) fail on an unknown subcommand.
// Cobra only does that for the root: `orrery deployment frobnicate` printed
// the group's help and exited 0, so a typo in a script went unnoticed.
func rejectUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		rejectUnknownSubcommands(sub)
	}
	if cmd == cmd.Root() || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return fmt.Errorf("unknown command %q for %q\nRun '%s --help' for usage", args[0], c.CommandPath(), c.CommandPath())
	}
}
