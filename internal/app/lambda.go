package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/backend/dynamodb"
	"github.com/orrery-dev/orrery/internal/docs"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/shared"
)

// ForLambda builds the App a Lambda function serves from its environment.
// Unlike the local server it insists on ORRERY_SECRET_KEY: instances share
// one database, so a key file generated per instance would seal secrets
// that the next instance could not open.
func ForLambda(ctx context.Context, version string) (*App, *slog.Logger, error) {
	cfg, err := shared.Load()
	if err != nil {
		return nil, nil, err
	}
	// Always JSON: the functions' log group is set to the JSON log format.
	logger := NewLogger(os.Stdout, "json", cfg.LogLevel)
	// API keys are always checked in the serverless shape, whatever
	// ORRERY_AUTH says: the HTTP API is reachable from anywhere.
	on := true
	cfg.Auth = &on
	if err := secretKeyFromParameter(ctx, os.Getenv, newSSMClient); err != nil {
		return nil, nil, err
	}
	if os.Getenv(secretbox.EnvKey) == "" {
		return nil, nil, errors.New(secretbox.EnvKey + " (or " + shared.EnvSecretKeyParameter + ") must be set in the serverless shape: every instance needs the same key")
	}
	// The per-request line at debug: each one would be billed log
	// ingestion (the stack already drops Lambda's platform lines for that
	// reason); errors are logged at error with API Gateway's request id.
	a, err := New(ctx, cfg, dynamodb.Open, api.Config{Logger: logger, DocsHandler: docs.Handler(), AccessLogLevel: slog.LevelDebug}, version)
	return a, logger, err
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// ParameterGetter is the one SSM call ForLambda makes (*ssm.Client has it).
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

func newSSMClient(ctx context.Context) (ParameterGetter, error) {
	// The default chain: the function's role, its region, AWS_ENDPOINT_URL(_SSM) for emulators.
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return ssm.NewFromConfig(cfg), nil
}

// secretKeyFromParameter puts the block-secret key into the environment
// (where secretbox.Load reads it) from the SSM SecureString parameter that
// ORRERY_SECRET_KEY_PARAMETER names, when ORRERY_SECRET_KEY itself is
// unset. The CDK stack sets only the parameter name, so the key never
// appears in the template or in the function's configuration.
func secretKeyFromParameter(ctx context.Context, getenv func(string) string, newClient func(context.Context) (ParameterGetter, error)) error {
	name := getenv(shared.EnvSecretKeyParameter)
	if getenv(secretbox.EnvKey) != "" || name == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := newClient(ctx)
	if err != nil {
		return fmt.Errorf("reading the secret key from SSM parameter %s: %w", name, err)
	}
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("reading the secret key from SSM parameter %s (create it with `make deploy`): %w", name, err)
	}
	v := ""
	if out.Parameter != nil {
		v = strings.TrimSpace(aws.ToString(out.Parameter.Value))
	}
	if v == "" {
		return fmt.Errorf("SSM parameter %s is empty: it must hold base64 of 32 random bytes", name)
	}
	return os.Setenv(secretbox.EnvKey, v)
}

// GatewayRequestID serves h with API Gateway's request id as the request's
// X-Request-ID (replacing any the client sent), so the id in Orrery's logs
// and response header is the one in the gateway's access log.
func GatewayRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
			r.Header.Set(api.RequestIDHeader, gw.RequestID)
		}
		h.ServeHTTP(w, r)
	})
}
