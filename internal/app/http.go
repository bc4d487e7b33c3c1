package app

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/orrery-dev/orrery/shared"
)

// The local server's connection limits. Reading a request (headers and
// body) and writing its answer are bounded so that slow or stalled clients
// cannot hold connections, goroutines and file descriptors forever.
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included: a
	// 16 MiB body (the default body limit) needs about 280 KB/s.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds the time from the end of the request
	// headers to the end of the answer. No 2.7 route streams or long-polls,
	// and requests are bounded, so an answer taking longer has a client
	// that stopped reading.
	DefaultWriteTimeout = 120 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle this long.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes bounds a request's headers (431 above it).
	// The stock client sends well under 1 KiB.
	DefaultMaxHeaderBytes = 64 << 10
)

// Limits are an http.Server's timeouts and header limit; zero fields take
// the defaults above.
type Limits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// LimitsOf reads the limits a configuration sets (ORRERY_READ_TIMEOUT,
// ORRERY_WRITE_TIMEOUT); the rest keep their defaults.
func LimitsOf(cfg shared.Config) Limits {
	return Limits{ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout}
}

// NewHTTPServer returns the local server for h with the limits applied.
func NewHTTPServer(h http.Handler, l Limits, logger *slog.Logger) *http.Server {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	maxHeader := l.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: or(l.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(l.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      or(l.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       or(l.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeader,
	}
	if logger != nil {
		// The server's own complaints (TLS noise, hijack misuse) go to the
		// structured log too, at WARN.
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	return srv
}

// NewLogger returns the structured logger the shells use. format is
// "json" or "text"; "" picks text when w is a terminal (someone reading)
// and JSON otherwise (a log collector). level is a slog level name
// (debug, info, warn, error); anything else is info.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: parseLevel(level)}
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
