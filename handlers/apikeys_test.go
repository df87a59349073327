package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPIKeys: a user lists, makes, revokes and rotates their own API keys
// (issue 19 item 1); the secret is in the answer that makes a key and
// nowhere else; no key makes a key with more power than itself; a revoked,
// rotated-out or expired key is refused within the key cache's delay.
func TestAPIKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		post := func(key, path, body string, header map[string]string) *response {
			t.Helper()
			return e.do(req{Method: http.MethodPost, Path: path, Key: key, Body: body, Header: header})
		}
		works := func(key string) int {
			return e.do(req{Path: "/api/organizations", Key: key}).Status
		}
		// refusedWithin polls until the key is refused: the key cache's
		// stated delay is 2 s.
		refusedWithin := func(what, key string) {
			t.Helper()
			deadline := time.Now().Add(3 * time.Second)
			for works(key) != http.StatusUnauthorized {
				if time.Now().After(deadline) {
					t.Fatalf("%s: the key still works after 3 s", what)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}

		// Make a read key: 201, Location, the secret once.
		r := post(ada, "/api/api_keys", `{"name": "reporting", "scope": "read"}`, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST /api/api_keys: %d %s", r.Status, r.Body)
		}
		made := r.obj()
		secret, _ := made["secret"].(string)
		id, _ := made["@id"].(string)
		if !strings.HasPrefix(secret, "og_live_") || len(secret) != len("og_live_")+48 || made["prefix"] != secret[:len("og_live_")+6] {
			t.Fatalf("made key: secret %q, prefix %v", secret, made["prefix"])
		}
		if r.Header.Get("Location") != id || made["scope"] != "read" || made["mode"] != "live" || made["name"] != "reporting" {
			t.Errorf("made key: Location %q, document %v", r.Header.Get("Location"), made)
		}
		if works(secret) != http.StatusOK {
			t.Fatal("the new read key does not read")
		}
		// The secret is never shown again, and never stored.
		for _, path := range []string{id, "/api/api_keys"} {
			if r := e.do(req{Path: path, Key: ada}); r.Status != http.StatusOK || strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), `"secret"`) {
				t.Errorf("GET %s: %d, shows the secret: %s", path, r.Status, r.Body)
			}
		}
		// Its document offers the reader the actions they may take: revoke
		// and rotate to a write key, nothing to a read-only one.
		if r := e.do(req{Path: id, Key: ada}); !strings.Contains(string(r.Body), `"title":"revokeApiKey"`) || !strings.Contains(string(r.Body), `"title":"rotateApiKey"`) || !strings.Contains(string(r.Body), `"target":"`+id+`/rotate"`) {
			t.Errorf("ada's key document offers her no revoke and rotate: %s", r.Body)
		}
		if r := e.do(req{Path: id, Key: secret}); strings.Contains(string(r.Body), `"operation"`) {
			t.Errorf("a read-only key is offered operations: %s", r.Body)
		}
		var stored int
		if err := e.db.SQL.QueryRow(`SELECT COUNT(*) FROM api_keys WHERE hash = $1 OR display_prefix = $1`, secret).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("the secret is stored as is (%d rows, %v)", stored, err)
		}
		if r := e.do(req{Path: "/api/api_keys", Key: ada}); r.obj()["totalItems"] != 2.0 {
			t.Errorf("ada lists %v keys, want 2 (hers): %s", r.obj()["totalItems"], r.Body)
		}

		// A read key makes no key; a write key no key that outlives it.
		if r := post(secret, "/api/api_keys", `{"scope": "read"}`, nil); r.Status != http.StatusForbidden {
			t.Errorf("a read key made a key: %d %s", r.Status, r.Body)
		}
		soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		r = post(ada, "/api/api_keys", `{"name": "short", "expires_at": "`+soon+`"}`, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("make a key expiring in an hour: %d %s", r.Status, r.Body)
		}
		short, _ := r.obj()["secret"].(string)
		later := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		for body, code := range map[string]string{
			`{"expires_at": "` + later + `"}`:                      "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e06", // KeyPower
			`{}`:                                                   "",                                     // inherits the hour: allowed
			`{"expires_at": "2020-01-01T00:00:00Z"}`:               "04b91c99-a946-4221-afc5-e65ebac401eb",
			`{"expires_at": "tomorrow"}`:                           "1a9da513-2640-4f84-9b6a-4d99dcddc628",
			`{"scope": "admin"}`:                                   "8e179f1b-97aa-4560-a02f-2a8b42e49df7",
			`{"name": "` + strings.Repeat("n", 201) + `"}`:         "d94b19cc-114f-4f44-9cc4-4138e80a87b9",
			`{"name": "x", "expires_at": "2020-01-01T00:00:00Z"}`:  "04b91c99-a946-4221-afc5-e65ebac401eb",
			`{"name": "x", "expires_at": "` + later + `", "a": 1}`: "extra",
		} {
			r := post(short, "/api/api_keys", body, nil)
			switch {
			case code == "" && r.Status != http.StatusCreated:
				t.Errorf("POST %s: %d %s", body, r.Status, r.Body)
			case code == "":
				if r.obj()["expires_at"] == nil {
					t.Errorf("POST %s by a key that expires: the new key never expires: %s", body, r.Body)
				}
			case code == "extra" && r.Status != http.StatusBadRequest:
				t.Errorf("POST %s: %d, want 400", body, r.Status)
			case code != "extra" && (r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), code)):
				t.Errorf("POST %s: %d %s, want 422 with code %s", body, r.Status, r.Body, code)
			}
		}

		// No Idempotency-Key: the answer cannot be replayed.
		for _, path := range []string{"/api/api_keys", id + "/rotate"} {
			if r := post(ada, path, `{}`, map[string]string{"Idempotency-Key": "k-" + path}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Idempotency-Key") {
				t.Errorf("POST %s with an Idempotency-Key: %d %s", path, r.Status, r.Body)
			}
		}

		// Another user's key is not there.
		bob := e.key("bob@example.com", "live", "write")
		for _, rq := range []req{{Path: id}, {Method: http.MethodPost, Path: id + "/revoke"}, {Method: http.MethodPost, Path: id + "/rotate"}} {
			rq.Key = bob
			if r := e.do(rq); r.Status != http.StatusNotFound {
				t.Errorf("bob %s %s: %d, want 404", rq.Method, rq.Path, r.Status)
			}
		}
		// Nor is a key of the other mode.
		adaTest := e.key("ada@example.com", "test", "write")
		if r := e.do(req{Path: id, Key: adaTest}); r.Status != http.StatusNotFound {
			t.Errorf("ada's test key reads her live key: %d", r.Status)
		}

		// Rotate: a new key, the old one for the grace period.
		r = post(ada, id+"/rotate", `{"grace_period": 3600}`, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("rotate: %d %s", r.Status, r.Body)
		}
		rotated, _ := r.obj()["secret"].(string)
		if rotated == "" || rotated == secret || r.obj()["scope"] != "read" || r.obj()["name"] != "reporting" || r.Header.Get("Location") == id {
			t.Errorf("rotate made %s", r.Body)
		}
		old := e.do(req{Path: id, Key: ada}).obj()
		if exp, err := time.Parse(time.RFC3339, fmt.Sprint(old["expires_at"])); err != nil || exp.Sub(time.Now()) > time.Hour || exp.Sub(time.Now()) < 59*time.Minute {
			t.Errorf("after a rotation with an hour's grace, the old key expires at %v", old["expires_at"])
		}
		if works(secret) != http.StatusOK || works(rotated) != http.StatusOK {
			t.Error("both keys must work during the grace period")
		}
		for body, status := range map[string]int{`{"grace_period": 604801}`: 422, `{"grace_period": -1}`: 422, `{"grace_period": "1h"}`: 400} {
			if r := post(ada, id+"/rotate", body, nil); r.Status != status {
				t.Errorf("rotate %s: %d, want %d: %s", body, r.Status, status, r.Body)
			}
		}
		// A grace period of 0 ends the old key now.
		if r := post(ada, id+"/rotate", `{"grace_period": 0}`, nil); r.Status != http.StatusCreated {
			t.Fatalf("rotate with no grace: %d %s", r.Status, r.Body)
		}
		refusedWithin("rotated with no grace", secret)

		// Revoke: the key stays listed, with revoked_at, and stops working.
		r = post(ada, "/api/api_keys", `{"name": "revoked soon"}`, nil)
		doomed, _ := r.obj()["secret"].(string)
		doomedID, _ := r.obj()["@id"].(string)
		if works(doomed) != http.StatusOK {
			t.Fatal("a new key does not work")
		}
		r = post(ada, doomedID+"/revoke", "", nil)
		if r.Status != http.StatusOK || r.obj()["revoked_at"] == nil {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		refusedWithin("revoked", doomed)
		if r := e.do(req{Path: doomedID, Key: ada}); strings.Contains(string(r.Body), `"operation"`) {
			t.Errorf("a revoked key's document offers actions: %s", r.Body)
		}
		if r := post(ada, doomedID+"/rotate", "", nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e07") {
			t.Errorf("rotate a revoked key: %d %s", r.Status, r.Body)
		}

		// An expired key is refused at once, even while kept in the cache.
		in2s := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
		brief, _ := post(ada, "/api/api_keys", `{"expires_at": "`+in2s+`"}`, nil).obj()["secret"].(string)
		if works(brief) != http.StatusOK {
			t.Fatal("a key expiring in 2 s does not work now")
		}
		exp, _ := time.Parse(time.RFC3339, in2s)
		time.Sleep(time.Until(exp) + 10*time.Millisecond)
		if s := works(brief); s != http.StatusUnauthorized {
			t.Errorf("an expired key: %d, want 401", s)
		}

		// Last use, to the minute.
		got := e.do(req{Path: "/api/api_keys?itemsPerPage=100", Key: ada}).obj()
		used := 0
		for _, m := range got["member"].([]any) {
			if at, ok := m.(map[string]any)["last_used_at"].(string); ok {
				ts, err := time.Parse(time.RFC3339, at)
				if err != nil || ts.Second() != 0 || time.Since(ts) > 2*time.Minute {
					t.Errorf("last_used_at %q is not a recent minute", at)
				}
				used++
			}
		}
		if used == 0 {
			t.Errorf("no key has a last_used_at: %v", got)
		}
	})
}
