package hydra

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Process turns a compacted document into the expanded, flattened or N-Quads
// rendering with json-gold. The document's contexts are resolved from the
// registry in-process: no request goes back to the server, and no other URL
// is ever fetched. docURL is the document's absolute URL (the base for its
// relative IRIs).
func (r *Registry) Process(f Format, compacted []byte, base, docURL string) ([]byte, error) {
	var doc any
	if err := json.Unmarshal(compacted, &doc); err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions(docURL)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = &registryLoader{reg: r, base: base}
	switch f {
	case Expanded:
		out, err := proc.Expand(doc, opts)
		if err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		return json.Marshal(out)
	case Flattened:
		out, err := proc.Flatten(doc, nil, opts)
		if err != nil {
			return nil, fmt.Errorf("flatten: %w", err)
		}
		return json.Marshal(out)
	case NQuads:
		opts.Format = "application/n-quads"
		out, err := proc.ToRDF(doc, opts)
		if err != nil {
			return nil, fmt.Errorf("to RDF: %w", err)
		}
		s, _ := out.(string)
		return []byte(SortQuads(s)), nil
	}
	return compacted, nil
}

// SortQuads sorts N-Quads lines so that the output is stable.
func SortQuads(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// registryLoader serves the registry's own context documents.
type registryLoader struct {
	reg  *Registry
	base string
}

func (l *registryLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	name, ok := strings.CutPrefix(u, l.base+ContextsPath)
	if ok {
		if doc, found := l.reg.ContextDocument(name, l.base); found {
			// Round-trip through JSON so json-gold sees the types it expects.
			b, err := json.Marshal(doc)
			if err != nil {
				return nil, err
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, err
			}
			return &ld.RemoteDocument{DocumentURL: u, Document: v}, nil
		}
	}
	return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, "only Orgraph's own contexts are loaded: "+u)
}

// ReadAsLinkedData reinterprets a parsed JSON-LD request body in the
// class's own terms, so that clients may spell properties their way: with
// their own @context, with prefixed Hydra terms ("hydra:member") or with
// absolute IRIs. A body already in Orgraph's terms (no @context, or the
// class's own, and no key that is an IRI) is returned as it is, so the
// common path costs nothing. Only Orgraph's own contexts are ever loaded;
// a body that cannot be read as linked data (an unknown or remote
// @context) is returned as it is too: @context is ignored on input.
func (r *Registry) ReadAsLinkedData(c *Class, doc map[string]any, base, docURL string) map[string]any {
	own := ContextsPath + c.Name
	ctx, hasCtx := doc["@context"]
	if (!hasCtx || ctx == own || ctx == base+own) && !hasIRIKey(doc, 0) {
		return doc
	}
	input := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		input[k] = v
	}
	if !hasCtx {
		input["@context"] = base + own
	}
	ours, _ := r.ContextDocument(c.Name, base)
	var ourCtx any
	b, _ := json.Marshal(ours)
	_ = json.Unmarshal(b, &ourCtx)
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions(docURL)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = &registryLoader{reg: r, base: base}
	out, err := proc.Compact(jsonNumbersToFloats(input), ourCtx, opts)
	if err != nil {
		return doc
	}
	return out
}

// jsonNumbersToFloats gives json-gold the number type it knows.
func jsonNumbersToFloats(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonNumbersToFloats(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonNumbersToFloats(x)
		}
		return out
	case json.Number:
		f, _ := v.Float64()
		return f
	}
	return v
}

// hasIRIKey says whether any key, at any depth, is a compact or absolute IRI.
func hasIRIKey(v any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.Contains(k, ":") || hasIRIKey(x, depth+1) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasIRIKey(x, depth+1) {
				return true
			}
		}
	}
	return false
}
