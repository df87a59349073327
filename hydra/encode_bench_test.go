package hydra_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/hydra"
)

// Benchmarks of the hot-path encoder: the documents are built the way
// handlers/organizations.go (organizationNode) and handlers/people.go
// (memberNode) build them, with the exported hydra API only.
//
//	go test -run XXX -bench . -benchmem ./hydra

// benchMember is the part of an ent.Member (with its user edge) that
// memberNode reads.
type benchMember struct {
	id, orgID, userID, role, email, name string
	joinedAt                             time.Time
}

// benchOrg is the part of an ent.Organization that organizationNode reads.
type benchOrg struct {
	id, name, phone, mode, status string
	createdAt, updatedAt          time.Time
	contact                       [3]string // email, first_name, last_name
	address                       [5]string // street_address, city, state, zip_code, country
	history                       []struct {
		status string
		at     time.Time
	}
	members     []benchMember
	memberCount int
}

var benchEpoch = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

func benchUUID(kind, i int) string {
	return fmt.Sprintf("%08x-4d1e-4c3a-9f2b-%012x", 0x0190a000+kind, i)
}

// newBenchOrg is organization i: a contact, an address, a status with a
// three-entry history and five members (two of them owners).
func newBenchOrg(i int) benchOrg {
	o := benchOrg{
		id:          benchUUID(1, i),
		name:        fmt.Sprintf("Acme Widgets & Gadgets %d", i),
		phone:       "+1 (555) 010-2030",
		mode:        "live",
		status:      "ACTIVE",
		createdAt:   benchEpoch.Add(time.Duration(i) * time.Hour),
		updatedAt:   benchEpoch.Add(time.Duration(i)*time.Hour + 90*24*time.Hour),
		contact:     [3]string{"jane.doe@acme.example", "Jane", "Doe"},
		address:     [5]string{"1600 Amphitheatre Parkway", "Mountain View", "CA", "94043", "United States"},
		memberCount: 5,
	}
	for j, st := range []string{"ACTIVE", "SUSPENDED", "ACTIVE"} {
		o.history = append(o.history, struct {
			status string
			at     time.Time
		}{st, o.createdAt.Add(time.Duration(j) * 240 * time.Hour)})
	}
	roles := []string{"owner", "owner", "admin", "developer", "viewer"}
	for j, role := range roles {
		o.members = append(o.members, benchMember{
			id:       benchUUID(2, i*10+j),
			orgID:    o.id,
			userID:   benchUUID(3, j),
			role:     role,
			email:    fmt.Sprintf("user%d@example.com", j),
			name:     fmt.Sprintf("User Number %d", j),
			joinedAt: o.createdAt.Add(time.Duration(j) * time.Minute),
		})
	}
	return o
}

// callerID is the user whose membership gives current_user_role.
var callerID = benchUUID(3, 0)

// memberNode mirrors handlers.memberNode.
func memberNode(m benchMember) *hydra.Node {
	return hydra.NewNode(hydra.Member, hydra.Member.IRI(m.id)).
		Set("id", m.id).
		Set("organization", hydra.Organization.IRI(m.orgID)).
		Set("user", hydra.User.IRI(m.userID)).
		Set("role", m.role).
		Set("joined_at", m.joinedAt).
		Set("email", m.email).Set("name", m.name)
}

// organizationNode mirrors handlers.organizationNode.
func organizationNode(o benchOrg) *hydra.Node {
	n := hydra.NewNode(hydra.Organization, hydra.Organization.IRI(o.id)).
		Set("id", o.id).
		Set("name", o.name).
		Set("phone_number", o.phone).
		Set("member_count", o.memberCount).
		Set("mode", o.mode).
		Set("created_at", o.createdAt).
		Set("updated_at", o.updatedAt)
	n.Set("contact", hydra.NewNode(hydra.Contact, "").
		Set("email", o.contact[0]).Set("first_name", o.contact[1]).Set("last_name", o.contact[2]))
	n.Set("address", hydra.NewNode(hydra.Address, "").
		Set("street_address", o.address[0]).Set("city", o.address[1]).Set("state", o.address[2]).
		Set("zip_code", o.address[3]).Set("country", o.address[4]))
	history := make([]*hydra.Node, len(o.history))
	for i, h := range o.history {
		history[i] = hydra.NewNode(hydra.StatusChange, "").Set("status", h.status).Set("changed_at", h.at)
	}
	n.Set("status", hydra.NewNode(hydra.OrganizationStatus, "").
		Set("current_status", o.status).Set("status_history", history))
	owners, all := []*hydra.Node{}, []*hydra.Node{}
	for _, m := range o.members {
		if m.userID == callerID {
			n.Set("current_user_role", m.role)
		}
		if m.role == "owner" && len(owners) < hydra.EmbedLimit {
			owners = append(owners, memberNode(m))
		}
		if len(all) < hydra.EmbedLimit {
			all = append(all, memberNode(m))
		}
	}
	return n.Set("owners", owners).Set("members", all)
}

// itemDocument is the node writeItem encodes: with its @context.
func itemDocument() *hydra.Node {
	n := organizationNode(newBenchOrg(1))
	n.Context = hydra.ContextsPath + n.Class.Name
	return n
}

// collectionPage is page 2 of 95 organizations, 30 a page, filtered by name,
// as writePage builds it (so the view has first, last, previous and next,
// and the search template follows).
func collectionPage(tb testing.TB) *hydra.Collection {
	q, p := hydra.Organization.Resource.ParseQuery("name=acme&order%5Bname%5D=asc&itemsPerPage=30&page=2")
	if p != nil {
		tb.Fatalf("ParseQuery: %v", p)
	}
	members := make([]*hydra.Node, 30)
	for i := range members {
		members[i] = organizationNode(newBenchOrg(30 + i))
	}
	return &hydra.Collection{Class: hydra.Organization, Query: q, Members: members, Total: 95}
}

// decode checks that b is one JSON value and returns it.
func decode(tb testing.TB, b []byte) any {
	tb.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("not valid JSON: %v\n%s", err, b)
	}
	if d.More() {
		tb.Fatalf("trailing data after the JSON value:\n%s", b)
	}
	return v
}

// checkItem asserts the shape of an organization item document.
func checkItem(tb testing.TB, b []byte, mode hydra.Mode) {
	tb.Helper()
	doc, ok := decode(tb, b).(map[string]any)
	if !ok {
		tb.Fatalf("not an object: %s", b)
	}
	checkOrganization(tb, doc, mode)
	if mode == hydra.LinkedData && doc["@context"] != "/api/contexts/Organization" {
		tb.Fatalf("@context = %v", doc["@context"])
	}
}

func checkOrganization(tb testing.TB, doc map[string]any, mode hydra.Mode) {
	tb.Helper()
	if mode == hydra.LinkedData {
		if doc["@type"] != "Organization" || !strings.HasPrefix(fmt.Sprint(doc["@id"]), "/api/organizations/") {
			tb.Fatalf("@type/@id: %v %v", doc["@type"], doc["@id"])
		}
	} else {
		for k := range doc {
			if strings.HasPrefix(k, "@") {
				tb.Fatalf("plain JSON carries %s", k)
			}
		}
	}
	members, _ := doc["members"].([]any)
	owners, _ := doc["owners"].([]any)
	status, _ := doc["status"].(map[string]any)
	history, _ := status["status_history"].([]any)
	if len(members) != 5 || len(owners) != 2 || len(history) != 3 || doc["current_user_role"] != "owner" ||
		doc["contact"] == nil || doc["address"] == nil || doc["member_count"] != json.Number("5") {
		tb.Fatalf("unexpected document: %v", doc)
	}
}

func benchmarkItem(b *testing.B, mode hydra.Mode) {
	n := itemDocument()
	checkItem(b, n.AppendJSON(nil, mode), mode)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		// As writeDocument: a fresh 1 KiB buffer per answer.
		out := n.AppendJSON(make([]byte, 0, 1024), mode)
		size = len(out)
	}
	b.SetBytes(int64(size))
}

// BenchmarkEncodeItemLinkedData is GET /api/organizations/{id} as
// application/ld+json: encoding only, nodes already built.
func BenchmarkEncodeItemLinkedData(b *testing.B) { benchmarkItem(b, hydra.LinkedData) }

// BenchmarkEncodeItemPlainJSON is the same document as application/json.
func BenchmarkEncodeItemPlainJSON(b *testing.B) { benchmarkItem(b, hydra.PlainJSON) }

// BenchmarkEncodeItemReusedBuffer appends into a buffer kept across
// iterations: what the encoder itself allocates, with no buffer growth.
func BenchmarkEncodeItemReusedBuffer(b *testing.B) {
	n := itemDocument()
	buf := n.AppendJSON(nil, hydra.LinkedData)
	checkItem(b, buf, hydra.LinkedData)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = n.AppendJSON(buf[:0], hydra.LinkedData)
	}
}

// BenchmarkBuildAndEncodeItem adds building the nodes (organizationNode's
// work once the rows are loaded) to the encoding.
func BenchmarkBuildAndEncodeItem(b *testing.B) {
	o := newBenchOrg(1)
	build := func() []byte {
		n := organizationNode(o)
		n.Context = hydra.ContextsPath + n.Class.Name
		return n.AppendJSON(make([]byte, 0, 1024), hydra.LinkedData)
	}
	checkItem(b, build(), hydra.LinkedData)
	b.ReportAllocs()
	for b.Loop() {
		build()
	}
}

// BenchmarkBuildItemNodes is building the nodes alone.
func BenchmarkBuildItemNodes(b *testing.B) {
	o := newBenchOrg(1)
	checkItem(b, organizationNode(o).AppendJSON(nil, hydra.PlainJSON), hydra.PlainJSON)
	b.ReportAllocs()
	for b.Loop() {
		organizationNode(o)
	}
}

func benchmarkCollection(b *testing.B, mode hydra.Mode) {
	c := collectionPage(b)
	out := c.AppendJSON(nil, mode)
	var items []any
	if mode == hydra.LinkedData {
		doc, _ := decode(b, out).(map[string]any)
		view, _ := doc["view"].(map[string]any)
		search, _ := doc["search"].(map[string]any)
		if doc["@type"] != "Collection" || doc["@id"] != "/api/organizations" || doc["totalItems"] != json.Number("95") ||
			view["@type"] != "PartialCollectionView" || view["next"] == nil || view["previous"] == nil ||
			view["last"] != "/api/organizations?name=acme&order%5Bname%5D=asc&itemsPerPage=30&page=4" ||
			search["@type"] != "IriTemplate" {
			b.Fatalf("unexpected collection: %s", out)
		}
		items, _ = doc["member"].([]any)
	} else {
		items, _ = decode(b, out).([]any)
	}
	if len(items) != 30 {
		b.Fatalf("%d items, want 30", len(items))
	}
	for _, it := range items {
		checkOrganization(b, it.(map[string]any), mode)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		c.AppendJSON(make([]byte, 0, 1024), mode)
	}
}

// BenchmarkEncodeCollectionLinkedData is GET /api/organizations?page=2 (30
// organizations, Hydra view and search) as application/ld+json.
func BenchmarkEncodeCollectionLinkedData(b *testing.B) { benchmarkCollection(b, hydra.LinkedData) }

// BenchmarkEncodeCollectionPlainJSON is the same page as application/json
// (a bare array).
func BenchmarkEncodeCollectionPlainJSON(b *testing.B) { benchmarkCollection(b, hydra.PlainJSON) }

// BenchmarkEncodeCollectionReusedBuffer is the JSON-LD page appended into a
// buffer kept across iterations: only the encoder's own allocations remain
// (the view's page URLs).
func BenchmarkEncodeCollectionReusedBuffer(b *testing.B) {
	c := collectionPage(b)
	buf := c.AppendJSON(nil, hydra.LinkedData)
	decode(b, buf)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = c.AppendJSON(buf[:0], hydra.LinkedData)
	}
}

// stdlibMember and stdlibOrganization are the same documents as
// map[string]any, the way one would write them for encoding/json.
func stdlibMember(m benchMember) map[string]any {
	return map[string]any{
		"@id":          hydra.Member.IRI(m.id),
		"@type":        "Member",
		"id":           m.id,
		"organization": hydra.Organization.IRI(m.orgID),
		"user":         hydra.User.IRI(m.userID),
		"email":        m.email,
		"name":         m.name,
		"role":         m.role,
		"joined_at":    m.joinedAt,
	}
}

func stdlibOrganization(o benchOrg) map[string]any {
	history := make([]any, len(o.history))
	for i, h := range o.history {
		history[i] = map[string]any{"status": h.status, "changed_at": h.at}
	}
	owners, all := []any{}, []any{}
	role := ""
	for _, m := range o.members {
		if m.userID == callerID {
			role = m.role
		}
		if m.role == "owner" {
			owners = append(owners, stdlibMember(m))
		}
		all = append(all, stdlibMember(m))
	}
	return map[string]any{
		"@context":     hydra.ContextsPath + "Organization",
		"@id":          hydra.Organization.IRI(o.id),
		"@type":        "Organization",
		"id":           o.id,
		"name":         o.name,
		"contact":      map[string]any{"email": o.contact[0], "first_name": o.contact[1], "last_name": o.contact[2]},
		"phone_number": o.phone,
		"address": map[string]any{"street_address": o.address[0], "city": o.address[1], "state": o.address[2],
			"zip_code": o.address[3], "country": o.address[4]},
		"status":            map[string]any{"current_status": o.status, "status_history": history},
		"member_count":      o.memberCount,
		"current_user_role": role,
		"mode":              o.mode,
		"created_at":        o.createdAt,
		"updated_at":        o.updatedAt,
		"owners":            owners,
		"members":           all,
	}
}

// sameTimes rewrites every string that is an RFC 3339 date to one form, so
// that hydra's +00:00 and encoding/json's Z compare equal.
func sameTimes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = sameTimes(x)
		}
	case []any:
		for i, x := range v {
			v[i] = sameTimes(x)
		}
	case string:
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return v
}

// BenchmarkEncodeItemStdlibMap is encoding/json on the map equivalent of the
// document of BenchmarkEncodeItemLinkedData (map already built): compare
// the two for the encoder's ratio.
func BenchmarkEncodeItemStdlibMap(b *testing.B) {
	m := stdlibOrganization(newBenchOrg(1))
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	checkItem(b, out, hydra.LinkedData)
	ours := itemDocument().AppendJSON(nil, hydra.LinkedData)
	if got, want := sameTimes(decode(b, out)), sameTimes(decode(b, ours)); !reflect.DeepEqual(got, want) {
		b.Fatalf("the map is not the same document:\n%s\n%s", out, ours)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}
