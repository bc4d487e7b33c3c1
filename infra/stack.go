package main

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orrery-dev/orrery/shared"
)

// The bucket layout. The functions read and write only ResultsPrefix: the
// large item payloads the DynamoDB store offloads (an item points at them,
// so they never expire). The other two prefixes are for Prefect clients
// and agents (S3 storage blocks): FlowResultsPrefix for persisted task and
// flow results, which the lifecycle rule expires, and FlowCodePrefix for
// deployment storage, kept.
const (
	ResultsPrefix     = "results"
	FlowResultsPrefix = "flow-results"
	FlowCodePrefix    = "flow-code"
)

// DynamoDB actions each function needs on the table and its indexes. Both
// run the same store; only the API function resets it (admin/database/clear
// scans the table). TransactWriteItems is authorised per contained action
// (Put/Update/Delete/ConditionCheckItem). DescribeTable is the open-time
// check that the table exists; CreateTable is never granted: the stack owns
// the table.
var (
	apiTableActions = []string{
		"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
		"dynamodb:ConditionCheckItem",
	}
	schedulerTableActions = []string{
		"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
		"dynamodb:ConditionCheckItem",
	}
	// Object actions on <bucket>/results/*: multipart uploads are covered by
	// PutObject plus AbortMultipartUpload. ListBucket (limited to the
	// prefix) makes a missing object a 404 rather than a 403.
	objectActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
)

// StackConfig is everything the stack is built from; main fills it from CDK
// context (cdk.json or -c key=value), tests directly.
type StackConfig struct {
	// AssetDir holds api/bootstrap and scheduler/bootstrap (make lambda).
	AssetDir string
	// Arch is "arm64" (default) or "x86_64" (emulators on x86 hosts).
	Arch string
	// SecretKeyParameter is the name of the SSM SecureString holding
	// ORRERY_SECRET_KEY; empty means /orrery/<stack name>/secret-key.
	SecretKeyParameter string
	LogLevel           string
	LogRetentionDays   int
	// FlowResultRetentionDays expires objects under flow-results/.
	FlowResultRetentionDays int
	// DestroyData makes `cdk destroy` delete the table and bucket (with
	// their contents) instead of keeping them.
	DestroyData bool
	// Alarms adds the CloudWatch alarms (5xx, throttles, function errors).
	Alarms       bool
	APIMemoryMB  int
	TickMemoryMB int
	// Retention is ORRERY_RETENTION of both functions (e.g. "30d"; empty:
	// finished runs are kept). The API function stamps DynamoDB TTLs at
	// terminal transitions; the scheduler's tick prunes what TTL misses.
	Retention string
	// UIURL is ORRERY_UI_URL of the scheduler function, for links in
	// notifications: a custom domain in front of the HTTP API. Empty: the
	// HTTP API's own endpoint.
	UIURL string
}

// DefaultStackConfig is the configuration `make deploy` uses.
func DefaultStackConfig() StackConfig {
	return StackConfig{
		AssetDir:                "bin/lambda",
		Arch:                    "arm64",
		LogLevel:                "info",
		LogRetentionDays:        14,
		FlowResultRetentionDays: 30,
		Alarms:                  true,
		APIMemoryMB:             512,
		TickMemoryMB:            256,
	}
}

// SecretKeyParameterName is the SSM parameter name for a stack.
func SecretKeyParameterName(stackName, override string) string {
	if override != "" {
		return override
	}
	return "/orrery/" + stackName + "/secret-key"
}

var retention = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
}

// Validate reports a configuration the stack cannot be built from.
func (c StackConfig) Validate() error {
	if c.Arch != "arm64" && c.Arch != "x86_64" {
		return fmt.Errorf("arch must be arm64 or x86_64, got %q", c.Arch)
	}
	if _, ok := retention[c.LogRetentionDays]; !ok {
		return fmt.Errorf("logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365, got %d", c.LogRetentionDays)
	}
	if c.FlowResultRetentionDays < 1 {
		return fmt.Errorf("flowResultRetentionDays must be at least 1, got %d", c.FlowResultRetentionDays)
	}
	if c.Retention != "" {
		if _, err := shared.ParseRetention(c.Retention); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	if c.UIURL != "" {
		if u, err := url.Parse(c.UIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("uiUrl must be an http(s) URL such as https://orrery.example.com, got %q", c.UIURL)
		}
	}
	if c.APIMemoryMB < 128 || c.TickMemoryMB < 128 {
		return fmt.Errorf("function memory must be at least 128 MB, got %d and %d", c.APIMemoryMB, c.TickMemoryMB)
	}
	if c.AssetDir == "" {
		return fmt.Errorf("assetDir must name the directory holding api/bootstrap and scheduler/bootstrap")
	}
	return nil
}

// NewStack defines the serverless Orrery: an HTTP API in front of the api
// function, a one-minute EventBridge tick for the scheduler function, one
// DynamoDB table, one S3 bucket, log groups, alarms and least-privilege
// roles. Nothing in it costs money while idle except storage.
func NewStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg StackConfig) (awscdk.Stack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	region, partition, account := stack.Region(), stack.Partition(), stack.Account()

	dataPolicy := awscdk.RemovalPolicy_RETAIN
	if cfg.DestroyData {
		dataPolicy = awscdk.RemovalPolicy_DESTROY
	}

	table := newTable(stack, dataPolicy)
	bucket := newBucket(stack, cfg, dataPolicy)

	paramName := SecretKeyParameterName(*stack.StackName(), cfg.SecretKeyParameter)
	paramArn := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), partition, jsii.String(":ssm:"), region, jsii.String(":"), account,
		jsii.String(":parameter/" + strings.TrimPrefix(paramName, "/")),
	})

	env := map[string]*string{
		shared.EnvDatabaseURL: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("dynamodb://"), table.TableName(), jsii.String("?region="), region}),
		shared.EnvResultsURL: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("s3://"), bucket.BucketName(), jsii.String("/" + ResultsPrefix + "?region="), region}),
		shared.EnvSecretKeyParameter: jsii.String(paramName),
		shared.EnvLogLevel:           jsii.String(cfg.LogLevel),
	}
	if cfg.Retention != "" {
		env[shared.EnvRetention] = jsii.String(cfg.Retention)
	}

	arch := awslambda.Architecture_ARM_64()
	if cfg.Arch == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}
	newFunction := func(name, description string, memory int, timeout awscdk.Duration, tableActions []string, extraEnv map[string]*string) awslambda.Function {
		fnEnv := maps.Clone(env)
		maps.Copy(fnEnv, extraEnv)
		logs := awslogs.NewLogGroup(stack, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
			Retention:     retention[cfg.LogRetentionDays],
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		role := awsiam.NewRole(stack, jsii.String(name+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Orrery " + strings.ToLower(name) + " function: its table, bucket prefix, secret-key parameter and log group only"),
		})
		fn := awslambda.NewFunction(stack, jsii.String(name+"Function"), &awslambda.FunctionProps{
			Description:  jsii.String(description),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Handler:      jsii.String("bootstrap"),
			Architecture: arch,
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.AssetDir, strings.ToLower(name))), nil),
			MemorySize:   jsii.Number(float64(memory)),
			Timeout:      timeout,
			Environment:  &fnEnv,
			LogGroup:     logs,
			// JSON logs with platform lines at WARN: Lambda drops the
			// START/END/REPORT lines of every invocation (~350 bytes each,
			// billed as log ingestion); duration and errors stay in the
			// function's CloudWatch metrics. Orrery's own lines are JSON.
			LoggingFormat:    awslambda.LoggingFormat_JSON,
			SystemLogLevelV2: awslambda.SystemLogLevel_WARN,
			Role:             role,
		})
		grantFunction(role, logs, table, bucket, paramArn, tableActions)
		return fn
	}

	// API Gateway HTTP APIs cap an integration at 30 s.
	apiFn := newFunction("Api", "Orrery API: Prefect 2.7 REST API behind the HTTP API", cfg.APIMemoryMB,
		awscdk.Duration_Seconds(jsii.Number(29)), apiTableActions, nil)
	httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description: jsii.String("Orrery: the Prefect 2.7 REST API (/api), docs (/docs) and UI (/)"),
		// The $default route sends every path to the function, which routes itself.
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), apiFn,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			}),
	})

	// The scheduler's tick delivers notifications, whose links point at the
	// UI the HTTP API serves. Only the scheduler gets the URL: the API
	// function is the API's integration, so its URL in that function's own
	// environment would be a dependency cycle.
	uiURL := httpAPI.ApiEndpoint()
	if cfg.UIURL != "" {
		uiURL = jsii.String(cfg.UIURL)
	}
	tickFn := newFunction("Scheduler", "Orrery scheduler: scheduled, late and crashed runs, notifications, retention, once a minute", cfg.TickMemoryMB,
		awscdk.Duration_Seconds(jsii.Number(50)), schedulerTableActions, map[string]*string{
			shared.EnvUIURL: uiURL,
		})

	// A tick that fails is not retried: the next one comes within a minute.
	awsevents.NewRule(stack, jsii.String("SchedulerTick"), &awsevents.RuleProps{
		Description: jsii.String("Runs Orrery's scheduler, late-runs and crashed-runs services"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(tickFn, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(2)),
		})},
	})

	if cfg.Alarms {
		addAlarms(stack, httpAPI, table, apiFn, tickFn)
	}

	apiURL := awscdk.Fn_Join(jsii.String(""), &[]*string{httpAPI.ApiEndpoint(), jsii.String("/api")})
	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	output("ApiUrl", "PREFECT_API_URL for clients and agents", apiURL)
	output("TableName", "the DynamoDB table", table.TableName())
	output("BucketName", "the S3 bucket (results/, flow-results/, flow-code/)", bucket.BucketName())
	output("SecretKeyParameter", "the SSM SecureString holding ORRERY_SECRET_KEY", jsii.String(paramName))
	output("FirstKeyCommand", "creates the first (admin) API key; run it with AWS credentials for this account", awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("ORRERY_DATABASE_URL='dynamodb://"), table.TableName(), jsii.String("?region="), region,
		jsii.String("' orrery api-key create --name admin --scope admin"),
	}))
	return stack, nil
}

func attributeType(t string) awsdynamodb.AttributeType {
	switch t {
	case "N":
		return awsdynamodb.AttributeType_NUMBER
	case "B":
		return awsdynamodb.AttributeType_BINARY
	default:
		return awsdynamodb.AttributeType_STRING
	}
}

// newTable builds the table from shared.DynamoTable, the definition the
// store itself creates in emulators.
func newTable(stack awscdk.Stack, removal awscdk.RemovalPolicy) awsdynamodb.Table {
	def := shared.DynamoTable("")
	key := func(i int, ks []shared.DynamoKeyElement) *awsdynamodb.Attribute {
		if i >= len(ks) {
			return nil
		}
		name := ks[i].AttributeName
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: attributeType(def.AttributeDefinitions[name])}
	}
	billing := awsdynamodb.BillingMode_PAY_PER_REQUEST
	if def.BillingMode != "PAY_PER_REQUEST" {
		panic("infra: the shared table definition changed its billing mode to " + def.BillingMode)
	}
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:                     key(0, def.KeySchema),
		SortKey:                          key(1, def.KeySchema),
		BillingMode:                      billing,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		TimeToLiveAttribute:              jsii.String(def.TTLAttribute),
		RemovalPolicy:                    removal,
	})
	for _, g := range def.GSIs {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(g.IndexName),
			PartitionKey:   key(0, g.KeySchema),
			SortKey:        key(1, g.KeySchema),
			ProjectionType: awsdynamodb.ProjectionType(g.ProjectionType),
		})
	}
	return table
}

func newBucket(stack awscdk.Stack, cfg StackConfig, removal awscdk.RemovalPolicy) awss3.Bucket {
	return awss3.NewBucket(stack, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     removal,
		AutoDeleteObjects: jsii.Bool(cfg.DestroyData),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:         jsii.String("expire-flow-results"),
				Prefix:     jsii.String(FlowResultsPrefix + "/"),
				Expiration: awscdk.Duration_Days(jsii.Number(float64(cfg.FlowResultRetentionDays))),
			},
			{
				Id:                                  jsii.String("abort-incomplete-uploads"),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			},
		},
	})
}

// grantFunction gives a function's role exactly what it uses: its own log
// group, the listed actions on the table and each of its indexes, object
// actions under results/ (and a listing limited to it), and reading the one
// secret-key parameter. The parameter uses the AWS-managed aws/ssm key,
// whose key policy lets account principals decrypt through SSM, so no KMS
// statement is needed.
func grantFunction(role awsiam.Role, logs awslogs.LogGroup, table awsdynamodb.Table, bucket awss3.Bucket, paramArn *string, tableActions []string) {
	add := func(sid string, actions []string, resources []*string, conditions map[string]any) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Actions:    jsii.Strings(actions...),
			Resources:  &resources,
			Conditions: &conditions,
		}))
	}
	add("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn()}, nil)
	resources := []*string{table.TableArn()}
	for _, g := range shared.DynamoTable("").GSIs {
		resources = append(resources, awscdk.Fn_Join(jsii.String(""), &[]*string{table.TableArn(), jsii.String("/index/" + g.IndexName)}))
	}
	add("Table", tableActions, resources, nil)
	add("ResultObjects", objectActions, []*string{bucket.ArnForObjects(jsii.String(ResultsPrefix + "/*"))}, nil)
	add("ResultListing", []string{"s3:ListBucket"}, []*string{bucket.BucketArn()},
		map[string]any{"StringLike": map[string]any{"s3:prefix": ResultsPrefix + "/*"}})
	add("SecretKey", []string{"ssm:GetParameter"}, []*string{paramArn}, nil)
}

func addAlarms(stack awscdk.Stack, httpAPI awsapigatewayv2.HttpApi, table awsdynamodb.Table, fns ...awslambda.Function) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64) {
		awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	alarm("Api5xxAlarm", "HTTP API answered 5xx (function errors, timeouts, or internal errors)",
		httpAPI.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	for _, m := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
		alarm("Table"+m+"Alarm", "DynamoDB "+m+" on the table",
			table.Metric(jsii.String(m), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	}
	for _, fn := range fns {
		name := *fn.Node().Id()
		alarm(strings.TrimSuffix(name, "Function")+"ErrorsAlarm", name+" invocations failed",
			fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	}
}
