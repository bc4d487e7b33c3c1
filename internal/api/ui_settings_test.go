package api

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestUIAPIURL(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		headers map[string]string
		want    string
	}{
		{name: "plain", want: "http://orrery.test:4200/api"},
		{name: "tls", tls: true, want: "https://orrery.test:4200/api"},
		{name: "x-forwarded-proto", headers: map[string]string{"X-Forwarded-Proto": "https"}, want: "https://orrery.test:4200/api"},
		{name: "x-forwarded-proto list", headers: map[string]string{"X-Forwarded-Proto": "https, http"}, want: "https://orrery.test:4200/api"},
		{name: "x-forwarded host and prefix", headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ui.example.com", "X-Forwarded-Prefix": "/orrery/"}, want: "https://ui.example.com/orrery/api"},
		{name: "forwarded", headers: map[string]string{"Forwarded": `for=192.0.2.60;proto=https;host="gw.example.com"`}, want: "https://gw.example.com/api"},
		{name: "forwarded first hop wins", headers: map[string]string{"Forwarded": "proto=https, proto=http"}, want: "https://orrery.test:4200/api"},
		{name: "bad proto ignored", headers: map[string]string{"X-Forwarded-Proto": "javascript"}, want: "http://orrery.test:4200/api"},
		{name: "bad proto ignored under tls", tls: true, headers: map[string]string{"X-Forwarded-Proto": "ftp"}, want: "https://orrery.test:4200/api"},
		{name: "bad host ignored", headers: map[string]string{"X-Forwarded-Host": "evil.example/path"}, want: "http://orrery.test:4200/api"},
		{name: "bad prefix ignored", headers: map[string]string{"X-Forwarded-Prefix": "//evil"}, want: "http://orrery.test:4200/api"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://orrery.test:4200/ui-settings", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := uiAPIURL(r); got != tc.want {
				t.Errorf("uiAPIURL = %q, want %q", got, tc.want)
			}
		})
	}
}
