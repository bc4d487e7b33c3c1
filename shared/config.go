// Package shared is the contract between Orrery's deploy side (the CDK app
// in infra/) and its runtime side (cmd/orrery, the Lambda functions): the
// configuration keys every shell reads, and later the DynamoDB table
// definition and bucket layout. It must stay small and dependency-light;
// infra imports it and must never import internal/.
package shared

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment variable names.
const (
	EnvHost          = "ORRERY_HOST"
	EnvPort          = "ORRERY_PORT"
	EnvDatabaseURL   = "ORRERY_DATABASE_URL"
	EnvSecretKey     = "ORRERY_SECRET_KEY"
	EnvSecretKeyFile = "ORRERY_SECRET_KEY_FILE"
	EnvMaxBodyBytes  = "ORRERY_MAX_BODY_BYTES"
	EnvHome          = "ORRERY_HOME"
	EnvLogLevel      = "ORRERY_LOG_LEVEL"
	EnvServiceLoop   = "ORRERY_SERVICE_INTERVAL"
	EnvAgentDeadline = "ORRERY_AGENT_DEADLINE"
	EnvResultsURL    = "ORRERY_RESULTS_URL"
	// EnvSecretKeyParameter names an SSM SecureString parameter holding
	// ORRERY_SECRET_KEY; the Lambda functions read it at init when
	// ORRERY_SECRET_KEY itself is unset (the CDK stack sets only this).
	EnvSecretKeyParameter = "ORRERY_SECRET_KEY_PARAMETER"
	// EnvAuth turns API-key checks on (true) or off (false). Unset, the
	// local server checks keys when it listens on a non-loopback address;
	// the Lambda functions always check them.
	EnvAuth = "ORRERY_AUTH"
	// EnvAllowedHosts adds Host header names (comma list, "*" for any) that
	// the server answers while API keys are off; localhost, 127.0.0.1,
	// [::1] and ORRERY_HOST are always allowed.
	EnvAllowedHosts = "ORRERY_ALLOWED_HOSTS"
	// EnvCORSOrigins lists the browser origins (comma list, "*" for any)
	// allowed to call the API besides the server's own.
	EnvCORSOrigins = "ORRERY_CORS_ORIGINS"
	// EnvLogFormat is "json" or "text" (default: json unless stderr is a
	// terminal).
	EnvLogFormat = "ORRERY_LOG_FORMAT"
	// EnvReadTimeout and EnvWriteTimeout bound reading a whole request and
	// writing its response on the local server (Go durations).
	EnvReadTimeout  = "ORRERY_READ_TIMEOUT"
	EnvWriteTimeout = "ORRERY_WRITE_TIMEOUT"
	// EnvRetention is how long finished flow runs are kept (ParseRetention:
	// 30d, 12h, ...); unset, nothing is deleted.
	EnvRetention = "ORRERY_RETENTION"
	// EnvUIURL is the UI's base URL, for links in notifications
	// ({flow_run_url}); default http://<host>:<port>.
	EnvUIURL = "ORRERY_UI_URL"
	// EnvNotificationBackoff is the wait before a failed notification's
	// first retry (a Go duration); each later wait is three times longer,
	// at most an hour.
	EnvNotificationBackoff = "ORRERY_NOTIFICATION_BACKOFF"
)

// Config is the runtime configuration of a server.
type Config struct {
	Host          string
	Port          int
	DatabaseURL   string
	SecretKeyFile string
	MaxBodyBytes  int64
	LogLevel      string
	// ServiceInterval is how often the scheduler and late-runs services run.
	ServiceInterval time.Duration
	// AgentDeadline is how long a work queue may go unpolled before its
	// claimed runs are marked Crashed.
	AgentDeadline time.Duration
	// Auth is ORRERY_AUTH: nil when unset (the shell decides).
	Auth *bool
	// ResultsURL names the results store (internal/results.Open): file:///dir or s3://bucket/prefix.
	ResultsURL string
	// AllowedHosts and CORSOrigins are ORRERY_ALLOWED_HOSTS and
	// ORRERY_CORS_ORIGINS split on commas.
	AllowedHosts, CORSOrigins []string
	// LogFormat is ORRERY_LOG_FORMAT ("" when unset: the shell decides).
	LogFormat string
	// ReadTimeout and WriteTimeout are ORRERY_READ_TIMEOUT and
	// ORRERY_WRITE_TIMEOUT (0 when unset: the server's defaults).
	ReadTimeout, WriteTimeout time.Duration
	// Retention is ORRERY_RETENTION (0 when unset: runs are kept forever).
	Retention time.Duration
	// UIURL is ORRERY_UI_URL without a trailing slash ("" when unset; see
	// UIBaseURL).
	UIURL string
	// NotificationBackoff is ORRERY_NOTIFICATION_BACKOFF (default 10s).
	NotificationBackoff time.Duration
}

// Home is Orrery's state directory: $ORRERY_HOME or ~/.orrery.
func Home() string {
	if h := os.Getenv(EnvHome); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".orrery"
	}
	return filepath.Join(home, ".orrery")
}

// Load reads the configuration from the environment with defaults
// (127.0.0.1:4200, SQLite at ~/.orrery/orrery.db).
func Load() (Config, error) {
	c := Config{
		Host:          getenv(EnvHost, "127.0.0.1"),
		DatabaseURL:   getenv(EnvDatabaseURL, "sqlite:///"+filepath.Join(Home(), "orrery.db")),
		SecretKeyFile: getenv(EnvSecretKeyFile, filepath.Join(Home(), "secret.key")),
		LogLevel:      getenv(EnvLogLevel, "info"),
		ResultsURL:    getenv(EnvResultsURL, "file://"+filepath.Join(Home(), "results")),
	}
	port, err := strconv.Atoi(getenv(EnvPort, "4200"))
	if err != nil || port < 0 || port > 65535 {
		return c, fmt.Errorf("%s must be a port number, got %q", EnvPort, os.Getenv(EnvPort))
	}
	c.Port = port
	c.ServiceInterval = 5 * time.Second
	if v := os.Getenv(EnvServiceLoop); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s must be a positive duration such as 5s, got %q", EnvServiceLoop, v)
		}
		c.ServiceInterval = d
	}
	c.AgentDeadline = 10 * time.Minute
	if v := os.Getenv(EnvAgentDeadline); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s must be a positive duration such as 10m, got %q", EnvAgentDeadline, v)
		}
		c.AgentDeadline = d
	}
	if v := os.Getenv(EnvMaxBodyBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("%s must be a positive number of bytes, got %q", EnvMaxBodyBytes, v)
		}
		c.MaxBodyBytes = n
	}
	if v := os.Getenv(EnvAuth); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s must be true or false, got %q", EnvAuth, v)
		}
		c.Auth = &b
	}
	c.AllowedHosts, c.CORSOrigins = SplitList(os.Getenv(EnvAllowedHosts)), SplitList(os.Getenv(EnvCORSOrigins))
	switch c.LogFormat = os.Getenv(EnvLogFormat); c.LogFormat {
	case "", "json", "text":
	default:
		return c, fmt.Errorf("%s must be json or text, got %q", EnvLogFormat, c.LogFormat)
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{EnvReadTimeout, &c.ReadTimeout}, {EnvWriteTimeout, &c.WriteTimeout}} {
		if v := os.Getenv(d.env); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return c, fmt.Errorf("%s must be a positive duration such as 60s, got %q", d.env, v)
			}
			*d.to = t
		}
	}
	if v := os.Getenv(EnvRetention); v != "" {
		if c.Retention, err = ParseRetention(v); err != nil {
			return c, fmt.Errorf("%s: %w", EnvRetention, err)
		}
	}
	c.NotificationBackoff = 10 * time.Second
	if v := os.Getenv(EnvNotificationBackoff); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s must be a positive duration such as 10s, got %q", EnvNotificationBackoff, v)
		}
		c.NotificationBackoff = d
	}
	if v := os.Getenv(EnvUIURL); v != "" {
		if c.UIURL, err = uiURL(v, c.Host, c.Port); err != nil {
			return c, err
		}
	}
	return c, nil
}

// UIBaseURL is the UI's base URL: ORRERY_UI_URL, else the server's own
// address (after flags changed Host and Port), a wildcard host shown as
// 127.0.0.1.
func (c Config) UIBaseURL() string {
	u, _ := uiURL(c.UIURL, c.Host, c.Port)
	return u
}

// uiURL is ORRERY_UI_URL (an http(s) URL) or the server's own address.
func uiURL(v, host string, port int) (string, error) {
	if v == "" {
		if host == "" || host == "0.0.0.0" || host == "::" || host == "[::]" {
			host = "127.0.0.1"
		}
		return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port)), nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s must be an http(s) URL such as https://orrery.example.com, got %q", EnvUIURL, v)
	}
	return strings.TrimRight(v, "/"), nil
}

// maxRetentionDays keeps a day count inside time.Duration (~292 years).
const maxRetentionDays = 100 * 365

// ParseRetention reads a retention period: whole days ("30d"), a Go
// duration ("12h", "90m"), or days followed by a duration ("1d12h"). It
// must be positive.
func ParseRetention(v string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("want a positive period such as 30d, 12h or 1d12h, got %q", v)
	}
	s := strings.TrimSpace(v)
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > maxRetentionDays || s[0] == '+' {
			return bad()
		}
		d, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if s != "" {
		t, err := time.ParseDuration(s)
		if err != nil || t < 0 || strings.HasPrefix(s, "+") {
			return bad()
		}
		d += t
	}
	if d <= 0 {
		return bad()
	}
	return d, nil
}

// SplitList splits a comma list, trimming spaces and dropping empty items.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
