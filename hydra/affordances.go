package hydra

import "encoding/json"

// Per-caller affordances (Hydra Core §4.1–4.2): an item's own document
// lists, as hydra:operation, the operations its reader may invoke on it.
// The documentation's supportedOperation says what the class supports for
// anyone, and stays as Admin and api-doc-parser read it; the document says
// what this caller may do now (an owner PATCH and DELETE, an admin PATCH, a
// viewer or a read-only key nothing). Each operation is the documented one,
// named by the same title, with its types and method: what it expects,
// returns and needs in headers is in the documentation, under that title.
// Like collection links, they are JSON-LD controls of top-level documents.

// operationTerms are the context terms of the operations. schema is the
// prefix of the operations' second types (schema:DeleteAction).
var operationTerms = []term{
	{"operation", "hydra:operation"},
	{"Operation", "hydra:Operation"},
	{"method", "hydra:method"},
	{"title", "hydra:title"},
	{"schema", Schema},
}

// Affords says whether items of the class can list operations: those with
// an item operation that changes them.
func (c *Class) Affords() bool {
	if c.Resource == nil {
		return false
	}
	return c.Resource.Has(Patch) || c.Resource.Has(Delete)
}

// operationsJSON writes each item operation of the resource once, as the
// documentation describes it (docs.go's operation), reduced to its types,
// method and title.
func (c *Class) operationsJSON() {
	for _, k := range c.Resource.Operations {
		if k.OnCollection() || k == Get {
			continue
		}
		doc := operation(c, k, DocsOptions{}) // only its types, method and title are read
		b, err := json.Marshal(struct {
			Type   any    `json:"@type"`
			Method string `json:"method"`
			Title  string `json:"title"`
		}{doc["@type"], doc["method"].(string), doc["title"].(string)})
		if err != nil {
			panic("hydra: " + err.Error())
		}
		c.Resource.ops[k] = b
	}
}

// appendOperations writes the `"operation"` key: the operations ops of an
// item of the resource, each one the class declares.
func (r *Resource) appendOperations(b []byte, ops []OpKind) []byte {
	b = append(b, `"operation":[`...)
	for i, k := range ops {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.ops[k]...)
	}
	return append(b, ']')
}

// affordanceTerm says whether a property name is a term of the operations,
// which a class that lists them cannot use (Error's title can).
func affordanceTerm(name string) bool {
	for _, t := range operationTerms {
		if t.name == name {
			return true
		}
	}
	return false
}
