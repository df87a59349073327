package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/explorer"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/swaggerui"
)

// Error pages: the type of every problem document (/errors/{status},
// /validation_errors/{codes}) and its @id (the same under /api) are URLs
// that describe the kind of problem, from the error catalogue: a page for a
// browser, JSON-LD (a Hydra Status) for anything else. They are public and
// cacheable, like the documentation.

// errorPagePaths are the four path prefixes of the error pages.
var errorPagePaths = []string{problems.ErrorsPath, problems.APIErrorsPath, problems.ValidationErrorsPath, problems.APIValidationErrorsPath}

// errorPagePath says whether a path is an error page's: a browser gets the
// page itself there, not the explorer.
func errorPagePath(path string) bool {
	for _, prefix := range errorPagePaths {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// ErrorPageSecurityPolicy lets the page load the explorer's style sheet and
// nothing else: it has no script.
const ErrorPageSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// errorKind is an error page's content.
type errorKind struct {
	Status      int
	Title       string
	Description string
	Type        string // the problem type the page describes
	Constraints []problems.Constraint
}

// errorPage answers GET /errors/{status} and /api/errors/{status}.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request) error {
	raw := mux.Vars(r)["status"]
	status, err := strconv.Atoi(raw)
	kind, ok := problems.KindOf(status)
	if err != nil || !ok || strconv.Itoa(status) != raw {
		return problems.Newf(http.StatusNotFound, "No problem type %q: the error catalogue has no status %q.", problems.ErrorsPath+raw, raw)
	}
	return s.writeErrorKind(w, r, errorKind{Status: kind.Status, Title: kind.Title, Description: kind.Description, Type: kind.Type()})
}

// validationErrorPage answers GET /validation_errors/{id} and
// /api/validation_errors/{id}: id is one constraint code or API Platform's
// list ("0=a;1=b"); the page describes each code once.
func (s *Server) validationErrorPage(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	codes, ok := problems.ParseViolationID(id)
	if !ok {
		return problems.Newf(http.StatusNotFound, "No problem type %q: the id must be one constraint code or a list of them (0=<code>;1=<code>…).", problems.ValidationErrorsPath+id)
	}
	page := errorKind{Status: http.StatusUnprocessableEntity, Title: problems.ValidationTitle,
		Description: problems.ValidationDescription, Type: problems.ValidationErrorsPath + id}
	seen := map[string]bool{}
	for _, code := range codes {
		c, known := problems.ConstraintOf(code)
		if !known {
			return problems.Newf(http.StatusNotFound, "No problem type %q: the error catalogue has no constraint code %q.", problems.ValidationErrorsPath+id, code)
		}
		if !seen[code] {
			seen[code] = true
			page.Constraints = append(page.Constraints, c)
		}
	}
	return s.writeErrorKind(w, r, page)
}

// writeErrorKind writes an error page in the negotiated form: HTML for a
// browser (or a client that ranks text/html first), else a JSON-LD
// document, or any format a resource is served in.
func (s *Server) writeErrorKind(w http.ResponseWriter, r *http.Request, k errorKind) error {
	if _, suffix := r.Context().Value(formatKey).(hydra.Format); !suffix && hydra.PrefersHTML(r.Header.Get("Accept")) {
		var b bytes.Buffer
		page := errorPage{errorKind: k, Style: explorer.AssetsPath + "explorer.css", API: hydra.EntrypointPath, Reference: swaggerui.Path}
		if err := errorPageHTML.Execute(&b, page); err != nil {
			return fmt.Errorf("render the error page %s: %w", k.Type, err)
		}
		h := w.Header()
		h.Set("Cache-Control", s.errorPageCacheControl())
		h.Set("Content-Security-Policy", ErrorPageSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		if notModified(w, r, b.Bytes()) {
			return nil
		}
		writeBody(w, r, http.StatusOK, "text/html; charset=utf-8", b.Bytes())
		return nil
	}
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", s.errorPageCacheControl())
	doc := hydra.ProblemTypeDocument(k.Status, k.Title, k.Description, k.Constraints, r.URL.Path, s.base(r), f == hydra.JSON)
	return s.writeJSON(w, r, http.StatusOK, f, doc)
}

// errorPageCacheControl: the pages change with a deployment only, as the
// documentation does, and are kept as long.
func (s *Server) errorPageCacheControl() string { return s.docsCacheControl() }

// errorPage is what the HTML page shows: the kind, and the paths it links.
type errorPage struct {
	errorKind
	Style, API, Reference string
}

var errorPageHTML = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}} {{.Title}} · Orgraph</title>
<link rel="stylesheet" href="{{.Style}}">
</head>
<body>
<header>
  <a class="brand" href="{{.API}}">Orgraph</a>
  <nav><a href="{{.API}}">API</a> <a href="{{.Reference}}">API reference</a></nav>
</header>
<main>
  <h1>{{.Status}} {{.Title}}</h1>
  <p>{{.Description}}</p>
{{- if .Constraints}}
  <h2>Constraints</h2>
  <table>
    <thead><tr><th>Code</th><th>Constraint</th><th>Meaning</th></tr></thead>
    <tbody>
{{- range .Constraints}}
      <tr><td><code>{{.Code}}</code></td><td>{{.Name}}</td><td>{{.Description}}</td></tr>
{{- end}}
    </tbody>
  </table>
{{- end}}
  <p class="muted">Problem documents of this kind carry <code>"status": {{.Status}}</code>, <code>"title": "{{.Title}}"</code>
    and <code>"type": "{{.Type}}"</code>; their <code>detail</code> says what went wrong with the request, and
    <code>request_id</code> names it in the server's logs.</p>
  <p><a href="{{.API}}">Back to the API</a></p>
</main>
</body>
</html>
`))
