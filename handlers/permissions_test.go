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
	"github.com/orgraph/orgraph/ent/domain"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/ent/workspace"
	"github.com/orgraph/orgraph/problems"
)

// The permission matrix of issue 4 as one table: who (owner, admin,
// developer, viewer, a member of another tenant, the owner's test-mode key,
// the owner's read-only key) may do what to one organization, through real
// HTTP on both backends. Every cell runs on a fresh organization, so that a
// destructive action cannot spoil the next one.
//
// The "pm" helpers at the top are shared by members_test.go,
// invitations_test.go and workspaces_test.go.

const (
	pmLDType      = "application/ld+json; charset=utf-8"
	pmProblemType = "application/problem+json; charset=utf-8"
	pmTimeLayout  = "2006-01-02T15:04:05-07:00"
)

var (
	pmUUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	pmTimePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$`)
)

// ---------------------------------------------------------------------------
// Shared helpers

func pmObj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func pmList(v any) []any         { l, _ := v.([]any); return l }
func pmS(v any) string           { return fmt.Sprint(v) }

// pmNorm round-trips a value through JSON so that it compares with a
// decoded body.
func pmNorm(t *testing.T, v any) any {
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

// withoutAffordances leaves out the operations of a member's, a
// workspace's or an invitation's document: they vary by reader, and
// affordances_test.go checks them, for every reader and every operation,
// against what each operation answers. The tests of what these documents
// hold compare the rest. (An organization's are in otWantOrg's expectation.)
// A page's members are compared with items' documents, so the members of
// a collection and of a list are treated alike.
func withoutAffordances(v any) any {
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = withoutAffordances(x)
		}
		return out
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return v
	}
	switch doc["@type"] {
	case "Collection":
		out := make(map[string]any, len(doc))
		for k, x := range doc {
			out[k] = x
		}
		out["member"] = withoutAffordances(doc["member"])
		return out
	case "Member", "Workspace", "Invitation":
		out := make(map[string]any, len(doc))
		for k, x := range doc {
			if k != "operation" {
				out[k] = x
			}
		}
		return out
	}
	return doc
}

// pmEqual compares whole documents and reports every difference.
func pmEqual(t *testing.T, what string, got, want any) bool {
	t.Helper()
	g, w := withoutAffordances(pmNorm(t, got)), withoutAffordances(pmNorm(t, want))
	if reflect.DeepEqual(g, w) {
		return true
	}
	diffs := jsonDiff("", g, w)
	if len(diffs) > 15 {
		diffs = append(diffs[:15], fmt.Sprintf("… and %d more", len(diffs)-15))
	}
	t.Errorf("%s: differs from the expected document:\n  %s\ngot: %s", what, strings.Join(diffs, "\n  "), jsonShort(g))
	return false
}

// pmWithout is a copy of a document without some keys.
func pmWithout(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	c := pmObj(pmNorm(t, m))
	for _, k := range keys {
		delete(c, k)
	}
	return c
}

// pmID checks that v is a UUIDv7 string and returns it.
func pmID(t *testing.T, what string, v any) string {
	t.Helper()
	s, _ := v.(string)
	if !pmUUIDPattern.MatchString(s) {
		t.Errorf("%s: %#v is not a UUIDv7", what, v)
	}
	return s
}

// pmTime checks that v is an RFC 3339 date in UTC (+00:00, whole seconds)
// and returns it parsed.
func pmTime(t *testing.T, what string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	if !pmTimePattern.MatchString(s) {
		t.Errorf("%s: %#v is not RFC 3339 with +00:00", what, v)
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s: %q: %v", what, s, err)
	}
	return tm
}

func pmFormat(tm time.Time) string { return tm.UTC().Format(pmTimeLayout) }

// pmOK checks a successful answer: status, JSON-LD (or no body for 204),
// and Location = @id for 201.
func pmOK(t *testing.T, what string, r *response, status int) bool {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.Status, status, r.Body)
		return false
	}
	if status == http.StatusNoContent {
		if len(r.Body) != 0 {
			t.Errorf("%s: 204 with a body: %q", what, r.Body)
		}
		return true
	}
	if ct := r.Header.Get("Content-Type"); ct != pmLDType {
		t.Errorf("%s: Content-Type %q, want %q", what, ct, pmLDType)
	}
	if status == http.StatusCreated {
		if loc := r.Header.Get("Location"); loc == "" || loc != r.obj()["@id"] {
			t.Errorf("%s: Location %q, want the body's @id %v", what, loc, r.obj()["@id"])
		}
	}
	return true
}

// pmProblem checks an error answer: status, problem+json, a JSON-LD Error
// (or ConstraintViolation for 422) document with the same status.
func pmProblem(t *testing.T, what string, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, r.Status, status, r.Body)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != pmProblemType {
		t.Errorf("%s: Content-Type %q, want %q", what, ct, pmProblemType)
	}
	doc := r.obj()
	wantType := "Error"
	if status == http.StatusUnprocessableEntity {
		wantType = "ConstraintViolation"
	}
	wantTitle := problems.TitleOf(status)
	if wantType == "ConstraintViolation" {
		wantTitle = problems.ValidationTitle
	}
	if fmt.Sprint(doc["@type"]) != fmt.Sprint([]any{wantType, "hydra:Error"}) || doc["status"] != float64(status) || doc["title"] != wantTitle {
		t.Errorf("%s: not a %s document for %d: %s", what, wantType, status, r.Body)
	}
	if d, _ := doc["detail"].(string); d == "" {
		t.Errorf("%s: the problem has no detail: %s", what, r.Body)
	}
	if wantType == "Error" && doc["@id"] != fmt.Sprintf("/api/errors/%d", status) {
		t.Errorf("%s: @id %v, want /api/errors/%d", what, doc["@id"], status)
	}
}

// pmViolations checks a whole 422 document (JSON-LD form) against a list of
// path, message, code triples.
func pmViolations(t *testing.T, what string, r *response, triples ...string) {
	t.Helper()
	pmProblem(t, what, r, http.StatusUnprocessableEntity)
	if r.Status != http.StatusUnprocessableEntity {
		return
	}
	var lines, codes []string
	list := []any{}
	for i := 0; i+2 < len(triples); i += 3 {
		path, msg, code := triples[i], triples[i+1], triples[i+2]
		lines = append(lines, path+": "+msg)
		codes = append(codes, code)
		list = append(list, map[string]any{"propertyPath": path, "message": msg, "code": code})
	}
	id := codes[0]
	if len(codes) > 1 {
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = fmt.Sprintf("%d=%s", i, c)
		}
		id = strings.Join(parts, ";")
	}
	detail := strings.Join(lines, "\n")
	want := map[string]any{
		"@context":    "/api/contexts/ConstraintViolation",
		"@id":         "/api/validation_errors/" + id,
		"@type":       []any{"ConstraintViolation", "hydra:Error"},
		"status":      422,
		"violations":  list,
		"detail":      detail,
		"description": detail,
		"type":        "/validation_errors/" + id,
		"title":       problems.ValidationTitle,
	}
	pmEqual(t, what, pmWithout(t, r.obj(), "request_id"), want)
}

func pmUser(t *testing.T, e *env, email string) *ent.User {
	t.Helper()
	u, err := e.db.User.Query().Where(user.Email(email)).Only(context.Background())
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// pmAddMember stores a membership directly and returns its IRI.
func pmAddMember(t *testing.T, e *env, orgID string, userID uuid.UUID, r string) string {
	t.Helper()
	m, err := e.db.Member.Create().SetOrganizationID(uuid.MustParse(orgID)).SetUserID(userID).
		SetRole(r).Save(context.Background())
	if err != nil {
		t.Fatalf("add member: %v", err)
	}
	return "/api/members/" + m.ID.String()
}

// pmIDOf is the id at the end of an IRI.
func pmIDOf(iri string) uuid.UUID {
	return uuid.MustParse(iri[strings.LastIndexByte(iri, '/')+1:])
}

// pmPost sends a POST (a JSON-LD body when body is not empty).
func pmPost(e *env, path, key, body string) *response {
	e.t.Helper()
	return e.do(req{Method: http.MethodPost, Path: path, Key: key, Body: body})
}

// pmSnapshot renders everything the API can change, so that a refused
// request can be shown to have changed nothing.
func pmSnapshot(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	orgs, err := e.db.Organization.Query().Order(organization.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		h, _ := json.Marshal(o.StatusHistory)
		fmt.Fprintf(&b, "org %s %q %s %s %s %s\n", o.ID, o.Name, o.Mode, o.Status, h, pmFormat(o.UpdatedAt))
	}
	ms, err := e.db.Member.Query().Order(member.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		fmt.Fprintf(&b, "member %s %s %s %s\n", m.ID, m.OrganizationID, m.UserID, m.Role)
	}
	invs, err := e.db.Invitation.Query().Order(invitation.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range invs {
		fmt.Fprintf(&b, "invitation %s %s %s %s %s %s %s %v %v %v\n", i.ID, i.OrganizationID, i.Email, i.Role, i.Status,
			pmFormat(i.ExpiresAt), pmFormat(i.UpdatedAt), i.MemberID, i.AcceptedAt, i.RevokedAt)
	}
	wss, err := e.db.Workspace.Query().Order(workspace.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wss {
		fmt.Fprintf(&b, "workspace %s %s %q %s\n", w.ID, w.OrganizationID, w.Name, pmFormat(w.UpdatedAt))
	}
	roles, err := e.db.Role.Query().Order(role.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		fmt.Fprintf(&b, "role %s %s %s\n", r.ID, r.OrganizationID, r.Slug)
	}
	domains, err := e.db.Domain.Query().Order(domain.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		fmt.Fprintf(&b, "domain %s %s %s %s %s %s\n", d.ID, d.OrganizationID, d.Domain, d.Status, d.Enrollment, d.Role)
	}
	users, err := e.db.User.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "users %d\n", users)
	return b.String()
}

// pmUnchanged fails the test when the database differs from a snapshot.
func pmUnchanged(t *testing.T, e *env, what, before string) {
	t.Helper()
	if after := pmSnapshot(t, e); after != before {
		t.Errorf("%s: the database changed:\n%s", what, pmLineDiff(before, after))
	}
}

// pmLineDiff lists the lines only in a or only in b.
func pmLineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// ---------------------------------------------------------------------------
// The cast and the organization every cell starts from

// pmCast holds the keys of the people of the matrix, created once per
// backend: ada owns every fixture organization (and has a test-mode and a
// read-only key), olga is the second owner, bob the admin, dave the
// developer, vic the viewer, tim the viewer others act upon, eve a member of
// another tenant only, cora the holder of a custom role made for one cell.
type pmCast struct {
	keys  map[string]string
	users map[string]*ent.User
}

func pmNewCast(t *testing.T, e *env) *pmCast {
	t.Helper()
	c := &pmCast{keys: map[string]string{}, users: map[string]*ent.User{}}
	for _, n := range []string{"ada", "olga", "bob", "dave", "vic", "tim", "eve", "cora"} {
		c.keys[n] = e.key(n+"@example.com", "live", "write")
		c.users[n] = pmUser(t, e, n+"@example.com")
	}
	c.keys["ada-test"] = e.key("ada@example.com", "test", "write")
	c.keys["ada-read"] = e.key("ada@example.com", "live", "read")
	return c
}

// pmFixture is an organization with one member per role, two pending
// invitations and a workspace.
type pmFixture struct {
	ownerKey      string
	orgID, orgIRI string
	members       map[string]string // person → member IRI
	inviteViewer  string            // pending invitation IRI, role viewer
	inviteOwner   string            // pending invitation IRI, role owner
	workspace     string            // workspace IRI ("Design")
}

func (c *pmCast) fixture(t *testing.T, e *env) *pmFixture {
	t.Helper()
	ada := c.keys["ada"]
	org := e.createOrg(ada, `{"name":"Acme"}`)
	fx := &pmFixture{ownerKey: ada, orgID: pmS(org["id"]), orgIRI: pmS(org["@id"]), members: map[string]string{}}
	fx.members["ada"] = pmS(pmObj(pmList(org["owners"])[0])["@id"])
	for _, p := range []struct{ who, role string }{{"olga", "owner"}, {"bob", "admin"}, {"dave", "developer"}, {"vic", "viewer"}, {"tim", "viewer"}} {
		fx.members[p.who] = pmAddMember(t, e, fx.orgID, c.users[p.who].ID, p.role)
	}
	for _, inv := range []struct {
		email, role string
		iri         *string
	}{{"ivy@example.com", "viewer", &fx.inviteViewer}, {"oscar@example.com", "owner", &fx.inviteOwner}} {
		r := pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization":%q,"email":%q,"role":%q}`, fx.orgIRI, inv.email, inv.role))
		if r.Status != http.StatusCreated {
			t.Fatalf("fixture invitation: %d %s", r.Status, r.Body)
		}
		*inv.iri = pmS(r.obj()["@id"])
		// Sent a while ago: a resend visibly moves the expiry.
		if err := e.db.Invitation.UpdateOneID(pmIDOf(*inv.iri)).SetExpiresAt(time.Now().Add(time.Hour)).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	r := pmPost(e, "/api/workspaces", ada, fmt.Sprintf(`{"organization":%q,"name":"Design"}`, fx.orgIRI))
	if r.Status != http.StatusCreated {
		t.Fatalf("fixture workspace: %d %s", r.Status, r.Body)
	}
	fx.workspace = pmS(r.obj()["@id"])
	return fx
}

// ---------------------------------------------------------------------------
// The matrix

// pmActor is one column: who calls, and their role in the organization
// ("" when they are not a member as far as the key is concerned).
type pmActor struct{ name, person, key, role string }

// Column order of pmAction.want.
const (
	pmOwner = iota
	pmAdmin
	pmDeveloper
	pmViewer
	pmOutsider
	pmTestKey
	pmReadKey
	pmColumns
)

type pmAction struct {
	name string
	read bool // a read: the database must not change, even on success
	// needs are the permissions beyond the base ones (schema.BasePermissions,
	// which every role holds) that the action takes: a custom role holding
	// exactly them succeeds as the owner does, and one lacking any of them
	// is refused (TestPermissionMatrix's custom-role columns).
	needs []schema.Permission
	want  [pmColumns]int
	do    func(e *env, fx *pmFixture, key string) *response
	check func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) // on success
}

func pmPatch(e *env, path, key, body string) *response {
	e.t.Helper()
	return e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: body})
}

func pmDelete(e *env, path, key string) *response {
	e.t.Helper()
	return e.do(req{Method: http.MethodDelete, Path: path, Key: key})
}

func pmGet(e *env, path, key string) *response {
	e.t.Helper()
	return e.do(req{Path: path, Key: key})
}

// pmField checks one property of a successful answer.
func pmField(name string, want any) func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
	return func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
		t.Helper()
		if got := r.obj()[name]; !reflect.DeepEqual(pmNorm(t, got), pmNorm(t, want)) {
			t.Errorf("%s = %v, want %v\n%s", name, got, want, r.Body)
		}
	}
}

// pmTotal checks a collection's totalItems: members see want, others none.
// probed is 1 more for the holder of the custom role "probe": the role
// and its member are one more of each.
func pmTotal(want int, probed int) func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
	return func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
		t.Helper()
		n := want
		if a.role == "probe" {
			n += probed
		}
		if a.role == "" {
			n = 0
		}
		if got := r.obj()["totalItems"]; got != float64(n) || len(pmList(r.obj()["member"])) != n {
			t.Errorf("totalItems %v with %d members, want %d\n%s", got, len(pmList(r.obj()["member"])), n, r.Body)
		}
	}
}

// pmGone checks that ada (owner) no longer finds what the IRI names.
func pmGone(iri func(fx *pmFixture) string) func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
	return func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
		t.Helper()
		pmProblem(t, "GET after DELETE", pmGet(e, iri(fx), fx.ownerKey), http.StatusNotFound)
	}
}

// pmAll are every permission beyond the base ones: what covering the
// owner role (making, unmaking, removing or inviting an owner) takes.
var pmAll = schema.Lacking(schema.BasePermissions, schema.RolePermissions[schema.RoleOwner])

var pmActions = []pmAction{
	{
		name: "GET organization", read: true,
		want: [pmColumns]int{200, 200, 200, 200, 404, 404, 200},
		do:   func(e *env, fx *pmFixture, key string) *response { return pmGet(e, fx.orgIRI, key) },
		check: func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
			d := r.obj()
			if d["@id"] != fx.orgIRI || d["member_count"] != float64(len(fx.members)) || d["current_user_role"] != a.role {
				t.Errorf("@id %v member_count %v current_user_role %v, want %s %d %s", d["@id"], d["member_count"], d["current_user_role"], fx.orgIRI, len(fx.members), a.role)
			}
		},
	},
	{
		name:  "PATCH organization name",
		needs: []schema.Permission{schema.UpdateOrganization},
		want:  [pmColumns]int{200, 200, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.orgIRI, key, `{"name":"Renamed"}`)
		},
		check: pmField("name", "Renamed"),
	},
	{
		name: "PATCH organization status (suspend)",
		// A PATCH takes organization:update; a new status, the status
		// permission as well.
		needs: []schema.Permission{schema.UpdateOrganization, schema.ChangeStatus},
		want:  [pmColumns]int{200, 403, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.orgIRI, key, `{"status":{"current_status":"SUSPENDED"}}`)
		},
		check: func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
			if st := pmObj(r.obj()["status"]); st["current_status"] != "SUSPENDED" || len(pmList(st["status_history"])) != 2 {
				t.Errorf("status %v, want SUSPENDED with 2 history entries", st)
			}
		},
	},
	{
		name:  "DELETE organization",
		needs: []schema.Permission{schema.DeleteOrganization},
		want:  [pmColumns]int{204, 403, 403, 403, 404, 404, 403},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmDelete(e, fx.orgIRI, key) },
		check: pmGone(func(fx *pmFixture) string {
			return fx.orgIRI
		}),
	},
	{
		name: "GET members ?organization=", read: true,
		want: [pmColumns]int{200, 200, 200, 200, 200, 200, 200},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmGet(e, "/api/members?organization="+fx.orgIRI, key)
		},
		check: pmTotal(6, 1),
	},
	{
		name: "GET a member", read: true,
		want:  [pmColumns]int{200, 200, 200, 200, 404, 404, 200},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmGet(e, fx.members["tim"], key) },
		check: pmField("role", "viewer"),
	},
	{
		name:  "PATCH a viewer's role to developer",
		needs: []schema.Permission{schema.ManageMembers, schema.ManageWorkspaces},
		want:  [pmColumns]int{200, 200, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.members["tim"], key, `{"role":"developer"}`)
		},
		check: pmField("role", "developer"),
	},
	{
		name:  "PATCH a viewer's role to owner (promote)",
		needs: pmAll,
		want:  [pmColumns]int{200, 403, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.members["tim"], key, `{"role":"owner"}`)
		},
		check: pmField("role", "owner"),
	},
	{
		name:  "PATCH an owner's role to admin (demote)",
		needs: pmAll,
		want:  [pmColumns]int{200, 403, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.members["olga"], key, `{"role":"admin"}`)
		},
		check: pmField("role", "admin"),
	},
	{
		name:  "DELETE a non-owner member",
		needs: []schema.Permission{schema.ManageMembers},
		want:  [pmColumns]int{204, 204, 403, 403, 404, 404, 403},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmDelete(e, fx.members["tim"], key) },
		check: pmGone(func(fx *pmFixture) string {
			return fx.members["tim"]
		}),
	},
	{
		name:  "DELETE an owner member (two owners)",
		needs: pmAll,
		want:  [pmColumns]int{204, 403, 403, 403, 404, 404, 403},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmDelete(e, fx.members["olga"], key) },
		check: pmGone(func(fx *pmFixture) string {
			return fx.members["olga"]
		}),
	},
	{
		name:  "POST invitation (role viewer)",
		needs: []schema.Permission{schema.ManageInvitations},
		// An organization IRI the caller cannot see in a body is a 400 (spec).
		want: [pmColumns]int{201, 201, 403, 403, 400, 400, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, "/api/invitations", key, fmt.Sprintf(`{"organization":%q,"email":"new@example.com","role":"viewer"}`, fx.orgIRI))
		},
		check: pmField("status", "pending"),
	},
	{
		name:  "POST invitation (role owner)",
		needs: pmAll,
		want:  [pmColumns]int{201, 403, 403, 403, 400, 400, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, "/api/invitations", key, fmt.Sprintf(`{"organization":%q,"email":"new@example.com","role":"owner"}`, fx.orgIRI))
		},
		check: pmField("role", "owner"),
	},
	{
		name:  "POST members/invite alias (role viewer)",
		needs: []schema.Permission{schema.ManageInvitations},
		want:  [pmColumns]int{201, 201, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, fx.orgIRI+"/members/invite", key, `{"email":"new@example.com"}`)
		},
		check: pmField("role", "viewer"),
	},
	{
		name: "GET invitations ?organization=", read: true,
		want: [pmColumns]int{200, 200, 200, 200, 200, 200, 200},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmGet(e, "/api/invitations?organization="+fx.orgID, key)
		},
		check: pmTotal(2, 0),
	},
	{
		name: "GET an invitation", read: true,
		want:  [pmColumns]int{200, 200, 200, 200, 404, 404, 200},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmGet(e, fx.inviteViewer, key) },
		check: pmField("status", "pending"),
	},
	{
		name:  "revoke a viewer invitation",
		needs: []schema.Permission{schema.ManageInvitations},
		want:  [pmColumns]int{200, 200, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, fx.inviteViewer+"/revoke", key, "")
		},
		check: pmField("status", "revoked"),
	},
	{
		name:  "revoke an owner invitation",
		needs: pmAll,
		want:  [pmColumns]int{200, 403, 403, 403, 404, 404, 403},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmPost(e, fx.inviteOwner+"/revoke", key, "") },
		check: pmField("status", "revoked"),
	},
	{
		name:  "resend a viewer invitation",
		needs: []schema.Permission{schema.ManageInvitations},
		want:  [pmColumns]int{200, 200, 403, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, fx.inviteViewer+"/resend", key, "")
		},
		check: pmField("status", "pending"),
	},
	{
		name:  "POST workspace",
		needs: []schema.Permission{schema.ManageWorkspaces},
		want:  [pmColumns]int{201, 201, 201, 403, 400, 400, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, "/api/workspaces", key, fmt.Sprintf(`{"organization":%q,"name":"Ops"}`, fx.orgIRI))
		},
		check: pmField("name", "Ops"),
	},
	{
		name:  "POST workspaces alias",
		needs: []schema.Permission{schema.ManageWorkspaces},
		want:  [pmColumns]int{201, 201, 201, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, fx.orgIRI+"/workspaces", key, `{"name":"Ops"}`)
		},
		check: func(t *testing.T, e *env, fx *pmFixture, a pmActor, r *response) {
			// The organization comes from the path.
			if r.obj()["organization"] != fx.orgIRI || r.obj()["name"] != "Ops" {
				t.Errorf("organization %v name %v, want %s Ops", r.obj()["organization"], r.obj()["name"], fx.orgIRI)
			}
		},
	},
	{
		name:  "PATCH workspace",
		needs: []schema.Permission{schema.ManageWorkspaces},
		want:  [pmColumns]int{200, 200, 200, 403, 404, 404, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPatch(e, fx.workspace, key, `{"name":"Renamed"}`)
		},
		check: pmField("name", "Renamed"),
	},
	{
		name:  "DELETE workspace",
		needs: []schema.Permission{schema.ManageWorkspaces},
		want:  [pmColumns]int{204, 204, 204, 403, 404, 404, 403},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmDelete(e, fx.workspace, key) },
		check: pmGone(func(fx *pmFixture) string {
			return fx.workspace
		}),
	},
	{
		name:  "POST domain",
		needs: []schema.Permission{schema.ManageDomains},
		want:  [pmColumns]int{201, 201, 403, 403, 400, 400, 403},
		do: func(e *env, fx *pmFixture, key string) *response {
			return pmPost(e, "/api/domains", key, fmt.Sprintf(`{"organization":%q,"domain":"acme.test"}`, fx.orgIRI))
		},
		check: pmField("status", "pending"),
	},
	{
		name: "GET workspaces alias", read: true,
		want:  [pmColumns]int{200, 200, 200, 200, 404, 404, 200},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmGet(e, fx.orgIRI+"/workspaces", key) },
		check: pmTotal(1, 0),
	},
	{
		name: "GET roles alias", read: true,
		want:  [pmColumns]int{200, 200, 200, 200, 404, 404, 200},
		do:    func(e *env, fx *pmFixture, key string) *response { return pmGet(e, fx.orgIRI+"/roles", key) },
		check: pmTotal(4, 1),
	},
}

func TestPermissionMatrix(t *testing.T) {
	t.Parallel() // one of the package's slowest; it shares no process-wide state (harness_test.go)
	eachBackend(t, func(t *testing.T, e *env) {
		c := pmNewCast(t, e)
		actors := [pmColumns]pmActor{
			pmOwner:     {"owner", "ada", c.keys["ada"], "owner"},
			pmAdmin:     {"admin", "bob", c.keys["bob"], "admin"},
			pmDeveloper: {"developer", "dave", c.keys["dave"], "developer"},
			pmViewer:    {"viewer", "vic", c.keys["vic"], "viewer"},
			pmOutsider:  {"non-member", "eve", c.keys["eve"], ""},
			pmTestKey:   {"owner's test-mode key", "ada", c.keys["ada-test"], ""},
			pmReadKey:   {"owner's read-only key", "ada", c.keys["ada-read"], "owner"},
		}
		for _, act := range pmActions {
			for col, a := range actors {
				pmCell(t, e, c, act, a, act.want[col], nil)
			}
			// Permission × action: a custom role holding exactly what the
			// action needs does it as the owner does; one lacking any one
			// of those permissions is refused, as is any role lacking it.
			cora := pmActor{"custom role holding " + pmNames(act.needs), "cora", c.keys["cora"], "probe"}
			pmCell(t, e, c, act, cora, act.want[pmOwner], act.needs)
			for _, p := range act.needs {
				without := schema.Lacking([]schema.Permission{p}, act.needs)
				cora := pmActor{"custom role lacking " + string(p), "cora", c.keys["cora"], "probe"}
				pmCell(t, e, c, act, cora, http.StatusForbidden, without)
			}
		}
	})
}

func pmNames(perms []schema.Permission) string {
	if len(perms) == 0 {
		return "the base permissions"
	}
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = string(p)
	}
	return strings.Join(names, " ")
}

// pmCell runs one action by one actor on a fresh organization; perms, when
// the actor holds the custom role "probe", are its permissions (made in
// the fixture before the snapshot).
func pmCell(t *testing.T, e *env, c *pmCast, act pmAction, a pmActor, want int, perms []schema.Permission) {
	t.Run(act.name+"/"+a.name, func(t *testing.T) {
		fx := c.fixture(t, e)
		if a.role == "probe" {
			ctx := context.Background()
			org := uuid.MustParse(fx.orgID)
			if err := e.db.Role.Create().SetOrganizationID(org).SetSlug("probe").SetName("Probe").
				SetPermissions(schema.Normalize(perms)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			fx.members["cora"] = pmAddMember(t, e, fx.orgID, c.users["cora"].ID, "probe")
		}
		before := pmSnapshot(t, e)
		r := act.do(e, fx, a.key)
		what := fmt.Sprintf("%s by %s", act.name, a.name)
		if want >= 400 {
			pmProblem(t, what, r, want)
			pmUnchanged(t, e, what, before)
			return
		}
		if !pmOK(t, what, r, want) {
			return
		}
		if act.check != nil {
			act.check(t, e, fx, a, r)
		}
		if act.read {
			pmUnchanged(t, e, what, before)
		} else if pmSnapshot(t, e) == before {
			t.Errorf("%s: %d, but the database did not change", what, r.Status)
		}
	})
}
