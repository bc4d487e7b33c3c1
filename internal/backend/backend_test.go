package backend

import (
	"context"
	"strings"
	"testing"
)

func TestOpenDispatchesOnScheme(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:///:memory:", "")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tt := range []struct{ url, wantErr string }{
		{"mysql://root@localhost/db", "unsupported database URL"},
		{"sqlite://relative.db", "absolute path"},
		{"postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1", "127.0.0.1"},
		{"dynamodb://?region=us-east-1", "table"},
		{"dynamodb://t?region=us-east-1&endpoint=http://127.0.0.1:1", "results store"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			resultsURL := ""
			if strings.Contains(tt.wantErr, "results") {
				resultsURL = "ftp://nowhere"
			}
			_, err := Open(ctx, tt.url, resultsURL)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open(%q) = %v, want an error mentioning %q", tt.url, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}
