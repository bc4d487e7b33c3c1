// Package serverless measures what the serverless shape costs: the Lambda
// API handler driven with API Gateway payload-2.0 events over the DynamoDB
// store (moto's emulator), counting DynamoDB requests and request units,
// the handler's CPU time, and a scheduler tick on an idle table. From those
// and AWS list prices it reports the cost of one million task-run
// transitions and of an idle month (`make bench-cost`).
package serverless

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
	"github.com/orrery-dev/orrery/shared"
)

// List prices, us-east-1, on-demand, without free tiers (checked 2026-12).
const (
	priceHTTPAPIRequest = 1.00 / 1e6           // HTTP API, first 300M requests a month
	priceLambdaRequest  = 0.20 / 1e6           // Lambda invocations
	priceLambdaGBSecond = 0.0000133334         // Lambda arm64 compute
	priceWRU            = 0.625 / 1e6          // DynamoDB on-demand write request unit
	priceRRU            = 0.125 / 1e6          // DynamoDB on-demand read request unit
	apiMemoryGB         = 512.0 / 1024         // the stack's API function memory (infra: apiMemoryMB)
	tickMemoryGB        = 256.0 / 1024         // the stack's scheduler function memory (schedulerMemoryMB)
	fullCoreGB          = 1769.0 / 1024        // Lambda gives one full vCPU at 1,769 MB
	dynamoLatency       = 5 * time.Millisecond // assumed in-region DynamoDB round trip (p50 is single-digit ms)
	ticksPerMonth       = 30 * 24 * 60         // the EventBridge rule fires every minute
)

// counter counts HTTP requests to DynamoDB.
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

type fixture struct {
	app     *app.App
	store   *dynamo.Store
	calls   *counter
	handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func setup(b *testing.B) *fixture {
	b.Helper()
	ep := os.Getenv("ORRERY_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		b.Skip("ORRERY_TEST_DYNAMODB_ENDPOINT is not set: run through scripts/with-backends.sh (make bench-cost)")
	}
	table := "orrery-cost-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	calls := &counter{next: http.DefaultTransport}
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ep),
		Credentials:                     credentials.NewStaticCredentialsProvider("orrery", "orrery", ""),
		HTTPClient:                      &http.Client{Transport: calls},
		DisableValidateResponseChecksum: true, // moto's x-amz-crc32 does not match its bodies
	})
	var st *dynamo.Store
	open := func(ctx context.Context, databaseURL, _ string) (store.Store, error) {
		var err error
		st, err = dynamo.Open(ctx, databaseURL, dynamo.Options{Client: client})
		return st, err
	}
	dir := b.TempDir()
	cfg := shared.Config{DatabaseURL: "dynamodb://" + table + "?region=us-east-1&endpoint=" + ep,
		SecretKeyFile: filepath.Join(dir, "secret.key"), AgentDeadline: time.Hour}
	a, err := app.New(context.Background(), cfg, open, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
		a.Close()
	})
	return &fixture{app: a, store: st, calls: calls, handler: httpadapter.NewV2(a.API).ProxyWithContext}
}

// call sends one API Gateway event and decodes the JSON answer into out.
func (f *fixture) call(b *testing.B, method, path string, body, out any) {
	b.Helper()
	raw, _ := json.Marshal(body)
	e := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: string(raw),
		Headers: map[string]string{"content-type": "application/json", "x-prefect-api-version": api.APIVersion}}
	e.RequestContext.HTTP.Method, e.RequestContext.HTTP.Path = method, path
	resp, err := f.handler(context.Background(), e)
	if err != nil || resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %v %d %s", method, path, err, resp.StatusCode, resp.Body)
	}
	if out != nil {
		if err := json.NewDecoder(bytes.NewReader([]byte(resp.Body))).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
}

// cpu is the process's user+system CPU time: the handler's compute, without
// the time spent waiting on the emulator (a separate process).
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lambdaSeconds models billed Lambda time for work that used cpuTime of a
// full core and made calls DynamoDB round trips: with memGB of memory a
// function gets memGB/fullCoreGB of a core.
func lambdaSeconds(cpuTime time.Duration, calls, memGB float64) float64 {
	return cpuTime.Seconds()*fullCoreGB/memGB + calls*dynamoLatency.Seconds()
}

// BenchmarkTaskRunTransitionCost drives task runs Pending -> Running ->
// Completed through the Lambda API handler, one event per transition, as
// the stock client does (POST /api/task_runs/{id}/set_state).
func BenchmarkTaskRunTransitionCost(b *testing.B) {
	f := setup(b)
	var flow, run struct{ ID string }
	f.call(b, "POST", "/api/flows/", map[string]any{"name": "cost"}, &flow)
	f.call(b, "POST", "/api/flow_runs/", map[string]any{"flow_id": flow.ID, "state": map[string]any{"type": "RUNNING"}}, &run)
	tasks := make([]string, b.N)
	for i := range tasks {
		var tr struct{ ID string }
		f.call(b, "POST", "/api/task_runs/", map[string]any{"flow_run_id": run.ID, "task_key": fmt.Sprintf("t-%d", i),
			"dynamic_key": "0", "name": "t", "state": map[string]any{"type": "PENDING"}}, &tr)
		tasks[i] = tr.ID
	}
	rcu0, wcu0 := f.store.EstimatedUnits()
	calls0, cpu0, start := f.calls.n.Load(), cpu(), time.Now()
	b.ResetTimer()
	for _, id := range tasks {
		for _, typ := range []string{"RUNNING", "COMPLETED"} {
			var res struct{ Status string }
			f.call(b, "POST", "/api/task_runs/"+id+"/set_state", map[string]any{"state": map[string]any{"type": typ}}, &res)
			if res.Status != "ACCEPT" {
				b.Fatalf("%s: %s", typ, res.Status)
			}
		}
	}
	b.StopTimer()
	n := float64(2 * b.N)
	rcu, wcu := f.store.EstimatedUnits()
	rru, wru := (rcu-rcu0)/n, (wcu-wcu0)/n
	calls := float64(f.calls.n.Load()-calls0) / n
	cpuPer := (cpu() - cpu0) / time.Duration(n)
	wall := time.Since(start) / time.Duration(n)
	sec := lambdaSeconds(cpuPer, calls, apiMemoryGB)
	// No log ingestion: the stack drops Lambda's per-invocation platform
	// lines (system log level WARN) and the API logs only errors.
	perM := 1e6 * (priceHTTPAPIRequest + priceLambdaRequest + sec*apiMemoryGB*priceLambdaGBSecond +
		rru*priceRRU + wru*priceWRU)
	b.ReportMetric(rru, "rru/transition")
	b.ReportMetric(wru, "wru/transition")
	b.ReportMetric(calls, "dynamodb-calls/transition")
	b.ReportMetric(float64(cpuPer.Microseconds()), "cpu-us/transition")
	b.ReportMetric(float64(wall.Microseconds()), "wall-us/transition(moto)")
	b.ReportMetric(sec*1000, "modelled-lambda-ms/transition")
	b.ReportMetric(perM, "usd/1M-transitions")
}

// BenchmarkIdleTickCost runs the scheduler function's work (every service
// once) on a table with one active deployment whose runs are already
// scheduled, as an idle stack does once a minute.
func BenchmarkIdleTickCost(b *testing.B) {
	f := setup(b)
	var flow struct{ ID string }
	f.call(b, "POST", "/api/flows/", map[string]any{"name": "idle"}, &flow)
	f.call(b, "POST", "/api/deployments/", map[string]any{"name": "hourly", "flow_id": flow.ID,
		"schedule": map[string]any{"interval": 3600}, "is_schedule_active": true}, nil)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := f.app.RunServicesOnce(ctx, logger); err != nil { // the first tick fills the schedule
		b.Fatal(err)
	}
	rcu0, wcu0 := f.store.EstimatedUnits()
	calls0, cpu0 := f.calls.n.Load(), cpu()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.app.RunServicesOnce(ctx, logger); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	rcu, wcu := f.store.EstimatedUnits()
	rru, wru := (rcu-rcu0)/n, (wcu-wcu0)/n
	calls := float64(f.calls.n.Load()-calls0) / n
	cpuPer := (cpu() - cpu0) / time.Duration(n)
	sec := lambdaSeconds(cpuPer, calls, tickMemoryGB)
	perTick := priceLambdaRequest + sec*tickMemoryGB*priceLambdaGBSecond + rru*priceRRU + wru*priceWRU
	b.ReportMetric(rru, "rru/tick")
	b.ReportMetric(wru, "wru/tick")
	b.ReportMetric(calls, "dynamodb-calls/tick")
	b.ReportMetric(float64(cpuPer.Microseconds()), "cpu-us/tick")
	b.ReportMetric(sec*1000, "modelled-lambda-ms/tick")
	b.ReportMetric(perTick*ticksPerMonth, "usd/idle-month")
}
