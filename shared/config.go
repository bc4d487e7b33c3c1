// Package shared is the contract between Orrery's deploy side (the CDK app
// in infra/) and its runtime side (cmd/orrery, the Lambda functions): the
// configuration keys every shell reads, and later the DynamoDB table
// definition and bucket layout. It must stay small and dependency-light;
// infra imports it and must never import internal/.
package shared

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	return c, nil
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
