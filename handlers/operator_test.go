package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestOperatorKeys: an operator key (the platform's backend key) makes and
// lists users and makes keys for them, in its own mode; no other key does
// (issue 19 item 2, users and keys).
func TestOperatorKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ops := e.key("ops@platform.test", "live", "operator")
		dev := e.key("dev@example.com", "live", "write")
		post := func(key, path, body string) *response {
			t.Helper()
			return e.do(req{Method: http.MethodPost, Path: path, Key: key, Body: body})
		}

		r := post(ops, "/api/users", `{"email": " Grace@Example.COM ", "name": "Grace Hopper"}`)
		if r.Status != http.StatusCreated || r.obj()["email"] != "grace@example.com" || r.Header.Get("Location") == "" {
			t.Fatalf("an operator makes a user: %d %s", r.Status, r.Body)
		}
		grace, _ := r.obj()["@id"].(string)
		if r := post(ops, "/api/users", `{"email": "grace@example.com"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "23bd9dbf-6b9b-41cd-a99e-4844bcf3077f") {
			t.Errorf("a second user with the same email: %d %s", r.Status, r.Body)
		}
		if r := post(ops, "/api/users", `{"name": "nobody"}`); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("a user without an email: %d %s", r.Status, r.Body)
		}
		r = e.do(req{Path: "/api/users?email=GRACE@example.com", Key: ops})
		if r.Status != http.StatusOK || r.obj()["totalItems"] != 1.0 {
			t.Errorf("an operator finds grace by email: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: grace, Key: ops}); r.Status != http.StatusOK {
			t.Errorf("an operator reads a user: %d", r.Status)
		}

		// Anyone else: lists themself alone, makes no user, reads nobody
		// else's.
		if r := e.do(req{Path: "/api/users", Key: dev}); r.Status != http.StatusOK || r.obj()["totalItems"] != 1.0 || !strings.Contains(string(r.Body), "dev@example.com") {
			t.Errorf("a write key lists users: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Method: http.MethodPost, Path: "/api/users", Key: dev, Body: `{"email": "x@example.com"}`}); r.Status != http.StatusForbidden {
			t.Errorf("a write key makes a user: %d, want 403", r.Status)
		}
		if r := e.do(req{Path: grace, Key: dev}); r.Status != http.StatusNotFound {
			t.Errorf("a write key reads another user: %d, want 404", r.Status)
		}

		// Keys for a user: in the operator's mode, and the user's
		// personal organization comes with the first.
		r = post(ops, "/api/api_keys", `{"user": "`+grace+`", "name": "grace's", "scope": "write"}`)
		if r.Status != http.StatusCreated || r.obj()["user"] != grace || r.obj()["mode"] != "live" {
			t.Fatalf("an operator makes grace a key: %d %s", r.Status, r.Body)
		}
		graceKey, _ := r.obj()["secret"].(string)
		if r := e.do(req{Path: "/api/organizations", Key: graceKey}); r.Status != http.StatusOK || r.obj()["totalItems"] != 1.0 {
			t.Errorf("grace's first key brings her personal organization: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: "/api/api_keys", Key: graceKey}); r.obj()["totalItems"] != 1.0 {
			t.Errorf("grace lists her keys: %s", r.Body)
		}
		opsTest := e.key("ops@platform.test", "test", "operator")
		if r := post(opsTest, "/api/api_keys", `{"user": "`+grace+`"}`); r.Status != http.StatusCreated || r.obj()["mode"] != "test" || !strings.HasPrefix(r.obj()["secret"].(string), "og_test_") {
			t.Errorf("a test operator makes grace a test key: %d %s", r.Status, r.Body)
		}
		if r := post(ops, "/api/api_keys", `{"user": "/api/users/00000000-0000-7000-8000-000000000000"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e08") {
			t.Errorf("a key for no user: %d %s", r.Status, r.Body)
		}
		if r := post(dev, "/api/api_keys", `{"user": "`+grace+`"}`); r.Status != http.StatusForbidden {
			t.Errorf("a write key makes grace a key: %d %s", r.Status, r.Body)
		}
		if r := post(dev, "/api/api_keys", `{"scope": "operator"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e06") {
			t.Errorf("a write key makes an operator key: %d %s", r.Status, r.Body)
		}
		if r := post(ops, "/api/api_keys", `{"scope": "operator", "name": "second backend"}`); r.Status != http.StatusCreated {
			t.Errorf("an operator makes an operator key: %d %s", r.Status, r.Body)
		}
	})
}
