// Package hydra holds Orgraph's resource metadata registry and everything
// derived from it: context documents, the Hydra ApiDocumentation, the
// entrypoint, collections, input validation and the JSON-LD encoder. Each
// resource is declared once (resources.go); nothing here is written twice.
package hydra

import (
	"fmt"
	"strings"
)

// Kind is a property's value type.
type Kind int

const (
	String Kind = iota
	Integer
	Boolean
	DateTime
	// Object is a nested object of another class, written inline.
	Object
	// Reference is the IRI of another resource.
	Reference
	// JSONValue is a JSON value kept as it is (a json.RawMessage): a JSON
	// literal (rdf:JSON) in RDF, so that a snapshot of another document
	// (an event's data) states nothing about the resource it shows. A
	// writable one is a flat object of strings (metadata), written with
	// merge-patch semantics: a null value deletes its key.
	JSONValue
)

// TextFormat refines a String.
type TextFormat int

const (
	Plain TextFormat = iota
	Email
	Phone
	// Slug is a role's key (schema.SlugPattern).
	Slug
)

// Property is one property of a class. It drives the context term, the
// Hydra SupportedProperty, input validation and the output encoder.
type Property struct {
	Name     string
	Kind     Kind
	Class    *Class // of an Object or Reference
	Many     bool   // a list of values
	Required bool   // must be present and not blank on create
	Writable bool
	// CreateOnly properties are written by a POST and ignored by a PATCH,
	// as read-only properties are.
	CreateOnly bool
	// WriteOnly properties are never in a response (Hydra readable: false).
	WriteOnly bool
	// Once properties are only in the answer that makes the resource (an
	// API key's secret): never stored, so never read again, and such an
	// answer is not kept for an Idempotency-Key's replay.
	Once bool
	// OperatorsOnly: a Once property shown to operator callers alone (an
	// invitation's accept token), so that only their answers refuse an
	// Idempotency-Key.
	OperatorsOnly bool
	// Always properties are in every response that holds the object (the
	// others are left out when null or empty): OpenAPI marks them required.
	Always    bool
	MinLength int // in characters, after trimming
	MaxLength int
	// Minimum and Maximum bound an Integer (both zero: unbounded).
	Minimum, Maximum int
	// MaxItems bounds a Many property in a request body, and the keys of
	// a writable JSONValue (metadata).
	MaxItems int
	// MaxKeyLength bounds the keys of a writable JSONValue, whose values
	// are strings of at most MaxLength characters (metadata).
	MaxKeyLength int
	Format       TextFormat
	// Enum are the only values the property takes. The documentation lists
	// them as data (an rdfs:Datatype that is owl:oneOf them), so that a
	// client can offer a choice; OpenAPI lists them as enum.
	Enum []string
	// Description says what the property holds, in a sentence: the
	// documentation's hydra:description and rdfs:comment.
	Description string
	// Ordered says that the order of a Many property's values means
	// something (a history, oldest first): the context makes it a JSON-LD
	// @list, so that RDF keeps the order as an rdf:List.
	Ordered bool
	// Specializes are properties of shared vocabularies this one is a
	// sub-property of (rdfs:subPropertyOf, compact IRIs such as
	// schema:name), so that an RDF consumer who knows them can merge
	// Orgraph's data with other sources. Only what is true: every value of
	// this property must be a value the other property can hold (a literal
	// for a literal: schema:email, whose range is Text, yes; vCard's
	// hasEmail, an object property, no).
	Specializes []string
	// IRI overrides the term's IRI: a compact IRI ("hydra:title") or, when
	// equal to Name, the bare @vocab term (docs#name) with no context entry.
	IRI string

	class *Class
	key   []byte // `"name":` ready for the encoder
}

// Class is a Hydra class. Resources have operations and IRIs; the others are
// written nested inside a resource.
type Class struct {
	Name string
	// Description says what an instance is, in a sentence: the
	// documentation's hydra:description and rdfs:comment.
	Description string
	Properties  []*Property
	Resource    *Resource
	// Parent is the class this one extends (rdfs:subClassOf): its
	// properties belong to the parent's documentation but apply here too.
	Parent *Class
	// Specializes are classes of other vocabularies this one is a kind of
	// (rdfs:subClassOf, compact IRIs such as hydra:Error or
	// schema:PostalAddress), so that an RDF consumer who knows those
	// vocabularies knows this class. The first is the one a document names
	// beside the class's own, when it names two (an Error is a hydra:Error).
	Specializes []string

	index map[string]int
}

// OpKind is one of the operations API Platform declares by default.
type OpKind int

const (
	GetCollection OpKind = iota
	Post
	Get
	Patch
	Delete
)

// Method is the HTTP method of the operation.
func (k OpKind) Method() string {
	return [...]string{"GET", "POST", "GET", "PATCH", "DELETE"}[k]
}

// OnCollection says whether the operation is served on the collection path.
func (k OpKind) OnCollection() bool { return k == GetCollection || k == Post }

// Resource is what makes a class addressable.
type Resource struct {
	// Collection is the collection path under /api, e.g. "/api/organizations";
	// empty when the class has no collection.
	Collection string
	// Item is the item path prefix; the id follows it: "/api/organizations/".
	Item       string
	Operations []OpKind
	// Filters are the search parameters advertised in the collection's IriTemplate.
	Filters []Filter
	// MetadataFilter: metadata[key]=value (OpenAPI's deepObject) keeps the
	// resources whose metadata holds each key with its value. No Hydra
	// IriTemplate variable can name a key chosen by the client (RFC 6570
	// expands a map as key=value pairs), so the search template leaves it
	// out and the class's documentation says it.
	MetadataFilter bool
	// Orderable are the properties accepted in order[...] (or order.…).
	Orderable []string
	// Cursor collections page by an opaque cursor (CursorParam) in the
	// view's next and previous, with no count but on a first page that is
	// the whole collection: a page costs the same however deep it is, and
	// an item inserted or deleted meanwhile neither repeats nor hides
	// another. A request with page= gets numbered pages and a count
	// instead, as API Platform Admin asks for them.
	Cursor bool
	// NumericID: item ids are integers, not UUIDs.
	NumericID bool
	// Actions are POST operations beyond create, read, update and delete,
	// served at ActionPath: on an item (Item + id + "/" + Name), or on the
	// collection (Collection + "/" + Name).
	Actions []Action

	search []byte
	// links are the collections related to an item (links.go).
	links []collectionLink
	// itemOps are the item operations as a document lists them
	// (affordances.go).
	itemOps []itemOp
}

// Action is a POST on an item that changes its state (API Platform's
// custom operations): /api/invitations/{id}/accept.
type Action struct {
	Name        string
	Description string
	Returns     *Class
	// Expects is the class of the action's optional body (nil: it takes
	// none).
	Expects *Class
	// Creates says the action makes a new resource of Returns (201 and its
	// Location), as an action returning another class always does.
	Creates bool
	// OnCollection actions act on no item (accepting an invitation by its
	// token): served at Collection + "/" + Name, with no path parameter.
	OnCollection bool
	// Public actions take no API key: what the body holds proves the
	// caller (the token); they take no Idempotency-Key either, since
	// answers are kept per key owner.
	Public bool
	// Title names the operation (its hydra:title and OpenAPI operationId);
	// Name + the class's name when empty.
	Title string
}

// ActionPath is where an action is served, with {id} for an item's.
func (r *Resource) ActionPath(a Action) string {
	if a.OnCollection {
		return r.Collection + "/" + a.Name
	}
	return r.Item + "{id}/" + a.Name
}

// HasOnce says whether the class has a property shown once to every caller.
func (c *Class) HasOnce() bool {
	for _, p := range c.Properties {
		if p.Once && !p.OperatorsOnly {
			return true
		}
	}
	return false
}

// HasOperatorsOnce says whether the class has a property shown once, to
// operator callers only.
func (c *Class) HasOperatorsOnce() bool {
	for _, p := range c.Properties {
		if p.Once && p.OperatorsOnly {
			return true
		}
	}
	return false
}

// Filter is a query parameter of a collection.
type Filter struct {
	Variable string
	Property string
	// Partial is a case-insensitive substring match; otherwise exact.
	Partial bool
	// Many filters take several values, any of which matches: repeated
	// (type=a&type=b), in API Platform's spelling (type[]=a&type[]=b), or
	// separated by commas (type=a,b).
	Many bool
	// Prefixes: a value may also be a prefix ending in ".*", which matches
	// every value of the property that starts with what precedes the "*"
	// (member.* for member.added, member.removed…).
	Prefixes bool
	// Date filters are API Platform's DateFilter: four variables,
	// name[after], name[before] (inclusive), name[strictly_after] and
	// name[strictly_before], each an RFC 3339 date-time or a date.
	Date bool
}

// Parameters are the query parameters a filter reads, in API Platform's
// spelling: its variable, or a Date filter's four bounds.
func (f Filter) Parameters() []string {
	if !f.Date {
		return []string{f.Variable}
	}
	out := make([]string, len(DateBounds))
	for i, bound := range DateBounds {
		out[i] = DateVariable(f.Variable, bound)
	}
	return out
}

// PrefixValues are the prefixes (resource.*) of a Prefixes filter's
// dotted values, in the order they first appear.
func PrefixValues(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		if i := strings.LastIndexByte(v, '.'); i > 0 && !seen[v[:i]] {
			seen[v[:i]] = true
			out = append(out, v[:i]+".*")
		}
	}
	return out
}

// DateBounds are the variables of a Date filter, by the bound they set.
var DateBounds = []string{"after", "before", "strictly_after", "strictly_before"}

// DateVariable is the query parameter of one bound of a Date filter, as
// Query.Filters holds it: created_at[after].
func DateVariable(variable, bound string) string { return variable + "[" + bound + "]" }

// Has says whether the resource supports an operation.
func (r *Resource) Has(k OpKind) bool {
	for _, op := range r.Operations {
		if op == k {
			return true
		}
	}
	return false
}

// Prop returns a declared property, the class's own or its parent's;
// asking for an undeclared one is a bug.
func (c *Class) Prop(name string) *Property {
	if p, ok := c.Lookup(name); ok {
		return p
	}
	panic(fmt.Sprintf("hydra: class %s has no property %q", c.Name, name))
}

// Lookup finds a property of the class or of its ancestors.
func (c *Class) Lookup(name string) (*Property, bool) {
	for cl := c; cl != nil; cl = cl.Parent {
		if i, ok := cl.index[name]; ok {
			return cl.Properties[i], true
		}
	}
	return nil, false
}

// IRI is the item IRI of a resource with the given id.
func (c *Class) IRI(id string) string { return c.Resource.Item + id }

// Term is the context term IRI of a property, relative to @vocab.
func (p *Property) Term() string {
	if p.IRI != "" {
		return p.IRI
	}
	return p.class.Name + "/" + p.Name
}

// Registry is the set of declared classes, in declaration order.
type Registry struct {
	Title       string
	Description string
	Classes     []*Class
	byName      map[string]*Class
}

// reserved are the Hydra terms resource contexts define (collections' and
// collection links'); a property with one of these names would be
// ambiguous.
// It is a variable initializer, not init(): API is built during variable
// initialization, before any init function runs.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, list := range [][]term{collectionTerms, linkTerms} {
		for _, t := range list {
			m[t.name] = true
		}
	}
	return m
}()

// NewRegistry checks the declarations and indexes them.
func NewRegistry(title, description string, classes ...*Class) *Registry {
	r := &Registry{Title: title, Description: description, Classes: classes, byName: map[string]*Class{}}
	for _, c := range classes {
		if _, dup := r.byName[c.Name]; dup {
			panic("hydra: class declared twice: " + c.Name)
		}
		r.byName[c.Name] = c
		checkShared(c.Name, c.Specializes)
		c.index = make(map[string]int, len(c.Properties))
		for i, p := range c.Properties {
			if reserved[p.Name] || strings.HasPrefix(p.Name, "@") || c.Affords() && affordanceTerm(p.Name) {
				panic(fmt.Sprintf("hydra: %s.%s collides with a Hydra term", c.Name, p.Name))
			}
			if (p.Kind == Object || p.Kind == Reference) && p.Class == nil {
				panic(fmt.Sprintf("hydra: %s.%s needs a class", c.Name, p.Name))
			}
			if p.Kind == Reference && (p.Class.Resource == nil || p.Class.Resource.Item == "") {
				panic(fmt.Sprintf("hydra: %s.%s references %s, which has no IRIs", c.Name, p.Name, p.Class.Name))
			}
			if p.Ordered && !p.Many {
				panic(fmt.Sprintf("hydra: %s.%s is ordered but holds one value", c.Name, p.Name))
			}
			if len(p.Enum) > 0 && p.Kind != String {
				panic(fmt.Sprintf("hydra: %s.%s enumerates values but is no string", c.Name, p.Name))
			}
			checkShared(c.Name+"."+p.Name, p.Specializes)
			p.class = c
			p.key = appendString(nil, p.Name)
			p.key = append(p.key, ':')
			c.index[p.Name] = i
		}
		if c.Resource != nil && c.Resource.Collection != "" {
			c.Resource.search = c.Resource.searchJSON(c.Name)
		}
		if c.Affords() {
			c.operationsJSON()
		}
	}
	r.deriveLinks()
	return r
}

// checkShared panics unless every IRI is a compact IRI under a prefix the
// documentation's context defines: anything else would expand to a term of
// Orgraph's own vocabulary, claiming nothing about the shared one.
func checkShared(what string, iris []string) {
	for _, iri := range iris {
		prefix, local, ok := strings.Cut(iri, ":")
		known := false
		for _, ns := range namespaces {
			known = known || ns.name == prefix
		}
		if !ok || !known || local == "" {
			panic(fmt.Sprintf("hydra: %s specializes %q, which is not a compact IRI of a shared vocabulary", what, iri))
		}
	}
}

// Class returns a class by short name.
func (r *Registry) Class(name string) (*Class, bool) {
	c, ok := r.byName[name]
	return c, ok
}

// Collections returns the classes that have a collection, in declaration order.
func (r *Registry) Collections() []*Class {
	var out []*Class
	for _, c := range r.Classes {
		if c.Resource != nil && c.Resource.Collection != "" {
			out = append(out, c)
		}
	}
	return out
}

// lcfirst is API Platform's entrypoint key for a class.
func lcfirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }
