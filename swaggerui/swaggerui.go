// Package swaggerui serves Swagger UI on the OpenAPI description, at Path.
// The Swagger UI distribution is the one github.com/swaggest/swgui embeds
// (v5, pre-compressed); only the page and its start script are ours, so
// that the page runs under a strict Content-Security-Policy: swgui's own
// page starts Swagger UI from an inline script, which such a policy blocks.
package swaggerui

import (
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/swaggest/swgui/v5/static"
	"github.com/vearutop/statigz"
)

// Path is the page; its assets are under Path + "/".
const Path = "/docs"

// SecurityPolicy allows the page its own script, style and API calls only:
// no inline script, no eval, nothing from another origin (Swagger UI's
// online validator badge is switched off in start.js). api is the API's
// public base URL, which "Try it out" calls (the OpenAPI servers entry): it
// may be another origin than the one the page was opened on.
func SecurityPolicy(api string) string {
	connect := "'self'"
	if origin := origin(api); origin != "" {
		connect += " " + origin
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src " + connect + "; img-src 'self' data:; " +
		"font-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

// origin is the scheme and host of an http(s) URL, when they hold nothing
// that could end a directive or start another (a policy is built from it);
// "" otherwise.
func origin(api string) string {
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_:[]", c)) {
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

//go:embed assets
var assets embed.FS

var (
	page  = mustRead("assets/index.html")
	start = mustRead("assets/start.js")
)

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Owns says whether a request path is the page or one of its assets.
func Owns(path string) bool { return path == Path || strings.HasPrefix(path, Path+"/") }

// Handler serves the page on Path and Path + "/", the start script, and the
// Swagger UI distribution (gzip to clients that take it); notFound answers
// any other path under Path, api gives the API's base URL for a request.
// The caller answers other methods than GET and HEAD.
func Handler(notFound http.Handler, api func(*http.Request) string) http.Handler {
	files := http.StripPrefix(Path, statigz.FileServer(static.FS, statigz.OnNotFound(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Del("Cache-Control")
		r.URL.Path = Path + r.URL.Path // as asked, for the problem's instance
		notFound.ServeHTTP(w, r)
	})))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", SecurityPolicy(api(r)))
		h.Set("Referrer-Policy", "no-referrer")
		switch r.URL.Path {
		case Path, Path + "/":
			write(w, r, "text/html; charset=utf-8", "no-cache", page)
		case Path + "/start.js":
			write(w, r, "text/javascript; charset=utf-8", "no-cache", start)
		default:
			// The distribution changes only with a release.
			h.Set("Cache-Control", "public, max-age=86400")
			files.ServeHTTP(w, r)
		}
	})
}

func write(w http.ResponseWriter, r *http.Request, contentType, cache string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
