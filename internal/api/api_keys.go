package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// apiKeyCreate is the body of POST /api/api_keys/.
type apiKeyCreate struct {
	Name  string     `json:"name" required:"true" minLength:"1" maxLength:"1024"`
	Scope core.Scope `json:"scope" required:"true" maxLength:"1024"`
	// Expires is an absolute time; ExpiresIn a duration such as "90d" or
	// "12h" (the CLI's --expires).
	Expires   *core.Time `json:"expires"`
	ExpiresIn *string    `json:"expires_in" maxLength:"1024"`
}

func (apiKeyCreate) strictAction() {}

// auditPath is the audit log's own route: reading it is not audited, so
// paging through it does not shift its pages.
const auditPath = "/api/admin/audit/filter"

func (s *Server) registerAPIKeyRoutes() {
	s.handle("POST /api_keys/", "API keys", "Create an API key (admin); the key is in the answer, once", func(w http.ResponseWriter, r *http.Request) error {
		var in apiKeyCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		p := auth.CreateParams{Name: in.Name, Scope: in.Scope, CreatedBy: "api"}
		if k := auth.FromContext(r.Context()); k != nil {
			p.CreatedBy = k.ID
		}
		now := s.now()
		switch {
		case in.Expires != nil && in.ExpiresIn != nil:
			return core.Errorf(core.EInvalid, "give expires or expires_in, not both")
		case in.Expires != nil:
			p.Expires = &in.Expires.Time
		case in.ExpiresIn != nil:
			d, err := ParseExpiry(*in.ExpiresIn)
			if err != nil {
				return err
			}
			t := now.Add(d)
			p.Expires = &t
		}
		key, k, err := auth.Create(r.Context(), s.store, p, now)
		if err != nil {
			return err
		}
		out := auth.ViewOf(k)
		out.Key = key
		writeJSON(w, http.StatusCreated, out)
		return nil
	})
	s.handle("POST /api_keys/filter", "API keys", "List API keys (admin; body {include_revoked, limit, offset}); never the keys", func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		q := &store.APIKeyQuery{}
		var rev *bool
		if err := fb.into("include_revoked", &rev); err != nil {
			return err
		}
		q.IncludeRevoked = rev != nil && *rev
		if q.Page, err = fb.page(DefaultLimit, DefaultLimit); err != nil {
			return err
		}
		out := []auth.View{}
		if q.Limit >= 0 {
			ks, err := s.store.ListAPIKeys(r.Context(), q)
			if err != nil {
				return err
			}
			for _, k := range ks {
				out = append(out, auth.ViewOf(k))
			}
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
	s.handle("DELETE /api_keys/{id}", "API keys", "Revoke an API key (admin); it stops working at once on this instance, within the cache TTL on others", func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		var k *core.APIKey
		var err error
		if s.auth != nil {
			k, err = s.auth.Revoke(r.Context(), id)
		} else {
			k, err = s.store.RevokeAPIKey(r.Context(), &store.RevokeAPIKeyParams{ID: id, At: s.now()})
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, auth.ViewOf(k))
		return nil
	})
	s.handle("POST "+strings.TrimPrefix(auditPath, "/api"), "Admin", "Audit records of admin actions, newest first (admin; body {limit, offset})", func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		q := &store.AuditQuery{}
		if q.Page, err = fb.page(DefaultLimit, DefaultLimit); err != nil {
			return err
		}
		out := []*core.AuditRecord{}
		if q.Limit >= 0 {
			if out, err = s.store.ListAuditRecords(r.Context(), q); err != nil {
				return err
			}
		}
		writeJSON(w, http.StatusOK, emptyIfNil(out))
		return nil
	})
}

// ParseExpiry parses a key lifetime: a number of days ("90d") or a Go
// duration ("12h", "30m").
func ParseExpiry(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(v, "d"); ok {
		var days time.Duration
		days, err = time.ParseDuration(n + "h")
		d = days * 24
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d <= 0 {
		return 0, core.Errorf(core.EInvalid, "invalid expiry %q: use a positive number of days (90d) or a duration (12h)", v)
	}
	return d, nil
}

// requestAuth is what the auth check learned about a request; handlers
// mark it audited when they do something admin-only (reading secrets).
type requestAuth struct {
	key     *core.APIKey
	audited bool
}

type requestAuthKey struct{}

// allowSecrets refuses block secrets to keys below Config.SecretsScope
// (write by default); reads by a key that needs admin for them are
// audited. With auth off everyone may read them, as in Prefect.
func (s *Server) allowSecrets(r *http.Request, secrets bool) error {
	if !secrets || s.auth == nil {
		return nil
	}
	ra, _ := r.Context().Value(requestAuthKey{}).(*requestAuth)
	if ra == nil {
		return core.Errorf(core.EUnauthorized, "Not authenticated.")
	}
	if s.secrets == core.ScopeAdmin {
		ra.audited = true
	}
	if !ra.key.Scope.Includes(s.secrets) {
		return core.Errorf(core.EForbidden, "Reading block secrets (include_secrets=true) needs a %s API key; this key's scope is %s.", s.secrets, ra.key.Scope)
	}
	return nil
}

// statusWriter records the status of an audited response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveAuthenticated authenticates r, checks its scope, serves it with next
// and writes the audit record of an admin action; a missing or bad key is
// a 401, a scope too low a 403, and next is not called.
func (s *Server) serveAuthenticated(w http.ResponseWriter, r *http.Request, next http.Handler) {
	k, err := s.auth.Authenticate(r.Context(), auth.BearerToken(r.Header.Get("Authorization")))
	if err != nil {
		if core.ErrorCode(err) == core.EUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		s.writeError(w, r, err)
		return
	}
	need := auth.RequiredScope(r.Method, r.URL.Path)
	ra := &requestAuth{key: k, audited: need == core.ScopeAdmin && r.URL.Path != auditPath}
	r = r.WithContext(context.WithValue(auth.WithKey(r.Context(), k), requestAuthKey{}, ra))
	sw := &statusWriter{ResponseWriter: w}
	if !k.Scope.Includes(need) {
		s.writeError(sw, r, core.Errorf(core.EForbidden, "This API key's scope (%s) does not allow %s %s; it needs %s.", k.Scope, r.Method, r.URL.Path, need))
	} else {
		next.ServeHTTP(sw, r)
	}
	if ra.audited {
		s.audit(r, k, sw.status)
	}
}

// audit writes the record of one admin action. A failed write is logged:
// the action already happened.
func (s *Server) audit(r *http.Request, k *core.APIKey, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	rec := &core.AuditRecord{ID: uuid.Must(uuid.NewV7()), Timestamp: core.T(s.now()), KeyID: k.ID, KeyName: k.Name,
		Method: r.Method, Path: r.URL.Path, Status: status}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.store.CreateAuditRecord(ctx, rec); err != nil {
		s.logger.ErrorContext(r.Context(), "writing an audit record", "key_id", k.ID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
}
