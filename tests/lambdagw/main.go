// Command lambdagw stands in for the serverless stack's API Gateway HTTP API
// and EventBridge rule on one machine, in front of Lambda Runtime Interface
// Emulators running the real function binaries:
//
//	HTTP -> payload-2.0 event -> a free api emulator -> response mapping
//	every -tick: EventBridge scheduled event -> the scheduler emulator
//
// with API Gateway's limits and error bodies (10 MB request body -> 413,
// 6 MB function response -> 502, 30 s integration timeout -> 503, function
// error -> 500). One invocation is in flight per emulator (a concurrent one
// crashes the RIE); further requests queue for a free emulator.
//
//	lambdagw -api URL[,URL...] [-scheduler URL] [-tick 2s] [-addr 127.0.0.1:0] [-url-file F]
//
// It prints (and writes to -url-file) its base URL once listening; on
// SIGINT/SIGTERM it drains, stops and prints invocation statistics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "lambdagw:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("lambdagw", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	apiURLs := fs.String("api", "", "comma-separated invoke URLs of the api function's emulators (required)")
	schedURLs := fs.String("scheduler", "", "comma-separated invoke URLs of the scheduler function's emulators")
	tick := fs.Duration("tick", 2*time.Second, "scheduler invocation interval (0: no ticks)")
	timeout := fs.Duration("timeout", IntegrationTimeout, "integration timeout")
	urlFile := fs.String("url-file", "", "write the base URL here once listening")
	verbose := fs.Bool("v", false, "log every scheduler tick")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiURLs == "" {
		return errors.New("-api is required")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}

	api := NewPool(emulators(*apiURLs, client)...)
	api.Logger = logger
	gw := &Gateway{Function: api, Logger: logger, Timeout: *timeout}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var ticker *Ticker
	if *schedURLs != "" && *tick > 0 {
		ticker = &Ticker{Function: NewPool(emulators(*schedURLs, client)...), Interval: *tick, Logger: logger,
			Rule: "arn:aws:events:us-east-1:123456789012:rule/orrery-scheduler-tick"}
		go ticker.Run(ctx)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile+".tmp", []byte(url+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(*urlFile+".tmp", *urlFile); err != nil {
			return err
		}
	}
	fmt.Println(url)
	logger.Info("gateway listening", "url", url, "api_emulators", strings.Count(*apiURLs, ",")+1, "tick", *tick)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	msg := "api: " + api.Stats()
	if ticker != nil {
		msg += "; " + ticker.Stats()
	}
	logger.Info("gateway stopped", "stats", msg)
	return err
}

func emulators(list string, client *http.Client) []Invoker {
	var out []Invoker
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, &RIE{URL: u, Client: client})
		}
	}
	return out
}
