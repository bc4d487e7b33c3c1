package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/orrery-dev/orrery/shared"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// template is a synthesized CloudFormation template as plain JSON values.
type template struct {
	Resources map[string]resource
	Outputs   map[string]map[string]any
	raw       string
}

type resource struct {
	Type                string
	Properties          map[string]any
	DeletionPolicy      string
	UpdateReplacePolicy string
}

func (tp template) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range tp.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// one returns the only resource of typ.
func (tp template) one(t *testing.T, typ string) (string, resource) {
	t.Helper()
	rs := tp.ofType(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// fakeAssets makes an asset directory with both bootstraps.
func fakeAssets(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range []string{"api", "scheduler"} {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func synth(t *testing.T, cfg StackConfig) (template, assertions.Template) {
	t.Helper()
	if !filepath.IsAbs(cfg.AssetDir) {
		cfg.AssetDir = fakeAssets(t)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack, err := NewStack(app, "Test", nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	at := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(at.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tp template
	if err := json.Unmarshal(raw, &tp); err != nil {
		t.Fatal(err)
	}
	tp.raw = string(raw)
	return tp, at
}

// refsTo reports whether v (a template value) references the logical id.
func refsTo(v any, id string) bool {
	b, _ := json.Marshal(v)
	s := string(b)
	return strings.Contains(s, `"Ref":"`+id+`"`) || strings.Contains(s, `"Fn::GetAtt":["`+id+`"`)
}

func TestStackResources(t *testing.T) {
	tp, at := synth(t, DefaultStackConfig())

	t.Run("every resource type and count", func(t *testing.T) {
		want := map[string]int{
			"AWS::DynamoDB::Table":           1,
			"AWS::S3::Bucket":                1,
			"AWS::S3::BucketPolicy":          1,
			"AWS::Lambda::Function":          2,
			"AWS::Lambda::Permission":        2, // API Gateway and EventBridge may invoke
			"AWS::IAM::Role":                 2,
			"AWS::IAM::Policy":               2,
			"AWS::Logs::LogGroup":            2,
			"AWS::ApiGatewayV2::Api":         1,
			"AWS::ApiGatewayV2::Stage":       1,
			"AWS::ApiGatewayV2::Integration": 1,
			"AWS::ApiGatewayV2::Route":       1,
			"AWS::Events::Rule":              1,
			"AWS::CloudWatch::Alarm":         5,
		}
		got := map[string]int{}
		for _, r := range tp.Resources {
			got[r.Type]++
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resource types:\n got %v\nwant %v", got, want)
		}
		for typ, n := range want {
			at.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n)))
		}
	})

	t.Run("nothing always-on or secret", func(t *testing.T) {
		for id, r := range tp.Resources {
			for _, prefix := range []string{"AWS::EC2::", "AWS::RDS::", "AWS::ElastiCache::", "AWS::OpenSearchService::",
				"AWS::Elasticsearch::", "AWS::KMS::Key", "AWS::SecretsManager::", "AWS::SSM::Parameter", "AWS::EKS::", "AWS::ECS::"} {
				if strings.HasPrefix(r.Type, prefix) {
					t.Errorf("%s is a %s: costs money at idle or puts a secret in the template", id, r.Type)
				}
			}
		}
		for _, hourly := range []string{"ProvisionedConcurrency", "ProvisionedThroughput"} {
			if strings.Contains(tp.raw, hourly) {
				t.Errorf("the template sets %s: billed by the hour whether used or not", hourly)
			}
		}
		if strings.Contains(tp.raw, `"`+shared.EnvSecretKey+`":`) {
			t.Errorf("the template names %s itself; only %s belongs in it", shared.EnvSecretKey, shared.EnvSecretKeyParameter)
		}
		for id, r := range tp.ofType("AWS::Lambda::Function") {
			if _, ok := r.Properties["VpcConfig"]; ok {
				t.Errorf("%s is in a VPC (needs NAT to reach AWS APIs)", id)
			}
			if _, ok := r.Properties["KmsKeyArn"]; ok {
				t.Errorf("%s uses a customer KMS key", id)
			}
		}
	})

	t.Run("table matches the shared definition", func(t *testing.T) {
		_, r := tp.one(t, "AWS::DynamoDB::Table")
		def := shared.DynamoTable("")
		p := r.Properties
		if p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("BillingMode = %v", p["BillingMode"])
		}
		if got := p["PointInTimeRecoverySpecification"]; !reflect.DeepEqual(got, map[string]any{"PointInTimeRecoveryEnabled": true}) {
			t.Errorf("PointInTimeRecoverySpecification = %v", got)
		}
		if got := p["TimeToLiveSpecification"]; !reflect.DeepEqual(got, map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true}) {
			t.Errorf("TimeToLiveSpecification = %v", got)
		}
		if _, ok := p["SSESpecification"]; ok {
			t.Errorf("SSESpecification set: the default AWS-owned key costs nothing, a KMS key does")
		}
		keys := func(v any) []shared.DynamoKeyElement {
			var out []shared.DynamoKeyElement
			for _, k := range v.([]any) {
				m := k.(map[string]any)
				out = append(out, shared.DynamoKeyElement{AttributeName: m["AttributeName"].(string), KeyType: m["KeyType"].(string)})
			}
			return out
		}
		if got := keys(p["KeySchema"]); !reflect.DeepEqual(got, def.KeySchema) {
			t.Errorf("KeySchema = %v, want %v", got, def.KeySchema)
		}
		attrs := map[string]string{}
		for _, a := range p["AttributeDefinitions"].([]any) {
			m := a.(map[string]any)
			attrs[m["AttributeName"].(string)] = m["AttributeType"].(string)
		}
		if !reflect.DeepEqual(attrs, def.AttributeDefinitions) {
			t.Errorf("AttributeDefinitions = %v, want %v", attrs, def.AttributeDefinitions)
		}
		var gsis []shared.DynamoGSI
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			m := g.(map[string]any)
			if _, ok := m["ProvisionedThroughput"]; ok {
				t.Errorf("GSI %v has provisioned throughput", m["IndexName"])
			}
			gsis = append(gsis, shared.DynamoGSI{IndexName: m["IndexName"].(string), KeySchema: keys(m["KeySchema"]),
				ProjectionType: m["Projection"].(map[string]any)["ProjectionType"].(string)})
		}
		if !reflect.DeepEqual(gsis, def.GSIs) {
			t.Errorf("GSIs =\n %v\nwant\n %v", gsis, def.GSIs)
		}
		if r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
			t.Errorf("table DeletionPolicy/UpdateReplacePolicy = %q/%q, want Retain", r.DeletionPolicy, r.UpdateReplacePolicy)
		}
	})

	t.Run("bucket", func(t *testing.T) {
		_, r := tp.one(t, "AWS::S3::Bucket")
		at.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true,
				"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"LifecycleConfiguration": map[string]any{"Rules": []any{
				map[string]any{"Id": "expire-flow-results", "Prefix": FlowResultsPrefix + "/", "ExpirationInDays": 30, "Status": "Enabled"},
				map[string]any{"Id": "abort-incomplete-uploads", "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1}, "Status": "Enabled"},
			}},
		})
		if r.DeletionPolicy != "Retain" {
			t.Errorf("bucket DeletionPolicy = %q, want Retain", r.DeletionPolicy)
		}
		_, pol := tp.one(t, "AWS::S3::BucketPolicy")
		b, _ := json.Marshal(pol.Properties)
		for _, want := range []string{`"Effect":"Deny"`, `"aws:SecureTransport":"false"`, `"Action":"s3:*"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("bucket policy lacks %s (TLS only): %s", want, b)
			}
		}
	})

	t.Run("functions", func(t *testing.T) {
		tableID, _ := tp.one(t, "AWS::DynamoDB::Table")
		bucketID, _ := tp.one(t, "AWS::S3::Bucket")
		fns := tp.ofType("AWS::Lambda::Function")
		for id, r := range fns {
			p := r.Properties
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
				t.Errorf("%s: runtime %v handler %v", id, p["Runtime"], p["Handler"])
			}
			if !reflect.DeepEqual(p["Architectures"], []any{"arm64"}) {
				t.Errorf("%s: Architectures = %v", id, p["Architectures"])
			}
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			wantKeys := []string{shared.EnvDatabaseURL, shared.EnvLogLevel, shared.EnvResultsURL, shared.EnvSecretKeyParameter}
			if strings.HasPrefix(id, "Scheduler") {
				// Notification links point at the UI the HTTP API serves.
				wantKeys = append(wantKeys, shared.EnvUIURL)
				if apiID, _ := tp.one(t, "AWS::ApiGatewayV2::Api"); !refsTo(env[shared.EnvUIURL], apiID) {
					t.Errorf("%s: %s = %s, want the HTTP API's endpoint", id, shared.EnvUIURL, mustJSON(env[shared.EnvUIURL]))
				}
			}
			var gotKeys []string
			for k := range env {
				gotKeys = append(gotKeys, k)
			}
			sort.Strings(gotKeys)
			if !reflect.DeepEqual(gotKeys, wantKeys) {
				t.Errorf("%s: environment keys %v, want %v", id, gotKeys, wantKeys)
			}
			if !refsTo(env[shared.EnvDatabaseURL], tableID) || !strings.Contains(mustJSON(env[shared.EnvDatabaseURL]), `"dynamodb://"`) {
				t.Errorf("%s: %s = %s", id, shared.EnvDatabaseURL, mustJSON(env[shared.EnvDatabaseURL]))
			}
			if !refsTo(env[shared.EnvResultsURL], bucketID) || !strings.Contains(mustJSON(env[shared.EnvResultsURL]), `"/results?region="`) {
				t.Errorf("%s: %s = %s", id, shared.EnvResultsURL, mustJSON(env[shared.EnvResultsURL]))
			}
			if env[shared.EnvSecretKeyParameter] != "/orrery/Test/secret-key" {
				t.Errorf("%s: %s = %v", id, shared.EnvSecretKeyParameter, env[shared.EnvSecretKeyParameter])
			}
			if lc := p["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" || lc["SystemLogLevel"] != "WARN" {
				t.Errorf("%s: LoggingConfig %v, want JSON with system lines at WARN (no per-invocation REPORT lines)", id, lc)
			}
			if _, ok := p["LoggingConfig"].(map[string]any)["LogGroup"]; !ok {
				t.Errorf("%s: no LoggingConfig.LogGroup", id)
			}
		}
		for id, r := range tp.ofType("AWS::Logs::LogGroup") {
			if r.Properties["RetentionInDays"] != float64(14) {
				t.Errorf("%s: RetentionInDays = %v", id, r.Properties["RetentionInDays"])
			}
		}
	})

	t.Run("http api and tick", func(t *testing.T) {
		at.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{"ProtocolType": "HTTP"})
		at.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "$default"})
		at.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{"StageName": "$default", "AutoDeploy": true})
		at.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
			"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"})
		at.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)", "State": "ENABLED",
			"Targets": []any{map[string]any{"RetryPolicy": map[string]any{"MaximumRetryAttempts": 0}}}})
		_, rule := tp.one(t, "AWS::Events::Rule")
		_, integ := tp.one(t, "AWS::ApiGatewayV2::Integration")
		apiFn, tickFn := functionIDs(t, tp)
		if !refsTo(rule.Properties["Targets"], tickFn) || refsTo(rule.Properties["Targets"], apiFn) {
			t.Errorf("the rule must target the scheduler function only: %s", mustJSON(rule.Properties["Targets"]))
		}
		if !refsTo(integ.Properties["IntegrationUri"], apiFn) {
			t.Errorf("the integration must invoke the api function: %s", mustJSON(integ.Properties["IntegrationUri"]))
		}
	})

	t.Run("alarms", func(t *testing.T) {
		got := map[string]string{}
		for _, r := range tp.ofType("AWS::CloudWatch::Alarm") {
			p := r.Properties
			got[p["Namespace"].(string)+"/"+p["MetricName"].(string)] += "x"
			if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["Threshold"] != float64(1) || p["TreatMissingData"] != "notBreaching" {
				t.Errorf("alarm %v: %v %v %v", p["MetricName"], p["ComparisonOperator"], p["Threshold"], p["TreatMissingData"])
			}
		}
		want := map[string]string{"AWS/ApiGateway/5xx": "x", "AWS/DynamoDB/ReadThrottleEvents": "x",
			"AWS/DynamoDB/WriteThrottleEvents": "x", "AWS/Lambda/Errors": "xx"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("alarms %v, want %v", got, want)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		for _, k := range []string{"ApiUrl", "TableName", "BucketName", "SecretKeyParameter", "FirstKeyCommand"} {
			if _, ok := tp.Outputs[k]; !ok {
				t.Errorf("output %s missing", k)
			}
		}
		if s := mustJSON(tp.Outputs["ApiUrl"]["Value"]); !strings.Contains(s, `"/api"]`) {
			t.Errorf("ApiUrl does not end in /api: %s", s)
		}
		if s := mustJSON(tp.Outputs["FirstKeyCommand"]["Value"]); !strings.Contains(s, "orrery api-key create --name admin --scope admin") ||
			!strings.Contains(s, "ORRERY_DATABASE_URL='dynamodb://") {
			t.Errorf("FirstKeyCommand = %s", s)
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// functionIDs returns the logical ids of the api and scheduler functions.
func functionIDs(t *testing.T, tp template) (api, tick string) {
	t.Helper()
	for id := range tp.ofType("AWS::Lambda::Function") {
		switch {
		case strings.HasPrefix(id, "ApiFunction"):
			api = id
		case strings.HasPrefix(id, "SchedulerFunction"):
			tick = id
		}
	}
	if api == "" || tick == "" {
		t.Fatalf("functions not found: %v", tp.ofType("AWS::Lambda::Function"))
	}
	return api, tick
}

// statement is one IAM policy statement, normalised.
type statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []any
	Condition any
}

func policyOf(t *testing.T, tp template, roleID string) []statement {
	t.Helper()
	var out []statement
	for _, p := range tp.ofType("AWS::IAM::Policy") {
		if !refsTo(p.Properties["Roles"], roleID) {
			continue
		}
		for _, s := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			m := s.(map[string]any)
			st := statement{Sid: m["Sid"].(string), Effect: m["Effect"].(string), Condition: m["Condition"]}
			switch a := m["Action"].(type) {
			case string:
				st.Actions = []string{a}
			case []any:
				for _, x := range a {
					st.Actions = append(st.Actions, x.(string))
				}
			}
			switch r := m["Resource"].(type) {
			case []any:
				st.Resources = r
			default:
				st.Resources = []any{r}
			}
			out = append(out, st)
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	tp, _ := synth(t, DefaultStackConfig())
	tableID, _ := tp.one(t, "AWS::DynamoDB::Table")
	bucketID, _ := tp.one(t, "AWS::S3::Bucket")
	apiFn, tickFn := functionIDs(t, tp)
	roleOf := func(fnID string) string {
		for id := range tp.ofType("AWS::IAM::Role") {
			if refsTo(tp.Resources[fnID].Properties["Role"], id) {
				return id
			}
		}
		t.Fatalf("no role for %s", fnID)
		return ""
	}
	for id, r := range tp.ofType("AWS::IAM::Role") {
		if _, ok := r.Properties["ManagedPolicyArns"]; ok {
			t.Errorf("%s has managed policies (broader than needed): %v", id, r.Properties["ManagedPolicyArns"])
		}
		if !strings.Contains(mustJSON(r.Properties["AssumeRolePolicyDocument"]), `"Service":"lambda.amazonaws.com"`) {
			t.Errorf("%s is not assumable by Lambda only", id)
		}
	}
	indexes := map[string]bool{}
	for _, g := range shared.DynamoTable("").GSIs {
		indexes[g.IndexName] = true
	}
	for _, tt := range []struct {
		fn           string
		tableActions []string
	}{
		{apiFn, apiTableActions},
		{tickFn, schedulerTableActions},
	} {
		t.Run(tt.fn, func(t *testing.T) {
			roleID := roleOf(tt.fn)
			logGroupID := ""
			for id := range tp.ofType("AWS::Logs::LogGroup") {
				if refsTo(tp.Resources[tt.fn].Properties["LoggingConfig"], id) {
					logGroupID = id
				}
			}
			sids := map[string]statement{}
			for _, st := range policyOf(t, tp, roleID) {
				if st.Effect != "Allow" {
					t.Errorf("%s: unexpected effect %s", st.Sid, st.Effect)
				}
				for _, a := range st.Actions {
					if strings.Contains(a, "*") {
						t.Errorf("%s: wildcard action %s", st.Sid, a)
					}
				}
				for _, r := range st.Resources {
					if r == "*" {
						t.Errorf("%s: resource *", st.Sid)
					}
				}
				sids[st.Sid] = st
			}
			var got []string
			for sid := range sids {
				got = append(got, sid)
			}
			sort.Strings(got)
			if want := []string{"Logs", "ResultListing", "ResultObjects", "SecretKey", "Table"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("statements %v, want %v", got, want)
			}

			tbl := sids["Table"]
			if !reflect.DeepEqual(tbl.Actions, tt.tableActions) {
				t.Errorf("table actions %v, want %v", tbl.Actions, tt.tableActions)
			}
			seen := map[string]bool{}
			for _, r := range tbl.Resources {
				s := mustJSON(r)
				if !refsTo(r, tableID) {
					t.Errorf("table statement resource not on the table: %s", s)
				}
				if i := strings.Index(s, "/index/"); i >= 0 {
					name := strings.TrimRight(s[i+len("/index/"):], `"]}`)
					if !indexes[name] {
						t.Errorf("grant on unknown index %q", name)
					}
					seen[name] = true
				}
			}
			if len(seen) != len(indexes) || len(tbl.Resources) != len(indexes)+1 {
				t.Errorf("table resources %v: want the table and each of %d indexes", tbl.Resources, len(indexes))
			}

			obj := sids["ResultObjects"]
			if len(obj.Resources) != 1 || !refsTo(obj.Resources[0], bucketID) || !strings.Contains(mustJSON(obj.Resources[0]), `"/results/*"`) {
				t.Errorf("object actions must be on <bucket>/results/* only: %v", obj.Resources)
			}
			if !reflect.DeepEqual(obj.Actions, objectActions) {
				t.Errorf("object actions %v", obj.Actions)
			}
			list := sids["ResultListing"]
			if !reflect.DeepEqual(list.Actions, []string{"s3:ListBucket"}) || len(list.Resources) != 1 || !refsTo(list.Resources[0], bucketID) ||
				!strings.Contains(mustJSON(list.Condition), `"s3:prefix":"results/*"`) {
				t.Errorf("listing: %+v", list)
			}

			sec := sids["SecretKey"]
			if !reflect.DeepEqual(sec.Actions, []string{"ssm:GetParameter"}) || len(sec.Resources) != 1 ||
				!strings.Contains(mustJSON(sec.Resources[0]), ":parameter/orrery/Test/secret-key") {
				t.Errorf("secret key: %+v", sec)
			}
			logs := sids["Logs"]
			if len(logs.Resources) != 1 || !refsTo(logs.Resources[0], logGroupID) {
				t.Errorf("logs statement must be on the function's own log group %s: %v", logGroupID, logs.Resources)
			}
			if slices.Contains(logs.Actions, "logs:CreateLogGroup") {
				t.Errorf("the log group is the stack's; the function need not create it")
			}
		})
	}
}

func TestStackVariants(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*StackConfig)
		check func(t *testing.T, tp template)
	}{
		{"x86_64 for emulators", func(c *StackConfig) { c.Arch = "x86_64" }, func(t *testing.T, tp template) {
			for id, r := range tp.ofType("AWS::Lambda::Function") {
				if !reflect.DeepEqual(r.Properties["Architectures"], []any{"x86_64"}) {
					t.Errorf("%s: Architectures = %v", id, r.Properties["Architectures"])
				}
			}
		}},
		{"destroyData deletes table and bucket", func(c *StackConfig) { c.DestroyData = true }, func(t *testing.T, tp template) {
			for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::S3::Bucket"} {
				if _, r := tp.one(t, typ); r.DeletionPolicy != "Delete" {
					t.Errorf("%s DeletionPolicy = %q, want Delete", typ, r.DeletionPolicy)
				}
			}
		}},
		{"alarms off", func(c *StackConfig) { c.Alarms = false }, func(t *testing.T, tp template) {
			if n := len(tp.ofType("AWS::CloudWatch::Alarm")); n != 0 {
				t.Errorf("%d alarms", n)
			}
		}},
		{"settings reach the template", func(c *StackConfig) {
			c.LogRetentionDays, c.FlowResultRetentionDays, c.LogLevel, c.SecretKeyParameter = 90, 7, "debug", "/custom/key"
			c.Retention, c.UIURL = "30d", "https://orrery.example.com"
		}, func(t *testing.T, tp template) {
			for id, r := range tp.ofType("AWS::Logs::LogGroup") {
				if r.Properties["RetentionInDays"] != float64(90) {
					t.Errorf("%s: RetentionInDays = %v", id, r.Properties["RetentionInDays"])
				}
			}
			if !strings.Contains(tp.raw, `"ExpirationInDays":7`) {
				t.Errorf("flow-results expiry not 7 days")
			}
			for id, r := range tp.ofType("AWS::Lambda::Function") {
				env := r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
				if env[shared.EnvLogLevel] != "debug" || env[shared.EnvSecretKeyParameter] != "/custom/key" || env[shared.EnvRetention] != "30d" {
					t.Errorf("%s: environment %v", id, env)
				}
				if u, ok := env[shared.EnvUIURL]; ok && u != "https://orrery.example.com" {
					t.Errorf("%s: %s = %v", id, shared.EnvUIURL, u)
				}
			}
			if !strings.Contains(tp.raw, ":parameter/custom/key") {
				t.Errorf("the policy does not name the custom parameter")
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultStackConfig()
			tt.edit(&cfg)
			tp, _ := synth(t, cfg)
			tt.check(t, tp)
		})
	}
}

func TestConfigFromContext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		ctx     map[string]string
		wantErr string
		check   func(StackConfig) bool
	}{
		{"defaults", nil, "", func(c StackConfig) bool { return reflect.DeepEqual(c, DefaultStackConfig()) }},
		{"overrides", map[string]string{"arch": "x86_64", "assetDir": "/tmp/a", "alarms": "false", "destroyData": "true", "apiMemoryMB": "1024"}, "",
			func(c StackConfig) bool {
				return c.Arch == "x86_64" && c.AssetDir == "/tmp/a" && !c.Alarms && c.DestroyData && c.APIMemoryMB == 1024
			}},
		{"bad arch", map[string]string{"arch": "mips"}, "arch must be arm64 or x86_64", nil},
		{"bad retention", map[string]string{"logRetentionDays": "13"}, "logRetentionDays must be one of", nil},
		{"not a number", map[string]string{"apiMemoryMB": "lots"}, "whole number", nil},
		{"not a bool", map[string]string{"destroyData": "yes please"}, "true or false", nil},
		{"tiny memory", map[string]string{"schedulerMemoryMB": "64"}, "at least 128", nil},
		{"zero result retention", map[string]string{"flowResultRetentionDays": "0"}, "at least 1", nil},
		{"run retention", map[string]string{"retention": "30d"}, "", func(c StackConfig) bool { return c.Retention == "30d" }},
		{"bad run retention", map[string]string{"retention": "a month"}, "retention: want a positive period", nil},
		{"ui url", map[string]string{"uiUrl": "https://orrery.example.com"}, "", func(c StackConfig) bool { return c.UIURL == "https://orrery.example.com" }},
		{"bad ui url", map[string]string{"uiUrl": "orrery.example.com"}, "uiUrl must be an http(s) URL", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := configFromContext(func(k string) string { return tt.ctx[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(cfg) {
				t.Fatalf("cfg = %+v, err = %v", cfg, err)
			}
		})
	}
}

func TestSecretKeyParameterName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ stack, override, want string }{
		{"Orrery", "", "/orrery/Orrery/secret-key"},
		{"Dev", "/x/y", "/x/y"},
	} {
		if got := SecretKeyParameterName(tt.stack, tt.override); got != tt.want {
			t.Errorf("SecretKeyParameterName(%q, %q) = %q, want %q", tt.stack, tt.override, got, tt.want)
		}
	}
}
