package handlers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/piprate/json-gold/ld"

	"github.com/orgraph/orgraph/hydra"
)

// Every JSON-LD document these tests receive is expanded with json-gold
// against the server's own context documents (fetched over HTTP, as any
// client would), and the expansion is compared, key by key, with the IRI each
// key is meant to have. The intended IRIs are computed here from the
// registry's declarations and the naming rules of DESIGN.md, not from the
// server's context builder, so a context that drops a key or sends it to the
// wrong IRI fails.

const (
	ldHydraNS  = "http://www.w3.org/ns/hydra/core#"
	ldRDFNS    = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	ldRDFSNS   = "http://www.w3.org/2000/01/rdf-schema#"
	ldXSDNS    = "http://www.w3.org/2001/XMLSchema#"
	ldOWLNS    = "http://www.w3.org/2002/07/owl#"
	ldSchemaNS = "https://schema.org/"
	ldOrgNS    = "http://www.w3.org/ns/org#"
	ldVCardNS  = "http://www.w3.org/2006/vcard/ns#"
)

// ldPrefixes are the compact-IRI prefixes the documents may use.
var ldPrefixes = map[string]string{
	"hydra": ldHydraNS, "rdf": ldRDFNS, "rdfs": ldRDFSNS, "xsd": ldXSDNS, "owl": ldOWLNS, "schema": ldSchemaNS,
	"org": ldOrgNS, "vcard": ldVCardNS,
}

// ldHydraNodeKeys are the keys each Hydra node type of a collection may carry
// (a collection link's operation: the POST its reader may invoke).
var ldHydraNodeKeys = map[string][]string{
	"Collection":            {"member", "totalItems", "view", "search", "memberAssertion", "operation"},
	"MemberAssertion":       {"subject", "property", "object"}, // untyped, under memberAssertion
	"Operation":             {"method", "title", "target"},
	"PartialCollectionView": {"first", "last", "previous", "next"},
	"IriTemplate":           {"template", "variableRepresentation", "mapping"},
	"IriTemplateMapping":    {"variable", "property", "required"},
}

// ldValueKind is the shape a value must take once expanded.
type ldValueKind int

const (
	ldLiteral  ldValueKind = iota // {"@value": v}
	ldDateTime                    // {"@value": v, "@type": xsd:dateTime}
	ldIRI                         // {"@id": v resolved against the server}
	ldVocab                       // {"@id": v resolved against the vocabulary}
	ldNode                        // a nested node object
	ldJSON                        // {"@value": v as it is, "@type": "@json"}: a JSON literal
)

// ldExpectation is what one compacted key must become.
type ldExpectation struct {
	iri   string
	kind  ldValueKind
	class *hydra.Class // ldNode: the class of nested objects without @type
	// hydraType is, for an ldNode, the Hydra structure of nested objects
	// without @type (a memberAssertion).
	hydraType string
	// vocab resolves an ldVocab value to its intended IRI.
	vocab func(string) (string, error)
	// list: the values are one JSON-LD list (an ordered property), which
	// expands to [{"@list": [...]}].
	list bool
}

// ldChecker compares compacted documents with their expansion.
type ldChecker struct {
	server string // scheme and host, no trailing slash
	docs   string // absolute docs URL, no "#"
}

func newLDChecker(server string) ldChecker {
	return ldChecker{server: server, docs: server + "/api/docs.jsonld"}
}

// ldFrame is what the walker knows about the node it is in.
type ldFrame struct {
	class      *hydra.Class // a registry class, when the node is one
	hydraType  string       // a Hydra collection type, when the node is one
	entrypoint bool
	coll       *hydra.Class // the class of the enclosing collection
}

// check compares one compacted document with its expanded form and returns
// every mismatch found (nil when the expansion is exactly as intended).
func (c ldChecker) check(compacted any, expanded []any) error {
	doc, ok := compacted.(map[string]any)
	if !ok {
		return fmt.Errorf("the compacted document is a %T, not an object", compacted)
	}
	if len(expanded) != 1 {
		return fmt.Errorf("expansion produced %d top-level nodes, want 1", len(expanded))
	}
	top, ok := expanded[0].(map[string]any)
	if !ok {
		return fmt.Errorf("expanded top-level node is a %T", expanded[0])
	}
	var errs []error
	c.node("", doc, top, nil, "", nil, &errs)
	return errors.Join(errs...)
}

func (c ldChecker) node(path string, comp, exp map[string]any, parentClass *hydra.Class, parentHydra string, coll *hydra.Class, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", ldOr(path, "/"), fmt.Sprintf(format, args...)))
	}
	if _, ok := exp["@value"]; ok {
		fail("expanded to a value object %v, want a node", exp)
		return
	}

	// Which class is this node?
	f := ldFrame{coll: coll}
	if t, has := comp["@type"]; has {
		name, ok := t.(string)
		// A class that specializes another vocabulary's (an Error is a
		// hydra:Error) names that one second.
		var also []any
		if list, isList := t.([]any); isList && len(list) == 2 {
			name, ok = list[0].(string)
			if cl, declared := hydra.API.Class(name); ok && declared {
				root := cl
				for root.Parent != nil {
					root = root.Parent
				}
				if second, _ := list[1].(string); len(root.Specializes) == 0 || second != root.Specializes[0] {
					fail("@type %v: the second type is not what %s specializes (%q)", t, name, root.Specializes)
					return
				}
				also = []any{ldHydraNS + strings.TrimPrefix(root.Specializes[0], "hydra:")}
			}
			// An operation is the schema.org action the documentation
			// names, second.
			if second, _ := list[1].(string); name == "Operation" && strings.HasPrefix(second, "schema:") {
				also = []any{ldSchemaNS + strings.TrimPrefix(second, "schema:")}
			}
			// The entrypoint is a hydra:Resource too, second: alcaeus
			// needs it, api-doc-parser reads the first type.
			if name == "Entrypoint" {
				if second, _ := list[1].(string); second != "hydra:Resource" {
					fail("@type %v: the entrypoint's second type is not hydra:Resource", t)
					return
				}
				also = []any{ldHydraNS + "Resource"}
			}
		}
		if !ok {
			fail("@type is %v, want one string", t)
			return
		}
		switch {
		case ldHydraNodeKeys[name] != nil:
			f.hydraType = name
		case name == "Entrypoint":
			f.entrypoint = true
		default:
			cl, ok := hydra.API.Class(name)
			if !ok {
				fail("@type %q is not a declared class", name)
				return
			}
			if parentClass != nil && parentClass != cl {
				fail("@type %q, but the parent property declares %s", name, parentClass.Name)
			}
			f.class = cl
		}
		want := c.docs + "#" + name
		if f.hydraType != "" {
			want = ldHydraNS + name
		}
		if got := exp["@type"]; !reflect.DeepEqual(got, append([]any{want}, also...)) {
			fail("@type %v expanded to %v, want %v", t, got, append([]any{want}, also...))
		}
	} else {
		if _, has := exp["@type"]; has {
			fail("expanded @type %v out of nowhere", exp["@type"])
		}
		switch {
		case parentHydra != "":
			f.hydraType = parentHydra
		case parentClass == nil:
			fail("a node without @type and without a declared class")
			return
		default:
			// Every object the encoder writes names its class, nested
			// ones included, so that RDF has no untyped blank nodes. The
			// violations of a problem document are package problems' own.
			if parentClass != hydra.ConstraintViolationList {
				fail("a nested %s without @type", parentClass.Name)
			}
			f.class = parentClass
		}
	}
	if f.hydraType == "Collection" {
		id, _ := comp["@id"].(string)
		id, _, _ = strings.Cut(id, "?") // a collection link names a filtered collection
		for _, cl := range hydra.API.Collections() {
			if cl.Resource.Collection == id {
				f.coll = cl
			}
		}
		if f.coll == nil {
			fail("a Collection whose @id %q is no declared collection", id)
			return
		}
	}

	// @id.
	if id, has := comp["@id"]; has {
		s, ok := id.(string)
		want, err := c.resolve(s)
		switch {
		case !ok:
			fail("@id is %v, want a string", id)
		case err != nil:
			fail("@id: %v", err)
		case exp["@id"] != want:
			fail("@id %q expanded to %v, want %q", s, exp["@id"], want)
		}
	} else if _, has := exp["@id"]; has {
		fail("expanded @id %v out of nowhere", exp["@id"])
	}

	// Every other key: the intended IRI, and nothing else in the expansion.
	intended := map[string]bool{}
	for _, k := range ldSortedKeys(comp) {
		if k == "@context" || k == "@id" || k == "@type" {
			continue
		}
		kp := path + "/" + k
		if strings.HasPrefix(k, "@") {
			fail("unexpected keyword %q", k)
			continue
		}
		x, err := c.expect(f, k)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %v", kp, err))
			continue
		}
		intended[x.iri] = true
		got, has := exp[x.iri]
		if !has {
			*errs = append(*errs, fmt.Errorf("%s: dropped or misnamed by expansion: no <%s> in the expanded node (keys %v)", kp, x.iri, ldSortedKeys(exp)))
			continue
		}
		c.value(kp, comp[k], got, x, f, errs)
	}
	for _, k := range ldSortedKeys(exp) {
		if k == "@id" || k == "@type" {
			continue
		}
		if !intended[k] {
			fail("expansion has <%s>, which no key was meant to expand to", k)
		}
	}
}

// expect is the intended IRI and value shape of key k in a node.
func (c ldChecker) expect(f ldFrame, k string) (ldExpectation, error) {
	switch {
	case f.hydraType != "":
		if !ldHasString(ldHydraNodeKeys[f.hydraType], k) {
			return ldExpectation{}, fmt.Errorf("%q is not a key of a Hydra %s", k, f.hydraType)
		}
		x := ldExpectation{iri: ldHydraNS + k}
		switch k {
		case "target": // an action's, schema.org's term (hydra/affordances.go)
			x.iri, x.kind = ldSchemaNS+"target", ldIRI
		case "member":
			x.kind, x.class = ldNode, f.coll
		case "memberAssertion":
			x.kind, x.hydraType = ldNode, "MemberAssertion"
		case "subject", "object":
			x.kind = ldIRI
		case "view", "search", "mapping", "operation":
			x.kind = ldNode
		case "first", "last", "previous", "next":
			x.kind = ldIRI
		case "variableRepresentation":
			x.kind = ldVocab
			x.vocab = func(v string) (string, error) {
				if v != "BasicRepresentation" && v != "ExplicitRepresentation" {
					return "", fmt.Errorf("%q is no Hydra variable representation", v)
				}
				return ldHydraNS + v, nil
			}
		case "property":
			x.kind = ldVocab
			if f.hydraType == "MemberAssertion" {
				x.vocab = c.assertedProperty
				break
			}
			x.vocab = func(v string) (string, error) {
				if f.coll == nil {
					return "", errors.New("a mapping outside a collection")
				}
				// A sort variable maps its own term, Class/order/prop
				// (DESIGN.md: unambiguous mappings), of a sortable property.
				if field, ok := strings.CutPrefix(v, f.coll.Name+"/order/"); ok {
					if !slices.Contains(f.coll.Resource.Orderable, field) {
						return "", fmt.Errorf("%q sorts by %q, which %s is not sorted by", v, field, f.coll.Name)
					}
					return c.docs + "#" + v, nil
				}
				// So does each bound of a date filter, Class/prop/bound.
				for _, flt := range f.coll.Resource.Filters {
					for _, bound := range hydra.DateBounds {
						if flt.Date && v == hydra.DateProperty(f.coll.Name, flt.Property, bound) {
							return c.docs + "#" + v, nil
						}
					}
				}
				p := ldFindProperty(f.coll, v)
				if p == nil {
					return "", fmt.Errorf("%q is not a property of %s", v, f.coll.Name)
				}
				return c.propertyIRI(f.coll, p)
			}
		}
		return x, nil
	case k == "collection" && (f.entrypoint || f.class != nil && f.class.Links()):
		return ldExpectation{iri: ldHydraNS + "collection", kind: ldNode}, nil
	case k == "operation" && f.class != nil && f.class.Affords():
		return ldExpectation{iri: ldHydraNS + "operation", kind: ldNode}, nil
	case f.entrypoint:
		for _, cl := range hydra.API.Collections() {
			if strings.ToLower(cl.Name[:1])+cl.Name[1:] == k {
				return ldExpectation{iri: c.docs + "#Entrypoint/" + k, kind: ldIRI}, nil
			}
		}
		return ldExpectation{}, fmt.Errorf("%q is no collection of the entrypoint", k)
	case f.class != nil:
		p := ldFindProperty(f.class, k)
		if p == nil {
			return ldExpectation{}, fmt.Errorf("%q is not a property of %s", k, f.class.Name)
		}
		if p.WriteOnly {
			return ldExpectation{}, fmt.Errorf("%q is write-only in %s, yet the document carries it", k, f.class.Name)
		}
		iri, err := c.propertyIRI(f.class, p)
		if err != nil {
			return ldExpectation{}, err
		}
		x := ldExpectation{iri: iri}
		switch p.Kind {
		case hydra.DateTime:
			x.kind = ldDateTime
		case hydra.Reference:
			x.kind = ldIRI
		case hydra.Object:
			x.kind, x.class = ldNode, p.Class
		case hydra.JSONValue:
			x.kind = ldJSON
		}
		x.list = p.Ordered
		return x, nil
	}
	return ldExpectation{}, fmt.Errorf("%q in a node of no known class", k)
}

// assertedProperty is the IRI of a memberAssertion's property: rdf:type,
// or a declared property spelled Class/prop, relative to @vocab.
func (c ldChecker) assertedProperty(v string) (string, error) {
	if v == "rdf:type" {
		return ldRDFNS + "type", nil
	}
	name, prop, _ := strings.Cut(v, "/")
	cl, ok := hydra.API.Class(name)
	if !ok || ldFindProperty(cl, prop) == nil {
		return "", fmt.Errorf("%q is no declared property", v)
	}
	return c.propertyIRI(cl, ldFindProperty(cl, prop))
}

// propertyIRI is the IRI DESIGN.md gives a property: docs#Class/prop, or the
// declared override (a compact IRI, or the bare name left to @vocab).
func (c ldChecker) propertyIRI(cl *hydra.Class, p *hydra.Property) (string, error) {
	switch {
	case p.IRI == "":
		return c.docs + "#" + cl.Name + "/" + p.Name, nil
	case p.IRI == p.Name:
		return c.docs + "#" + p.Name, nil
	}
	if pre, local, ok := strings.Cut(p.IRI, ":"); ok && ldPrefixes[pre] != "" {
		return ldPrefixes[pre] + local, nil
	}
	return "", fmt.Errorf("%s.%s: unsupported IRI override %q", cl.Name, p.Name, p.IRI)
}

// resolve makes a path-absolute IRI absolute (documents use no other form).
func (c ldChecker) resolve(iri string) (string, error) {
	switch {
	case strings.HasPrefix(iri, "/") && !strings.HasPrefix(iri, "//"):
		return c.server + iri, nil
	case strings.HasPrefix(iri, "http://") || strings.HasPrefix(iri, "https://"):
		return iri, nil
	}
	return "", fmt.Errorf("%q is not a path-absolute IRI", iri)
}

func (c ldChecker) value(path string, comp, exp any, x ldExpectation, f ldFrame, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	values, isList := comp.([]any)
	if !isList {
		values = []any{comp}
	}
	got, ok := exp.([]any)
	if !ok {
		fail("expanded value is a %T, want an array", exp)
		return
	}
	if x.list {
		var list map[string]any
		if len(got) == 1 {
			list, _ = got[0].(map[string]any)
		}
		items, isList := list["@list"].([]any)
		if !isList || len(list) != 1 {
			fail("an ordered property expanded to %v, want one @list", got)
			return
		}
		got = items
	}
	if len(got) != len(values) {
		fail("%d values expanded to %d: %v", len(values), len(got), got)
		return
	}
	for i, v := range values {
		vp := path
		if isList {
			vp = fmt.Sprintf("%s/%d", path, i)
		}
		e, ok := got[i].(map[string]any)
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s: expanded to %v, not an object", vp, got[i]))
			continue
		}
		switch x.kind {
		case ldLiteral:
			switch v.(type) {
			case string, float64, bool:
			default:
				*errs = append(*errs, fmt.Errorf("%s: %v is not a literal", vp, v))
				continue
			}
			if want := map[string]any{"@value": v}; !reflect.DeepEqual(e, want) {
				*errs = append(*errs, fmt.Errorf("%s: %v expanded to %v, want %v", vp, v, e, want))
			}
		case ldJSON:
			// A JSON literal keeps the value as it is: a snapshot, whose
			// own keys (an event's data carries @context, @id, @type) are
			// not expanded.
			if want := map[string]any{"@value": v, "@type": "@json"}; !reflect.DeepEqual(e, want) {
				*errs = append(*errs, fmt.Errorf("%s: %v expanded to %v, want the JSON literal", vp, v, e))
			}
		case ldDateTime:
			s, _ := v.(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %v is not an RFC 3339 date-time", vp, v))
			}
			if want := map[string]any{"@value": v, "@type": ldXSDNS + "dateTime"}; !reflect.DeepEqual(e, want) {
				*errs = append(*errs, fmt.Errorf("%s: %v expanded to %v, want %v", vp, v, e, want))
			}
		case ldIRI, ldVocab:
			s, ok := v.(string)
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s: %v is not an IRI string", vp, v))
				continue
			}
			var want string
			var err error
			if x.kind == ldIRI {
				want, err = c.resolve(s)
			} else {
				want, err = x.vocab(s)
			}
			if err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %v", vp, err))
				continue
			}
			if w := map[string]any{"@id": want}; !reflect.DeepEqual(e, w) {
				*errs = append(*errs, fmt.Errorf("%s: %q expanded to %v, want %v", vp, s, e, w))
			}
		case ldNode:
			m, ok := v.(map[string]any)
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s: %v is not an object", vp, v))
				continue
			}
			c.node(vp, m, e, x.class, x.hydraType, f.coll, errs)
		}
	}
}

// ldExpand runs json-gold on a copy of a compacted document received from
// path, fetching its context from the server.
func ldExpand(server, path string, doc any) ([]any, error) {
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions(server + path)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = ld.NewDefaultDocumentLoader(http.DefaultClient)
	return proc.Expand(ldCopy(doc), opts)
}

// expandAndCheck expands a document the test received from path and fails
// the test if any key is dropped or lands on an unintended IRI.
func expandAndCheck(t *testing.T, e *env, path string, doc any) []any {
	t.Helper()
	if doc == nil {
		t.Fatalf("%s: no JSON document to expand", path)
	}
	expanded, err := ldExpand(e.srv.URL, path, doc)
	if err != nil {
		t.Fatalf("%s: json-gold cannot expand the document: %v\n%s", path, err, ldPretty(doc))
	}
	if err := newLDChecker(e.srv.URL).check(doc, expanded); err != nil {
		t.Errorf("%s: the expansion does not match the intended IRIs:\n%v\ncompacted: %s\nexpanded: %s", path, err, ldPretty(doc), ldPretty(expanded))
	}
	return expanded
}

func TestJSONLDExpansion(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		docs := e.srv.URL + "/api/docs.jsonld"

		t.Run("entrypoint", func(t *testing.T) {
			r := e.do(req{Path: "/api", Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api: %d %s", r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, "/api", r.JSON)
			top := ex[0].(map[string]any)
			want := []any{map[string]any{"@id": e.srv.URL + "/api/organizations"}}
			if got := top[docs+"#Entrypoint/organization"]; !reflect.DeepEqual(got, want) {
				t.Errorf("entrypoint organization expanded to %v, want %v", got, want)
			}
		})

		created := e.createOrg(key, `{"name":"Acme","phone_number":"+1 555 0100",
			"contact":{"email":"ada@acme.test","first_name":"Ada","last_name":"Lovelace"},
			"address":{"street_address":"1 Main St","city":"Springfield","state":"IL","zip_code":"62701","country":"US"}}`)
		orgID, _ := created["@id"].(string)

		t.Run("organization", func(t *testing.T) {
			expandAndCheck(t, e, "/api/organizations", created) // the POST answer
			r := e.do(req{Path: orgID, Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", orgID, r.Status, r.Body)
			}
			for _, k := range []string{"contact", "address", "status", "owners", "members", "created_at", "phone_number", "collection"} {
				if _, ok := r.obj()[k]; !ok {
					t.Errorf("the organization has no %q, so its expansion is not covered: %s", k, r.Body)
				}
			}
			ex := expandAndCheck(t, e, orgID, r.JSON)
			top := ex[0].(map[string]any)
			contact, _ := top[docs+"#Organization/contact"].([]any)
			if len(contact) != 1 {
				t.Fatalf("contact expanded to %v", top[docs+"#Organization/contact"])
			}
			want := []any{map[string]any{"@value": "ada@acme.test"}}
			if got := contact[0].(map[string]any)[docs+"#Contact/email"]; !reflect.DeepEqual(got, want) {
				t.Errorf("contact.email expanded to %v, want %v under <%s#Contact/email>", got, want, docs)
			}
		})

		t.Run("events", func(t *testing.T) {
			// A cursor page in the middle of the feed (previous and next),
			// filtered, with the events' JSON literals, and one event.
			for _, n := range []string{"Eta 1", "Eta 2", "Eta 3"} {
				e.createOrg(key, `{"name":"`+n+`"}`)
			}
			first := e.do(req{Path: "/api/events?itemsPerPage=1&type=organization.*", Key: key})
			path, _ := pmObj(first.obj()["view"])["next"].(string)
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusOK || path == "" {
				t.Fatalf("GET %q: %d %s", path, r.Status, r.Body)
			}
			view, _ := r.obj()["view"].(map[string]any)
			for _, k := range []string{"first", "previous", "next"} {
				if _, ok := view[k]; !ok {
					t.Errorf("view has no %q, so its expansion is not covered: %s", k, r.Body)
				}
			}
			expandAndCheck(t, e, path, r.obj())
			item := pmS(pmObj(pmList(r.obj()["member"])[0])["@id"])
			expandAndCheck(t, e, item, e.do(req{Path: item, Key: key}).obj())
		})

		t.Run("collection", func(t *testing.T) {
			for _, n := range []string{"Zeta Widgets 1", "Zeta Widgets 2", "Zeta Widgets 3"} {
				e.createOrg(key, `{"name":"`+n+`"}`)
			}
			path := "/api/organizations?itemsPerPage=1&page=2&name=zeta%20widgets"
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			doc := r.obj()
			if doc["totalItems"] != 3.0 {
				t.Errorf("totalItems = %v, want 3", doc["totalItems"])
			}
			view, _ := doc["view"].(map[string]any)
			for _, k := range []string{"first", "last", "previous", "next"} {
				if _, ok := view[k]; !ok {
					t.Errorf("view has no %q, so its expansion is not covered: %s", k, r.Body)
				}
			}
			if _, ok := doc["search"].(map[string]any); !ok {
				t.Errorf("collection has no search template: %s", r.Body)
			}
			ex := expandAndCheck(t, e, path, doc)
			top := ex[0].(map[string]any)
			views, _ := top[ldHydraNS+"view"].([]any)
			if len(views) != 1 {
				t.Fatalf("view expanded to %v", top[ldHydraNS+"view"])
			}
			want := []any{map[string]any{"@id": e.srv.URL + "/api/organizations?itemsPerPage=1&name=zeta%20widgets&page=3"}}
			if got := views[0].(map[string]any)[ldHydraNS+"next"]; !reflect.DeepEqual(got, want) {
				t.Errorf("view.next expanded to %v, want %v", got, want)
			}
		})

		t.Run("member", func(t *testing.T) {
			members, _ := created["members"].([]any)
			if len(members) == 0 {
				t.Fatalf("the organization embeds no members: %v", created)
			}
			id, _ := members[0].(map[string]any)["@id"].(string)
			r := e.do(req{Path: id, Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", id, r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, id, r.JSON)
			top := ex[0].(map[string]any)
			want := []any{map[string]any{"@id": e.srv.URL + orgID}}
			if got := top[docs+"#Member/organization"]; !reflect.DeepEqual(got, want) {
				t.Errorf("member.organization expanded to %v, want %v", got, want)
			}
			user, _ := r.obj()["user"].(string)
			want = []any{map[string]any{"@id": e.srv.URL + user}}
			if got := top[docs+"#Member/user"]; user == "" || !reflect.DeepEqual(got, want) {
				t.Errorf("member.user expanded to %v, want %v", got, want)
			}
		})

		// The documents of issue 4: members, roles, workspaces and
		// invitations, as collections, items and answers to writes.
		orgUUID, _ := created["id"].(string)
		var invitationID string // a pending invitation to x@example.com
		// ldGet fetches a JSON-LD document and expands it.
		ldGet := func(t *testing.T, path, k string) (map[string]any, map[string]any) {
			t.Helper()
			r := e.do(req{Path: path, Key: k})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, path, r.JSON)
			top, _ := ex[0].(map[string]any)
			return r.obj(), top
		}
		// ldFirst is the first member of a collection document.
		ldFirst := func(t *testing.T, path string, doc map[string]any) map[string]any {
			t.Helper()
			ms, _ := doc["member"].([]any)
			if len(ms) == 0 {
				t.Fatalf("%s has no member, so no item is covered: %v", path, doc)
			}
			m, _ := ms[0].(map[string]any)
			return m
		}

		t.Run("members", func(t *testing.T) {
			path := "/api/members?organization=" + orgID
			doc, top := ldGet(t, path, key)
			if doc["totalItems"] != 1.0 {
				t.Errorf("%s: totalItems = %v, want 1 (Ada)", path, doc["totalItems"])
			}
			if _, ok := doc["search"].(map[string]any); !ok {
				t.Errorf("%s has no search template: %v", path, doc)
			}
			ms, _ := top[ldHydraNS+"member"].([]any)
			if len(ms) != 1 {
				t.Fatalf("hydra:member expanded to %v", top[ldHydraNS+"member"])
			}
			want := []any{map[string]any{"@id": e.srv.URL + orgID}}
			if got := ms[0].(map[string]any)[docs+"#Member/organization"]; !reflect.DeepEqual(got, want) {
				t.Errorf("member[0].organization expanded to %v, want %v", got, want)
			}
			// The item, by the IRI the collection gives.
			id, _ := ldFirst(t, path, doc)["@id"].(string)
			item, itop := ldGet(t, id, key)
			if item["role"] != "owner" {
				t.Errorf("%s: role = %v, want owner", id, item["role"])
			}
			if got, want := itop[docs+"#Member/role"], []any{map[string]any{"@value": "owner"}}; !reflect.DeepEqual(got, want) {
				t.Errorf("member.role expanded to %v, want %v", got, want)
			}
		})

		t.Run("roles", func(t *testing.T) {
			// Four roles in each of Ada's organizations (Personal included).
			orgs, _ := ldGet(t, "/api/organizations", key)
			n, _ := orgs["totalItems"].(float64)
			doc, _ := ldGet(t, "/api/roles", key)
			if doc["totalItems"] != 4*n {
				t.Errorf("/api/roles: totalItems = %v, want %v (4 in each of %v organizations)", doc["totalItems"], 4*n, n)
			}
			path := "/api/roles?organization=" + orgID
			doc, _ = ldGet(t, path, key)
			if doc["totalItems"] != 4.0 {
				t.Errorf("%s: totalItems = %v, want 4", path, doc["totalItems"])
			}
			id, _ := ldFirst(t, path, doc)["@id"].(string)
			item, itop := ldGet(t, id, key)
			perms, _ := item["permissions"].([]any)
			if len(perms) == 0 {
				t.Errorf("%s has no permissions, so their expansion is not covered: %v", id, item)
			}
			if got, _ := itop[docs+"#Role/permissions"].([]any); len(got) != len(perms) {
				t.Errorf("role.permissions: %d values expanded to %v", len(perms), itop[docs+"#Role/permissions"])
			}
			want := []any{map[string]any{"@id": e.srv.URL + orgID}}
			if got := itop[docs+"#Role/organization"]; !reflect.DeepEqual(got, want) {
				t.Errorf("role.organization expanded to %v, want %v", got, want)
			}
		})

		t.Run("workspaces", func(t *testing.T) {
			// The personal organization's "Default" workspace is there from the start.
			doc, _ := ldGet(t, "/api/workspaces", key)
			if doc["totalItems"] != 1.0 {
				t.Errorf("/api/workspaces: totalItems = %v, want 1 (Default): %v", doc["totalItems"], doc)
			}
			r := e.do(req{Method: http.MethodPost, Path: "/api/workspaces", Key: key,
				Body: `{"organization":"` + orgID + `","name":"Research"}`})
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /api/workspaces: %d %s", r.Status, r.Body)
			}
			expandAndCheck(t, e, "/api/workspaces", r.JSON) // the POST answer
			path := "/api/workspaces?organization=" + orgID
			doc, _ = ldGet(t, path, key)
			if doc["totalItems"] != 1.0 {
				t.Errorf("%s: totalItems = %v, want 1", path, doc["totalItems"])
			}
			id, _ := ldFirst(t, path, doc)["@id"].(string)
			_, itop := ldGet(t, id, key)
			want := []any{map[string]any{"@value": "Research"}}
			if got := itop[docs+"#Workspace/name"]; !reflect.DeepEqual(got, want) {
				t.Errorf("workspace.name expanded to %v, want %v", got, want)
			}
		})

		t.Run("invitations", func(t *testing.T) {
			r := e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: key,
				Body: `{"organization":"` + orgID + `","email":"x@example.com"}`})
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /api/invitations: %d %s", r.Status, r.Body)
			}
			expandAndCheck(t, e, "/api/invitations", r.JSON) // the POST answer
			inv := r.obj()
			id, _ := inv["@id"].(string)
			for _, k := range []string{"organization", "email", "role", "status", "expires_at", "inviter", "created_at", "updated_at"} {
				if _, ok := inv[k]; !ok {
					t.Errorf("the pending invitation has no %q, so its expansion is not covered: %s", k, r.Body)
				}
			}
			doc, _ := ldGet(t, "/api/invitations", key)
			if doc["totalItems"] != 1.0 {
				t.Errorf("/api/invitations: totalItems = %v, want 1", doc["totalItems"])
			}
			ldGet(t, "/api/invitations?organization="+orgID+"&status=pending", key)
			_, itop := ldGet(t, id, key)
			want := []any{map[string]any{"@id": e.srv.URL + orgID}}
			if got := itop[docs+"#Invitation/organization"]; !reflect.DeepEqual(got, want) {
				t.Errorf("invitation.organization expanded to %v, want %v", got, want)
			}
			invitationID = id

			// Revoked.
			r = e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: key,
				Body: `{"organization":"` + orgID + `","email":"y@example.com","role":"developer","expires_in_days":3}`})
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /api/invitations: %d %s", r.Status, r.Body)
			}
			rid, _ := r.obj()["@id"].(string)
			v := e.do(req{Method: http.MethodPost, Path: rid + "/revoke", Key: key})
			if v.Status != http.StatusOK {
				t.Fatalf("POST %s/revoke: %d %s", rid, v.Status, v.Body)
			}
			if _, ok := v.obj()["revoked_at"]; !ok {
				t.Errorf("the revoked invitation has no revoked_at, so its expansion is not covered: %s", v.Body)
			}
			expandAndCheck(t, e, rid+"/revoke", v.JSON)
		})

		t.Run("invitation accepted", func(t *testing.T) {
			// The invitee's answer is the new Member, and the invitation
			// now links to it.
			id := invitationID
			if id == "" {
				t.Skip("no invitation (see the invitations subtest)")
			}
			x := e.key("x@example.com", "live", "write")
			a := e.do(req{Method: http.MethodPost, Path: id + "/accept", Key: x})
			if a.Status != http.StatusCreated {
				t.Fatalf("POST %s/accept: %d %s", id, a.Status, a.Body)
			}
			expandAndCheck(t, e, id+"/accept", a.JSON)
			accepted, atop := ldGet(t, id, key)
			for _, k := range []string{"membership", "accepted_at"} {
				if _, ok := accepted[k]; !ok {
					t.Errorf("the accepted invitation has no %q, so its expansion is not covered: %v", k, accepted)
				}
			}
			want := []any{map[string]any{"@id": e.srv.URL + fmt.Sprint(a.obj()["@id"])}}
			if got := atop[docs+"#Invitation/membership"]; !reflect.DeepEqual(got, want) {
				t.Errorf("invitation.membership expanded to %v, want %v", got, want)
			}
		})

		t.Run("invitation 422", func(t *testing.T) {
			r := e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: key,
				Body: `{"organization":"` + orgID + `","email":"not an email","expires_in_days":31}`})
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("POST: %d %s", r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, "/api/invitations", r.JSON)
			top := ex[0].(map[string]any)
			vs, _ := top[docs+"#violations"].([]any)
			if len(vs) != 2 {
				t.Fatalf("want 2 violations (email, expires_in_days) in the expansion: %s", ldPretty(ex))
			}
			for i, v := range vs {
				m, _ := v.(map[string]any)
				for _, k := range []string{"#propertyPath", "#message", "#code"} {
					if _, ok := m[docs+k]; !ok {
						t.Errorf("violation %d has no <%s%s> once expanded: %v", i, docs, k, m)
					}
				}
			}
		})

		t.Run("me", func(t *testing.T) {
			r := e.do(req{Path: "/api/me", Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/me: %d %s", r.Status, r.Body)
			}
			expandAndCheck(t, e, "/api/me", r.JSON)
		})

		t.Run("404", func(t *testing.T) {
			path := "/api/organizations/01900000-0000-7000-8000-000000000000"
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusNotFound {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, path, r.JSON)
			top := ex[0].(map[string]any)
			for _, iri := range []string{ldHydraNS + "title", ldHydraNS + "description", docs + "#detail", ldHydraNS + "statusCode"} {
				if _, ok := top[iri]; !ok {
					t.Errorf("the 404 document has no <%s> once expanded", iri)
				}
			}
		})

		t.Run("422", func(t *testing.T) {
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key,
				Body: `{"name":"","contact":{"email":"not an email"}}`})
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("POST: %d %s", r.Status, r.Body)
			}
			ex := expandAndCheck(t, e, "/api/organizations", r.JSON)
			// API Platform Admin reads <B>#propertyPath and <B>#message of the
			// entries of <B>#violations: one namespace for all three.
			top := ex[0].(map[string]any)
			vs, _ := top[docs+"#violations"].([]any)
			if len(vs) == 0 {
				t.Fatalf("no <%s#violations> in the expansion: %s", docs, ldPretty(ex))
			}
			for i, v := range vs {
				m, _ := v.(map[string]any)
				for _, k := range []string{"#propertyPath", "#message", "#code"} {
					if _, ok := m[docs+k]; !ok {
						t.Errorf("violation %d has no <%s%s> once expanded: %v", i, docs, k, m)
					}
				}
			}
		})

		// More shapes: every JSON-LD answer goes through the same check.
		t.Run("more", func(t *testing.T) {
			user, _ := created["members"].([]any)[0].(map[string]any)["user"].(string)
			for _, rq := range []struct {
				req
				status int
			}{
				{req{Method: http.MethodPatch, Path: orgID, Key: key, Body: `{"name":"Acme 2","contact":{"first_name":null}}`}, http.StatusOK},
				{req{Path: "/api/organizations", Key: key}, http.StatusOK},
				{req{Path: "/api/organizations?name=acme", Key: key}, http.StatusOK},
				{req{Path: "/api/organizations?partial=true&itemsPerPage=1&order%5Bname%5D=desc", Key: key}, http.StatusOK},
				{req{Path: "/api/organizations?itemsPerPage=0", Key: key}, http.StatusOK},
				{req{Path: "/api/organizations?name=nothing-matches", Key: key}, http.StatusOK},
				{req{Path: user, Key: key}, http.StatusOK},
				{req{Path: "/api/organizations"}, http.StatusUnauthorized},
				{req{Method: http.MethodPut, Path: orgID, Key: key, Body: `{"name":"x"}`}, http.StatusMethodNotAllowed},
				{req{Path: "/api/organizations?page=0", Key: key}, http.StatusBadRequest},
				{req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":`}, http.StatusBadRequest},
				{req{Path: "/api/nowhere", Key: key}, http.StatusNotFound},
				// The aliases of the original organizations API write the
				// documents of the canonical collections.
				{req{Path: orgID + "/workspaces", Key: key}, http.StatusOK},
				{req{Path: orgID + "/roles", Key: key}, http.StatusOK},
				{req{Method: http.MethodPost, Path: orgID + "/members/invite", Key: key, Body: `{"email":"z@example.com","role":"viewer"}`}, http.StatusCreated},
				{req{Path: "/api/members?organization=" + orgUUID + "&role=owner&order%5Bjoined_at%5D=desc", Key: key}, http.StatusOK},
				// Problems of the new resources.
				{req{Method: http.MethodPatch, Path: fmt.Sprint(created["members"].([]any)[0].(map[string]any)["@id"]), Key: key, Body: `{"role":"viewer"}`}, http.StatusUnprocessableEntity},
				{req{Method: http.MethodPost, Path: "/api/invitations", Key: key, Body: `{"organization":"/api/organizations/01900000-0000-7000-8000-000000000000","email":"q@example.com"}`}, http.StatusBadRequest},
				{req{Path: "/api/members?role=Boss", Key: key}, http.StatusBadRequest},
			} {
				r := e.do(rq.req)
				if r.Status != rq.status {
					t.Errorf("%s %s: %d, want %d: %s", ldOr(rq.Method, "GET"), rq.Path, r.Status, rq.status, r.Body)
					continue
				}
				if _, ok := r.obj()["@context"]; !ok {
					t.Errorf("%s %s: not a JSON-LD document: %s", ldOr(rq.Method, "GET"), rq.Path, r.Body)
					continue
				}
				expandAndCheck(t, e, rq.Path, r.JSON)
			}
		})

		t.Run("docs", func(t *testing.T) {
			r := e.do(req{Path: "/api/docs.jsonld"})
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/docs.jsonld: %d %s", r.Status, r.Body)
			}
			ex, err := ldExpand(e.srv.URL, "/api/docs.jsonld", r.JSON)
			if err != nil {
				t.Fatalf("json-gold cannot expand the docs: %v", err)
			}
			if err := ldCheckDocs(e.srv.URL, r.JSON, ex); err != nil {
				t.Errorf("the docs do not expand as intended:\n%v", err)
			}
			// The entrypoint's term IRI for organization is the @id of the
			// docs property that describes it.
			ep := e.do(req{Path: "/api"})
			epx := expandAndCheck(t, e, "/api", ep.JSON)
			if _, ok := epx[0].(map[string]any)[docs+"#Entrypoint/organization"]; !ok {
				t.Errorf("the entrypoint does not expand organization to <%s#Entrypoint/organization>", docs)
			}
		})
	})
}

// ldDocsTerms are the unprefixed keys of the ApiDocumentation and their IRIs,
// from the Hydra Core Vocabulary's own context.
var ldDocsTerms = map[string]string{
	"title": ldHydraNS + "title", "description": ldHydraNS + "description",
	"entrypoint": ldHydraNS + "entrypoint", "supportedClass": ldHydraNS + "supportedClass",
	"supportedProperty": ldHydraNS + "supportedProperty", "property": ldHydraNS + "property",
	"required": ldHydraNS + "required", "readable": ldHydraNS + "readable",
	"writeable": ldHydraNS + "writeable", "writable": ldHydraNS + "writable",
	"supportedOperation": ldHydraNS + "supportedOperation", "method": ldHydraNS + "method",
	"expects": ldHydraNS + "expects", "returns": ldHydraNS + "returns",
	"expectsHeader": ldHydraNS + "expectsHeader", "headerName": ldHydraNS + "headerName",
	"possibleValue": ldHydraNS + "possibleValue", "member": ldHydraNS + "member",
	"memberAssertion": ldHydraNS + "memberAssertion", "object": ldHydraNS + "object",
	"subject": ldHydraNS + "subject", "closedSet": ldHydraNS + "closedSet",
	"returnsHeader": ldHydraNS + "returnsHeader", "possibleStatus": ldHydraNS + "possibleStatus",
	"statusCode": ldHydraNS + "statusCode",
	"label":      ldRDFSNS + "label", "domain": ldRDFSNS + "domain", "range": ldRDFSNS + "range",
	"subClassOf": ldRDFSNS + "subClassOf", "subPropertyOf": ldRDFSNS + "subPropertyOf",
	"comment": ldRDFSNS + "comment", "oneOf": ldOWLNS + "oneOf",
}

// ldDocsTypes are the unprefixed class names the docs use as values.
var ldDocsTypes = map[string]string{
	"ApiDocumentation": ldHydraNS + "ApiDocumentation", "Class": ldHydraNS + "Class",
	"SupportedProperty": ldHydraNS + "SupportedProperty", "Operation": ldHydraNS + "Operation",
	"Link": ldHydraNS + "Link", "Collection": ldHydraNS + "Collection",
	"HeaderSpecification": ldHydraNS + "HeaderSpecification", "Status": ldHydraNS + "Status",
}

// Keys whose string values are IRIs: document-relative (@id) or
// vocabulary-relative (@vocab).
var (
	ldDocsIDKeys = map[string]bool{"entrypoint": true, "domain": true, "range": true, "subClassOf": true, "subPropertyOf": true}
	// ldDocsListKeys hold one JSON-LD list (owl:oneOf is an rdf:List).
	ldDocsListKeys  = map[string]bool{"oneOf": true}
	ldDocsVocabKeys = map[string]bool{"expects": true, "returns": true, "property": true, "object": true, "subject": true, "supportedClass": true}
)

// ldCheckDocs walks the compacted docs and their expansion in
// parallel: every key must expand to its Hydra/RDFS/OWL IRI, and every class
// and property the registry declares must be described under the IRI its
// context terms expand to.
func ldCheckDocs(server string, compacted any, expanded []any) error {
	c := newLDChecker(server)
	doc, ok := compacted.(map[string]any)
	if !ok || len(expanded) != 1 {
		return fmt.Errorf("want one object expanding to one node, got %T and %d nodes", compacted, len(expanded))
	}
	top, _ := expanded[0].(map[string]any)
	var errs []error
	c.docsNode("", doc, top, &errs)

	// The ApiDocumentation itself.
	if got := top["@type"]; !reflect.DeepEqual(got, []any{ldHydraNS + "ApiDocumentation"}) {
		errs = append(errs, fmt.Errorf("@type expanded to %v", got))
	}
	if got := top["@id"]; got != c.docs {
		errs = append(errs, fmt.Errorf("@id expanded to %v, want %s", got, c.docs))
	}
	want := []any{map[string]any{"@id": server + "/api"}}
	if got := top[ldHydraNS+"entrypoint"]; !reflect.DeepEqual(got, want) {
		errs = append(errs, fmt.Errorf("entrypoint expanded to %v, want %v", got, want))
	}
	classes := map[string]map[string]any{}
	list, _ := top[ldHydraNS+"supportedClass"].([]any)
	for _, cl := range list {
		m, _ := cl.(map[string]any)
		id, _ := m["@id"].(string)
		classes[id] = m
	}

	// Every declared class and property, under the intended IRIs.
	for _, cl := range hydra.API.Classes {
		node := classes[c.docs+"#"+cl.Name]
		if node == nil {
			errs = append(errs, fmt.Errorf("no supportedClass expands to <%s#%s>", c.docs, cl.Name))
			continue
		}
		if got := node["@type"]; !reflect.DeepEqual(got, []any{ldHydraNS + "Class"}) {
			errs = append(errs, fmt.Errorf("#%s: @type expanded to %v", cl.Name, got))
		}
		// Labelled and commented for RDF tools, from the declaration.
		errs = append(errs, ldTermLabels("#"+cl.Name, node, cl.Name, cl.Description)...)
		var supers []string
		if cl.Parent != nil {
			supers = append(supers, c.docs+"#"+cl.Parent.Name)
		}
		for _, s := range cl.Specializes {
			supers = append(supers, ldExpandCompact(s))
		}
		if got, want := ldIDs(node[ldRDFSNS+"subClassOf"]), supers; !reflect.DeepEqual(got, want) {
			errs = append(errs, fmt.Errorf("#%s: rdfs:subClassOf %v, want %v", cl.Name, got, want))
		}
		props := map[string]map[string]any{}
		sps, _ := node[ldHydraNS+"supportedProperty"].([]any)
		for _, sp := range sps {
			m, _ := sp.(map[string]any)
			pl, _ := m[ldHydraNS+"property"].([]any)
			if len(pl) != 1 {
				errs = append(errs, fmt.Errorf("#%s: a supportedProperty with hydra:property %v", cl.Name, m[ldHydraNS+"property"]))
				continue
			}
			p, _ := pl[0].(map[string]any)
			id, _ := p["@id"].(string)
			props[id] = m
		}
		for _, p := range cl.Properties {
			iri, err := c.propertyIRI(cl, p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sp := props[iri]
			if sp == nil {
				errs = append(errs, fmt.Errorf("#%s: no supportedProperty whose hydra:property expands to <%s> (the IRI the %s context gives %q)", cl.Name, iri, cl.Name, p.Name))
				continue
			}
			if got := sp["@type"]; !reflect.DeepEqual(got, []any{ldHydraNS + "SupportedProperty"}) {
				errs = append(errs, fmt.Errorf("#%s/%s: @type expanded to %v", cl.Name, p.Name, got))
			}
			wants := map[string]any{
				ldHydraNS + "title":     p.Name,
				ldHydraNS + "required":  p.Required,
				ldHydraNS + "readable":  !p.WriteOnly, // write-only: sent, never returned
				ldHydraNS + "writeable": p.Writable,   // API Platform's spelling, which api-doc-parser reads
				ldHydraNS + "writable":  p.Writable,   // Hydra's, which alcaeus reads
			}
			for k, v := range wants {
				if got, w := sp[k], []any{map[string]any{"@value": v}}; !reflect.DeepEqual(got, w) {
					errs = append(errs, fmt.Errorf("#%s/%s: <%s> expanded to %v, want %v", cl.Name, p.Name, k, got, w))
				}
			}
			prop := sp[ldHydraNS+"property"].([]any)[0].(map[string]any)
			if !strings.HasPrefix(iri, c.docs+"#") {
				// Another vocabulary's term (hydra:title): the docs state
				// nothing of it, least of all a domain, which would make
				// everything with a hydra:title an Error.
				for _, k := range []string{"domain", "range", "label", "comment", "subPropertyOf"} {
					if v, has := prop[ldRDFSNS+k]; has {
						errs = append(errs, fmt.Errorf("<%s>: the docs state rdfs:%s %v of another vocabulary's term", iri, k, v))
					}
				}
				continue
			}
			errs = append(errs, ldTermLabels("#"+cl.Name+"/"+p.Name, prop, p.Name, p.Description)...)
			wantDomain := []any{map[string]any{"@id": c.docs + "#" + cl.Name}}
			if got := prop[ldRDFSNS+"domain"]; !reflect.DeepEqual(got, wantDomain) {
				errs = append(errs, fmt.Errorf("#%s/%s: rdfs:domain expanded to %v, want %v", cl.Name, p.Name, got, wantDomain))
			}
			var wantSupers []string
			for _, s := range p.Specializes {
				wantSupers = append(wantSupers, ldExpandCompact(s))
			}
			if got := ldIDs(prop[ldRDFSNS+"subPropertyOf"]); !reflect.DeepEqual(got, wantSupers) {
				errs = append(errs, fmt.Errorf("#%s/%s: rdfs:subPropertyOf %v, want %v", cl.Name, p.Name, got, wantSupers))
			}
			errs = append(errs, c.checkRange(cl, p, prop[ldRDFSNS+"range"])...)
		}
	}

	// The entrypoint class: one property per collection, whose @id is the
	// entrypoint context's term IRI, ranging over a Collection of the class.
	ep := classes[c.docs+"#Entrypoint"]
	if ep == nil {
		errs = append(errs, fmt.Errorf("no supportedClass expands to <%s#Entrypoint>", c.docs))
	} else {
		description, _ := ep[ldHydraNS+"description"].([]any)
		if len(description) != 1 {
			errs = append(errs, fmt.Errorf("#Entrypoint: hydra:description %v", description))
		} else if s, _ := description[0].(map[string]any)["@value"].(string); s != "" {
			errs = append(errs, ldTermLabels("#Entrypoint", ep, "Entrypoint", s)...)
		}
		found := map[string]map[string]any{}
		sps, _ := ep[ldHydraNS+"supportedProperty"].([]any)
		for _, sp := range sps {
			m, _ := sp.(map[string]any)
			pl, _ := m[ldHydraNS+"property"].([]any)
			if len(pl) == 1 {
				p, _ := pl[0].(map[string]any)
				id, _ := p["@id"].(string)
				found[id] = p
			}
		}
		for _, cl := range hydra.API.Collections() {
			iri := c.docs + "#Entrypoint/" + strings.ToLower(cl.Name[:1]) + cl.Name[1:]
			p := found[iri]
			if p == nil {
				errs = append(errs, fmt.Errorf("#Entrypoint: no property expands to <%s>", iri))
				continue
			}
			key := strings.ToLower(cl.Name[:1]) + cl.Name[1:]
			errs = append(errs, ldTermLabels(iri, p, key, "The collection of "+cl.Name+" resources.")...)
			if !strings.Contains(ldMarshal(p[ldRDFSNS+"range"]), `"@id":"`+c.docs+"#"+cl.Name+`"`) ||
				!strings.Contains(ldMarshal(p[ldRDFSNS+"range"]), ldOWLNS+"allValuesFrom") {
				errs = append(errs, fmt.Errorf("<%s>: rdfs:range does not say owl:allValuesFrom <%s#%s>: %s", iri, c.docs, cl.Name, ldMarshal(p[ldRDFSNS+"range"])))
			}
		}
	}
	return errors.Join(errs...)
}

// ldTermLabels checks a term's rdfs:label and rdfs:comment (none when the
// declaration has no description).
func ldTermLabels(what string, node map[string]any, label, comment string) []error {
	var errs []error
	if got, want := node[ldRDFSNS+"label"], []any{map[string]any{"@value": label}}; !reflect.DeepEqual(got, want) {
		errs = append(errs, fmt.Errorf("%s: rdfs:label %v, want %v", what, got, want))
	}
	var want any
	if comment != "" {
		want = []any{map[string]any{"@value": comment}}
	}
	if got := node[ldRDFSNS+"comment"]; !reflect.DeepEqual(got, want) {
		errs = append(errs, fmt.Errorf("%s: rdfs:comment %v, want %v", what, got, want))
	}
	return errs
}

// checkRange checks a property's rdfs:range: the xsd type or class first
// (api-doc-parser reads the first as the field's type), then for an
// enumeration the datatype whose owl:oneOf lists its values in order; an
// ordered property's values are one rdf:List.
func (c ldChecker) checkRange(cl *hydra.Class, p *hydra.Property, got any) []error {
	xsd := map[hydra.Kind]string{hydra.String: "string", hydra.Integer: "integer", hydra.Boolean: "boolean", hydra.DateTime: "dateTime"}
	var first string
	switch {
	case p.Ordered:
		first = ldRDFNS + "List"
	case p.Kind == hydra.Object || p.Kind == hydra.Reference:
		first = c.docs + "#" + p.Class.Name
	case p.Kind == hydra.JSONValue:
		first = ldRDFNS + "JSON"
	default:
		first = ldXSDNS + xsd[p.Kind]
	}
	want := []any{map[string]any{"@id": first}}
	if len(p.Enum) > 0 {
		var values []any
		for _, v := range p.Enum {
			values = append(values, map[string]any{"@value": v})
		}
		want = append(want, map[string]any{
			"@type":           []any{ldRDFSNS + "Datatype"},
			ldOWLNS + "oneOf": []any{map[string]any{"@list": values}},
		})
	}
	if !reflect.DeepEqual(got, want) {
		return []error{fmt.Errorf("#%s/%s: rdfs:range %s, want %s", cl.Name, p.Name, ldMarshal(got), ldMarshal(want))}
	}
	return nil
}

// ldIDs are the @id values of an expanded property, in order.
func ldIDs(v any) []string {
	var ids []string
	list, _ := v.([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		id, _ := m["@id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// ldExpandCompact expands a compact IRI of the documents' prefixes.
func ldExpandCompact(s string) string {
	pre, local, _ := strings.Cut(s, ":")
	return ldPrefixes[pre] + local
}

// docsNode checks the keys of one docs node against the docs vocabulary.
func (c ldChecker) docsNode(path string, comp, exp map[string]any, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", ldOr(path, "/"), fmt.Sprintf(format, args...)))
	}
	if id, has := comp["@id"]; has {
		s, _ := id.(string)
		want, err := c.docsIRI(s, false)
		if err != nil {
			fail("@id: %v", err)
		} else if exp["@id"] != want {
			fail("@id %q expanded to %v, want %q", s, exp["@id"], want)
		}
	}
	if t, has := comp["@type"]; has {
		ts, isList := t.([]any)
		if !isList {
			ts = []any{t}
		}
		var want []any
		for _, v := range ts {
			s, _ := v.(string)
			iri, err := c.docsIRI(s, true)
			if err != nil {
				fail("@type: %v", err)
				return
			}
			want = append(want, iri)
		}
		if !reflect.DeepEqual(exp["@type"], want) {
			fail("@type %v expanded to %v, want %v", t, exp["@type"], want)
		}
	}
	intended := map[string]bool{}
	for _, k := range ldSortedKeys(comp) {
		if k == "@context" || k == "@id" || k == "@type" {
			continue
		}
		kp := path + "/" + k
		iri := ldDocsTerms[k]
		if pre, local, ok := strings.Cut(k, ":"); ok && ldPrefixes[pre] != "" {
			iri = ldPrefixes[pre] + local
		}
		if k == "createOnly" { // the API's own term (hydra/docs.go): in its vocabulary
			iri = c.docs + "#createOnly"
		}
		if iri == "" {
			*errs = append(*errs, fmt.Errorf("%s: %q is no term of the docs vocabulary", kp, k))
			continue
		}
		intended[iri] = true
		got, ok := exp[iri].([]any)
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s: dropped or misnamed by expansion: no <%s> in the expanded node (keys %v)", kp, iri, ldSortedKeys(exp)))
			continue
		}
		if ldDocsListKeys[k] {
			var list map[string]any
			if len(got) == 1 {
				list, _ = got[0].(map[string]any)
			}
			if got, ok = list["@list"].([]any); !ok || len(list) != 1 {
				*errs = append(*errs, fmt.Errorf("%s: expanded to %v, want one @list", kp, exp[iri]))
				continue
			}
		}
		values, isList := comp[k].([]any)
		if !isList {
			values = []any{comp[k]}
		}
		if len(values) != len(got) {
			*errs = append(*errs, fmt.Errorf("%s: %d values expanded to %d", kp, len(values), len(got)))
			continue
		}
		for i, v := range values {
			vp := fmt.Sprintf("%s/%d", kp, i)
			e, _ := got[i].(map[string]any)
			switch v := v.(type) {
			case map[string]any:
				c.docsNode(vp, v, e, errs)
			case string:
				if ldDocsIDKeys[k] || ldDocsVocabKeys[k] {
					want, err := c.docsIRI(v, ldDocsVocabKeys[k])
					if err != nil {
						*errs = append(*errs, fmt.Errorf("%s: %v", vp, err))
					} else if w := map[string]any{"@id": want}; !reflect.DeepEqual(e, w) {
						*errs = append(*errs, fmt.Errorf("%s: %q expanded to %v, want %v", vp, v, e, w))
					}
					continue
				}
				if w := map[string]any{"@value": v}; !reflect.DeepEqual(e, w) {
					*errs = append(*errs, fmt.Errorf("%s: %q expanded to %v, want %v", vp, v, e, w))
				}
			default:
				if w := map[string]any{"@value": v}; !reflect.DeepEqual(e, w) {
					*errs = append(*errs, fmt.Errorf("%s: %v expanded to %v, want %v", vp, v, e, w))
				}
			}
		}
	}
	for _, k := range ldSortedKeys(exp) {
		if k != "@id" && k != "@type" && !intended[k] {
			fail("expansion has <%s>, which no key was meant to expand to", k)
		}
	}
}

// docsIRI is the intended expansion of an IRI-valued string of the docs:
// a compact IRI, a fragment or path (document-relative), or, for @vocab
// values, a Hydra term or a class name under the docs vocabulary.
func (c ldChecker) docsIRI(s string, vocab bool) (string, error) {
	if pre, local, ok := strings.Cut(s, ":"); ok && ldPrefixes[pre] != "" {
		return ldPrefixes[pre] + local, nil
	}
	switch {
	case strings.HasPrefix(s, "#"):
		return c.docs + s, nil
	case strings.HasPrefix(s, "/"):
		return c.server + s, nil
	case vocab && ldDocsTypes[s] != "":
		return ldDocsTypes[s], nil
	case vocab:
		if _, ok := hydra.API.Class(s); ok || s == "Entrypoint" {
			return c.docs + "#" + s, nil
		}
	}
	return "", fmt.Errorf("%q: no intended IRI", s)
}

// TestJSONLDCheckerRejectsBadDocuments proves the checker is not vacuous:
// documents whose keys are dropped, undefined or mapped to the wrong IRI are
// caught, and the well-formed one passes.
func TestJSONLDCheckerRejectsBadDocuments(t *testing.T) {
	const base = "http://orgraph.test"
	ctxDoc, ok := hydra.API.ContextDocument("Organization", base)
	if !ok {
		t.Fatal("no Organization context")
	}
	ctx, _ := ctxDoc["@context"].(map[string]any)
	doc := func(context any, extra map[string]any) map[string]any {
		d := map[string]any{
			"@context":   context,
			"@id":        "/api/organizations/1",
			"@type":      "Organization",
			"name":       "Acme",
			"created_at": "2026-01-01T00:00:00+00:00",
			"contact":    map[string]any{"@type": "Contact", "email": "ada@acme.test"},
			"members": []any{map[string]any{
				"@id": "/api/members/1", "@type": "Member", "email": "ada@acme.test",
				"user": "/api/users/1", "organization": "/api/organizations/1",
			}},
		}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	// A declared property whose term is null: expansion drops the key.
	nulled := []any{ctx, map[string]any{"phone_number": nil}}
	cases := []struct {
		name  string
		doc   map[string]any
		fails string // "" when the document must pass
	}{
		{"well formed", doc(ctx, nil), ""},
		{"undefined key under @vocab", doc(ctx, map[string]any{"bogus": "x"}), `"bogus" is not a property of Organization`},
		{"key dropped by expansion", doc(nulled, map[string]any{"phone_number": "+1 555 0100"}), "dropped"},
		{"term mapped to another class", doc([]any{ctx, map[string]any{"name": "Member/name"}}, nil), "Organization/name"},
		{"date without its datatype", doc([]any{ctx, map[string]any{"created_at": "Organization/created_at"}}, nil), "dateTime"},
		{"reference as a literal", doc([]any{ctx, map[string]any{"members": map[string]any{"@id": "Organization/members",
			"@context": map[string]any{"user": "Member/user"}}}}, nil), "expanded to map[@value:/api/users/1]"},
		{"nested term leaking the parent's", doc([]any{ctx, map[string]any{"contact": "Organization/contact"}}, nil), "Contact/email"},
		{"write-only property in a response", doc(ctx, map[string]any{"invitations": []any{map[string]any{"email": "x@acme.test"}}}), "write-only"},
		{"nested object without its class", doc(ctx, map[string]any{"contact": map[string]any{"email": "ada@acme.test"}}), "a nested Contact without @type"},
		{"nested object of another class", doc(ctx, map[string]any{"contact": map[string]any{"@type": "Address", "email": "ada@acme.test"}}), "the parent property declares Contact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proc := ld.NewJsonLdProcessor()
			opts := ld.NewJsonLdOptions(base + "/api/organizations/1")
			opts.ProcessingMode = ld.JsonLd_1_1
			expanded, err := proc.Expand(ldCopy(tc.doc), opts)
			if err != nil {
				t.Fatalf("expand: %v", err)
			}
			err = newLDChecker(base).check(tc.doc, expanded)
			switch {
			case tc.fails == "" && err != nil:
				t.Errorf("a well-formed document fails the check: %v", err)
			case tc.fails != "" && err == nil:
				t.Errorf("the checker accepts a bad document:\n%s\nexpanded: %s", ldPretty(tc.doc), ldPretty(expanded))
			case tc.fails != "" && !strings.Contains(err.Error(), tc.fails):
				t.Errorf("the checker fails for another reason than %q: %v", tc.fails, err)
			}
		})
	}
}

func ldFindProperty(c *hydra.Class, name string) *hydra.Property {
	p, _ := c.Lookup(name) // own or inherited (ConstraintViolation extends Error)
	return p
}

func ldHasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func ldSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ldOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func ldCopy(v any) any {
	var out any
	if err := json.Unmarshal([]byte(ldMarshal(v)), &out); err != nil {
		panic(err)
	}
	return out
}

func ldMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ldPretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
