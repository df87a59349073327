package hydra

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/orgraph/orgraph/internal/rdftest"
)

const testVocab = "http://orgraph.test/api/docs.jsonld#"

func dataset(quads ...*ld.Quad) *ld.RDFDataset {
	ds := ld.NewRDFDataset()
	ds.Graphs["@default"] = quads
	return ds
}

func quad(s, p, o ld.Node) *ld.Quad { return ld.NewQuad(s, p, o, "@default") }

// The layout is pinned: prefixes, then subjects IRIs first (sorted) and
// blank nodes by number, rdf:type first as "a", predicates sorted, objects
// sorted and grouped, duplicates once, prefixed names only where the local
// part is a plain PN_LOCAL, xsd:string implicit, other datatypes and
// language tags written.
func TestTurtleLayout(t *testing.T) {
	org := ld.NewIRI("http://orgraph.test/api/organizations/1")
	coll := ld.NewIRI("http://orgraph.test/api/organizations")
	b2, b10 := ld.NewBlankNode("_:b2"), ld.NewBlankNode("_:b10")
	ds := dataset(
		quad(b10, ld.NewIRI(NS+"variable"), ld.NewLiteral("order[name]", ld.XSDString, "")),
		quad(org, ld.NewIRI(testVocab+"Organization/name"), ld.NewLiteral("Acme", ld.XSDString, "")),
		quad(coll, ld.NewIRI(NS+"member"), org),
		quad(coll, ld.NewIRI(NS+"totalItems"), ld.NewLiteral("2", XSD+"integer", "")),
		quad(coll, ld.NewIRI(ld.RDFType), ld.NewIRI(NS+"Collection")),
		quad(coll, ld.NewIRI(NS+"member"), ld.NewIRI("http://orgraph.test/api/organizations/0")),
		quad(coll, ld.NewIRI(NS+"member"), org), // twice: a graph is a set
		quad(org, ld.NewIRI(ld.RDFType), ld.NewIRI(testVocab+"Organization")),
		quad(org, ld.NewIRI(RDFS+"label"), ld.NewLiteral("Acme", ld.RDFLangString, "en-GB")),
		quad(org, ld.NewIRI(testVocab+"tag"), ld.NewIRI(testVocab+"a.b")),
		quad(b2, ld.NewIRI(NS+"view"), ld.NewIRI(testVocab+"page?x=1")),
		quad(b2, ld.NewIRI(NS+"mapping"), b10),
		quad(org, ld.NewIRI(OWL+"sameAs"), ld.NewIRI(Schema+"Organization.")),
		quad(org, ld.NewIRI(ld.RDFType), ld.NewIRI(Schema+"Organization")),
	)
	got, err := writeTurtle(dataset(ds.Graphs["@default"]...), testVocab)
	if err != nil {
		t.Fatal(err)
	}
	want := `@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix schema: <https://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix vocab: <http://orgraph.test/api/docs.jsonld#> .

<http://orgraph.test/api/organizations> a hydra:Collection ;
    hydra:member <http://orgraph.test/api/organizations/0> ,
        <http://orgraph.test/api/organizations/1> ;
    hydra:totalItems "2"^^xsd:integer .

<http://orgraph.test/api/organizations/1> a schema:Organization ,
        vocab:Organization ;
    <http://orgraph.test/api/docs.jsonld#Organization/name> "Acme" ;
    vocab:tag vocab:a.b ;
    rdfs:label "Acme"@en-GB ;
    owl:sameAs <https://schema.org/Organization.> .

_:b2 hydra:mapping _:b10 ;
    hydra:view <http://orgraph.test/api/docs.jsonld#page?x=1> .

_:b10 hydra:variable "order[name]" .
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	checkSameGraph(t, ds, got)

	// An empty graph is the prefixes alone; in N-Triples, nothing.
	if got, err := writeTurtle(dataset(), testVocab); err != nil || !strings.HasSuffix(string(got), "docs.jsonld#> .\n") {
		t.Errorf("empty graph: %q, %v", got, err)
	}
	if got, err := writeNTriples(dataset()); err != nil || len(got) != 0 {
		t.Errorf("empty graph as N-Triples: %q, %v", got, err)
	}
}

// checkSameGraph reads body back as Turtle and compares it with the
// dataset's default graph, up to blank node labels.
func checkSameGraph(t *testing.T, ds *ld.RDFDataset, body []byte) {
	t.Helper()
	want, err := rdftest.Canonical(ds.Graphs["@default"])
	if err != nil {
		t.Fatal(err)
	}
	read, err := rdftest.ParseTurtle(string(body))
	if err != nil {
		t.Fatalf("the output does not parse: %v\n%s", err, body)
	}
	got, err := rdftest.Canonical(read)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("read back, a different graph:\n%s\nwant\n%s\nfrom\n%s", got, want, body)
	}
}

// localName is PN_LOCAL without escapes, character class by character
// class; anything else must be written as <IRI>.
func TestLocalName(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "name": true, "Organization": true, "_x": true, "a-b_c": true, "a.b": true, "1st": true,
		":a": true, "a:b": true, "é": true, "日本": true, "a·b": true, "x\u0301": true, "a\u203fb": true, "🎉": true,
		"Organization/name": false, "a.": false, "-a": false, ".a": false, "a b": false, "a%20b": false,
		"page?x=1": false, "a=b": false, "a#b": false, "a~b": false, "a\\b": false, "a'b": false, "a,b": false,
		"a;b": false, "\u00b7a": false, "\u0301a": false, "a\u00d7": false, "a\ufffe": false, "bad\xff": false,
		"a\u2000": false, "\u037e": false,
	} {
		if got := localName(s); got != want {
			t.Errorf("localName(%q) = %v, want %v", s, got, want)
		}
		// Whatever the answer, the term is written so that it reads back.
		iri := testVocab + s
		if !strings.Contains(s, "\xff") {
			checkSameGraph(t, dataset(quad(ld.NewIRI(iri), ld.NewIRI(iri), ld.NewIRI(iri))),
				mustTurtle(t, dataset(quad(ld.NewIRI(iri), ld.NewIRI(iri), ld.NewIRI(iri)))))
		}
	}
}

func mustTurtle(t *testing.T, ds *ld.RDFDataset) []byte {
	t.Helper()
	b, err := writeTurtle(ds, testVocab)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The escapes the grammars require: in literals the quote, backslash and
// line breaks (and the other control characters, as \u), in IRIs every
// character IRIREF forbids; everything else, non-ASCII included, raw.
func TestRDFTermEscaping(t *testing.T) {
	for _, c := range []struct{ value, literal, iri string }{
		{`plain`, `"plain"`, `<http://x.test/plain>`},
		{`say "hi"`, `"say \"hi\""`, `<http://x.test/say\u0020\u0022hi\u0022>`},
		{`back\slash`, `"back\\slash"`, `<http://x.test/back\u005Cslash>`},
		{"two\nlines\r\n", `"two\nlines\r\n"`, `<http://x.test/two\u000Alines\u000D\u000A>`},
		{"tab\there\bb\ff", `"tab\there\bb\ff"`, `<http://x.test/tab\u0009here\u0008b\u000Cf>`},
		{"nul\x00 us\x1f del\x7f", `"nul\u0000 us\u001F del\u007F"`, `<http://x.test/nul\u0000\u0020us\u001F\u0020del` + "\x7f>"},
		{"é ü 日本 🎉 \u2028", `"é ü 日本 🎉 ` + "\u2028" + `"`, `<http://x.test/é\u0020ü\u0020日本\u0020🎉\u0020` + "\u2028>"},
		{"?a=1&b=%2F#f", `"?a=1&b=%2F#f"`, `<http://x.test/?a=1&b=%2F#f>`},
		{"<{|}^`>", "\"<{|}^`>\"", `<http://x.test/\u003C\u007B\u007C\u007D\u005E\u0060\u003E>`},
		{`'single'`, `"'single'"`, `<http://x.test/'single'>`},
	} {
		lit, err := appendLiteral(nil, c.value)
		if err != nil || string(lit) != c.literal {
			t.Errorf("literal %q: %s, %v; want %s", c.value, lit, err, c.literal)
		}
		iri, err := appendIRIRef(nil, "http://x.test/"+c.value)
		if err != nil || string(iri) != c.iri {
			t.Errorf("IRI %q: %s, %v; want %s", c.value, iri, err, c.iri)
		}
		checkRoundTrip(t, c.value)
	}
	for _, bad := range []string{"bad\xffutf8"} {
		if _, err := appendLiteral(nil, bad); err == nil {
			t.Errorf("literal %q: no error", bad)
		}
		if _, err := appendIRIRef(nil, bad); err == nil {
			t.Errorf("IRI %q: no error", bad)
		}
	}
}

// checkRoundTrip writes s as a literal (plain, typed and tagged) and in
// IRIs, in both formats, and reads each back to the same graph.
func checkRoundTrip(t *testing.T, s string) {
	t.Helper()
	s1, p := ld.NewIRI("http://x.test/"+s), ld.NewIRI(testVocab+s)
	ds := dataset(
		quad(s1, p, ld.NewLiteral(s, ld.XSDString, "")),
		quad(s1, p, ld.NewLiteral(s, XSD+"token", "")),
		quad(s1, p, ld.NewLiteral(s, ld.RDFLangString, "fr")),
		quad(ld.NewBlankNode("_:b0"), ld.NewIRI(Schema+s), s1),
	)
	checkSameGraph(t, ds, mustTurtle(t, ds))
	nt, err := writeNTriples(ds)
	if err != nil {
		t.Fatal(err)
	}
	checkSameGraph(t, ds, nt)
}

// Any string, as a literal or in an IRI, reads back as written.
func FuzzRDFTerms(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c`, "l\ni\rn\te", "\x00\x01\x7f", "é日本🎉", "?a=1&b=%2F", "<>{}|^`", "a.", ".a", "a:b", "\u2028\ufffe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, "\ufffd")
		checkRoundTrip(t, s)
	})
}

// A dataset with a named graph is refused, never written without it; the
// default graph alone, even beside an empty named graph, is written.
func TestNamedGraphRefused(t *testing.T) {
	ds := dataset(quad(ld.NewIRI("http://x.test/s"), ld.NewIRI("http://x.test/p"), ld.NewIRI("http://x.test/o")))
	ds.Graphs["http://x.test/g"] = []*ld.Quad{ld.NewQuad(ld.NewIRI("http://x.test/s"), ld.NewIRI("http://x.test/p"), ld.NewIRI("http://x.test/o"), "http://x.test/g")}
	for name, write := range map[string]func(*ld.RDFDataset) ([]byte, error){
		"N-Triples": writeNTriples,
		"Turtle":    func(ds *ld.RDFDataset) ([]byte, error) { return writeTurtle(ds, testVocab) },
	} {
		if b, err := write(ds); !errors.Is(err, ErrNamedGraph) {
			t.Errorf("%s: %q, %v; want ErrNamedGraph", name, b, err)
		}
		delete(ds.Graphs, "http://x.test/g")
		ds.Graphs["_:g"] = nil
		if b, err := write(ds); err != nil || len(b) == 0 {
			t.Errorf("%s beside an empty named graph: %q, %v", name, b, err)
		}
		ds.Graphs["http://x.test/g"] = []*ld.Quad{ld.NewQuad(ld.NewIRI("http://x.test/s"), ld.NewIRI("http://x.test/p"), ld.NewIRI("http://x.test/o"), "http://x.test/g")}
	}
}

// N-Triples lines are json-gold's N-Quads lines for a default graph
// (sorted the same way), so the two renderings are the same bytes.
func TestNTriplesAreTheNQuadsLines(t *testing.T) {
	r := API
	n := NewNode(Organization, "/api/organizations/1").Set("name", "Acme \"q\" \\ é\n").Set("member_count", 2)
	n.Context = ContextsPath + Organization.Name
	doc := n.AppendJSON(nil, LinkedData)
	nq, err := r.Process(NQuads, doc, "http://orgraph.test", "http://orgraph.test/api/organizations/1")
	if err != nil {
		t.Fatal(err)
	}
	nt, err := r.Process(NTriples, doc, "http://orgraph.test", "http://orgraph.test/api/organizations/1")
	if err != nil {
		t.Fatal(err)
	}
	if string(nt) != string(nq) || !strings.Contains(string(nt), `"Acme \"q\" \\ é\n"`) {
		t.Errorf("N-Triples\n%s\nN-Quads\n%s", nt, nq)
	}
	ttl, err := r.Process(Turtle, doc, "http://orgraph.test", "http://orgraph.test/api/organizations/1")
	if err != nil {
		t.Fatal(err)
	}
	quads, err := rdftest.ParseNQuads(string(nq))
	if err != nil {
		t.Fatal(err)
	}
	checkSameGraph(t, dataset(quads...), ttl)
	if !strings.Contains(string(ttl), "\n<http://orgraph.test/api/organizations/1> a vocab:Organization ;\n") {
		t.Errorf("Turtle:\n%s", ttl)
	}
}

func TestNegotiateRDF(t *testing.T) {
	for _, c := range []struct {
		accept string
		want   Format
		ok     bool
	}{
		{"text/turtle", Turtle, true},
		{"application/n-triples", NTriples, true},
		{"text/*", Turtle, true},
		{"text/turtle;q=0.5, application/n-triples", NTriples, true},
		{"application/n-triples;q=0.4, text/turtle;q=0.6", Turtle, true},
		{"text/turtle, application/ld+json;q=0.9", Turtle, true},
		{"application/ld+json;q=0.8, application/n-triples", NTriples, true},
		// Every type alike: JSON-LD first, then Turtle before N-Triples.
		{"text/turtle, application/n-triples, application/n-quads, application/ld+json", JSONLD, true},
		{"application/n-triples, text/turtle", Turtle, true},
		{"*/*", JSONLD, true},
		{"text/turtle;q=0, */*;q=0.1", JSONLD, true},
		{"text/turtle;q=0, application/n-triples;q=0", JSONLD, false},
		{"text/n3", JSONLD, false},
	} {
		got, ok := Negotiate(c.accept)
		if got != c.want || ok != c.ok {
			t.Errorf("Negotiate(%q) = %v, %v; want %v, %v", c.accept, got, ok, c.want, c.ok)
		}
	}
	for _, mt := range []string{`"text/turtle"`, `"application/n-triples"`} {
		if !strings.Contains(Supported(), mt) {
			t.Errorf("Supported() = %s: no %s", Supported(), mt)
		}
	}
	for ext, f := range map[string]Format{"ttl": Turtle, "nt": NTriples} {
		if Suffixes[ext] != f || !f.Processed() || !f.RDF() {
			t.Errorf(".%s: %v", ext, Suffixes[ext])
		}
	}
}

// A document holding several rdf:Lists (the documentation's owl:oneOf
// lists) renders to the same bytes every time: the ETag of a Turtle or
// N-Quads representation must not change while the document does not.
// json-gold's own ToRDF names list nodes in random map order. Two more
// renders of each format suffice: with the documentation's dozens of lists,
// a random order repeats the first render's labels with a probability far
// below one in a million (each render costs seconds under the race
// detector).
func TestRDFWithListsIsStable(t *testing.T) {
	const base = "http://orgraph.test"
	docs, err := json.Marshal(API.Documentation(base, DocsOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{NQuads, Turtle, NTriples} {
		first, err := API.Process(f, docs, base, base+DocsPath)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first), "#first") && !strings.Contains(string(first), "rdf:first") {
			t.Fatalf("%v: no rdf:List in the documentation", f)
		}
		for i := range 2 {
			again, err := API.Process(f, docs, base, base+DocsPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Fatalf("%v: render %d differs from the first", f, i+2)
			}
		}
	}
}
