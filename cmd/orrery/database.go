package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/backend"
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
	db.AddCommand(reset)
	return db
}
