// Package metrics is Orrery's Prometheus instrumentation: HTTP requests by
// route pattern and status, orchestration answers, store errors and
// retries, background-service durations and work-queue backlogs, served
// at GET /metrics by the API handler.
//
// Every metric lives on one Metrics value with its own registry (no global
// state), so tests and several servers in one process never share
// counters. All methods are safe on a nil *Metrics and do nothing, which
// keeps the hooks in the API, the orchestrator and the services optional.
//
// The metric names are listed in the README ("Metrics").
package metrics

//go:generate go run ./internal/storegen

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
)

// Metrics holds Orrery's collectors and the registry they are served from.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	transitions     *prometheus.CounterVec
	storeErrors     *prometheus.CounterVec
	storeRetries    *prometheus.CounterVec
	serviceDuration *prometheus.HistogramVec
	serviceRuns     *prometheus.CounterVec
}

// New returns Metrics with the Go runtime and process collectors
// registered beside Orrery's own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orrery_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orrery_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orrery_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orrery_orchestration_transitions_total",
			Help: "Proposed state changes, by run kind (flow, task), proposed state type and answer (ACCEPT, REJECT, WAIT, ABORT, ERROR).",
		}, []string{"kind", "proposed", "result"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orrery_store_errors_total",
			Help: "Store calls that failed for a reason other than an answer (not found, conflict, invalid), by store method.",
		}, []string{"op"}),
		storeRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orrery_store_retries_total",
			Help: "Conditional writes that lost a race (version conflict) and were retried by re-reading, by store method.",
		}, []string{"op"}),
		serviceDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orrery_service_run_duration_seconds",
			Help:    "Duration of one pass of a background service (scheduler, late runs, crashed runs).",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60},
		}, []string{"service"}),
		serviceRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orrery_service_runs_total",
			Help: "Passes of a background service, by service and result (ok, error).",
		}, []string{"service", "result"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.inFlight, m.transitions,
		m.storeErrors, m.storeRetries, m.serviceDuration, m.serviceRuns,
	)
	return m
}

// Registry is where the collectors live (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// methods bounds the method label: anything else is "OTHER", so a client
// sending invented methods cannot grow the series without limit.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// RouteLabel turns a ServeMux pattern ("POST /api/flow_runs/{id}/{$}")
// into the route label ("/api/flow_runs/{id}"); "" (no route matched)
// becomes "unmatched". Labels come from patterns, never raw paths, so ids
// in URLs do not make new series.
func RouteLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	pattern = strings.TrimSuffix(pattern, "{$}")
	if len(pattern) > 1 {
		pattern = strings.TrimSuffix(pattern, "/")
	}
	return pattern
}

// RequestStarted counts a request in flight; call the returned func when
// it is answered.
func (m *Metrics) RequestStarted() func() {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// ObserveRequest records one answered request. route is a RouteLabel.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if !methods[method] {
		method = "OTHER"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// Transition records one orchestration answer: kind is "flow" or "task",
// result the answer's status (ACCEPT, REJECT, WAIT, ABORT) or "ERROR"
// when err is set.
func (m *Metrics) Transition(kind string, proposed core.StateType, result string, err error) {
	if m == nil {
		return
	}
	if err != nil {
		result = "ERROR"
	}
	m.transitions.WithLabelValues(kind, string(proposed), result).Inc()
}

// Store wraps a store.Store, counting failed calls and lost races per
// method. Its methods are generated (store_gen.go) from the interface.
type Store struct {
	store.Store
	m *Metrics
}

// WrapStore returns st instrumented (st itself when m is nil).
func (m *Metrics) WrapStore(st store.Store) store.Store {
	if m == nil {
		return st
	}
	return &Store{Store: st, m: m}
}

// observe classifies a store call's error: answers (not found, conflict,
// invalid input) are not store errors, a version conflict is a retry, and
// a cancelled request is the client's doing.
func (s *Store) observe(op string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, store.ErrVersionConflict):
		s.m.storeRetries.WithLabelValues(op).Inc()
	case errors.Is(err, context.Canceled):
	case core.ErrorCode(err) != core.EInternal:
	default:
		s.m.storeErrors.WithLabelValues(op).Inc()
	}
}

// WrapService returns svc timed: every RunOnce is observed, whether the
// local ticker or the Lambda tick calls it.
func (m *Metrics) WrapService(svc services.Service) services.Service {
	if m == nil {
		return svc
	}
	return &timedService{Service: svc, m: m}
}

type timedService struct {
	services.Service
	m *Metrics
}

func (t *timedService) RunOnce(ctx context.Context) error {
	start := time.Now()
	err := t.Service.RunOnce(ctx)
	name := t.Name()
	t.m.serviceDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.m.serviceRuns.WithLabelValues(name, result).Inc()
	return err
}

// MaxQueuesWatched bounds the work queues measured per scrape (the first
// ones by name), so a scrape costs at most this many count queries.
const MaxQueuesWatched = 200

// WatchQueues adds orrery_work_queue_runs_waiting, computed at scrape time:
// per work queue, the flow runs that are SCHEDULED and due (what an agent
// polling the queue would be handed now). st should be the unwrapped
// store, so scrapes do not count as API store traffic.
func (m *Metrics) WatchQueues(st store.Store, now func() time.Time) {
	if m == nil {
		return
	}
	if now == nil {
		now = time.Now
	}
	m.reg.MustRegister(&queueCollector{st: st, now: now, m: m})
}

var (
	queueWaitingDesc = prometheus.NewDesc("orrery_work_queue_runs_waiting",
		"Flow runs in a work queue that are SCHEDULED and due, read at scrape time (first 200 queues by name).",
		[]string{"work_queue"}, nil)
	queueScrapeErrorDesc = prometheus.NewDesc("orrery_work_queue_scrape_error",
		"1 when reading the work-queue backlog failed during this scrape, else 0.", nil, nil)
)

type queueCollector struct {
	st  store.Store
	now func() time.Time
	m   *Metrics
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueWaitingDesc
	ch <- queueScrapeErrorDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	failed := 0.0
	defer func() { ch <- prometheus.MustNewConstMetric(queueScrapeErrorDesc, prometheus.GaugeValue, failed) }()
	qs, err := c.st.ListWorkQueues(ctx, nil, store.Page{Limit: MaxQueuesWatched})
	if err != nil {
		failed = 1
		return
	}
	now := core.T(c.now())
	scheduled := []core.StateType{core.Scheduled}
	for _, q := range qs {
		f := &store.RunFilters{FlowRuns: &store.FlowRunFilter{
			WorkQueueName: &store.OptStringFilter{Any: &[]string{q.Name}},
			State: &store.StateFilter{Type: &struct {
				Any *[]core.StateType `json:"any_"`
			}{Any: &scheduled}},
			NextScheduledStartTime: &store.TimeFilter{Before: &now},
		}}
		n, err := c.st.CountFlowRuns(ctx, f)
		if err != nil {
			failed = 1
			return
		}
		ch <- prometheus.MustNewConstMetric(queueWaitingDesc, prometheus.GaugeValue, float64(n), q.Name)
	}
}
