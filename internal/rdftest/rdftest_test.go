package rdftest

import (
	"slices"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"
)

// The reader accepts the Turtle it claims to and refuses what the grammar
// forbids, so that a test reading a writer's output fails on an invalid
// document instead of reading something else.
func TestParseTurtle(t *testing.T) {
	const prefixes = "@prefix v: <http://x.test/v#> .\n@prefix : <http://x.test/d#> .\n"
	valid := map[string]string{
		`<http://x.test/s> <http://x.test/p> "o" .`:                     `<http://x.test/s> <http://x.test/p> "o" .`,
		`<http://x.test/s> a v:C , :D ; v:p "x"@en-GB ; ; v:q _:b0 ; .`: `<http://x.test/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://x.test/v#C> .|<http://x.test/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://x.test/d#D> .|<http://x.test/s> <http://x.test/v#p> "x"@en-GB .|<http://x.test/s> <http://x.test/v#q> _:c14n0 .`,
		`v:a.b v:p.q v: .`: `<http://x.test/v#a.b> <http://x.test/v#p.q> <http://x.test/v#> .`,
		`v::x v:1 "1"^^<http://www.w3.org/2001/XMLSchema#integer> .`: `<http://x.test/v#:x> <http://x.test/v#1> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .`,
		`v:a\/b v:a%20b v:é .`: `<http://x.test/v#a/b> <http://x.test/v#a%20b> <http://x.test/v#é> .`,
		`<http://x.test/\u0020\U0001F389> v:p "\t\b\n\r\f\"\'\\\u00e9" .`:                      `<http://x.test/ 🎉> <http://x.test/v#p> "\t` + "\b" + `\n\r` + "\f" + `\"'\\é" .`,
		"_:b1 v:p \"x\" . # a comment\n_:b1 v:p \"x\" .":                                       `_:c14n0 <http://x.test/v#p> "x" .`,
		`<http://x.test/s> <http://x.test/p> "x"^^<http://www.w3.org/2001/XMLSchema#string> .`: `<http://x.test/s> <http://x.test/p> "x" .`,
	}
	for doc, want := range valid {
		quads, err := ParseTurtle(prefixes + doc)
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			continue
		}
		got, err := Canonical(quads)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(want, "|")
		slices.Sort(lines)
		if w := strings.Join(lines, "\n") + "\n"; got != w {
			t.Errorf("%s:\ngot  %s\nwant %s", doc, got, w)
		}
	}
	for _, doc := range []string{
		`<s> v:p "o" .`,                            // relative IRI, no base
		`<http://x.test/a b> v:p "o" .`,            // raw space in an IRI
		`<http://x.test/a"b> v:p "o" .`,            // raw quote in an IRI
		`<http://x.test/a\"b> v:p "o" .`,           // ECHAR in an IRI
		`<http://x.test/a{b}> v:p "o" .`,           // braces
		`<http://x.test/a\uD800> v:p "o" .`,        // a surrogate
		`v:s v:p "line` + "\n" + `break" .`,        // raw line break in a string
		`v:s v:p "a\qb" .`,                         // unknown escape
		`v:s v:p "o"`,                              // no '.'
		`v:s v:p "o"@ .`,                           // empty language tag
		`v:s v:p 'o' .`,                            // single quotes: not read
		`v:s v:p 42 .`,                             // bare number: not read
		`v:s v:p [ v:q "o" ] .`,                    // anonymous node: not read
		`w:s v:p "o" .`,                            // undeclared prefix
		`v:s v:p v:a~b .`,                          // '~' unescaped in a local name
		`v:s v:p v:-a .`,                           // local name starting with '-'
		`"o" v:p v:s .`,                            // literal subject
		`v:s "p" v:o .`,                            // literal predicate
		`_:b0 _:b1 v:o .`,                          // blank node predicate
		`v:s v:p _:-x .`,                           // bad blank node label
		`@base <http://x.test/> .`,                 // @base: not read
		`v:s v:p "o" ,, "p" .`,                     // empty object
		`v:s v:p "` + string([]byte{0xff}) + `" .`, // not UTF-8
	} {
		if quads, err := ParseTurtle(prefixes + doc); err == nil {
			t.Errorf("%s: read %d triples, want an error", doc, len(quads))
		}
	}
}

// Canonical forms are equal exactly for isomorphic graphs.
func TestCanonical(t *testing.T) {
	read := func(s string) string {
		quads, err := ParseTurtle(s)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Canonical(quads)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := read(`_:x <http://x.test/p> _:y . _:y <http://x.test/q> "1" .`)
	b := read(`_:b7 <http://x.test/p> _:b3 . _:b3 <http://x.test/q> "1" . _:b3 <http://x.test/q> "1" .`)
	c := read(`_:b7 <http://x.test/p> _:b3 . _:b7 <http://x.test/q> "1" .`)
	if a != b || a == c {
		t.Errorf("relabelled graphs differ, or different graphs agree:\n%s\n%s\n%s", a, b, c)
	}
	if _, err := Canonical(mustNQuads(t, `<http://x.test/s> <http://x.test/p> "o" <http://x.test/g> .`)); err == nil {
		t.Error("a named graph's quad was taken into a graph")
	}
}

func mustNQuads(t *testing.T, s string) []*ld.Quad {
	t.Helper()
	quads, err := ParseNQuads(s)
	if err != nil {
		t.Fatal(err)
	}
	return quads
}
