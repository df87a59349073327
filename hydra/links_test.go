package hydra

import (
	"encoding/json"
	"reflect"
	"testing"
)

// An organization's document links the collections of the resources that
// point to it, each with the memberAssertion that says so (Hydra Core
// §5.2), which alcaeus's getCollections({property, object}) reads. The
// links are derived from the collections' organization filters: every
// class with such a filter, none other.
func TestOrganizationLinksTheCollectionsThatPointToIt(t *testing.T) {
	const id = "0190aaaa-0000-7000-8000-000000000001"
	n := NewNode(Organization, Organization.IRI(id)).Set("name", "Acme")
	n.Context = ContextsPath + "Organization"
	var doc map[string]any
	if err := json.Unmarshal(n.AppendJSON(nil, LinkedData), &doc); err != nil {
		t.Fatal(err)
	}
	var want []any
	for _, c := range []*Class{Member, Invitation, Workspace, Role, Domain, Event, WebhookEndpoint} {
		want = append(want, map[string]any{
			"@id":   c.Resource.Collection + "?organization=" + id,
			"@type": "Collection",
			"memberAssertion": map[string]any{
				"property": c.Name + "/organization",
				"object":   "/api/organizations/" + id,
			},
		})
	}
	if got := doc["collection"]; !reflect.DeepEqual(got, want) {
		t.Errorf("collection:\n got %v\nwant %v", got, want)
	}

	// Hypermedia controls are JSON-LD's: the plain JSON document has none,
	// and neither has an organization embedded in a page (no @context).
	if got := string(n.AppendJSON(nil, PlainJSON)); got != `{"name":"Acme"}` {
		t.Errorf("plain JSON: %s", got)
	}
	n.Context = ""
	if got := string(n.AppendJSON(nil, LinkedData)); got != `{"@id":"/api/organizations/`+id+`","@type":"Organization","name":"Acme"}` {
		t.Errorf("a page's member: %s", got)
	}

	// The classes a collection filters by reference: an organization (its
	// members, invitations, workspaces, roles, events, webhook endpoints),
	// a user (their keys) and a webhook endpoint (its deliveries).
	for _, c := range API.Classes {
		if c.Links() != (c == Organization || c == User || c == WebhookEndpoint) {
			t.Errorf("%s: Links() = %v", c.Name, c.Links())
		}
	}
}

// The entrypoint types itself Entrypoint first (api-doc-parser reads the
// first type) and hydra:Resource (alcaeus's getCollections needs it), and
// links every collection it lists with a memberAssertion of the members'
// class; its plain JSON form keeps API Platform's keys alone.
func TestEntrypointLinksEveryCollection(t *testing.T) {
	doc := API.Entrypoint(LinkedData)
	if got, want := doc["@type"], []any{"Entrypoint", "hydra:Resource"}; !reflect.DeepEqual(got, want) {
		t.Errorf("@type %v, want %v", got, want)
	}
	links, _ := doc["collection"].([]any)
	if len(links) != len(API.Collections()) {
		t.Fatalf("%d links for %d collections", len(links), len(API.Collections()))
	}
	for i, c := range API.Collections() {
		want := map[string]any{"@id": c.Resource.Collection, "@type": "Collection",
			"memberAssertion": map[string]any{"property": "rdf:type", "object": "/api/docs.jsonld#" + c.Name}}
		if !reflect.DeepEqual(links[i], want) {
			t.Errorf("link %d: %v, want %v", i, links[i], want)
		}
		if doc[lcfirst(c.Name)] != c.Resource.Collection {
			t.Errorf("API Platform's key %q: %v", lcfirst(c.Name), doc[lcfirst(c.Name)])
		}
	}
	plain := API.Entrypoint(PlainJSON)
	for k := range plain {
		if k == "collection" || k[0] == '@' {
			t.Errorf("plain JSON entrypoint has %q", k)
		}
	}
}
