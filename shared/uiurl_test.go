package shared

import (
	"testing"
	"time"
)

func TestUIURL(t *testing.T) {
	tests := []struct {
		env, host string
		port      int
		want      string
		wantErr   bool
	}{
		{"", "127.0.0.1", 4200, "http://127.0.0.1:4200", false},
		{"", "0.0.0.0", 8080, "http://127.0.0.1:8080", false},
		{"", "::1", 4200, "http://[::1]:4200", false},
		{"", "orrery.internal", 80, "http://orrery.internal:80", false},
		{"https://orrery.example.com/", "0.0.0.0", 4200, "https://orrery.example.com", false},
		{"https://example.com/orrery", "", 0, "https://example.com/orrery", false},
		{"ftp://x", "", 0, "", true},
		{"not a url", "", 0, "", true},
	}
	for _, tc := range tests {
		got, err := uiURL(tc.env, tc.host, tc.port)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("uiURL(%q, %q, %d) = %q, %v; want %q (error %v)", tc.env, tc.host, tc.port, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestUIBaseURLFollowsFlags(t *testing.T) {
	t.Setenv(EnvUIURL, "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	c.Host, c.Port = "0.0.0.0", 4321 // as --host/--port set them after Load
	if got := c.UIBaseURL(); got != "http://127.0.0.1:4321" {
		t.Errorf("UIBaseURL = %q", got)
	}
	t.Setenv(EnvUIURL, "https://ui.example.com/")
	if c, err = Load(); err != nil || c.UIBaseURL() != "https://ui.example.com" {
		t.Errorf("UIBaseURL = %q, %v", c.UIBaseURL(), err)
	}
	t.Setenv(EnvUIURL, "nope")
	if _, err := Load(); err == nil {
		t.Error("a bad ORRERY_UI_URL loaded")
	}
}

func TestNotificationBackoffSetting(t *testing.T) {
	t.Setenv(EnvNotificationBackoff, "")
	if c, err := Load(); err != nil || c.NotificationBackoff != 10*time.Second {
		t.Errorf("default %s, %v", c.NotificationBackoff, err)
	}
	t.Setenv(EnvNotificationBackoff, "250ms")
	if c, err := Load(); err != nil || c.NotificationBackoff != 250*time.Millisecond {
		t.Errorf("250ms: %s, %v", c.NotificationBackoff, err)
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		t.Setenv(EnvNotificationBackoff, bad)
		if _, err := Load(); err == nil {
			t.Errorf("%q loaded", bad)
		}
	}
}
