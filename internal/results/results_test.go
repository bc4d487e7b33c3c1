package results_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/results/resultstest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	resultstest.Run(t, func(t *testing.T) results.Store { return results.NewMemory() })
}

func TestDir(t *testing.T) {
	t.Parallel()
	resultstest.Run(t, func(t *testing.T) results.Store {
		s, err := results.Open(context.Background(), "file://"+t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// fakeS3 serves an in-memory gofakes3 and returns its URL and backend.
func fakeS3(t *testing.T) (string, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return srv.URL, backend
}

func TestS3(t *testing.T) {
	t.Parallel()
	endpoint, backend := fakeS3(t)
	var n atomic.Int64
	resultstest.Run(t, func(t *testing.T) results.Store {
		// A bucket per subtest, half of them under a prefix.
		bucket := "bucket-" + strings.Repeat("x", int(n.Add(1)))
		if err := backend.CreateBucket(bucket); err != nil {
			t.Fatal(err)
		}
		url := "s3://" + bucket + "?region=eu-west-1&endpoint=" + endpoint
		if n.Load()%2 == 0 {
			url = "s3://" + bucket + "/some/prefix/?endpoint=" + endpoint
		}
		s, err := results.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestS3PrefixAndMultipart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := s3mem.New()
	if err := backend.CreateBucket("b"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend).Server()
	var parts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
			parts.Add(1)
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	st, err := results.Open(ctx, "s3://b/orrery/results?endpoint="+srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*results.S3)
	for _, tc := range []struct {
		size, wantParts int
	}{{results.DefaultMultipartThreshold - 1, 0}, {12 << 20, 3}} {
		parts.Store(0)
		data := make([]byte, tc.size)
		if err := s.Put(ctx, "flow_runs/1/result", data); err != nil {
			t.Fatal(err)
		}
		head, err := s.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("orrery/results/flow_runs/1/result")})
		if err != nil {
			t.Fatalf("object not under the prefix: %v", err)
		}
		if aws.ToInt64(head.ContentLength) != int64(tc.size) {
			t.Fatalf("ContentLength = %d, want %d", aws.ToInt64(head.ContentLength), tc.size)
		}
		if got := parts.Load(); int(got) != tc.wantParts {
			t.Errorf("%d bytes uploaded in %d parts, want %d", tc.size, got, tc.wantParts)
		}
	}
}

func TestS3MissingBucket(t *testing.T) {
	t.Parallel()
	endpoint, _ := fakeS3(t)
	s, err := results.Open(context.Background(), "s3://nope?endpoint="+endpoint)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(context.Background(), "k", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "s3://nope/k") {
		t.Fatalf("Put to a missing bucket = %v, want an error naming the object", err)
	}
}

func TestDirAtomicLeavesNoTempFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	s, err := results.Open(ctx, root) // a plain absolute path
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Put(ctx, "x/y", []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "y" {
		t.Fatalf("directory holds %v, want only y", entries)
	}
	// A key cannot be both a value and a prefix in a directory.
	if err := s.Put(ctx, "x/y/z", []byte("v")); err == nil {
		t.Fatal("Put below an existing key succeeded in a directory store")
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		url     string
		wantErr string // empty: Open succeeds
	}{
		{"file://" + dir + "/a", ""},
		{"file://localhost" + dir + "/b", ""},
		{dir + "/c", ""},
		{"s3://bucket/prefix?region=us-west-2&endpoint=http://127.0.0.1:1", ""},
		{"relative/dir", "must be file:///abs/dir"},
		{"file://relative/dir", "has host"},
		{"file:relative", "absolute path"},
		{"file://" + dir + "?x=1", "no query"},
		{"s3:///prefix", "no bucket"},
		{"s3://bucket/a/../b", "bad prefix"},
		{"s3://bucket?endpoint=127.0.0.1:9000", "endpoint must be an http(s) URL"},
		{"s3://bucket?bogus=1&endpoint=http://x", "unknown parameter"},
		{"gs://bucket", "unsupported store URL scheme"},
	} {
		s, err := results.Open(ctx, tc.url)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Open(%q) = %v", tc.url, err)
		case tc.wantErr == "" && s == nil:
			t.Errorf("Open(%q) returned no store", tc.url)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Open(%q) error = %v, want one containing %q", tc.url, err, tc.wantErr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err != nil {
		t.Errorf("Open(file://) did not create the directory: %v", err)
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	for _, key := range resultstest.BadKeys {
		if err := results.CheckKey(key); !errors.Is(err, results.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	for _, key := range []string{"a", "a/b", "payloads/flow_runs/x/parameters", ".hidden", "a/...", "..a/b.."} {
		if err := results.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
}

func FuzzCheckKey(f *testing.F) {
	for _, k := range append(resultstest.BadKeys, "a", "a/b/c", ".x", "a/..b", "a/b.", "ü/ñ") {
		f.Add(k)
	}
	root := filepath.FromSlash("/srv/results")
	f.Fuzz(func(t *testing.T, key string) {
		if err := results.CheckKey(key); err != nil {
			if !errors.Is(err, results.ErrInvalidKey) || !strings.Contains(err.Error(), "invalid key") {
				t.Fatalf("CheckKey(%q) error %v does not wrap ErrInvalidKey", key, err)
			}
			return
		}
		// A valid key is already clean, relative, and stays under any root.
		if path.Clean(key) != key || path.IsAbs(key) || strings.Contains(key, "\\") {
			t.Fatalf("valid key %q is not a clean relative path (Clean = %q)", key, path.Clean(key))
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Fatalf("valid key %q escapes the root: %q", key, p)
		}
		if filepath.ToSlash(rel) != key {
			t.Fatalf("valid key %q maps to %q, not itself", key, rel)
		}
	})
}
