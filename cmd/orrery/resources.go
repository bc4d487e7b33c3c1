package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
)

func errUsage(msg string) error { return errors.New(msg) }

// flowNamesOf reads the names of the deployments' flows in one request.
func flowNamesOf(cmd *cobra.Command, c *client.Client, deps []*core.Deployment) (map[uuid.UUID]string, error) {
	names := map[uuid.UUID]string{}
	if len(deps) == 0 {
		return names, nil
	}
	ids := make([]uuid.UUID, 0, len(deps))
	for _, d := range deps {
		ids = append(ids, d.FlowID)
	}
	var flows []*core.Flow
	body := map[string]any{"flows": map[string]any{"id": map[string]any{"any_": ids}}}
	if err := c.Do(cmd.Context(), http.MethodPost, "/flows/filter", body, &flows); err != nil {
		return nil, err
	}
	for _, f := range flows {
		names[f.ID] = f.Name
	}
	return names, nil
}

func newDeploymentCmd() *cobra.Command {
	var flags apiFlags
	root := &cobra.Command{Use: "deployment", Short: "List, inspect and run deployments"}
	flags.add(root)
	root.AddCommand(&cobra.Command{
		Use: "ls", Short: "List deployments",
		RunE: func(cmd *cobra.Command, args []string) error {
			var deps []*core.Deployment
			if err := flags.client().Do(cmd.Context(), http.MethodPost, "/deployments/filter", map[string]any{}, &deps); err != nil {
				return err
			}
			if flags.output == "json" {
				return flags.print(cmd.OutOrStdout(), deps, nil, nil)
			}
			flowNames, err := flowNamesOf(cmd, flags.client(), deps)
			if err != nil {
				return err
			}
			// NAME is FLOW_NAME/DEPLOYMENT_NAME, the form inspect and run take
			// (as `prefect deployment ls` prints it).
			return flags.print(cmd.OutOrStdout(), deps, []string{"ID", "NAME", "WORK QUEUE", "SCHEDULE ACTIVE"}, func() [][]string {
				var rows [][]string
				for _, d := range deps {
					rows = append(rows, []string{d.ID.String(), flowNames[d.FlowID] + "/" + d.Name, str(d.WorkQueueName), fmt.Sprint(d.IsScheduleActive)})
				}
				return rows
			})
		},
	})
	root.AddCommand(&cobra.Command{
		Use: "inspect FLOW_NAME/DEPLOYMENT_NAME", Short: "Show a deployment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := flags.client().DeploymentByName(cmd.Context(), args[0])
			if err != nil {
				return notFoundHint(err, "deployment", args[0])
			}
			flags.output = "json"
			return flags.print(cmd.OutOrStdout(), d, nil, nil)
		},
	})
	var params []string
	run := &cobra.Command{
		Use: "run FLOW_NAME/DEPLOYMENT_NAME [--param key=value...]", Short: "Create an ad hoc flow run of a deployment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := flags.client()
			d, err := c.DeploymentByName(cmd.Context(), args[0])
			if err != nil {
				return notFoundHint(err, "deployment", args[0])
			}
			values := map[string]any{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok {
					return fmt.Errorf("--param %q must be key=value", p)
				}
				var parsed any
				if json.Unmarshal([]byte(v), &parsed) != nil {
					parsed = v // not JSON: a plain string
				}
				values[k] = parsed
			}
			now := core.T(time.Now())
			var out core.FlowRun
			if err := c.Do(cmd.Context(), http.MethodPost, "/deployments/"+d.ID.String()+"/create_flow_run", map[string]any{
				"parameters": values, "state": map[string]any{"type": "SCHEDULED", "name": "Scheduled", "state_details": map[string]any{"scheduled_time": now}},
			}, &out); err != nil {
				return err
			}
			return flags.print(cmd.OutOrStdout(), out, []string{"FLOW RUN ID", "NAME", "STATE", "PARAMETERS"}, func() [][]string {
				return [][]string{{out.ID.String(), out.Name, str(out.StateName), string(out.Parameters)}}
			})
		},
	}
	run.Flags().StringArrayVarP(&params, "param", "p", nil, "parameter key=value (value parsed as JSON when it is JSON)")
	root.AddCommand(run)
	return root
}

func notFoundHint(err error, kind, name string) error {
	if client.IsNotFound(err) {
		return fmt.Errorf("%s %q not found", kind, name)
	}
	return err
}

func newWorkQueueCmd() *cobra.Command {
	var flags apiFlags
	root := &cobra.Command{Use: "work-queue", Short: "Manage work queues"}
	flags.add(root)
	show := func(cmd *cobra.Command, q *core.WorkQueue) error {
		return flags.print(cmd.OutOrStdout(), q, []string{"ID", "NAME", "PAUSED", "CONCURRENCY LIMIT", "LAST POLLED"}, func() [][]string {
			limit, polled := "", ""
			if q.ConcurrencyLimit != nil {
				limit = fmt.Sprint(*q.ConcurrencyLimit)
			}
			if q.LastPolled != nil {
				polled = q.LastPolled.Format(time.RFC3339)
			}
			return [][]string{{q.ID.String(), q.Name, fmt.Sprint(q.IsPaused), limit, polled}}
		})
	}
	var limit int
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a work queue", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0]}
			if cmd.Flags().Changed("limit") {
				body["concurrency_limit"] = limit
			}
			var q core.WorkQueue
			if err := flags.client().Do(cmd.Context(), http.MethodPost, "/work_queues/", body, &q); err != nil {
				return err
			}
			return show(cmd, &q)
		},
	}
	create.Flags().IntVarP(&limit, "limit", "l", 0, "concurrency limit")
	root.AddCommand(create)
	root.AddCommand(&cobra.Command{
		Use: "ls", Short: "List work queues",
		RunE: func(cmd *cobra.Command, args []string) error {
			var qs []*core.WorkQueue
			if err := flags.client().Do(cmd.Context(), http.MethodPost, "/work_queues/filter", map[string]any{}, &qs); err != nil {
				return err
			}
			return flags.print(cmd.OutOrStdout(), qs, []string{"ID", "NAME", "PAUSED", "CONCURRENCY LIMIT"}, func() [][]string {
				var rows [][]string
				for _, q := range qs {
					l := ""
					if q.ConcurrencyLimit != nil {
						l = fmt.Sprint(*q.ConcurrencyLimit)
					}
					rows = append(rows, []string{q.ID.String(), q.Name, fmt.Sprint(q.IsPaused), l})
				}
				return rows
			})
		},
	})
	byName := func(cmd *cobra.Command, name string) (*core.WorkQueue, error) {
		q, err := flags.client().WorkQueueByName(cmd.Context(), name, false)
		if err != nil {
			return nil, notFoundHint(err, "work queue", name)
		}
		return q, nil
	}
	root.AddCommand(&cobra.Command{
		Use: "inspect NAME", Short: "Show a work queue", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := byName(cmd, args[0])
			if err != nil {
				return err
			}
			return show(cmd, q)
		},
	})
	for _, paused := range []bool{true, false} {
		use := map[bool]string{true: "pause", false: "resume"}[paused]
		root.AddCommand(&cobra.Command{
			Use: use + " NAME", Short: strings.ToUpper(use[:1]) + use[1:] + " a work queue", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				q, err := byName(cmd, args[0])
				if err != nil {
					return err
				}
				if err := flags.client().Do(cmd.Context(), http.MethodPatch, "/work_queues/"+q.ID.String(), map[string]any{"is_paused": paused}, nil); err != nil {
					return err
				}
				q.IsPaused = paused
				return show(cmd, q)
			},
		})
	}
	root.AddCommand(&cobra.Command{
		Use: "preview NAME", Short: "Runs the queue will hand out next", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := byName(cmd, args[0])
			if err != nil {
				return err
			}
			runs, err := flags.client().QueueRuns(cmd.Context(), q.ID, time.Now().Add(24*time.Hour), 50)
			if err != nil {
				return err
			}
			return printRuns(cmd, &flags, runs)
		},
	})
	root.AddCommand(&cobra.Command{
		Use: "delete NAME", Short: "Delete a work queue", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := byName(cmd, args[0])
			if err != nil {
				return err
			}
			return flags.client().Do(cmd.Context(), http.MethodDelete, "/work_queues/"+q.ID.String(), nil, nil)
		},
	})
	return root
}

func printRuns(cmd *cobra.Command, flags *apiFlags, runs []*core.FlowRun) error {
	return flags.print(cmd.OutOrStdout(), runs, []string{"ID", "NAME", "STATE", "EXPECTED START"}, func() [][]string {
		var rows [][]string
		for _, r := range runs {
			when := ""
			if r.ExpectedStartTime != nil {
				when = r.ExpectedStartTime.Format(time.RFC3339)
			}
			rows = append(rows, []string{r.ID.String(), r.Name, str(r.StateName), when})
		}
		return rows
	})
}

func newFlowRunCmd() *cobra.Command {
	var flags apiFlags
	root := &cobra.Command{Use: "flow-run", Short: "List, inspect and cancel flow runs"}
	flags.add(root)
	var limit int
	var states []string
	ls := &cobra.Command{
		Use: "ls", Short: "List flow runs, latest expected start first (as `prefect flow-run ls`; scheduled runs come first)",
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"limit": limit, "sort": "EXPECTED_START_TIME_DESC"}
			if len(states) > 0 {
				up := make([]string, len(states))
				for i, s := range states {
					up[i] = strings.ToUpper(s)
				}
				body["flow_runs"] = map[string]any{"state": map[string]any{"type": map[string]any{"any_": up}}}
			}
			runs, err := flags.client().FilterFlowRuns(cmd.Context(), body)
			if err != nil {
				return err
			}
			return printRuns(cmd, &flags, runs)
		},
	}
	ls.Flags().IntVar(&limit, "limit", 15, "how many runs")
	ls.Flags().StringSliceVar(&states, "state", nil, "only runs in these state types (e.g. COMPLETED)")
	root.AddCommand(ls)
	parseID := func(s string) (uuid.UUID, error) {
		id, err := uuid.Parse(s)
		if err != nil {
			return uuid.Nil, fmt.Errorf("%q is not a flow run id", s)
		}
		return id, nil
	}
	root.AddCommand(&cobra.Command{
		Use: "inspect ID", Short: "Show a flow run", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			run, err := flags.client().FlowRun(cmd.Context(), id)
			if err != nil {
				return notFoundHint(err, "flow run", args[0])
			}
			flags.output = "json"
			return flags.print(cmd.OutOrStdout(), run, nil, nil)
		},
	})
	root.AddCommand(&cobra.Command{
		Use: "cancel ID", Short: "Cancel a flow run (its agent stops it)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			res, err := flags.client().SetFlowRunState(cmd.Context(), id, core.StateCreate{Type: core.Cancelling}, false)
			if err != nil {
				return notFoundHint(err, "flow run", args[0])
			}
			if res.Status != "ACCEPT" {
				reason := ""
				if res.Details.Reason != nil {
					reason = ": " + *res.Details.Reason
				}
				return fmt.Errorf("flow run %s was not cancelled (%s%s)", id, res.Status, reason)
			}
			return flags.print(cmd.OutOrStdout(), res, []string{"FLOW RUN", "STATE"}, func() [][]string {
				return [][]string{{id.String(), res.State.Name}}
			})
		},
	})
	root.AddCommand(newFlowRunLogsCmd(&flags))
	return root
}
