package results

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// DefaultMultipartThreshold is the payload size from which S3.Put uploads in
// parts with the SDK's upload manager instead of one PutObject.
const DefaultMultipartThreshold = 8 << 20

// S3Options configure an S3 store.
type S3Options struct {
	Bucket string
	// Prefix is prepended to every key with a slash; empty means the bucket root.
	Prefix string
	// Region overrides the region from the environment / shared config.
	Region string
	// Endpoint is the base URL of an S3-compatible server such as
	// http://127.0.0.1:9000. With an endpoint the client uses path-style
	// addressing, computes checksums only when an operation requires them
	// (emulators reject streaming checksum trailers), defaults the region to
	// us-east-1 and, when no AWS credentials are configured, signs with
	// static dummy credentials.
	Endpoint string
	// MultipartThreshold: 0 means DefaultMultipartThreshold.
	MultipartThreshold int
}

// S3 is a Store in an S3 bucket under a prefix: key "a/b" is the object
// <prefix>/a/b.
type S3 struct {
	client    *s3.Client
	uploader  *manager.Uploader
	bucket    string
	prefix    string
	threshold int
}

var _ Store = (*S3)(nil)

// NewS3 builds an S3 store from the default AWS configuration chain and opts.
// It makes no request.
func NewS3(ctx context.Context, opts S3Options) (*S3, error) {
	if opts.Bucket == "" {
		return nil, errors.New("results: S3 store needs a bucket")
	}
	var load []func(*config.LoadOptions) error
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	if opts.Endpoint != "" {
		load = append(load,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
		if !credentialsConfigured(ctx) {
			load = append(load, config.WithCredentialsProvider(
				credentials.NewStaticCredentialsProvider("orrery", "orrery-dummy-secret", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("results: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if opts.Endpoint == "" {
			return nil, errors.New("results: no AWS region: set AWS_REGION or add ?region= to the s3:// URL")
		}
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
			o.UsePathStyle = true
		}
	})
	threshold := opts.MultipartThreshold
	if threshold <= 0 {
		threshold = DefaultMultipartThreshold
	}
	return &S3{
		client:    client,
		uploader:  manager.NewUploader(client),
		bucket:    opts.Bucket,
		prefix:    strings.Trim(opts.Prefix, "/"),
		threshold: threshold,
	}, nil
}

// credentialsConfigured reports whether the environment or the default
// shared-config profile names AWS credentials, without asking the instance
// metadata service (which would stall for seconds off EC2).
func credentialsConfigured(ctx context.Context) bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, "default")
	return err == nil && (sc.Credentials.HasKeys() || sc.RoleARN != "" || sc.CredentialProcess != "" ||
		sc.SSOSessionName != "" || sc.SSOStartURL != "")
}

// Client is the underlying S3 client (for tests and tools).
func (s *S3) Client() *s3.Client { return s.client }

func (s *S3) object(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if s.prefix == "" {
		return key, nil
	}
	return s.prefix + "/" + key, nil
}

// Put writes data to key, replacing what was there; payloads of at least the
// multipart threshold go through the upload manager.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(obj),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	if len(data) >= s.threshold {
		in.ContentLength = nil              // per part, set by the manager
		_, err = s.uploader.Upload(ctx, in) //nolint:staticcheck // deprecated in favour of feature/s3/transfermanager; manager is what the issue names
	} else {
		_, err = s.client.PutObject(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("results: put s3://%s/%s: %w", s.bucket, obj, err)
	}
	return nil
}

// Get returns the bytes under key, or ErrNotFound.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(obj)})
	if err != nil {
		if notFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("results: get s3://%s/%s: %w", s.bucket, obj, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		buf.Grow(int(n))
	}
	if _, err := io.Copy(&buf, out.Body); err != nil {
		return nil, fmt.Errorf("results: get s3://%s/%s: %w", s.bucket, obj, err)
	}
	return buf.Bytes(), nil
}

// Delete removes key; a missing key is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(obj)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("results: delete s3://%s/%s: %w", s.bucket, obj, err)
	}
	return nil
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}
