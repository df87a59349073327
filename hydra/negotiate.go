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
)

// MediaType is the Content-Type of a format.
func (f Format) MediaType() string {
	return [...]string{"application/ld+json; charset=utf-8", "application/json; charset=utf-8"}[f]
}

// Mode is the encoder mode of a format.
func (f Format) Mode() Mode {
	if f == JSON {
		return PlainJSON
	}
	return LinkedData
}

// offers are the media types a resource can be written in, in preference order.
var offers = []struct {
	mime   string
	format Format
}{
	{"application/ld+json", JSONLD},
	{"application/json", JSON},
}

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
	order    int
}

func parseAccept(header string) []acceptRange {
	var out []acceptRange
	for i, part := range strings.Split(header, ",") {
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
		out = append(out, acceptRange{typ, sub, q, i})
	}
	return out
}

// quality is the q of the most specific range that matches a media type.
func quality(ranges []acceptRange, mediaType string) float64 {
	typ, sub, _ := strings.Cut(mediaType, "/")
	best, specificity := -1.0, -1
	for _, r := range ranges {
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
			best, specificity = r.q, s
		}
	}
	return best
}

// Negotiate picks the format for an Accept header; ok is false when no
// offered type is acceptable (406).
func Negotiate(accept string) (Format, bool) {
	if strings.TrimSpace(accept) == "" {
		return JSONLD, true
	}
	ranges := parseAccept(accept)
	type cand struct {
		f Format
		q float64
		i int
	}
	var cands []cand
	for i, o := range offers {
		if q := quality(ranges, o.mime); q > 0 {
			cands = append(cands, cand{o.format, q, i})
		}
	}
	if len(cands) == 0 {
		return JSONLD, false
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].q > cands[b].q })
	return cands[0].f, true
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

// ContentType returns the bare media type of a Content-Type header, lower-cased.
func ContentType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(header, ";", 2)[0]))
	}
	return mt
}
