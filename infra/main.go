// Command infra is Orrery's CDK app: `cdk synth` / `cdk deploy` run it
// (cdk.json at the repository root). It defines one stack, see NewStack.
//
// Context keys (cdk.json or `-c key=value`):
//
//	stackName               stack name (default Orrery)
//	arch                    arm64 (default) or x86_64
//	assetDir                directory with api/bootstrap and scheduler/bootstrap, relative to the
//	                        repository root (default bin/lambda, built by `make lambda`)
//	secretKeyParameter      SSM parameter name (default /orrery/<stackName>/secret-key)
//	logLevel                ORRERY_LOG_LEVEL of the functions (default info)
//	logRetentionDays        log retention (default 14)
//	flowResultRetentionDays expiry of flow-results/ objects (default 30)
//	alarms                  true (default) or false
//	apiMemoryMB, schedulerMemoryMB  function memory (default 512, 256)
//	destroyData             true: the table and bucket are deleted with the stack (default false: kept)
//	retention               ORRERY_RETENTION of the functions, e.g. 30d (default: finished runs are kept)
//	uiUrl                   ORRERY_UI_URL of the scheduler, for notification links (default: the HTTP API endpoint)
//	synthesizer             default, or cli (no bootstrap roles: assets are published with the caller's
//	                        credentials to the bootstrap bucket; used against emulators)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if err := build(app); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// build adds the stack to app as its context describes.
func build(app awscdk.App) error {
	ctx := func(key string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok {
			return v
		}
		if v := app.Node().TryGetContext(jsii.String(key)); v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	cfg, err := configFromContext(ctx)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(cfg.AssetDir) {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		cfg.AssetDir = filepath.Join(root, cfg.AssetDir)
	}
	for _, fn := range []string{"api", "scheduler"} {
		if _, err := os.Stat(filepath.Join(cfg.AssetDir, fn, "bootstrap")); err != nil {
			return fmt.Errorf("the %s function's code is missing (%v): run `make lambda` (or set -c assetDir=DIR)", fn, err)
		}
	}
	props := &awscdk.StackProps{Description: jsii.String("Orrery: a serverless Prefect 2.7 API (Lambda, HTTP API, DynamoDB, S3, EventBridge)")}
	switch s := ctx("synthesizer"); s {
	case "", "default":
	case "cli":
		props.Synthesizer = awscdk.NewCliCredentialsStackSynthesizer(nil)
	default:
		return fmt.Errorf("synthesizer must be default or cli, got %q", s)
	}
	name := ctx("stackName")
	if name == "" {
		name = "Orrery"
	}
	_, err = NewStack(app, name, props, cfg)
	return err
}

// configFromContext overlays the context values get returns on the defaults.
func configFromContext(get func(string) string) (StackConfig, error) {
	cfg := DefaultStackConfig()
	str := func(key string, dst *string) {
		if v := get(key); v != "" {
			*dst = v
		}
	}
	var errs []error
	num := func(key string, dst *int) {
		if v := get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("context %s must be a whole number, got %q", key, v))
			}
			*dst = n
		}
	}
	flag := func(key string, dst *bool) {
		if v := get(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("context %s must be true or false, got %q", key, v))
			}
			*dst = b
		}
	}
	str("arch", &cfg.Arch)
	str("assetDir", &cfg.AssetDir)
	str("secretKeyParameter", &cfg.SecretKeyParameter)
	str("logLevel", &cfg.LogLevel)
	str("retention", &cfg.Retention)
	str("uiUrl", &cfg.UIURL)
	num("logRetentionDays", &cfg.LogRetentionDays)
	num("flowResultRetentionDays", &cfg.FlowResultRetentionDays)
	num("apiMemoryMB", &cfg.APIMemoryMB)
	num("schedulerMemoryMB", &cfg.TickMemoryMB)
	flag("alarms", &cfg.Alarms)
	flag("destroyData", &cfg.DestroyData)
	if len(errs) > 0 {
		return cfg, errs[0]
	}
	return cfg, cfg.Validate()
}

// repoRoot is the nearest directory at or above the working directory that
// holds cdk.json (the CLI runs the app from the repository root).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cdk.json")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no cdk.json at or above %s", dir)
		}
	}
}
