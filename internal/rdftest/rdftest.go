// Package rdftest reads back, for tests, the RDF Orgraph writes: a strict
// reader of Turtle (the subset a writer without abbreviations uses, which
// includes every N-Triples document) and a comparison of graphs up to
// blank node labels. It is written from the Turtle grammar
// (https://www.w3.org/TR/turtle/#sec-grammar), not from Orgraph's writer,
// so that the two do not share a mistake.
package rdftest

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/piprate/json-gold/ld"
)

// The character classes of the grammar's productions (§6.5), as regular
// expression ranges.
const (
	pnCharsBase = `A-Za-z\x{00C0}-\x{00D6}\x{00D8}-\x{00F6}\x{00F8}-\x{02FF}\x{0370}-\x{037D}\x{037F}-\x{1FFF}` +
		`\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}`
	pnCharsU = pnCharsBase + `_`
	pnChars  = pnCharsU + `\-0-9\x{00B7}\x{0300}-\x{036F}\x{203F}-\x{2040}`
	plx      = `%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]`
	pnPrefix = `[` + pnCharsBase + `](?:[` + pnChars + `.]*[` + pnChars + `])?`
	pnLocal  = `(?:[` + pnCharsU + `:0-9]|` + plx + `)(?:(?:[` + pnChars + `.:]|` + plx + `)*(?:[` + pnChars + `:]|` + plx + `))?`
)

var (
	pnameNS     = regexp.MustCompile(`^(` + pnPrefix + `)?:`)
	pnameLN     = regexp.MustCompile(`^(` + pnPrefix + `)?:(` + pnLocal + `)`)
	blankLabel  = regexp.MustCompile(`^_:[` + pnCharsU + `0-9](?:[` + pnChars + `.]*[` + pnChars + `])?`)
	langTag     = regexp.MustCompile(`^@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*`)
	absoluteIRI = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	localEscape = regexp.MustCompile(`\\(.)`)
)

// ParseTurtle reads a Turtle document: @prefix directives and triples with
// ";" and "," lists, "a", IRIs (absolute, as no @base is read), prefixed
// names, blank node labels and double-quoted literals with a language tag
// or datatype. Anything else, including what Turtle allows but no writer
// of Orgraph's emits (@base, collections, [ ] blank nodes, numbers and
// booleans written bare, long or single-quoted strings), is an error, so
// that a test never passes on a document it did not read.
func ParseTurtle(src string) ([]*ld.Quad, error) {
	p := &parser{src: src, prefixes: map[string]string{}}
	var out []*ld.Quad
	for {
		p.space()
		if p.pos == len(p.src) {
			return out, nil
		}
		if strings.HasPrefix(p.rest(), "@prefix") {
			if err := p.prefix(); err != nil {
				return nil, p.fail(err)
			}
			continue
		}
		triples, err := p.triples()
		if err != nil {
			return nil, p.fail(err)
		}
		out = append(out, triples...)
	}
}

type parser struct {
	src      string
	pos      int
	prefixes map[string]string
}

func (p *parser) rest() string { return p.src[p.pos:] }

func (p *parser) fail(err error) error {
	line := strings.Count(p.src[:p.pos], "\n") + 1
	return fmt.Errorf("line %d, at %.40q: %w", line, p.rest(), err)
}

// space skips WS and comments.
func (p *parser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		case '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *parser) expect(punct byte) error {
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != punct {
		return fmt.Errorf("want %q", punct)
	}
	p.pos++
	return nil
}

// prefix reads  '@prefix' PNAME_NS IRIREF '.'
func (p *parser) prefix() error {
	p.pos += len("@prefix")
	start := p.pos
	p.space()
	if p.pos == start {
		return errors.New("no space after @prefix")
	}
	m := pnameNS.FindStringSubmatch(p.rest())
	if m == nil {
		return errors.New("want PNAME_NS")
	}
	p.pos += len(m[0])
	p.space()
	iri, err := p.iriRef()
	if err != nil {
		return err
	}
	p.prefixes[m[1]] = iri
	return p.expect('.')
}

// triples reads  subject predicateObjectList '.'
func (p *parser) triples() ([]*ld.Quad, error) {
	subject, err := p.term(false)
	if err != nil {
		return nil, err
	}
	if ld.IsLiteral(subject) {
		return nil, errors.New("a literal cannot be a subject")
	}
	var out []*ld.Quad
	for {
		p.space()
		predicate, err := p.verb()
		if err != nil {
			return nil, err
		}
		for {
			p.space()
			object, err := p.term(true)
			if err != nil {
				return nil, err
			}
			out = append(out, ld.NewQuad(subject, predicate, object, "@default"))
			p.space()
			if !strings.HasPrefix(p.rest(), ",") {
				break
			}
			p.pos++
		}
		p.space()
		if !strings.HasPrefix(p.rest(), ";") {
			break
		}
		p.pos++
		// predicateObjectList allows repeated and trailing ';'.
		for p.space(); strings.HasPrefix(p.rest(), ";"); p.space() {
			p.pos++
		}
		if strings.HasPrefix(p.rest(), ".") {
			break
		}
	}
	return out, p.expect('.')
}

func (p *parser) verb() (ld.Node, error) {
	r := p.rest()
	if strings.HasPrefix(r, "a") && len(r) > 1 && strings.ContainsRune(" \t\r\n<\"_", rune(r[1])) {
		p.pos++
		return ld.NewIRI(ld.RDFType), nil
	}
	n, err := p.term(false)
	if err != nil {
		return nil, err
	}
	if !ld.IsIRI(n) {
		return nil, errors.New("a predicate must be an IRI")
	}
	return n, nil
}

// term reads an IRI, a blank node label or (for an object) a literal.
func (p *parser) term(object bool) (ld.Node, error) {
	r := p.rest()
	switch {
	case strings.HasPrefix(r, "<"):
		iri, err := p.iriRef()
		return ld.NewIRI(iri), err
	case strings.HasPrefix(r, "_:"):
		label := blankLabel.FindString(r)
		if label == "" {
			return nil, errors.New("bad blank node label")
		}
		p.pos += len(label)
		return ld.NewBlankNode(label), nil
	case strings.HasPrefix(r, `"`) && object:
		return p.literal()
	}
	iri, err := p.prefixedName()
	return ld.NewIRI(iri), err
}

// prefixedName reads PNAME_LN or PNAME_NS and expands it: the local part
// is appended as written, except that \-escapes lose their backslash
// (%-escapes stay, §6.3).
func (p *parser) prefixedName() (string, error) {
	r := p.rest()
	var prefix, local string
	if m := pnameLN.FindStringSubmatch(r); m != nil {
		prefix, local = m[1], m[2]
		p.pos += len(m[0])
	} else if m := pnameNS.FindStringSubmatch(r); m != nil {
		prefix = m[1]
		p.pos += len(m[0])
	} else {
		return "", errors.New("want an IRI, a prefixed name, a blank node or a literal")
	}
	ns, ok := p.prefixes[prefix]
	if !ok {
		return "", fmt.Errorf("undeclared prefix %q", prefix)
	}
	if p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n;,.", rune(p.src[p.pos])) {
		return "", errors.New("a prefixed name runs into the next token")
	}
	return ns + localEscape.ReplaceAllString(local, "$1"), nil
}

// iriRef reads IRIREF ::= '<' ([^#x00-#x20<>"{}|^`\] | UCHAR)* '>'.
func (p *parser) iriRef() (string, error) {
	if !strings.HasPrefix(p.rest(), "<") {
		return "", errors.New("want '<'")
	}
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", errors.New("unterminated IRI")
		}
		r, size := utf8.DecodeRuneInString(p.rest())
		switch {
		case r == utf8.RuneError && size == 1:
			return "", errors.New("not UTF-8")
		case r == '>':
			p.pos++
			iri := b.String()
			if !absoluteIRI.MatchString(iri) {
				return "", fmt.Errorf("the IRI %q is relative, and no base is read", iri)
			}
			return iri, nil
		case r == '\\':
			u, err := p.uchar()
			if err != nil {
				return "", err
			}
			b.WriteRune(u)
			continue
		case r <= 0x20 || strings.ContainsRune(`<"{}|^`+"`", r):
			return "", fmt.Errorf("%q is not allowed in an IRI", r)
		}
		b.WriteRune(r)
		p.pos += size
	}
}

// uchar reads UCHAR ::= '\u' HEX{4} | '\U' HEX{8}.
func (p *parser) uchar() (rune, error) {
	r := p.rest()
	n := 0
	switch {
	case strings.HasPrefix(r, `\u`):
		n = 4
	case strings.HasPrefix(r, `\U`):
		n = 8
	default:
		return 0, errors.New("a backslash that is not \\u or \\U")
	}
	if len(r) < 2+n {
		return 0, errors.New("short UCHAR")
	}
	hex := r[2 : 2+n]
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || strings.ContainsAny(hex, "+-_") || !utf8.ValidRune(rune(v)) {
		return 0, fmt.Errorf("bad UCHAR %q", r[:2+n])
	}
	p.pos += 2 + n
	return rune(v), nil
}

// literal reads STRING_LITERAL_QUOTE (LANGTAG | '^^' iri)?.
func (p *parser) literal() (ld.Node, error) {
	p.pos++ // '"'
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, errors.New("unterminated string")
		}
		r, size := utf8.DecodeRuneInString(p.rest())
		if r == utf8.RuneError && size == 1 {
			return nil, errors.New("not UTF-8")
		}
		if r == '"' {
			p.pos++
			break
		}
		switch r {
		case '\n', '\r':
			return nil, errors.New("a raw line break in a string")
		case '\\':
			if p.pos+1 < len(p.src) {
				if c, ok := echar[p.src[p.pos+1]]; ok {
					b.WriteByte(c)
					p.pos += 2
					continue
				}
			}
			u, err := p.uchar()
			if err != nil {
				return nil, err
			}
			b.WriteRune(u)
			continue
		}
		b.WriteRune(r)
		p.pos += size
	}
	value := b.String()
	r := p.rest()
	switch {
	case strings.HasPrefix(r, "@"):
		tag := langTag.FindString(r)
		if tag == "" {
			return nil, errors.New("bad language tag")
		}
		p.pos += len(tag)
		return ld.NewLiteral(value, ld.RDFLangString, tag[1:]), nil
	case strings.HasPrefix(r, "^^"):
		p.pos += 2
		var datatype string
		var err error
		if strings.HasPrefix(p.rest(), "<") {
			datatype, err = p.iriRef()
		} else {
			datatype, err = p.prefixedName()
		}
		if err != nil {
			return nil, err
		}
		return ld.NewLiteral(value, datatype, ""), nil
	}
	return ld.NewLiteral(value, ld.XSDString, ""), nil
}

// echar is ECHAR ::= '\' [tbnrf"'\].
var echar = map[byte]byte{'t': '\t', 'b': '\b', 'n': '\n', 'r': '\r', 'f': '\f', '"': '"', '\'': '\'', '\\': '\\'}

// ParseNQuads reads N-Quads with json-gold's reader (another
// implementation than ParseTurtle's), default graph and named graphs alike.
func ParseNQuads(src string) ([]*ld.Quad, error) {
	ds, err := ld.ParseNQuadsFrom(src)
	if err != nil {
		return nil, fmt.Errorf("read N-Quads: %w", err)
	}
	var out []*ld.Quad
	for _, quads := range ds.Graphs {
		out = append(out, quads...)
	}
	return out, nil
}

// Canonical is the graph's canonical form: its triples as N-Quads with
// blank nodes relabelled by URDNA2015 (json-gold's implementation), sorted,
// duplicates dropped. Two graphs are isomorphic exactly when their
// canonical forms are equal. Quads in a named graph are an error: the
// formats compared hold one graph.
func Canonical(quads []*ld.Quad) (string, error) {
	ds := ld.NewRDFDataset()
	seen := map[string]bool{}
	for _, q := range quads {
		if q.Graph != nil {
			return "", fmt.Errorf("a quad in the named graph %s", q.Graph.GetValue())
		}
		key := fmt.Sprintf("%#v", *q)
		if !seen[key] {
			seen[key] = true
			ds.Graphs["@default"] = append(ds.Graphs["@default"], q)
		}
	}
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdApi().Normalize(ds, opts)
	if err != nil {
		return "", fmt.Errorf("canonicalize: %w", err)
	}
	s, _ := out.(string)
	lines := strings.SplitAfter(s, "\n")
	slices.Sort(lines)
	return strings.Join(slices.Compact(lines), ""), nil
}
