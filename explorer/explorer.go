// Package explorer is the HTML explorer a browser gets on any API URL: one
// small page and its script, embedded in the binary (no external network),
// that asks once for an API key (kept in session storage), fetches the
// JSON-LD document of the URL it was opened on, renders it, and offers a
// form for each operation the Hydra documentation lists on its class.
// Everything it shows is read from the API: nothing here knows a resource.
package explorer

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// AssetsPath prefixes the explorer's script and style sheet.
const AssetsPath = "/_explorer/"

// SecurityPolicy allows the page its own script, style and API calls only.
const SecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

var page = mustRead("assets/index.html")

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// ServePage writes the explorer's page, whatever the URL: the script reads
// the URL and fetches its document.
func ServePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", SecurityPolicy)
	h.Set("Cache-Control", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

// Assets serves the script and style sheet under AssetsPath.
func Assets() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(strings.TrimSuffix(AssetsPath, "/"), http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", SecurityPolicy)
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}
