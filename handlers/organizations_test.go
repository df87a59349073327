package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// Integration tests of the Organization resource and the documents around
// it (Member, User), through real HTTP on both backends. Helpers are
// prefixed "ot" so that they cannot collide with other test files of the
// package.

const (
	otLD        = "application/ld+json; charset=utf-8"
	otJSON      = "application/json; charset=utf-8"
	otProblemT  = "application/problem+json; charset=utf-8"
	otItemAllow = "OPTIONS, HEAD, GET, PATCH, DELETE"
	otCollAllow = "OPTIONS, HEAD, GET, POST"
)

var (
	otUUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	otTimePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$`)
)

// otM is an expected membership.
type otM struct {
	UserID            uuid.UUID
	Email, Name, Role string
}

// otOrg is an expected organization; values the server mints (ids, dates)
// are checked for their format and taken from the answer.
type otOrg struct {
	Name             string
	Contact, Address map[string]any
	Phone            string
	Mode             string
	Role             string // current_user_role
	Members          []otM  // in joined order; owners are derived
}

// otUUID checks that v is a UUIDv7 string and returns it.
func otUUID(t *testing.T, what string, v any) string {
	t.Helper()
	s, _ := v.(string)
	if !otUUIDPattern.MatchString(s) {
		t.Errorf("%s: %#v is not a UUIDv7", what, v)
		return "?"
	}
	return s
}

// otTime checks that v is RFC 3339 with +00:00 and no fraction, and returns it.
func otTime(t *testing.T, what string, v any) string {
	t.Helper()
	s, _ := v.(string)
	if !otTimePattern.MatchString(s) {
		t.Errorf("%s: %#v is not RFC 3339 with +00:00", what, v)
		return "?"
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("%s: %q: %v", what, s, err)
	}
	return s
}

func otParseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %#v: %v", v, err)
	}
	return tm
}

func otObj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func otList(v any) []any         { l, _ := v.([]any); return l }

// otNormalize round-trips a Go value through JSON so that it compares with
// a decoded body (numbers become float64, maps map[string]any).
func otNormalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return out
}

func otPretty(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// otEqual compares whole documents.
func otEqual(t *testing.T, what string, got, want any) bool {
	t.Helper()
	g, w := withoutAffordances(otNormalize(t, got)), withoutAffordances(otNormalize(t, want))
	if !reflect.DeepEqual(g, w) {
		diffs := jsonDiff("", g, w)
		if len(diffs) > 12 {
			diffs = append(diffs[:12], fmt.Sprintf("… and %d more", len(diffs)-12))
		}
		t.Errorf("%s: differs from the expected document:\n  %s", what, strings.Join(diffs, "\n  "))
		return false
	}
	return true
}

// otCopy deep-copies a decoded document.
func otCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	return otObj(otNormalize(t, m))
}

// otWithout returns a copy of m without the given keys.
func otWithout(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	c := otCopy(t, m)
	for _, k := range keys {
		delete(c, k)
	}
	return c
}

// otNoAt removes every @ key, at every depth (the application/json form).
func otNoAt(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if !strings.HasPrefix(k, "@") {
				out[k] = otNoAt(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = otNoAt(x)
		}
		return out
	}
	return v
}

// otHasAt reports an @ key anywhere in v.
func otHasAt(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasPrefix(k, "@") || otHasAt(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if otHasAt(x) {
				return true
			}
		}
	}
	return false
}

func otUser(t *testing.T, e *env, email string) *ent.User {
	t.Helper()
	u, err := e.db.User.Query().Where(user.Email(email)).Only(context.Background())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func otMemberTo(t *testing.T, e *env, orgID string, userID uuid.UUID, role string) {
	t.Helper()
	err := e.db.Member.Create().SetOrganizationID(uuid.MustParse(orgID)).SetUserID(userID).SetRole(role).Exec(context.Background())
	if err != nil {
		t.Fatalf("add member: %v", err)
	}
}

// otInsertOrg stores an organization with its owner directly, so that its
// created_at can be chosen; it returns the id.
func otInsertOrg(t *testing.T, e *env, owner uuid.UUID, name, mode string, created time.Time) string {
	t.Helper()
	ctx := context.Background()
	o, err := e.db.Organization.Create().
		SetName(name).
		SetMode(organization.Mode(mode)).
		SetCreatedAt(created).
		SetUpdatedAt(created).
		SetStatusHistory([]schema.StatusChange{{Status: "ACTIVE", ChangedAt: created}}).
		Save(ctx)
	if err != nil {
		t.Fatalf("insert organization: %v", err)
	}
	if err := e.db.Member.Create().SetOrganizationID(o.ID).SetUserID(owner).SetRole(schema.RoleOwner).SetJoinedAt(created).Exec(ctx); err != nil {
		t.Fatalf("insert owner: %v", err)
	}
	return o.ID.String()
}

// otMemberDoc is the expected embedded Member document for m, with the id
// and joined_at taken (after checking their format) from got.
func otMemberDoc(t *testing.T, what string, got any, orgIRI string, m otM) map[string]any {
	t.Helper()
	g := otObj(got)
	id := otUUID(t, what+".id", g["id"])
	return map[string]any{
		"@id":          "/api/members/" + id,
		"@type":        "Member",
		"id":           id,
		"organization": orgIRI,
		"user":         "/api/users/" + m.UserID.String(),
		"email":        m.Email,
		"name":         m.Name,
		"role":         m.Role,
		"status":       "active",
		"joined_at":    otTime(t, what+".joined_at", g["joined_at"]),
	}
}

// otTyped is a nested object as the JSON-LD form writes it: with the
// @type of its class.
func otTyped(class string, m map[string]any) map[string]any {
	out := map[string]any{"@type": class}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// otWantOrg builds the whole expected Organization document.
func otWantOrg(t *testing.T, got map[string]any, s otOrg, withContext bool) map[string]any {
	t.Helper()
	id := otUUID(t, "organization id", got["id"])
	iri := "/api/organizations/" + id
	want := map[string]any{
		"@id":               iri,
		"@type":             "Organization",
		"id":                id,
		"name":              s.Name,
		"member_count":      len(s.Members),
		"current_user_role": s.Role,
		"mode":              s.Mode,
		"created_at":        otTime(t, "created_at", got["created_at"]),
		"updated_at":        otTime(t, "updated_at", got["updated_at"]),
	}
	if withContext { // a top-level document: its collection links and the reader's operations too
		want["@context"] = "/api/contexts/Organization"
		want["collection"] = otWantLinks(id, s.Role, otObj(got["status"])["current_status"] == "ACTIVE")
		patch := map[string]any{"@type": "Operation", "method": "PATCH", "title": "patchOrganization"}
		del := map[string]any{"@type": []any{"Operation", "schema:DeleteAction"}, "method": "DELETE", "title": "deleteOrganization"}
		transfer := map[string]any{"@type": "Operation", "method": "POST", "target": iri + "/transfer", "title": "transferOrganization"}
		switch s.Role {
		case "owner":
			want["operation"] = []any{patch, del}
			if otObj(got["status"])["current_status"] == "ACTIVE" { // an active organization's owner hands it over
				want["operation"] = []any{patch, del, transfer}
			}
		case "admin":
			want["operation"] = []any{patch}
		}
	}
	if s.Contact != nil {
		want["contact"] = otTyped("Contact", s.Contact)
	}
	if s.Address != nil {
		want["address"] = otTyped("Address", s.Address)
	}
	if s.Phone != "" {
		want["phone_number"] = s.Phone
	}
	st := otObj(got["status"])
	hist := otList(st["status_history"])
	var changed any = "?"
	if len(hist) > 0 {
		changed = otTime(t, "status_history[0].changed_at", otObj(hist[0])["changed_at"])
	}
	want["status"] = map[string]any{
		"@type":          "OrganizationStatus",
		"current_status": "ACTIVE",
		"status_history": []any{map[string]any{"@type": "StatusChange", "status": "ACTIVE", "changed_at": changed}},
	}
	gotMembers, gotOwners := otList(got["members"]), otList(got["owners"])
	members, owners := []any{}, []any{}
	for i, m := range s.Members {
		var g any
		if i < len(gotMembers) {
			g = gotMembers[i]
		}
		members = append(members, otMemberDoc(t, fmt.Sprintf("members[%d]", i), g, iri, m))
		if m.Role == "owner" {
			var g any
			if n := len(owners); n < len(gotOwners) {
				g = gotOwners[n]
			}
			owners = append(owners, otMemberDoc(t, fmt.Sprintf("owners[%d]", len(owners)), g, iri, m))
		}
	}
	want["members"], want["owners"] = members, owners
	return want
}

// otWantLinks are an organization document's collection links (issue 18
// item 5; links_test.go follows them).
// otWantLinks are an organization's collection links as a member of the
// role reads them: each carries the collection's POST when they may add
// to it (owners and admins every one, developers workspaces), while the
// organization is active.
func otWantLinks(id, role string, active bool) []any {
	var out []any
	for _, c := range []struct{ class, path string }{{"Member", "members"}, {"Invitation", "invitations"}, {"Workspace", "workspaces"}, {"Role", "roles"}, {"Domain", "domains"}, {"Event", "events"}, {"WebhookEndpoint", "webhook_endpoints"}} {
		link := map[string]any{
			"@id":             "/api/" + c.path + "?organization=" + id,
			"@type":           "Collection",
			"memberAssertion": map[string]any{"property": c.class + "/organization", "object": "/api/organizations/" + id},
		}
		creatable := c.class != "Member" && c.class != "Event"
		if creatable && active && (role == "owner" || role == "admin" || role == "developer" && c.class == "Workspace") {
			link["operation"] = []any{map[string]any{"@type": []any{"Operation", "schema:CreateAction"}, "method": "POST", "title": "post" + c.class}}
		}
		out = append(out, link)
	}
	return out
}

// otProblem checks an error answer: status, problem+json, JSON-LD Error.
func otProblem(t *testing.T, what string, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != otProblemT {
		t.Errorf("%s: Content-Type %q, want %q", what, ct, otProblemT)
	}
	doc := r.obj()
	if fmt.Sprint(doc["@type"]) != "[Error hydra:Error]" || doc["status"] != float64(status) || doc["@id"] != fmt.Sprintf("/api/errors/%d", status) {
		t.Errorf("%s: not an Error document for %d: %s", what, status, r.Body)
	}
}

// otOK checks a successful JSON-LD answer.
func otOK(t *testing.T, e *env, what string, r *response, status int) bool {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != otLD {
		t.Errorf("%s: Content-Type %q, want %q", what, ct, otLD)
	}
	if l := r.Header.Get("Link"); l != e.docsLink() {
		t.Errorf("%s: Link %q, want %q", what, l, e.docsLink())
	}
	return true
}

func otMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// otPersonal finds the personal organization every user gets with their
// first key in a mode (named "Personal", the user its only member and owner),
// checks the whole document, and returns it as a list shows it (no @context).
func otPersonal(t *testing.T, e *env, key, mode string, m otM) map[string]any {
	t.Helper()
	r := e.do(req{Path: "/api/organizations?name=Personal", Key: key})
	if r.Status != http.StatusOK {
		t.Fatalf("personal organization of %s (%s): %d %s", m.Email, mode, r.Status, r.Body)
	}
	list := otList(r.obj()["member"])
	if r.obj()["totalItems"] != float64(1) || len(list) != 1 {
		t.Fatalf("%s has not exactly one personal organization in %s: %s", m.Email, mode, r.Body)
	}
	doc := otObj(list[0])
	otEqual(t, "personal organization of "+m.Email+" ("+mode+")", doc,
		otWantOrg(t, doc, otOrg{Name: "Personal", Mode: mode, Role: "owner", Members: []otM{m}}, false))
	return doc
}

// --- 1. Create and read back -------------------------------------------------

func TestOrganizationCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		ada := otUser(t, e, "ada@example.com")
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{
			"name": "  Acme Corp  ",
			"contact": {"email": "ops@acme.test", "first_name": "Ada", "last_name": "Lovelace"},
			"address": {"street_address": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"},
			"phone_number": "+1 555 0100"
		}`})
		if !otOK(t, e, "POST", r, http.StatusCreated) {
			t.FailNow()
		}
		created := r.obj()
		if loc := r.Header.Get("Location"); loc == "" || loc != created["@id"] {
			t.Errorf("Location %q, want the body's @id %v", loc, created["@id"])
		}
		if a := r.Header.Get("Accept-Patch"); !strings.Contains(a, "application/merge-patch+json") {
			t.Errorf("Accept-Patch %q does not list application/merge-patch+json", a)
		}
		spec := otOrg{
			Name:    "Acme Corp",
			Contact: map[string]any{"email": "ops@acme.test", "first_name": "Ada", "last_name": "Lovelace"},
			Address: map[string]any{"street_address": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"},
			Phone:   "+1 555 0100",
			Mode:    "live",
			Role:    "owner",
			Members: []otM{{ada.ID, "ada@example.com", "ada", "owner"}},
		}
		otEqual(t, "created document", created, otWantOrg(t, created, spec, true))
		// The embedded owner and member are one and the same membership.
		if o, m := otList(created["owners"]), otList(created["members"]); len(o) == 1 && len(m) == 1 {
			otEqual(t, "owners[0] vs members[0]", o[0], m[0])
		}
		// The dates are the stored ones, whole seconds.
		if c, u := otParseTime(t, created["created_at"]), otParseTime(t, created["updated_at"]); time.Since(c) > time.Minute || u.Before(c) {
			t.Errorf("created_at %v / updated_at %v are not now", c, u)
		}

		iri, _ := created["@id"].(string)
		g := e.do(req{Path: iri, Key: key})
		if otOK(t, e, "GET (Bearer)", g, http.StatusOK) {
			otEqual(t, "GET after POST", g.obj(), created)
			if a := g.Header.Get("Allow"); a != otItemAllow {
				t.Errorf("Allow %q, want %q", a, otItemAllow)
			}
			if l := g.Header.Get("Location"); l != "" {
				t.Errorf("GET has a Location header: %q", l)
			}
		}
		x := e.do(req{Path: iri, Header: map[string]string{"X-API-Key": key}})
		if otOK(t, e, "GET (X-API-Key)", x, http.StatusOK) {
			otEqual(t, "GET with X-API-Key", x.obj(), created)
		}
		// X-API-Key works for writes too.
		p := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Body: `{"name":"Second"}`, Header: map[string]string{"X-API-Key": key}})
		if otOK(t, e, "POST (X-API-Key)", p, http.StatusCreated) {
			otEqual(t, "POST with X-API-Key", p.obj(), otWantOrg(t, p.obj(), otOrg{Name: "Second", Mode: "live", Role: "owner",
				Members: []otM{{ada.ID, "ada@example.com", "ada", "owner"}}}, true))
		}
		// Without a key: 401.
		n := e.do(req{Path: iri})
		otProblem(t, "GET without key", n, http.StatusUnauthorized)
		if w := n.Header.Get("WWW-Authenticate"); !strings.HasPrefix(w, "Bearer") {
			t.Errorf("401 WWW-Authenticate %q, want Bearer", w)
		}
		otProblem(t, "GET with an unknown key", e.do(req{Path: iri, Key: "og_live_" + strings.Repeat("0", 48)}), http.StatusUnauthorized)
	})
}

// --- 2. Collection -----------------------------------------------------------

// otCheckSearch checks the search IriTemplate: the name filter and the
// order variables with their mappings (the order of the variables is the
// server's choice, but the template must list them in that order).
func otCheckSearch(t *testing.T, got any) {
	t.Helper()
	s := otObj(got)
	// Each sort variable has its own property, never the one a filter
	// maps (alcaeus fills every variable whose property the model holds),
	// and is mapped twice: order.x in the template, order[x] for API
	// Platform Admin, which is not in the template.
	wantVars := map[string]string{
		"name": "name", "external_id": "external_id",
		"order.id": "Organization/order/id", "order.name": "Organization/order/name", "order.created_at": "Organization/order/created_at",
		"order[id]": "Organization/order/id", "order[name]": "Organization/order/name", "order[created_at]": "Organization/order/created_at",
	}
	mapping := otList(s["mapping"])
	var vars []string
	seen := map[string]bool{}
	for _, m := range mapping {
		mm := otObj(m)
		v, _ := mm["variable"].(string)
		if !strings.Contains(v, "[") {
			vars = append(vars, v)
		}
		seen[v] = true
		otEqual(t, "search mapping "+v, mm, map[string]any{"@type": "IriTemplateMapping", "variable": v, "property": wantVars[v], "required": false})
	}
	if len(mapping) != len(wantVars) {
		t.Errorf("search mapping has %d entries, want %d: %s", len(mapping), len(wantVars), otPretty(mapping))
	}
	for v := range wantVars {
		if !seen[v] {
			t.Errorf("search mapping lacks %q", v)
		}
	}
	otEqual(t, "search", s, map[string]any{
		"@type":                  "IriTemplate",
		"template":               "/api/organizations{?" + strings.Join(vars, ",") + "}",
		"variableRepresentation": "BasicRepresentation",
		"mapping":                mapping,
	})
}

// otCollection compares a whole collection answer. total < 0 means no
// totalItems (partial); view nil means no view.
func otCollection(t *testing.T, e *env, what string, r *response, total int, members []any, view map[string]any) {
	t.Helper()
	if !otOK(t, e, what, r, http.StatusOK) {
		return
	}
	got := r.obj()
	otCheckSearch(t, got["search"])
	want := map[string]any{
		"@context": "/api/contexts/Organization",
		"@id":      "/api/organizations",
		"@type":    "Collection",
		"member":   members,
		"search":   got["search"],
	}
	if total >= 0 {
		want["totalItems"] = total
	}
	if view != nil {
		want["view"] = viewAsRequested(r, view)
	}
	otEqual(t, what, got, want)
	for i, m := range otList(got["member"]) {
		if _, ok := otObj(m)["@context"]; ok {
			t.Errorf("%s: member[%d] has an @context", what, i)
		}
	}
}

func otView(links ...string) map[string]any {
	v := map[string]any{"@type": "PartialCollectionView"}
	for i := 0; i+1 < len(links); i += 2 {
		v[links[i]] = links[i+1]
	}
	return v
}

func TestOrganizationCollection(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		testKey := e.key("ada@example.com", "test", "write")
		bobKey := e.key("bob@example.com", "live", "write")
		ada, bob := otUser(t, e, "ada@example.com"), otUser(t, e, "bob@example.com")

		// Ada's first live key brought her personal organization, "Personal":
		// first in id order (created before the others), last by name and
		// the newest by created_at.
		// Id (creation) order: Personal, Charlie, Alpha, Echo, Bravo, Delta.
		// created_at order: Echo, Charlie, Delta, Alpha, Bravo, Personal.
		base := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
		seconds := map[string]int{"Charlie": 2, "Alpha": 4, "Echo": 1, "Bravo": 5, "Delta": 3}
		for _, n := range []string{"Charlie", "Alpha", "Echo", "Bravo", "Delta"} {
			otInsertOrg(t, e, ada.ID, n, "live", base.Add(time.Duration(seconds[n])*time.Minute))
		}
		// Noise that must never show: another user's, and Ada's test mode.
		otInsertOrg(t, e, bob.ID, "Alpha of Bob", "live", base)
		otInsertOrg(t, e, ada.ID, "Alpha in test", "test", base)

		// The item documents, as GET returns them, without @context,
		// collection links and operations, which a page's members do not
		// carry.
		items := map[string]any{}
		list := e.do(req{Path: "/api/organizations", Key: key})
		for _, m := range otList(list.obj()["member"]) {
			doc := otObj(m)
			g := e.do(req{Path: fmt.Sprint(doc["@id"]), Key: key})
			if g.Status != http.StatusOK {
				t.Fatalf("GET %v: %d %s", doc["@id"], g.Status, g.Body)
			}
			items[fmt.Sprint(doc["name"])] = otWithout(t, g.obj(), "@context", "collection", "operation")
		}
		if len(items) != 6 {
			t.Fatalf("the list has %d organizations, want 6 (Personal and five): %s", len(items), list.Body)
		}
		// The documents themselves are whole Organization documents.
		for name, d := range items {
			doc := otObj(d)
			otEqual(t, "item "+name, doc, otWantOrg(t, doc, otOrg{Name: name, Mode: "live", Role: "owner",
				Members: []otM{{ada.ID, "ada@example.com", "ada", "owner"}}}, false))
		}
		names := func(ns ...string) []any {
			out := make([]any, len(ns))
			for i, n := range ns {
				out[i] = items[n]
			}
			return out
		}
		all := names("Personal", "Charlie", "Alpha", "Echo", "Bravo", "Delta")
		get := func(path string) *response { return e.do(req{Path: path, Key: key}) }

		t.Run("single page", func(t *testing.T) {
			r := get("/api/organizations")
			otCollection(t, e, "unfiltered single page", r, 6, all, nil)
			if a := r.Header.Get("Allow"); a != otCollAllow {
				t.Errorf("Allow %q, want %q", a, otCollAllow)
			}
			// page alone is not a filter: still no view (API Platform
			// removes the page parameter before deciding).
			otCollection(t, e, "?page=1", get("/api/organizations?page=1"), 6, all, nil)
			otCollection(t, e, "?page=2 of 1", get("/api/organizations?page=2"), 6, []any{}, nil)
			// Unknown parameters are ignored.
			otCollection(t, e, "?foo=bar", get("/api/organizations?foo=bar"), 6, all,
				otView())
		})

		t.Run("pages", func(t *testing.T) {
			otCollection(t, e, "page 1", get("/api/organizations?itemsPerPage=2&page=1"), 6, names("Personal", "Charlie"),
				otView(
					"first", "/api/organizations?itemsPerPage=2&page=1",
					"last", "/api/organizations?itemsPerPage=2&page=3",
					"next", "/api/organizations?itemsPerPage=2&page=2"))
			otCollection(t, e, "page 2", get("/api/organizations?itemsPerPage=2&page=2"), 6, names("Alpha", "Echo"),
				otView(
					"first", "/api/organizations?itemsPerPage=2&page=1",
					"last", "/api/organizations?itemsPerPage=2&page=3",
					"previous", "/api/organizations?itemsPerPage=2&page=1",
					"next", "/api/organizations?itemsPerPage=2&page=3"))
			// The client's parameter order is kept, page goes last.
			otCollection(t, e, "page 3", get("/api/organizations?page=3&itemsPerPage=2"), 6, names("Bravo", "Delta"),
				otView(
					"first", "/api/organizations?itemsPerPage=2&page=1",
					"last", "/api/organizations?itemsPerPage=2&page=3",
					"previous", "/api/organizations?itemsPerPage=2&page=2"))
			otCollection(t, e, "past the end", get("/api/organizations?itemsPerPage=2&page=4"), 6, []any{},
				otView(
					"first", "/api/organizations?itemsPerPage=2&page=1",
					"last", "/api/organizations?itemsPerPage=2&page=3",
					"previous", "/api/organizations?itemsPerPage=2&page=3"))
			// Sorting, paging and re-encoded brackets together.
			otCollection(t, e, "sorted page 2", get("/api/organizations?order[name]=desc&itemsPerPage=2&page=2"), 6, names("Delta", "Charlie"),
				otView(
					"first", "/api/organizations?order%5Bname%5D=desc&itemsPerPage=2&page=1",
					"last", "/api/organizations?order%5Bname%5D=desc&itemsPerPage=2&page=3",
					"previous", "/api/organizations?order%5Bname%5D=desc&itemsPerPage=2&page=1",
					"next", "/api/organizations?order%5Bname%5D=desc&itemsPerPage=2&page=3"))
		})

		t.Run("filters", func(t *testing.T) {
			otCollection(t, e, "name=HAR", get("/api/organizations?name=HAR"), 1, names("Charlie"),
				otView())
			otCollection(t, e, "name=a", get("/api/organizations?name=a"), 5, names("Personal", "Charlie", "Alpha", "Bravo", "Delta"),
				otView())
			otCollection(t, e, "name=zzz", get("/api/organizations?name=zzz"), 0, []any{},
				otView())
			// Not paginated: the view @id is the request without page.
			otCollection(t, e, "name=HAR&page=1", get("/api/organizations?name=HAR&page=1"), 1, names("Charlie"),
				otView())
			otCollection(t, e, "name with a space", get("/api/organizations?name=ch%20"), 0, []any{},
				otView())
		})

		t.Run("partial", func(t *testing.T) {
			otCollection(t, e, "partial=true", get("/api/organizations?partial=true"), -1, all,
				otView())
			otCollection(t, e, "partial page 1", get("/api/organizations?partial=true&itemsPerPage=2&page=1"), -1, names("Personal", "Charlie"),
				otView(
					"next", "/api/organizations?partial=true&itemsPerPage=2&page=2"))
			otCollection(t, e, "partial page 2", get("/api/organizations?partial=true&itemsPerPage=2&page=2"), -1, names("Alpha", "Echo"),
				otView(
					"previous", "/api/organizations?partial=true&itemsPerPage=2&page=1",
					"next", "/api/organizations?partial=true&itemsPerPage=2&page=3"))
			// A full page: without a count, the next page may exist.
			otCollection(t, e, "partial page 3", get("/api/organizations?partial=true&itemsPerPage=2&page=3"), -1, names("Bravo", "Delta"),
				otView(
					"previous", "/api/organizations?partial=true&itemsPerPage=2&page=2",
					"next", "/api/organizations?partial=true&itemsPerPage=2&page=4"))
			otCollection(t, e, "partial page 4", get("/api/organizations?partial=true&itemsPerPage=2&page=4"), -1, []any{},
				otView(
					"previous", "/api/organizations?partial=true&itemsPerPage=2&page=3"))
		})

		t.Run("order", func(t *testing.T) {
			cases := []struct {
				query string
				want  []any
			}{
				{"order[name]=asc", names("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Personal")},
				{"order[name]=desc", names("Personal", "Echo", "Delta", "Charlie", "Bravo", "Alpha")},
				{"order[name]=DESC", names("Personal", "Echo", "Delta", "Charlie", "Bravo", "Alpha")},
				{"order[name]=ASC", names("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Personal")},
				{"order[created_at]=asc", names("Echo", "Charlie", "Delta", "Alpha", "Bravo", "Personal")},
				{"order[created_at]=desc", names("Personal", "Bravo", "Alpha", "Delta", "Charlie", "Echo")},
				{"order[id]=asc", all},
				{"order[id]=desc", names("Delta", "Bravo", "Echo", "Alpha", "Charlie", "Personal")},
				// Unknown order fields are ignored.
				{"order[bogus]=asc", all},
				{"order[bogus]=asc&order[name]=desc", names("Personal", "Echo", "Delta", "Charlie", "Bravo", "Alpha")},
			}
			for _, c := range cases {
				otCollection(t, e, c.query, get("/api/organizations?"+c.query), 6, c.want, otView())
			}
			// Percent-encoded brackets, as browsers and Admin send them.
			otCollection(t, e, "encoded order", get("/api/organizations?order%5Bname%5D=asc"), 6,
				names("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Personal"), otView())
		})

		t.Run("invalid values", func(t *testing.T) {
			for _, q := range []string{"page=0", "page=-1", "page=x", "itemsPerPage=-1", "itemsPerPage=x", "order[name]=sideways", "itemsPerPage=0&page=2"} {
				otProblem(t, q, get("/api/organizations?"+q), http.StatusBadRequest)
			}
		})

		t.Run("plain JSON", func(t *testing.T) {
			r := e.do(req{Path: "/api/organizations?name=a", Key: key, Header: map[string]string{"Accept": "application/json"}})
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != otJSON {
				t.Fatalf("status %d, Content-Type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			arr, ok := r.JSON.([]any)
			if !ok {
				t.Fatalf("application/json is not a bare array: %s", r.Body)
			}
			if otHasAt(arr) {
				t.Errorf("application/json carries @ keys: %s", r.Body)
			}
			otEqual(t, "application/json array", arr, otNoAt(names("Personal", "Charlie", "Alpha", "Bravo", "Delta")))
		})

		t.Run("tenancy", func(t *testing.T) {
			// Bob sees only his organizations (his personal one first); Ada's
			// test key only hers in test mode (her test-mode personal one first).
			for _, c := range []struct {
				who, key, mode string
				m              otM
				other          string
			}{
				{"Bob's list", bobKey, "live", otM{bob.ID, "bob@example.com", "bob", "owner"}, "Alpha of Bob"},
				{"Ada's test-mode list", testKey, "test", otM{ada.ID, "ada@example.com", "ada", "owner"}, "Alpha in test"},
			} {
				personal := otPersonal(t, e, c.key, c.mode, c.m)
				r := e.do(req{Path: "/api/organizations", Key: c.key})
				list := otList(r.obj()["member"])
				if r.Status != http.StatusOK || r.obj()["totalItems"] != float64(2) || len(list) != 2 ||
					otObj(list[1])["name"] != c.other {
					t.Errorf("%s: %d %s", c.who, r.Status, r.Body)
					continue
				}
				otEqual(t, c.who+": member[0]", list[0], personal)
			}
		})
	})
}

func TestOrganizationCollectionPageSize(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		ada := otUser(t, e, "ada@example.com")
		ctx := context.Background()
		created := time.Now().UTC().Truncate(time.Second)
		const n = 105
		orgs := make([]*ent.OrganizationCreate, n)
		for i := range orgs {
			orgs[i] = e.db.Organization.Create().SetName(fmt.Sprintf("Org %03d", i)).SetMode(organization.ModeLive).
				SetCreatedAt(created).SetUpdatedAt(created).
				SetStatusHistory([]schema.StatusChange{{Status: "ACTIVE", ChangedAt: created}})
		}
		saved, err := e.db.Organization.CreateBulk(orgs...).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms := make([]*ent.MemberCreate, n)
		for i, o := range saved {
			ms[i] = e.db.Member.Create().SetOrganizationID(o.ID).SetUserID(ada.ID).SetRole(schema.RoleOwner)
		}
		if err := e.db.Member.CreateBulk(ms...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		ids := func(r *response) []string {
			var out []string
			for _, m := range otList(r.obj()["member"]) {
				out = append(out, fmt.Sprint(otObj(m)["id"]))
			}
			return out
		}
		// Ada's personal organization (from her first key) comes first in
		// id order, then the n organizations above: n+1 in all.
		personal := otPersonal(t, e, key, "live", otM{ada.ID, "ada@example.com", "ada", "owner"})
		all := []string{fmt.Sprint(personal["id"])}
		for _, o := range saved {
			all = append(all, o.ID.String())
		}
		want := func(from, to int) []string { return all[from:to] }
		check := func(what, path string, total int, wantIDs []string, view map[string]any) {
			t.Helper()
			r := e.do(req{Path: path, Key: key})
			if !otOK(t, e, what, r, http.StatusOK) {
				return
			}
			doc := r.obj()
			if doc["totalItems"] != float64(total) {
				t.Errorf("%s: totalItems %v, want %d", what, doc["totalItems"], total)
			}
			if got := ids(r); !reflect.DeepEqual(got, wantIDs) {
				t.Errorf("%s: %d members %v, want %d %v", what, len(got), got, len(wantIDs), wantIDs)
			}
			otEqual(t, what+" view", doc["view"], viewAsRequested(r, view))
			otCheckSearch(t, doc["search"])
		}
		// Default: 30 per page.
		check("default page 1", "/api/organizations?page=1", n+1, want(0, 30), otView(
			"first", "/api/organizations?page=1", "last", "/api/organizations?page=4", "next", "/api/organizations?page=2"))
		check("default page 4", "/api/organizations?page=4", n+1, want(90, n+1), otView(
			"first", "/api/organizations?page=1", "last", "/api/organizations?page=4", "previous", "/api/organizations?page=3"))
		// At most 100, silently; the client's value stays in the links.
		check("itemsPerPage=500", "/api/organizations?itemsPerPage=500&page=1", n+1, want(0, 100), otView(
			"first", "/api/organizations?itemsPerPage=500&page=1", "last", "/api/organizations?itemsPerPage=500&page=2",
			"next", "/api/organizations?itemsPerPage=500&page=2"))
		check("itemsPerPage=100 page 2", "/api/organizations?itemsPerPage=100&page=2", n+1, want(100, n+1), otView(
			"first", "/api/organizations?itemsPerPage=100&page=1", "last", "/api/organizations?itemsPerPage=100&page=2",
			"previous", "/api/organizations?itemsPerPage=100&page=1"))
	})
}

// --- 3. Tenancy and modes ------------------------------------------------------

func TestOrganizationTenancyAndModes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		live := e.key("ada@example.com", "live", "write")
		test := e.key("ada@example.com", "test", "write")
		bob := e.key("bob@example.com", "live", "write")
		ada, bobUser := otUser(t, e, "ada@example.com"), otUser(t, e, "bob@example.com")
		adaM, bobM := otM{ada.ID, "ada@example.com", "ada", "owner"}, otM{bobUser.ID, "bob@example.com", "bob", "owner"}
		// Each first key in a mode brought a personal organization.
		adaLive := otPersonal(t, e, live, "live", adaM)
		adaTest := otPersonal(t, e, test, "test", adaM)
		bobLive := otPersonal(t, e, bob, "live", bobM)

		org := e.createOrg(live, `{"name":"Live Org","phone_number":"+44 20 7946 0000"}`)
		iri := fmt.Sprint(org["@id"])

		// Another tenant: 404 (not 403) for read, write and delete; not
		// listed (each lists only its own personal organization).
		for _, c := range []struct {
			who, key string
			personal map[string]any
		}{{"bob", bob, bobLive}, {"ada's test key", test, adaTest}} {
			otProblem(t, c.who+" GET", e.do(req{Path: iri, Key: c.key}), http.StatusNotFound)
			otProblem(t, c.who+" PATCH", e.do(req{Method: http.MethodPatch, Path: iri, Key: c.key, Body: `{"name":"Stolen"}`}), http.StatusNotFound)
			otProblem(t, c.who+" DELETE", e.do(req{Method: http.MethodDelete, Path: iri, Key: c.key}), http.StatusNotFound)
			l := e.do(req{Path: "/api/organizations", Key: c.key})
			if otOK(t, e, c.who+" list", l, http.StatusOK) {
				otEqual(t, c.who+" list", otWithout(t, l.obj(), "search"), map[string]any{
					"@context": "/api/contexts/Organization", "@id": "/api/organizations", "@type": "Collection",
					"totalItems": 1, "member": []any{c.personal},
				})
			}
		}
		// Unknown and malformed ids are 404 too.
		otProblem(t, "unknown id", e.do(req{Path: "/api/organizations/" + uuid.Must(uuid.NewV7()).String(), Key: live}), http.StatusNotFound)
		otProblem(t, "malformed id", e.do(req{Path: "/api/organizations/not-a-uuid", Key: live}), http.StatusNotFound)

		// Nothing changed.
		g := e.do(req{Path: iri, Key: live})
		if otOK(t, e, "GET by owner", g, http.StatusOK) {
			otEqual(t, "after the other tenants tried", g.obj(), org)
		}

		// A test key creates test organizations, invisible to the live key.
		tr := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: test, Body: `{"name":"Sandbox"}`})
		if !otOK(t, e, "POST (test)", tr, http.StatusCreated) {
			t.FailNow()
		}
		tdoc := tr.obj()
		otEqual(t, "test-mode organization", tdoc, otWantOrg(t, tdoc, otOrg{Name: "Sandbox", Mode: "test", Role: "owner",
			Members: []otM{{ada.ID, "ada@example.com", "ada", "owner"}}}, true))
		tiri := fmt.Sprint(tdoc["@id"])
		otProblem(t, "live key GET test org", e.do(req{Path: tiri, Key: live}), http.StatusNotFound)
		otProblem(t, "live key PATCH test org", e.do(req{Method: http.MethodPatch, Path: tiri, Key: live, Body: `{"name":"x"}`}), http.StatusNotFound)
		otProblem(t, "live key DELETE test org", e.do(req{Method: http.MethodDelete, Path: tiri, Key: live}), http.StatusNotFound)
		tg := e.do(req{Path: tiri, Key: test})
		if otOK(t, e, "test key GET", tg, http.StatusOK) {
			otEqual(t, "test org read back", tg.obj(), tdoc)
		}

		listOf := func(key string) []any {
			r := e.do(req{Path: "/api/organizations", Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			return otList(r.obj()["member"])
		}
		otEqual(t, "live list", listOf(live), []any{adaLive, otWithout(t, org, "@context", "collection", "operation")})
		otEqual(t, "test list", listOf(test), []any{adaTest, otWithout(t, tdoc, "@context", "collection", "operation")})
		otEqual(t, "bob's list", listOf(bob), []any{bobLive})
	})
}

// --- 4. PATCH ------------------------------------------------------------------

func TestOrganizationPatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{
			"name": "Acme",
			"contact": {"email": "ops@acme.test", "first_name": "Ada", "last_name": "Lovelace"},
			"address": {"city": "Springfield", "country": "US"},
			"phone_number": "+1 555 0100"
		}`)
		iri := fmt.Sprint(org["@id"])
		id := uuid.MustParse(fmt.Sprint(org["id"]))
		past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

		cur := org
		step := func(what, contentType, body string, change func(d map[string]any)) {
			t.Helper()
			if err := e.db.Organization.UpdateOneID(id).SetUpdatedAt(past).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := time.Now().UTC().Truncate(time.Second)
			rq := req{Method: http.MethodPatch, Path: iri, Key: key, Body: body}
			if contentType != "" {
				rq.Header = map[string]string{"Content-Type": contentType}
			}
			r := e.do(rq)
			if !otOK(t, e, what, r, http.StatusOK) {
				t.FailNow()
			}
			got := r.obj()
			want := otCopy(t, cur)
			change(want)
			want["updated_at"] = otTime(t, what+" updated_at", got["updated_at"])
			if u := otParseTime(t, got["updated_at"]); u.Before(before) {
				t.Errorf("%s: updated_at %v was not set (before %v)", what, u, before)
			}
			otEqual(t, what, got, want)
			if a := r.Header.Get("Accept-Patch"); !strings.Contains(a, "application/merge-patch+json") {
				t.Errorf("%s: Accept-Patch %q", what, a)
			}
			g := e.do(req{Path: iri, Key: key})
			if otOK(t, e, what+" read back", g, http.StatusOK) {
				otEqual(t, what+" read back", g.obj(), got)
			}
			cur = got
		}

		step("rename", "", `{"name":"  Acme Renamed  "}`, func(d map[string]any) { d["name"] = "Acme Renamed" })
		step("contact last_name", "", `{"contact":{"last_name":"X"}}`, func(d map[string]any) {
			d["contact"] = otTyped("Contact", map[string]any{"email": "ops@acme.test", "first_name": "Ada", "last_name": "X"})
		})
		step("contact email null", "", `{"contact":{"email":null}}`, func(d map[string]any) {
			d["contact"] = otTyped("Contact", map[string]any{"first_name": "Ada", "last_name": "X"})
		})
		step("address merge", "", `{"address":{"zip_code":"62701","city":null}}`, func(d map[string]any) {
			d["address"] = otTyped("Address", map[string]any{"zip_code": "62701", "country": "US"})
		})
		step("contact null", "", `{"contact":null}`, func(d map[string]any) { delete(d, "contact") })
		step("phone null", "", `{"phone_number":null}`, func(d map[string]any) { delete(d, "phone_number") })
		step("set contact again", "", `{"contact":{"email":"new@acme.test"}}`, func(d map[string]any) {
			d["contact"] = otTyped("Contact", map[string]any{"email": "new@acme.test"})
		})
		step("ld+json (Admin)", "application/ld+json", `{"name":"Via Admin"}`, func(d map[string]any) { d["name"] = "Via Admin" })
		step("merge-patch with charset", "application/merge-patch+json; charset=utf-8", `{"phone_number":"+1 555 0199"}`,
			func(d map[string]any) { d["phone_number"] = "+1 555 0199" })

		// Other content types: 415; a blank name: 422; nothing changes.
		r := e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: `{"name":"No"}`, Header: map[string]string{"Content-Type": "text/plain"}})
		otProblem(t, "text/plain", r, http.StatusUnsupportedMediaType)
		r = e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: `{"name":"   "}`})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("blank name: %d %s", r.Status, r.Body)
		}
		g := e.do(req{Path: iri, Key: key})
		otEqual(t, "after refused patches", g.obj(), cur)
	})
}

func TestOrganizationPatchWholeRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme","contact":{"email":"ops@acme.test","first_name":"Ada"},"address":{"city":"Paris"},"phone_number":"+33 1 23 45 67 89"}`)
		iri := fmt.Sprint(org["@id"])
		for i, ct := range []string{"application/merge-patch+json", "application/ld+json"} {
			g := e.do(req{Path: iri, Key: key})
			if g.Status != http.StatusOK {
				t.Fatalf("GET: %d %s", g.Status, g.Body)
			}
			record := g.obj()
			for _, k := range []string{"@context", "@id", "@type", "id", "created_at", "updated_at", "owners", "members", "member_count", "status", "mode", "current_user_role"} {
				if _, ok := record[k]; !ok {
					t.Fatalf("the GET document lacks %q: %s", k, g.Body)
				}
			}
			edited := otCopy(t, record)
			name := fmt.Sprintf("Acme %d", i)
			edited["name"] = name
			r := e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: otMarshal(t, edited), Header: map[string]string{"Content-Type": ct}})
			if !otOK(t, e, "whole record as "+ct, r, http.StatusOK) {
				continue
			}
			got := r.obj()
			want := otCopy(t, record)
			want["name"] = name
			want["updated_at"] = otTime(t, "updated_at", got["updated_at"])
			otEqual(t, "whole record as "+ct, got, want)
		}
	})
}

func TestOrganizationRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		owner := e.key("ada@example.com", "live", "write")
		keys := map[string]string{
			"admin":     e.key("bob@example.com", "live", "write"),
			"developer": e.key("dave@example.com", "live", "write"),
			"viewer":    e.key("vic@example.com", "live", "write"),
		}
		ada, bob := otUser(t, e, "ada@example.com"), otUser(t, e, "bob@example.com")
		dave, vic := otUser(t, e, "dave@example.com"), otUser(t, e, "vic@example.com")

		org := e.createOrg(owner, `{"name":"Acme"}`)
		iri, id := fmt.Sprint(org["@id"]), fmt.Sprint(org["id"])
		otMemberTo(t, e, id, bob.ID, schema.RoleAdmin)
		otMemberTo(t, e, id, dave.ID, schema.RoleDeveloper)
		otMemberTo(t, e, id, vic.ID, schema.RoleViewer)
		members := []otM{
			{ada.ID, "ada@example.com", "ada", "owner"},
			{bob.ID, "bob@example.com", "bob", "admin"},
			{dave.ID, "dave@example.com", "dave", "developer"},
			{vic.ID, "vic@example.com", "vic", "viewer"},
		}
		name := "Acme"
		for i, role := range []string{"owner", "admin", "developer", "viewer"} {
			key := owner
			if role != "owner" {
				key = keys[role]
			}
			g := e.do(req{Path: iri, Key: key})
			if otOK(t, e, role+" GET", g, http.StatusOK) {
				otEqual(t, role+" GET", g.obj(), otWantOrg(t, g.obj(), otOrg{Name: name, Mode: "live", Role: role, Members: members}, true))
			}
			// Every member sees the organization in the list, after their
			// own personal organization (which they own).
			self := members[i]
			self.Role = "owner"
			personal := otPersonal(t, e, key, "live", self)
			l := e.do(req{Path: "/api/organizations", Key: key})
			if l.Status != http.StatusOK || l.obj()["totalItems"] != float64(2) {
				t.Errorf("%s list: %d %s", role, l.Status, l.Body)
			} else {
				otEqual(t, role+" list", l.obj()["member"], []any{personal, otWithout(t, g.obj(), "@context", "collection", "operation")})
			}
		}

		// Admin: may edit, may not delete.
		r := e.do(req{Method: http.MethodPatch, Path: iri, Key: keys["admin"], Body: `{"name":"By Admin"}`})
		if otOK(t, e, "admin PATCH", r, http.StatusOK) {
			name = "By Admin"
			otEqual(t, "admin PATCH", r.obj(), otWantOrg(t, r.obj(), otOrg{Name: name, Mode: "live", Role: "admin", Members: members}, true))
		}
		otProblem(t, "admin DELETE", e.do(req{Method: http.MethodDelete, Path: iri, Key: keys["admin"]}), http.StatusForbidden)

		// Developer and viewer: read only.
		for _, role := range []string{"developer", "viewer"} {
			otProblem(t, role+" PATCH", e.do(req{Method: http.MethodPatch, Path: iri, Key: keys[role], Body: `{"name":"By ` + role + `"}`}), http.StatusForbidden)
			otProblem(t, role+" DELETE", e.do(req{Method: http.MethodDelete, Path: iri, Key: keys[role]}), http.StatusForbidden)
			// 403 comes before validation.
			otProblem(t, role+" PATCH invalid", e.do(req{Method: http.MethodPatch, Path: iri, Key: keys[role], Body: `{"name":""}`}), http.StatusForbidden)
		}

		// A read-scoped key of the owner cannot write either.
		ro := e.key("ada@example.com", "live", "read")
		otProblem(t, "read key PATCH", e.do(req{Method: http.MethodPatch, Path: iri, Key: ro, Body: `{"name":"RO"}`}), http.StatusForbidden)
		otProblem(t, "read key DELETE", e.do(req{Method: http.MethodDelete, Path: iri, Key: ro}), http.StatusForbidden)

		g := e.do(req{Path: iri, Key: owner})
		if otOK(t, e, "owner GET after all", g, http.StatusOK) {
			otEqual(t, "after the refused writes", g.obj(), otWantOrg(t, g.obj(), otOrg{Name: name, Mode: "live", Role: "owner", Members: members}, true))
		}
	})
}

// --- 5. DELETE -------------------------------------------------------------------

func TestOrganizationDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		ada, bobUser := otUser(t, e, "ada@example.com"), otUser(t, e, "bob@example.com")
		ctx := context.Background()
		// Both have their personal organization, which the DELETE leaves alone.
		adaPersonal := otPersonal(t, e, key, "live", otM{ada.ID, "ada@example.com", "ada", "owner"})
		bobPersonal := otPersonal(t, e, bob, "live", otM{bobUser.ID, "bob@example.com", "bob", "owner"})

		keep := e.createOrg(key, `{"name":"Keep"}`)
		gone := e.createOrg(key, `{"name":"Gone","contact":{"email":"a@b.test"}}`)
		iri, id := fmt.Sprint(gone["@id"]), uuid.MustParse(fmt.Sprint(gone["id"]))
		otMemberTo(t, e, id.String(), bobUser.ID, schema.RoleViewer)

		r := e.do(req{Method: http.MethodDelete, Path: iri, Key: key})
		if r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if len(r.Body) != 0 {
			t.Errorf("DELETE has a body: %q", r.Body)
		}
		if ct, ok := r.Header["Content-Type"]; ok {
			t.Errorf("DELETE has a Content-Type: %q", ct)
		}
		if l := r.Header.Get("Link"); l != e.docsLink() {
			t.Errorf("DELETE Link %q, want %q", l, e.docsLink())
		}
		for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Vary"} {
			if r.Header.Get(h) == "" {
				t.Errorf("DELETE lacks %s", h)
			}
		}

		otProblem(t, "GET after DELETE", e.do(req{Path: iri, Key: key}), http.StatusNotFound)
		otProblem(t, "GET by former member", e.do(req{Path: iri, Key: bob}), http.StatusNotFound)
		otProblem(t, "DELETE again", e.do(req{Method: http.MethodDelete, Path: iri, Key: key}), http.StatusNotFound)
		otProblem(t, "PATCH after DELETE", e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: `{"name":"x"}`}), http.StatusNotFound)
		for _, m := range otList(gone["members"]) {
			otProblem(t, "member after DELETE", e.do(req{Path: fmt.Sprint(otObj(m)["@id"]), Key: key}), http.StatusNotFound)
		}

		n, err := e.db.Member.Query().Where(member.OrganizationID(id)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d member rows remain for the deleted organization", n)
		}
		if ok, err := e.db.Organization.Query().Where(organization.ID(id)).Exist(ctx); err != nil || ok {
			t.Errorf("the organization row remains (%v, %v)", ok, err)
		}
		if n, err := e.db.Member.Query().Where(member.OrganizationID(uuid.MustParse(fmt.Sprint(keep["id"])))).Count(ctx); err != nil || n != 1 {
			t.Errorf("the other organization has %d members (%v), want 1", n, err)
		}

		l := e.do(req{Path: "/api/organizations", Key: key})
		if otOK(t, e, "list after DELETE", l, http.StatusOK) {
			otEqual(t, "list after DELETE", l.obj()["member"], []any{adaPersonal, otWithout(t, keep, "@context", "collection", "operation")})
			if l.obj()["totalItems"] != float64(2) {
				t.Errorf("totalItems %v, want 2", l.obj()["totalItems"])
			}
		}
		if lb := e.do(req{Path: "/api/organizations", Key: bob}); lb.Status != http.StatusOK || lb.obj()["totalItems"] != float64(1) {
			t.Errorf("Bob's list after DELETE: %d %s", lb.Status, lb.Body)
		} else {
			otEqual(t, "Bob's list after DELETE", lb.obj()["member"], []any{bobPersonal})
		}
	})
}

// --- 6. Users and members ---------------------------------------------------------

func TestOrganizationUserAndMemberDocuments(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		ada, bobUser := otUser(t, e, "ada@example.com"), otUser(t, e, "bob@example.com")

		wantUser := map[string]any{
			"@context":   "/api/contexts/User",
			"@id":        "/api/users/" + ada.ID.String(),
			"@type":      "User",
			"id":         ada.ID.String(),
			"email":      "ada@example.com",
			"name":       "ada",
			"created_at": ada.CreatedAt.UTC().Format("2006-01-02T15:04:05-07:00"),
			"collection": []any{map[string]any{
				"@id": "/api/api_keys?user=" + ada.ID.String(), "@type": "Collection",
				"memberAssertion": map[string]any{"object": "/api/users/" + ada.ID.String(), "property": "ApiKey/user"},
			}},
		}
		for _, path := range []string{"/api/me", "/api/users/" + ada.ID.String()} {
			r := e.do(req{Path: path, Key: key})
			if otOK(t, e, path, r, http.StatusOK) {
				otEqual(t, path, r.obj(), wantUser)
				otTime(t, path+" created_at", r.obj()["created_at"])
			}
		}
		otProblem(t, "another user's id", e.do(req{Path: "/api/users/" + bobUser.ID.String(), Key: key}), http.StatusNotFound)
		otProblem(t, "unknown user id", e.do(req{Path: "/api/users/" + uuid.Must(uuid.NewV7()).String(), Key: key}), http.StatusNotFound)
		otProblem(t, "/api/me without key", e.do(req{Path: "/api/me"}), http.StatusUnauthorized)

		org := e.createOrg(key, `{"name":"Acme"}`)
		otMemberTo(t, e, fmt.Sprint(org["id"]), bobUser.ID, schema.RoleDeveloper)
		g := e.do(req{Path: fmt.Sprint(org["@id"]), Key: key})
		if g.Status != http.StatusOK {
			t.Fatalf("GET org: %d %s", g.Status, g.Body)
		}
		ms := otList(g.obj()["members"])
		if len(ms) != 2 {
			t.Fatalf("members: %s", g.Body)
		}
		for i, m := range []otM{{ada.ID, "ada@example.com", "ada", "owner"}, {bobUser.ID, "bob@example.com", "bob", "developer"}} {
			embedded := otObj(ms[i])
			want := otMemberDoc(t, "member", embedded, fmt.Sprint(org["@id"]), m)
			want["@context"] = "/api/contexts/Member"
			// Both members of the organization may read each membership.
			for who, k := range map[string]string{"ada": key, "bob": bob} {
				r := e.do(req{Path: fmt.Sprint(embedded["@id"]), Key: k})
				if otOK(t, e, who+" GET member", r, http.StatusOK) {
					otEqual(t, who+" GET "+m.Role+" member", r.obj(), want)
				}
			}
		}

		// A member of someone else's organization: 404.
		carol := e.key("carol@example.com", "live", "write")
		other := e.createOrg(carol, `{"name":"Carol's"}`)
		theirs := otObj(otList(other["members"])[0])
		otProblem(t, "someone else's member", e.do(req{Path: fmt.Sprint(theirs["@id"]), Key: key}), http.StatusNotFound)
		otProblem(t, "unknown member", e.do(req{Path: "/api/members/" + uuid.Must(uuid.NewV7()).String(), Key: key}), http.StatusNotFound)
		// Nor from the other mode.
		test := e.key("ada@example.com", "test", "write")
		otProblem(t, "member from the test key", e.do(req{Path: fmt.Sprint(ms[0].(map[string]any)["@id"]), Key: test}), http.StatusNotFound)
	})
}

// --- 7. HEAD and OPTIONS -------------------------------------------------------------

func TestOrganizationHeadAndOptions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		iri := fmt.Sprint(org["@id"])

		for _, path := range []string{iri, "/api/organizations", "/api/organizations?itemsPerPage=1", "/api/me"} {
			g := e.do(req{Path: path, Key: key})
			h := e.do(req{Method: http.MethodHead, Path: path, Key: key})
			if g.Status != http.StatusOK || h.Status != http.StatusOK {
				t.Errorf("%s: GET %d, HEAD %d", path, g.Status, h.Status)
				continue
			}
			if len(h.Body) != 0 {
				t.Errorf("HEAD %s has a body: %q", path, h.Body)
			}
			gh, hh := g.Header.Clone(), h.Header.Clone()
			for _, x := range []string{"Date", "X-Request-Id", "Ratelimit"} { // the bucket shrinks
				gh.Del(x)
				hh.Del(x)
			}
			if !reflect.DeepEqual(gh, hh) {
				t.Errorf("%s: HEAD headers differ from GET:\n GET: %v\nHEAD: %v", path, gh, hh)
			}
			if cl := h.Header.Get("Content-Length"); cl != fmt.Sprint(len(g.Body)) {
				t.Errorf("HEAD %s: Content-Length %q, GET body is %d bytes", path, cl, len(g.Body))
			}
		}
		hn := e.do(req{Method: http.MethodHead, Path: iri})
		if hn.Status != http.StatusUnauthorized || len(hn.Body) != 0 || hn.Header.Get("Content-Type") != otProblemT {
			t.Errorf("HEAD without key: %d %q %q", hn.Status, hn.Header.Get("Content-Type"), hn.Body)
		}

		for path, allow := range map[string]string{iri: otItemAllow, "/api/organizations": otCollAllow} {
			for _, k := range []string{key, ""} {
				r := e.do(req{Method: http.MethodOptions, Path: path, Key: k})
				if r.Status != http.StatusNoContent {
					t.Errorf("OPTIONS %s (key %v): %d %s", path, k != "", r.Status, r.Body)
					continue
				}
				if a := r.Header.Get("Allow"); a != allow {
					t.Errorf("OPTIONS %s: Allow %q, want %q", path, a, allow)
				}
				if len(r.Body) != 0 {
					t.Errorf("OPTIONS %s has a body: %q", path, r.Body)
				}
			}
		}
		// PUT is not an operation: 405 with Allow.
		r := e.do(req{Method: http.MethodPut, Path: iri, Key: key, Body: `{"name":"x"}`})
		otProblem(t, "PUT", r, http.StatusMethodNotAllowed)
		if a := r.Header.Get("Allow"); a != otItemAllow {
			t.Errorf("PUT: Allow %q, want %q", a, otItemAllow)
		}
	})
}

// POST builds its answer from what it wrote, without reading it back: it
// must be, byte for byte, the document a GET then reads.
func TestCreateAnswersWhatGetReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		for _, body := range []string{
			`{"name":"Minimal"}`,
			`{"name":"Full","phone_number":"+33 1 23 45 67 89","contact":{"email":"ops@full.test","first_name":"Ada","last_name":"L"},
			  "address":{"street_address":"1 rue X","city":"Paris","zip_code":"75001","country":"FR"},
			  "status":{"current_status":"SUSPENDED"},"invitations":[{"email":"bob@full.test","role":"admin"}]}`,
			`{"name":"Empty nested","contact":{},"address":{}}`,
		} {
			created := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body})
			if created.Status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", body, created.Status, created.Body)
			}
			read := e.do(req{Path: created.Header.Get("Location"), Key: key})
			if read.Status != http.StatusOK || string(read.Body) != string(created.Body) {
				t.Errorf("POST %s answered\n%s\nGET reads\n%s", body, created.Body, read.Body)
			}
		}
	})
}
