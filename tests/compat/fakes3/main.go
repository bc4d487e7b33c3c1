// Command fakes3 serves an in-memory S3 (gofakes3) on loopback for the compat
// suite: it listens on 127.0.0.1:-port (0 picks a free port), prints its base
// URL as the first line of stdout, and serves until SIGINT or SIGTERM. It
// checks no signatures; any credentials work. Buckets given with -bucket
// exist from the start; clients may create more.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0 picks a free one)")
	buckets := flag.String("bucket", "", "comma-separated buckets to create at start")
	verbose := flag.Bool("v", false, "log every request and S3 error to stderr")
	flag.Parse()
	if err := run(*port, *buckets, *verbose); err != nil {
		log.Fatal(err)
	}
}

func run(port int, buckets string, verbose bool) error {
	backend := s3mem.New()
	for b := range strings.SplitSeq(buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			if err := backend.CreateBucket(b); err != nil {
				return fmt.Errorf("create bucket %q: %w", b, err)
			}
		}
	}
	opts := []gofakes3.Option{gofakes3.WithLogger(gofakes3.DiscardLog())}
	if verbose {
		opts = []gofakes3.Option{gofakes3.WithLogger(gofakes3.GlobalLog())}
	}
	var handler http.Handler = gofakes3.New(backend, opts...).Server()
	if verbose {
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.Printf("%s %s", r.Method, r.URL)
			inner.ServeHTTP(w, r)
		})
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
