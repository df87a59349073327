package hydra

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/orgraph/orgraph/problems"
)

const (
	testBase = "http://api.test"
	testOrg  = "/api/organizations/0190c0de-0000-7000-8000-000000000001"
)

// readBody runs what the handlers run on a body: Parse, the linked-data
// reader when the body needs it, then Validate.
func readBody(t *testing.T, c *Class, body string, create bool) (Input, map[string]any, error) {
	t.Helper()
	obj, p := Parse([]byte(body))
	if p != nil {
		return nil, nil, p
	}
	read := obj
	if NeedsLinkedDataReading(c, obj, testBase) {
		if read, p = API.ReadAsLinkedData(c, obj, testBase, testBase+c.Resource.Collection); p != nil {
			return nil, nil, p
		}
	}
	in, p := c.Validate(read, create)
	if p != nil {
		return nil, read, p
	}
	return in, read, nil
}

// Bodies in other spellings mean what a JSON-LD processor says they mean:
// each is read by the reader and, independently, expanded by json-gold on
// top of the class's own context; both must find the same values for the
// same properties.
func TestReadAsLinkedDataAgreesWithJSONLD(t *testing.T) {
	vocab := Vocab(testBase)
	for _, c := range []struct {
		name  string
		class *Class
		body  string
		want  map[string]any // writable properties of the validated Input
	}{
		{"property-scoped context", Organization,
			`{"@context":{"n":"VOCABOrganization/name","c":{"@id":"VOCABOrganization/contact","@context":{"m":"VOCABContact/email"}}},"n":"Acme","c":{"m":"ops@acme.test"}}`,
			map[string]any{"name": "Acme", "contact": Input{"email": "ops@acme.test"}}},
		{"absolute IRIs", Organization,
			`{"VOCABOrganization/name":"Acme","VOCABOrganization/contact":{"VOCABContact/email":"ops@acme.test"}}`,
			map[string]any{"name": "Acme", "contact": Input{"email": "ops@acme.test"}}},
		{"a prefix beside the own context", Organization,
			`{"@context":["/api/contexts/Organization",{"og":"VOCAB"}],"og:Organization/name":"Acme","contact":{"email":"ops@acme.test"}}`,
			map[string]any{"name": "Acme", "contact": Input{"email": "ops@acme.test"}}},
		{"terms that refer to each other in any order", Organization,
			`{"@context":{"n":"og:Organization/name","og":"VOCAB"},"n":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"keyword aliases", Organization,
			`{"@context":{"id":"@id","type":"@type","og":"VOCAB"},"id":"/x","type":"og:Organization","name":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"@vocab", Organization,
			`{"@context":{"@vocab":"VOCAB"},"Organization/name":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"a reset context and absolute IRIs", Organization,
			`{"@context":null,"VOCABOrganization/name":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"value objects and one-value arrays", Organization,
			`{"@context":{"og":"VOCAB"},"name":[{"@value":"Acme","@language":"en"}],"og:Organization/phone_number":{"@value":"+33 1 23"}}`,
			map[string]any{"name": "Acme", "phone_number": "+33 1 23"}},
		{"a list and a lone value of a many-valued property", Organization,
			`{"@context":{"og":"VOCAB"},"name":"A","invitations":{"@list":[{"email":"a@b.test"},{"og:OrganizationInvitation/email":"c@d.test","role":"admin"}]}}`,
			map[string]any{"name": "A", "invitations": []any{Input{"email": "a@b.test"}, Input{"email": "c@d.test", "role": "admin"}}}},
		{"one object for a many-valued property", Organization,
			`{"@context":{"og":"VOCAB"},"name":"A","invitations":{"email":"a@b.test"}}`,
			map[string]any{"name": "A", "invitations": []any{Input{"email": "a@b.test"}}}},
		{"a term set to null is dropped", Organization,
			`{"@context":{"favourite":null},"name":"Acme","favourite":"green"}`,
			map[string]any{"name": "Acme"}},
		{"a type-scoped context", Organization,
			`{"@context":{"Thing":{"@id":"http://e.test/Thing","@context":{"n":"VOCABOrganization/name"}}},"@type":"Thing","n":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"an embedded context", Organization,
			`{"@context":{"og":"VOCAB"},"name":"A","contact":{"@context":{"m":"VOCABContact/email"},"m":"x@y.test"}}`,
			map[string]any{"name": "A", "contact": Input{"email": "x@y.test"}}},
		{"a context nested in a body otherwise plain", Organization,
			`{"name":"A","contact":{"@context":{"email":null},"email":"a@b.test","first_name":"Ada"}}`,
			map[string]any{"name": "A", "contact": Input{"first_name": "Ada"}}},
		{"a protected context repeated as it is", Organization,
			`{"@context":[{"@protected":true,"n":"VOCABOrganization/name"},{"n":"VOCABOrganization/name"}],"n":"Acme"}`,
			map[string]any{"name": "Acme"}},
		{"a node reference", Workspace,
			`{"@context":{"og":"VOCAB"},"organization":{"@id":"` + testOrg + `"},"og:Workspace/name":"W"}`,
			map[string]any{"name": "W", "organization": strings.TrimPrefix(testOrg, "/api/organizations/")}},
		{"@base and a relative reference", Workspace,
			`{"@context":{"@base":"BASE/api/organizations/","og":"VOCAB"},"organization":{"@id":"` + strings.TrimPrefix(testOrg, "/api/organizations/") + `"},"og:Workspace/name":"W"}`,
			map[string]any{"name": "W", "organization": strings.TrimPrefix(testOrg, "/api/organizations/")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.NewReplacer("VOCAB", vocab, "BASE", testBase).Replace(c.body)
			in, read, err := readBody(t, c.class, body, true)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := map[string]any(in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("read %#v\nwant %#v", got, c.want)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			want, err := expandedLeaves(c.class, doc)
			if err != nil {
				t.Fatalf("json-gold: %v", err)
			}
			got, err := expandedLeaves(c.class, map[string]any{"@context": testBase + ContextsPath + c.class.Name, "x": read})
			if err != nil {
				t.Fatalf("json-gold on the reader's output: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the reader found %v\njson-gold finds %v", got, want)
			}
		})
	}
}

// expandedLeaves expands a body with json-gold on top of the class's own
// context (as the reader reads it) and lists the values of the class's
// writable properties, path = value, ignoring language and datatype (the
// reader keeps the value alone). A doc with the key "x" is the reader's
// output, whose keys are the class's terms.
func expandedLeaves(c *Class, doc map[string]any) (leaves []string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	if read, ok := doc["x"].(map[string]any); ok {
		doc = map[string]any{"@context": doc["@context"]}
		for k, v := range read {
			doc[k] = v
		}
	} else {
		own := testBase + ContextsPath + c.Name
		switch ctx := doc["@context"].(type) {
		case nil:
			if _, has := doc["@context"]; has {
				doc["@context"] = []any{own, nil}
			} else {
				doc["@context"] = own
			}
		case []any:
			if ctx[0] != ContextsPath+c.Name { // json-gold refuses a context included twice
				doc["@context"] = append([]any{own}, ctx...)
			}
		default:
			doc["@context"] = []any{own, ctx}
		}
	}
	opts := ld.NewJsonLdOptions(testBase + c.Resource.Collection)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = &registryLoader{reg: API, base: testBase}
	expanded, err := ld.NewJsonLdProcessor().Expand(jsonNumbersAsFloats(doc), opts)
	if err != nil {
		return nil, err
	}
	for _, node := range expanded {
		collectLeaves(c, node.(map[string]any), "", &leaves)
	}
	sort.Strings(leaves)
	return leaves, nil
}

func collectLeaves(c *Class, node map[string]any, prefix string, out *[]string) {
	vocab := Vocab(testBase)
	for iri, v := range node {
		var p *Property
		for _, q := range c.Properties {
			if vocab+q.Term() == iri {
				p = q
			}
		}
		if p == nil || !p.Writable {
			continue
		}
		values, _ := v.([]any)
		if len(values) == 1 {
			if l, ok := values[0].(map[string]any)["@list"].([]any); ok {
				values = l
			}
		}
		for _, x := range values {
			m := x.(map[string]any)
			switch {
			case m["@value"] != nil:
				*out = append(*out, fmt.Sprintf("%s%s=%v", prefix, p.Name, m["@value"]))
			case p.Kind == Object:
				collectLeaves(p.Class, m, prefix+p.Name+".", out)
			default:
				*out = append(*out, fmt.Sprintf("%s%s=<%v>", prefix, p.Name, m["@id"]))
			}
		}
	}
}

func jsonNumbersAsFloats(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonNumbersAsFloats(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonNumbersAsFloats(x)
		}
		return out
	case json.Number:
		f, _ := v.Float64()
		return f
	}
	return v
}

// What the reader does not understand, or what means nothing Orgraph
// knows, is a 400 that says so; json-gold panicked on the first two.
func TestReadAsLinkedDataRefuses(t *testing.T) {
	vocab := Vocab(testBase)
	many := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	bigContext := `{` + many(2000, `"t%d":"http://e.test/t"`) + `}`
	for i := 0; strings.Contains(bigContext, "%d"); i++ {
		bigContext = strings.Replace(bigContext, "%d", fmt.Sprint(i), 1)
	}
	for _, c := range []struct{ name, body, detail string }{
		{"an empty key under an IRI key", `{"name":"x","a:b":{"":1}}`, `Extra attributes are not allowed ("a:b" is unknown).`},
		{"@protected not a boolean", `{"@context":{"@protected":"x"},"name":"w"}`, `Invalid @context: @protected must be a boolean.`},
		{"an unknown term", `{"@context":{"x":"http://e.test/x"},"name":"n","x":1}`, `Extra attributes are not allowed ("x" is unknown).`},
		{"an unknown nested term", `{"@context":{"og":"VOCAB"},"name":"n","contact":{"og:Contact/emial":"a@b.test"}}`, `Extra attributes are not allowed ("contact.og:Contact/emial" is unknown).`},
		{"a cycle", `{"@context":{"a":"b:c","b":"a:x"},"name":"n"}`, `Invalid @context: the term "a" is defined through itself.`},
		{"@import", `{"@context":{"@import":"http://e.test/c"},"name":"n"}`, `Invalid @context: @import is not supported (no context is fetched).`},
		{"a reverse property", `{"@context":{"r":{"@reverse":"http://e.test/r"}},"name":"n"}`, `Invalid @context: the term "r" is a reverse property, which request bodies do not support.`},
		{"a language map", `{"@context":{"n":{"@id":"VOCABOrganization/name","@container":"@language"}},"n":{"en":"Acme"}}`, `Invalid @context: the term "n" has the container @language; request bodies support only @set and @list.`},
		{"@graph", `{"@context":{"og":"VOCAB"},"@graph":[{"name":"n"}]}`, `The JSON-LD keyword @graph is not supported in a request body.`},
		{"one property spelled twice", `{"@context":{"og":"VOCAB"},"name":"A","og:Organization/name":"B"}`, `The "name" attribute is given twice (as "name" and "og:Organization/name").`},
		{"an own context that does not exist", `{"@context":"/api/contexts/Nope","name":"n"}`, `Invalid @context: "/api/contexts/Nope" names no context of this API.`},
		{"a number as context", `{"@context":5,"name":"n"}`, `Invalid @context: an entry is an int; a context is null, an IRI or an object.`},
		{"an empty term", `{"@context":{"":"http://e.test/x"},"name":"n"}`, `Invalid @context: a term is the empty string.`},
		{"a value object with a node key", `{"@context":{"og":"VOCAB"},"name":{"@value":"A","name":"B"}}`, `A JSON-LD value object may not hold "name".`},
		{"IRI values for a text property", `{"@context":{"n":{"@id":"VOCABOrganization/name","@type":"@id"}},"n":"Acme"}`,
			`The @context makes the values of "n" IRIs, and "name" holds text.`},
		{"a protected term redefined", `{"@context":[{"@protected":true,"n":"VOCABOrganization/name"},{"n":"http://e.test/n"}],"n":"A"}`,
			`Invalid @context: the term "n" is protected: it cannot be redefined.`},
		{"a protected term cleared", `{"@context":[{"n":{"@id":"VOCABOrganization/name","@protected":true}},null],"n":"A"}`,
			`Invalid @context: null would clear the protected term "n".`},
		{"@propagate", `{"@context":{"@propagate":false,"og":"VOCAB"},"name":"A"}`,
			`Invalid @context: @propagate is not supported in request bodies (contexts propagate as JSON-LD's defaults say).`},
		{"@index in a node", `{"@context":{"og":"VOCAB"},"name":"A","@index":"x"}`, `The JSON-LD keyword @index is not supported in a request body.`},
		{"a context too large to apply a thousand times", `{"@context":` + bigContext + `,"name":"n","invitations":[` + many(1000, `{"@context":{"z":"http://e.test/z"}}`) + `]}`,
			`The @context of the request body is too large: reading it means more than 16384 term definitions.`},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.ReplaceAll(c.body, "VOCAB", vocab)
			_, _, err := readBody(t, Organization, body, true)
			if err == nil {
				t.Fatalf("accepted")
			}
			if err.Error() != "400 "+c.detail {
				t.Errorf("got  %v\nwant 400 %s", err, c.detail)
			}
		})
	}
}

// A context named by another IRI is never fetched: it is ignored, and the
// keys keep Orgraph's meanings.
func TestReadAsLinkedDataIgnoresRemoteContexts(t *testing.T) {
	in, _, err := readBody(t, Organization, `{"@context":["http://192.0.2.1/ctx.jsonld",{"n":"`+Vocab(testBase)+`Organization/name"}],"n":"Acme","phone_number":"+1 555"}`, true)
	if err != nil || in["name"] != "Acme" || in["phone_number"] != "+1 555" {
		t.Fatalf("%v %v", in, err)
	}
}

// The reader never panics, and a body it accepts means to json-gold what it
// means to the reader (when json-gold can read it at all: it fetches no
// remote context either, and panics on some bodies the reader refuses).
func FuzzReadAsLinkedData(f *testing.F) {
	vocab := Vocab(testBase)
	for _, seed := range []string{
		`{"@context":{"n":"VOCABOrganization/name","c":{"@id":"VOCABOrganization/contact","@context":{"m":"VOCABContact/email"}}},"n":"Acme","c":{"m":"ops@acme.test"}}`,
		`{"VOCABOrganization/name":"Acme","VOCABOrganization/contact":{"VOCABContact/email":"ops@acme.test"}}`,
		`{"@context":["/api/contexts/Organization",{"og":"VOCAB"}],"og:Organization/name":"Acme"}`,
		`{"@context":{"id":"@id","type":"@type","og":"VOCAB"},"id":"/x","type":"og:Organization","name":"Acme"}`,
		`{"@context":{"@vocab":"VOCAB"},"Organization/name":"Acme"}`,
		`{"@context":{"og":"VOCAB"},"name":[{"@value":"Acme","@language":"en"}]}`,
		`{"@context":{"og":"VOCAB"},"name":"A","invitations":{"@list":[{"email":"a@b.test"}]}}`,
		`{"@context":{"Thing":{"@id":"http://e.test/Thing","@context":{"n":"VOCABOrganization/name"}}},"@type":"Thing","n":"Acme"}`,
		`{"@context":{"@base":"http://api.test/x/","og":"VOCAB"},"contact":{"@context":{"m":"VOCABContact/email"},"m":"x@y.test"}}`,
		`{"name":"x","a:b":{"":1}}`, `{"@context":{"@protected":"x"},"name":"w"}`, `{"@context":{"a":"b:c","b":"a:x"}}`,
		`{"@context":null,"VOCABOrganization/name":"Acme"}`, `{"@context":[null,{"@vocab":"VOCAB"}],"Organization/name":"x"}`,
	} {
		f.Add(strings.ReplaceAll(seed, "VOCAB", vocab))
	}
	f.Fuzz(func(t *testing.T, body string) {
		obj, p := Parse([]byte(body))
		if p != nil {
			return
		}
		read := obj
		if NeedsLinkedDataReading(Organization, obj, testBase) {
			again := map[string]any(nil)
			var p2 *problems.Problem
			read, p = API.ReadAsLinkedData(Organization, obj, testBase, testBase+"/api/organizations")
			again, p2 = API.ReadAsLinkedData(Organization, obj, testBase, testBase+"/api/organizations")
			if !reflect.DeepEqual(read, again) || !reflect.DeepEqual(p, p2) {
				t.Fatalf("two readings differ: %v %v / %v %v", read, p, again, p2)
			}
			if p != nil {
				if p.Status != 400 || p.Detail == "" {
					t.Fatalf("refused with %v", p)
				}
				return
			}
		}
		// A body the server refuses means nothing to compare (a plain body
		// is compared too: the plain path must not read it otherwise).
		if _, p := Organization.Validate(read, true); p != nil && p.Status == 400 {
			return
		}
		var doc map[string]any
		if json.Unmarshal([]byte(body), &doc) != nil {
			return
		}
		want, err := expandedLeaves(Organization, doc)
		if err != nil {
			return
		}
		got, err := expandedLeaves(Organization, map[string]any{"@context": testBase + ContextsPath + "Organization", "x": read})
		if err != nil {
			t.Fatalf("json-gold cannot read the reader's output %v: %v", read, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("the reader found %v\njson-gold finds %v", got, want)
		}
	})
}
