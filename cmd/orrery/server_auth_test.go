package main

import (
	"testing"

	"github.com/orrery-dev/orrery/shared"
)

func TestAuthMode(t *testing.T) {
	t.Parallel()
	on, off := true, false
	tests := []struct {
		host string
		env  *bool
		want bool
	}{
		{"127.0.0.1", nil, false},
		{"localhost", nil, false},
		{"::1", nil, false},
		{"0.0.0.0", nil, true},
		{"", nil, true}, // every interface
		{"192.168.1.5", nil, true},
		{"myhost.example", nil, true},
		{"127.0.0.1", &on, true},
		{"0.0.0.0", &off, false},
	}
	for _, tt := range tests {
		if got, _ := authMode(shared.Config{Host: tt.host, Auth: tt.env}); got != tt.want {
			t.Errorf("authMode(host %q, auth %v) = %v, want %v", tt.host, tt.env, got, tt.want)
		}
	}
}
