package hydra

// The Hydra ApiDocumentation, built from the registry following API
// Platform 4's DocumentationNormalizer (unprefixed terms; the ≤4.3
// owl:equivalentClass form for entrypoint collections, which the released
// api-doc-parser needs, plus 4.4's memberAssertion for newer clients).

// Documentation is the body of GET /api/docs.jsonld.
func (r *Registry) Documentation(base string) map[string]any {
	var classes []any
	for _, c := range r.Classes {
		classes = append(classes, r.docsClass(c))
	}
	classes = append(classes, r.entrypointClass())
	return map[string]any{
		"@context": []any{
			termMap(docsTerms),
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

var xsdRange = map[Kind]string{String: "xsd:string", Integer: "xsd:integer", Boolean: "xsd:boolean", DateTime: "xsd:dateTime"}

func (r *Registry) docsClass(c *Class) map[string]any {
	props := make([]any, 0, len(c.Properties))
	for _, p := range c.Properties {
		prop := map[string]any{
			"@id":    "#" + p.Term(),
			"@type":  "rdf:Property",
			"domain": "#" + c.Name,
			"label":  p.Name,
		}
		switch {
		case p.IRI == p.Name: // left to @vocab: docs#name
			prop["@id"] = "#" + p.Name
		case p.IRI != "": // a compact IRI such as hydra:title
			prop["@id"] = p.IRI
		}
		if rng, ok := xsdRange[p.Kind]; ok {
			prop["range"] = rng
		} else {
			prop["range"] = "#" + p.Class.Name
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
		if p.Description != "" {
			sp["description"] = p.Description
		}
		props = append(props, sp)
	}
	ops := []any{}
	if c.Resource != nil {
		for _, k := range c.Resource.Operations {
			if !k.OnCollection() {
				ops = append(ops, operation(c, k))
			}
		}
		for _, a := range c.Resource.Actions {
			ops = append(ops, map[string]any{
				"@type":       "Operation",
				"method":      "POST",
				"title":       a.Name + c.Name,
				"description": a.Description,
				"returns":     a.Returns.Name,
			})
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
	switch {
	case c.Parent != nil:
		class["subClassOf"] = "#" + c.Parent.Name
	case c.Specializes != "":
		class["subClassOf"] = c.Specializes
	}
	return class
}

// operation follows API Platform's wording to the letter, "a Organization"
// included: clients and tests compare these strings.
func operation(c *Class, k OpKind) map[string]any {
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
		op["expectsHeader"] = []any{map[string]any{
			"headerName":    "Content-Type",
			"possibleValue": []any{"application/merge-patch+json"},
		}}
	case Delete:
		op["@type"] = []any{"Operation", "schema:DeleteAction"}
		op["description"] = "Deletes the " + n + " resource."
		op["returns"] = "owl:Nothing"
		op["title"] = "delete" + n
	}
	return op
}

func (r *Registry) entrypointClass() map[string]any {
	var props []any
	for _, c := range r.Collections() {
		var ops []any
		for _, k := range c.Resource.Operations {
			if k.OnCollection() {
				ops = append(ops, operation(c, k))
			}
		}
		key := lcfirst(c.Name)
		props = append(props, map[string]any{
			"@type": "SupportedProperty",
			"property": map[string]any{
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
			},
			"title":       "get" + c.Name + "Collection",
			"description": "The collection of " + c.Name + " resources",
			"readable":    true,
			"writeable":   false,
			"writable":    false,
		})
	}
	return map[string]any{
		"@id":               "#Entrypoint",
		"@type":             "Class",
		"title":             "Entrypoint",
		"supportedProperty": props,
		"supportedOperation": map[string]any{
			"@type":       "Operation",
			"method":      "GET",
			"title":       "index",
			"description": "The API Entrypoint.",
			"returns":     "Entrypoint",
		},
	}
}
