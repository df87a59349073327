// What every resource's handlers share: the caller as the domain sees it,
// collection requests (query, filters, order, pages and their headers),
// item answers, and the nested alias routes.

package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// callerOf is the domain's view of the request's caller.
func callerOf(r *http.Request) orgs.Caller { return caller(r.Context()).Caller }

// enterReferenced enters an organization named in a request body: one the
// caller cannot see is a 400, as API Platform answers an IRI it cannot
// resolve ("Item not found for …").
func (s *Server) enterReferenced(ctx context.Context, tx *ent.Tx, c orgs.Caller, id string) (*orgs.Scope, error) {
	sc, err := s.orgs.Enter(ctx, tx, c, uuid.MustParse(id))
	if errors.Is(err, orgs.ErrNotFound) {
		return sc, problems.BadRequest(fmt.Sprintf("Item not found for %q.", hydra.Organization.IRI(id)))
	}
	return sc, err
}

// order is a collection request's order[...] as the domain's sort keys.
func order(q hydra.Query) []orgs.Order {
	out := make([]orgs.Order, len(q.Order))
	for i, o := range q.Order {
		out[i] = orgs.Order{Field: o.Property, Desc: o.Desc}
	}
	return out
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

// filterSlug reads a filter whose value is a role's slug: a value no slug
// can take is a 400, as an enumeration's unknown value is; a slug of no
// role matches nothing.
func filterSlug(q hydra.Query, name string) (string, bool, error) {
	v, ok := q.Filters[name]
	if !ok {
		return "", false, nil
	}
	if !schema.SlugPattern.MatchString(v) {
		return "", false, problems.BadRequest(fmt.Sprintf("The %q parameter must be a role's slug (a lower-case letter, then up to 39 lower-case letters, digits, - or _), %q given.", name, v))
	}
	return v, true, nil
}

// writePage reads one page of a list and counts it (unless partial), then
// writes the collection; nodes makes the page's documents. A page whose
// query came back short (and not empty, and kept every row) tells the
// count itself, offset + its length: most collections fit in one page, and
// then the count's statement is saved.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, c *hydra.Class, q hydra.Query,
	list orgs.List[T], nodes func([]T) ([]*hydra.Node, error)) error {
	ctx := r.Context()
	if c.Resource.Cursor && !q.Paged {
		return writeCursorPage(s, w, r, c, q, list, nodes)
	}
	var items []T
	rows := 0
	if q.ItemsPerPage > 0 { // itemsPerPage=0 asks for the count alone (a limit of 0 is none to ent)
		var err error
		if items, rows, err = list.Page(ctx, q.Offset(), q.ItemsPerPage); err != nil {
			return fmt.Errorf("list %s: %w", c.Name, err)
		}
	}
	members, err := nodes(items)
	if err != nil {
		return err
	}
	total := 0
	switch {
	case q.Partial:
	case rows > 0 && rows < q.ItemsPerPage && len(items) == rows:
		total = q.Offset() + rows
	default:
		n, err := list.Count(ctx)
		if err != nil {
			return fmt.Errorf("count %s: %w", c.Name, err)
		}
		total = n
	}
	return s.writeCollection(w, r, &hydra.Collection{Class: c, Query: q, Members: members, Total: total, Requested: r.RequestURI})
}

// writeCollection writes a page of a collection with the headers API
// Platform puts on it, and for plain JSON its place in headers.
func (s *Server) writeCollection(w http.ResponseWriter, r *http.Request, page *hydra.Collection) error {
	if page.Class.Resource.Has(hydra.Post) {
		w.Header().Set("Accept-Post", strings.Join(createTypes, ", ")) // API Platform 4.3+
	}
	if f, err := negotiate(r); err == nil && f == hydra.JSON {
		s.pagingHeaders(w.Header(), r, page)
	}
	return s.writeDocument(w, r, http.StatusOK, page)
}

// writeCursorPage writes the page after (or before) the place a cursor
// names, or the first page: keyset pages, as deep as the collection is, at
// the cost of the first. The count is stated when the first page is the
// whole collection, or asked for alone (itemsPerPage=0); page= asks for
// numbered pages, counted.
func writeCursorPage[T any](s *Server, w http.ResponseWriter, r *http.Request, c *hydra.Class, q hydra.Query,
	list orgs.List[T], nodes func([]T) ([]*hydra.Node, error)) error {
	from, forward, err := parseListCursor(q.Cursor, list.Ordered())
	if err != nil {
		return err
	}
	page := &hydra.Collection{Class: c, Query: q, Requested: r.RequestURI}
	if q.ItemsPerPage > 0 {
		items, more, err := list.Seek(r.Context(), from, forward, q.ItemsPerPage)
		if errors.Is(err, orgs.ErrBadKey) {
			return hydra.BadCursor()
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", c.Name, err)
		}
		if page.Members, err = nodes(items); err != nil {
			return err
		}
		page.PreviousCursor, page.NextCursor = listNeighbours(list, items, from, forward, more)
		page.Total, page.Counted = len(items), from == nil && !more
	} else { // itemsPerPage=0 asks for the count alone
		n, err := list.Count(r.Context())
		if err != nil {
			return fmt.Errorf("count %s: %w", c.Name, err)
		}
		page.Total, page.Counted = n, true
	}
	return s.writeCollection(w, r, page)
}

// listNeighbours are the cursors of a keyset page's previous and next
// pages ("" for none): that way there are items when the read went on
// past the page, or started at a cursor from that side. An empty page
// links back where it came from, never to itself.
func listNeighbours[T any](list orgs.List[T], items []T, from orgs.Key, forward, more bool) (previous, next string) {
	order := list.Ordered()
	if len(items) == 0 {
		// Nothing past the place that way: the page on the other side is
		// the list's end that way, read from there (a read from the place
		// would leave the place itself out).
		switch {
		case from == nil:
		case forward:
			previous = listCursor(order, nil, false)
		default:
			next = listCursor(order, nil, true)
		}
		return previous, next
	}
	if (forward && from != nil) || (!forward && more) {
		previous = listCursor(order, list.KeyOf(items[0]), false)
	}
	if (forward && more) || (!forward && from != nil) {
		next = listCursor(order, list.KeyOf(items[len(items)-1]), true)
	}
	return previous, next
}

// A list's cursor is a place in its order and a direction, opaque to
// clients: the order it was made under, "n" (the page after the place) or
// "p" (the page before it) and the place's keys (none: the list's start,
// or its end), as JSON in base64url. A cursor read under another order is
// refused.
type listCursorJSON struct {
	Order string   `json:"o"`
	Dir   string   `json:"d"`
	Key   []string `json:"k"`
}

func listCursor(order string, key orgs.Key, forward bool) string {
	dir := "p"
	if forward {
		dir = "n"
	}
	b, _ := json.Marshal(listCursorJSON{Order: order, Dir: dir, Key: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseListCursor reads a cursor made under the order; "" is the start.
func parseListCursor(cursor, order string) (from orgs.Key, forward bool, err error) {
	if cursor == "" {
		return nil, true, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var c listCursorJSON
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Order != order || (c.Dir != "n" && c.Dir != "p") {
		return nil, false, hydra.BadCursor()
	}
	if len(c.Key) == 0 { // an end of the list
		return nil, c.Dir == "n", nil
	}
	return c.Key, c.Dir == "n", nil
}

// eachNode makes a page's documents one item at a time.
func eachNode[T any](node func(T) *hydra.Node) func([]T) ([]*hydra.Node, error) {
	return func(items []T) ([]*hydra.Node, error) {
		nodes := make([]*hydra.Node, len(items))
		for i, item := range items {
			nodes[i] = node(item)
		}
		return nodes, nil
	}
}

// TotalCountHeader carries the number of items of a plain JSON collection.
const TotalCountHeader = "X-Total-Count"

// pagingHeaders put a plain JSON page's place in its collection in headers,
// since its body is a bare array: Link relations (RFC 8288, absolute URLs)
// to the pages the JSON-LD view names, after the documentation link, and
// the total count, absent with partial=true as totalItems is.
func (s *Server) pagingHeaders(h http.Header, r *http.Request, page *hydra.Collection) {
	if page.HasTotal() {
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
func (s *Server) enterOrganizationOf(ctx context.Context, tx *ent.Tx, r *http.Request, id string) (*orgs.Scope, error) {
	if _, alias := mux.Vars(r)["org"]; alias {
		return s.orgs.Enter(ctx, tx, callerOf(r), uuid.MustParse(id))
	}
	return s.enterReferenced(ctx, tx, callerOf(r), id)
}

// aliasQuery makes an alias collection request the canonical one: the
// organization filter is set from the path, after checking that the caller
// can see the organization (else 404, as for any item of another tenant).
func (s *Server) aliasQuery(r *http.Request, q *hydra.Query) error {
	id, ok, err := routeOrganization(r)
	if !ok {
		return err
	}
	if _, err := s.orgs.Organization(r.Context(), callerOf(r), id); err != nil {
		return err
	}
	q.SetFilter("organization", id.String())
	return nil
}

// getItem serves the GET of one item: the route's id, the domain's read of
// it for the caller (what they cannot see is orgs.ErrNotFound, a 404), then
// its document as the caller reads it.
func getItem[T any](s *Server, read func(context.Context, orgs.Caller, uuid.UUID) (T, error), document func(*http.Request, T) (*hydra.Node, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, ok := routeID(r)
		if !ok {
			return problems.NotFound()
		}
		item, err := read(r.Context(), callerOf(r), id)
		if err != nil {
			return err
		}
		n, err := document(r, item)
		if err != nil {
			return err
		}
		return s.writeItem(w, r, http.StatusOK, n)
	}
}

// infallible is a document function that reads nothing more.
func infallible[T any](document func(*http.Request, T) *hydra.Node) func(*http.Request, T) (*hydra.Node, error) {
	return func(r *http.Request, item T) (*hydra.Node, error) { return document(r, item), nil }
}

// deleteItem serves a DELETE of one item: the route's id, then del in a
// transaction (entering the item's organization, checking the
// precondition, deleting); 204.
func (s *Server) deleteItem(del func(tx *ent.Tx, r *http.Request, id uuid.UUID) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, ok := routeID(r)
		if !ok {
			return problems.NotFound()
		}
		if err := s.db.Tx(r.Context(), func(tx *ent.Tx) error { return del(tx, r, id) }); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// itemAction serves a bodiless POST action on one item (revoke, retry…):
// the answer's format checked first, the route's id, then act in a
// transaction whose answer is the document act returns; 200.
func (s *Server) itemAction(act func(tx *ent.Tx, r *http.Request, id uuid.UUID) (*hydra.Node, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := negotiateEarly(r); err != nil {
			return err
		}
		id, ok := routeID(r)
		if !ok {
			return problems.NotFound()
		}
		var n *hydra.Node
		err := s.answeringTx(r, func(tx *ent.Tx) (err error) {
			n, err = act(tx, r, id)
			return err
		})
		if err != nil {
			return err
		}
		return s.writeItem(w, r, http.StatusOK, n)
	}
}

// createOwned serves the POST that makes an organization-owned item: the
// body decoded, the organization it names (or the alias path's) entered
// for the write, then build turns the body into the item's document; 201.
func (s *Server) createOwned(w http.ResponseWriter, r *http.Request, c *hydra.Class,
	build func(ctx context.Context, sc *orgs.Scope, in hydra.Input) (*hydra.Node, error)) error {
	ctx := r.Context()
	in, err := s.decodeCreate(w, r, c)
	if err != nil {
		return err
	}
	orgID, _ := in.String("organization")
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterOrganizationOf(ctx, tx, r, orgID)
		if err != nil {
			return err
		}
		n, err = build(ctx, sc, in)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

// patchOwned serves the PATCH of an organization-owned item: the route's
// item entered for a change (its rule, then If-Match: enter), the body
// decoded against the class, then change applies it and makes the
// document; 200.
func patchOwned[T any](s *Server, w http.ResponseWriter, r *http.Request, c *hydra.Class,
	enter func(tx *ent.Tx, r *http.Request, id uuid.UUID) (*orgs.Scope, T, error),
	change func(ctx context.Context, sc *orgs.Scope, item T, in hydra.Input) (*hydra.Node, error)) error {
	id, body, err := readPatch(w, r)
	if err != nil {
		return err
	}
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, item, err := enter(tx, r, id)
		if err != nil {
			return err
		}
		in, err := s.decode(r, c, body, false)
		if err != nil {
			return err
		}
		n, err = change(r.Context(), sc, item, in)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}
