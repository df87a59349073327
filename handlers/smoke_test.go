package handlers_test

import (
	"net/http"
	"testing"
)

func TestCreateAndReadBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		r := e.do(req{Path: org["@id"].(string), Key: key})
		if r.Status != http.StatusOK || r.obj()["name"] != "Acme" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
}
