package shared

import "strings"

// RedactURL hides the credentials of a URL (user and password before the
// host, and password= / secret-looking query parameters) for messages and
// the settings route. Credentials may themselves contain '@', so the
// authority ends at the LAST '@' before the path.
func RedactURL(u string) string {
	scheme := strings.Index(u, "://")
	if scheme < 0 {
		return u
	}
	rest := u[scheme+3:]
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = "***" + rest[at:]
	}
	if q := strings.Index(rest, "?"); q >= 0 {
		params := strings.Split(rest[q+1:], "&")
		for i, p := range params {
			k, _, ok := strings.Cut(p, "=")
			switch strings.ToLower(k) {
			case "password", "pass", "secret", "token", "key":
				if ok {
					params[i] = k + "=***"
				}
			}
		}
		rest = rest[:q+1] + strings.Join(params, "&")
	}
	return u[:scheme+3] + rest
}
