package hydra

import (
	"encoding/json"
	"fmt"
)

// Per-caller affordances (Hydra Core §4.1–4.2): an item's own document
// lists, as hydra:operation, the operations its reader may invoke on it.
// The documentation's supportedOperation says what the class supports for
// anyone, and stays as Admin and api-doc-parser read it; the document says
// what this caller may do now (an owner PATCH and DELETE, an admin PATCH, a
// viewer or a read-only key nothing). Each operation is the documented one,
// named by the same title, with its types and method: what it expects,
// returns and needs in headers is in the documentation, under that title.
// Like collection links, they are JSON-LD controls of top-level documents.
//
// An action (accept, resend, revoke, rotate) is documented, as API
// Platform documents its custom operations, among the class's
// supportedOperation, yet it is not sent to the item's IRI but to
// Item+id+"/"+name. Hydra has no term for where to send an operation (an
// operation applies to the resource that holds it), so the affordance of
// an action also names its target with schema:target, schema.org's "the
// URL where the action is performed": the operation is about the item, and
// is performed at the target. A client that only reads hydra:operation
// still finds it under its documented title and method; one that reads
// target knows where to POST it. (Declaring each action as a link property
// whose value carries the operation would be Hydra's other spelling, but
// it adds a documented property per action, which Admin would show as a
// field.)

// operationTerms are the context terms of the operations. schema is the
// prefix of the operations' second types (schema:DeleteAction).
var operationTerms = []term{
	{"operation", "hydra:operation"},
	{"Operation", "hydra:Operation"},
	{"method", "hydra:method"},
	{"title", "hydra:title"},
	{"schema", Schema},
}

// targetTerm is the context term of an action's target, in the contexts of
// classes with actions only.
var targetTerm = term{"target", id("schema:target")}

// Ops is a set of an item's operations beyond GET: its PATCH, its DELETE
// and its actions, one bit each, numbered by Resource.Op and
// Resource.Action in the documentation's order. A set is a number, so that
// building a document allocates nothing for it.
type Ops uint32

// Has says whether the set holds every operation of o.
func (s Ops) Has(o Ops) bool { return s&o == o }

// itemOp is one operation a document may list, written ahead: the whole
// object, or for an action the object up to its target's value.
type itemOp struct {
	json   []byte
	kind   OpKind // Patch, Delete, or Post for an action
	action string // the action's name; empty for PATCH and DELETE
}

// Affords says whether items of the class can list operations: those with
// an item operation that changes them, or an action.
func (c *Class) Affords() bool {
	if c.Resource == nil {
		return false
	}
	return c.Resource.Has(Patch) || c.Resource.Has(Delete) || len(c.Resource.Actions) > 0
}

// Op is the set of the item's operation k (Patch or Delete); asking for one
// the resource does not declare is a bug.
func (r *Resource) Op(k OpKind) Ops {
	if k == Patch || k == Delete {
		for i, op := range r.itemOps {
			if op.kind == k {
				return 1 << i
			}
		}
	}
	panic(fmt.Sprintf("hydra: %s has no item operation %s", r.Item, k.Method()))
}

// Action is the set of the action called name; asking for one the
// resource does not declare is a bug.
func (r *Resource) Action(name string) Ops {
	for i, op := range r.itemOps {
		if op.action == name {
			return 1 << i
		}
	}
	panic(fmt.Sprintf("hydra: %s has no action %q", r.Item, name))
}

// operationsJSON writes each item operation of the class once, as the
// documentation describes it (docs.go), reduced to its types, method and
// title: PATCH and DELETE in declaration order, then the actions.
func (c *Class) operationsJSON() {
	r := c.Resource
	marshal := mustMarshal
	for _, k := range r.Operations {
		if k.OnCollection() || k == Get {
			continue
		}
		r.itemOps = append(r.itemOps, itemOp{json: operationJSON(c, k), kind: k})
	}
	for _, a := range r.Actions {
		if a.OnCollection {
			continue // no item's document lists it
		}
		b := marshal(struct {
			Type   string `json:"@type"`
			Method string `json:"method"`
			Title  string `json:"title"`
		}{"Operation", "POST", actionTitle(c, a)})
		b = append(b[:len(b)-1], `,"target":`...) // the target follows, per item
		r.itemOps = append(r.itemOps, itemOp{json: b, kind: Post, action: a.Name})
	}
	if len(r.itemOps) > 32 {
		panic("hydra: " + c.Name + " has more item operations than Ops holds")
	}
}

// appendOperations writes the `"operation"` key: the operations ops of the
// item iri, in the documentation's order.
func (r *Resource) appendOperations(b []byte, ops Ops, iri string) []byte {
	b = append(b, `"operation":[`...)
	first := true
	for i, op := range r.itemOps {
		if ops&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, op.json...)
		if op.action != "" {
			b = appendString(b, iri+"/"+op.action)
			b = append(b, '}')
		}
	}
	return append(b, ']')
}

// operationJSON is operation k of the class as a document lists it: the
// documentation's operation (docs.go) reduced to its types, method and
// title.
func operationJSON(c *Class, k OpKind) []byte {
	doc := operation(c, k, DocsOptions{})
	return mustMarshal(struct {
		Type   any    `json:"@type"`
		Method string `json:"method"`
		Title  string `json:"title"`
	}{doc["@type"], doc["method"].(string), doc["title"].(string)})
}

// mustMarshal encodes what the registry writes ahead; failing is a bug.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("hydra: " + err.Error())
	}
	return b
}

// actionTitle is the title of an action's operation, in the documentation
// and in documents alike: acceptInvitation.
func actionTitle(c *Class, a Action) string {
	if a.Title != "" {
		return a.Title
	}
	return a.Name + c.Name
}

// affordanceTerm says whether a property name is a term of the operations,
// which a class that lists them cannot use (Error's title can).
func affordanceTerm(name string) bool {
	for _, t := range operationTerms {
		if t.name == name {
			return true
		}
	}
	return name == targetTerm.name
}
