// Command stackctl does the few AWS calls around `cdk deploy` / `cdk destroy`
// that the CDK cannot (the aws CLI is not assumed installed):
//
//	stackctl ensure-secret -name /orrery/Orrery/secret-key
//	    creates the SSM SecureString (standard tier) holding base64 of 32
//	    random bytes, unless it exists; never prints the value.
//	stackctl outputs -stack Orrery
//	    prints the stack's outputs as a JSON object.
//	stackctl functions -stack Orrery -cdk-out cdk.out -out deployed.json
//	    writes, for each function, its deployed configuration (environment,
//	    runtime, handler, architectures) and the directory of its code asset
//	    in cdk.out, with the stack outputs, as JSON.
//	stackctl delete-data -table T -bucket B -parameter P
//	    deletes what `cdk destroy` keeps: the table, every object and version
//	    in the bucket and the bucket, and the secret-key parameter.
//
// Credentials, region and endpoint come from the SDK's default chain, so
// AWS_ENDPOINT_URL points every call at an emulator.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stackctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: stackctl ensure-secret|outputs|functions|delete-data [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	name := fs.String("name", "", "SSM parameter name (ensure-secret)")
	stack := fs.String("stack", "Orrery", "stack name")
	cdkOut := fs.String("cdk-out", "cdk.out", "the cloud assembly directory (functions)")
	out := fs.String("out", "", "output file; empty means stdout (functions)")
	table := fs.String("table", "", "table to delete (delete-data)")
	bucket := fs.String("bucket", "", "bucket to empty and delete (delete-data)")
	param := fs.String("parameter", "", "parameter to delete (delete-data)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	switch args[0] {
	case "ensure-secret":
		if *name == "" {
			return errors.New("ensure-secret needs -name")
		}
		created, err := ensureSecret(ctx, ssm.NewFromConfig(cfg), *name)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stdout, "created SSM SecureString %s (32 random bytes, base64)\n", *name)
		} else {
			fmt.Fprintf(stdout, "SSM parameter %s exists; kept\n", *name)
		}
		return nil
	case "outputs":
		outs, _, err := stackOutputs(ctx, cloudformation.NewFromConfig(cfg), *stack)
		if err != nil {
			return err
		}
		return writeJSON(stdout, outs)
	case "functions":
		d, err := deployedFunctions(ctx, cloudformation.NewFromConfig(cfg), lambda.NewFromConfig(cfg), *stack, *cdkOut)
		if err != nil {
			return err
		}
		if *out == "" {
			return writeJSON(stdout, d)
		}
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := writeJSON(f, d); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "delete-data":
		return deleteData(ctx, cfg, *table, *bucket, *param, stdout)
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// SSM is the part of the SSM API ensureSecret uses.
type SSM interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// ensureSecret creates the parameter with a fresh key unless it exists. It
// never overwrites: rotating is a deliberate act (see the README).
func ensureSecret(ctx context.Context, client SSM, name string) (created bool, err error) {
	_, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err == nil {
		return false, nil
	}
	var nf *ssmtypes.ParameterNotFound
	if !errors.As(err, &nf) {
		return false, fmt.Errorf("reading SSM parameter %s: %w", name, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return false, err
	}
	_, err = client.PutParameter(ctx, &ssm.PutParameterInput{
		Name:        aws.String(name),
		Type:        ssmtypes.ParameterTypeSecureString,
		Tier:        ssmtypes.ParameterTierStandard,
		Value:       aws.String(base64.StdEncoding.EncodeToString(key)),
		Overwrite:   aws.Bool(false),
		Description: aws.String("Orrery ORRERY_SECRET_KEY: AES-256-GCM key sealing block documents"),
	})
	var exists *ssmtypes.ParameterAlreadyExists
	if errors.As(err, &exists) {
		return false, nil // created concurrently
	}
	if err != nil {
		return false, fmt.Errorf("creating SSM parameter %s: %w", name, err)
	}
	return true, nil
}

// CloudFormation is the part of the CloudFormation API stackctl uses.
type CloudFormation interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
}

// Lambda is the part of the Lambda API stackctl uses.
type Lambda interface {
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// stackOutputs returns the stack's outputs and resources. Emulators (moto)
// may return no outputs for a stack with resource types they skip, so
// TableName and BucketName are filled from the resources when missing.
func stackOutputs(ctx context.Context, cf CloudFormation, stack string) (map[string]string, *cloudformation.DescribeStackResourcesOutput, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, nil, fmt.Errorf("describing stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return nil, nil, fmt.Errorf("stack %s: %d stacks found", stack, len(out.Stacks))
	}
	m := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	res, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, nil, fmt.Errorf("listing the resources of %s: %w", stack, err)
	}
	fill := func(key, typ string) {
		for _, r := range res.StackResources {
			if m[key] == "" && aws.ToString(r.ResourceType) == typ {
				m[key] = aws.ToString(r.PhysicalResourceId)
			}
		}
	}
	fill("TableName", "AWS::DynamoDB::Table")
	fill("BucketName", "AWS::S3::Bucket")
	return m, res, nil
}

// Deployed is what `functions` writes.
type Deployed struct {
	Stack     string                      `json:"stack"`
	Outputs   map[string]string           `json:"outputs"`
	Functions map[string]DeployedFunction `json:"functions"` // "api", "scheduler"
}

// DeployedFunction is one function as deployed.
type DeployedFunction struct {
	Name          string            `json:"name"`
	LogicalID     string            `json:"logicalId"`
	Runtime       string            `json:"runtime"`
	Handler       string            `json:"handler"`
	Architectures []string          `json:"architectures"`
	MemoryMB      int32             `json:"memoryMB"`
	TimeoutS      int32             `json:"timeoutSeconds"`
	Environment   map[string]string `json:"environment"`
	// CodeDir is the absolute path of the function's code asset in cdk.out
	// (the directory holding bootstrap), read from the template metadata.
	CodeDir string `json:"codeDir"`
}

// functionKey maps the stack's logical ids (ApiFunctionXXXX,
// SchedulerFunctionXXXX) to the names the runners use.
func functionKey(logicalID string) string {
	switch {
	case strings.HasPrefix(logicalID, "ApiFunction"):
		return "api"
	case strings.HasPrefix(logicalID, "SchedulerFunction"):
		return "scheduler"
	}
	return ""
}

func deployedFunctions(ctx context.Context, cf CloudFormation, lc Lambda, stack, cdkOut string) (*Deployed, error) {
	assets, err := assetDirs(cdkOut, stack)
	if err != nil {
		return nil, err
	}
	outs, res, err := stackOutputs(ctx, cf, stack)
	if err != nil {
		return nil, err
	}
	d := &Deployed{Stack: stack, Outputs: outs, Functions: map[string]DeployedFunction{}}
	for _, r := range res.StackResources {
		key := functionKey(aws.ToString(r.LogicalResourceId))
		if aws.ToString(r.ResourceType) != "AWS::Lambda::Function" || key == "" {
			continue
		}
		c, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: r.PhysicalResourceId})
		if err != nil {
			return nil, fmt.Errorf("reading function %s: %w", aws.ToString(r.PhysicalResourceId), err)
		}
		f := DeployedFunction{
			Name: aws.ToString(c.FunctionName), LogicalID: aws.ToString(r.LogicalResourceId),
			Runtime: string(c.Runtime), Handler: aws.ToString(c.Handler),
			MemoryMB: aws.ToInt32(c.MemorySize), TimeoutS: aws.ToInt32(c.Timeout),
			Environment: map[string]string{}, CodeDir: assets[aws.ToString(r.LogicalResourceId)],
		}
		for _, a := range c.Architectures {
			f.Architectures = append(f.Architectures, string(a))
		}
		if c.Environment != nil {
			f.Environment = c.Environment.Variables
		}
		d.Functions[key] = f
	}
	for _, k := range []string{"api", "scheduler"} {
		if _, ok := d.Functions[k]; !ok {
			return nil, fmt.Errorf("stack %s has no %s function", stack, k)
		}
	}
	if d.Outputs["SecretKeyParameter"] == "" {
		d.Outputs["SecretKeyParameter"] = d.Functions["api"].Environment["ORRERY_SECRET_KEY_PARAMETER"]
	}
	return d, nil
}

// assetDirs reads <cdkOut>/<stack>.template.json and returns, per function
// logical id, the absolute directory of its code asset ("aws:asset:path"
// metadata, relative to cdk.out).
func assetDirs(cdkOut, stack string) (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join(cdkOut, stack+".template.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the synthesized template (run cdk synth or deploy first): %w", err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type     string
			Metadata map[string]any
		}
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cdkOut)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	ids := make([]string, 0, len(tpl.Resources))
	for id := range tpl.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := tpl.Resources[id]
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		p, _ := r.Metadata["aws:asset:path"].(string)
		if p == "" {
			return nil, fmt.Errorf("function %s has no aws:asset:path metadata", id)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(abs, p)
		}
		dirs[id] = p
	}
	return dirs, nil
}

// deleteData removes what the stack retains. Each step is skipped when its
// name is empty; a resource already gone is not an error.
func deleteData(ctx context.Context, cfg aws.Config, table, bucket, param string, stdout io.Writer) error {
	var errs []error
	if table != "" {
		_, err := dynamodb.NewFromConfig(cfg).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		if err != nil && !strings.Contains(err.Error(), "ResourceNotFound") {
			errs = append(errs, fmt.Errorf("deleting table %s: %w", table, err))
		} else {
			fmt.Fprintf(stdout, "deleted table %s\n", table)
		}
	}
	if bucket != "" {
		// Emulators serve buckets on paths, not on <bucket>.host names.
		emulated := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = emulated })
		if err := deleteBucket(ctx, client, bucket); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(stdout, "emptied and deleted bucket %s\n", bucket)
		}
	}
	if param != "" {
		_, err := ssm.NewFromConfig(cfg).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(param)})
		var nf *ssmtypes.ParameterNotFound
		if err != nil && !errors.As(err, &nf) {
			errs = append(errs, fmt.Errorf("deleting parameter %s: %w", param, err))
		} else {
			fmt.Fprintf(stdout, "deleted SSM parameter %s\n", param)
		}
	}
	return errors.Join(errs...)
}

func deleteBucket(ctx context.Context, client *s3.Client, bucket string) error {
	p := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if strings.Contains(err.Error(), "NoSuchBucket") {
				return nil
			}
			return fmt.Errorf("listing bucket %s: %w", bucket, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("emptying bucket %s: %w", bucket, err)
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("deleting bucket %s: %w", bucket, err)
	}
	return nil
}
