package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
)

// logsPageSize is the page the command reads POST /logs/filter in: the
// API's maximum.
const logsPageSize = 200

// newFlowRunLogsCmd is `orrery flow-run logs ID`: the run's logs (its task
// runs' included) in the download's line format, optionally filtered by
// the server (--grep is the logs.text filter, --level its level.ge_) and
// followed until the run ends.
func newFlowRunLogsCmd(flags *apiFlags) *cobra.Command {
	var (
		follow   bool
		grep     string
		level    string
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print a flow run's logs, its task runs' included (--follow tails it until it ends)",
		Long: `Print a flow run's logs, its task runs' included, one line each:

  <timestamp> <LEVEL> <logger> [<task run name> <task run id>] - <message>

--grep keeps the lines whose message contains TEXT (ignoring case; the
server's text filter). --level keeps the lines at or above a level, given by
name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or number. --follow polls for new
lines until the run reaches a terminal state, prints what came last and
exits 0.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return fmt.Errorf("%q is not a flow run id", args[0])
			}
			minLevel, err := parseLevel(level)
			if err != nil {
				return err
			}
			if interval <= 0 {
				return fmt.Errorf("--interval must be positive")
			}
			r := &logReader{c: flags.client(), run: id, grep: grep, level: minLevel, out: cmd.OutOrStdout(), labels: map[uuid.UUID]string{}}
			return r.print(cmd.Context(), follow, interval, args[0])
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until the run ends")
	cmd.Flags().StringVar(&grep, "grep", "", "only lines whose message contains TEXT (case-insensitive)")
	cmd.Flags().StringVar(&level, "level", "", "only lines at or above this level (DEBUG, INFO, WARNING, ERROR, CRITICAL or a number)")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often --follow polls")
	return cmd
}

// parseLevel reads a level name (Python logging's, any case; WARN and
// FATAL as Python accepts them) or number; "" is no level filter (-1).
func parseLevel(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	names := map[string]int{"NOTSET": 0, "DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50, "FATAL": 50}
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("unknown --level %q: use DEBUG, INFO, WARNING, ERROR, CRITICAL or a number", s)
	}
	return n, nil
}

// logReader prints a run's logs in timestamp order, resuming where it
// stopped: after the last timestamp printed (after_ is inclusive), skipping
// the lines of that timestamp it has printed already (the server orders
// ties the same way every time), so each poll reads only new lines.
type logReader struct {
	c      *client.Client
	run    uuid.UUID
	grep   string
	level  int
	out    io.Writer
	labels map[uuid.UUID]string // task run id -> "name id"

	last *core.Time // timestamp of the last line printed
	seen int        // lines printed with that timestamp
}

func (r *logReader) print(ctx context.Context, follow bool, interval time.Duration, arg string) error {
	lastRound := false
	for {
		fr, err := r.c.FlowRun(ctx, r.run)
		if err != nil {
			return notFoundHint(err, "flow run", arg)
		}
		// The state is read before the lines, so every line written before
		// the run ended is printed by this drain or the next.
		ended := fr.StateType != nil && fr.StateType.IsTerminal()
		if err := r.drain(ctx); err != nil {
			return err
		}
		if !follow || lastRound {
			return nil
		}
		// The client ships its last lines just after the final state: one
		// more round picks them up.
		lastRound = ended
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// drain prints every line written since the last call.
func (r *logReader) drain(ctx context.Context) error {
	for {
		logs := map[string]any{"flow_run_id": map[string]any{"any_": []uuid.UUID{r.run}}}
		if r.last != nil {
			logs["timestamp"] = map[string]any{"after_": r.last}
		}
		if r.level >= 0 {
			logs["level"] = map[string]any{"ge_": r.level}
		}
		if r.grep != "" {
			logs["text"] = map[string]any{"query": r.grep}
		}
		var page []*core.Log
		body := map[string]any{"logs": logs, "sort": "TIMESTAMP_ASC", "limit": logsPageSize, "offset": r.seen}
		if r.last == nil {
			body["offset"] = 0
		}
		if err := r.c.Do(ctx, http.MethodPost, "/logs/filter", body, &page); err != nil {
			return err
		}
		for _, l := range page {
			if _, err := io.WriteString(r.out, api.LogLine(l, r.label(ctx, l.TaskRunID))); err != nil {
				return err
			}
			if r.last != nil && l.Timestamp.Equal(r.last.Time) {
				r.seen++
			} else {
				ts := l.Timestamp
				r.last, r.seen = &ts, 1
			}
		}
		if len(page) < logsPageSize {
			return nil
		}
	}
}

// label names a task run as the download does: "name id", read once.
func (r *logReader) label(ctx context.Context, id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	if v, ok := r.labels[*id]; ok {
		return v
	}
	v := id.String()
	var tr core.TaskRun
	if err := r.c.Do(ctx, http.MethodGet, "/task_runs/"+id.String(), nil, &tr); err == nil {
		v = tr.Name + " " + v
	}
	r.labels[*id] = v
	return v
}
