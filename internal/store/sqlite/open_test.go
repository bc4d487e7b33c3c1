package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenErrorsNameThePathAndCause: SQLite's own message ("unable to open
// database file (14)") names neither, which left users guessing.
func TestOpenErrorsNameThePathAndCause(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "text.db")
	if err := os.WriteFile(notDB, []byte("hello, not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"a directory", dir, "it is a directory"},
		{"missing directory", filepath.Join(dir, "no", "such", "x.db"), "does not exist"},
		{"parent is a file", filepath.Join(file, "x.db"), "is not a directory"},
		{"not a database", notDB, "not a SQLite database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", tc.path)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.path) || !strings.Contains(msg, tc.want) {
				t.Fatalf("Open(%s) = %q; want the path and %q", tc.path, msg, tc.want)
			}
		})
	}
}
