package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/orgraph/orgraph/problems"
)

// One email rule (package mailaddr) on every path an email comes in by:
// keys, invitations (alone or with a new organization), accepting, and the
// members' email filter. A look-alike spelt with the Kelvin sign (U+212A,
// which Unicode lower-cases to k) is no address, never kate's.
func TestEmailsFollowOneRule(t *testing.T) {
	const kelvin = "\u212Aate@example.com"
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		kate := e.key("Kate@Example.com", "live", "write") // stored as kate@example.com
		org := e.createOrg(ada, `{"name":"Acme"}`)
		orgID, orgIRI := pmS(org["id"]), pmS(org["@id"])

		before := pmSnapshot(t, e)
		pmViolations(t, "invite the look-alike", pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization":%q,"email":%q}`, orgIRI, kelvin)),
			"email", "This value is not a valid email address.", problems.CodeInvalidMail)
		pmViolations(t, "a new organization invites the look-alike", pmPost(e, "/api/organizations", ada, fmt.Sprintf(`{"name":"Bis","invitations":[{"email":%q}]}`, kelvin)),
			"invitations[0].email", "This value is not a valid email address.", problems.CodeInvalidMail)
		pmUnchanged(t, e, "refused invitations", before)

		// Kate's key was made for Kate@Example.com: an invitation to
		// kate@example.com is hers to see and accept.
		r := pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization":%q,"email":"kate@example.com","role":"developer"}`, orgIRI))
		if !pmOK(t, "invite kate", r, http.StatusCreated) {
			t.FailNow()
		}
		inv := pmS(r.obj()["@id"])
		if l := pmGet(e, "/api/invitations?status=pending", kate).obj(); l["totalItems"] != float64(1) {
			t.Errorf("kate's pending invitations: %v, want hers", l)
		}
		r = pmPost(e, inv+"/accept", kate, "")
		if pmOK(t, "kate accepts", r, http.StatusCreated) && (r.obj()["email"] != "kate@example.com" || r.obj()["role"] != "developer") {
			t.Errorf("kate accepts: %s", r.Body)
		}

		// The members' filter: any spelling of kate's address finds her;
		// the look-alike is no address (it used to find her).
		list := pmGet(e, "/api/members?organization="+orgID+"&email="+url.QueryEscape(" KATE@example.Com "), ada)
		if members := pmList(list.obj()["member"]); len(members) != 1 || pmObj(members[0])["email"] != "kate@example.com" {
			t.Errorf("email=KATE@example.Com: %s", list.Body)
		}
		r = pmGet(e, "/api/members?organization="+orgID+"&email="+url.QueryEscape(kelvin), ada)
		pmProblem(t, "email=the look-alike", r, http.StatusBadRequest)
		if d := r.obj()["detail"]; d != `The "email" parameter must be a valid email address, "\u212aate@example.com" given.` {
			t.Errorf("email=the look-alike: detail %v", d)
		}
	})
}
