package shared

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadEdgeSettings(t *testing.T) {
	// Not parallel: t.Setenv.
	t.Setenv(EnvAllowedHosts, " box.lan, 10.0.0.5 ,,")
	t.Setenv(EnvCORSOrigins, "https://ui.example:8443")
	t.Setenv(EnvLogFormat, "json")
	t.Setenv(EnvReadTimeout, "90s")
	t.Setenv(EnvWriteTimeout, "5m")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.AllowedHosts, []string{"box.lan", "10.0.0.5"}) || !slices.Equal(c.CORSOrigins, []string{"https://ui.example:8443"}) {
		t.Errorf("lists: hosts %q origins %q", c.AllowedHosts, c.CORSOrigins)
	}
	if c.LogFormat != "json" || c.ReadTimeout != 90*time.Second || c.WriteTimeout != 5*time.Minute {
		t.Errorf("format %q read %s write %s", c.LogFormat, c.ReadTimeout, c.WriteTimeout)
	}
	for env, bad := range map[string]string{EnvLogFormat: "xml", EnvReadTimeout: "soon", EnvWriteTimeout: "-1s"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, bad)
			if _, err := Load(); err == nil || !strings.Contains(err.Error(), env) {
				t.Errorf("%s=%s: err %v, want one naming %s", env, bad, err, env)
			}
		})
	}
}
