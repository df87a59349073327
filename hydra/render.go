package hydra

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Process turns a compacted document into the expanded, flattened, N-Quads,
// N-Triples or Turtle rendering with json-gold. The document's contexts are
// resolved from the registry in-process: no request goes back to the
// server, and no other URL is ever fetched. docURL is the document's
// absolute URL (the base for its relative IRIs).
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
	case NQuads, NTriples, Turtle:
		expanded, err := proc.Expand(doc, opts)
		if err != nil {
			return nil, fmt.Errorf("to RDF: %w", err)
		}
		ds, err := toRDF(expanded)
		if err != nil {
			return nil, fmt.Errorf("to RDF: %w", err)
		}
		return writeRDF(f, ds, base)
	}
	return compacted, nil
}

// toRDF is json-gold's ToRDF (JSON-LD 1.1 Deserialize JSON-LD to RDF) with
// the subjects taken in order, as the algorithm says. json-gold 0.9.1 walks
// them in Go's random map order, and names the blank nodes of each rdf:List
// (status_history, the documentation's owl:oneOf lists) as it meets them:
// the same document came out with other blank node labels on every render,
// so its bytes and its ETag changed. One subject at a time, in order, the
// labels are the same every time.
func toRDF(expanded any) (*ld.RDFDataset, error) {
	api := ld.NewJsonLdApi()
	issuer := ld.NewIdentifierIssuer("_:b")
	nodeMap := map[string]any{"@default": map[string]any{}}
	if _, err := api.GenerateNodeMap(expanded, nodeMap, "@default", issuer, "", "", nil); err != nil {
		return nil, err
	}
	ds := ld.NewRDFDataset()
	for _, name := range ld.GetOrderedKeys(nodeMap) {
		if ld.IsRelativeIri(name) {
			continue
		}
		graph, _ := nodeMap[name].(map[string]any)
		var quads []*ld.Quad
		for _, subject := range ld.GetOrderedKeys(graph) {
			ds.GraphToRDF(name, map[string]any{subject: graph[subject]}, issuer, false)
			quads = append(quads, ds.Graphs[name]...)
		}
		ds.Graphs[name] = quads
	}
	return ds, nil
}

// writeRDF writes one dataset in an RDF format: all three come from the
// same json-gold dataset, so they hold the same graph.
func writeRDF(f Format, ds *ld.RDFDataset, base string) ([]byte, error) {
	var b []byte
	var err error
	switch f {
	case NQuads:
		var out any
		if out, err = (&ld.NQuadRDFSerializer{}).Serialize(ds); err == nil {
			s, _ := out.(string)
			return []byte(SortQuads(s)), nil
		}
	case NTriples:
		b, err = writeNTriples(ds)
	case Turtle:
		b, err = writeTurtle(ds, Vocab(base))
	default:
		err = fmt.Errorf("%v is not an RDF format", f)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", f.MediaType(), err)
	}
	return b, nil
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
