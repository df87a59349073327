package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/problems"
)

// An invitation is only as good as its inviter's current permission to send
// it: a member who is removed, leaves or loses that permission takes back
// the pending invitations they could no longer send, in the same
// transaction, and accepting checks the inviter again. Helpers carry the
// "ip" prefix; "iv" and "pm" ones come from invitations_test.go and
// permissions_test.go.

// ipOrg is an organization of ada's (owner) with carol (owner), bob (admin)
// and dave (admin), each with a key and a membership IRI.
type ipOrg struct {
	id, iri string
	keys    map[string]string
	members map[string]string
}

func ipNewOrg(t *testing.T, e *env) *ipOrg {
	t.Helper()
	o := &ipOrg{keys: map[string]string{}, members: map[string]string{}}
	for _, name := range []string{"ada", "carol", "bob", "dave"} {
		o.keys[name] = e.key(name+"@example.com", "live", "write")
	}
	doc := e.createOrg(o.keys["ada"], `{"name":"Acme"}`)
	o.id, o.iri = pmS(doc["id"]), pmS(doc["@id"])
	for name, role := range map[string]string{"carol": "owner", "bob": "admin", "dave": "admin"} {
		o.members[name] = pmAddMember(t, e, o.id, pmUser(t, e, name+"@example.com").ID, role)
	}
	return o
}

// invite sends an invitation as a member and returns its IRI.
func (o *ipOrg) invite(t *testing.T, e *env, from, email, role string) string {
	t.Helper()
	r := pmPost(e, "/api/invitations", o.keys[from], fmt.Sprintf(`{"organization":%q,"email":%q,"role":%q}`, o.iri, email, role))
	if r.Status != http.StatusCreated {
		t.Fatalf("%s invites %s as %s: %d %s", from, email, role, r.Status, r.Body)
	}
	return pmS(r.obj()["@id"])
}

// statuses lists the organization's invitations through GET
// /api/invitations and checks each against want (IRI → status). A revoked
// one must carry revoked_at, and one revoked by the change under test
// (revokedAfter not zero) must have been revoked by it: revoked_at and
// updated_at after revokedAfter, and equal.
func (o *ipOrg) statuses(t *testing.T, e *env, want map[string]string, revokedAfter time.Time) {
	t.Helper()
	r := pmGet(e, "/api/invitations?organization="+o.id, o.keys["ada"])
	if !pmOK(t, "list invitations", r, http.StatusOK) {
		return
	}
	got := map[string]map[string]any{}
	for _, m := range pmList(r.obj()["member"]) {
		got[pmS(pmObj(m)["@id"])] = pmObj(m)
	}
	for iri, status := range want {
		doc := got[iri]
		if doc == nil {
			t.Errorf("%s is not listed", iri)
			continue
		}
		if doc["status"] != status {
			t.Errorf("%s: status %v, want %s", iri, doc["status"], status)
		}
		_, hasRevokedAt := doc["revoked_at"]
		if hasRevokedAt != (status == "revoked") {
			t.Errorf("%s (%s): revoked_at %v", iri, status, doc["revoked_at"])
		}
		if status == "revoked" && !revokedAfter.IsZero() {
			at := pmTime(t, "revoked_at", doc["revoked_at"])
			if at.Before(revokedAfter.Truncate(time.Second)) || doc["updated_at"] != doc["revoked_at"] {
				t.Errorf("%s: revoked_at %v, updated_at %v; want both the change's time (after %v)", iri, doc["revoked_at"], doc["updated_at"], revokedAfter)
			}
		}
	}
}

// ipAccept accepts an invitation as the user its email names.
func ipAccept(e *env, iri, email string) *response {
	e.t.Helper()
	return pmPost(e, iri+"/accept", e.key(email, "live", "write"), "")
}

// A member who is removed or leaves takes back every pending invitation
// they sent (expired ones too, so that none can be resent); invitations of
// others, and the remover's own, stay; accepted ones stay accepted.
func TestInvitationsOfAMemberWhoGoesAreRevoked(t *testing.T) {
	for _, c := range []struct{ name, by string }{{"removed", "ada"}, {"leaves", "bob"}} {
		t.Run(c.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e *env) {
				o := ipNewOrg(t, e)
				admin := o.invite(t, e, "bob", "e1@example.com", "admin")
				viewer := o.invite(t, e, "bob", "e2@example.com", "viewer")
				expired := o.invite(t, e, "bob", "e3@example.com", "developer")
				ivSetExpiry(t, e, expired, time.Now().Add(-time.Hour))
				accepted := o.invite(t, e, "bob", "e4@example.com", "admin")
				pmOK(t, "accept before", ipAccept(e, accepted, "e4@example.com"), http.StatusCreated)
				others := o.invite(t, e, "dave", "e5@example.com", "admin")
				elsewhere := e.createOrg(o.keys["bob"], `{"name":"Bob's","invitations":[{"email":"e6@example.com","role":"admin"}]}`)

				start := time.Now()
				pmOK(t, "delete bob's membership", pmDelete(e, o.members["bob"], o.keys[c.by]), http.StatusNoContent)
				o.statuses(t, e, map[string]string{admin: "revoked", viewer: "revoked", expired: "revoked", accepted: "accepted", others: "pending"}, start)

				e1 := e.key("e1@example.com", "live", "write")
				before := pmSnapshot(t, e)
				pmViolations(t, "accept a revoked one", pmPost(e, admin+"/accept", e1, ""),
					"status", ivNotPending("revoked", "accepted"), problems.CodeNotPending)
				pmViolations(t, "resend the expired one", pmPost(e, expired+"/resend", o.keys["ada"], ""),
					"status", "This invitation is revoked: it cannot be resent.", problems.CodeNotPending)
				pmUnchanged(t, e, "refused", before)
				pmOK(t, "accept another's", ipAccept(e, others, "e5@example.com"), http.StatusCreated)
				// Bob's invitations in his own organization are his to keep.
				if n := pmGet(e, "/api/invitations?status=pending&organization="+pmS(elsewhere["id"]), o.keys["bob"]).obj()["totalItems"]; n != float64(1) {
					t.Errorf("bob's invitations in his other organization: %v pending, want 1", n)
				}
			})
		})
	}
}

// A member whose new role cannot send some of their invitations takes
// those back, and only those: an admin made viewer or developer loses all,
// an owner made admin loses the owner invitations and keeps the others, a
// promotion or a change of someone else's role takes back nothing.
func TestInvitationsBeyondANewRoleAreRevoked(t *testing.T) {
	for _, c := range []struct {
		name, who, role string
		revoked         []string // roles of who's invitations revoked by the change
	}{
		{"admin made viewer", "bob", "viewer", []string{"admin", "developer", "viewer"}},
		{"admin made developer", "bob", "developer", []string{"admin", "developer", "viewer"}},
		{"owner made admin", "carol", "admin", []string{"owner"}},
		{"admin made owner", "bob", "owner", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e *env) {
				o := ipNewOrg(t, e)
				mine := map[string]string{} // invitation role → IRI
				roles := []string{"admin", "developer", "viewer"}
				if c.who == "carol" {
					roles = append(roles, "owner")
				}
				for _, r := range roles {
					mine[r] = o.invite(t, e, c.who, r+"@invited.test", r)
				}
				others := o.invite(t, e, "dave", "other@invited.test", "admin")

				start := time.Now()
				r := pmPatch(e, o.members[c.who], o.keys["ada"], fmt.Sprintf(`{"role":%q}`, c.role))
				if !pmOK(t, "change the role", r, http.StatusOK) || r.obj()["role"] != c.role {
					t.FailNow()
				}
				want := map[string]string{others: "pending"}
				for _, iri := range mine {
					want[iri] = "pending"
				}
				for _, role := range c.revoked {
					want[mine[role]] = "revoked"
				}
				o.statuses(t, e, want, start)
				for role, iri := range mine {
					res := ipAccept(e, iri, role+"@invited.test")
					if want[iri] == "revoked" {
						pmViolations(t, "accept "+role, res, "status", ivNotPending("revoked", "accepted"), problems.CodeNotPending)
					} else if pmOK(t, "accept "+role, res, http.StatusCreated) && res.obj()["role"] != role {
						t.Errorf("accept %s: member %s", role, res.Body)
					}
				}
			})
		})
	}
}

// An admin who stays admin keeps their invitations through the changes of
// others: another admin removed, an owner demoted, their own role set again.
func TestInvitationsOfAnAdminWhoStaysWork(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := ipNewOrg(t, e)
		inv := o.invite(t, e, "bob", "new@example.com", "admin")
		pmOK(t, "remove dave", pmDelete(e, o.members["dave"], o.keys["ada"]), http.StatusNoContent)
		pmOK(t, "demote carol", pmPatch(e, o.members["carol"], o.keys["ada"], `{"role":"admin"}`), http.StatusOK)
		pmOK(t, "bob stays admin", pmPatch(e, o.members["bob"], o.keys["ada"], `{"role":"admin"}`), http.StatusOK)
		o.statuses(t, e, map[string]string{inv: "pending"}, time.Time{})
		r := ipAccept(e, inv, "new@example.com")
		if pmOK(t, "accept", r, http.StatusCreated) && r.obj()["role"] != "admin" {
			t.Errorf("accepted as %v, want admin", r.obj()["role"])
		}
	})
}

// Accepting checks the inviter on its own: a role written behind the API's
// back (no revocation ran), a membership deleted so, or no recorded
// inviter, and the invitation is refused with a 422 that names the rule,
// and no member is made; resending it is refused too.
func TestAcceptChecksTheInvitersPower(t *testing.T) {
	ctx := context.Background()
	lostPower := func(role string) string {
		return fmt.Sprintf("Whoever sent this invitation may no longer invite %s to the organization: ask the organization for a new invitation.", role)
	}
	for _, c := range []struct {
		name, from, role string
		change           func(t *testing.T, e *env, o *ipOrg, inv string) error
		message          string
	}{
		{"inviter made viewer", "bob", "admin", func(t *testing.T, e *env, o *ipOrg, _ string) error {
			return e.db.Member.UpdateOneID(pmIDOf(o.members["bob"])).SetRole(schema.RoleViewer).Exec(ctx)
		}, lostPower("an admin")},
		{"owner made admin", "carol", "owner", func(t *testing.T, e *env, o *ipOrg, _ string) error {
			return e.db.Member.UpdateOneID(pmIDOf(o.members["carol"])).SetRole(schema.RoleAdmin).Exec(ctx)
		}, lostPower("an owner")},
		{"inviter gone", "bob", "developer", func(t *testing.T, e *env, o *ipOrg, _ string) error {
			return e.db.Member.DeleteOneID(pmIDOf(o.members["bob"])).Exec(ctx)
		}, lostPower("a developer")},
		{"no inviter", "bob", "viewer", func(t *testing.T, e *env, _ *ipOrg, inv string) error {
			return e.db.Invitation.UpdateOneID(pmIDOf(inv)).ClearInviterID().Exec(ctx)
		}, "This invitation records no inviter who could still send it: ask the organization for a new invitation."},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e *env) {
				o := ipNewOrg(t, e)
				inv := o.invite(t, e, c.from, "new@example.com", c.role)
				if err := c.change(t, e, o, inv); err != nil {
					t.Fatal(err)
				}
				o.statuses(t, e, map[string]string{inv: "pending"}, time.Time{}) // no revocation ran
				key := e.key("new@example.com", "live", "write")
				before := pmSnapshot(t, e)
				pmViolations(t, "accept", pmPost(e, inv+"/accept", key, ""), "inviter", c.message, problems.CodeInviterLostPower)
				resend := c.message[:len(c.message)-len("ask the organization for a new invitation.")] + "revoke it and send a new one."
				pmViolations(t, "resend", pmPost(e, inv+"/resend", o.keys["ada"], ""), "inviter", resend, problems.CodeInviterLostPower)
				pmUnchanged(t, e, "refused", before)
				// The way out: revoke it and send a new one.
				pmOK(t, "revoke", pmPost(e, inv+"/revoke", o.keys["ada"], ""), http.StatusOK)
				again := o.invite(t, e, "ada", "new@example.com", c.role)
				pmOK(t, "accept the new one", pmPost(e, again+"/accept", key, ""), http.StatusCreated)
			})
		})
	}
}
