package hydra

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Node is one document (or a nested object) of a declared class, filled by
// property name and written in declaration order. This is the hot path: no
// reflection and no JSON-LD processing, just bytes appended to a buffer.
type Node struct {
	Class *Class
	// Context is "@context", set on top-level documents only: those carry
	// the item's hypermedia controls too (links.go).
	Context string
	ID      string // "@id"; empty for nested objects without identity
	// Operations are those of the item's operations its reader may invoke
	// (affordances.go), written on a top-level document.
	Operations Ops
	// Creatable are its collection links whose POST its reader may invoke
	// (links.go).
	Creatable Links
	// Snapshot marks a recorded state (an event's data): a top-level
	// document without the hypermedia controls of a live one (its
	// collection links), which say nothing of the resource's state and
	// were half of an organization's event.
	Snapshot bool
	values   []any
}

// NewNode starts a document of class c with an @id.
func NewNode(c *Class, iri string) *Node {
	return &Node{Class: c, ID: iri, values: make([]any, len(c.Properties))}
}

// Set gives a property a value: string, int, int64, bool, time.Time, *Node,
// []*Node or nil (omitted, as API Platform omits nulls). Empty strings are
// omitted too: Orgraph stores "no value" as "".
func (n *Node) Set(name string, v any) *Node {
	i, ok := n.Class.index[name]
	if !ok {
		panic("hydra: class " + n.Class.Name + " has no property " + name)
	}
	n.values[i] = v
	return n
}

// Mode selects how much of JSON-LD a document carries.
type Mode int

const (
	// LinkedData writes @context, @id and @type (application/ld+json).
	LinkedData Mode = iota
	// PlainJSON leaves every @ keyword out (application/json).
	PlainJSON
)

// AppendJSON appends the node as a JSON object.
func (n *Node) AppendJSON(b []byte, mode Mode) []byte {
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if mode == LinkedData {
		if n.Context != "" {
			sep()
			b = append(b, `"@context":`...)
			b = appendString(b, n.Context)
		}
		if n.ID != "" {
			sep()
			b = append(b, `"@id":`...)
			b = appendString(b, n.ID)
		}
		// Nested objects are typed too (Contact, Address…), so that in RDF
		// they are instances of a documented class rather than untyped
		// blank nodes. They get no @id: see docs/api.md.
		sep()
		b = append(b, `"@type":`...)
		b = appendString(b, n.Class.Name)
	}
	for i, p := range n.Class.Properties {
		v := n.values[i]
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		if nodes, ok := v.([]*Node); ok && nodes == nil && !p.Many {
			continue
		}
		sep()
		b = append(b, p.key...)
		b = appendValue(b, v, mode)
	}
	if mode == LinkedData && n.Context != "" && !n.Snapshot && n.Class.Links() {
		if id, ok := strings.CutPrefix(n.ID, n.Class.Resource.Item); ok {
			sep()
			b = n.Class.Resource.appendLinks(b, id, n.ID, n.Creatable)
		}
	}
	if mode == LinkedData && n.Context != "" && n.Operations != 0 {
		sep()
		b = n.Class.Resource.appendOperations(b, n.Operations, n.ID)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any, mode Mode) []byte {
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		return appendTime(b, v)
	case *Node:
		return v.AppendJSON(b, mode)
	case []*Node:
		b = append(b, '[')
		for i, n := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = n.AppendJSON(b, mode)
		}
		return append(b, ']')
	case json.RawMessage:
		return append(b, v...)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("hydra: cannot encode a %T", v))
}

// TimeLayout is RFC 3339 with a numeric offset, API Platform's date format
// (2026-01-15T10:30:00+00:00).
const TimeLayout = "2006-01-02T15:04:05-07:00"

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendUTC(b, t.UTC())
	return append(b, '"')
}

// appendUTC writes a UTC time in TimeLayout digit by digit: every document
// has several times, and AppendFormat reads its layout anew for each
// (a tenth of an organization's encoding). Years outside 0–9999, which
// the layout writes otherwise, go through AppendFormat.
func appendUTC(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	hour, minute, second := t.Clock()
	return append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+second/10), byte('0'+second%10), '+', '0', '0', ':', '0', '0')
}

const hexDigits = "0123456789abcdef"

// appendString writes a JSON string, escaping quotes, backslashes, control
// characters and U+2028/U+2029 (JavaScript line terminators). <, > and & stay
// as they are: these documents are never served as HTML, and query strings in
// view IRIs stay readable.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
