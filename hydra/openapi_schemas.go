package hydra

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/internal/english"

	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/problems"
)

// Schemas of the OpenAPI document: the outputs as the encoder writes them,
// the inputs as the decoder reads them.

// view is which representation of a class a schema describes.
type view int

const (
	outLinked         view = iota // output as application/ld+json
	outPlain                      // output as application/json
	outProblem                    // an error document: one media type for both forms
	outErrorType                  // an error page as JSON-LD (a Hydra Status)
	outErrorTypePlain             // an error page as plain JSON
	inCreate                      // a POST body
	inPatch                       // a PATCH body (JSON merge patch)
)

// inputView is the view of a create or a merge-patch body.
func inputView(create bool) view {
	if create {
		return inCreate
	}
	return inPatch
}

// schemaName follows API Platform: Organization.jsonld for JSON-LD,
// Organization for plain JSON; nested classes too (Contact.jsonld carries
// @type, Contact does not). The Error class's schema
// is Problem, a name no generated client's language has taken (the class
// stays Error on the wire).
func schemaName(c *Class, v view) string {
	switch v {
	case outLinked:
		return c.Name + ".jsonld"
	case outProblem:
		if c == Error {
			return "Problem"
		}
	case outErrorType:
		return "ProblemType.jsonld"
	case outErrorTypePlain:
		return "ProblemType"
	case inCreate:
		return c.Name + "-create"
	case inPatch:
		return c.Name + "-patch"
	}
	return c.Name
}

// ref points to a class's schema, writing it on first use.
func (g *openAPI) ref(c *Class, v view) map[string]any {
	name := schemaName(c, v)
	if _, done := g.schemas[name]; !done {
		g.schemas[name] = nil // taken, in case the class refers back to itself
		switch v {
		case inCreate, inPatch:
			g.schemas[name] = g.input(c, v == inCreate, nil)
		case outErrorType, outErrorTypePlain:
			g.schemas[name] = errorTypeSchema(v == outErrorType)
		default:
			g.schemas[name] = g.output(c, v)
		}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// output is what the encoder writes: every property but the write-only
// ones; the Always ones required, the others left out when null or empty.
func (g *openAPI) output(c *Class, v view) map[string]any {
	props := map[string]any{}
	var required []any
	// A subclass's JSON-LD keys are its parent's.
	if c.Parent == nil && (v == outProblem || v == outLinked && c.Resource != nil) {
		props = ldKeys(v == outProblem)
		if v == outProblem {
			props["@type"] = map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": map[string]any{"type": "string"},
				"description": "The document's classes: Error (ConstraintViolation for a constraint violation list) and hydra:Error, which generic Hydra clients look for. JSON-LD form only."}
		}
		if v == outLinked {
			props["@type"] = map[string]any{"type": "string", "enum": []any{c.Name}}
			required = []any{"@id", "@type"}
			if c.Links() {
				props["collection"] = collectionLinksSchema("The collections of the resources that point to this one (Hydra collection links), on the item's own document only.")
			}
			if c.Affords() {
				opProps := map[string]any{
					"@type":  map[string]any{"description": "Operation, and the documented schema.org action when there is one."},
					"method": map[string]any{"type": "string"},
					"title":  map[string]any{"type": "string"},
				}
				if len(c.Resource.Actions) > 0 {
					opProps["target"] = map[string]any{"type": "string", "format": "iri-reference",
						"description": "Where an action is sent (schema:target): the item's IRI, a slash and the action's name. Absent for PATCH and DELETE, which are sent to the item."}
				}
				props["operation"] = map[string]any{
					"type":        "array",
					"readOnly":    true,
					"description": "The documented operations the reader may invoke on this resource now (hydra:operation), each named by its title in the documentation; absent when none. On the item's own document only.",
					"items": map[string]any{
						"type":       "object",
						"required":   []any{"@type", "method", "title"},
						"properties": opProps,
					},
				}
			}
		}
	}
	if c.Parent == nil && v == outLinked && c.Resource == nil {
		// A nested object: typed, without an @id of its own.
		props["@type"] = map[string]any{"type": "string", "enum": []any{c.Name}, "description": "The object's class."}
		required = []any{"@type"}
	}
	for _, p := range c.Properties {
		if p.WriteOnly {
			continue
		}
		s := g.value(p, v)
		describe(s, p)
		if !p.Writable {
			s["readOnly"] = true
		}
		props[p.Name] = s
		if p.Always {
			required = append(required, p.Name)
		}
	}
	problemConstraints(c, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if required != nil {
		s["required"] = required
	}
	if c.Parent != nil {
		s = map[string]any{"allOf": []any{g.ref(c.Parent, v), s}}
	}
	if c.Description != "" {
		s["description"] = c.Description
	}
	return s
}

// problemConstraints narrows the problem classes' properties to what
// package problems writes: every document has a title, a detail, a status,
// a type and the request id; a violation has a path, a message and a code.
func problemConstraints(c *Class, props map[string]any, required *[]any) {
	set := func(name string, extra map[string]any) {
		s, _ := props[name].(map[string]any)
		for k, v := range extra {
			s[k] = v
		}
	}
	switch c {
	case Error:
		var titles []any
		for _, k := range problems.Kinds {
			titles = append(titles, k.Title)
		}
		set("title", map[string]any{"enum": append(titles, problems.ValidationTitle)})
		set("status", map[string]any{"minimum": 400, "maximum": 599})
		set("type", map[string]any{"pattern": "^(?:" + regexp.QuoteMeta(problems.ErrorsPath) + "[0-9]{3}|" + regexp.QuoteMeta(problems.ValidationErrorsPath) + ".+)$"})
		*required = append(*required, "title", "detail", "status", "type", "request_id")
	case ConstraintViolationList:
		*required = append(*required, "propertyPath", "message", "code")
	}
}

// collectionLinksSchema is a list of Hydra collection links (links.go).
func collectionLinksSchema(description string) map[string]any {
	iri := map[string]any{"type": "string", "format": "iri-reference"}
	return map[string]any{
		"type":        "array",
		"description": description,
		"readOnly":    true,
		"items": map[string]any{
			"type":     "object",
			"required": []any{"@id", "@type", "memberAssertion"},
			"properties": map[string]any{
				"@id":   iri,
				"@type": map[string]any{"type": "string", "enum": []any{"Collection"}},
				"memberAssertion": map[string]any{
					"type":        "object",
					"description": "What every member of the collection states: (member, property, object).",
					"required":    []any{"property", "object"},
					"properties": map[string]any{
						"property": map[string]any{"type": "string", "description": "The property every member has (a term of the vocabulary, or rdf:type)."},
						"object":   map[string]any{"type": "string", "format": "iri-reference", "description": "Its value: this resource, or the members' class."},
					},
				},
				"operation": map[string]any{
					"type":        "array",
					"description": "The collection's POST when the reader may create there now (hydra:operation, named by its title in the documentation); absent otherwise.",
					"items": map[string]any{
						"type":     "object",
						"required": []any{"@type", "method", "title"},
						"properties": map[string]any{
							"@type":  map[string]any{"description": "Operation and schema:CreateAction."},
							"method": map[string]any{"type": "string", "enum": []any{"POST"}},
							"title":  map[string]any{"type": "string"},
						},
					},
				},
			},
		},
	}
}

// ldKeys are the JSON-LD keywords of a document; optional says they may be
// absent (the plain form of an error document).
func ldKeys(optional bool) map[string]any {
	note := ""
	if optional {
		note = " JSON-LD form only."
	}
	return map[string]any{
		"@context": map[string]any{"type": "string", "format": "iri-reference", "description": "The JSON-LD context." + note},
		"@id":      map[string]any{"type": "string", "format": "iri-reference", "description": "The document's IRI." + note},
		"@type":    map[string]any{"type": "string", "description": "The document's class." + note},
	}
}

// errorTypeSchema is an error page: a Hydra Status with, for a constraint
// violation list, the meaning of each code.
func errorTypeSchema(linked bool) map[string]any {
	props := map[string]any{
		"statusCode":  map[string]any{"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status of the problems of this kind."},
		"title":       map[string]any{"type": "string", "description": "The title every problem document of the kind carries."},
		"description": map[string]any{"type": "string", "description": "What the problem means and what to do about it."},
		"constraints": map[string]any{"type": "array", "description": "For constraint violations: each code of the type, once.", "items": map[string]any{
			"type": "object", "required": []any{"code", "name", "description"},
			"properties": map[string]any{
				"code":        map[string]any{"type": "string", "description": "The constraint code."},
				"name":        map[string]any{"type": "string", "description": "The Symfony constraint or the Orgraph rule it comes from."},
				"description": map[string]any{"type": "string", "description": "What breaks the constraint."},
			},
		}},
	}
	required := []any{"statusCode", "title", "description"}
	if linked {
		props["@context"] = map[string]any{"type": "object", "description": "An inline context: Hydra's terms."}
		props["@id"] = map[string]any{"type": "string", "format": "iri-reference", "description": "The problem type or the problem @id."}
		props["@type"] = map[string]any{"type": "string", "enum": []any{"Status"}}
		required = append(required, "@context", "@id", "@type")
	}
	return map[string]any{"type": "object", "description": "A kind of problem, as a Hydra Status.", "properties": props, "required": required}
}

// Inputs.

// input is what the decoder accepts on create or (as a merge patch) on
// update: the writable properties, create-only ones on create only, the
// required ones required on create only. Nothing else but what it ignores:
// the read-only properties (what an edit form sends back), the properties
// an alias route fixes (omit), and ignoredKeys; keys holding a colon are
// JSON-LD, read through the class's context.
func (g *openAPI) input(c *Class, create bool, omit map[string]bool) map[string]any {
	v := inputView(create)
	props := map[string]any{}
	var required []any
	for key, description := range ignoredKeys {
		props[key] = map[string]any{"description": description}
	}
	for _, p := range c.Properties {
		switch {
		case omit[p.Name]:
			props[p.Name] = map[string]any{"description": "Ignored: the path sets the " + p.Name + "."}
			continue
		case !p.Writable:
			props[p.Name] = map[string]any{"description": "Read-only, ignored: " + lowerFirst(p.Description)}
			continue
		case p.CreateOnly && !create:
			props[p.Name] = map[string]any{"description": "Set on creation only, ignored here: " + lowerFirst(p.Description)}
			continue
		}
		s := g.inputValue(p, v)
		if create && p.Required {
			required = append(required, p.Name)
		}
		describe(s, p)
		if p.WriteOnly {
			s["writeOnly"] = true
		}
		props[p.Name] = s
	}
	s := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
		"patternProperties": map[string]any{":": map[string]any{
			"description": "A compact or absolute IRI (JSON-LD), read through the class's context: accepted when it names a property above.",
		}},
	}
	if required != nil {
		s["required"] = required
	}
	if c.Description != "" {
		s["description"] = c.Description + " Unknown properties are refused (400)."
	}
	return s
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// inputValue is a writable property's schema in a body. An optional one
// may be null too (a merge patch removes it so), and an optional string
// may be blank (no value); a required one may be neither.
func (g *openAPI) inputValue(p *Property, v view) map[string]any {
	var s map[string]any
	switch {
	case p.Many:
		s = map[string]any{"type": "array", "items": g.inputScalar(p, v)}
		if p.MaxItems > 0 {
			s["maxItems"] = p.MaxItems
		}
	default:
		s = g.inputScalar(p, v)
	}
	if p.Required {
		return s
	}
	if t, ok := s["type"].(string); ok {
		s["type"] = []any{t, "null"}
		return s
	}
	if alternatives, ok := s["anyOf"].([]any); ok {
		s["anyOf"] = append(alternatives, map[string]any{"type": "null"})
		return s
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}} // a $ref
}

// inputScalar is one value of a writable property, as the decoder checks
// it. Strings are trimmed of surrounding whitespace first, then checked
// (blank, length in characters, format, choice), and none may hold U+0000:
// JSON Schema cannot trim, so patterns say it, written for ECMA-262 and
// RE2 alike.
func (g *openAPI) inputScalar(p *Property, v view) map[string]any {
	switch p.Kind {
	case Integer:
		s := map[string]any{"type": "integer"}
		if p.Minimum != 0 || p.Maximum != 0 { // both zero: unbounded, as the decoder reads them
			s["minimum"], s["maximum"] = p.Minimum, p.Maximum
		}
		return s
	case Boolean:
		return map[string]any{"type": "boolean"}
	case Reference:
		return map[string]any{"type": "string", "format": "iri-reference", "pattern": iriPattern(p.Class),
			"description": "The IRI of " + english.WithArticle(p.Class.Name) + ", path-absolute or absolute."}
	case Object:
		return g.ref(p.Class, v)
	case JSONValue:
		return g.scalar(p, v) // metadata: an object of strings (null deletes a key)
	}
	blank := !p.Required
	if len(p.Enum) > 0 {
		ws := "[" + trimmedSpace() + "]*"
		padded := "^" + ws + "(?:" + alternatives(p.Enum) + ")"
		if blank {
			padded += "?"
		}
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "enum": toAny(p.Enum)},
			map[string]any{"type": "string", "pattern": padded + ws + "$",
				"description": "The same values with surrounding whitespace, which is trimmed" + map[bool]string{true: "; blank is no value.", false: "."}[blank]},
		}}
	}
	patterns := []any{map[string]any{"pattern": trimmedLength(max(p.MinLength, 1), p.MaxLength, blank)}}
	switch p.Format {
	case Email:
		patterns = append(patterns, map[string]any{"pattern": trimmedFormat(strings.TrimSuffix(strings.TrimPrefix(mailaddr.Pattern, "^"), "$"), blank)})
	case Phone:
		patterns = append(patterns, map[string]any{"pattern": trimmedFormat(trimmedPhone, blank)})
	case Slug:
		patterns = append(patterns, map[string]any{"pattern": trimmedFormat(strings.TrimSuffix(strings.TrimPrefix(schema.SlugPattern.String(), "^"), "$"), blank)})
	}
	if len(patterns) == 1 {
		return map[string]any{"type": "string", "pattern": patterns[0].(map[string]any)["pattern"]}
	}
	return map[string]any{"type": "string", "allOf": patterns}
}

// trimmedPhone is the decoder's phonePattern as it reads a trimmed string
// (one that does not end with a space): "+", a digit, then digits, spaces
// and + ( ) . - of which the last is not a space, three characters at
// least after the "+". TestInputStringsMatchTheDecoder holds the two
// together.
const trimmedPhone = `\+?[0-9][0-9 ().-]+[0-9().-]`

// trimmedSpace is the character class (without brackets) of what
// strings.TrimSpace trims, unicode.IsSpace: the ASCII and Latin-1 ones as
// escapes, the others as the characters themselves, since ECMA-262 (\u…)
// and RE2 (\x{…}) spell wider escapes differently.
var trimmedSpace = sync.OnceValue(func() string {
	var b strings.Builder
	write := func(r rune) {
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\v':
			b.WriteString(`\v`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100 && r != ' ':
			b.WriteString(`\x` + strconv.FormatInt(int64(r)|0x100, 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsSpace(r) {
			continue
		}
		end := r
		for end+1 <= unicode.MaxRune && unicode.IsSpace(end+1) {
			end++
		}
		write(r)
		if end > r+1 {
			b.WriteByte('-')
		}
		if end > r {
			write(end)
		}
		r = end
	}
	return b.String()
})

// trimmedLength is a pattern that holds when a string, trimmed, has from
// min to max characters (max 0: no limit), or is blank when blank is true;
// U+0000 nowhere.
func trimmedLength(min, max int, blank bool) string {
	ws := "[" + trimmedSpace() + "]*"
	word := `[^` + trimmedSpace() + `\x00]` // a character trimming keeps at either end
	any := `[^\x00]`
	between := func(lo, hi int) string { // the characters between the first and the last
		switch {
		case hi < 0:
			return any + "{" + strconv.Itoa(lo) + ",}"
		case lo == hi:
			return any + "{" + strconv.Itoa(lo) + "}"
		}
		return any + "{" + strconv.Itoa(lo) + "," + strconv.Itoa(hi) + "}"
	}
	var core string
	switch {
	case max == 1:
		core = word
	case min <= 1:
		hi := max - 2
		if max == 0 {
			hi = -1
		}
		if hi == 0 {
			core = word + "(?:" + word + ")?"
		} else {
			core = word + "(?:" + between(0, hi) + word + ")?"
		}
	default:
		hi := max - 2
		if max == 0 {
			hi = -1
		}
		core = word + between(min-2, hi) + word
	}
	if blank {
		core = "(?:" + core + ")?"
	}
	return "^" + ws + core + ws + "$"
}

// trimmedFormat is a pattern that holds when a string, trimmed, matches
// core (which neither starts nor ends with whitespace), or is blank when
// blank is true.
func trimmedFormat(core string, blank bool) string {
	ws := "[" + trimmedSpace() + "]*"
	core = "(?:" + core + ")"
	if blank {
		core += "?"
	}
	return "^" + ws + core + ws + "$"
}

// iriPattern is what ParseIRI reads as an item IRI of c: path-absolute or
// absolute (an RFC 3986 scheme and authority), the id canonical.
func iriPattern(c *Class) string {
	id := uuidPattern
	if c.Resource.NumericID {
		id = numericIDPattern
	}
	return `^(?:[A-Za-z][A-Za-z0-9+.\-]*://[^/]*)?` + regexp.QuoteMeta(c.Resource.Item) + id[1:]
}

// numericIDPattern is the canonical form of a numeric id: no sign, no
// leading zero.
const numericIDPattern = `^[1-9][0-9]{0,18}$`

// uuidPattern is the canonical form of an id.
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

func alternatives(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return strings.Join(quoted, "|")
}

// Outputs.

func describe(s map[string]any, p *Property) {
	if p.Description != "" {
		s["description"] = p.Description
	}
}

// value is a property's schema; Many makes it an array.
func (g *openAPI) value(p *Property, v view) map[string]any {
	s := g.scalar(p, v)
	if !p.Many {
		return s
	}
	list := map[string]any{"type": "array", "items": s}
	if p.MaxItems > 0 {
		list["maxItems"] = p.MaxItems
	}
	return list
}

// scalar is one value of a property in a response, with the decoder's
// constraints (the stored values were checked by them, trimmed, so they
// hold on output as plain lengths and formats).
func (g *openAPI) scalar(p *Property, v view) map[string]any {
	switch p.Kind {
	case Integer:
		s := map[string]any{"type": "integer"}
		if p.Minimum != 0 || p.Maximum != 0 {
			s["minimum"], s["maximum"] = p.Minimum, p.Maximum
		}
		return s
	case Boolean:
		return map[string]any{"type": "boolean"}
	case DateTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case JSONValue:
		if p.Writable { // metadata: a flat object of strings; in a request, null deletes a key
			values := map[string]any{"type": "string", "maxLength": p.MaxLength}
			if v == inCreate || v == inPatch {
				values["type"] = []any{"string", "null"}
			}
			return map[string]any{"type": "object", "maxProperties": p.MaxItems,
				"propertyNames": map[string]any{"minLength": 1, "maxLength": p.MaxKeyLength}, "additionalProperties": values}
		}
		return map[string]any{"type": "object", "additionalProperties": true}
	case Reference:
		return map[string]any{"type": "string", "format": "iri-reference", "description": "The IRI of " + english.WithArticle(p.Class.Name) + "."}
	case Object:
		if v == outProblem {
			v = outPlain // nested objects of a problem carry no JSON-LD keys
		}
		return g.ref(p.Class, v)
	}
	s := map[string]any{"type": "string"}
	switch p.Format {
	case Email:
		s["format"] = "email"
	case Phone:
		s["pattern"] = phonePattern.String()
	case Slug:
		s["pattern"] = schema.SlugPattern.String()
	}
	if len(p.Enum) > 0 {
		s["enum"] = toAny(p.Enum)
	}
	if minLength := max(p.MinLength, btoi(p.Required)); minLength > 0 {
		s["minLength"] = minLength
	}
	if p.MaxLength > 0 {
		s["maxLength"] = p.MaxLength
	}
	return s
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// fixed is the set of properties an alias's path sets.
func fixed(sets map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, prop := range sets {
		out[prop] = true
	}
	return out
}

// Representations.

// linkedDataGraph is the expanded and flattened renderings: arrays of node
// objects with absolute IRIs.
const linkedDataGraph = "LinkedDataGraph"

// The media types of the JSON-LD processor's renderings. A content key is
// the bare media type unless a parameter tells representations apart; then
// it is the Content-Type exactly as the server sends it, charset
// included, since validators look a Content-Type up as sent or without
// any parameter.
var (
	expandedKey  = Expanded.MediaType()
	flattenedKey = Flattened.MediaType()
	nquadsKey    = strings.SplitN(NQuads.MediaType(), ";", 2)[0]
	turtleKey    = strings.SplitN(Turtle.MediaType(), ";", 2)[0]
	ntriplesKey  = strings.SplitN(NTriples.MediaType(), ";", 2)[0]
)

// linkedData is a JSON-LD document's content in every format a negotiated
// answer is served in: compacted JSON-LD, plain JSON (when plain is not
// nil), expanded and flattened JSON-LD, N-Quads, Turtle, N-Triples, and the
// explorer's page for a browser. The examples of the renderings are the
// JSON-LD processor's own output for the compacted example, on exampleBase.
func (g *openAPI) linkedData(ld, plain map[string]any, name, path string, example, plainExample any, t traits) map[string]any {
	content := map[string]any{"application/ld+json": g.media(ld, name+".jsonld", "JSON-LD.", example)}
	if plain != nil {
		content["application/json"] = g.media(plain, name, "Plain JSON.", plainExample)
	}
	if _, ok := g.schemas[linkedDataGraph]; !ok {
		g.schemas[linkedDataGraph] = map[string]any{"type": "array", "description": "Expanded or flattened JSON-LD: node objects with absolute IRIs.",
			"items": map[string]any{"type": "object"}}
	}
	graph := map[string]any{"$ref": "#/components/schemas/" + linkedDataGraph}
	content[expandedKey] = g.media(graph, name+".expanded", "Expanded JSON-LD.", g.reg.rendered(Expanded, name, path, example))
	content[flattenedKey] = g.media(graph, name+".flattened", "Flattened JSON-LD.", g.reg.rendered(Flattened, name, path, example))
	content[nquadsKey] = g.media(map[string]any{"type": "string", "description": "The RDF dataset as N-Quads, sorted."},
		name+".nquads", "N-Quads.", g.reg.rendered(NQuads, name, path, example))
	content[turtleKey] = g.media(map[string]any{"type": "string", "description": "The RDF graph as Turtle: prefixed names, triples grouped by subject."},
		name+".turtle", "Turtle.", g.reg.rendered(Turtle, name, path, example))
	content[ntriplesKey] = g.media(map[string]any{"type": "string", "description": "The RDF graph as N-Triples, sorted: the N-Quads lines, as the document has no named graph."},
		name+".ntriples", "N-Triples.", g.reg.rendered(NTriples, name, path, example))
	if t.explorer {
		content["text/html"] = g.explorerPage()
	}
	return content
}

// exampleBase is the server the examples are written for: the JSON-LD
// processor's renderings hold absolute IRIs, and rendering them once, not
// for every base URL a request names, keeps the document cheap to build.
const exampleBase = "https://api.example.com"

var (
	renderedMu       sync.Mutex
	renderedExamples = map[string]any{}
)

// rendered is the example of a document (compacted, at path) in one of the
// JSON-LD processor's formats, made once per process.
func (r *Registry) rendered(f Format, name, path string, example any) any {
	key := strconv.Itoa(int(f)) + " " + name
	renderedMu.Lock()
	defer renderedMu.Unlock()
	if v, ok := renderedExamples[key]; ok {
		return v
	}
	b, err := r.Process(f, mustJSON(example), exampleBase, exampleBase+path)
	if err != nil { // the examples are ours: TestOpenAPIExamples would fail first
		return nil
	}
	var v any = string(b)
	if !f.RDF() {
		v = jsonValue(b)
	}
	renderedExamples[key] = v
	return v
}

// explorerPage is what a browser gets instead of any document.
func (g *openAPI) explorerPage() map[string]any {
	return g.media(map[string]any{"type": "string", "description": "The HTML explorer, which fetches the document with the API key the person gives it."},
		"ExplorerPage", "The explorer's page (abridged).",
		"<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Orgraph explorer</title>\n"+
			"<link rel=\"stylesheet\" href=\"/_explorer/explorer.css\">\n<script src=\"/_explorer/explorer.js\" defer></script>\n</head>\n…\n</html>\n")
}

// resourceContent is a resource answer: an item or a page of a collection.
func (g *openAPI) resourceContent(c *Class, collection bool, t traits) map[string]any {
	if !collection {
		node := exampleNode(c)
		node.Context = ContextsPath + c.Name
		return g.linkedData(g.ref(c, outLinked), g.ref(c, outPlain), c.Name, node.ID,
			jsonValue(node.AppendJSON(nil, LinkedData)), jsonValue(node.AppendJSON(nil, PlainJSON)), t)
	}
	if _, ok := g.schemas[hydraCollectionBase]; !ok {
		g.schemas[hydraCollectionBase] = hydraCollectionSchema()
	}
	ld := map[string]any{"allOf": []any{
		map[string]any{"$ref": "#/components/schemas/" + hydraCollectionBase},
		map[string]any{
			"type":     "object",
			"required": []any{"member"},
			"properties": map[string]any{
				"member": map[string]any{"type": "array", "items": g.ref(c, outLinked)},
			},
		},
	}}
	plain := map[string]any{"type": "array", "items": g.ref(c, outPlain)}
	page := examplePage(c)
	return g.linkedData(ld, plain, c.Name+"Collection", c.Resource.Collection,
		jsonValue(page.AppendJSON(nil, LinkedData)), jsonValue(page.AppendJSON(nil, PlainJSON)), t)
}

// media is a media type's schema and example; the example goes into
// components.examples under name, once.
func (g *openAPI) media(schema map[string]any, name, summary string, example any) map[string]any {
	m := map[string]any{"schema": schema}
	if example == nil {
		return m
	}
	if _, done := g.examples[name]; !done {
		g.examples[name] = map[string]any{"summary": summary, "value": example}
	}
	m["examples"] = map[string]any{lowerFirst(strings.ReplaceAll(name, ".", "-")): map[string]any{"$ref": "#/components/examples/" + name}}
	return m
}

// requestBody is a create or merge-patch body in the given media types. An
// alias's body is written inline: it ignores the properties its path fixes.
func (g *openAPI) requestBody(c *Class, create bool, omit map[string]bool, description string, types ...string) map[string]any {
	name := schemaName(c, inputView(create))
	schema := map[string]any{"$ref": "#/components/schemas/" + name}
	if _, done := g.schemas[name]; !done {
		g.schemas[name] = g.input(c, create, nil)
	}
	if len(omit) > 0 {
		schema = g.input(c, create, omit)
		name += "-alias"
	}
	content := map[string]any{}
	for _, t := range types {
		content[t] = g.media(schema, name, "A body.", exampleInput(c, create, omit))
	}
	return map[string]any{"description": description, "required": true, "content": content}
}

const hydraCollectionBase = "HydraCollectionBaseSchema"

// hydraCollectionSchema is what every collection page carries besides its
// members, as Collection.AppendJSON writes it.
func hydraCollectionSchema() map[string]any {
	iri := map[string]any{"type": "string", "format": "iri-reference"}
	str := map[string]any{"type": "string"}
	props := ldKeys(false)
	props["@type"] = map[string]any{"type": "string", "enum": []any{"Collection"}}
	props["totalItems"] = map[string]any{"type": "integer", "minimum": 0, "description": "The number of items on every page; absent with partial=true."}
	props["view"] = map[string]any{
		"type":        "object",
		"description": "The page: absent when one unfiltered page holds everything.",
		"required":    []any{"@id", "@type"},
		"properties": map[string]any{
			"@id": iri, "@type": map[string]any{"type": "string", "enum": []any{"PartialCollectionView"}},
			"first": iri, "last": iri, "previous": iri, "next": iri,
		},
	}
	props["search"] = map[string]any{
		"type":        "object",
		"description": "The IRI template of the filters and order[...] parameters.",
		"required":    []any{"@type", "template", "variableRepresentation", "mapping"},
		"properties": map[string]any{
			"@type": str, "template": str, "variableRepresentation": str,
			"mapping": map[string]any{"type": "array", "items": map[string]any{
				"type":     "object",
				"required": []any{"@type", "variable", "property", "required"},
				"properties": map[string]any{
					"@type": str, "variable": str, "property": str, "required": map[string]any{"type": "boolean"},
				},
			}},
		},
	}
	return map[string]any{
		"type":        "object",
		"description": "A page of a Hydra collection.",
		"required":    []any{"@context", "@id", "@type"},
		"properties":  props,
	}
}

// withoutKeywords is a JSON-LD example as plain JSON: the @ keys of the
// top object left out, as the documentation handlers leave them out.
func withoutKeywords(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		if !strings.HasPrefix(k, "@") {
			out[k] = x
		}
	}
	return out
}
