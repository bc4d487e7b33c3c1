package results

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Open returns the store a URL names:
//
//	file:///abs/dir                  a local directory (see Dir)
//	/abs/dir                         the same
//	s3://bucket/prefix?region=R&endpoint=http://127.0.0.1:9000
//	                                 an S3 bucket under an optional prefix (see S3Options)
//
// Open creates a local directory but makes no request to S3.
func Open(ctx context.Context, rawURL string) (Store, error) {
	if filepath.IsAbs(rawURL) && !strings.Contains(rawURL, "://") {
		return NewDir(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("results: bad store URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("results: file URL %q has host %q; write file:///abs/dir", rawURL, u.Host)
		}
		if len(u.Query()) > 0 {
			return nil, fmt.Errorf("results: file URL %q takes no query parameters", rawURL)
		}
		if !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("results: file URL %q needs an absolute path (file:///abs/dir)", rawURL)
		}
		return NewDir(u.Path)
	case "s3":
		opts := S3Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
		if opts.Bucket == "" {
			return nil, fmt.Errorf("results: S3 URL %q has no bucket (s3://bucket/prefix)", rawURL)
		}
		if opts.Prefix != "" {
			if err := CheckKey(opts.Prefix); err != nil {
				return nil, fmt.Errorf("results: S3 URL %q has a bad prefix: %w", rawURL, err)
			}
		}
		for k, v := range u.Query() {
			switch k {
			case "region":
				opts.Region = v[0]
			case "endpoint":
				e, err := url.Parse(v[0])
				if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
					return nil, fmt.Errorf("results: S3 URL %q: endpoint must be an http(s) URL, got %q", rawURL, v[0])
				}
				opts.Endpoint = v[0]
			default:
				return nil, fmt.Errorf("results: S3 URL %q: unknown parameter %q (want region, endpoint)", rawURL, k)
			}
		}
		return NewS3(ctx, opts)
	case "":
		return nil, fmt.Errorf("results: store URL %q must be file:///abs/dir, an absolute path or s3://bucket/prefix", rawURL)
	default:
		return nil, fmt.Errorf("results: unsupported store URL scheme %q in %q (want file or s3)", u.Scheme, rawURL)
	}
}
