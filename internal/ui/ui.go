// Package ui serves Orrery's web UI, built from web/ and embedded in the
// binary, for both shells (the local server and the Lambda function).
//
// Files under /assets/ carry a content hash in their names, so they are
// cached for a year and served gzip-compressed when the client accepts it
// (compressed once, on first use, then kept). Every other GET outside /api
// answers index.html (the client-side router shows the page), with a
// <base href> that points back at the app's root relative to the request
// path — "../../" at /flow-runs/flow-run/<id> — so assets and API calls
// resolve at /, behind a proxy and under a sub-path alike. Unknown
// /assets/ names are a 404 rather than index.html: a stale page asking for
// an old bundle must fail loudly, not parse HTML as JavaScript.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/orrery-dev/orrery/web"
)

// Handler serves the embedded UI.
func Handler() http.Handler {
	h, err := New(web.Dist, "dist")
	if err != nil {
		// The build embeds dist/ or fails to compile; a malformed one is a
		// programming error caught by this package's tests.
		panic(err)
	}
	return h
}

// file is one servable file, with its gzip form made on first use.
type file struct {
	name  string
	data  []byte
	ctype string
	etag  string

	gzOnce sync.Once
	gz     []byte // nil: not worth compressing
}

// UI is the handler; New builds it from any file system (tests use fstest).
type UI struct {
	index []byte
	files map[string]*file // by path without the leading slash
}

// New reads the UI from dir within fsys; dir must hold index.html.
func New(fsys fs.FS, dir string) (*UI, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	u := &UI{files: map[string]*file{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(data)
		}
		u.files[p] = &file{name: p, data: data, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx, ok := u.files["index.html"]
	if !ok {
		return nil, fs.ErrNotExist
	}
	u.index = idx.data
	return u, nil
}

// ServeHTTP answers GET and HEAD; the API server routes /api elsewhere.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	setSecurityHeaders(w.Header())
	switch {
	case p == "api" || strings.HasPrefix(p, "api/"):
		http.NotFound(w, r)
	case strings.HasPrefix(p, "assets/"):
		f, ok := u.files[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		u.serveFile(w, r, f, "public, max-age=31536000, immutable")
	case p != "index.html" && u.files[p] != nil:
		// favicon.svg and other unhashed files from web/public.
		u.serveFile(w, r, u.files[p], "public, max-age=3600")
	default:
		u.serveIndex(w, r)
	}
}

// setSecurityHeaders keeps the page on its own origin: no request may leave
// it (the UI works air-gapped), and no other site may frame it.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// serveIndex answers index.html with a <base href> leading back to the
// app's root from the requested path.
func (u *UI) serveIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	body := withBase(u.index, BaseHref(r.URL.EscapedPath()))
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(body))
}

// BaseHref is the relative URL of the app's root seen from the request
// path p: "./" at "/" and "/flows", "../" at "/flows/", "../../" at
// "/flows/flow/<id>". Relative, it stays right whatever prefix a proxy
// strips before the request reaches the server.
func BaseHref(p string) string {
	n := strings.Count(p, "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

func withBase(index []byte, base string) []byte {
	tag := []byte(`<head>` + "\n    " + `<base href="` + base + `" />`)
	return bytes.Replace(index, []byte("<head>"), tag, 1)
}

func (u *UI) serveFile(w http.ResponseWriter, r *http.Request, f *file, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", cache)
	h.Add("Vary", "Accept-Encoding")
	data, etag := f.data, f.etag
	if acceptsGzip(r) {
		if gz := f.gzipped(); gz != nil {
			h.Set("Content-Encoding", "gzip")
			data, etag = gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(data))
}

// gzipped compresses text files once; nil when it does not pay.
func (f *file) gzipped() []byte {
	f.gzOnce.Do(func() {
		if !compressible(f.ctype) || len(f.data) < 512 {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(f.data)
		_ = zw.Close()
		if b.Len() < len(f.data) {
			f.gz = b.Bytes()
		}
	})
	return f.gz
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring q=0 refusals.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
