package main

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/geo311/geo311/data"
)

// webFiles is the web page: plain HTML, CSS and JavaScript modules with no
// build step, and the vendored MapLibre GL JS (web/vendor/UPDATE.md). The
// browser tests under web/test are not embedded.
//
//go:embed web/index.html web/app.css web/js web/vendor
var webFiles embed.FS

// webCSP is the page's Content-Security-Policy: everything from the same
// origin; MapLibre starts its module worker from the same origin and may
// use blob: workers and images; no inline script, no framing.
const webCSP = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; " +
	"img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// webSettings is what the page reads from /web/config.json.
type webSettings struct {
	Jurisdiction string     `json:"jurisdiction"`
	Name         string     `json:"name"`
	Center       [2]float64 `json:"center"`
	// IntakeKey is the public key of the web page as an Open311 intake
	// client (role intake). It is public by nature: the page is a
	// first-party client and every visitor can read it. Empty: the page
	// cannot file requests and says so (IntakeMessage).
	IntakeKey     string `json:"intake_key,omitempty"`
	IntakeMessage string `json:"intake_message,omitempty"`
}

// webAsset is one embedded file with its precomputed headers.
type webAsset struct {
	body        []byte
	contentType string
	etag        string
}

// webHandler serves the page: GET / is index.html, /web/... the assets and
// /web/config.json the settings. Every answer carries the security
// headers; assets are revalidated with strong ETags (content hashes).
type webHandler struct {
	assets map[string]webAsset // by path under web/, e.g. "js/app.js"
}

// newWebHandler reads the embedded files (fsys rooted at the web folder)
// and the page settings.
func newWebHandler(fsys fs.FS, settings webSettings) (*webHandler, error) {
	h := &webHandler{assets: map[string]webAsset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.add(p, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read embedded files: %w", err)
	}
	if _, ok := h.assets["index.html"]; !ok {
		return nil, fmt.Errorf("web: index.html is missing")
	}
	if settings.IntakeKey == "" && settings.IntakeMessage == "" {
		settings.IntakeMessage = "Filing requests from this page is not enabled on this server: it has no web intake key. " +
			"Call 311, or ask the operator to configure one."
	}
	cfg, err := json.Marshal(settings)
	if err != nil {
		return nil, fmt.Errorf("web: settings: %w", err)
	}
	h.add("config.json", cfg)
	return h, nil
}

func (h *webHandler) add(p string, b []byte) {
	ct := mime.TypeByExtension(path.Ext(p))
	switch path.Ext(p) {
	case ".mjs", ".js":
		ct = "text/javascript; charset=utf-8"
	case ".md", ".txt":
		ct = "text/plain; charset=utf-8"
	case ".json":
		ct = "application/json"
	case ".html":
		ct = "text/html; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(b)
	h.assets[p] = webAsset{body: b, contentType: ct, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// webSettingsFor describes the jurisdiction for the page. The intake key
// comes from the configuration when it has one (see webSettings).
func (s *server) webSettingsFor() webSettings {
	return webSettings{Jurisdiction: s.j.ID, Name: s.j.Name, Center: s.j.Center, IntakeKey: s.webIntakeKey}
}

// handleWeb serves the embedded page.
func (s *server) handleWeb() http.Handler {
	sub, err := fs.Sub(webFiles, "web")
	if err == nil {
		var h *webHandler
		if h, err = newWebHandler(sub, s.webSettingsFor()); err == nil {
			return h
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, fmt.Errorf("web: %w", err))
	})
}

func (h *webHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", webCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		p = "index.html"
	case strings.HasPrefix(p, "/web/"):
		p = strings.TrimPrefix(p, "/web/")
	default:
		p = ""
	}
	a, ok := h.assets[p]
	if !ok || strings.HasPrefix(p, "test/") {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
			"code": "not_found", "message": data.Errorf(data.ErrNotFound, "no such file: %s", r.URL.Path).Error()}})
		return
	}
	// Revalidate every time: the ETag is the content hash, so a new binary
	// with a changed file is picked up at once and an unchanged one costs a
	// 304. config.json carries the intake key: never stored by shared caches.
	if p == "config.json" {
		hd.Set("Cache-Control", "private, no-cache")
	} else {
		hd.Set("Cache-Control", "public, no-cache")
	}
	hd.Set("ETag", a.etag)
	if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("Content-Length", fmt.Sprint(len(a.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(a.body)
	}
}
