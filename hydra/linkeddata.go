package hydra

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/orgraph/orgraph/internal/english"

	"github.com/orgraph/orgraph/problems"
)

// Reading request bodies as linked data.
//
// A client may spell a body its own way: with its own @context, with
// prefixed terms ("og:Organization/name") or with absolute IRIs as keys.
// ReadAsLinkedData maps such a body onto the class's own terms. It does not
// hand the body to a JSON-LD processor: json-gold's work grows with what
// the body holds (a 1 MiB body cost seconds of CPU and hundreds of MB), it
// panics on some inputs, and Orgraph only needs to know which of its own
// properties each key means. So this is the part of JSON-LD 1.1 context
// processing that turns keys into IRIs — terms, prefixes and compact IRIs,
// @vocab, @base, keyword aliases, property-, type- and embedded contexts,
// Orgraph's own context documents by IRI — and the value forms that carry a
// plain value (@value, @id, @list, @set, arrays). It runs in time linear in
// the body and the contexts it declares; whatever it does not understand is
// a 400 that names it, never a silent guess.

// maxContextWork bounds the term definitions a body may make its reader
// process, counting every copy of a context that a scoped or embedded
// context makes. Each copy costs the terms of Orgraph's own context (a few
// dozen), so a hundred invitations that each carry an embedded context stay
// well inside; a body built to make the reader work quadratically does not.
const maxContextWork = 16384

// maxContextDepth bounds contexts that refer to contexts (an own context
// named by IRI inside an array inside a scoped context…).
const maxContextDepth = 8

// ldTerm is one term definition of an active context.
type ldTerm struct {
	iri    string // an absolute IRI, a keyword (an alias), or "" for a term set to null
	scoped any    // the term's own (property- or type-scoped) context, unprocessed
	prefix bool   // may be used as the prefix of a compact IRI
	// iriValues: the term's values are IRIs ("@type": "@id" or "@vocab"),
	// which only a reference property holds.
	iriValues bool
	protected bool // may not be redefined (JSON-LD 1.1 @protected)
}

// sameAs says whether a protected term's new definition is the one it has,
// which JSON-LD lets a context repeat.
func (t *ldTerm) sameAs(o *ldTerm) bool {
	return t.iri == o.iri && t.prefix == o.prefix && t.iriValues == o.iriValues && t.scoped == nil && o.scoped == nil
}

// ldContext is an active context. It is never changed once built, so that
// scoped contexts can be remembered per (context, term).
type ldContext struct {
	terms map[string]*ldTerm
	vocab string // "" when none
	base  string // the base IRI for document-relative IRIs
}

type scopedKey struct {
	on   *ldContext
	term *ldTerm
}

// ldReader reads one request body.
type ldReader struct {
	reg  *Registry
	base string // the server's base URL: Orgraph's own contexts live under it
	work int
	// protectDefault is the @protected of the context object being
	// processed: its terms' default.
	protectDefault bool
	scopes         map[scopedKey]*ldContext
	unknown        []unknownKey
}

// NeedsLinkedDataReading says whether a parsed body must be read as linked
// data: it declares a @context other than the class's own, a nested object
// declares one, or a key at any depth is a compact or absolute IRI. Other
// bodies are already in the class's terms and cost nothing more.
func NeedsLinkedDataReading(c *Class, doc map[string]any, base string) bool {
	own := ContextsPath + c.Name
	ctx, has := doc["@context"]
	if has && ctx != own && ctx != base+own {
		return true
	}
	for k, v := range doc {
		if k != "@context" && spelledAsLinkedData(v, 1) || strings.Contains(k, ":") {
			return true
		}
	}
	return false
}

// ReadAsLinkedData maps a parsed body onto class c's terms: every key that
// means one of the class's properties is renamed to that property, nested
// objects of writable object properties are read the same way, and values
// are taken out of their JSON-LD forms. A key that means no property of the
// class is a 400 (as in a plain body); so is a @context or keyword form the
// reader does not support. base is the server's base URL, docURL the
// request's (the base IRI of the body).
func (r *Registry) ReadAsLinkedData(c *Class, doc map[string]any, base, docURL string) (map[string]any, *problems.Problem) {
	rd := &ldReader{reg: r, base: base, scopes: map[scopedKey]*ldContext{}}
	// The class's own context is always in force beneath the client's: a
	// key the client's context leaves alone keeps Orgraph's meaning.
	own, _ := r.ContextDocument(c.Name, base)
	start, err := rd.process(&ldContext{terms: map[string]*ldTerm{}, base: docURL}, own["@context"], 0)
	if err != nil {
		panic("hydra: the registry's own context does not read: " + err.Error()) // a bug, not the client's fault
	}
	out, err := rd.node(start, c, doc, "", 0)
	if err != nil {
		return nil, problems.BadRequest(err.Error())
	}
	if len(rd.unknown) > 0 {
		return nil, extraAttributes(rd.unknown)
	}
	return out, nil
}

// ldError is a client error in a JSON-LD body; its text is the problem's
// detail.
type ldError string

func (e ldError) Error() string { return string(e) }

func ldErrorf(format string, args ...any) error { return ldError(fmt.Sprintf(format, args...)) }

// Context processing.

// process applies a local context (null, an IRI, an object or an array of
// those) to an active context and returns the result.
func (rd *ldReader) process(active *ldContext, local any, depth int) (*ldContext, error) {
	if depth > maxContextDepth {
		return nil, ldErrorf("Invalid @context: contexts nest deeper than %d levels.", maxContextDepth)
	}
	list, isList := local.([]any)
	if !isList {
		list = []any{local}
	}
	result := active
	for _, item := range list {
		switch v := item.(type) {
		case nil:
			for term, t := range result.terms {
				if t.protected {
					return nil, ldErrorf("Invalid @context: null would clear the protected term %q.", term)
				}
			}
			result = &ldContext{terms: map[string]*ldTerm{}, base: result.base}
		case string:
			next, err := rd.remote(result, v, depth)
			if err != nil {
				return nil, err
			}
			result = next
		case map[string]any:
			next, err := rd.object(result, v, depth)
			if err != nil {
				return nil, err
			}
			result = next
		default:
			return nil, ldErrorf("Invalid @context: an entry is %s; a context is null, an IRI or an object.", english.WithArticle(jsonType(v)))
		}
	}
	return result, nil
}

// remote reads a context named by IRI. Orgraph's own contexts come from the
// registry; no other document is ever fetched: such a reference is ignored,
// and the body's keys keep the meanings already in force (Orgraph's own
// terms, so a body of Orgraph's terms still reads as meant).
func (rd *ldReader) remote(active *ldContext, ref string, depth int) (*ldContext, error) {
	iri := resolveIRI(active.base, ref)
	name, ok := strings.CutPrefix(iri, rd.base+ContextsPath)
	if !ok {
		return active, nil
	}
	doc, found := rd.reg.ContextDocument(name, rd.base)
	if !found {
		return nil, ldErrorf("Invalid @context: %q names no context of this API.", ref)
	}
	return rd.process(active, doc["@context"], depth+1)
}

// contextKeywords are the keywords a context object may hold besides term
// definitions, with what their values must be.
var contextKeywords = map[string]string{
	"@version": "the number 1.1", "@vocab": "an IRI or null", "@base": "an IRI or null",
	"@language": "a string or null", "@direction": "a string or null",
	"@protected": "a boolean", "@type": "an object",
}

// object applies one context object.
func (rd *ldReader) object(active *ldContext, local map[string]any, depth int) (*ldContext, error) {
	rd.work += len(active.terms) + len(local)
	if rd.work > maxContextWork {
		return nil, ldErrorf("The @context of the request body is too large: reading it means more than %d term definitions.", maxContextWork)
	}
	result := &ldContext{terms: make(map[string]*ldTerm, len(active.terms)+len(local)), vocab: active.vocab, base: active.base}
	for k, t := range active.terms {
		result.terms[k] = t
	}
	for _, k := range sortedKeys(local) {
		if !strings.HasPrefix(k, "@") {
			continue
		}
		v := local[k]
		want, known := contextKeywords[k]
		if !known {
			switch k {
			case "@import":
				return nil, ldError("Invalid @context: @import is not supported (no context is fetched).")
			case "@propagate":
				return nil, ldError("Invalid @context: @propagate is not supported in request bodies (contexts propagate as JSON-LD's defaults say).")
			}
			return nil, ldErrorf("Invalid @context: %q is not a keyword a context may hold.", k)
		}
		if !keywordValueOK(k, v) {
			return nil, ldErrorf("Invalid @context: %s must be %s.", k, want)
		}
		switch k {
		case "@base":
			if s, ok := v.(string); ok {
				result.base = resolveIRI(result.base, s)
			} else {
				result.base = ""
			}
		case "@vocab":
			result.vocab = ""
			if s, ok := v.(string); ok {
				iri, err := rd.expand(result, s, true, true, nil, nil)
				if err != nil {
					return nil, err
				}
				result.vocab = iri
			}
		}
	}
	defined := map[string]bool{}
	protect, _ := local["@protected"].(bool)
	outer := rd.protectDefault
	rd.protectDefault = protect
	defer func() { rd.protectDefault = outer }()
	for _, k := range sortedKeys(local) {
		if strings.HasPrefix(k, "@") {
			continue
		}
		if err := rd.define(result, local, k, defined); err != nil {
			return nil, err
		}
	}
	return result, nil
}

func keywordValueOK(k string, v any) bool {
	switch k {
	case "@version":
		n, ok := numberValue(v)
		return ok && n == "1.1"
	case "@vocab", "@base", "@language", "@direction":
		_, isString := v.(string)
		return isString || v == nil
	case "@protected":
		_, ok := v.(bool)
		return ok
	case "@type":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

// termKeys are the keys a term definition may hold.
var termKeys = map[string]bool{
	"@id": true, "@type": true, "@context": true, "@container": true, "@language": true,
	"@direction": true, "@prefix": true, "@protected": true, "@index": true, "@reverse": true, "@nest": true,
}

// define creates the term definition of term in result, first defining the
// terms of the same context object that its IRI uses (JSON-LD's Create Term
// Definition; defined marks the terms done, false while in progress).
func (rd *ldReader) define(result *ldContext, local map[string]any, term string, defined map[string]bool) error {
	if done, seen := defined[term]; seen {
		if !done {
			return ldErrorf("Invalid @context: the term %q is defined through itself.", term)
		}
		return nil
	}
	if term == "" {
		return ldError("Invalid @context: a term is the empty string.")
	}
	defined[term] = false
	rd.work++
	def := &ldTerm{protected: rd.protectDefault}
	switch v := local[term].(type) {
	case nil:
		// A term set to null means nothing: JSON-LD drops its key.
	case string:
		iri, err := rd.expand(result, v, true, false, local, defined)
		if err != nil {
			return err
		}
		def.iri = iri
		def.prefix = endsWithGenDelim(iri)
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if !termKeys[k] {
				return ldErrorf("Invalid @context: the definition of %q holds %q, which a term definition may not.", term, k)
			}
		}
		if _, ok := v["@reverse"]; ok {
			return ldErrorf("Invalid @context: the term %q is a reverse property, which request bodies do not support.", term)
		}
		if _, ok := v["@nest"]; ok {
			return ldErrorf("Invalid @context: the term %q uses @nest, which request bodies do not support.", term)
		}
		if err := checkContainer(term, v["@container"]); err != nil {
			return err
		}
		id, hasID := v["@id"]
		switch {
		case hasID && id == nil:
		case hasID:
			s, ok := id.(string)
			if !ok {
				return ldErrorf("Invalid @context: the @id of %q must be an IRI or null.", term)
			}
			iri, err := rd.expand(result, s, true, false, local, defined)
			if err != nil {
				return err
			}
			def.iri = iri
		default:
			iri, err := rd.termIRI(result, term, local, defined)
			if err != nil {
				return err
			}
			def.iri = iri
		}
		if p, ok := v["@prefix"].(bool); ok {
			def.prefix = p
		} else {
			def.prefix = !strings.Contains(term, ":") && endsWithGenDelim(def.iri)
		}
		def.scoped = v["@context"]
		def.iriValues = v["@type"] == "@id" || v["@type"] == "@vocab"
		if p, ok := v["@protected"].(bool); ok {
			def.protected = p
		}
	default:
		return ldErrorf("Invalid @context: the definition of %q is %s; it must be an IRI, an object or null.", term, english.WithArticle(jsonType(v)))
	}
	if old := result.terms[term]; old != nil && old.protected && !old.sameAs(def) {
		return ldErrorf("Invalid @context: the term %q is protected: it cannot be redefined.", term)
	}
	result.terms[term] = def
	defined[term] = true
	return nil
}

// termIRI is the IRI of a term defined without @id: a compact or absolute
// IRI stands for itself, anything else is relative to @vocab.
func (rd *ldReader) termIRI(active *ldContext, term string, local map[string]any, defined map[string]bool) (string, error) {
	if strings.Contains(term, ":") {
		return rd.expand(active, term, true, false, local, defined)
	}
	if active.vocab == "" {
		return "", ldErrorf("Invalid @context: the term %q has no @id and there is no @vocab to make one.", term)
	}
	return active.vocab + term, nil
}

// checkContainer accepts the containers that leave values plain: @set and
// @list. Index, language, id, type and graph maps change what an object
// value means, which the reader does not follow.
func checkContainer(term string, c any) error {
	var list []any
	switch v := c.(type) {
	case nil:
		return nil
	case string:
		list = []any{v}
	case []any:
		list = v
	default:
		return ldErrorf("Invalid @context: the @container of %q must be a keyword or a list of keywords.", term)
	}
	for _, x := range list {
		if x != "@set" && x != "@list" {
			return ldErrorf("Invalid @context: the term %q has the container %v; request bodies support only @set and @list.", term, x)
		}
	}
	return nil
}

// expand is JSON-LD's IRI Expansion: a keyword stays itself; with vocab, a
// defined term is its IRI; a compact IRI whose prefix is a term is the
// prefix's IRI followed by the suffix; an absolute IRI stays itself; then
// @vocab (with vocab) or the base IRI (with documentRelative) completes a
// relative one. local and defined let a context object's terms refer to
// each other in any order.
func (rd *ldReader) expand(active *ldContext, value string, vocab, documentRelative bool, local map[string]any, defined map[string]bool) (string, error) {
	if isKeyword(value) {
		return value, nil
	}
	if local != nil {
		if _, ok := local[value]; ok {
			if err := rd.define(active, local, value, defined); err != nil {
				return "", err
			}
		}
	}
	if vocab {
		if t, ok := active.terms[value]; ok {
			return t.iri, nil
		}
	}
	if prefix, suffix, ok := strings.Cut(value, ":"); ok {
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return value, nil // a blank node, or an absolute IRI with an authority
		}
		if local != nil {
			if _, ok := local[prefix]; ok {
				if err := rd.define(active, local, prefix, defined); err != nil {
					return "", err
				}
			}
		}
		if t, ok := active.terms[prefix]; ok && t.prefix && t.iri != "" {
			return t.iri + suffix, nil
		}
		return value, nil // an absolute IRI (urn:…, mailto:…)
	}
	if vocab && active.vocab != "" {
		return active.vocab + value, nil
	}
	if documentRelative {
		return resolveIRI(active.base, value), nil
	}
	return value, nil
}

// Reading nodes.

// nodeKeywords are the keywords a node object may hold; the reader ignores
// @id and @type (the server assigns ids and types), as the plain path does.
var nodeKeywords = map[string]bool{"@context": true, "@id": true, "@type": true}

// node reads one node object as an instance of class c. prefix is the
// property path of the node ("contact.").
func (rd *ldReader) node(active *ldContext, c *Class, obj map[string]any, prefix string, depth int) (map[string]any, error) {
	if depth > MaxDepth {
		return nil, ldErrorf("Syntax error: the request body nests deeper than %d levels.", MaxDepth)
	}
	if local, ok := obj["@context"]; ok {
		var err error
		if active, err = rd.process(active, local, 0); err != nil {
			return nil, err
		}
	}
	keysIn, err := rd.typeScoped(active, obj)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(obj))
	spelledAs := map[string]string{}
	for _, key := range sortedKeys(obj) {
		if ignoredKeys[key] != "" && keysIn.terms[key] == nil {
			continue // Admin's originId, unless the client's context gives it a meaning
		}
		iri, err := rd.expand(keysIn, key, true, false, nil, nil)
		if err != nil {
			return nil, err
		}
		if isKeyword(iri) {
			if !nodeKeywords[iri] {
				return nil, ldErrorf("The JSON-LD keyword %s is not supported in a request body.", iri)
			}
			continue
		}
		if iri == "" {
			continue // the client's context sets this term to null: JSON-LD drops it
		}
		if ignoredIRIs[iri] {
			continue // a document read and sent back: its links are the server's
		}
		p := rd.property(c, iri)
		if p == nil {
			rd.unknown = append(rd.unknown, unknownKey{c, prefix, key})
			continue
		}
		if t := keysIn.terms[key]; t != nil && t.iriValues && p.Kind != Reference {
			return nil, ldErrorf("The @context makes the values of %q IRIs, and %q holds text.", key, prefix+p.Name)
		}
		if first, twice := spelledAs[p.Name]; twice {
			return nil, ldErrorf("The %q attribute is given twice (as %q and %q).", prefix+p.Name, first, key)
		}
		spelledAs[p.Name] = key
		valueCtx := active
		if t := keysIn.terms[key]; t != nil && t.scoped != nil {
			if valueCtx, err = rd.scoped(active, t); err != nil {
				return nil, err
			}
		}
		v, err := rd.value(valueCtx, p, obj[key], prefix+p.Name, depth+1)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	return out, nil
}

// typeScoped applies the contexts of the node's types, in lexicographic
// order, for the node's own keys (type-scoped contexts do not reach nested
// nodes).
func (rd *ldReader) typeScoped(active *ldContext, obj map[string]any) (*ldContext, error) {
	var types []string
	for key, v := range obj {
		if iri, err := rd.expand(active, key, true, false, nil, nil); err != nil || iri != "@type" {
			continue
		}
		switch t := v.(type) {
		case string:
			types = append(types, t)
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					types = append(types, s)
				}
			}
		}
	}
	sort.Strings(types)
	result := active
	for _, t := range types {
		if def := active.terms[t]; def != nil && def.scoped != nil {
			var err error
			if result, err = rd.scoped(result, def); err != nil {
				return nil, err
			}
		}
	}
	return result, nil
}

// scoped applies a term's scoped context once per active context: a body
// that repeats a property a hundred times costs one application.
func (rd *ldReader) scoped(active *ldContext, t *ldTerm) (*ldContext, error) {
	k := scopedKey{on: active, term: t}
	if c, ok := rd.scopes[k]; ok {
		return c, nil
	}
	c, err := rd.process(active, t.scoped, 0)
	if err != nil {
		return nil, err
	}
	rd.scopes[k] = c
	return c, nil
}

// property is the property of c (or its parents) whose IRI is iri.
func (rd *ldReader) property(c *Class, iri string) *Property {
	vocab := Vocab(rd.base)
	for cl := c; cl != nil; cl = cl.Parent {
		for _, p := range cl.Properties {
			term := p.Term()
			if prefix, suffix, ok := strings.Cut(term, ":"); ok {
				if ns, known := prefixes[prefix]; known && iri == ns+suffix {
					return p
				}
				continue
			}
			if len(iri) == len(vocab)+len(term) && strings.HasPrefix(iri, vocab) && strings.HasSuffix(iri, term) {
				return p
			}
		}
	}
	return nil
}

// prefixes are the compact-IRI prefixes property IRIs may use.
var prefixes = map[string]string{"hydra": NS, "xsd": XSD}

// value takes a property's value out of its JSON-LD forms: a value object
// is its @value, a node reference its @id, @list and @set their arrays; an
// array of one value is that value for a single-valued property, and a
// single value is a list of one for a many-valued one. Nested objects of
// writable object properties are read as nodes of the property's class.
func (rd *ldReader) value(active *ldContext, p *Property, v any, path string, depth int) (any, error) {
	if !p.Writable {
		return v, nil // ignored by Validate whatever it holds
	}
	v, err := rd.unwrap(active, p, v)
	if err != nil {
		return nil, err
	}
	list, isList := v.([]any)
	switch {
	case p.Many && !isList && v != nil:
		list, isList = []any{v}, true
	case !p.Many && isList && len(list) == 1:
		if v, err = rd.unwrap(active, p, list[0]); err != nil {
			return nil, err
		}
		list, isList = nil, false
	}
	if !isList {
		return rd.nested(active, p, v, path, depth)
	}
	out := make([]any, len(list))
	for i, x := range list {
		if x, err = rd.unwrap(active, p, x); err != nil {
			return nil, err
		}
		if out[i], err = rd.nested(active, p, x, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nested reads an object value of an object property as a node of the
// property's class; any other value is returned as it is.
func (rd *ldReader) nested(active *ldContext, p *Property, v any, path string, depth int) (any, error) {
	if obj, ok := v.(map[string]any); ok && p.Kind == Object {
		return rd.node(active, p.Class, obj, path+".", depth)
	}
	return v, nil
}

// unwrap undoes the JSON-LD forms that wrap a plain value.
func (rd *ldReader) unwrap(active *ldContext, p *Property, v any) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	keyword := func(k string) string {
		iri, _ := rd.expand(active, k, true, false, nil, nil)
		return iri
	}
	forms := map[string]any{}
	for k, x := range obj {
		if kw := keyword(k); isKeyword(kw) {
			forms[kw] = x
		}
	}
	if x, ok := forms["@value"]; ok {
		for k := range obj {
			switch keyword(k) {
			case "@value", "@type", "@language", "@direction", "@index":
			default:
				return nil, ldErrorf("A JSON-LD value object may not hold %q.", k)
			}
		}
		return x, nil
	}
	for _, kw := range []string{"@list", "@set"} {
		if x, ok := forms[kw]; ok {
			if len(obj) > 1 {
				return nil, ldErrorf("A JSON-LD %s object may hold nothing else.", kw)
			}
			return x, nil
		}
	}
	if id, ok := forms["@id"].(string); ok && p.Kind == Reference {
		for k := range obj {
			if kw := keyword(k); kw != "@id" && kw != "@type" {
				return nil, ldErrorf("A reference to %s is its IRI: %q has no meaning beside @id.", english.WithArticle(p.Class.Name), k)
			}
		}
		return resolveIRI(active.base, id), nil
	}
	return v, nil
}

// Helpers.

var keywords = map[string]bool{
	"@base": true, "@container": true, "@context": true, "@direction": true, "@graph": true, "@id": true,
	"@import": true, "@included": true, "@index": true, "@json": true, "@language": true, "@list": true,
	"@nest": true, "@none": true, "@prefix": true, "@propagate": true, "@protected": true, "@reverse": true,
	"@set": true, "@type": true, "@value": true, "@version": true, "@vocab": true,
}

func isKeyword(s string) bool { return keywords[s] }

// numberValue is a JSON number's text, whether the body's decoder kept it
// as json.Number or the registry wrote it as a float64.
func numberValue(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return n.String(), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	}
	return "", false
}

// endsWithGenDelim: JSON-LD 1.1 lets a simple term be a prefix when its IRI
// ends with a gen-delim character.
func endsWithGenDelim(iri string) bool {
	return iri != "" && strings.ContainsRune(":/?#[]@", rune(iri[len(iri)-1]))
}

// resolveIRI resolves a reference against a base IRI (RFC 3986); without a
// usable base the reference stays as it is.
func resolveIRI(base, ref string) string {
	r, err := url.Parse(ref)
	if err != nil || r.IsAbs() {
		return ref
	}
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return ref
	}
	return b.ResolveReference(r).String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// spelledAsLinkedData says whether a nested value holds a key that is a
// compact or absolute IRI, or a @context, at any depth.
func spelledAsLinkedData(v any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "@context" || strings.Contains(k, ":") || spelledAsLinkedData(x, depth+1) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if spelledAsLinkedData(x, depth+1) {
				return true
			}
		}
	}
	return false
}
