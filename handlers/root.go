package handlers

import (
	"net/http"

	"github.com/orgraph/orgraph/hydra"
)

// rootPath is the server's root: not a resource, so it sends clients and
// browsers on to the entrypoint, where a browser gets the explorer.
const rootPath = "/"

// root redirects to the entrypoint with 302 Found, not a permanent 301 or
// 308: the root is no API resource and may serve something else one day,
// and a permanent redirect would be cached by browsers for good. The
// Location is path-absolute, like every IRI the API writes.
func (s *Server) root(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, hydra.EntrypointPath, http.StatusFound)
	return nil
}
