package hydra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agext/levenshtein"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/problems"
)

// Input is a validated request body: writable properties only, strings
// trimmed, nested objects as Input, explicit nulls as nil (merge-patch
// "remove"). Read-only properties of the class, @context, @id and @type
// and Admin's originId are ignored (API Platform Admin's edit form sends
// the whole record back);
// any other property is a 400 that names it, as API Platform answers with
// allow_extra_attributes: false.
type Input map[string]any

// String returns a string property and whether the body set it to a value.
func (in Input) String(name string) (string, bool) {
	s, ok := in[name].(string)
	return s, ok
}

// Strings returns a list of strings, nil when absent or null.
func (in Input) Strings(name string) []string {
	list, _ := in[name].([]any)
	if list == nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Has says whether the body mentioned the property at all (null included).
func (in Input) Has(name string) bool {
	_, ok := in[name]
	return ok
}

// Int returns an integer property and whether the body set it.
func (in Input) Int(name string) (int, bool) {
	n, ok := in[name].(int)
	return n, ok
}

// Time is a DateTime property's value and whether the body set it.
func (in Input) Time(name string) (time.Time, bool) {
	t, ok := in[name].(time.Time)
	return t, ok
}

// Objects returns a list of nested objects, nil when absent or null.
func (in Input) Objects(name string) []Input {
	list, _ := in[name].([]any)
	out := make([]Input, 0, len(list))
	for _, v := range list {
		if o, ok := v.(Input); ok {
			out = append(out, o)
		}
	}
	return out
}

// KeyValues returns a writable JSONValue property (metadata): each key's
// new value, nil for a key to delete; present says the property was sent,
// and is false with a nil map for an explicit null.
func (in Input) KeyValues(name string) (kv map[string]*string, present bool) {
	v, present := in[name]
	kv, _ = v.(map[string]*string)
	return kv, present
}

// Object returns a nested object property, nil when absent or null.
func (in Input) Object(name string) Input {
	o, _ := in[name].(Input)
	return o
}

// MaxDepth bounds the nesting of a request body: no declared class goes
// deeper, and deep nesting only costs the decoder.
const MaxDepth = 16

// MaxArrayItems bounds every array of a request body, declared or not;
// declared array properties have their own, smaller MaxItems (a 422).
const MaxArrayItems = 1000

// MaxValues bounds the values (keys included) of a request body. The
// largest body any class accepts — an organization with its 100
// invitations, or one that Admin's edit form sends back whole — holds a
// tenth of it; without a bound, a 1 MiB body of small numbers decodes
// into half a million values and hundreds of MB before validation can
// refuse it.
const MaxValues = 10000

// Decode reads a JSON body against class c: Parse, then Validate.
func (c *Class) Decode(body []byte, create bool) (Input, *problems.Problem) {
	obj, p := Parse(body)
	if p != nil {
		return nil, p
	}
	return c.Validate(obj, create)
}

// Parse reads a request body that must be one JSON object: a 400 for
// malformed JSON, trailing data, excessive nesting or another JSON type.
func Parse(body []byte) (map[string]any, *problems.Problem) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, problems.BadRequest("Syntax error: the request body is empty.")
	}
	deepest, longest, values := shape(body)
	if values > MaxValues {
		return nil, problems.BadRequest(fmt.Sprintf("The request body holds more than %d values (keys included); no request needs that many.", MaxValues))
	}
	if deepest > MaxDepth {
		return nil, problems.BadRequest(fmt.Sprintf("Syntax error: the request body nests deeper than %d levels.", MaxDepth))
	}
	if longest > MaxArrayItems {
		return nil, problems.BadRequest(fmt.Sprintf("Syntax error: an array in the request body holds more than %d elements.", MaxArrayItems))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, problems.BadRequest("Syntax error: unexpected data after the JSON document.")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, problems.BadRequest(fmt.Sprintf("The request body must be a JSON object, %q given.", jsonType(raw)))
	}
	return obj, nil
}

// Validate checks a parsed body against class c. create applies the
// "required" rules of a POST; a PATCH checks only what it sends. It returns
// a 400 for a wrong JSON type (naming the property and the expected type, as
// API Platform ≤4.3 does) and a 422 with every violation at once.
func (c *Class) Validate(obj map[string]any, create bool) (Input, *problems.Problem) {
	d := decoder{create: create}
	d.known(c, obj, "")
	if len(d.unknown) > 0 {
		return nil, extraAttributes(d.unknown)
	}
	in := d.object(c, obj, "")
	if d.typeErr != nil {
		return nil, d.typeErr
	}
	if len(d.violations) > 0 {
		return nil, problems.Validation(d.violations)
	}
	return in, nil
}

func syntaxError(err error) *problems.Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return problems.BadRequest(fmt.Sprintf("Syntax error: %s at offset %d.", se.Error(), se.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return problems.BadRequest("Syntax error: the JSON document ends too early.")
	}
	return problems.BadRequest("Syntax error: " + err.Error() + ".")
}

// shape measures, without decoding, the deepest nesting of arrays and
// objects, the longest array and the number of values, keys included (the
// body is checked as JSON afterwards).
func shape(body []byte) (deepest, longest, values int) {
	type container struct {
		array    bool
		elements int
		awaiting bool // no value yet since the opening bracket or a comma
	}
	var open []container
	startValue := func() {
		if n := len(open); n > 0 && open[n-1].array && open[n-1].awaiting {
			open[n-1].elements++
			open[n-1].awaiting = false
		}
	}
	inString, escaped := false, false
	inScalar := false // inside a number, true, false or null
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			startValue()
			inString = true
			values++
		case c == '{' || c == '[':
			startValue()
			values++
			open = append(open, container{array: c == '[', awaiting: true})
			deepest = max(deepest, len(open))
		case c == '}' || c == ']':
			if n := len(open); n > 0 {
				longest = max(longest, open[n-1].elements)
				open = open[:n-1]
			}
		case c == ',':
			if n := len(open); n > 0 {
				open[n-1].awaiting = true
			}
		case c > ' ' && c != ':':
			if !inScalar {
				values++ // the first byte of a number, true, false or null
			}
			inScalar = true
			startValue()
			continue
		}
		inScalar = false
	}
	return deepest, longest, values
}

type decoder struct {
	create     bool
	typeErr    *problems.Problem
	violations []problems.Violation
	unknown    []unknownKey
}

// ignoredKeys are keys a body may carry, at any depth, that are no
// property: the JSON-LD keys and hypermedia controls the server sets
// itself, and originId, API Platform Admin's copy of a record's id, which
// its edit form sends back with the record. Each says why, for the OpenAPI request schemas.
var ignoredKeys = map[string]string{
	"@context":   "A JSON-LD context: the body's terms and compact IRIs are read through it. Optional.",
	"@id":        "Ignored: the server names resources.",
	"@type":      "Ignored: the operation says the class.",
	"originId":   "Ignored: API Platform Admin's copy of a record's id, which its edit form sends back.",
	"collection": "Ignored: the server's links to related collections (hydra:collection), which a document read and sent back carries.",
	"operation":  "Ignored: the operations the reader of a document may invoke (hydra:operation), which a document read and sent back carries.",
}

// ignoredIRIs are the IRIs of the ignored keys that are hypermedia
// controls, for bodies read as linked data (linkeddata.go), whatever term
// or compact IRI they are spelled with.
var ignoredIRIs = map[string]bool{NS + "collection": true, NS + "operation": true}

// unknownKey is a key of a body that names no property of the class of
// the object holding it.
type unknownKey struct {
	class  *Class // the class of the object that holds the key
	prefix string // the object's property path ("contact.", "invitations[1].")
	key    string
}

// known collects the keys of obj that are neither properties of class c nor
// ignored JSON-LD keys, and does the same in the nested objects the decoder
// reads (those of writable object properties); what the decoder ignores is
// not looked into.
func (d *decoder) known(c *Class, obj map[string]any, prefix string) {
	for k, v := range obj {
		p, ok := c.Lookup(k)
		switch {
		case ignoredKeys[k] != "":
		case !ok:
			d.unknown = append(d.unknown, unknownKey{c, prefix, k})
		case p.Kind == Object && p.Writable && (d.create || !p.CreateOnly):
			if list, isList := v.([]any); isList {
				for i, x := range list {
					if o, isObject := x.(map[string]any); isObject {
						d.known(p.Class, o, fmt.Sprintf("%s%s[%d].", prefix, k, i))
					}
				}
			} else if o, isObject := v.(map[string]any); isObject {
				d.known(p.Class, o, prefix+k+".")
			}
		}
	}
}

// maxNamedKeys bounds the keys an extra-attributes problem names, and
// maxNamedKeyLength each name's length: the detail must not echo a body.
const (
	maxNamedKeys      = 10
	maxNamedKeyLength = 64
)

// extraAttributes is the 400 for properties a class does not have, in
// Symfony's words (API Platform's allow_extra_attributes: false), with the
// nearest property name when one key is unknown and a close name exists.
func extraAttributes(keys []unknownKey) *problems.Problem {
	sort.Slice(keys, func(i, j int) bool { return keys[i].prefix+keys[i].key < keys[j].prefix+keys[j].key })
	var quoted []string
	for i, k := range keys {
		if i == maxNamedKeys {
			quoted = append(quoted, fmt.Sprintf("and %d more", len(keys)-maxNamedKeys))
			break
		}
		path := k.prefix + k.key
		if len(path) > maxNamedKeyLength {
			path = strings.ToValidUTF8(path[:maxNamedKeyLength], "") + "…"
		}
		quoted = append(quoted, strconv.Quote(path))
	}
	verb := "is"
	if len(keys) > 1 {
		verb = "are"
	}
	detail := fmt.Sprintf("Extra attributes are not allowed (%s %s unknown).", strings.Join(quoted, ", "), verb)
	if len(keys) == 1 {
		if near := nearestProperty(keys[0].class, keys[0].key); near != "" {
			detail += fmt.Sprintf(" Did you mean %q?", keys[0].prefix+near)
		}
	}
	return problems.BadRequest(detail)
}

// nearestProperty is the writable property of the class a mistyped key
// most likely meant (a few edits away, or the same but for case), or "".
// Two edits, and no more than half the key: "nmae" is "name", "x" is
// nothing in particular; a key much longer than every property is nothing
// either, and costs no edit distance.
func nearestProperty(c *Class, key string) string {
	const maxEdits = 2
	if len(key) > maxNamedKeyLength { // longer than any name: no need to lower-case it to know
		return ""
	}
	key = strings.ToLower(key)
	best, bestDistance := "", min(maxEdits, len(key)/2)+1
	for cl := c; cl != nil; cl = cl.Parent {
		for _, p := range cl.Properties {
			if !p.Writable || len(key) > len(p.Name)+maxEdits {
				continue // a read-only property would be ignored: no use suggesting it
			}
			if distance := levenshtein.Distance(key, p.Name, nil); distance < bestDistance {
				best, bestDistance = p.Name, distance
			}
		}
	}
	return best
}

func (d *decoder) violate(path, message, code string) {
	d.violations = append(d.violations, problems.Violation{PropertyPath: path, Message: message, Code: code})
}

func (d *decoder) wrongType(path, want string, got any) {
	if d.typeErr == nil {
		d.typeErr = problems.BadRequest(fmt.Sprintf("The type of the %q attribute must be %q, %q given.", path, want, jsonType(got)))
	}
}

func (d *decoder) object(c *Class, obj map[string]any, prefix string) Input {
	in := Input{}
	for _, p := range c.Properties {
		if !p.Writable || (p.CreateOnly && !d.create) {
			continue
		}
		path := prefix + p.Name
		raw, present := obj[p.Name]
		switch {
		case !present:
			if d.create && p.Required {
				d.violate(path, "This value should not be blank.", problems.CodeNotBlank)
			}
			continue
		case raw == nil:
			if p.Required {
				d.violate(path, "This value should not be blank.", problems.CodeNotBlank)
				continue
			}
			in[p.Name] = nil
			continue
		}
		if p.Many {
			list, ok := raw.([]any)
			if !ok {
				d.wrongType(path, "array", raw)
				continue
			}
			if p.MaxItems > 0 && len(list) > p.MaxItems {
				d.violate(path, fmt.Sprintf("This collection should contain %d element%s or less.", p.MaxItems, plural(p.MaxItems)), problems.CodeTooMany)
				continue
			}
			items := make([]any, 0, len(list))
			for i, item := range list {
				if v, ok := d.value(c, p, fmt.Sprintf("%s[%d]", path, i), item); ok {
					items = append(items, v)
				}
			}
			in[p.Name] = items
			continue
		}
		if v, ok := d.value(c, p, path, raw); ok {
			in[p.Name] = v
		}
	}
	return in
}

// value decodes one non-null value of property p.
func (d *decoder) value(c *Class, p *Property, path string, raw any) (any, bool) {
	{
		switch p.Kind {
		case String:
			s, ok := raw.(string)
			if !ok {
				d.wrongType(path, "string", raw)
				return nil, false
			}
			s = strings.TrimSpace(s)
			if strings.ContainsRune(s, 0) { // PostgreSQL cannot store U+0000
				d.violate(path, "This value contains the character U+0000, which is not allowed.", problems.CodeRegexFailed)
				return nil, false
			}
			d.checkString(p, path, s)
			return s, true
		case JSONValue:
			return d.keyValues(p, path, raw)
		case Integer:
			n, ok := raw.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil {
				d.wrongType(path, "int", raw)
				return nil, false
			}
			if (p.Minimum != 0 || p.Maximum != 0) && (i < int64(p.Minimum) || i > int64(p.Maximum)) {
				d.violate(path, fmt.Sprintf("This value should be between %d and %d.", p.Minimum, p.Maximum), problems.CodeNotInRange)
				return nil, false
			}
			return int(i), true
		case DateTime:
			s, ok := raw.(string)
			if !ok {
				d.wrongType(path, "string", raw)
				return nil, false
			}
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
			if err != nil {
				d.violate(path, "This value is not a valid datetime.", problems.CodeNotDateTime)
				return nil, false
			}
			return t, true
		case Reference:
			s, ok := raw.(string)
			if !ok {
				d.wrongType(path, "IRI", raw)
				return nil, false
			}
			id, ok := p.Class.ParseIRI(s)
			if !ok && d.typeErr == nil {
				d.typeErr = problems.BadRequest(fmt.Sprintf("Invalid IRI %q.", s))
			}
			return id, ok
		case Object:
			m, ok := raw.(map[string]any)
			if !ok {
				d.wrongType(path, "object", raw)
				return nil, false
			}
			return d.object(p.Class, m, path+"."), true
		default:
			panic("hydra: no decoder for writable " + c.Name + "." + p.Name)
		}
	}
}

// ParseIRI reads the id out of an item IRI of the class: path-absolute
// ("/api/organizations/…") or absolute ("https://host/api/organizations/…").
// Only the canonical lower-case UUID names an item.
func (c *Class) ParseIRI(iri string) (string, bool) {
	if i := strings.Index(iri, "://"); i > 0 {
		rest := iri[i+3:]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return "", false
		}
		iri = rest[slash:]
	}
	id, ok := strings.CutPrefix(iri, c.Resource.Item)
	if !ok || !canonicalUUID(id) {
		return "", false
	}
	return id, true
}

// canonicalUUID accepts the 36-character lower-case hex form only.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{2,}$`)

// keyValues decodes a writable JSONValue: an object of at most MaxItems
// keys of 1 to MaxKeyLength characters, each a string of at most MaxLength
// characters, or null (delete the key). Values are kept as sent (metadata
// is the caller's, spaces included).
func (d *decoder) keyValues(p *Property, path string, raw any) (any, bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		d.wrongType(path, "object", raw)
		return nil, false
	}
	if len(m) > p.MaxItems {
		d.violate(path, fmt.Sprintf("This object should contain %d keys or less.", p.MaxItems), problems.CodeTooMany)
		return nil, false
	}
	out := make(map[string]*string, len(m))
	valid := true
	for k, v := range m {
		at := path + "." + k
		if n := utf8.RuneCountInString(k); n == 0 || n > p.MaxKeyLength || strings.ContainsRune(k, 0) {
			d.violate(at, fmt.Sprintf("A key must have 1 to %d characters, none of them U+0000.", p.MaxKeyLength), problems.CodeTooLong)
			valid = false
			continue
		}
		if v == nil {
			out[k] = nil
			continue
		}
		s, ok := v.(string)
		if !ok {
			d.wrongType(at, "string", v)
			valid = false
			continue
		}
		if utf8.RuneCountInString(s) > p.MaxLength {
			d.violate(at, fmt.Sprintf("This value is too long. It should have %d character%s or less.", p.MaxLength, plural(p.MaxLength)), problems.CodeTooLong)
			valid = false
			continue
		}
		if strings.ContainsRune(s, 0) {
			d.violate(at, "This value contains the character U+0000, which is not allowed.", problems.CodeRegexFailed)
			valid = false
			continue
		}
		out[k] = &s
	}
	return out, valid
}

func (d *decoder) checkString(p *Property, path string, s string) {
	n := utf8.RuneCountInString(s)
	switch {
	case p.Required && s == "":
		d.violate(path, "This value should not be blank.", problems.CodeNotBlank)
		return
	case s == "":
		return // an empty optional string clears the value
	case p.MinLength > 0 && n < p.MinLength:
		d.violate(path, fmt.Sprintf("This value is too short. It should have %d character%s or more.", p.MinLength, plural(p.MinLength)), problems.CodeTooShort)
	case p.MaxLength > 0 && n > p.MaxLength:
		d.violate(path, fmt.Sprintf("This value is too long. It should have %d character%s or less.", p.MaxLength, plural(p.MaxLength)), problems.CodeTooLong)
		return
	}
	switch p.Format {
	case Email:
		if !mailaddr.Valid(s) { // the one rule keys and invitations follow too
			d.violate(path, "This value is not a valid email address.", problems.CodeInvalidMail)
		}
	case Phone:
		if !phonePattern.MatchString(s) {
			d.violate(path, "This value is not valid.", problems.CodeRegexFailed)
		}
	case Slug:
		if !schema.SlugPattern.MatchString(s) {
			d.violate(path, "This value is not a valid slug: a lower-case letter, then up to 39 lower-case letters, digits, \"-\" or \"_\".", problems.CodeRegexFailed)
		}
	}
	if len(p.Enum) > 0 && !contains(p.Enum, s) {
		d.violate(path, "The value you selected is not a valid choice. "+choices(p.Enum), problems.CodeNoSuchChoice)
	}
}

// choices lists the allowed values of an enumeration for a message.
func choices(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "Allowed values: " + strings.Join(quoted, ", ") + "."
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// jsonType names a decoded JSON value's type the way API Platform does.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
