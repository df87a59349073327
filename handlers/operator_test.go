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
		opsTest := e.key("ops@platform.test", "test", "operator")
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
		// The operator manages grace's keys: lists them by user, revokes.
		r = e.do(req{Path: "/api/api_keys?user=" + grace, Key: ops})
		if r.Status != http.StatusOK || r.obj()["totalItems"] != 1.0 {
			t.Fatalf("the operator lists grace's keys: %d %s", r.Status, r.Body)
		}
		graceKeyID := r.obj()["member"].([]any)[0].(map[string]any)["@id"].(string)
		if r := e.do(req{Path: "/api/api_keys?user=" + grace, Key: dev}); r.obj()["totalItems"] != 0.0 {
			t.Errorf("a write key lists grace's keys: %s", r.Body)
		}
		if r := e.do(req{Method: http.MethodPost, Path: graceKeyID + "/revoke", Key: dev}); r.Status != http.StatusNotFound {
			t.Errorf("a write key revokes grace's key: %d", r.Status)
		}
		if r := e.do(req{Method: http.MethodPost, Path: graceKeyID + "/revoke", Key: ops}); r.Status != http.StatusOK || r.obj()["revoked_at"] == nil {
			t.Errorf("the operator revokes grace's key: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: graceKeyID, Key: opsTest}); r.Status != http.StatusNotFound {
			t.Errorf("the test operator reads grace's live key: %d", r.Status)
		}
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

// TestOperatorManagesEveryOrganizationOfItsMode: an operator reads and
// manages every organization of its mode as its owners do, without being a
// member, and never one of the other mode (issue 19 item 2).
func TestOperatorManagesEveryOrganizationOfItsMode(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		bobTest := e.key("bob@example.com", "test", "write")
		ops := e.key("ops@platform.test", "live", "operator")
		opsTest := e.key("ops@platform.test", "test", "operator")
		dev := e.key("dev@example.com", "live", "write")
		acme := e.createOrg(ada, `{"name": "Acme"}`)
		acmeID, _ := acme["@id"].(string)
		testOrg := e.createOrg(bobTest, `{"name": "Test Org"}`)
		testID, _ := testOrg["@id"].(string)

		ids := func(key string) map[string]bool {
			t.Helper()
			r := e.do(req{Path: "/api/organizations?itemsPerPage=100", Key: key})
			out := map[string]bool{}
			for _, m := range r.obj()["member"].([]any) {
				out[m.(map[string]any)["@id"].(string)] = true
			}
			return out
		}
		if got := ids(ops); !got[acmeID] || got[testID] {
			t.Errorf("the live operator lists %v: want Acme, not the test organization", got)
		}
		if got := ids(opsTest); got[acmeID] || !got[testID] {
			t.Errorf("the test operator lists %v: want the test organization, not Acme", got)
		}
		if got := ids(dev); got[acmeID] {
			t.Error("a write key lists an organization it does not belong to")
		}

		r := e.do(req{Path: acmeID, Key: ops})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"method":"DELETE"`) {
			t.Errorf("the operator reads Acme with an owner's operations: %d %s", r.Status, r.Body)
		}
		for _, rq := range []req{{Path: testID}, {Method: http.MethodPatch, Path: testID, Body: `{"name": "x"}`}, {Method: http.MethodDelete, Path: testID}} {
			rq.Key = ops
			if r := e.do(rq); r.Status != http.StatusNotFound {
				t.Errorf("the live operator %s %s (test mode): %d, want 404", rq.Method, rq.Path, r.Status)
			}
		}

		// Manages it as an owner: rename, a workspace, an invitation
		// that its invitee can accept, the members.
		if r := e.do(req{Method: http.MethodPatch, Path: acmeID, Key: ops, Body: `{"name": "Acme Inc."}`}); r.Status != http.StatusOK {
			t.Errorf("the operator renames Acme: %d %s", r.Status, r.Body)
		}
		ws := e.do(req{Method: http.MethodPost, Path: "/api/workspaces", Key: ops, Body: `{"organization": "` + acmeID + `", "name": "Ops"}`})
		if ws.Status != http.StatusCreated {
			t.Errorf("the operator makes a workspace in Acme: %d %s", ws.Status, ws.Body)
		} else if r := e.do(req{Path: ws.obj()["@id"].(string), Key: ops}); !strings.Contains(string(r.Body), `"method":"DELETE"`) {
			t.Errorf("the operator is offered no DELETE of Acme's workspace: %s", r.Body)
		}
		inv := e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: ops, Body: `{"organization": "` + acmeID + `", "email": "carol@example.com", "role": "admin"}`})
		if inv.Status != http.StatusCreated {
			t.Fatalf("the operator invites carol to Acme: %d %s", inv.Status, inv.Body)
		}
		carol := e.key("carol@example.com", "live", "write")
		if r := e.do(req{Method: http.MethodPost, Path: inv.obj()["@id"].(string) + "/accept", Key: carol}); r.Status != http.StatusCreated {
			t.Errorf("carol accepts the operator's invitation: %d %s", r.Status, r.Body)
		}
		r = e.do(req{Path: "/api/members?organization=" + acmeID, Key: ops})
		if r.Status != http.StatusOK || r.obj()["totalItems"] != 2.0 {
			t.Errorf("the operator lists Acme's members (ada, carol; not itself): %d %s", r.Status, r.Body)
		}
		// The operator is no member: the last owner stays.
		adaMember := acme["owners"].([]any)[0].(map[string]any)["@id"].(string)
		if r := e.do(req{Method: http.MethodPatch, Path: adaMember, Key: ops, Body: `{"role": "viewer"}`}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("the operator demotes Acme's last owner: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Method: http.MethodDelete, Path: acmeID, Key: ops}); r.Status != http.StatusNoContent {
			t.Errorf("the operator deletes Acme: %d %s", r.Status, r.Body)
		}
	})
}
