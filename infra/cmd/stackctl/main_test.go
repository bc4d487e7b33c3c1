package main

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

type fakeSSM struct {
	GetParameterFn func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
	PutParameterFn func(*ssm.PutParameterInput) (*ssm.PutParameterOutput, error)
}

var _ SSM = (*fakeSSM)(nil)

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f.GetParameterFn(in)
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	return f.PutParameterFn(in)
}

func TestEnsureSecret(t *testing.T) {
	t.Parallel()
	notFound := func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("nope")}
	}
	for _, tt := range []struct {
		name        string
		get         func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
		putErr      error
		wantCreated bool
		wantPut     bool
		wantErr     bool
	}{
		{"missing: created", notFound, nil, true, true, false},
		{"exists: kept", func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{}}, nil
		}, nil, false, false, false},
		{"created concurrently", notFound, &ssmtypes.ParameterAlreadyExists{Message: aws.String("race")}, false, true, false},
		{"access denied", func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			return nil, errors.New("AccessDenied")
		}, nil, false, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var put *ssm.PutParameterInput
			f := &fakeSSM{GetParameterFn: tt.get, PutParameterFn: func(in *ssm.PutParameterInput) (*ssm.PutParameterOutput, error) {
				put = in
				return &ssm.PutParameterOutput{}, tt.putErr
			}}
			created, err := ensureSecret(context.Background(), f, "/orrery/T/secret-key")
			if (err != nil) != tt.wantErr || created != tt.wantCreated || (put != nil) != tt.wantPut {
				t.Fatalf("created=%v err=%v put=%v", created, err, put != nil)
			}
			if put == nil {
				return
			}
			key, err := base64.StdEncoding.DecodeString(aws.ToString(put.Value))
			if err != nil || len(key) != 32 {
				t.Errorf("value is not base64 of 32 bytes: %d bytes, %v", len(key), err)
			}
			if put.Type != ssmtypes.ParameterTypeSecureString || put.Tier != ssmtypes.ParameterTierStandard || aws.ToBool(put.Overwrite) {
				t.Errorf("put %+v: want a standard-tier SecureString, never overwriting", put)
			}
		})
	}
}

type fakeCF struct{}

func (fakeCF) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{Outputs: []cftypes.Output{
		{OutputKey: aws.String("TableName"), OutputValue: aws.String("tbl")}}}}}, nil
}

func (fakeCF) DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	return &cloudformation.DescribeStackResourcesOutput{StackResources: []cftypes.StackResource{
		{LogicalResourceId: aws.String("ApiFunctionAB12"), PhysicalResourceId: aws.String("Orrery-Api-1"), ResourceType: aws.String("AWS::Lambda::Function")},
		{LogicalResourceId: aws.String("SchedulerFunctionCD34"), PhysicalResourceId: aws.String("Orrery-Tick-1"), ResourceType: aws.String("AWS::Lambda::Function")},
		{LogicalResourceId: aws.String("Table"), PhysicalResourceId: aws.String("other"), ResourceType: aws.String("AWS::DynamoDB::Table")},
		{LogicalResourceId: aws.String("Bucket"), PhysicalResourceId: aws.String("bkt"), ResourceType: aws.String("AWS::S3::Bucket")},
	}}, nil
}

type fakeLambda struct{}

func (fakeLambda) GetFunctionConfiguration(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return &lambda.GetFunctionConfigurationOutput{FunctionName: in.FunctionName, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64},
		Environment: &lambdatypes.EnvironmentResponse{Variables: map[string]string{"FN": aws.ToString(in.FunctionName)}}}, nil
}

func TestDeployedFunctions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tpl := `{"Resources":{
	  "ApiFunctionAB12":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"asset.aaa"}},
	  "SchedulerFunctionCD34":{"Type":"AWS::Lambda::Function","Metadata":{"aws:asset:path":"asset.bbb"}},
	  "Table":{"Type":"AWS::DynamoDB::Table"}}}`
	if err := os.WriteFile(filepath.Join(dir, "S.template.json"), []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := deployedFunctions(context.Background(), fakeCF{}, fakeLambda{}, "S", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]DeployedFunction{
		"api": {Name: "Orrery-Api-1", LogicalID: "ApiFunctionAB12", Runtime: "provided.al2023", Handler: "bootstrap",
			Architectures: []string{"arm64"}, Environment: map[string]string{"FN": "Orrery-Api-1"}, CodeDir: filepath.Join(dir, "asset.aaa")},
		"scheduler": {Name: "Orrery-Tick-1", LogicalID: "SchedulerFunctionCD34", Runtime: "provided.al2023", Handler: "bootstrap",
			Architectures: []string{"arm64"}, Environment: map[string]string{"FN": "Orrery-Tick-1"}, CodeDir: filepath.Join(dir, "asset.bbb")},
	}
	// TableName comes from the outputs; BucketName, missing there (as with moto), from the resources.
	if !reflect.DeepEqual(d.Functions, want) || d.Outputs["TableName"] != "tbl" || d.Outputs["BucketName"] != "bkt" {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
	if _, err := deployedFunctions(context.Background(), fakeCF{}, fakeLambda{}, "Missing", dir); err == nil {
		t.Error("no error for a missing template")
	}
}
