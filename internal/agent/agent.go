// Package agent is Orrery's native agent: it polls work queues, claims due
// flow runs with a Pending proposal (a conditional state change, so two
// agents never run one flow run), starts each run's process (by default
// `python -m prefect.engine`, as Prefect's Process infrastructure does),
// stops runs that are being cancelled, and marks runs whose process died
// without a final state as Crashed.
package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
)

// Config configures an agent.
type Config struct {
	Queues []string
	// Python runs `-m prefect.engine` when the deployment's infrastructure
	// block does not name a command.
	Python string
	// PollInterval is how often queues are polled (Prefect's default 10 s).
	PollInterval time.Duration
	// Prefetch claims runs due this far in the future (10 s in Prefect).
	Prefetch time.Duration
	// Limit caps concurrently running flow runs (0: no cap).
	Limit  int
	Logger *slog.Logger
}

// Agent runs flow runs from work queues.
type Agent struct {
	c   *client.Client
	cfg Config

	mu      sync.Mutex
	running map[uuid.UUID]*exec.Cmd
	wg      sync.WaitGroup
}

// New returns an agent using c.
func New(c *client.Client, cfg Config) *Agent {
	if cfg.Python == "" {
		cfg.Python = "python3"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 10 * time.Second
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Agent{c: c, cfg: cfg, running: map[uuid.UUID]*exec.Cmd{}}
}

// Run polls until ctx ends, then waits for started runs' processes.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := a.PollOnce(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Error("poll failed", "err", err)
		}
		if err := a.CheckCancellations(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Error("cancellation check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			a.wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// PollOnce claims and starts the due runs of every queue.
func (a *Agent) PollOnce(ctx context.Context) error {
	for _, name := range a.cfg.Queues {
		q, err := a.c.WorkQueueByName(ctx, name, true)
		if err != nil {
			return fmt.Errorf("work queue %q: %w", name, err)
		}
		if q.IsPaused {
			continue
		}
		runs, err := a.c.QueueRuns(ctx, q.ID, time.Now().Add(a.cfg.Prefetch), 10)
		if err != nil {
			return err
		}
		for _, run := range runs {
			if a.cfg.Limit > 0 && a.inFlight() >= a.cfg.Limit {
				return nil
			}
			if err := a.claimAndStart(ctx, run); err != nil {
				a.cfg.Logger.Error("submitting flow run failed", "flow_run", run.ID, "err", err)
			}
		}
	}
	return nil
}

func (a *Agent) inFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.running)
}

// claimAndStart proposes PENDING (only an ACCEPT is a claim) and starts the
// run's process.
func (a *Agent) claimAndStart(ctx context.Context, run *core.FlowRun) error {
	res, err := a.c.SetFlowRunState(ctx, run.ID, core.StateCreate{Type: core.Pending}, false)
	if err != nil {
		return err
	}
	if res.Status != orchestration.Accept {
		a.cfg.Logger.Info("flow run already claimed elsewhere", "flow_run", run.ID, "status", res.Status)
		return nil
	}
	cmd, err := a.command(ctx, run)
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		msg := "Submission failed. " + err.Error()
		_, _ = a.c.SetFlowRunState(ctx, run.ID, core.StateCreate{Type: core.Failed, Message: &msg}, false)
		return err
	}
	a.cfg.Logger.Info("started flow run", "flow_run", run.ID, "name", run.Name, "pid", cmd.Process.Pid)
	host, _ := os.Hostname()
	_ = a.c.Do(ctx, "PATCH", "/flow_runs/"+run.ID.String(), map[string]any{"infrastructure_pid": host + ":" + strconv.Itoa(cmd.Process.Pid)}, nil)
	a.mu.Lock()
	a.running[run.ID] = cmd
	a.mu.Unlock()
	a.wg.Add(1)
	go a.watch(run.ID, cmd)
	return nil
}

// command builds the run's process from its deployment's infrastructure.
func (a *Agent) command(ctx context.Context, run *core.FlowRun) (*exec.Cmd, error) {
	argv := []string{a.cfg.Python, "-m", "prefect.engine"}
	env := os.Environ()
	dir := ""
	if run.InfrastructureDocumentID != nil {
		doc, err := a.c.BlockDocument(ctx, *run.InfrastructureDocumentID)
		if err != nil {
			return nil, fmt.Errorf("reading the infrastructure block: %w", err)
		}
		if cmd, ok := doc.Data["command"].([]any); ok && len(cmd) > 0 {
			argv = argv[:0]
			for _, c := range cmd {
				argv = append(argv, fmt.Sprint(c))
			}
		}
		if vars, ok := doc.Data["env"].(map[string]any); ok {
			for k, v := range vars {
				if v != nil {
					env = append(env, k+"="+fmt.Sprint(v))
				}
			}
		}
		if wd, ok := doc.Data["working_dir"].(string); ok {
			dir = wd
		}
	}
	env = append(env, "PREFECT__FLOW_RUN_ID="+run.ID.String(), "PREFECT_API_URL="+a.c.Base)
	if a.c.APIKey != "" {
		env = append(env, "PREFECT_API_KEY="+a.c.APIKey)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Its own process group, so cancellation stops the whole tree.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// watch waits for a run's process and reports a crash when it ends without
// the run reaching a final state.
func (a *Agent) watch(id uuid.UUID, cmd *exec.Cmd) {
	defer a.wg.Done()
	err := cmd.Wait()
	a.mu.Lock()
	delete(a.running, id)
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, rerr := a.c.FlowRun(ctx, id)
	if rerr != nil || run.StateType == nil || run.StateType.IsTerminal() || *run.StateType == core.Cancelling {
		return
	}
	msg := "Flow run process exited without reporting a final state."
	if exit, ok := err.(*exec.ExitError); ok {
		msg = fmt.Sprintf("Flow run infrastructure exited with non-zero status code %d.", exit.ExitCode())
	}
	if _, err := a.c.SetFlowRunState(ctx, id, core.StateCreate{Type: core.Crashed, Message: &msg}, true); err != nil {
		a.cfg.Logger.Error("marking crashed run failed", "flow_run", id, "err", err)
	}
}

// CheckCancellations stops this agent's runs that are being cancelled and
// marks them Cancelled.
func (a *Agent) CheckCancellations(ctx context.Context) error {
	a.mu.Lock()
	ids := make([]uuid.UUID, 0, len(a.running))
	for id := range a.running {
		ids = append(ids, id)
	}
	a.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	runs, err := a.c.FilterFlowRuns(ctx, map[string]any{"flow_runs": map[string]any{
		"id": map[string]any{"any_": ids}, "state": map[string]any{"type": map[string]any{"any_": []string{"CANCELLING"}}},
	}})
	if err != nil {
		return err
	}
	for _, run := range runs {
		a.mu.Lock()
		cmd := a.running[run.ID]
		a.mu.Unlock()
		if cmd != nil && cmd.Process != nil {
			a.cfg.Logger.Info("cancelling flow run", "flow_run", run.ID)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			go func(p *os.Process) {
				time.Sleep(10 * time.Second)
				_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
			}(cmd.Process)
		}
		name := "Cancelled"
		st := core.StateCreate{Type: core.Cancelled, Name: &name}
		if run.State != nil {
			st.Message = run.State.Message
			details := run.State.StateDetails
			st.StateDetails = &details
			raw, _ := json.Marshal(run.State.Data)
			if string(raw) != "null" {
				st.Data = run.State.Data
			}
		}
		if _, err := a.c.SetFlowRunState(ctx, run.ID, st, true); err != nil {
			return err
		}
	}
	return nil
}
