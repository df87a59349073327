package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Durability: a bounded write load (organizations created, invitations sent
// and accepted, members' roles changed) against the real binary, cut short
// by SIGKILL, then by SIGTERM. After each cut the server is started again
// on the same database and every write that was acknowledged with a 2xx must
// be there, consistent with the others. Helpers carry the "dur" prefix.
//
// The expected state stays unambiguous because every worker owns its
// organizations, its invitations and its invitees' memberships, and sends
// one request at a time: when the process dies, each worker has at most one
// request without an answer, which may or may not have taken effect. The
// checks allow exactly that: the last acknowledged state, or the state the
// unanswered request would have produced. They also look for writes nobody
// made (organizations, members, pending invitations no request explains),
// for two pending invitations to one email in one organization, and for an
// organization without an owner.
//
// SIGTERM must drain: no answer may be cut short, a create whose body the
// server is reading when the signal arrives (durProbe) is answered 201 and
// kept, the process exits 0 within durExitDeadline, and what was
// acknowledged is there after the next start. Requests sent once the
// listener is closed are refused; they were never acknowledged.
//
// The counts the issue note quotes are logged per backend and phase.

const (
	durWorkers          = 4
	durInviteesEach     = 2
	durMaxOpsPerPhase   = 400 // per worker: the load ends by itself
	durSignalAfterAcked = 150 // plus up to 100 at random
	durClientTimeout    = 15 * time.Second
	durExitDeadline     = 10 * time.Second
	// A request written less than this before SIGTERM may meet net/http's
	// own race: Shutdown closes the connections it sees idle, and a kept-alive
	// one whose next request is still being read counts as idle
	// (golang/go#65802). Such a request gets no answer (never a partial
	// one): it is logged and counted as unanswered. An older unanswered one
	// is a drain failure: the server was handling it.
	durIdleRace = 100 * time.Millisecond
)

var durRoles = []string{"owner", "admin", "developer", "viewer"}

type durInvitee struct{ email, key string }

type durOrg struct {
	iri, name string
	phase     int // the phase whose create was acknowledged
}

type durInvitation struct {
	iri, orgIRI, email, role string
	invitee                  int // index in worker.invitees, -1 for a guest without a key
	phase                    int
	allowed                  map[string]bool // statuses it may have after a restart
	acceptPhase              int             // phase of the acknowledged accept, 0 if none
	acceptInFlight           bool            // an accept went unanswered: it may have happened
}

type durMember struct {
	iri, orgIRI, email string
	inv                *durInvitation
	last               string          // the last acknowledged role
	allowed            map[string]bool // last, plus the role of an unanswered PATCH
	rolePhases         []int           // phases of the acknowledged role changes
}

// durPairKey is an (organization, email) pair: one invitee's place in one
// organization.
type durPairKey struct{ org, email string }

type durWorker struct {
	n        int
	email    string
	key      string
	invitees []durInvitee
	rng      *rand.Rand

	orgs        []*durOrg
	invitations []*durInvitation
	members     []*durMember
	pairs       map[durPairKey]string // "invited", "member", or "unsure" (never used again)
	seq         int

	maybeOrgs    []string            // names of creates that went unanswered since the last check
	extraOrgs    int                 // unanswered creates found applied by earlier checks
	maybeInvites map[durPairKey]bool // unanswered invitations: false until a check finds them

	// this phase's counts
	sent, acked int
	inFlight    int // written before the signal (or the kill) and never answered
	raced       int // SIGTERM: written less than durIdleRace before the signal and never answered
	refused     int // connection refused: the listener was closed
	late        int // SIGTERM: written after the signal and never answered (never read by the server)
	afterSignal int // acknowledged after the signal was sent
}

// durOp is one write: the request, what to record when it is acknowledged,
// and what to allow when it goes unanswered.
type durOp struct {
	kind                     string
	method, path, key, ctype string
	body                     string
	want                     int
	ack                      func(doc map[string]any) error
	lost                     func()
}

type durResult struct {
	status  int
	doc     map[string]any
	raw     []byte
	headers bool      // the status line and headers arrived
	wrote   time.Time // when the request was written out in full
	err     error     // the request or its answer was cut off
}

func durDo(c *http.Client, base, method, path, key, ctype, body string) (res durResult) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		res.err = err
		return res
	}
	// The transport may report the write from its own goroutine.
	var wrote atomic.Int64
	defer func() {
		if n := wrote.Load(); n != 0 {
			res.wrote = time.Unix(0, n)
		}
	}()
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(time.Now().UnixNano())
			}
		},
	}))
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	r, err := c.Do(req)
	if err != nil {
		res.err = err
		return res
	}
	defer r.Body.Close()
	res.headers, res.status = true, r.StatusCode
	if res.raw, err = io.ReadAll(r.Body); err != nil {
		res.err = fmt.Errorf("reading the body: %w", err)
		return res
	}
	if len(res.raw) > 0 {
		if err := json.Unmarshal(res.raw, &res.doc); err != nil {
			res.err = fmt.Errorf("the body is not a JSON document (%d bytes): %w", len(res.raw), err)
		}
	}
	return res
}

func durStr(v any) string { s, _ := v.(string); return s }

func durSet(vs ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func durKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pick chooses the next write from the worker's state.
func (w *durWorker) pick(phase int) *durOp {
	r := w.rng.Intn(100)
	switch {
	case len(w.orgs) == 0 || r < 20:
		return w.createOrg(phase)
	case r < 45:
		if op := w.inviteInvitee(phase); op != nil {
			return op
		}
		return w.inviteGuest(phase)
	case r < 55:
		return w.inviteGuest(phase)
	case r < 75:
		if op := w.accept(phase); op != nil {
			return op
		}
		return w.inviteGuest(phase)
	default:
		if op := w.changeRole(phase); op != nil {
			return op
		}
		return w.createOrg(phase)
	}
}

func (w *durWorker) createOrg(phase int) *durOp {
	w.seq++
	name := fmt.Sprintf("dur-w%d-%d", w.n, w.seq)
	return &durOp{
		kind: "create organization", method: http.MethodPost, path: "/api/organizations", key: w.key,
		ctype: "application/ld+json", body: fmt.Sprintf(`{"name":%q}`, name), want: http.StatusCreated,
		ack: func(doc map[string]any) error {
			iri := durStr(doc["@id"])
			if !strings.HasPrefix(iri, "/api/organizations/") || doc["name"] != name {
				return fmt.Errorf("unexpected document")
			}
			w.orgs = append(w.orgs, &durOrg{iri: iri, name: name, phase: phase})
			return nil
		},
		lost: func() { w.maybeOrgs = append(w.maybeOrgs, name) },
	}
}

func (w *durWorker) invite(phase int, org *durOrg, email string, invitee int) *durOp {
	role := durRoles[w.rng.Intn(len(durRoles))]
	pk := durPairKey{org.iri, email}
	return &durOp{
		kind: "invite", method: http.MethodPost, path: "/api/invitations", key: w.key, ctype: "application/ld+json",
		body: fmt.Sprintf(`{"organization":%q,"email":%q,"role":%q}`, org.iri, email, role), want: http.StatusCreated,
		ack: func(doc map[string]any) error {
			iri := durStr(doc["@id"])
			if !strings.HasPrefix(iri, "/api/invitations/") || doc["status"] != "pending" || doc["email"] != email || doc["organization"] != org.iri {
				return fmt.Errorf("unexpected document")
			}
			w.invitations = append(w.invitations, &durInvitation{iri: iri, orgIRI: org.iri, email: email, role: role,
				invitee: invitee, phase: phase, allowed: durSet("pending")})
			if invitee >= 0 {
				w.pairs[pk] = "invited"
			}
			return nil
		},
		lost: func() {
			w.maybeInvites[pk] = true
			if invitee >= 0 {
				w.pairs[pk] = "unsure"
			}
		},
	}
}

// inviteInvitee invites one of the worker's invitees to an organization of
// the worker's that has neither invited nor admitted them yet.
func (w *durWorker) inviteInvitee(phase int) *durOp {
	start := w.rng.Intn(len(w.orgs) * len(w.invitees))
	for i := 0; i < len(w.orgs)*len(w.invitees); i++ {
		k := (start + i) % (len(w.orgs) * len(w.invitees))
		org, inv := w.orgs[k/len(w.invitees)], k%len(w.invitees)
		if w.pairs[durPairKey{org.iri, w.invitees[inv].email}] == "" {
			return w.invite(phase, org, w.invitees[inv].email, inv)
		}
	}
	return nil
}

func (w *durWorker) inviteGuest(phase int) *durOp {
	w.seq++
	return w.invite(phase, w.orgs[w.rng.Intn(len(w.orgs))], fmt.Sprintf("guest-w%d-%d@example.com", w.n, w.seq), -1)
}

// accept: an invitee accepts a pending invitation with their own key.
func (w *durWorker) accept(phase int) *durOp {
	var open []*durInvitation
	for _, inv := range w.invitations {
		if inv.invitee >= 0 && inv.acceptPhase == 0 && !inv.acceptInFlight {
			open = append(open, inv)
		}
	}
	if len(open) == 0 {
		return nil
	}
	inv := open[w.rng.Intn(len(open))]
	pk := durPairKey{inv.orgIRI, inv.email}
	return &durOp{
		kind: "accept", method: http.MethodPost, path: inv.iri + "/accept", key: w.invitees[inv.invitee].key,
		want: http.StatusCreated,
		ack: func(doc map[string]any) error {
			iri := durStr(doc["@id"])
			if !strings.HasPrefix(iri, "/api/members/") || doc["role"] != inv.role || doc["organization"] != inv.orgIRI {
				return fmt.Errorf("unexpected document")
			}
			inv.acceptPhase, inv.allowed = phase, durSet("accepted")
			w.members = append(w.members, &durMember{iri: iri, orgIRI: inv.orgIRI, email: inv.email, inv: inv,
				last: inv.role, allowed: durSet(inv.role)})
			w.pairs[pk] = "member"
			return nil
		},
		lost: func() {
			inv.acceptInFlight, inv.allowed["accepted"] = true, true
			w.pairs[pk] = "unsure"
		},
	}
}

// changeRole gives a member who joined through an accepted invitation
// another role; the worker, who created the organization, stays its owner.
func (w *durWorker) changeRole(phase int) *durOp {
	if len(w.members) == 0 {
		return nil
	}
	m := w.members[w.rng.Intn(len(w.members))]
	role := durRoles[w.rng.Intn(len(durRoles))]
	for role == m.last {
		role = durRoles[w.rng.Intn(len(durRoles))]
	}
	return &durOp{
		kind: "change role", method: http.MethodPatch, path: m.iri, key: w.key, ctype: "application/merge-patch+json",
		body: fmt.Sprintf(`{"role":%q}`, role), want: http.StatusOK,
		ack: func(doc map[string]any) error {
			if doc["@id"] != m.iri || doc["role"] != role {
				return fmt.Errorf("unexpected document")
			}
			m.last, m.allowed = role, durSet(role)
			m.rolePhases = append(m.rolePhases, phase)
			return nil
		},
		lost: func() { m.allowed[role] = true },
	}
}

// durPhase is one bounded load ended by a signal.
type durPhase struct {
	n        int
	sig      syscall.Signal
	signalAt int // acknowledged writes after which the signal is sent
	// before and after run just before and just after the signal, in the
	// worker that sends it.
	before, after func()
}

// durLoad runs the workers against s until each has sent its bounded number
// of writes or met a transport error; p.sig is sent to the process once
// p.signalAt writes have been acknowledged, while the workers keep sending.
// It returns when the workers are done and the process has exited: how it
// exited and how long after the signal.
func durLoad(t *testing.T, s *server, ws []*durWorker, p durPhase) (exitErr error, exited time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: durClientTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * durWorkers}}
	defer client.CloseIdleConnections()
	var acked, signalledAt atomic.Int64
	var once sync.Once
	signal := func() {
		once.Do(func() {
			if p.before != nil {
				p.before()
			}
			signalledAt.Store(time.Now().UnixNano()) // before the signal: what was written earlier was written before it
			if err := s.cmd.Process.Signal(p.sig); err != nil {
				t.Errorf("send %v: %v", p.sig, err)
			}
			if p.after != nil {
				p.after()
			}
		})
	}
	type exit struct {
		err error
		at  time.Time
	}
	exits := make(chan exit, 1)
	go func() {
		err := <-s.done
		exits <- exit{err, time.Now()}
	}()
	var wg sync.WaitGroup
	for _, w := range ws {
		w.sent, w.acked, w.inFlight, w.raced, w.refused, w.late, w.afterSignal = 0, 0, 0, 0, 0, 0, 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < durMaxOpsPerPhase; i++ {
				op := w.pick(p.n)
				w.sent++
				res := durDo(client, s.url, op.method, op.path, op.key, op.ctype, op.body)
				if res.err != nil {
					// No complete answer: the write may or may not have
					// happened. The worker stops here.
					op.lost()
					sig := signalledAt.Load()
					var age time.Duration // how long before the signal it was written
					if !res.wrote.IsZero() && sig != 0 {
						age = time.Duration(sig - res.wrote.UnixNano())
					}
					switch {
					case errors.Is(res.err, syscall.ECONNREFUSED):
						w.refused++ // never reached the server
					case p.sig == syscall.SIGTERM && res.headers:
						w.inFlight++
						t.Errorf("SIGTERM phase, worker %d, %s %s: a half-written answer (%d, %d bytes): %v", w.n, op.method, op.path, res.status, len(res.raw), res.err)
					case p.sig == syscall.SIGTERM && age >= durIdleRace:
						w.inFlight++
						t.Errorf("SIGTERM phase, worker %d, %s %s: written %v before the signal, never answered: %v", w.n, op.method, op.path, age, res.err)
					case p.sig == syscall.SIGTERM && age > 0:
						w.raced++
						t.Logf("SIGTERM phase, worker %d, %s %s: written %v before the signal, closed unanswered (net/http idle-connection race): %v", w.n, op.method, op.path, age, res.err)
					case p.sig == syscall.SIGTERM:
						w.late++ // the server had stopped reading: refused in all but name
					default:
						w.inFlight++
					}
					return
				}
				if res.status != op.want {
					if res.status >= 500 {
						op.lost() // the server does not say what happened
					}
					t.Errorf("phase %d, worker %d, %s %s %s: %d, want %d: %s", p.n, w.n, op.kind, op.method, op.path, res.status, op.want, res.raw)
					continue
				}
				if err := op.ack(res.doc); err != nil {
					t.Errorf("phase %d, worker %d, %s %s: %v: %s", p.n, w.n, op.method, op.path, err, res.raw)
					continue
				}
				w.acked++
				if signalledAt.Load() != 0 {
					w.afterSignal++
				}
				if acked.Add(1) == int64(p.signalAt) {
					signal()
				}
			}
		}()
	}
	wg.Wait()
	if signalledAt.Load() == 0 {
		t.Errorf("phase %d: the load ended after %d acknowledged writes, before the signal at %d", p.n, acked.Load(), p.signalAt)
		signal()
	}
	signalled := time.Unix(0, signalledAt.Load())
	select {
	case e := <-exits:
		return e.err, e.at.Sub(signalled)
	case <-time.After(time.Until(signalled.Add(durExitDeadline))):
		s.cmd.Process.Kill()
		e := <-exits
		return fmt.Errorf("no exit %v after %v (killed: %v)", durExitDeadline, p.sig, e.err), e.at.Sub(signalled)
	}
}

type durChecker struct {
	t          *testing.T
	client     *http.Client
	base       string
	mu         sync.Mutex
	violations int
	found      map[int]int // phase → acknowledged writes found
	applied    int         // unanswered writes that turned out to have happened
}

func (c *durChecker) violate(format string, args ...any) {
	c.t.Helper()
	c.mu.Lock()
	c.violations++
	c.mu.Unlock()
	c.t.Errorf("violation: "+format, args...)
}

func (c *durChecker) foundIn(phase, n int) {
	c.mu.Lock()
	c.found[phase] += n
	c.mu.Unlock()
}

func (c *durChecker) get(key, path string) (map[string]any, bool) {
	c.t.Helper()
	res := durDo(c.client, c.base, http.MethodGet, path, key, "", "")
	if res.err != nil || res.status != http.StatusOK {
		c.violate("GET %s: %d %v %s", path, res.status, res.err, res.raw)
		return nil, false
	}
	return res.doc, true
}

// list reads every page of a collection.
func (c *durChecker) list(key, path string) ([]map[string]any, bool) {
	c.t.Helper()
	var all []map[string]any
	for page := 1; ; page++ {
		doc, ok := c.get(key, fmt.Sprintf("%s&itemsPerPage=100&page=%d", path, page))
		if !ok {
			return nil, false
		}
		items, _ := doc["member"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			all = append(all, m)
		}
		total, _ := doc["totalItems"].(float64)
		if len(items) == 0 || len(all) >= int(total) {
			if len(all) != int(total) {
				c.violate("%s: %d items over the pages, totalItems %v", path, len(all), total)
			}
			return all, true
		}
	}
}

func (c *durChecker) sawApplied() {
	c.mu.Lock()
	c.applied++
	c.mu.Unlock()
}

// verify checks, after a restart, every acknowledged write of w and the
// invariants of w's organizations. Then it settles what the unanswered
// writes turned out to be, so that the next phase starts from a known state.
func (c *durChecker) verify(w *durWorker) {
	q := url.QueryEscape
	// Organizations: none lost, none that no write explains.
	if page, ok := c.get(w.key, "/api/organizations?name="+q(fmt.Sprintf("dur-w%d-", w.n))+"&itemsPerPage=0"); ok { // the count alone
		total, _ := page["totalItems"].(float64)
		extra := int(total) - len(w.orgs) - w.extraOrgs
		if extra < 0 || extra > len(w.maybeOrgs) {
			c.violate("worker %d: %v organizations, want %d acknowledged (+ %d unanswered earlier, found applied) + up to %d unanswered",
				w.n, total, len(w.orgs), w.extraOrgs, len(w.maybeOrgs))
		} else {
			for range extra {
				c.sawApplied()
			}
			w.extraOrgs += extra
		}
		w.maybeOrgs = nil
	}
	membersOf := map[string][]*durMember{}
	for _, m := range w.members {
		membersOf[m.orgIRI] = append(membersOf[m.orgIRI], m)
	}
	invitationsOf := map[string][]*durInvitation{}
	for _, inv := range w.invitations {
		invitationsOf[inv.orgIRI] = append(invitationsOf[inv.orgIRI], inv)
	}
	foundInvites := map[durPairKey]bool{}
	for _, org := range w.orgs {
		doc, ok := c.get(w.key, org.iri)
		if !ok {
			continue
		}
		if doc["name"] != org.name {
			c.violate("%s: name %v, want %q", org.iri, doc["name"], org.name)
			continue
		}
		// Members: the worker is an owner; everyone else joined by an
		// acknowledged accept, or by one that went unanswered.
		members, ok := c.list(w.key, "/api/members?organization="+q(org.iri))
		if !ok {
			continue
		}
		known := map[string]bool{}
		for _, m := range membersOf[org.iri] {
			known[m.iri] = true
		}
		unsure := map[string]*durInvitation{}
		for _, inv := range invitationsOf[org.iri] {
			if inv.acceptInFlight {
				unsure[inv.email] = inv
			}
		}
		owners, creatorOwns := 0, false
		for _, m := range members {
			role, email, iri := durStr(m["role"]), durStr(m["email"]), durStr(m["@id"])
			if role == "owner" {
				owners++
			}
			switch {
			case email == w.email:
				creatorOwns = role == "owner"
			case known[iri]:
			case unsure[email] != nil:
				if inv := unsure[email]; role != inv.role {
					c.violate("%s: %s joined by an unanswered accept as %s, the invitation says %s", org.iri, email, role, inv.role)
				}
			default:
				c.violate("%s: member %s (%s, %s) that no write explains", org.iri, iri, email, role)
			}
		}
		if owners == 0 || !creatorOwns {
			c.violate("%s: %d owners; the creator is an owner: %v", org.iri, owners, creatorOwns)
			continue
		}
		// Pending invitations: at most one per email, each acknowledged or
		// unanswered.
		pending, ok := c.list(w.key, "/api/invitations?organization="+q(org.iri)+"&status=pending")
		if !ok {
			continue
		}
		seen := map[string]int{}
		knownInv := map[string]bool{}
		for _, inv := range invitationsOf[org.iri] {
			knownInv[inv.iri] = true
		}
		for _, p := range pending {
			email := durStr(p["email"])
			if seen[email]++; seen[email] == 2 {
				c.violate("%s: two pending invitations for %s", org.iri, email)
			}
			if !knownInv[durStr(p["@id"])] {
				pk := durPairKey{org.iri, email}
				if applied, ok := w.maybeInvites[pk]; !ok {
					c.violate("%s: pending invitation %v for %s that no write explains", org.iri, p["@id"], email)
				} else if !applied {
					c.sawApplied()
				}
				foundInvites[pk] = true
			}
		}
		c.foundIn(org.phase, 1)
	}
	for pk := range w.maybeInvites {
		if foundInvites[pk] {
			w.maybeInvites[pk] = true
		} else {
			delete(w.maybeInvites, pk) // it did not happen: it must not appear later
		}
	}
	for _, inv := range w.invitations {
		doc, ok := c.get(w.key, inv.iri)
		if !ok {
			continue
		}
		st := durStr(doc["status"])
		if !inv.allowed[st] || doc["email"] != inv.email || doc["organization"] != inv.orgIRI || doc["role"] != inv.role {
			c.violate("%s: %s %v in %v as %v, want %v %s in %s as %s", inv.iri, st, doc["email"], doc["organization"], doc["role"],
				durKeys(inv.allowed), inv.email, inv.orgIRI, inv.role)
			continue
		}
		if inv.acceptInFlight && len(inv.allowed) > 1 {
			if st == "accepted" {
				c.sawApplied() // keep acceptInFlight: its member is one no acknowledged write names
			} else {
				inv.acceptInFlight = false // it did not happen: another accept may
			}
			inv.allowed = durSet(st)
		}
		c.foundIn(inv.phase, 1)
	}
	for _, m := range w.members {
		doc, ok := c.get(w.key, m.iri)
		if !ok {
			continue
		}
		role := durStr(doc["role"])
		if !m.allowed[role] || doc["organization"] != m.orgIRI || doc["email"] != m.email {
			c.violate("%s: %s %v in %v, want %v %s in %s", m.iri, role, doc["email"], doc["organization"], durKeys(m.allowed), m.email, m.orgIRI)
			continue
		}
		if inv, ok := c.get(w.key, m.inv.iri); !ok || inv["membership"] != m.iri {
			c.violate("%s: membership %v, want %s", m.inv.iri, inv["membership"], m.iri)
			continue
		}
		// The acknowledged accept, and the acknowledged role changes: the
		// last one holds (or a later unanswered one), so the earlier ones
		// were applied in order.
		c.foundIn(m.inv.acceptPhase, 1)
		for _, ph := range m.rolePhases {
			c.foundIn(ph, 1)
		}
		if role != m.last {
			c.sawApplied()
		}
		m.last, m.allowed = role, durSet(role)
	}
}

// durVerify starts the server again on db and checks everything the
// workers were told was written.
func durVerify(t *testing.T, db string, ws []*durWorker) (*server, *durChecker) {
	t.Helper()
	s := startServerWith(t, db, []string{"--rate-limit", "0"})
	c := &durChecker{t: t, client: &http.Client{Timeout: durClientTimeout}, base: s.url, found: map[int]int{}}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.verify(w)
		}()
	}
	wg.Wait()
	c.client.CloseIdleConnections()
	return s, c
}

// durTotals are one phase's counts over the workers.
type durCounts struct{ sent, acked, inFlight, raced, refused, late, afterSignal int }

func durTotals(ws []*durWorker) (n durCounts) {
	for _, w := range ws {
		n.sent += w.sent
		n.acked += w.acked
		n.inFlight += w.inFlight
		n.raced += w.raced
		n.refused += w.refused
		n.late += w.late
		n.afterSignal += w.afterSignal
	}
	return n
}

// durProbe is a create request certainly in flight when SIGTERM arrives:
// its headers are sent with Expect: 100-continue, and the server's
// "100 Continue" shows that a handler is reading its body. The body goes
// out after the signal; a draining server answers it in full.
type durProbe struct {
	conn   net.Conn
	br     *bufio.Reader
	name   string
	body   string
	iri    string
	result chan error
}

func durStartProbe(s *server, key, name string) (*durProbe, error) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		return nil, err
	}
	p := &durProbe{conn: conn, br: bufio.NewReader(conn), name: name, body: fmt.Sprintf(`{"name":%q}`, name), result: make(chan error, 1)}
	conn.SetDeadline(time.Now().Add(durClientTimeout))
	fmt.Fprintf(conn, "POST /api/organizations HTTP/1.1\r\nHost: orgraph\r\nAuthorization: Bearer %s\r\nContent-Type: application/ld+json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", key, len(p.body))
	line, err := p.br.ReadString('\n')
	if err == nil && !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		err = fmt.Errorf("want 100 Continue, got %q", line)
	}
	if err == nil {
		_, err = p.br.ReadString('\n') // the blank line ending the interim answer
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("probe: %w", err)
	}
	return p, nil
}

// finish sends the body and reads the answer: 201, complete.
func (p *durProbe) finish() {
	defer p.conn.Close()
	if _, err := io.WriteString(p.conn, p.body); err != nil {
		p.result <- fmt.Errorf("probe body: %w", err)
		return
	}
	res, err := http.ReadResponse(p.br, nil)
	if err != nil {
		p.result <- fmt.Errorf("probe answer: %w", err)
		return
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	var doc map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &doc)
	}
	switch {
	case err != nil:
		p.result <- fmt.Errorf("probe answer %d: a half-written body (%d bytes): %w", res.StatusCode, len(raw), err)
	case res.StatusCode != http.StatusCreated || doc["name"] != p.name:
		p.result <- fmt.Errorf("probe answer %d: %s", res.StatusCode, raw)
	default:
		p.iri = durStr(doc["@id"])
		p.result <- nil
	}
}

func TestDurabilityUnderSIGKILLAndSIGTERM(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var db string
			if backend == "sqlite" {
				db = "sqlite:" + filepath.Join(t.TempDir(), "o.db")
			} else {
				db = postgresDSN(t)
			}
			durRun(t, db)
		})
	}
}

func durRun(t *testing.T, db string) {
	start := time.Now()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	ws := make([]*durWorker, durWorkers)
	for i := range ws {
		w := &durWorker{n: i + 1, email: fmt.Sprintf("worker%d@example.com", i+1), rng: rand.New(rand.NewSource(seed + int64(i) + 1)),
			pairs: map[durPairKey]string{}, maybeInvites: map[durPairKey]bool{}}
		w.key = newKey(t, db, w.email)
		for j := 0; j < durInviteesEach; j++ {
			email := fmt.Sprintf("invitee%d-%d@example.com", i+1, j+1)
			w.invitees = append(w.invitees, durInvitee{email: email, key: newKey(t, db, email)})
		}
		ws[i] = w
	}
	s := startServerWith(t, db, []string{"--rate-limit", "0"})

	// Phase 1: SIGKILL mid-load, then a restart on the same database.
	kill := durPhase{n: 1, sig: syscall.SIGKILL, signalAt: durSignalAfterAcked + rng.Intn(100)}
	exitErr, _ := durLoad(t, s, ws, kill)
	var ee *exec.ExitError
	if !errors.As(exitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("SIGKILL: the process ended with %v", exitErr)
	}
	n1 := durTotals(ws)
	loaded := time.Since(start)
	s, c := durVerify(t, db, ws)
	t.Logf("SIGKILL after %d acknowledged writes: requests sent %d, 2xx acknowledged %d, found after restart %d, violations %d "+
		"(sent and unanswered when the process died: %d, of which found applied: %d; refused after it died: %d)",
		n1.acked-n1.afterSignal, n1.sent, n1.acked, c.found[1], c.violations, n1.inFlight, c.applied, n1.refused)
	if c.found[1] != n1.acked {
		t.Errorf("SIGKILL: %d acknowledged writes, %d found after restart", n1.acked, c.found[1])
	}
	t.Logf("phase 1: load %v, check %v", loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))

	// Phase 2: SIGTERM mid-load on the restarted server: it stops
	// accepting, answers what it has read in full, and exits 0.
	phase2 := time.Now()
	var probe *durProbe
	term := durPhase{n: 2, sig: syscall.SIGTERM, signalAt: durSignalAfterAcked + rng.Intn(100),
		before: func() {
			var err error
			if probe, err = durStartProbe(s, ws[0].key, "dur-probe"); err != nil {
				t.Errorf("SIGTERM: %v", err)
			}
		},
		after: func() {
			if probe != nil {
				go probe.finish()
			}
		}}
	exitErr, exited := durLoad(t, s, ws, term)
	if exitErr != nil {
		t.Errorf("SIGTERM: exit %v, want 0", exitErr)
	}
	probeOK := false
	if probe != nil {
		select {
		case err := <-probe.result:
			if err != nil {
				t.Errorf("SIGTERM: the request in flight at the signal: %v", err)
			}
			probeOK = err == nil
		case <-time.After(durClientTimeout):
			t.Error("SIGTERM: the request in flight at the signal got no answer")
		}
	}
	n2 := durTotals(ws)
	loaded = time.Since(phase2)
	s, c = durVerify(t, db, ws)
	if probeOK {
		if doc, ok := c.get(ws[0].key, probe.iri); ok && doc["name"] != probe.name {
			c.violate("%s: name %v, want %q", probe.iri, doc["name"], probe.name)
		} else if ok {
			t.Logf("SIGTERM: the create in flight at the signal (100 Continue received) was answered 201 in full and is there after restart")
		}
	}
	t.Logf("SIGTERM after %d acknowledged writes: requests sent %d, 2xx acknowledged %d, found after restart %d, violations %d "+
		"(exit error %v, %v after the signal; acknowledged after the signal: %d; unanswered or half-answered though written %v or more before the signal: %d; "+
		"written less than %v before the signal and closed unanswered: %d; refused after the listener closed: %d; "+
		"written after the signal on a connection the server had stopped reading: %d; unanswered found applied: %d); "+
		"SIGKILL-phase writes found again: %d of %d",
		n2.acked-n2.afterSignal, n2.sent, n2.acked, c.found[2], c.violations, exitErr, exited.Round(time.Millisecond), n2.afterSignal, durIdleRace, n2.inFlight,
		durIdleRace, n2.raced, n2.refused, n2.late, c.applied, c.found[1], n1.acked)
	if c.found[2] != n2.acked || c.found[1] != n1.acked {
		t.Errorf("SIGTERM: %d+%d acknowledged writes, %d+%d found after restart", n1.acked, n2.acked, c.found[1], c.found[2])
	}
	if n2.inFlight != 0 {
		t.Errorf("SIGTERM: %d requests in flight at the signal got no complete answer", n2.inFlight)
	}
	t.Logf("phase 2: load %v, check %v", loaded.Round(time.Millisecond), (time.Since(phase2) - loaded).Round(time.Millisecond))
	s.stop(t)
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}
