package hydra

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/problems"
)

// Pagination defaults (API Platform: 30 per page; Orgraph allows the client
// to choose up to 100, because Admin always sends itemsPerPage).
const (
	DefaultItemsPerPage = 30
	MaxItemsPerPage     = 100
	// MaxProcessedItemsPerPage caps the pages rendered through the JSON-LD
	// processor (expanded, flattened, N-Quads), which cost several times a
	// compacted page per item.
	MaxProcessedItemsPerPage = 30
)

// MaxFilterLength bounds a filter's value, in characters: the longest value
// any filter can match is a 254-character email address, and a longer
// pattern only costs the database (SQLite refuses a LIKE pattern past
// 50,000 bytes with an error).
const MaxFilterLength = 256

// Param is one query parameter, in the order the client sent it.
type Param struct{ Key, Value string }

// Query is a parsed collection query.
type Query struct {
	Page         int
	ItemsPerPage int
	// Order lists the requested sort keys in the order sent; unknown
	// properties are dropped (ignored, as API Platform ignores them).
	Order []OrderBy
	// Filters holds the values of declared filters, by variable.
	Filters map[string]string
	// Partial skips counting: no totalItems, no first/last.
	Partial bool
	// Values holds every value of a Many filter, by variable (Filters
	// holds the last).
	Values map[string][]string
	// Cursor is the cursor sent (CursorParam), as the server issued it.
	Cursor string
	// Paged says that the client asked for a page by number.
	Paged bool
	// Metadata holds the metadata[key]=value filters (MetadataFilter), by
	// key.
	Metadata map[string]string
	params   []Param
}

// MaxMetadataFilters bounds the metadata[key] filters of one query.
const MaxMetadataFilters = 10

// CursorParam carries a cursor collection's position.
const CursorParam = "cursor"

// BadCursor is the problem of a cursor parameter this server did not give
// (for this collection and order), whoever finds it out.
func BadCursor() *problems.Problem {
	return problems.BadRequest(fmt.Sprintf("The %q parameter is not a cursor this server gave: follow the view's next and previous links.", CursorParam))
}

// MaxCursorLength bounds a cursor's parameter, in bytes: room for a place
// in a list sorted by a long name.
const MaxCursorLength = 1024

// OrderBy is one sort key.
type OrderBy struct {
	Property string
	Desc     bool
}

// ParseQuery reads page, itemsPerPage, partial, order[...] and the declared
// filters from a raw query string. Unknown parameters are ignored; invalid
// values of known ones are a 400 problem.
func (r *Resource) ParseQuery(rawQuery string) (Query, *problems.Problem) {
	q := Query{Page: 1, ItemsPerPage: DefaultItemsPerPage, Filters: map[string]string{}, Values: map[string][]string{}}
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return q, problems.BadRequest(fmt.Sprintf("The query string is not valid: %q.", part))
		}
		q.params = append(q.params, Param{key, val})
	}
	for _, p := range q.params {
		switch {
		case p.Key == "page":
			n, err := strconv.Atoi(p.Value)
			if err != nil {
				return q, problems.BadRequest(fmt.Sprintf("The \"page\" parameter must be an integer, %q given.", p.Value))
			}
			if n < 1 {
				return q, problems.BadRequest("Page should not be less than 1")
			}
			q.Page, q.Paged = n, true
		case p.Key == CursorParam && r.Cursor:
			if len(p.Value) > MaxCursorLength || p.Value == "" {
				return q, BadCursor()
			}
			q.Cursor = p.Value
		case p.Key == "itemsPerPage":
			n, err := strconv.Atoi(p.Value)
			if err != nil {
				return q, problems.BadRequest(fmt.Sprintf("The \"itemsPerPage\" parameter must be an integer, %q given.", p.Value))
			}
			if n < 0 {
				return q, problems.BadRequest("Limit should not be less than 0")
			}
			q.ItemsPerPage = min(n, MaxItemsPerPage)
		case p.Key == "partial":
			switch strings.ToLower(p.Value) {
			case "1", "true":
				q.Partial = true
			case "0", "false", "":
			default:
				return q, problems.BadRequest(fmt.Sprintf("The \"partial\" parameter must be true or false, %q given.", p.Value))
			}
		case r.MetadataFilter && strings.HasPrefix(p.Key, "metadata[") && strings.HasSuffix(p.Key, "]"):
			key := p.Key[len("metadata[") : len(p.Key)-1]
			switch n := utf8.RuneCountInString(key); {
			case n == 0 || n > schema.MetadataMaxKeyLength:
				return q, problems.BadRequest(fmt.Sprintf("A metadata filter's key must hold 1 to %d characters, %d given (metadata[key]=value).", schema.MetadataMaxKeyLength, n))
			case strings.ContainsRune(key, 0) || strings.ContainsRune(p.Value, 0):
				return q, problems.BadRequest(fmt.Sprintf("The %q parameter must not contain the character U+0000.", p.Key))
			case utf8.RuneCountInString(p.Value) > schema.MetadataMaxValueLength:
				return q, problems.BadRequest(fmt.Sprintf("The %q parameter must hold at most %d characters, as a metadata value does.", p.Key, schema.MetadataMaxValueLength))
			}
			if q.Metadata == nil {
				q.Metadata = map[string]string{}
			}
			q.Metadata[key] = p.Value
			if len(q.Metadata) > MaxMetadataFilters {
				return q, problems.BadRequest(fmt.Sprintf("A query takes at most %d metadata filters.", MaxMetadataFilters))
			}
		case isOrderKey(p.Key):
			prop := orderedProperty(p.Key)
			if !contains(r.Orderable, prop) {
				continue
			}
			var desc bool
			switch strings.ToLower(p.Value) {
			case "asc":
			case "desc":
				desc = true
			default:
				return q, problems.BadRequest(fmt.Sprintf("The %q parameter must be \"asc\" or \"desc\", %q given.", p.Key, p.Value))
			}
			q.Order = append(q.Order, OrderBy{Property: prop, Desc: desc})
		default:
			variable, ok := r.filterVariable(p.Key)
			if !ok {
				continue
			}
			if strings.ContainsRune(p.Value, 0) {
				return q, problems.BadRequest(fmt.Sprintf("The %q parameter must not contain the character U+0000.", p.Key))
			}
			if n := utf8.RuneCountInString(p.Value); n > MaxFilterLength {
				return q, problems.BadRequest(fmt.Sprintf("The %q parameter must hold at most %d characters, %d given.", p.Key, MaxFilterLength, n))
			}
			q.Filters[variable] = p.Value
			if f, many := r.manyFilter(variable); many {
				for _, v := range strings.Split(p.Value, ",") {
					if v = strings.TrimSpace(v); v != "" {
						q.Values[f.Variable] = append(q.Values[f.Variable], v)
					}
				}
				if len(q.Values[f.Variable]) > MaxFilterValues {
					return q, problems.BadRequest(fmt.Sprintf("The %q parameter takes at most %d values, %d given.", f.Variable, MaxFilterValues, len(q.Values[f.Variable])))
				}
			}
		}
	}
	if q.Paged && q.Cursor != "" {
		return q, problems.BadRequest(fmt.Sprintf("The \"page\" and %q parameters cannot be used together: a page is either numbered or after a cursor.", CursorParam))
	}
	if q.ItemsPerPage > 0 && q.Page-1 > math.MaxInt32/q.ItemsPerPage {
		return q, problems.BadRequest("Page is too large.")
	}
	if q.ItemsPerPage == 0 && q.Page > 1 {
		return q, problems.BadRequest("Page should not be greater than 1 if limit is equal to 0")
	}
	return q, nil
}

// MaxFilterValues bounds the values of one Many filter.
const MaxFilterValues = 32

// filterVariable is the declared filter variable a query parameter sets:
// the variable itself, a Many filter's name[], or a Date filter's bound in
// either spelling (name[after], or name.after as the search template
// writes it, for the reason order.name is).
func (r *Resource) filterVariable(key string) (string, bool) {
	for _, f := range r.Filters {
		switch {
		case f.Date:
			for _, bound := range DateBounds {
				if key == DateVariable(f.Variable, bound) || key == f.Variable+"."+bound {
					return DateVariable(f.Variable, bound), true
				}
			}
		case key == f.Variable, f.Many && key == f.Variable+"[]":
			return f.Variable, true
		}
	}
	return "", false
}

// manyFilter is the Many filter of a variable.
func (r *Resource) manyFilter(variable string) (Filter, bool) {
	for _, f := range r.Filters {
		if f.Many && f.Variable == variable {
			return f, true
		}
	}
	return Filter{}, false
}

// Sort parameters have two spellings. order[name] is API Platform's, which
// its Admin sends; order.name is the one the search IriTemplate advertises,
// because "[" and "]" may not appear in an RFC 6570 variable name (Comunica
// refuses such a template) while "." separates the parts of one. The
// percent-encoded alternative, order%5Bname%5D, is valid too, but alcaeus
// encodes variable names again when it expands a template and would send
// order%255Bname%255D: a dotted name survives every expander.
const (
	orderPrefix  = "order["
	orderDotted  = "order."
	orderTrailer = "]"
)

func isOrderKey(key string) bool {
	return strings.HasPrefix(key, orderPrefix) && strings.HasSuffix(key, orderTrailer) ||
		strings.HasPrefix(key, orderDotted) && len(key) > len(orderDotted)
}

// orderedProperty is the property a sort parameter names.
func orderedProperty(key string) string {
	if rest, ok := strings.CutPrefix(key, orderDotted); ok {
		return rest
	}
	return key[len(orderPrefix) : len(key)-len(orderTrailer)]
}

// OrderVariable is a sort parameter's name in the search IriTemplate.
func OrderVariable(property string) string { return orderDotted + property }

// OrderProperty is the vocabulary term a sort variable is mapped to, its
// value asc or desc: one per sortable property of the class, so that a
// client filling the template from a model never sends a filter's value
// (the property itself) as a sort direction, as it would if both variables
// named the property.
func OrderProperty(class, property string) string { return class + "/order/" + property }

// DateProperty is the vocabulary term one bound of a Date filter is mapped
// to, its value a date-time.
func DateProperty(class, property, bound string) string {
	return class + "/" + property + "/" + bound
}

// Offset is the number of items before the page.
func (q Query) Offset() int { return (q.Page - 1) * q.ItemsPerPage }

// pageURL is the path with the query as sent, page last (API Platform
// re-encodes the query RFC 3986 style and appends page).
func (q Query) pageURL(path string, page int) string {
	var b strings.Builder
	b.WriteString(path)
	b.WriteByte('?')
	for _, p := range q.params {
		if p.Key == "page" {
			continue
		}
		b.WriteString(escape(p.Key))
		b.WriteByte('=')
		b.WriteString(escape(p.Value))
		b.WriteByte('&')
	}
	b.WriteString("page=")
	b.WriteString(strconv.Itoa(page))
	return b.String()
}

func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// Collection is one page of a resource collection.
type Collection struct {
	Class   *Class
	Query   Query
	Members []*Node
	// Total is the number of items across pages; ignored when Query.Partial.
	Total int
	// Requested is the page's URL as the client asked for it (the request
	// target as received, format suffix included): the view's @id. Empty,
	// the view names the page in its canonical spelling.
	Requested string
	// NextCursor and PreviousCursor are a cursor page's neighbours, empty
	// when there is none.
	NextCursor, PreviousCursor string
	// Counted says that a cursor page's Total is known: the first page,
	// when it holds the whole collection.
	Counted bool
}

// CursorPaged says whether the page is one of a cursor collection read by
// cursor (not by page number).
func (c *Collection) CursorPaged() bool { return c.Class.Resource.Cursor && !c.Query.Paged }

// HasTotal says whether the page states the collection's count: always on
// numbered pages (unless partial), on cursor pages only when it is known.
func (c *Collection) HasTotal() bool { return !c.Query.Partial && (!c.CursorPaged() || c.Counted) }

// AppendJSON writes the collection: a Hydra Collection (API Platform 4
// unprefixed keys) for LinkedData, a bare array of items for PlainJSON.
func (c *Collection) AppendJSON(b []byte, mode Mode) []byte {
	if mode == PlainJSON {
		b = append(b, '[')
		for i, n := range c.Members {
			if i > 0 {
				b = append(b, ',')
			}
			b = n.AppendJSON(b, mode)
		}
		return append(b, ']')
	}
	path := c.Class.Resource.Collection
	b = append(b, `{"@context":`...)
	b = appendString(b, ContextsPath+c.Class.Name)
	b = append(b, `,"@id":`...)
	b = appendString(b, path)
	b = append(b, `,"@type":"Collection"`...)
	if c.HasTotal() {
		b = append(b, `,"totalItems":`...)
		b = strconv.AppendInt(b, int64(c.Total), 10)
	}
	b = append(b, `,"member":[`...)
	for i, n := range c.Members {
		if i > 0 {
			b = append(b, ',')
		}
		b = n.AppendJSON(b, mode)
	}
	b = append(b, ']')
	b = c.appendView(b)
	b = append(b, c.Class.Resource.search...)
	return append(b, '}')
}

// View is a page's place in the collection, as the Hydra view names it:
// its own URL and its neighbours' (path and query), empty when there is
// none.
type View struct {
	ID, First, Last, Previous, Next string
}

// View follows API Platform's PaginationHelperTrait: ok is false for a
// single unfiltered page (no view); a single filtered page has an ID only.
// The JSON-LD view and the Link header of a plain JSON page both come from
// it, so that they name the same pages.
//
// Unlike API Platform, the view's @id is the URL the client fetched (when
// the collection knows it), not the page's canonical URL: a client that
// follows Hydra paging from the bare collection IRI (Comunica) only
// believes a next link whose subject is the document it fetched, so that
// API Platform's ?page=1 on /api/roles stopped it after one page. The
// neighbours keep their canonical spelling, and each, once fetched, names
// itself the same way.
func (c *Collection) View() (v View, ok bool) {
	if c.CursorPaged() {
		return c.cursorView()
	}
	q, path := c.Query, c.Class.Resource.Collection
	last := 1
	if q.ItemsPerPage > 0 && c.Total > 0 {
		last = (c.Total + q.ItemsPerPage - 1) / q.ItemsPerPage
	}
	// As API Platform: paginated means more than one page (or partial);
	// page itself is not a filter.
	paginated := q.Partial || last != 1
	var filters []Param
	for _, p := range q.params {
		if p.Key != "page" {
			filters = append(filters, p)
		}
	}
	if !paginated && len(filters) == 0 {
		return v, false
	}
	if !paginated {
		return View{ID: c.self(currentURL(path, filters))}, true
	}
	v.ID = c.self(q.pageURL(path, q.Page))
	if !q.Partial {
		v.First, v.Last = q.pageURL(path, 1), q.pageURL(path, last)
	}
	if q.Page > 1 {
		v.Previous = q.pageURL(path, q.Page-1)
	}
	hasNext := q.Page < last
	if q.Partial {
		hasNext = q.ItemsPerPage > 0 && len(c.Members) >= q.ItemsPerPage
	}
	if hasNext {
		v.Next = q.pageURL(path, q.Page+1)
	}
	return v, true
}

// cursorView names a cursor page's neighbours by their cursors, and the
// first page (no cursor) when this is not it. A single page with no
// filter has no view, as with numbered pages.
func (c *Collection) cursorView() (v View, ok bool) {
	var filters []Param
	for _, p := range c.Query.params {
		if p.Key != CursorParam {
			filters = append(filters, p)
		}
	}
	at := func(cursor string) string {
		if cursor == "" {
			return ""
		}
		return currentURL(c.Class.Resource.Collection, append(filters[:len(filters):len(filters)], Param{CursorParam, cursor}))
	}
	v.Next, v.Previous = at(c.NextCursor), at(c.PreviousCursor)
	if c.Query.Cursor != "" {
		v.First = currentURL(c.Class.Resource.Collection, filters)
	}
	if v.Next == "" && v.Previous == "" && v.First == "" && len(filters) == 0 {
		return v, false
	}
	v.ID = c.self(currentURL(c.Class.Resource.Collection, c.Query.params))
	return v, true
}

// self is the view's @id: the URL as requested when it is a path-absolute
// IRI reference that needs no escaping in JSON-LD or N-Quads, else the
// canonical one.
func (c *Collection) self(canonical string) string {
	u := c.Requested
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return canonical
	}
	for i := 0; i < len(u); i++ {
		// RFC 3987 leaves these out of IRIs; N-Quads refuses them in <…>.
		if b := u[i]; b <= ' ' || b >= 0x7f || strings.IndexByte("<>\"{}|\\^`", b) >= 0 {
			return canonical
		}
	}
	return u
}

// appendView writes the view as a Hydra PartialCollectionView.
func (c *Collection) appendView(b []byte) []byte {
	v, ok := c.View()
	if !ok {
		return b
	}
	b = append(b, `,"view":{"@id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"@type":"PartialCollectionView"`...)
	for _, link := range []struct{ key, url string }{{"first", v.First}, {"last", v.Last}, {"previous", v.Previous}, {"next", v.Next}} {
		if link.url != "" {
			b = append(b, ',', '"')
			b = append(b, link.key...)
			b = append(b, '"', ':')
			b = appendString(b, link.url)
		}
	}
	return append(b, '}')
}

// currentURL is the path with the query as sent, re-encoded (the bare
// path when there is none).
func currentURL(path string, params []Param) string {
	if len(params) == 0 {
		return path
	}
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = escape(p.Key) + "=" + escape(p.Value)
	}
	return path + "?" + strings.Join(parts, "&")
}

// searchJSON is the `search` IriTemplate, the same for every request, so
// NewRegistry writes it once.
func (r *Resource) searchJSON(class string) []byte {
	if len(r.Filters) == 0 && len(r.Orderable) == 0 {
		return nil
	}
	var vars []string
	var b []byte
	b = append(b, `,"search":{"@type":"IriTemplate","template":`...)
	mapping := []byte(`,"variableRepresentation":"BasicRepresentation","mapping":[`)
	add := func(variable, property string) {
		if len(vars) > 0 {
			mapping = append(mapping, ',')
		}
		vars = append(vars, variable)
		mapping = append(mapping, `{"@type":"IriTemplateMapping","variable":`...)
		mapping = appendString(mapping, variable)
		mapping = append(mapping, `,"property":`...)
		mapping = appendString(mapping, property)
		mapping = append(mapping, `,"required":false}`...)
	}
	for _, f := range r.Filters {
		if f.Date {
			// Dotted in the template, as order.name is (the server reads
			// API Platform's created_at[after] too), and each bound its own
			// term, as each sort variable is: a client that fills the
			// template from a model must not send a date as all four.
			for _, bound := range DateBounds {
				add(f.Variable+"."+bound, DateProperty(class, f.Property, bound))
			}
			continue
		}
		add(f.Variable, f.Property)
	}
	for _, o := range r.Orderable {
		add(OrderVariable(o), OrderProperty(class, o))
	}
	templateVars := vars[:len(vars):len(vars)]
	// API Platform Admin finds sortable columns by the literal "order[" in
	// a mapping's variable (its schemaAnalyzer), so each sort variable is
	// mapped a second time in Admin's spelling. Those variables are not in
	// the template: an RFC 6570 client has nothing to fill for them and
	// ignores them; the template stays valid.
	for _, o := range r.Orderable {
		add(orderPrefix+o+orderTrailer, OrderProperty(class, o))
	}
	b = appendString(b, r.Collection+"{?"+strings.Join(templateVars, ",")+"}")
	b = append(b, mapping...)
	return append(b, "]}"...)
}

// LimitItemsPerPage lowers the page size to n at most, and writes the size
// used into the page links, so that a client that follows them with
// another Accept reads the same pages, none skipped.
func (q *Query) LimitItemsPerPage(n int) {
	if q.ItemsPerPage <= n {
		return
	}
	q.ItemsPerPage = n
	for i := range q.params {
		if q.params[i].Key == "itemsPerPage" {
			q.params[i].Value = strconv.Itoa(n)
		}
	}
}

// SetFilter sets a filter as though the client had sent it last, so that an
// alias route (/api/organizations/{id}/workspaces) writes the same document
// as the canonical query (/api/workspaces?organization={id}).
func (q *Query) SetFilter(variable, value string) {
	params := q.params[:0:0]
	for _, p := range q.params {
		if p.Key != variable {
			params = append(params, p)
		}
	}
	q.params = append(params, Param{variable, value})
	q.Filters[variable] = value
}
