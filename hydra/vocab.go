package hydra

// Namespaces.
const (
	NS     = "http://www.w3.org/ns/hydra/core#"
	RDF    = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	RDFS   = "http://www.w3.org/2000/01/rdf-schema#"
	XSD    = "http://www.w3.org/2001/XMLSchema#"
	OWL    = "http://www.w3.org/2002/07/owl#"
	Schema = "https://schema.org/"
	// ORG is the W3C Organization Ontology: memberships and roles.
	ORG = "http://www.w3.org/ns/org#"
	// VCard is the W3C vCard ontology: contact persons and addresses.
	VCard = "http://www.w3.org/2006/vcard/ns#"
)

// Paths every deployment serves.
const (
	DocsPath = "/api/docs.jsonld"
	// DocsRoot is the documentation without a format suffix: Hydra or
	// OpenAPI, by Accept.
	DocsRoot       = "/api/docs"
	EntrypointPath = "/api"
	ContextsPath   = "/api/contexts/"
)

// DocsRel is the relation of the Link header that leads clients to the docs.
const DocsRel = NS + "apiDocumentation"

// DocsLink is the Link header value for a base URL (scheme and host, no
// trailing slash). api-doc-parser finds it with a regular expression, so the
// spacing `>; rel="` matters.
func DocsLink(base string) string {
	return "<" + base + DocsPath + `>; rel="` + DocsRel + `"`
}

// Vocab is the @vocab of every context: the absolute docs URL and "#", so
// that context terms, docs ids (#Class/prop) and class names agree.
func Vocab(base string) string { return base + DocsPath + "#" }

type term struct {
	name string
	def  any
}

func id(iri string) map[string]any    { return map[string]any{"@id": iri, "@type": "@id"} }
func vocab(iri string) map[string]any { return map[string]any{"@id": iri, "@type": "@vocab"} }

// collectionTerms map the unprefixed Hydra keys of collections (API
// Platform 4's spelling) to Hydra IRIs. API Platform leaves them to @vocab,
// which expands `member` to <docs>#member; we map them so that collections
// expand to real Hydra RDF.
var collectionTerms = []term{
	{"Collection", "hydra:Collection"},
	{"member", id("hydra:member")},
	{"totalItems", "hydra:totalItems"},
	{"view", id("hydra:view")},
	{"PartialCollectionView", "hydra:PartialCollectionView"},
	{"first", id("hydra:first")},
	{"last", id("hydra:last")},
	{"previous", id("hydra:previous")},
	{"next", id("hydra:next")},
	{"search", "hydra:search"},
	{"IriTemplate", "hydra:IriTemplate"},
	{"template", "hydra:template"},
	{"variableRepresentation", vocab("hydra:variableRepresentation")},
	{"BasicRepresentation", "hydra:BasicRepresentation"},
	{"mapping", "hydra:mapping"},
	{"IriTemplateMapping", "hydra:IriTemplateMapping"},
	{"variable", "hydra:variable"},
	{"property", vocab("hydra:property")},
	{"required", "hydra:required"},
}

// namespaces are the prefixes of the documentation's context and of
// Turtle documents (in this order), and the vocabularies a declaration may
// name in Specializes.
var namespaces = []term{
	{"rdf", RDF}, {"rdfs", RDFS}, {"xsd", XSD}, {"owl", OWL}, {"hydra", NS}, {"schema", Schema},
	{"org", ORG}, {"vcard", VCard},
}

// docsTerms is the Hydra vocabulary the ApiDocumentation uses, written for
// Orgraph from the Hydra Core Vocabulary's term definitions (API Platform
// inlines the W3C context document; the terms are the same).
var docsTerms = []term{
	{"ApiDocumentation", "hydra:ApiDocumentation"},
	{"title", "hydra:title"},
	{"description", "hydra:description"},
	{"entrypoint", id("hydra:entrypoint")},
	{"supportedClass", vocab("hydra:supportedClass")},
	{"Class", "hydra:Class"},
	{"supportedProperty", id("hydra:supportedProperty")},
	{"SupportedProperty", "hydra:SupportedProperty"},
	{"property", vocab("hydra:property")},
	{"required", "hydra:required"},
	{"readable", "hydra:readable"},
	{"writeable", "hydra:writeable"},
	{"writable", "hydra:writable"},
	{"supportedOperation", id("hydra:supportedOperation")},
	{"Operation", "hydra:Operation"},
	{"method", "hydra:method"},
	{"expects", vocab("hydra:expects")},
	{"returns", vocab("hydra:returns")},
	{"expectsHeader", "hydra:expectsHeader"},
	{"headerName", "hydra:headerName"},
	{"possibleValue", "hydra:possibleValue"},
	{"closedSet", "hydra:closedSet"},
	{"HeaderSpecification", "hydra:HeaderSpecification"},
	{"returnsHeader", "hydra:returnsHeader"},
	{"possibleStatus", "hydra:possibleStatus"},
	{"Status", "hydra:Status"},
	{"statusCode", "hydra:statusCode"},
	{"Link", "hydra:Link"},
	{"Collection", "hydra:Collection"},
	{"member", id("hydra:member")},
	{"memberAssertion", "hydra:memberAssertion"},
	{"object", vocab("hydra:object")},
	{"subject", vocab("hydra:subject")},
	{"label", "rdfs:label"},
	{"comment", "rdfs:comment"},
	// The values an enumeration allows, in order: an OWL 2 data range
	// (owl:oneOf is an rdf:List).
	{"oneOf", map[string]any{"@id": "owl:oneOf", "@container": "@list"}},
	// Document-relative (@id), not vocabulary-relative: "#Organization"
	// must resolve against the docs URL.
	{"domain", id("rdfs:domain")},
	{"range", id("rdfs:range")},
	{"subClassOf", id("rdfs:subClassOf")},
	{"subPropertyOf", id("rdfs:subPropertyOf")},
}

func termMap(ts ...[]term) map[string]any {
	m := map[string]any{}
	for _, list := range ts {
		for _, t := range list {
			m[t.name] = t.def
		}
	}
	return m
}
