package shared

import "testing"

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"postgres://u:pw@h/db", "postgres://***@h/db"},
		{"postgres://u:p@ss@h:5432/db", "postgres://***@h:5432/db"},
		{"postgres://h/db?user=u&password=hunter2&sslmode=off", "postgres://h/db?user=u&password=***&sslmode=off"},
		{"postgresql://u@h/db", "postgresql://***@h/db"},
		{"sqlite:///a/b.db", "sqlite:///a/b.db"},
		{"sqlite:///a/b@c.db", "sqlite:///a/b@c.db"},
		{"dynamodb://t?region=x", "dynamodb://t?region=x"},
		{"s3://bucket/prefix?region=x&endpoint=http://127.0.0.1:9000", "s3://bucket/prefix?region=x&endpoint=http://127.0.0.1:9000"},
		{"not a url", "not a url"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
