package hydra

// Collection links (Hydra Core §5.2): a resource names the collections
// related to it with hydra:collection, each stating with a
// hydra:memberAssertion which resources it holds, so that a generic client
// (alcaeus's getCollections) finds "the members of this organization"
// without knowing Orgraph's query parameters. API Platform writes none of
// them; they are added beside its spelling, which Admin and api-doc-parser
// read, not instead of it.
//
// The links are hypermedia controls: they are written in the JSON-LD
// renderings only, and on a top-level document only (an item, not each
// member of a page, where 30 organizations would carry 120 links that
// their items carry anyway).

// linkTerms are the context terms of collection links, typed as Hydra's own
// context types them. subject and object are IRIs of resources (or
// classes), written as strings, path-absolute like every IRI of the API
// (an organization's "organization" is one too), so they are @id typed:
// @vocab typing would read "/api/organizations/…" as a term of the
// vocabulary. property names a vocabulary term, so it is @vocab typed (as
// in the search mappings): "Member/organization", "rdf:type".
var linkTerms = []term{
	{"collection", id("hydra:collection")},
	{"Collection", "hydra:Collection"},
	{"memberAssertion", "hydra:memberAssertion"},
	{"subject", id("hydra:subject")},
	{"property", vocab("hydra:property")},
	{"object", id("hydra:object")},
}

// collectionLink is a collection whose members are the resources that
// point to one item of a class: the members whose Member/organization is
// the organization. It is derived from the registry (see deriveLinks) and
// kept as the bytes around the two values that vary, so that writing the
// links costs an item no allocation.
type collectionLink struct {
	// head is `{"@id":"/api/members?organization=`: the item's id follows.
	head []byte
	// middle closes the @id and writes the assertion up to its object: the
	// item's IRI follows.
	middle []byte
	// members is the class of the collection's members; create is its
	// POST operation as a document lists it (nil when the collection takes
	// none), written on the link when its reader may create there.
	members *Class
	create  []byte
}

// deriveLinks gives each resource class the collections filtered by a
// reference to it: their members are the resources that point to one
// item, and the filter's canonical IRI (/api/workspaces?organization=<id>,
// the query the alias /api/organizations/<id>/workspaces stands for) is
// one the server answers with exactly those members. The id goes into the
// query as it is: ids are UUIDs, which need no percent-encoding.
func (r *Registry) deriveLinks() {
	for _, to := range r.Classes {
		if to.Resource == nil || to.Resource.Item == "" {
			continue
		}
		for _, from := range r.Collections() {
			for _, f := range from.Resource.Filters {
				p, ok := from.Lookup(f.Property)
				if !ok || p.Kind != Reference || p.Class != to || p.Many {
					continue
				}
				l := collectionLink{head: []byte(`{"@id":`)}
				l.head = appendUnquoted(appendString(l.head, from.Resource.Collection+"?"+escape(f.Variable)+"="))
				l.middle = append(l.middle, `","@type":"Collection","memberAssertion":{"property":`...)
				l.middle = appendString(l.middle, p.Term())
				l.middle = append(l.middle, `,"object":`...)
				l.members = from
				if from.Resource.Has(Post) {
					l.create = operationJSON(from, Post)
				}
				to.Resource.links = append(to.Resource.links, l)
			}
		}
	}
}

// appendUnquoted drops the closing quote appendString wrote, so that the
// string goes on.
func appendUnquoted(b []byte) []byte { return b[:len(b)-1] }

// appendLinks writes the `"collection"` key of an item of the resource: id
// is the item's id, iri its IRI, creatable the links whose collection its
// reader may create in (Resource.CreateIn), which carry that POST
// operation (Hydra Core §4.1: a collection's operations, here per caller,
// as an item's are).
func (r *Resource) appendLinks(b []byte, id, iri string, creatable Links) []byte {
	b = append(b, `"collection":[`...)
	for i, l := range r.links {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.head...)
		b = appendStringBody(b, id)
		b = append(b, l.middle...)
		b = appendString(b, iri)
		b = append(b, '}')
		if creatable&(1<<i) != 0 {
			b = append(b, `,"operation":[`...)
			b = append(b, l.create...)
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// Links is a set of an item's collection links, one bit each in the
// order of Resource.links.
type Links uint32

// CreateIn is the set of the item's link to the collection of members'
// class, whose POST its reader may invoke; asking for a collection the
// item does not link, or one that takes no POST, is a bug.
func (r *Resource) CreateIn(members *Class) Links {
	for i, l := range r.links {
		if l.members == members && l.create != nil {
			return 1 << i
		}
	}
	panic("hydra: " + r.Item + " links no collection of " + members.Name + " that takes a POST")
}

// offersCreate says whether a link of the class can carry a POST.
func (c *Class) offersCreate() bool {
	if c.Resource == nil {
		return false
	}
	for _, l := range c.Resource.links {
		if l.create != nil {
			return true
		}
	}
	return false
}

// appendStringBody writes s escaped as inside a JSON string, without the
// quotes.
func appendStringBody(b []byte, s string) []byte {
	n := len(b)
	b = appendString(b, s)
	copy(b[n:], b[n+1:])
	return b[:len(b)-2]
}

// Links says whether an item of the class carries collection links.
func (c *Class) Links() bool { return c.Resource != nil && len(c.Resource.links) > 0 }

// entrypointLinks are the entrypoint's hydra:collection links: every
// collection it lists, each asserting the class of its members (rdf:type),
// named by its IRI in the documentation (path-absolute, as every IRI the
// API writes).
func (r *Registry) entrypointLinks() []any {
	var out []any
	for _, c := range r.Collections() {
		out = append(out, map[string]any{
			"@id":   c.Resource.Collection,
			"@type": "Collection",
			"memberAssertion": map[string]any{
				"property": "rdf:type",
				"object":   DocsPath + "#" + c.Name,
			},
		})
	}
	return out
}
