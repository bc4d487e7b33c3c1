package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/agent"
)

func newAgentCmd() *cobra.Command {
	var flags apiFlags
	var queues []string
	var python string
	var interval time.Duration
	var limit int
	root := &cobra.Command{Use: "agent", Short: "Run flow runs from work queues"}
	flags.add(root)
	start := &cobra.Command{
		Use:   "start -q QUEUE [-q QUEUE...]",
		Short: "Poll work queues and run their flow runs (python -m prefect.engine per run)",
		RunE: func(cmd *cobra.Command, args []string) error {
			queues = append(queues, args...)
			if len(queues) == 0 {
				return errUsage("give at least one work queue with -q NAME")
			}
			c := flags.client()
			cmd.Printf("Agent started against %s, polling work queue(s): %v\n", c.Base, queues)
			return agent.New(c, agent.Config{Queues: queues, Python: python, PollInterval: interval, Limit: limit,
				Logger: newLogger("info")}).Run(cmd.Context())
		},
	}
	start.Flags().StringSliceVarP(&queues, "work-queue", "q", nil, "work queue to poll (repeatable)")
	start.Flags().StringVar(&python, "python", "python3", "Python interpreter with Prefect installed, used to run flows")
	start.Flags().DurationVar(&interval, "interval", 10*time.Second, "how often to poll")
	start.Flags().IntVar(&limit, "limit", 0, "maximum concurrent flow runs (0: no limit)")
	root.AddCommand(start)
	return root
}
