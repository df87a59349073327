package handlers_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orgraph/orgraph/ent/domain"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/oidctest"
	"github.com/orgraph/orgraph/problems"
)

// Verified domains (issue 21, item 4), against a real DNS server on
// loopback: the server is told to ask it (Config.Resolver, what serve's
// --dns-resolver sets).

// dnsZone is the TXT records a test DNS server answers; any other name is
// NXDOMAIN.
type dnsZone struct {
	mu  sync.Mutex
	txt map[string][]string // fully qualified, lower case
}

func (z *dnsZone) set(name string, values ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if len(values) == 0 {
		delete(z.txt, dns.Fqdn(name))
		return
	}
	z.txt[dns.Fqdn(name)] = values
}

// startDNS serves a zone on a loopback UDP port and returns a resolver
// that asks it.
func startDNS(t *testing.T) (*dnsZone, *net.Resolver) {
	t.Helper()
	zone := &dnsZone{txt: map[string][]string{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		zone.mu.Lock()
		values, ok := zone.txt[strings.ToLower(q.Name)]
		zone.mu.Unlock()
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeTXT:
			for _, v := range values {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{v}})
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return zone, &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// newDomainEnv is newEnv with the test DNS server as the resolver; it
// returns the handler too, for the periodic re-check.
func newDomainEnv(t *testing.T, dsn string, resolver *net.Resolver) (*env, *handlers.Server) {
	t.Helper()
	return newEnvWith(t, dsn, func(cfg *handlers.Config) { cfg.Resolver = resolver })
}

func eachDomainBackend(t *testing.T, fn func(t *testing.T, e *env, h *handlers.Server, zone *dnsZone)) {
	t.Run("sqlite", func(t *testing.T) {
		zone, resolver := startDNS(t)
		e, h := newDomainEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"), resolver)
		fn(t, e, h, zone)
	})
	t.Run("postgres", func(t *testing.T) {
		zone, resolver := startDNS(t)
		e, h := newDomainEnv(t, postgresDSN(t), resolver)
		fn(t, e, h, zone)
	})
}

func TestDomains(t *testing.T) {
	eachDomainBackend(t, func(t *testing.T, e *env, h *handlers.Server, zone *dnsZone) {
		ctx := context.Background()
		o := crNew(t, e, "")
		claim := func(key, org, name string) *response {
			return pmPost(e, "/api/domains", key, fmt.Sprintf(`{"organization":%q,"domain":%q}`, org, name))
		}

		// Who claims, and what.
		pmProblem(t, "a viewer claims", claim(o.tim, o.iri, "acme.test"), http.StatusForbidden)
		pmViolations(t, "a public provider's domain", claim(o.ada, o.iri, "GMail.com"), "domain",
			"This is a public email provider's domain: anyone can have an address there, so no organization can claim it.", problems.CodeInvalidDomain)
		for _, bad := range []string{"localhost", "acme..test", "-acme.test", "ac me.test", "acmé.test"} {
			if r := claim(o.ada, o.iri, bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), problems.CodeInvalidDomain) {
				t.Errorf("claim %q: %d %s", bad, r.Status, r.Body)
			}
		}
		r := claim(o.bob, o.iri, "Acme.TEST.")
		if !pmOK(t, "an admin claims", r, http.StatusCreated) {
			t.FailNow()
		}
		d := r.obj()
		iri, token := pmS(d["@id"]), pmS(d["verification_token"])
		if d["domain"] != "acme.test" || d["status"] != "pending" || d["enrollment"] != "none" || d["role"] != "viewer" ||
			d["verification_record"] != "_orgraph-challenge.acme.test" || !strings.HasPrefix(token, "orgraph-verification=") || d["mode"] != "live" {
			t.Errorf("the claim: %s", r.Body)
		}
		pmViolations(t, "a second claim", claim(o.ada, o.iri, "acme.test"), "domain", "This organization has claimed this domain already.", problems.CodeNotUnique)
		if doc := pmGet(e, iri, o.tim).obj(); doc["operation"] != nil || doc["verification_token"] != token {
			t.Errorf("a viewer reads: %v", doc)
		}
		pmProblem(t, "a viewer verifies", pmPost(e, iri+"/verify", o.tim, ""), http.StatusForbidden)

		// Verification: no record, a record without the token, the token.
		r = pmPost(e, iri+"/verify", o.bob, "")
		if !pmOK(t, "verify without a record", r, http.StatusOK) || r.obj()["status"] != "failed" ||
			r.obj()["failure"] != "No TXT record at _orgraph-challenge.acme.test: publish one holding the verification token." {
			t.Errorf("verify without a record: %s", r.Body)
		}
		zone.set("_orgraph-challenge.acme.test", "v=spf1 -all", "orgraph-verification=someone-else")
		if r = pmPost(e, iri+"/verify", o.bob, ""); r.obj()["status"] != "failed" || !strings.Contains(pmS(r.obj()["failure"]), "holds the verification token") {
			t.Errorf("verify with another token: %s", r.Body)
		}
		zone.set("_orgraph-challenge.acme.test", "v=spf1 -all", token)
		r = pmPost(e, iri+"/verify", o.bob, "")
		if r.obj()["status"] != "verified" || r.obj()["verified_at"] == nil || r.obj()["failure"] != nil {
			t.Errorf("verify with the token: %s", r.Body)
		}
		if n := msEvents(t, e, o.iri, "domain.verified"); n != 1 {
			t.Errorf("%d domain.verified events, want 1", n)
		}

		// Verified in one organization per mode.
		zed := e.key("zed@example.com", "live", "write")
		other := e.createOrg(zed, `{"name":"Other"}`)
		r = claim(zed, pmS(other["@id"]), "acme.test")
		if !pmOK(t, "another organization claims", r, http.StatusCreated) {
			t.FailNow()
		}
		zone.set("_orgraph-challenge.acme.test", token, pmS(r.obj()["verification_token"]))
		pmViolations(t, "another organization verifies", pmPost(e, pmS(r.obj()["@id"])+"/verify", zed, ""), "domain",
			"Another organization of this mode has verified this domain.", problems.CodeNotUnique)
		zedTest := e.key("zed@example.com", "test", "write")
		testOrg := e.createOrg(zedTest, `{"name":"Test"}`)
		r = claim(zedTest, pmS(testOrg["@id"]), "acme.test")
		zone.set("_orgraph-challenge.acme.test", token, pmS(r.obj()["verification_token"]))
		if r = pmPost(e, pmS(r.obj()["@id"])+"/verify", zedTest, ""); r.obj()["status"] != "verified" {
			t.Errorf("a test-mode organization verifies: %s", r.Body)
		}
		zone.set("_orgraph-challenge.acme.test", token)

		// Enrollment: a membership, then an invitation, for users as they
		// appear; never an owner.
		pmViolations(t, "enrollment as owner", mdPatch(e, iri, o.ada, `{"role":"owner"}`), "role", "Enrollment gives no ownership: choose another role.", problems.CodeNoSuchChoice)
		if r := mdPatch(e, iri, o.bob, `{"enrollment":"automatic_membership","role":"developer"}`); r.obj()["enrollment"] != "automatic_membership" {
			t.Fatalf("set enrollment: %s", r.Body)
		}
		e.key("carol@acme.test", "live", "write")
		carol := pmUser(t, e, "carol@acme.test")
		if m, err := e.db.Member.Query().Where(member.OrganizationID(pmIDOf(o.iri)), member.UserID(carol.ID)).Only(ctx); err != nil || m.Role != "developer" {
			t.Errorf("carol's enrollment: %v, %v", m, err)
		}
		e.key("carol@acme.test", "test", "write") // the test-mode domain enrolls no one
		mdPatch(e, iri, o.bob, `{"enrollment":"automatic_invitation","role":"viewer"}`)
		e.key("dan@acme.test", "live", "write")
		inv, err := e.db.Invitation.Query().Where(invitation.OrganizationID(pmIDOf(o.iri)), invitation.Email("dan@acme.test")).Only(ctx)
		if err != nil || inv.Status != "pending" || inv.Role != "viewer" || inv.InviterID == nil || *inv.InviterID != pmUser(t, e, "bob@example.com").ID {
			t.Errorf("dan's invitation: %v, %v", inv, err)
		}
		// An operator making a user enrolls them too.
		ops := e.key("ops@platform.test", "live", "operator")
		msStatus(t, "an operator makes a user", pmPost(e, "/api/users", ops, `{"email":"eve@acme.test"}`), http.StatusCreated)
		if n, _ := e.db.Invitation.Query().Where(invitation.Email("eve@acme.test")).Count(ctx); n != 1 {
			t.Errorf("eve's invitations: %d, want 1", n)
		}

		// …and a user made by accepting another organization's invitation.
		r = e.do(req{Method: http.MethodPost, Path: pmS(other["@id"]) + "/members/invite", Key: ops, Body: `{"email": "gus@acme.test"}`})
		gusToken, _ := r.obj()["accept_token"].(string)
		if r.Status != http.StatusCreated || gusToken == "" {
			t.Fatalf("an operator invites gus: %d %s", r.Status, r.Body)
		}
		msStatus(t, "gus accepts", atAccept(e, gusToken, `"name":"Gus"`), http.StatusCreated)
		if n, _ := e.db.Invitation.Query().Where(invitation.Email("gus@acme.test"), invitation.OrganizationID(pmIDOf(o.iri))).Count(ctx); n != 1 {
			t.Errorf("gus's invitations to Acme: %d, want 1", n)
		}

		// …and a user made by an OpenID Connect login.
		issuer := oidctest.New(t)
		hal := issuer.Token(person(issuer, "sub-hal", "hal@acme.test", true))
		msStatus(t, "hal logs in", oidcEnv(t, e, issuer, "live", "write", nil).do(req{Path: "/api/me", Key: hal}), http.StatusOK)
		if n, _ := e.db.Invitation.Query().Where(invitation.Email("hal@acme.test"), invitation.OrganizationID(pmIDOf(o.iri))).Count(ctx); n != 1 {
			t.Errorf("hal's invitations to Acme: %d, want 1", n)
		}

		// The periodic re-check: a record taken down fails the domain, and
		// it enrolls no one after; a record published verifies a pending one.
		zone.set("_orgraph-challenge.acme.test")
		if err := e.db.Domain.Update().SetCheckedAt(time.Now().Add(-48 * time.Hour)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		r = claim(o.ada, o.iri, "beta.test")
		beta := r.obj()
		zone.set("_orgraph-challenge.beta.test", pmS(beta["verification_token"]))
		if _, err := h.RecheckDueDomains(ctx); err != nil {
			t.Fatal(err)
		}
		if got := pmGet(e, iri, o.ada).obj(); got["status"] != "failed" {
			t.Errorf("acme.test after its record went: %v", got["status"])
		}
		if got := pmGet(e, pmS(beta["@id"]), o.ada).obj(); got["status"] != "verified" {
			t.Errorf("beta.test after its record came: %v", got["status"])
		}
		e.key("fay@acme.test", "live", "write")
		if n, _ := e.db.Invitation.Query().Where(invitation.Email("fay@acme.test")).Count(ctx); n != 0 {
			t.Errorf("a failed domain enrolled fay")
		}
		if n, err := e.db.User.Query().Where(user.Email("fay@acme.test")).Count(ctx); err != nil || n != 1 {
			t.Errorf("fay: %d, %v", n, err)
		}

		// domains:manage alone claims, but enrolls no one: enrolling takes
		// what inviting (or adding a member) takes.
		crRole(t, e, o.ada, o.iri, "dns", "domains:manage")
		pmPatch(e, o.members["vic"], o.ada, `{"role":"dns"}`)
		r = claim(o.vic, o.iri, "gamma.test")
		if !pmOK(t, "domains:manage claims", r, http.StatusCreated) {
			t.FailNow()
		}
		pmProblem(t, "domains:manage enrolls by invitation", mdPatch(e, pmS(r.obj()["@id"]), o.vic, `{"enrollment":"automatic_invitation"}`), http.StatusForbidden)
		pmProblem(t, "domains:manage enrolls as members", mdPatch(e, pmS(r.obj()["@id"]), o.vic, `{"enrollment":"automatic_membership"}`), http.StatusForbidden)

		// A custom role a domain enrolls with is in use: deleting it moves
		// the domain to the replacement.
		crRole(t, e, o.ada, o.iri, "partner")
		r = pmPost(e, "/api/domains", o.ada, fmt.Sprintf(`{"organization":%q,"domain":"zeta.test","role":"partner"}`, o.iri))
		zeta := pmS(r.obj()["@id"])
		var partner string
		for _, m := range pmList(pmGet(e, "/api/roles?organization="+o.id, o.ada).obj()["member"]) {
			if pmObj(m)["slug"] == "partner" {
				partner = pmS(pmObj(m)["@id"])
			}
		}
		pmViolations(t, "DELETE a role a domain enrolls with", pmDelete(e, partner, o.ada), "replacement",
			"no member and no pending invitation hold this role, and 1 domain enrolls with it: name the role they move to (?replacement=<slug>).", problems.CodeRoleInUse)
		msStatus(t, "DELETE it with a replacement", pmDelete(e, partner+"?replacement=viewer", o.ada), http.StatusNoContent)
		if got := pmGet(e, zeta, o.ada).obj()["role"]; got != "viewer" {
			t.Errorf("zeta.test's role after partner went: %v", got)
		}

		// Listing, and giving a domain up.
		if l := pmGet(e, "/api/domains?organization="+o.id+"&status=verified", o.tim).obj(); l["totalItems"] != float64(1) {
			t.Errorf("verified domains: %v", l["totalItems"])
		}
		msStatus(t, "DELETE a domain", pmDelete(e, pmS(beta["@id"]), o.bob), http.StatusNoContent)
		if n, _ := e.db.Domain.Query().Where(domain.Domain("beta.test")).Count(ctx); n != 0 {
			t.Errorf("beta.test is still there")
		}
	})
}

// Two organizations verifying one domain at once in one mode: exactly one
// is verified, the other told it is taken (the partial unique index
// decides when both checks pass), never a 500.
func TestDomainVerifiedOnceUnderRace(t *testing.T) {
	eachDomainBackend(t, func(t *testing.T, e *env, h *handlers.Server, zone *dnsZone) {
		keys := []string{e.key("ann@example.com", "live", "write"), e.key("ben@example.com", "live", "write")}
		var orgIRIs []string
		for i, k := range keys {
			orgIRIs = append(orgIRIs, pmS(e.createOrg(k, fmt.Sprintf(`{"name":"Org %d"}`, i))["@id"]))
		}
		for round := range 6 {
			name := fmt.Sprintf("race%d.test", round)
			var iris, tokens []string
			for i, k := range keys {
				r := pmPost(e, "/api/domains", k, fmt.Sprintf(`{"organization":%q,"domain":%q}`, orgIRIs[i], name))
				if r.Status != http.StatusCreated {
					t.Fatalf("claim: %d %s", r.Status, r.Body)
				}
				iris, tokens = append(iris, pmS(r.obj()["@id"])), append(tokens, pmS(r.obj()["verification_token"]))
			}
			zone.set("_orgraph-challenge."+name, tokens...)
			var wg sync.WaitGroup
			results := make([]*response, 2)
			for i := range keys {
				wg.Add(1)
				go func() { defer wg.Done(); results[i] = pmPost(e, iris[i]+"/verify", keys[i], "") }()
			}
			wg.Wait()
			verified := 0
			for _, r := range results {
				switch {
				case r.Status == http.StatusOK && r.obj()["status"] == "verified":
					verified++
				case r.Status == http.StatusUnprocessableEntity:
					msViolation(t, "the racing loser", r, "domain", problems.CodeNotUnique)
				default:
					t.Errorf("round %d: a racing verify: %d %s", round, r.Status, r.Body)
				}
			}
			n, err := e.db.Domain.Query().Where(domain.Domain(name), domain.StatusEQ(domain.StatusVerified)).Count(context.Background())
			if verified != 1 || err != nil || n != 1 {
				t.Errorf("round %d: %d verify answers and %d rows verified (%v), want 1 and 1", round, verified, n, err)
			}
		}
	})
}
