package hydra

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/piprate/json-gold/ld"
)

// The N-Triples and Turtle renderings. json-gold has no Turtle writer (its
// serialize_turtle.go is a stub) and no Go RDF library is available to the
// build, so both are written here from json-gold's RDF dataset: the same
// dataset its N-Quads come from, so that every RDF format of a document
// holds the same graph.

// ErrNamedGraph is the refusal to write a dataset with a named graph as
// N-Triples or Turtle, which hold one graph. Orgraph's documents only ever
// make the default graph (no context declares @graph containers, no
// document carries a named @graph); dropping a named graph's triples would
// answer 200, with a strong ETag, a document that silently misses data, so
// a change that starts making one fails loudly instead.
var ErrNamedGraph = errors.New("the dataset has a named graph, which N-Triples and Turtle cannot hold")

// defaultGraph is the dataset's only graph, or ErrNamedGraph.
func defaultGraph(ds *ld.RDFDataset) ([]*ld.Quad, error) {
	for name, quads := range ds.Graphs {
		if name != "@default" && len(quads) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrNamedGraph, name)
		}
	}
	return ds.Graphs["@default"], nil
}

// writeNTriples writes the default graph as N-Triples, lines sorted as the
// N-Quads are: for Orgraph's documents the very lines of the N-Quads
// rendering. The terms are written by rdfTerms rather than json-gold's
// serializer, which escapes IRIs as if they were literals (a `"` in an IRI
// comes out as `\"`, which IRIREF forbids).
func writeNTriples(ds *ld.RDFDataset) ([]byte, error) {
	quads, err := defaultGraph(ds)
	if err != nil {
		return nil, err
	}
	var w rdfTerms
	lines := make([]string, 0, len(quads))
	for _, q := range quads {
		line, err := w.triple(q)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "")), nil
}

// writeTurtle writes the default graph as Turtle: @prefix lines for the
// vocabularies Orgraph's documents use (vocab is the API's own, <base>/api/
// docs.jsonld#), then each subject once with its predicates grouped by ";"
// and their objects by ",", rdf:type as "a". Subjects come in a stable
// order (IRIs sorted, then blank nodes by number) so that the bytes, and
// the ETag, are the same on every render.
func writeTurtle(ds *ld.RDFDataset, vocab string) ([]byte, error) {
	quads, err := defaultGraph(ds)
	if err != nil {
		return nil, err
	}
	w := rdfTerms{prefixes: turtlePrefixes(vocab)}
	b := make([]byte, 0, 256+len(quads)*96)
	for _, p := range w.prefixes {
		b = append(b, "@prefix "+p.name+": "...)
		if b, err = appendIRIRef(b, p.ns); err != nil {
			return nil, err
		}
		b = append(b, " .\n"...)
	}

	type statement struct {
		subject        ld.Node
		predicate, obj string
	}
	statements := make([]statement, 0, len(quads))
	for _, q := range quads {
		if !ld.IsIRI(q.Predicate) {
			return nil, fmt.Errorf("turtle: the predicate %q is not an IRI", q.Predicate.GetValue())
		}
		var o string
		if o, err = w.term(q.Object); err != nil {
			return nil, err
		}
		statements = append(statements, statement{q.Subject, q.Predicate.GetValue(), o})
	}
	slices.SortFunc(statements, func(x, y statement) int {
		return cmp.Or(compareSubjects(x.subject, y.subject), comparePredicates(x.predicate, y.predicate), strings.Compare(x.obj, y.obj))
	})

	for i, st := range statements {
		sameSubject := i > 0 && compareSubjects(statements[i-1].subject, st.subject) == 0
		samePredicate := sameSubject && statements[i-1].predicate == st.predicate
		switch {
		case samePredicate && statements[i-1].obj == st.obj:
			continue // a graph is a set
		case samePredicate:
			b = append(b, " ,\n        "...)
		case sameSubject:
			b = append(b, " ;\n    "...)
		default:
			if i > 0 {
				b = append(b, " .\n"...)
			}
			s, err := w.term(st.subject)
			if err != nil {
				return nil, err
			}
			b = append(b, '\n')
			b = append(b, s...)
			b = append(b, ' ')
		}
		if !samePredicate {
			if st.predicate == ld.RDFType {
				b = append(b, 'a')
			} else {
				p, err := w.term(ld.NewIRI(st.predicate))
				if err != nil {
					return nil, err
				}
				b = append(b, p...)
			}
			b = append(b, ' ')
		}
		b = append(b, st.obj...)
	}
	if len(statements) > 0 {
		b = append(b, " .\n"...)
	}
	return b, nil
}

// compareSubjects orders IRIs before blank nodes, IRIs by their text and
// blank nodes by number (_:b2 before _:b10).
func compareSubjects(x, y ld.Node) int {
	xb, yb := ld.IsBlankNode(x), ld.IsBlankNode(y)
	if xb != yb {
		if xb {
			return 1
		}
		return -1
	}
	xs, ys := x.GetValue(), y.GetValue()
	if xb {
		return cmp.Or(cmp.Compare(len(xs), len(ys)), strings.Compare(xs, ys))
	}
	return strings.Compare(xs, ys)
}

// comparePredicates puts rdf:type ("a") first, as Turtle writers do.
func comparePredicates(x, y string) int {
	if (x == ld.RDFType) != (y == ld.RDFType) {
		if x == ld.RDFType {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

type rdfPrefix struct{ name, ns string }

// turtlePrefixes are the namespaces of the terms Orgraph's documents use
// (the documentation's), always declared: the same lines on every document.
func turtlePrefixes(vocab string) []rdfPrefix {
	prefixes := make([]rdfPrefix, 0, len(namespaces)+1)
	for _, ns := range namespaces {
		prefixes = append(prefixes, rdfPrefix{ns.name, ns.def.(string)})
	}
	return append(prefixes, rdfPrefix{"vocab", vocab})
}

// rdfTerms writes RDF terms as N-Triples (prefixes nil) or Turtle.
type rdfTerms struct {
	prefixes []rdfPrefix
}

func (w *rdfTerms) triple(q *ld.Quad) (string, error) {
	s, err := w.term(q.Subject)
	if err != nil {
		return "", err
	}
	p, err := w.term(q.Predicate)
	if err != nil {
		return "", err
	}
	o, err := w.term(q.Object)
	if err != nil {
		return "", err
	}
	return s + " " + p + " " + o + " .\n", nil
}

// blankLabel is the ASCII part of BLANK_NODE_LABEL, which covers every
// label json-gold issues (_:b0, _:b1, …).
var blankLabel = regexp.MustCompile(`^_:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$`)

// langTag is LANGTAG without its "@".
var langTag = regexp.MustCompile(`^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$`)

func (w *rdfTerms) term(n ld.Node) (string, error) {
	switch n := n.(type) {
	case ld.IRI:
		b, err := w.appendIRI(nil, n.Value)
		return string(b), err
	case ld.BlankNode:
		if !blankLabel.MatchString(n.Attribute) {
			return "", fmt.Errorf("rdf: the blank node label %q cannot be written", n.Attribute)
		}
		return n.Attribute, nil
	case ld.Literal:
		b, err := appendLiteral(make([]byte, 0, len(n.Value)+2), n.Value)
		if err != nil {
			return "", err
		}
		switch n.Datatype {
		case "", ld.XSDString:
		case ld.RDFLangString:
			if !langTag.MatchString(n.Language) {
				return "", fmt.Errorf("rdf: the language tag %q cannot be written", n.Language)
			}
			b = append(b, '@')
			b = append(b, n.Language...)
		default:
			b = append(b, "^^"...)
			if b, err = w.appendIRI(b, n.Datatype); err != nil {
				return "", err
			}
		}
		return string(b), nil
	}
	return "", fmt.Errorf("rdf: unknown term %T", n)
}

// appendIRI writes an IRI as a prefixed name when one of the prefixes is
// its namespace and the rest is a local name Turtle reads back as it is,
// else as <IRI>.
func (w *rdfTerms) appendIRI(b []byte, iri string) ([]byte, error) {
	best := -1
	for i, p := range w.prefixes {
		if strings.HasPrefix(iri, p.ns) && (best < 0 || len(p.ns) > len(w.prefixes[best].ns)) && localName(iri[len(p.ns):]) {
			best = i
		}
	}
	if best >= 0 {
		p := w.prefixes[best]
		b = append(b, p.name...)
		b = append(b, ':')
		return append(b, iri[len(p.ns):]...), nil
	}
	return appendIRIRef(b, iri)
}

// appendIRIRef writes IRIREF: '<' ([^#x00-#x20<>"{}|^`\] | UCHAR)* '>'.
// The characters IRIREF forbids are written as \u escapes, which a reader
// turns back into the same IRI. (No IRI of Orgraph's holds one: its IRIs
// are percent-encoded, and a query string is re-encoded; the escapes keep
// the document readable whatever comes.)
func appendIRIRef(b []byte, iri string) ([]byte, error) {
	if !utf8.ValidString(iri) {
		return nil, fmt.Errorf("rdf: the IRI %q is not UTF-8", iri)
	}
	b = append(b, '<')
	for _, r := range iri {
		if r <= 0x20 || strings.ContainsRune("<>\"{}|^`\\", r) {
			b = appendUCHAR(b, r)
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	return append(b, '>'), nil
}

// appendLiteral writes STRING_LITERAL_QUOTE: '"' ([^#x22#x5C#xA#xD] |
// ECHAR | UCHAR)* '"'. The four characters it forbids are escaped, as json-
// gold's N-Quads do, and so is tab (json-gold does too, so the N-Triples and
// N-Quads lines stay equal); the other control characters, which it allows
// raw, are \u escapes all the same so that no reader or terminal trips on
// them. Everything else, non-ASCII included, is written as UTF-8.
func appendLiteral(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("rdf: a literal is not UTF-8: %q", s)
	}
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if r < 0x20 || r == 0x7f {
				b = appendUCHAR(b, r)
				continue
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"'), nil
}

// appendUCHAR writes \uXXXX with upper-case digits, as canonical N-Triples
// has them (every character escaped here is below U+0080).
func appendUCHAR(b []byte, r rune) []byte { return fmt.Appendf(b, `\u%04X`, r) }

// localName says whether s can be written unescaped as PN_LOCAL, the local
// part of a prefixed name, so that the prefixed name stands for exactly the
// namespace followed by s:
//
//	PN_LOCAL ::= (PN_CHARS_U | ':' | [0-9] | PLX) ((PN_CHARS | '.' | ':' | PLX)* (PN_CHARS | ':' | PLX))?
//
// PLX (a %-escape or a \-escape) is left out: escaped local names are read
// unevenly by older parsers, and an <IRI> is as exact. The empty local name
// (the namespace itself) is allowed: PrefixedName ::= PNAME_LN | PNAME_NS.
func localName(s string) bool {
	for i, r := range s {
		ok := pnChars(r) || r == ':'
		switch {
		case i == 0:
			ok = pnCharsU(r) || r == ':' || (r >= '0' && r <= '9')
		case i+utf8.RuneLen(r) < len(s):
			ok = ok || r == '.'
		}
		if !ok || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// pnCharsBase is PN_CHARS_BASE.
func pnCharsBase(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return true
	case r < 0xC0:
		return false
	}
	for _, rg := range [][2]rune{
		{0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x02FF}, {0x0370, 0x037D}, {0x037F, 0x1FFF},
		{0x200C, 0x200D}, {0x2070, 0x218F}, {0x2C00, 0x2FEF}, {0x3001, 0xD7FF}, {0xF900, 0xFDCF},
		{0xFDF0, 0xFFFD}, {0x10000, 0xEFFFF},
	} {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// pnCharsU is PN_CHARS_U ::= PN_CHARS_BASE | '_'.
func pnCharsU(r rune) bool { return r == '_' || pnCharsBase(r) }

// pnChars is PN_CHARS ::= PN_CHARS_U | '-' | [0-9] | #x00B7 | [#x0300-#x036F] | [#x203F-#x2040].
func pnChars(r rune) bool {
	return pnCharsU(r) || r == '-' || (r >= '0' && r <= '9') || r == 0x00B7 ||
		(r >= 0x0300 && r <= 0x036F) || (r >= 0x203F && r <= 0x2040)
}
