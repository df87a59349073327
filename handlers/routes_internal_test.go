package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/explorer"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/store"
	"github.com/orgraph/orgraph/swaggerui"
)

// browserUIs are the routes that serve pages and their files to a browser,
// and the root, which redirects to the entrypoint: not API operations, so
// the OpenAPI document leaves them out.
var browserUIs = []string{explorer.AssetsPath, swaggerui.Path, swaggerui.Path + "/", rootPath}

// Every route of the router is in the served OpenAPI document with the
// methods it answers, and every operation the document lists is a route
// that answers its method. The methods come from the server itself (the
// Allow header of an OPTIONS request), not from a list kept here.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	param := regexp.MustCompile(`\{[^}]+\}`)
	served := map[string]bool{} // "GET /api/organizations/{id}"
	err = s.routes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || slices.Contains(browserUIs, path) {
			return nil
		}
		// Any value does for a parameter: OPTIONS is answered by the route
		// before its handler reads the parameter.
		req, err := http.NewRequest(http.MethodOptions, srv.URL+param.ReplaceAllString(path, "0"), nil)
		if err != nil {
			return err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = res.Body.Close()
		allow := res.Header.Get("Allow")
		if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusOK || allow == "" {
			t.Errorf("OPTIONS %s: %d, Allow %q", path, res.StatusCode, allow)
		}
		for _, m := range strings.Split(allow, ", ") {
			if m != http.MethodOptions && m != http.MethodHead {
				served[m+" "+path] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(served) < 30 {
		t.Fatalf("only %d operations found in the router: the walk is broken", len(served))
	}

	res, err := http.Get(srv.URL + hydra.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("%s is served but not in the OpenAPI document", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is in the OpenAPI document but not served", op)
		}
	}
	t.Logf("%d operations served, %d documented", len(served), len(documented))
}
