package main

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

func newDatabaseCmd() *cobra.Command {
	db := &cobra.Command{Use: "database", Short: "Manage the database"}
	var yes bool
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Delete all data and re-apply the schema",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := shared.Load()
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(cmd.OutOrStdout(), "This deletes ALL data in %s. Continue? [y/N] ", shared.RedactURL(cfg.DatabaseURL))
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					// A refusal is a failure, as in `prefect orion database
					// reset`: a script that piped "n" must not carry on as if
					// the database were empty.
					return errors.New("database reset aborted")
				}
			}
			st, err := backend.Open(cmd.Context(), cfg.DatabaseURL, cfg.ResultsURL)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Reset(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Reset %s.\n", shared.RedactURL(cfg.DatabaseURL))
			return nil
		},
	}
	reset.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	db.AddCommand(reset, newDatabasePruneCmd())
	return db
}

// newDatabasePruneCmd is `orrery database prune`: what the retention
// service does on every tick, once, with any cutoff, against the configured
// database (on DynamoDB it deletes with write units what TTL has not yet).
func newDatabasePruneCmd() *cobra.Command {
	var olderThan string
	var dryRun bool
	var batch int
	prune := &cobra.Command{
		Use:   "prune --older-than 30d [--dry-run]",
		Short: "Delete flow runs that finished longer ago than --older-than, with their task runs, states, logs and payloads",
		Long: `Delete flow runs in a terminal state (Completed, Failed, Cancelled, Crashed) that finished
longer ago than --older-than, with their task runs, states, logs, cache entries, queued
notifications and offloaded payloads, in batches (one short write each). Runs in any other
state (so the scheduled runs of deployments), flows, deployments, work queues and blocks stay.
ORRERY_RETENTION makes the server do this continuously.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if olderThan == "" {
				return errors.New("--older-than is required, e.g. --older-than 30d")
			}
			age, err := shared.ParseRetention(olderThan)
			if err != nil {
				return fmt.Errorf("--older-than: %w", err)
			}
			if batch <= 0 {
				return fmt.Errorf("--batch must be positive, got %d", batch)
			}
			cfg, err := shared.Load()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := backend.Open(ctx, cfg.DatabaseURL, cfg.ResultsURL)
			if err != nil {
				return err
			}
			defer st.Close()
			rs, err := results.Open(ctx, cfg.ResultsURL)
			if err != nil {
				return err
			}
			cutoff := time.Now().Add(-age).UTC()
			total, err := services.Prune(ctx, st, rs, &store.PruneParams{Before: cutoff, Limit: batch, DryRun: dryRun}, math.MaxInt, time.Time{})
			verb := "Deleted"
			if dryRun {
				verb = "Would delete"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %d flow runs that finished before %s, with %d task runs, %d states, %d logs and %d payloads, from %s.\n",
				verb, total.FlowRuns, cutoff.Format(time.RFC3339), total.TaskRuns, total.States, total.Logs, len(total.ResultKeys), shared.RedactURL(cfg.DatabaseURL))
			return err
		},
	}
	prune.Flags().StringVar(&olderThan, "older-than", "", "age of the finished runs to delete: days (30d), a Go duration (12h) or both (1d12h)")
	prune.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be deleted; delete nothing")
	prune.Flags().IntVar(&batch, "batch", services.DefaultPruneBatch, "flow runs deleted per write")
	return prune
}
