package hydra

import (
	"mime"
	"sort"
	"strconv"
	"strings"
)

// Format is a representation Orgraph can write.
type Format int

const (
	// JSONLD is compacted JSON-LD, the default (also for */* and no Accept).
	JSONLD Format = iota
	// JSON is the same document without @ keywords; collections are arrays.
	JSON
	// Expanded is expanded JSON-LD (profile http://www.w3.org/ns/json-ld#expanded).
	Expanded
	// Flattened is flattened JSON-LD (profile …#flattened).
	Flattened
	// NQuads is the RDF dataset as sorted N-Quads.
	NQuads
	// NTriples is the RDF graph as sorted N-Triples: the N-Quads lines, as
	// Orgraph's documents have the default graph only.
	NTriples
	// Turtle is the RDF graph as Turtle: prefixed names, triples grouped by
	// subject.
	Turtle
)

// JSON-LD profiles (the ld+json media type's profile parameter).
const (
	ProfileExpanded  = "http://www.w3.org/ns/json-ld#expanded"
	ProfileFlattened = "http://www.w3.org/ns/json-ld#flattened"
)

// MediaType is the Content-Type of a format.
func (f Format) MediaType() string {
	switch f {
	case JSON:
		return "application/json; charset=utf-8"
	case Expanded:
		return `application/ld+json; profile="` + ProfileExpanded + `"; charset=utf-8`
	case Flattened:
		return `application/ld+json; profile="` + ProfileFlattened + `"; charset=utf-8`
	case NQuads:
		return "application/n-quads; charset=utf-8"
	case NTriples:
		return "application/n-triples; charset=utf-8"
	case Turtle:
		return "text/turtle; charset=utf-8"
	}
	return "application/ld+json; charset=utf-8"
}

// Mode is the encoder mode of a format: everything but plain JSON starts
// from the compacted JSON-LD document.
func (f Format) Mode() Mode {
	if f == JSON {
		return PlainJSON
	}
	return LinkedData
}

// Processed says whether the format goes through the JSON-LD processor
// (and so whether a collection page is capped at MaxProcessedItemsPerPage).
func (f Format) Processed() bool { return f == Expanded || f == Flattened || f.RDF() }

// RDF says whether the format is an RDF syntax, text rather than JSON.
func (f Format) RDF() bool { return f == NQuads || f == NTriples || f == Turtle }

// offers are the media types a resource can be written in, in preference
// order: of the types an Accept header ranks equally, the first wins. The
// ld+json profiles are chosen by the profile parameter. JSON-LD comes
// first, so that */* and clients that list every type they parse without
// weights (alcaeus sends every type its parsers read, all at q=1) keep
// getting the compacted document; the RDF syntaxes follow, Turtle
// before N-Triples for a client that takes both alike: it is the same
// graph, smaller and easier to read.
var offers = []struct {
	mime   string
	format Format
}{
	{"application/ld+json", JSONLD},
	{"application/json", JSON},
	{"application/n-quads", NQuads},
	{"text/turtle", Turtle},
	{"application/n-triples", NTriples},
}

// Suffixes are the URL extensions that choose a format, as API Platform's
// {._format} routes do (/api/organizations.jsonld); .ttl and .nt are the
// usual extensions of Turtle and N-Triples files.
var Suffixes = map[string]Format{"jsonld": JSONLD, "json": JSON, "ttl": Turtle, "nt": NTriples}

// Supported lists the offered media types, for 406 details.
func Supported() string {
	quoted := make([]string, len(offers))
	for i, o := range offers {
		quoted[i] = strconv.Quote(o.mime)
	}
	return strings.Join(quoted, ", ")
}

type acceptRange struct {
	typ, sub string
	q        float64
	profiles []string
}

func parseAccept(header string) []acceptRange {
	var out []acceptRange
	for _, part := range splitAccept(header) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			// "*" alone is sent by some clients for */*.
			if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "*" {
				mt = "*/*"
			} else {
				continue
			}
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		out = append(out, acceptRange{typ, sub, q, strings.Fields(params["profile"])})
	}
	return out
}

// splitAccept splits on commas outside quoted strings (profile values are
// quoted and may be long).
func splitAccept(header string) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(header); i++ {
		switch header[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, header[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, header[start:])
}

// best is the most specific range that matches a media type, or nil.
func best(ranges []acceptRange, mediaType string) *acceptRange {
	typ, sub, _ := strings.Cut(mediaType, "/")
	var found *acceptRange
	specificity := -1
	for i, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.sub == sub:
			s = 2
		case r.typ == typ && r.sub == "*":
			s = 1
		case r.typ == "*" && r.sub == "*":
			s = 0
		}
		if s > specificity {
			found, specificity = &ranges[i], s
		}
	}
	return found
}

func quality(ranges []acceptRange, mediaType string) float64 {
	if r := best(ranges, mediaType); r != nil {
		return r.q
	}
	return -1
}

// Negotiate picks the format for an Accept header; ok is false when no
// offered type is acceptable (406). Unknown profiles are ignored, as the
// ld+json registration asks.
func Negotiate(accept string) (Format, bool) {
	if strings.TrimSpace(accept) == "" {
		return JSONLD, true
	}
	ranges := parseAccept(accept)
	type cand struct {
		f Format
		q float64
	}
	var cands []cand
	for _, o := range offers {
		r := best(ranges, o.mime)
		if r == nil || r.q <= 0 {
			continue
		}
		f := o.format
		if f == JSONLD && r.typ != "*" && r.sub != "*" {
			for _, p := range r.profiles {
				switch p {
				case ProfileExpanded:
					f = Expanded
				case ProfileFlattened:
					f = Flattened
				}
			}
		}
		cands = append(cands, cand{f, r.q})
	}
	if len(cands) == 0 {
		return JSONLD, false
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].q > cands[b].q })
	return cands[0].f, true
}

// Accepts says whether an Accept header allows a format chosen by a URL
// suffix (API Platform answers 406 when the two disagree).
func Accepts(accept string, f Format) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	mt := strings.SplitN(f.MediaType(), ";", 2)[0]
	return quality(parseAccept(accept), mt) > 0
}

// NegotiateOpenAPI picks the Content-Type of the OpenAPI document: its own
// media type (API Platform's jsonopenapi format) unless the client ranks
// plain JSON higher; ok is false when it accepts neither (406).
func NegotiateOpenAPI(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return OpenAPIMediaType, true
	}
	ranges := parseAccept(accept)
	own, plain := quality(ranges, OpenAPIMediaType), quality(ranges, "application/json")
	switch {
	case own > 0 && own >= plain:
		return OpenAPIMediaType, true
	case plain > 0:
		return "application/json", true
	}
	return "", false
}

// PrefersOpenAPI says whether a request for the documentation without a
// suffix (/api/docs) wants OpenAPI rather than Hydra: it ranks the OpenAPI
// media type or plain JSON above JSON-LD, as API Platform's docs route
// answers its jsonopenapi and json formats with OpenAPI.
func PrefersOpenAPI(accept string) bool {
	ranges := parseAccept(accept)
	openAPI := max(quality(ranges, OpenAPIMediaType), quality(ranges, "application/json"))
	return openAPI > 0 && openAPI > quality(ranges, "application/ld+json")
}

// ProblemsAsLinkedData says whether an error answer should be JSON-LD: yes,
// unless the client prefers plain JSON or problem+json (API Platform's
// jsonproblem and json error formats).
func ProblemsAsLinkedData(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	ranges := parseAccept(accept)
	ld := quality(ranges, "application/ld+json")
	plain := max(quality(ranges, "application/problem+json"), quality(ranges, "application/json"))
	return ld >= plain || plain <= 0
}

// AcceptsProblems says whether a client takes application/problem+json
// answers (by name or by a range that covers it).
func AcceptsProblems(accept string) bool {
	return strings.TrimSpace(accept) == "" || quality(parseAccept(accept), "application/problem+json") > 0
}

// ContentType returns the bare media type of a Content-Type header, lower-cased.
func ContentType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(header, ";", 2)[0]))
	}
	return mt
}

// PrefersHTML says whether a client asks for a web page before any JSON:
// a browser navigating (text/html ranked above application/ld+json and
// application/json) gets the HTML explorer instead of the document.
func PrefersHTML(accept string) bool {
	if !strings.Contains(accept, "html") {
		return false
	}
	ranges := parseAccept(accept)
	html := quality(ranges, "text/html")
	if r := best(ranges, "text/html"); r == nil || r.typ == "*" {
		return false // only */* matches: not a page request
	}
	return html > 0 && html > quality(ranges, "application/ld+json") && html > quality(ranges, "application/json")
}
