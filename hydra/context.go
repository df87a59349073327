package hydra

// Context documents. Every resource context starts like API Platform's
// (@vocab = absolute docs URL + "#", hydra namespace, one term per property:
// "Class/prop"), and adds what strict JSON-LD processors need to expand every
// key to its intended IRI: Hydra collection terms, typed dates, and
// property-scoped contexts for nested objects (JSON-LD 1.1) so that
// members[].email means Member/email while contact.email means Contact/email.

// ContextDocument is the body of GET /api/contexts/{Class}.
func (r *Registry) ContextDocument(name, base string) (map[string]any, bool) {
	if name == "Entrypoint" {
		return map[string]any{"@context": r.entrypointContext(base)}, true
	}
	c, ok := r.byName[name]
	if !ok {
		return nil, false
	}
	ctx := map[string]any{"@version": 1.1, "@vocab": Vocab(base), "hydra": NS, "xsd": XSD}
	if c.Resource != nil && c.Resource.Collection != "" {
		for _, t := range collectionTerms {
			ctx[t.name] = t.def
		}
	}
	if c.Links() {
		for _, t := range linkTerms {
			ctx[t.name] = t.def
		}
	}
	if c.Affords() || c.offersCreate() {
		for _, t := range operationTerms {
			ctx[t.name] = t.def
		}
		if len(c.Resource.Actions) > 0 {
			ctx[targetTerm.name] = targetTerm.def
		}
	}
	for cl := c; cl != nil; cl = cl.Parent {
		for k, v := range classTerms(cl) {
			if _, child := ctx[k]; !child {
				ctx[k] = v
			}
		}
	}
	return map[string]any{"@context": ctx}, true
}

// classTerms are the term definitions of a class's properties.
func classTerms(c *Class) map[string]any {
	terms := map[string]any{}
	for _, p := range c.Properties {
		if p.IRI == p.Name { // left to @vocab on purpose
			continue
		}
		switch p.Kind {
		case Reference:
			terms[p.Name] = id(p.Term())
		case DateTime:
			terms[p.Name] = map[string]any{"@id": p.Term(), "@type": "xsd:dateTime"}
		case JSONValue:
			terms[p.Name] = map[string]any{"@id": p.Term(), "@type": "@json"}
		case Object:
			// Scoped contexts layer on the outer one, so @vocab and xsd
			// stay defined inside.
			def := map[string]any{"@id": p.Term()}
			if scoped := classTerms(p.Class); len(scoped) > 0 {
				def["@context"] = scoped
			}
			if p.Ordered { // an rdf:List in RDF, which keeps the order
				def["@container"] = "@list"
			} else if p.Many {
				def["@container"] = "@set"
			}
			if len(def) == 1 {
				terms[p.Name] = p.Term()
			} else {
				terms[p.Name] = def
			}
		default:
			if p.Many {
				// A list's term says so: a compacting client keeps a
				// single value in an array, as the API writes it, and a
				// form knows to offer several values.
				terms[p.Name] = map[string]any{"@id": p.Term(), "@container": "@set"}
			} else {
				terms[p.Name] = p.Term()
			}
		}
	}
	return terms
}

func (r *Registry) entrypointContext(base string) map[string]any {
	ctx := map[string]any{"@vocab": Vocab(base), "hydra": NS, "rdf": RDF}
	for _, t := range linkTerms {
		ctx[t.name] = t.def
	}
	for _, c := range r.Collections() {
		ctx[lcfirst(c.Name)] = id("Entrypoint/" + lcfirst(c.Name))
	}
	return ctx
}

// Entrypoint is the body of GET /api: one key per collection, sorted by key
// (encoding/json sorts map keys, as API Platform sorts the object), and in
// the JSON-LD form the same collections as hydra:collection links.
//
// Its types are Entrypoint, first (api-doc-parser reads the entrypoint's
// first type to find its class in the documentation), and hydra:Resource:
// alcaeus 3.0.2 gives getCollections() only to resources typed so, though
// the Hydra vocabulary entails it (hydra:collection's domain).
func (r *Registry) Entrypoint(mode Mode) map[string]any {
	doc := map[string]any{}
	for _, c := range r.Collections() {
		doc[lcfirst(c.Name)] = c.Resource.Collection
	}
	if mode == LinkedData {
		doc["@context"] = ContextsPath + "Entrypoint"
		doc["@id"] = EntrypointPath
		doc["@type"] = []any{"Entrypoint", "hydra:Resource"}
		doc["collection"] = r.entrypointLinks()
	}
	return doc
}
