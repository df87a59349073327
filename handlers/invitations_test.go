package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/problems"
)

// The Invitation resource and its transitions: pending → accepted, revoked
// or expired; resend; the alias POST /api/organizations/{id}/members/invite;
// invitations sent with a new organization; who sees what. Helpers carry
// the "iv" prefix; the "pm" ones come from permissions_test.go.

const (
	ivNotUnique     = "A pending invitation for this email address exists."
	ivAlreadyMember = "This email address belongs to a member of the organization."
	ivNotInRange    = "This value should be between 1 and 30."
)

// ivNotPending is the 422 message for an action on an invitation that is
// not pending (or, for resend, neither pending nor expired).
func ivNotPending(status, action string) string {
	return fmt.Sprintf("This invitation is %s: it cannot be %s.", status, action)
}

// ivOrg is an organization of ada's with bob as admin.
type ivOrg struct {
	id, iri string
	name    string
	ada     string // ada's key
	adaID   string
	bob     string // bob's key (admin)
}

func ivNewOrg(t *testing.T, e *env, name string) *ivOrg {
	t.Helper()
	o := &ivOrg{name: name, ada: e.key("ada@example.com", "live", "write"), bob: e.key("bob@example.com", "live", "write")}
	o.adaID = pmUser(t, e, "ada@example.com").ID.String()
	doc := e.createOrg(o.ada, fmt.Sprintf(`{"name":%q}`, name))
	o.id, o.iri = pmS(doc["id"]), pmS(doc["@id"])
	pmAddMember(t, e, o.id, pmUser(t, e, "bob@example.com").ID, "admin")
	return o
}

// invite creates an invitation through POST /api/invitations and returns
// its document.
func (o *ivOrg) invite(t *testing.T, e *env, email, role string, extra string) map[string]any {
	t.Helper()
	body := fmt.Sprintf(`{"organization":%q,"email":%q`, o.iri, email)
	if role != "" {
		body += fmt.Sprintf(`,"role":%q`, role)
	}
	r := pmPost(e, "/api/invitations", o.ada, body+extra+"}")
	if r.Status != http.StatusCreated {
		t.Fatalf("invite %s: %d %s", email, r.Status, r.Body)
	}
	return r.obj()
}

// ivPending is the whole expected document of a pending invitation, with
// the server's id and dates taken from got after checking them: created_at
// is now, updated_at is created_at, expires_at is created_at plus days.
func ivPending(t *testing.T, got map[string]any, orgIRI, orgName, email, role, inviterID string, days int, withContext bool) map[string]any {
	t.Helper()
	id := pmID(t, "id", got["id"])
	created := pmTime(t, "created_at", got["created_at"])
	if d := time.Since(created); d < -time.Second || d > time.Minute {
		t.Errorf("created_at %v is not now", created)
	}
	want := map[string]any{
		"@id":               "/api/invitations/" + id,
		"@type":             "Invitation",
		"id":                id,
		"organization":      orgIRI,
		"organization_name": orgName,
		"email":             email,
		"role":              role,
		"status":            "pending",
		"expires_at":        pmFormat(created.AddDate(0, 0, days)),
		"inviter":           "/api/users/" + inviterID,
		"created_at":        pmFormat(created),
		"updated_at":        pmFormat(created),
	}
	if withContext {
		want["@context"] = "/api/contexts/Invitation"
	}
	return want
}

// ivSetExpiry moves an invitation's expiry, as time passing would.
func ivSetExpiry(t *testing.T, e *env, iri string, at time.Time) {
	t.Helper()
	if err := e.db.Invitation.UpdateOneID(pmIDOf(iri)).SetExpiresAt(at).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func ivCount(t *testing.T, e *env) int {
	t.Helper()
	n, err := e.db.Invitation.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInvitationsCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")

		r := pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"  New@Example.COM ","role":"developer","expires_in_days":3}`, o.iri))
		if !pmOK(t, "create", r, http.StatusCreated) {
			t.FailNow()
		}
		doc := r.obj()
		pmEqual(t, "create", doc, ivPending(t, doc, o.iri, o.name, "new@example.com", "developer", o.adaID, 3, true))
		g := pmGet(e, pmS(doc["@id"]), o.ada)
		if pmOK(t, "GET after create", g, http.StatusOK) {
			pmEqual(t, "GET after create", g.obj(), doc)
		}
		// The admin invites too; role and expiry have defaults (viewer, 7 days).
		r = e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: o.bob, Body: fmt.Sprintf(`{"organization":%q,"email":"two@example.com"}`, o.iri),
			Header: map[string]string{"Content-Type": "application/json"}})
		if pmOK(t, "create with defaults", r, http.StatusCreated) {
			pmEqual(t, "create with defaults", r.obj(), ivPending(t, r.obj(), o.iri, o.name, "two@example.com", "viewer", pmUser(t, e, "bob@example.com").ID.String(), 7, true))
		}
		// Read-only properties in the body are ignored: no one creates an
		// accepted invitation, or one that never expires (an unknown one is
		// a 400: strict_input_test.go).
		r = pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"sly@example.com","status":"accepted",`+
			`"membership":%q,"accepted_at":"2000-01-01T00:00:00+00:00","expires_at":"2999-01-01T00:00:00+00:00","inviter":"/api/users/%s","id":"x"}`,
			o.iri, o.iri, uuid.Must(uuid.NewV7())))
		if pmOK(t, "create with read-only properties", r, http.StatusCreated) {
			pmEqual(t, "create with read-only properties", r.obj(), ivPending(t, r.obj(), o.iri, o.name, "sly@example.com", "viewer", o.adaID, 7, true))
		}
		// The bounds of expires_in_days.
		for _, days := range []int{1, 30} {
			email := fmt.Sprintf("days%d@example.com", days)
			r := pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":%q,"expires_in_days":%d}`, o.iri, email, days))
			if pmOK(t, email, r, http.StatusCreated) {
				pmEqual(t, email, r.obj(), ivPending(t, r.obj(), o.iri, o.name, email, "viewer", o.adaID, days, true))
			}
		}

		// Refusals change nothing.
		before := pmSnapshot(t, e)
		post := func(body string) *response { return pmPost(e, "/api/invitations", o.ada, body) }
		for _, days := range []string{"0", "31", "-1"} {
			pmViolations(t, "expires_in_days "+days, post(fmt.Sprintf(`{"organization":%q,"email":"x@example.com","expires_in_days":%s}`, o.iri, days)),
				"expires_in_days", ivNotInRange, problems.CodeNotInRange)
		}
		pmViolations(t, "no email", post(fmt.Sprintf(`{"organization":%q}`, o.iri)),
			"email", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "no organization", post(`{"email":"x@example.com"}`),
			"organization", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "bad email", post(fmt.Sprintf(`{"organization":%q,"email":"not an email"}`, o.iri)),
			"email", "This value is not a valid email address.", problems.CodeInvalidMail)
		pmViolations(t, "a role the organization lacks", post(fmt.Sprintf(`{"organization":%q,"email":"x@example.com","role":"king"}`, o.iri)),
			"role", `This organization has no role "king". Its roles: "owner", "admin", "developer", "viewer".`, problems.CodeNoSuchChoice)
		pmViolations(t, "a role no slug spells", post(fmt.Sprintf(`{"organization":%q,"email":"x@example.com","role":"King"}`, o.iri)),
			"role", `This value is not a valid slug: a lower-case letter, then up to 39 lower-case letters, digits, "-" or "_".`, problems.CodeRegexFailed)
		pmViolations(t, "a second pending invitation", post(fmt.Sprintf(`{"organization":%q,"email":"new@example.com","role":"admin"}`, o.iri)),
			"email", ivNotUnique, problems.CodeNotUnique)
		pmViolations(t, "a second pending invitation, other case", post(fmt.Sprintf(`{"organization":%q,"email":"NEW@example.com"}`, o.iri)),
			"email", ivNotUnique, problems.CodeNotUnique)
		pmViolations(t, "an existing member", post(fmt.Sprintf(`{"organization":%q,"email":"Bob@Example.com"}`, o.iri)),
			"email", ivAlreadyMember, problems.CodeAlreadyMember)
		pmViolations(t, "the inviter", post(fmt.Sprintf(`{"organization":%q,"email":"ada@example.com"}`, o.iri)),
			"email", ivAlreadyMember, problems.CodeAlreadyMember)
		unknown := "/api/organizations/" + uuid.Must(uuid.NewV7()).String()
		r = post(fmt.Sprintf(`{"organization":%q,"email":"x@example.com"}`, unknown))
		pmProblem(t, "unknown organization", r, http.StatusBadRequest)
		if d := r.obj()["detail"]; d != fmt.Sprintf("Item not found for %q.", unknown) {
			t.Errorf("unknown organization: detail %q", d)
		}
		pmProblem(t, "not an IRI", post(`{"organization":"acme","email":"x@example.com"}`), http.StatusBadRequest)
		pmProblem(t, "wrong content type", e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: o.ada,
			Body: fmt.Sprintf(`{"organization":%q,"email":"x@example.com"}`, o.iri), Header: map[string]string{"Content-Type": "text/plain"}}),
			http.StatusUnsupportedMediaType)
		pmUnchanged(t, e, "refused invitations", before)
	})
}

func TestInvitationsAlias(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		mine := e.createOrg(o.ada, `{"name":"Ada's other"}`)

		// The organization comes from the path, whatever the body says.
		r := pmPost(e, o.iri+"/members/invite", o.ada, fmt.Sprintf(`{"email":"Alias@Example.com","role":"admin","organization":%q}`, mine["@id"]))
		if pmOK(t, "alias", r, http.StatusCreated) {
			pmEqual(t, "alias", r.obj(), ivPending(t, r.obj(), o.iri, o.name, "alias@example.com", "admin", o.adaID, 7, true))
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/api/invitations/") {
				t.Errorf("Location %q", loc)
			}
			g := pmGet(e, pmS(r.obj()["@id"]), o.ada)
			pmEqual(t, "alias read back", g.obj(), r.obj())
		}
		r = pmPost(e, o.iri+"/members/invite", o.bob, `{"email":"days@example.com","expires_in_days":2}`)
		if pmOK(t, "alias by the admin", r, http.StatusCreated) {
			pmEqual(t, "alias by the admin", r.obj(), ivPending(t, r.obj(), o.iri, o.name, "days@example.com", "viewer", pmUser(t, e, "bob@example.com").ID.String(), 2, true))
		}

		carol := e.key("carol@example.com", "live", "write")
		theirs := e.createOrg(carol, `{"name":"Carol's"}`)
		before := pmSnapshot(t, e)
		pmViolations(t, "alias duplicate", pmPost(e, o.iri+"/members/invite", o.ada, `{"email":"alias@example.com"}`),
			"email", ivNotUnique, problems.CodeNotUnique)
		pmViolations(t, "alias member", pmPost(e, o.iri+"/members/invite", o.ada, `{"email":"bob@example.com"}`),
			"email", ivAlreadyMember, problems.CodeAlreadyMember)
		pmViolations(t, "alias expires_in_days 31", pmPost(e, o.iri+"/members/invite", o.ada, `{"email":"x@example.com","expires_in_days":31}`),
			"expires_in_days", ivNotInRange, problems.CodeNotInRange)
		pmProblem(t, "alias unknown organization", pmPost(e, "/api/organizations/"+uuid.Must(uuid.NewV7()).String()+"/members/invite", o.ada, `{"email":"x@example.com"}`), http.StatusNotFound)
		pmProblem(t, "alias malformed organization", pmPost(e, "/api/organizations/acme/members/invite", o.ada, `{"email":"x@example.com"}`), http.StatusNotFound)
		pmProblem(t, "alias another tenant's organization", pmPost(e, pmS(theirs["@id"])+"/members/invite", o.ada, `{"email":"x@example.com"}`), http.StatusNotFound)
		pmProblem(t, "alias GET", pmGet(e, o.iri+"/members/invite", o.ada), http.StatusMethodNotAllowed)
		pmUnchanged(t, e, "refused alias invitations", before)
	})
}

// ivSearch is the search template of the Invitation collection.
var ivSearch = map[string]any{
	"@type":                  "IriTemplate",
	"template":               "/api/invitations{?organization,status,order.id,order.created_at}",
	"variableRepresentation": "BasicRepresentation",
	"mapping": []any{
		map[string]any{"@type": "IriTemplateMapping", "variable": "organization", "property": "organization", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "status", "property": "status", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.id", "property": "Invitation/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.created_at", "property": "Invitation/order/created_at", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[id]", "property": "Invitation/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[created_at]", "property": "Invitation/order/created_at", "required": false},
	},
}

func TestInvitationsList(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		docs := map[string]map[string]any{}
		for _, n := range []string{"pending", "accepted", "revoked", "expired"} {
			docs[n] = o.invite(t, e, n+"@example.com", "", "")
		}
		accepter := e.key("accepted@example.com", "live", "write")
		pmOK(t, "accept", pmPost(e, pmS(docs["accepted"]["@id"])+"/accept", accepter, ""), http.StatusCreated)
		pmOK(t, "revoke", pmPost(e, pmS(docs["revoked"]["@id"])+"/revoke", o.ada, ""), http.StatusOK)
		ivSetExpiry(t, e, pmS(docs["expired"]["@id"]), time.Now().Add(-time.Hour))
		// Noise: another organization's invitation.
		other := ivNewOrg(t, e, "Other")
		other.invite(t, e, "pending@example.com", "", "")

		// The members of the collection are the item documents.
		items := map[string]any{}
		for n, d := range docs {
			g := pmGet(e, pmS(d["@id"]), o.ada)
			if g.Status != http.StatusOK || g.obj()["status"] != n {
				t.Errorf("GET %s invitation: %d %s", n, g.Status, g.Body)
			}
			items[n] = pmWithout(t, g.obj(), "@context")
		}
		for _, st := range []string{"pending", "accepted", "revoked", "expired"} {
			path := "/api/invitations?organization=" + o.iri + "&status=" + st
			r := pmGet(e, path, o.ada)
			if pmOK(t, path, r, http.StatusOK) {
				pmEqual(t, "status="+st, r.obj(), map[string]any{
					"@context":   "/api/contexts/Invitation",
					"@id":        "/api/invitations",
					"@type":      "Collection",
					"totalItems": 1,
					"member":     []any{items[st]},
					"view":       map[string]any{"@id": r.Requested, "@type": "PartialCollectionView"},
					"search":     ivSearch,
				})
			}
		}
		r := pmGet(e, "/api/invitations?organization="+o.id, o.bob)
		if pmOK(t, "all of the organization", r, http.StatusOK) {
			pmEqual(t, "all of the organization", r.obj()["member"],
				[]any{items["pending"], items["accepted"], items["revoked"], items["expired"]})
		}
		r = pmGet(e, "/api/invitations?organization="+o.id+"&order[created_at]=desc&order[id]=desc&itemsPerPage=2&page=1", o.ada)
		if pmOK(t, "ordered page", r, http.StatusOK) {
			pmEqual(t, "ordered page", r.obj()["member"], []any{items["expired"], items["revoked"]})
			if r.obj()["totalItems"] != float64(4) {
				t.Errorf("ordered page: totalItems %v, want 4", r.obj()["totalItems"])
			}
		}
		for _, q := range []string{"status=open", "status=PENDING", "organization=acme"} {
			pmProblem(t, q, pmGet(e, "/api/invitations?"+q, o.ada), http.StatusBadRequest)
		}
	})
}

func TestInvitationsAccept(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		inv := o.invite(t, e, "New@Example.com", "developer", "")
		iri := pmS(inv["@id"])

		// The invitee signs up after the invitation was sent, and sees it.
		newKey := e.key("new@example.com", "live", "write")
		newUser := pmUser(t, e, "new@example.com")
		l := pmGet(e, "/api/invitations", newKey)
		if pmOK(t, "invitee's list", l, http.StatusOK) {
			pmEqual(t, "invitee's list", pmWithout(t, l.obj(), "search"), map[string]any{
				"@context": "/api/contexts/Invitation", "@id": "/api/invitations", "@type": "Collection",
				"totalItems": 1, "member": []any{pmWithout(t, inv, "@context")},
			})
		}
		pmEqual(t, "invitee's GET", pmGet(e, iri, newKey).obj(), inv)
		pmProblem(t, "invitee GET organization before accepting", pmGet(e, o.iri, newKey), http.StatusNotFound)
		if l := pmGet(e, "/api/members?organization="+o.id, newKey); l.obj()["totalItems"] != float64(0) {
			t.Errorf("the invitee lists the members before accepting: %s", l.Body)
		}

		// Others may not accept it.
		eve := e.key("eve@example.com", "live", "write")
		newTest := e.key("new@example.com", "test", "write")
		newRead := e.key("new@example.com", "live", "read")
		before := pmSnapshot(t, e)
		pmProblem(t, "a member who is not the invitee", pmPost(e, iri+"/accept", o.bob, ""), http.StatusForbidden)
		pmProblem(t, "the inviter", pmPost(e, iri+"/accept", o.ada, ""), http.StatusForbidden)
		pmProblem(t, "neither member nor invitee", pmPost(e, iri+"/accept", eve, ""), http.StatusNotFound)
		pmProblem(t, "the invitee's test-mode key", pmPost(e, iri+"/accept", newTest, ""), http.StatusNotFound)
		pmProblem(t, "the invitee's read-only key", pmPost(e, iri+"/accept", newRead, ""), http.StatusForbidden)
		// The invitee is no member: revoke and resend are not theirs.
		pmProblem(t, "invitee revokes", pmPost(e, iri+"/revoke", newKey, ""), http.StatusNotFound)
		pmProblem(t, "invitee resends", pmPost(e, iri+"/resend", newKey, ""), http.StatusNotFound)
		pmProblem(t, "GET accept", pmGet(e, iri+"/accept", newKey), http.StatusMethodNotAllowed)
		pmUnchanged(t, e, "refused accepts", before)

		// The invitee accepts: a Member, once.
		r := pmPost(e, iri+"/accept", newKey, "")
		if !pmOK(t, "accept", r, http.StatusCreated) {
			t.FailNow()
		}
		m := r.obj()
		mid := pmID(t, "member id", m["id"])
		joined := pmTime(t, "joined_at", m["joined_at"])
		pmEqual(t, "accept", m, map[string]any{
			"@context":     "/api/contexts/Member",
			"@id":          "/api/members/" + mid,
			"@type":        "Member",
			"id":           mid,
			"organization": o.iri,
			"user":         "/api/users/" + newUser.ID.String(),
			"email":        "new@example.com",
			"name":         "new",
			"role":         "developer",
			"status":       "active",
			"joined_at":    pmFormat(joined),
		})
		pmEqual(t, "the new member", pmGet(e, "/api/members/"+mid, o.ada).obj(), m)

		accepted := pmWithout(t, inv, "expires_at")
		accepted["status"] = "accepted"
		// The link to the membership is "membership" (commit 7ab24bb: a
		// property named "member" would expand to hydra:member).
		accepted["membership"] = "/api/members/" + mid
		accepted["accepted_at"] = pmFormat(joined)
		accepted["updated_at"] = pmFormat(joined)
		for who, k := range map[string]string{"ada": o.ada, "invitee": newKey} {
			g := pmGet(e, iri, k)
			if pmOK(t, who+" GET accepted", g, http.StatusOK) {
				pmEqual(t, who+" GET accepted", g.obj(), accepted)
			}
		}
		g := pmGet(e, o.iri, newKey)
		if pmOK(t, "member GET organization", g, http.StatusOK) && g.obj()["current_user_role"] != "developer" {
			t.Errorf("current_user_role %v, want developer", g.obj()["current_user_role"])
		}

		before = pmSnapshot(t, e)
		pmViolations(t, "second accept", pmPost(e, iri+"/accept", newKey, ""),
			"status", ivNotPending("accepted", "accepted"), problems.CodeNotPending)
		pmViolations(t, "revoke accepted", pmPost(e, iri+"/revoke", o.ada, ""),
			"status", ivNotPending("accepted", "revoked"), problems.CodeNotPending)
		pmViolations(t, "resend accepted", pmPost(e, iri+"/resend", o.ada, ""),
			"status", ivNotPending("accepted", "resent"), problems.CodeNotPending)
		pmViolations(t, "invite the new member", pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"new@example.com"}`, o.iri)),
			"email", ivAlreadyMember, problems.CodeAlreadyMember)
		pmUnchanged(t, e, "after accepting", before)
	})
}

func TestInvitationsRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		inv := o.invite(t, e, "new@example.com", "admin", `,"expires_in_days":5`)
		iri := pmS(inv["@id"])
		newKey := e.key("new@example.com", "live", "write")

		r := pmPost(e, iri+"/revoke", o.bob, "")
		if !pmOK(t, "revoke", r, http.StatusOK) {
			t.FailNow()
		}
		at := pmTime(t, "revoked_at", r.obj()["revoked_at"])
		revoked := pmWithout(t, inv, "expires_at")
		revoked["status"] = "revoked"
		revoked["revoked_at"] = pmFormat(at)
		revoked["updated_at"] = pmFormat(at)
		pmEqual(t, "revoke", r.obj(), revoked)
		pmEqual(t, "GET revoked", pmGet(e, iri, o.ada).obj(), revoked)
		pmEqual(t, "the invitee GETs the revoked one", pmGet(e, iri, newKey).obj(), revoked)

		before := pmSnapshot(t, e)
		pmViolations(t, "accept after revoke", pmPost(e, iri+"/accept", newKey, ""),
			"status", ivNotPending("revoked", "accepted"), problems.CodeNotPending)
		pmViolations(t, "revoke again", pmPost(e, iri+"/revoke", o.ada, ""),
			"status", ivNotPending("revoked", "revoked"), problems.CodeNotPending)
		pmViolations(t, "resend revoked", pmPost(e, iri+"/resend", o.ada, ""),
			"status", ivNotPending("revoked", "resent"), problems.CodeNotPending)
		pmUnchanged(t, e, "after revoking", before)
		pmProblem(t, "the invitee is not a member", pmGet(e, o.iri, newKey), http.StatusNotFound)

		// A revoked invitation does not block a new one.
		again := o.invite(t, e, "new@example.com", "viewer", "")
		if again["status"] != "pending" || again["@id"] == iri {
			t.Errorf("new invitation after a revoke: %v", again)
		}
	})
}

func TestInvitationsExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		inv := o.invite(t, e, "new@example.com", "developer", `,"expires_in_days":1`)
		pmEqual(t, "one day", inv, ivPending(t, inv, o.iri, o.name, "new@example.com", "developer", o.adaID, 1, true))
		iri := pmS(inv["@id"])
		newKey := e.key("new@example.com", "live", "write")

		past := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
		ivSetExpiry(t, e, iri, past)
		g := pmGet(e, iri, o.ada)
		if !pmOK(t, "GET expired", g, http.StatusOK) {
			t.FailNow()
		}
		expired := pmWithout(t, inv)
		expired["status"] = "expired"
		expired["expires_at"] = pmFormat(past)
		expired["updated_at"] = g.obj()["updated_at"] // moved by the direct update
		pmEqual(t, "GET expired", g.obj(), expired)
		pmEqual(t, "the invitee GETs the expired one", pmGet(e, iri, newKey).obj(), expired)
		count := func(status string) any {
			return pmGet(e, "/api/invitations?organization="+o.id+"&status="+status, o.ada).obj()["totalItems"]
		}
		if p, x := count("pending"), count("expired"); p != float64(0) || x != float64(1) {
			t.Errorf("status=pending lists %v, status=expired %v; want 0 and 1", p, x)
		}

		before := pmSnapshot(t, e)
		pmViolations(t, "accept expired", pmPost(e, iri+"/accept", newKey, ""),
			"status", ivNotPending("expired", "accepted"), problems.CodeNotPending)
		pmViolations(t, "revoke expired", pmPost(e, iri+"/revoke", o.ada, ""),
			"status", ivNotPending("expired", "revoked"), problems.CodeNotPending)
		pmUnchanged(t, e, "expired", before)

		// Resend: pending again, for the same validity (1 day) from now.
		r := pmPost(e, iri+"/resend", o.bob, "")
		if !pmOK(t, "resend", r, http.StatusOK) {
			t.FailNow()
		}
		updated := pmTime(t, "updated_at", r.obj()["updated_at"])
		if d := time.Since(updated); d < -time.Second || d > time.Minute {
			t.Errorf("resend: updated_at %v is not now", updated)
		}
		resent := pmWithout(t, inv)
		resent["expires_at"] = pmFormat(updated.AddDate(0, 0, 1))
		resent["updated_at"] = pmFormat(updated)
		pmEqual(t, "resend", r.obj(), resent)
		pmEqual(t, "GET resent", pmGet(e, iri, o.ada).obj(), resent)
		if p, x := count("pending"), count("expired"); p != float64(1) || x != float64(0) {
			t.Errorf("after resend: status=pending lists %v, status=expired %v; want 1 and 0", p, x)
		}
		// A pending invitation may be resent too (a new expiry from now).
		ivSetExpiry(t, e, iri, time.Now().Add(time.Hour))
		r = pmPost(e, iri+"/resend", o.ada, "")
		if pmOK(t, "resend pending", r, http.StatusOK) {
			u := pmTime(t, "updated_at", r.obj()["updated_at"])
			if r.obj()["status"] != "pending" || r.obj()["expires_at"] != pmFormat(u.AddDate(0, 0, 1)) {
				t.Errorf("resend pending: %s", r.Body)
			}
		}

		// An expired invitation does not block a new one; resending the
		// expired one would then make two pending ones: 422.
		ivSetExpiry(t, e, iri, past)
		second := o.invite(t, e, "new@example.com", "viewer", "")
		before = pmSnapshot(t, e)
		pmViolations(t, "resend while another is pending", pmPost(e, iri+"/resend", o.ada, ""),
			"email", ivNotUnique, problems.CodeNotUnique)
		pmUnchanged(t, e, "resend while another is pending", before)

		// The new one is accepted; the expired one then cannot be resent to a member.
		pmOK(t, "accept the second", pmPost(e, pmS(second["@id"])+"/accept", newKey, ""), http.StatusCreated)
		pmViolations(t, "resend to a member", pmPost(e, iri+"/resend", o.ada, ""),
			"email", ivAlreadyMember, problems.CodeAlreadyMember)
	})
}

func TestInvitationsWithNewOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		adaID := pmUser(t, e, "ada@example.com").ID.String()

		r := pmPost(e, "/api/organizations", ada, `{"name":"Beta","invitations":[{"email":"Ann@Example.com","role":"admin"},{"email":"ben@example.com"},{"email":"olga@example.com","role":"owner"}]}`)
		if !pmOK(t, "create with invitations", r, http.StatusCreated) {
			t.FailNow()
		}
		org := r.obj()
		if _, ok := org["invitations"]; ok {
			t.Errorf("the organization document shows the write-only invitations: %s", r.Body)
		}
		if org["member_count"] != float64(1) {
			t.Errorf("member_count %v, want 1", org["member_count"])
		}
		l := pmGet(e, "/api/invitations?organization="+pmS(org["id"]), ada)
		if pmOK(t, "list", l, http.StatusOK) {
			got := pmList(l.obj()["member"])
			want := []struct{ email, role string }{{"ann@example.com", "admin"}, {"ben@example.com", "viewer"}, {"olga@example.com", "owner"}}
			if len(got) != len(want) {
				t.Fatalf("%d invitations, want %d: %s", len(got), len(want), l.Body)
			}
			for i, w := range want {
				d := pmObj(got[i])
				pmEqual(t, w.email, d, ivPending(t, d, pmS(org["@id"]), pmS(org["name"]), w.email, w.role, adaID, 7, false))
			}
		}
		// The invitee can accept such an invitation.
		ann := e.key("ann@example.com", "live", "write")
		annInv := pmS(pmObj(pmList(l.obj()["member"])[0])["@id"])
		if a := pmPost(e, annInv+"/accept", ann, ""); pmOK(t, "ann accepts", a, http.StatusCreated) && a.obj()["role"] != "admin" {
			t.Errorf("ann's role %v, want admin", a.obj()["role"])
		}

		// A bad entry: 422 and nothing is created, the organization included.
		bad := []struct {
			name, invitations string
			violation         []string
		}{
			{"bad email", `[{"email":"ok@example.com"},{"email":"not-an-email"}]`,
				[]string{"invitations[1].email", "This value is not a valid email address.", problems.CodeInvalidMail}},
			{"no email", `[{"role":"admin"}]`,
				[]string{"invitations[0].email", "This value should not be blank.", problems.CodeNotBlank}},
			{"bad role", `[{"email":"ok@example.com","role":"king"}]`,
				[]string{"invitations[0].role", "The value you selected is not a valid choice. Allowed values: \"owner\", \"admin\", \"developer\", \"viewer\".", problems.CodeNoSuchChoice}},
			{"duplicate", `[{"email":"dup@example.com"},{"email":"ok@example.com"},{"email":"DUP@example.com","role":"admin"}]`,
				[]string{"invitations[2].email", "This email address is invited twice.", problems.CodeNotUnique}},
			{"the creator", `[{"email":"ok@example.com"},{"email":"Ada@Example.com"}]`,
				[]string{"invitations[1].email", "You are the organization's owner: you cannot invite yourself.", problems.CodeAlreadyMember}},
			{"too many", ivMany(101),
				[]string{"invitations", "This collection should contain 100 elements or less.", problems.CodeTooMany}},
		}
		for _, b := range bad {
			before := pmSnapshot(t, e)
			r := pmPost(e, "/api/organizations", ada, `{"name":"Gamma","invitations":`+b.invitations+`}`)
			pmViolations(t, b.name, r, b.violation...)
			pmUnchanged(t, e, b.name, before)
		}
		// An organization-level violation and an entry's, together.
		before := pmSnapshot(t, e)
		pmViolations(t, "blank name and bad entry", pmPost(e, "/api/organizations", ada, `{"name":" ","invitations":[{"email":"x"}]}`),
			"name", "This value should not be blank.", problems.CodeNotBlank,
			"invitations[0].email", "This value is not a valid email address.", problems.CodeInvalidMail)
		pmUnchanged(t, e, "blank name and bad entry", before)

		// Exactly 100: all created.
		n := ivCount(t, e)
		r = pmPost(e, "/api/organizations", ada, `{"name":"Hundred","invitations":`+ivMany(100)+`}`)
		if pmOK(t, "100 invitations", r, http.StatusCreated) {
			if got := ivCount(t, e) - n; got != 100 {
				t.Errorf("%d invitations created, want 100", got)
			}
		}
	})
}

// ivMany is a JSON list of n distinct invitations.
func ivMany(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"email":"guest%03d@example.com"}`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestInvitationsOtherTenants(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		inv := o.invite(t, e, "someone@example.com", "viewer", "")
		iri := pmS(inv["@id"])
		carol := e.key("carol@example.com", "live", "write")
		theirs := e.createOrg(carol, `{"name":"Carol's"}`)
		adaTest := e.key("ada@example.com", "test", "write")
		someoneTest := e.key("someone@example.com", "test", "write")
		someone := e.key("someone@example.com", "live", "write")

		before := pmSnapshot(t, e)
		for who, k := range map[string]string{"carol": carol, "ada's test key": adaTest, "the invitee's test key": someoneTest} {
			pmProblem(t, who+" GET", pmGet(e, iri, k), http.StatusNotFound)
			for _, action := range []string{"accept", "revoke", "resend"} {
				pmProblem(t, who+" "+action, pmPost(e, iri+"/"+action, k, ""), http.StatusNotFound)
			}
			l := pmGet(e, "/api/invitations", k)
			if pmOK(t, who+" list", l, http.StatusOK) && l.obj()["totalItems"] != float64(0) {
				t.Errorf("%s lists %v invitations: %s", who, l.obj()["totalItems"], l.Body)
			}
		}
		// Carol cannot invite into ada's organization, nor ada into carol's.
		r := pmPost(e, "/api/invitations", carol, fmt.Sprintf(`{"organization":%q,"email":"x@example.com"}`, o.iri))
		pmProblem(t, "carol invites into Acme", r, http.StatusBadRequest)
		if d := r.obj()["detail"]; d != fmt.Sprintf("Item not found for %q.", o.iri) {
			t.Errorf("detail %q", d)
		}
		pmProblem(t, "ada invites into carol's", pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"x@example.com"}`, theirs["@id"])), http.StatusBadRequest)
		pmProblem(t, "ada's test key invites into Acme (alias)", pmPost(e, o.iri+"/members/invite", adaTest, `{"email":"x@example.com"}`), http.StatusNotFound)
		if l := pmGet(e, "/api/invitations?organization="+o.id, carol); l.obj()["totalItems"] != float64(0) {
			t.Errorf("carol filters by Acme and sees: %s", l.Body)
		}
		pmUnchanged(t, e, "other tenants", before)

		// The invitee (live) sees only their invitation, not the others of
		// the organization.
		o.invite(t, e, "other@example.com", "viewer", "")
		l := pmGet(e, "/api/invitations?organization="+o.id, someone)
		if pmOK(t, "invitee's list", l, http.StatusOK) {
			pmEqual(t, "invitee's list", l.obj()["member"], []any{pmWithout(t, inv, "@context")})
		}
	})
}

func TestInvitationsSuspendedOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")
		inv := o.invite(t, e, "new@example.com", "viewer", "")
		iri := pmS(inv["@id"])
		newKey := e.key("new@example.com", "live", "write")
		pmOK(t, "suspend", pmPatch(e, o.iri, o.ada, `{"status":{"current_status":"SUSPENDED"}}`), http.StatusOK)

		before := pmSnapshot(t, e)
		pmProblem(t, "create", pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"x@example.com"}`, o.iri)), http.StatusForbidden)
		pmProblem(t, "create (alias)", pmPost(e, o.iri+"/members/invite", o.ada, `{"email":"x@example.com"}`), http.StatusForbidden)
		pmProblem(t, "resend", pmPost(e, iri+"/resend", o.ada, ""), http.StatusForbidden)
		pmProblem(t, "revoke", pmPost(e, iri+"/revoke", o.ada, ""), http.StatusForbidden)
		pmProblem(t, "accept", pmPost(e, iri+"/accept", newKey, ""), http.StatusForbidden)
		pmUnchanged(t, e, "suspended", before)
		// Still readable.
		pmEqual(t, "GET while suspended", pmGet(e, iri, o.ada).obj(), inv)
		pmEqual(t, "the invitee's GET while suspended", pmGet(e, iri, newKey).obj(), inv)
		if l := pmGet(e, "/api/invitations?organization="+o.id, o.bob); l.Status != http.StatusOK || l.obj()["totalItems"] != float64(1) {
			t.Errorf("list while suspended: %d %s", l.Status, l.Body)
		}

		pmOK(t, "reactivate", pmPatch(e, o.iri, o.ada, `{"status":{"current_status":"ACTIVE"}}`), http.StatusOK)
		pmOK(t, "accept after reactivation", pmPost(e, iri+"/accept", newKey, ""), http.StatusCreated)
		if st, err := e.db.Invitation.Query().Where(invitation.ID(pmIDOf(iri))).Only(context.Background()); err != nil || st.Status != invitation.StatusAccepted {
			t.Errorf("stored invitation after accept: %v %v", st, err)
		}
	})
}

func TestInvitationsConcurrent(t *testing.T) {
	const rounds = 5
	eachBackend(t, func(t *testing.T, e *env) {
		o := ivNewOrg(t, e, "Acme")

		// Two inviters send the same invitation at the same moment: one
		// pending invitation, one 422.
		for round := 0; round < rounds; round++ {
			body := fmt.Sprintf(`{"organization":%q,"email":"twice%d@example.com"}`, o.iri, round)
			res := mbRace(e,
				func() mbResult { return mbSend(e, http.MethodPost, "/api/invitations", o.ada, body) },
				func() mbResult { return mbSend(e, http.MethodPost, "/api/invitations", o.bob, body) })
			mbCheckPair(t, e, round, o.id, res, http.StatusCreated, http.StatusUnprocessableEntity)
			n, err := e.db.Invitation.Query().Where(invitation.Email(fmt.Sprintf("twice%d@example.com", round))).Count(context.Background())
			if err != nil || n != 1 {
				t.Errorf("round %d: %d invitations stored (%v), want 1", round, n, err)
			}
		}

		// The invitee accepts twice at the same moment (a double click):
		// one membership, one 422.
		for round := 0; round < rounds; round++ {
			email := fmt.Sprintf("click%d@example.com", round)
			inv := o.invite(t, e, email, "developer", "")
			key := e.key(email, "live", "write")
			accept := func() mbResult { return mbSend(e, http.MethodPost, pmS(inv["@id"])+"/accept", key, "") }
			res := mbRace(e, accept, accept)
			mbCheckPair(t, e, round, o.id, res, http.StatusCreated, http.StatusUnprocessableEntity)
			if l := pmGet(e, "/api/members?organization="+o.id+"&email="+email, o.ada); l.obj()["totalItems"] != float64(1) {
				t.Errorf("round %d: %s is a member %v times", round, email, l.obj()["totalItems"])
			}
		}
	})
}
