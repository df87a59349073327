package hydra

import (
	"net/http"

	"github.com/orgraph/orgraph/problems"
)

// The Hydra ApiDocumentation, built from the registry following API
// Platform 4's DocumentationNormalizer (unprefixed terms; the ≤4.3
// owl:equivalentClass form for entrypoint collections, which the released
// api-doc-parser needs, plus 4.4's memberAssertion for newer clients).

// DocsOptions is what the documentation says of this server's settings.
type DocsOptions struct {
	// Versions are the Orgraph-Version values the server accepts.
	Versions []string
	// RateLimited says requests are metered (RateLimit headers, 429).
	RateLimited bool
}

// Documentation is the body of GET /api/docs.jsonld.
func (r *Registry) Documentation(base string, opts DocsOptions) map[string]any {
	var classes []any
	for _, c := range r.Classes {
		classes = append(classes, r.docsClass(c, opts))
	}
	classes = append(classes, r.entrypointClass(opts))
	return map[string]any{
		"@context": []any{
			termMap(namespaces, docsTerms),
			map[string]any{"@vocab": Vocab(base)},
		},
		"@id":            DocsPath,
		"@type":          "ApiDocumentation",
		"title":          r.Title,
		"description":    r.Description,
		"entrypoint":     EntrypointPath,
		"supportedClass": classes,
	}
}

var xsdRange = map[Kind]string{String: "xsd:string", Integer: "xsd:integer", Boolean: "xsd:boolean", DateTime: "xsd:dateTime", JSONValue: "rdf:JSON"}

func (r *Registry) docsClass(c *Class, opts DocsOptions) map[string]any {
	props := make([]any, 0, len(c.Properties))
	for _, p := range c.Properties {
		prop := map[string]any{"@type": "rdf:Property"}
		switch {
		case p.IRI == p.Name: // left to @vocab: docs#name
			prop["@id"] = "#" + p.Name
		case p.IRI != "": // a compact IRI such as hydra:title
			// Another vocabulary's term (Hydra's): its label, comment,
			// domain and range are that vocabulary's to state. A domain
			// here would make everything with a hydra:title an Error.
			prop["@id"] = p.IRI
		default:
			prop["@id"] = "#" + p.Term()
		}
		if p.IRI == "" || p.IRI == p.Name {
			ownTerm(prop, p.Name, p.Description)
			prop["domain"] = "#" + c.Name
			prop["range"] = propertyRange(p)
			if len(p.Specializes) > 0 {
				prop["subPropertyOf"] = toAny(p.Specializes)
			}
		}
		if p.Kind == Reference {
			prop["@type"] = "Link"
			if !p.Many {
				prop["owl:maxCardinality"] = 1
			}
		}
		sp := map[string]any{
			"@type":    "SupportedProperty",
			"property": prop,
			"title":    p.Name,
			"required": p.Required,
			"readable": !p.WriteOnly,
			// Both spellings: API Platform and api-doc-parser write the
			// archaic "writeable"; Hydra's vocabulary and alcaeus say
			// "writable" (api-doc-parser reads either).
			"writeable": p.Writable,
			"writable":  p.Writable,
		}
		if p.CreateOnly {
			// Written when the resource is created, never changed after:
			// Hydra has no word for it (writeable covers both), so the
			// API's own vocabulary says it (docs.jsonld#createOnly), for
			// forms that edit.
			sp["createOnly"] = true
		}
		if p.Description != "" {
			sp["description"] = p.Description
		}
		props = append(props, sp)
	}
	ops := []any{}
	if c.Resource != nil {
		for _, k := range c.Resource.Operations {
			if !k.OnCollection() {
				ops = append(ops, operation(c, k, opts))
			}
		}
		for _, a := range c.Resource.Actions {
			op := map[string]any{
				"@type":       "Operation",
				"method":      "POST",
				"title":       actionTitle(c, a),
				"description": a.Description,
				"returns":     a.Returns.Name,
			}
			var types []string
			if a.Expects != nil {
				op["expects"] = a.Expects.Name
				types = bodyTypes(Post)
			}
			t, ok := actionOperation(c, a)
			ops = append(ops, withProtocol(op, t, ok, types, opts))
		}
	}
	class := map[string]any{
		"@id":                "#" + c.Name,
		"@type":              "Class",
		"title":              c.Name,
		"supportedProperty":  props,
		"supportedOperation": ops,
	}
	if c.Description != "" {
		class["description"] = c.Description
	}
	ownTerm(class, c.Name, c.Description)
	var supers []any
	if c.Parent != nil {
		supers = append(supers, "#"+c.Parent.Name)
	}
	if supers = append(supers, toAny(c.Specializes)...); len(supers) > 0 {
		class["subClassOf"] = supers
	}
	return class
}

// ownTerm gives a term of Orgraph's vocabulary the label and comment an RDF
// consumer reads (rdfs:label, rdfs:comment), beside the hydra:title and
// hydra:description that API Platform's clients read: the same declaration,
// written once.
func ownTerm(node map[string]any, label, comment string) {
	node["label"] = label
	if comment != "" {
		node["comment"] = comment
	}
}

// propertyRange is what a property's values are. An enumeration is also
// the data range of its values (owl:oneOf), after xsd:string, because
// api-doc-parser reads the first range as the field's type; no generic
// client offers a choice from it yet, and a Datatype is what the values
// are: literals, not named individuals. An ordered property's value is an
// rdf:List (the context makes it a @list), not its items' class.
func propertyRange(p *Property) any {
	switch {
	case len(p.Enum) > 0:
		return []any{xsdRange[p.Kind], map[string]any{"@type": "rdfs:Datatype", "oneOf": toAny(p.Enum)}}
	case p.Ordered:
		return "rdf:List"
	case p.Kind == Object || p.Kind == Reference:
		return "#" + p.Class.Name
	}
	return xsdRange[p.Kind]
}

// operation follows API Platform's wording to the letter, "a Organization"
// included: clients and tests compare these strings.
func operation(c *Class, k OpKind, opts DocsOptions) map[string]any {
	n := c.Name
	op := map[string]any{"method": k.Method()}
	switch k {
	case GetCollection:
		op["@type"] = []any{"Operation", "schema:FindAction"}
		op["description"] = "Retrieves the collection of " + n + " resources."
		op["returns"] = "Collection"
		op["title"] = "get" + n + "Collection"
	case Get:
		op["@type"] = []any{"Operation", "schema:FindAction"}
		op["description"] = "Retrieves a " + n + " resource."
		op["returns"] = n
		op["title"] = "get" + n
	case Post:
		op["@type"] = []any{"Operation", "schema:CreateAction"}
		op["description"] = "Creates a " + n + " resource."
		op["expects"] = n
		op["returns"] = n
		op["title"] = "post" + n
	case Patch:
		op["@type"] = "Operation"
		op["description"] = "Updates the " + n + " resource."
		op["expects"] = n
		op["returns"] = n
		op["title"] = "patch" + n
	case Delete:
		op["@type"] = []any{"Operation", "schema:DeleteAction"}
		op["description"] = "Deletes the " + n + " resource."
		op["returns"] = "owl:Nothing"
		op["title"] = "delete" + n
	}
	path := c.Resource.Item + "{id}"
	if k.OnCollection() {
		path = c.Resource.Collection
	}
	t, ok := crudOperation(c, k, path)
	return withProtocol(op, t, ok, bodyTypes(k), opts)
}

// withProtocol adds what an operation takes and answers beyond its body,
// as the OpenAPI document says it (operations.go): the request headers it
// reads (expectsHeader), the headers of its success answer (returnsHeader)
// and every status it can answer with (possibleStatus), so that a Hydra
// client knows that a PATCH takes If-Match and may answer 412 without
// reading the OpenAPI document.
func withProtocol(op map[string]any, t traits, ok answer, bodyTypes []string, opts DocsOptions) map[string]any {
	var expects []any
	expect := func(name string, closed bool, values ...string) {
		h := map[string]any{"@type": "HeaderSpecification", "headerName": name}
		if len(values) > 0 {
			h["possibleValue"] = toAny(values)
			h["closedSet"] = closed
		}
		expects = append(expects, h)
	}
	// Content-Type first: alcaeus takes the first header specification
	// named Content-Type, and api-doc-parser nothing here.
	if len(bodyTypes) > 0 {
		expect("Content-Type", true, bodyTypes...)
	}
	if !t.public {
		expect("Authorization", false)
	}
	if t.idempotent() {
		expect("Idempotency-Key", false)
	}
	if t.conditional() {
		expect("If-Match", false)
	}
	if t.etag {
		expect("If-None-Match", false)
	}
	expect("Orgraph-Version", true, opts.Versions...)
	op["expectsHeader"] = expects

	var returns []any
	for _, h := range answerHeaders(t, ok, opts.RateLimited) {
		if !browserHeaders[h.name] {
			returns = append(returns, map[string]any{"@type": "HeaderSpecification", "headerName": h.name})
		}
	}
	op["returnsHeader"] = returns

	statuses := []any{status(ok.status, http.StatusText(ok.status), ok.what)}
	if t.etag {
		statuses = append(statuses, status(http.StatusNotModified, http.StatusText(http.StatusNotModified), "If-None-Match names the current ETag."))
	}
	for _, code := range problemsOf(t, opts.RateLimited) {
		k, _ := problems.KindOf(code)
		s := status(code, k.Title, "")
		// The error catalogue's page of this kind of problem, which the
		// problem documents' type names too.
		s["@id"] = k.Type()
		statuses = append(statuses, s)
	}
	op["possibleStatus"] = statuses
	return op
}

// browserHeaders are answer headers for the browser's security and caches,
// not for an API client to act on.
var browserHeaders = map[string]bool{
	"Vary": true, "X-Content-Type-Options": true, "X-Frame-Options": true,
	"Content-Security-Policy": true, "Referrer-Policy": true, "Cache-Control": true,
}

// status is a hydra:Status.
func status(code int, title, description string) map[string]any {
	s := map[string]any{"@type": "Status", "statusCode": code, "title": title}
	if description != "" {
		s["description"] = description
	}
	return s
}

func (r *Registry) entrypointClass(opts DocsOptions) map[string]any {
	var props []any
	for _, c := range r.Collections() {
		var ops []any
		for _, k := range c.Resource.Operations {
			if k.OnCollection() {
				ops = append(ops, operation(c, k, opts))
			}
		}
		key := lcfirst(c.Name)
		description := "The collection of " + c.Name + " resources"
		prop := map[string]any{
			"@id":                "#Entrypoint/" + key,
			"@type":              "Link",
			"domain":             "#Entrypoint",
			"owl:maxCardinality": 1,
			"range": []any{
				map[string]any{"@id": "hydra:Collection"},
				map[string]any{"owl:equivalentClass": map[string]any{
					"owl:onProperty":    map[string]any{"@id": "hydra:member"},
					"owl:allValuesFrom": map[string]any{"@id": "#" + c.Name},
				}},
			},
			"memberAssertion": map[string]any{
				"property": map[string]any{"@id": "rdf:type"},
				"object":   map[string]any{"@id": "#" + c.Name},
			},
			"supportedOperation": ops,
		}
		ownTerm(prop, key, description+".")
		props = append(props, map[string]any{
			"@type":       "SupportedProperty",
			"property":    prop,
			"title":       "get" + c.Name + "Collection",
			"description": description,
			"readable":    true,
			"writeable":   false,
			"writable":    false,
		})
	}
	class := map[string]any{
		"@id":               "#Entrypoint",
		"@type":             "Class",
		"title":             "Entrypoint",
		"description":       entrypointDescription,
		"supportedProperty": props,
		"supportedOperation": map[string]any{
			"@type":       "Operation",
			"method":      "GET",
			"title":       "index",
			"description": "The API Entrypoint.",
			"returns":     "Entrypoint",
		},
	}
	ownTerm(class, "Entrypoint", entrypointDescription)
	return class
}

const entrypointDescription = "The API's entrypoint: a link to every collection."
