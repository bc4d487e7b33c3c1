package api

import (
	"net/http"
	"strings"
)

// uiAPIURL is the absolute API URL GET /ui-settings answers. The stock
// Prefect 2.7 UI calls whatever api_url says, so it must name the scheme,
// host and prefix the browser used: behind a TLS-terminating proxy or API
// Gateway the request reaches us over plain HTTP, and an "http://" URL
// would be blocked as mixed content. The proxy's Forwarded (RFC 7239) or
// X-Forwarded-Proto/-Host/-Prefix headers win when present; otherwise
// the request's own TLS state and Host. The values are checked, and the
// answer goes only to the client that sent them.
func uiAPIURL(r *http.Request) string {
	scheme, host, prefix := "http", r.Host, ""
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstToken(r.Header.Get("X-Forwarded-Proto")); p != "" {
		scheme = p
	}
	if h := firstToken(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	// Forwarded is the standard form; its first element is the hop nearest
	// the client.
	if f := firstToken(r.Header.Get("Forwarded")); f != "" {
		for _, pair := range strings.Split(f, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(k) {
			case "proto":
				scheme = v
			case "host":
				host = v
			}
		}
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	if !validHost(host) {
		host = r.Host
	}
	if p := strings.TrimRight(firstToken(r.Header.Get("X-Forwarded-Prefix")), "/"); strings.HasPrefix(p, "/") && validPath(p) {
		prefix = p
	}
	return scheme + "://" + host + prefix + "/api"
}

// firstToken is the first comma-separated element of a header value.
func firstToken(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost accepts a host[:port] or [ipv6]:port made of URL-safe characters.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune(".-_:[]", c):
		default:
			return false
		}
	}
	return true
}

func validPath(p string) bool {
	if len(p) > 255 || strings.Contains(p, "//") {
		return false
	}
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("/.-_~", c):
		default:
			return false
		}
	}
	return true
}
