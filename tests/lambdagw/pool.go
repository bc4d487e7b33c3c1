package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// RIE invokes a function through a Lambda Runtime Interface Emulator's
// invoke endpoint (POST .../2015-03-31/functions/function/invocations).
type RIE struct {
	URL    string
	Client *http.Client
}

func (e *RIE) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// Read one byte past the limit so the caller can tell an oversized
	// response from one at the limit.
	out, err := io.ReadAll(io.LimitReader(resp.Body, MaxInvokePayload+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("emulator %s: %s: %.200q", e.URL, resp.Status, out)
	}
	return out, nil
}

// Pool spreads invocations over emulators, one in flight per emulator (a
// second concurrent invocation crashes the RIE); callers queue for a free
// one. An emulator is held until its invocation returns, even when the
// caller stopped waiting.
type Pool struct {
	free    chan Invoker
	size    int
	calls   atomic.Int64
	waited  atomic.Int64 // calls that found no free emulator
	maxWait atomic.Int64 // nanoseconds
	Logger  *slog.Logger
}

// NewPool returns a pool over members.
func NewPool(members ...Invoker) *Pool {
	p := &Pool{free: make(chan Invoker, len(members)), size: len(members)}
	for _, m := range members {
		p.free <- m
	}
	return p
}

func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var m Invoker
	select {
	case m = <-p.free:
	default:
		start := time.Now()
		p.waited.Add(1)
		select {
		case m = <-p.free:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait := time.Since(start)
		for {
			old := p.maxWait.Load()
			if int64(wait) <= old || p.maxWait.CompareAndSwap(old, int64(wait)) {
				break
			}
		}
		if wait > time.Second && p.Logger != nil {
			p.Logger.Warn("waited for a free emulator", "wait", wait, "emulators", p.size)
		}
	}
	defer func() { p.free <- m }()
	p.calls.Add(1)
	return m.Invoke(ctx, payload)
}

// Stats summarises the pool's use.
func (p *Pool) Stats() string {
	return fmt.Sprintf("%d invocations over %d emulators, %d queued for one (longest wait %v)",
		p.calls.Load(), p.size, p.waited.Load(), time.Duration(p.maxWait.Load()).Round(time.Millisecond))
}

// Ticker invokes the scheduler function with an EventBridge scheduled
// event every Interval, in place of the stack's rate(1 minute) rule. A tick
// is skipped while the previous one still runs.
type Ticker struct {
	Function Invoker
	Interval time.Duration
	Logger   *slog.Logger
	Rule     string // the rule ARN put in the event's resources
	Now      func() time.Time

	ticks, failed atomic.Int64
	running       sync.Mutex
}

// ScheduledEvent is the EventBridge event a schedule rule sends.
func ScheduledEvent(rule, id string, now time.Time) ([]byte, error) {
	return json.Marshal(map[string]any{
		"version":     "0",
		"id":          id,
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     "123456789012",
		"time":        now.UTC().Format(time.RFC3339),
		"region":      "us-east-1",
		"resources":   []string{rule},
		"detail":      map[string]any{},
	})
}

var errTickBusy = errors.New("previous tick still running")

// Tick invokes the function once and reports an invocation or function
// error (errTickBusy when the previous tick has not returned).
func (t *Ticker) Tick(ctx context.Context) error {
	if !t.running.TryLock() {
		return errTickBusy
	}
	defer t.running.Unlock()
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	payload, err := ScheduledEvent(t.Rule, newRequestID(), now())
	if err != nil {
		return err
	}
	t.ticks.Add(1)
	out, err := t.Function.Invoke(ctx, payload)
	if err == nil {
		// A successful tick returns null; the runtime's error document
		// means the handler returned an error.
		if isFunctionError(out) || !json.Valid(out) {
			err = fmt.Errorf("scheduler function: %.300s", out)
		}
	}
	if err != nil {
		t.failed.Add(1)
	}
	return err
}

func isFunctionError(payload []byte) bool {
	var fe functionError
	return json.Unmarshal(payload, &fe) == nil && fe.ErrorType != "" && fe.ErrorMessage != ""
}

// Run ticks until ctx ends.
func (t *Ticker) Run(ctx context.Context) {
	tk := time.NewTicker(t.Interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			go func() {
				start := time.Now()
				err := t.Tick(ctx)
				switch {
				case errors.Is(err, errTickBusy) || ctx.Err() != nil:
				case err != nil:
					t.Logger.Warn("scheduler tick", "err", err)
				default:
					t.Logger.Debug("scheduler tick", "took", time.Since(start))
				}
			}()
		}
	}
}

// Stats summarises the ticks.
func (t *Ticker) Stats() string {
	return fmt.Sprintf("%d scheduler ticks, %d failed", t.ticks.Load(), t.failed.Load())
}
