package shared

import (
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration // 0: an error
	}{
		{"30d", 30 * day},
		{"1d", day},
		{"90d", 90 * day},
		{"12h", 12 * time.Hour},
		{"90m", 90 * time.Minute},
		{"1d12h", day + 12*time.Hour},
		{"2d30m", 2*day + 30*time.Minute},
		{" 7d ", 7 * day},
		{"36500d", 36500 * day},
		{"", 0},
		{"0d", 0},
		{"0s", 0},
		{"-1d", 0},
		{"+1d", 0},
		{"1d+1h", 0},
		{"1d-1h", 0},
		{"-5h", 0},
		{"d", 0},
		{"1.5d", 0},
		{"30", 0},
		{"thirty days", 0},
		{"1w", 0},
		{"36501d", 0},
		{"99999999999999999999d", 0},
		{"36500d2562047h", 0}, // overflows time.Duration
		{"1dd", 0},
	} {
		got, err := ParseRetention(tc.in)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("ParseRetention(%q) = %s, want an error", tc.in, got)
		case tc.want != 0 && (err != nil || got != tc.want):
			t.Errorf("ParseRetention(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestLoadRetention(t *testing.T) {
	// Not parallel: t.Setenv.
	t.Setenv(EnvRetention, "")
	c, err := Load()
	if err != nil || c.Retention != 0 {
		t.Fatalf("unset: retention %s, err %v; want off", c.Retention, err)
	}
	t.Setenv(EnvRetention, "30d")
	if c, err = Load(); err != nil || c.Retention != 30*24*time.Hour {
		t.Fatalf("30d: retention %s, err %v", c.Retention, err)
	}
	t.Setenv(EnvRetention, "a month")
	if _, err = Load(); err == nil || !strings.Contains(err.Error(), EnvRetention) || !strings.Contains(err.Error(), "30d") {
		t.Fatalf("bad value: err %v, want one naming %s and an example", err, EnvRetention)
	}
}

// FuzzParseRetention holds that ParseRetention never panics and that
// anything it accepts is a positive duration that round-trips through
// Duration.String (a Go duration ParseRetention reads back the same).
func FuzzParseRetention(f *testing.F) {
	for _, s := range []string{"30d", "12h", "1d12h", "-1d", "0d", "1.5d", "36500d2562047h", "d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseRetention(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("ParseRetention(%q) = %s: accepted a non-positive period", s, d)
		}
		back, err := ParseRetention(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseRetention(%q) = %s, but its String reads back as %s, %v", s, d, back, err)
		}
	})
}
