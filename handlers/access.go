package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// Who may do what: one organization at a time, by the caller's role in it.
// An organization the caller does not belong to (or of the other mode) does
// not exist for them: 404. A role without the permission: 403.

// callerMembership is the visibility rule as SQL: the caller belongs to the
// organization whose id is in s's orgColumn (and, withMode, it is of the
// caller's mode). A correlated subquery, one probe of the (organization_id,
// user_id) index per row: ent's Has…With writes "IN (SELECT organization_id
// FROM members WHERE user_id = ?)", which SQLite materializes first, every
// membership of the caller on every request (1 ms for a member of 10,000).
//
// On SQLite it is written "(SELECT count(*) …) > 0" rather than EXISTS,
// which means the same here (the index is unique): SQLite plans a query
// with EXISTS as a join, which marks its parameters as ones a new value
// may re-plan, and go-sqlite3 clears a cached statement's bindings before
// each run, which re-plans such a statement every time (a lookup by id:
// 28 µs instead of 13, measured on the bench's database).
func callerMembership(p *principal, s *entsql.Selector, orgColumn string, withMode bool) *entsql.Predicate {
	m := entsql.Table(member.Table).As("caller_membership")
	sub := entsql.Select(m.C(member.FieldID)).From(m)
	where := []*entsql.Predicate{
		entsql.ColumnsEQ(m.C(member.FieldOrganizationID), orgColumn),
		entsql.EQ(m.C(member.FieldUserID), p.User.ID),
	}
	if withMode {
		o := entsql.Table(organization.Table).As("caller_organization")
		sub.Join(o).On(o.C(organization.FieldID), m.C(member.FieldOrganizationID))
		where = append(where, entsql.EQ(o.C(organization.FieldMode), p.Mode))
	}
	sub.Where(entsql.And(where...))
	if s.Dialect() != dialect.SQLite {
		return entsql.Exists(sub) // PostgreSQL plans it as a semi-join
	}
	sub.Select(entsql.Count("*"))
	return entsql.P(func(b *entsql.Builder) {
		b.Wrap(func(b *entsql.Builder) { b.Join(sub) })
		b.WriteString(" > 0")
	})
}

// visibleThrough is the visibility rule for a row of another table that
// belongs to an organization: its organization_id names one the caller sees.
func visibleThrough(p *principal) func(*entsql.Selector) {
	return func(s *entsql.Selector) { s.Where(callerMembership(p, s, s.C("organization_id"), true)) }
}

// scope is an organization as the caller sees it inside a transaction.
type scope struct {
	org *ent.Organization
	me  *ent.Member // the caller's membership
}

// can is a 403 unless the caller's role holds the permission. The detail
// names the role, the permission it lacks and the roles that hold it, so
// that the caller knows whom to ask.
func (sc scope) can(perm schema.Permission) error {
	if schema.Can(string(sc.me.Role), perm) {
		return nil
	}
	return problems.Forbidden(fmt.Sprintf("Your role (%s) lacks the %q permission%s.", sc.me.Role, perm, heldBy(perm)))
}

// heldBy names the roles that hold a permission, most powerful first:
// ", which the owner and admin roles hold".
func heldBy(perm schema.Permission) string {
	var roles []string
	for _, r := range schema.RoleCatalog {
		if schema.Can(r.Slug, perm) {
			roles = append(roles, r.Slug)
		}
	}
	switch n := len(roles); n {
	case 0:
		return ""
	case 1:
		return ", which only the " + roles[0] + " role holds"
	default:
		return ", which the " + strings.Join(roles[:n-1], ", ") + " and " + roles[n-1] + " roles hold"
	}
}

// active is a 403 when the organization is suspended: it stays readable, but
// its members, invitations and workspaces cannot change.
func (sc scope) active() error {
	if sc.org.Status == organization.StatusSUSPENDED {
		return problems.Forbidden("The organization is suspended: its members, invitations and workspaces cannot change until an owner reactivates it.")
	}
	return nil
}

// enter locks an organization for the transaction and loads it with the
// caller's membership; anything the caller cannot see is a 404.
func (s *Server) enter(ctx context.Context, tx *ent.Tx, p *principal, orgID uuid.UUID) (scope, error) {
	if err := s.db.LockOrganization(ctx, tx, orgID); err != nil {
		if ent.IsNotFound(err) {
			return scope{}, problems.NotFound()
		}
		return scope{}, err
	}
	return s.look(ctx, tx.Client(), p, orgID)
}

// look loads an organization and the caller's membership without a lock.
func (s *Server) look(ctx context.Context, c *ent.Client, p *principal, orgID uuid.UUID) (scope, error) {
	org, err := found(c.Organization.Query().Where(organization.ID(orgID), visibleOrganizations(p)).Only(ctx))
	if err != nil {
		return scope{}, err
	}
	me, err := c.Member.Query().Where(member.OrganizationID(orgID), member.UserID(p.User.ID)).Only(ctx)
	if err != nil {
		return scope{}, fmt.Errorf("find membership: %w", err)
	}
	return scope{org: org, me: me}, nil
}

// enterReferenced is enter for an organization named in a request body: one
// the caller cannot see is a 400, as API Platform answers an IRI it cannot
// resolve ("Item not found for …").
func (s *Server) enterReferenced(ctx context.Context, tx *ent.Tx, p *principal, id string) (scope, error) {
	sc, err := s.enter(ctx, tx, p, uuid.MustParse(id))
	if isStatus(err, http.StatusNotFound) {
		return sc, problems.BadRequest(fmt.Sprintf("Item not found for %q.", hydra.Organization.IRI(id)))
	}
	return sc, err
}

// found reads the result of looking up the item a route or body names: not
// found (absent, or not visible to the caller) is a 404.
func found[T any](v T, err error) (T, error) {
	var zero T
	if ent.IsNotFound(err) {
		return zero, problems.NotFound()
	}
	if err != nil {
		return zero, fmt.Errorf("find %T: %w", v, err)
	}
	return v, nil
}

func isStatus(err error, status int) bool {
	p, ok := err.(*problems.Problem)
	return ok && p.Status == status
}

// violation is a 422 with one violation.
func violation(path, message, code string) *problems.Problem {
	return problems.Validation([]problems.Violation{{PropertyPath: path, Message: message, Code: code}})
}

// listQuery parses a collection request's query string and negotiates the
// format before any database work (a 400 or 406 costs nothing). A page
// rendered through the JSON-LD processor holds at most
// hydra.MaxProcessedItemsPerPage items.
func listQuery(r *http.Request, c *hydra.Class) (hydra.Query, error) {
	q, prob := c.Resource.ParseQuery(r.URL.RawQuery)
	if prob != nil {
		return q, prob
	}
	if err := negotiateEarly(r); err != nil {
		return q, err
	}
	if f, err := negotiate(r); err == nil && f.Processed() {
		q.LimitItemsPerPage(hydra.MaxProcessedItemsPerPage)
	}
	return q, nil
}

// orderBy turns order[...] into ent order options, with the id last so that
// pages are stable.
func orderBy[O ~func(*entsql.Selector)](q hydra.Query) []O {
	var out []O
	for _, o := range q.Order {
		dir := entsql.OrderAsc()
		if o.Desc {
			dir = entsql.OrderDesc()
		}
		out = append(out, O(entsql.OrderByField(o.Property, dir).ToFunc()))
	}
	return append(out, O(entsql.OrderByField("id").ToFunc()))
}

// filterID reads a filter that names an item of class c by IRI or bare id.
func filterID(q hydra.Query, name string, c *hydra.Class) (uuid.UUID, bool, error) {
	v, ok := q.Filters[name]
	if !ok {
		return uuid.UUID{}, false, nil
	}
	id, valid := c.ParseIRI(v)
	if !valid {
		if u, err := uuid.Parse(v); err == nil && u.String() == v {
			id, valid = v, true
		}
	}
	if !valid {
		return uuid.UUID{}, false, problems.BadRequest(fmt.Sprintf("The %q parameter must be an IRI or id of a %s, %q given.", name, c.Name, v))
	}
	return uuid.MustParse(id), true, nil
}

// filterEnum reads a filter whose value must be one of a list.
func filterEnum(q hydra.Query, name string, values []string) (string, bool, error) {
	v, ok := q.Filters[name]
	if !ok {
		return "", false, nil
	}
	for _, allowed := range values {
		if v == allowed {
			return v, true, nil
		}
	}
	return "", false, problems.BadRequest(fmt.Sprintf("The %q parameter must be one of %s, %q given.", name, strings.Join(values, ", "), v))
}

// page fetches one page and counts (unless partial), then writes the
// collection. fetch reports the rows its query read beside the documents it
// made of them. A page whose query came back short (and not empty, and kept
// every row) tells the count itself, offset + its length: most collections
// fit in one page, and then the count's statement is saved.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, c *hydra.Class, q hydra.Query,
	count func() (int, error), fetch func(offset, limit int) (nodes []*hydra.Node, rows int, err error)) error {
	nodes, rows := []*hydra.Node{}, 0
	if q.ItemsPerPage > 0 { // itemsPerPage=0 asks for the count alone (a limit of 0 is none to ent)
		var err error
		if nodes, rows, err = fetch(q.Offset(), q.ItemsPerPage); err != nil {
			return fmt.Errorf("list %s: %w", c.Name, err)
		}
	}
	total := 0
	switch {
	case q.Partial:
	case rows > 0 && rows < q.ItemsPerPage && len(nodes) == rows:
		total = q.Offset() + rows
	default:
		n, err := count()
		if err != nil {
			return fmt.Errorf("count %s: %w", c.Name, err)
		}
		total = n
	}
	if c.Resource.Has(hydra.Post) {
		w.Header().Set("Accept-Post", strings.Join(createTypes, ", ")) // API Platform 4.3+
	}
	page := &hydra.Collection{Class: c, Query: q, Members: nodes, Total: total}
	if f, err := negotiate(r); err == nil && f == hydra.JSON {
		s.pagingHeaders(w.Header(), r, page)
	}
	return s.writeDocument(w, r, http.StatusOK, page)
}

// TotalCountHeader carries the number of items of a plain JSON collection.
const TotalCountHeader = "X-Total-Count"

// pagingHeaders put a plain JSON page's place in its collection in headers,
// since its body is a bare array: Link relations (RFC 8288, absolute URLs)
// to the pages the JSON-LD view names, after the documentation link, and
// the total count, absent with partial=true as totalItems is.
func (s *Server) pagingHeaders(h http.Header, r *http.Request, page *hydra.Collection) {
	if !page.Query.Partial {
		h.Set(TotalCountHeader, strconv.Itoa(page.Total))
	}
	v, ok := page.View()
	if !ok {
		return
	}
	// The documentation's link is written again rather than read from h:
	// the document cache captures a handler's headers in a map of their own
	// and puts them over the common ones.
	base := s.base(r)
	links := []string{hydra.DocsLink(base)}
	for _, l := range []struct{ rel, url string }{{"first", v.First}, {"prev", v.Previous}, {"next", v.Next}, {"last", v.Last}} {
		if l.url != "" {
			links = append(links, "<"+base+l.url+`>; rel="`+l.rel+`"`)
		}
	}
	h.Set("Link", strings.Join(links, ", "))
}

// writeItem writes one resource document with the headers API Platform puts
// on item answers.
func (s *Server) writeItem(w http.ResponseWriter, r *http.Request, status int, n *hydra.Node) error {
	n.Context = hydra.ContextsPath + n.Class.Name
	if n.Class.Resource.Has(hydra.Patch) {
		w.Header().Set("Accept-Patch", strings.Join(patchTypes, ", "))
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", n.ID)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if f, err := negotiate(r); err == nil && !f.Processed() {
			ext := map[hydra.Format]string{hydra.JSONLD: ".jsonld", hydra.JSON: ".json"}[f]
			w.Header().Set("Content-Location", n.ID+ext)
		}
	}
	return s.writeDocument(w, r, status, n)
}

// The nested paths of the original organizations API
// (/api/organizations/{org}/workspaces, …/roles, …/members/invite) are
// aliases: the organization comes from the path instead of the body or query.

// routeOrganization reads {org} of an alias route; ok is false on other routes.
func routeOrganization(r *http.Request) (id uuid.UUID, ok bool, err error) {
	raw, alias := mux.Vars(r)["org"]
	if !alias {
		return uuid.UUID{}, false, nil
	}
	id, err = uuid.Parse(raw)
	if err != nil || id.String() != raw {
		return uuid.UUID{}, false, problems.NotFound()
	}
	return id, true, nil
}

// organizationFromRoute is the organization an alias route fixes in a
// request body, or nil.
func organizationFromRoute(r *http.Request) (map[string]any, error) {
	id, ok, err := routeOrganization(r)
	if !ok {
		return nil, err
	}
	return map[string]any{"organization": hydra.Organization.IRI(id.String())}, nil
}

// enterOrganizationOf enters the organization a write names: from the path
// (an alias: unknown is 404) or from the body (unknown is 400).
func (s *Server) enterOrganizationOf(ctx context.Context, tx *ent.Tx, r *http.Request, p *principal, id string) (scope, error) {
	if _, alias := mux.Vars(r)["org"]; alias {
		return s.enter(ctx, tx, p, uuid.MustParse(id))
	}
	return s.enterReferenced(ctx, tx, p, id)
}

// aliasQuery makes an alias collection request the canonical one: the
// organization filter is set from the path, after checking that the caller
// can see the organization (else 404, as for any item of another tenant).
func (s *Server) aliasQuery(r *http.Request, q *hydra.Query) error {
	id, ok, err := routeOrganization(r)
	if !ok {
		return err
	}
	if _, err := s.look(r.Context(), s.db.Client, caller(r.Context()), id); err != nil {
		return err
	}
	q.SetFilter("organization", id.String())
	return nil
}
