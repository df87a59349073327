package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgraph/orgraph/store"
)

// Two real `orgraph serve` processes on one PostgreSQL schema and one Redis,
// each serving half the traffic: every invariant of the API must hold across
// replicas, and no race may surface as a 5xx. Helpers carry the "rp" prefix.

// rpResult is one answer, received in any goroutine (no t.Fatal there).
type rpResult struct {
	replica int
	method  string
	path    string
	sent    string // request body, for failure messages
	status  int
	header  http.Header
	body    []byte
	err     error
}

func (r rpResult) obj() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func (r rpResult) String() string {
	if r.err != nil {
		return fmt.Sprintf("%s %s on replica %d: %v", r.method, r.path, r.replica, r.err)
	}
	return fmt.Sprintf("%s %s %s on replica %d: %d %s", r.method, r.path, r.sent, r.replica, r.status, r.body)
}

// rpViolationPath is the propertyPath of the first violation of a 422.
func (r rpResult) rpViolationPath() string {
	v, _ := r.obj()["violations"].([]any)
	if len(v) == 0 {
		return ""
	}
	m, _ := v[0].(map[string]any)
	s, _ := m["propertyPath"].(string)
	return s
}

// rpTally counts every answer of a subtest, and keeps every 5xx.
type rpTally struct {
	mu     sync.Mutex
	sent   int
	counts map[int]int
	bad    []string
}

func (tl *rpTally) add(r rpResult) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.counts == nil {
		tl.counts = map[int]int{}
	}
	tl.sent++
	tl.counts[r.status]++ // 0: no answer
	if r.err != nil || r.status >= 500 {
		tl.bad = append(tl.bad, r.String())
	}
}

func (tl *rpTally) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var codes []int
	for c := range tl.counts {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, tl.counts[c]))
	}
	return strings.Join(parts, " ")
}

// check fails the test on any 5xx (or transport error) seen, and logs the counts.
func (tl *rpTally) check(t *testing.T, rounds int) {
	t.Helper()
	t.Logf("rounds: %d, requests sent: %d, statuses: %s", rounds, tl.sent, tl)
	for _, b := range tl.bad {
		t.Errorf("5xx or no answer: %s", b)
	}
}

// rpSettle waits out the delay within which a write reaches the other
// replica's document cache: reads before it may be stale by design
// (docs/performance.md), reads after it never.
func rpSettle() { time.Sleep(store.ReplicaLag) }

// rpPair is two replicas of one database.
type rpPair struct {
	urls   [2]string
	client *http.Client
}

func rpStartPair(t *testing.T, db string, flags ...string) *rpPair {
	t.Helper()
	// One after the other: the first migrates the schema.
	a := startServerWith(t, db, flags)
	b := startServerWith(t, db, flags)
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &rpPair{urls: [2]string{a.url, b.url}, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// send is goroutine-safe; it records the answer in tl.
func (p *rpPair) send(tl *rpTally, replica int, method, path, key, body string, header map[string]string) rpResult {
	r := rpResult{replica: replica % 2, method: method, path: path, sent: body}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, p.urls[replica%2]+path, rd)
	if err != nil {
		r.err = err
		tl.add(r)
		return r
	}
	hr.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		ct := "application/ld+json"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := p.client.Do(hr)
	if err != nil {
		r.err = err
		tl.add(r)
		return r
	}
	defer res.Body.Close()
	r.status, r.header = res.StatusCode, res.Header
	r.body, r.err = io.ReadAll(res.Body)
	tl.add(r)
	return r
}

// must is a setup request in the test's goroutine: anything but want is fatal.
func (p *rpPair) must(t *testing.T, tl *rpTally, want, replica int, method, path, key, body string) map[string]any {
	t.Helper()
	r := p.send(tl, replica, method, path, key, body, nil)
	if r.err != nil || r.status != want {
		t.Fatalf("setup: want %d: %s", want, r)
	}
	return r.obj()
}

// rpRace runs every request at the same moment and returns the answers in order.
func rpRace(fs []func() rpResult) []rpResult {
	out := make([]rpResult, len(fs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func rpStr(v any) string {
	s, _ := v.(string)
	return s
}

func rpTotal(t *testing.T, what string, r rpResult) int {
	t.Helper()
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("%s: %s", what, r)
	}
	n, ok := r.obj()["totalItems"].(float64)
	if !ok {
		t.Fatalf("%s: no totalItems: %s", what, r.body)
	}
	return int(n)
}

func rpIsProblem(r rpResult) bool {
	return strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json")
}

// rpCaseVariants is n spellings of name differing only in letter case.
func rpCaseVariants(name string, n int) []string {
	var out []string
	seen := map[string]bool{}
	for mask := 0; len(out) < n && mask < 1<<12; mask++ {
		b := []rune(strings.ToLower(name))
		letter := 0
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				if mask>>letter&1 == 1 {
					b[i] = c - 'a' + 'A'
				}
				letter++
			}
		}
		if s := string(b); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

var rpRemaining = regexp.MustCompile(`^"default";r=(\d+);t=(\d+)$`)

func TestReplicasKeepInvariants(t *testing.T) {
	const rounds = 10
	db := postgresDSN(t)
	redis := redisURL(t)
	// The keys exist before the replicas start: no bootstrap race.
	ada := newKey(t, db, "ada@example.com")
	olga := newKey(t, db, "olga@example.com")
	vic := newKey(t, db, "vic@example.com")
	p := rpStartPair(t, db, "--rate-limit", "100000", "--redis", redis)

	t.Run("one organization per idempotency key", func(t *testing.T) {
		const n = 20
		tl := &rpTally{}
		for round := 0; round < rounds; round++ {
			name := fmt.Sprintf("Idem r%02d", round)
			body := fmt.Sprintf(`{"name":%q}`, name)
			hdr := map[string]string{"Idempotency-Key": fmt.Sprintf("idem-%02d", round)}
			fs := make([]func() rpResult, n)
			for i := range fs {
				fs[i] = func() rpResult {
					return p.send(tl, i+round, http.MethodPost, "/api/organizations", ada, body, hdr)
				}
			}
			res := rpRace(fs)
			ids, fresh := map[string]int{}, 0
			for _, r := range res {
				switch {
				case r.err != nil:
				case r.status == http.StatusCreated:
					ids[rpStr(r.obj()["@id"])]++
					if r.header.Get("Idempotent-Replayed") != "true" {
						fresh++
					}
				case r.status == http.StatusConflict:
					if r.header.Get("Retry-After") == "" || !rpIsProblem(r) {
						t.Errorf("round %d: 409 without Retry-After or problem document: %s", round, r)
					}
				default:
					t.Errorf("round %d: want 201 or 409: %s", round, r)
				}
			}
			if len(ids) != 1 || fresh != 1 {
				t.Errorf("round %d: 201 answers name %d organizations %v, %d not replayed; want one organization, created once", round, len(ids), ids, fresh)
			}
			rpSettle() // the other replica has learnt of the writes
			for replica := 0; replica < 2; replica++ {
				list := p.send(tl, replica, http.MethodGet, "/api/organizations?itemsPerPage=100&name="+url.QueryEscape(name), ada, "", nil)
				if got := rpTotal(t, "list", list); got != 1 {
					t.Errorf("round %d: replica %d lists %d organizations named %q, want 1: %s", round, replica, got, name, list.body)
				}
				// A retry afterwards, on either replica, is the kept answer.
				again := p.send(tl, replica, http.MethodPost, "/api/organizations", ada, body, hdr)
				if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" || ids[rpStr(again.obj()["@id"])] == 0 {
					t.Errorf("round %d: retry on replica %d: want the replayed 201 of %v: %s", round, replica, ids, again)
				}
			}
		}
		tl.check(t, rounds)
	})

	t.Run("the last owner stays", func(t *testing.T) {
		tl := &rpTally{}
		type variant struct {
			name string
			// race returns the two requests, given the member IRIs.
			race    func(round int, adaM, olgaM string) []func() rpResult
			ok      []int
			refused []int
		}
		patch := func(tl *rpTally, replica int, iri, key, role string) func() rpResult {
			return func() rpResult {
				return p.send(tl, replica, http.MethodPatch, iri, key, fmt.Sprintf(`{"role":%q}`, role), nil)
			}
		}
		del := func(tl *rpTally, replica int, iri, key string) func() rpResult {
			return func() rpResult { return p.send(tl, replica, http.MethodDelete, iri, key, "", nil) }
		}
		variants := []variant{
			{"owners demote each other", func(round int, adaM, olgaM string) []func() rpResult {
				return []func() rpResult{patch(tl, round, olgaM, ada, "admin"), patch(tl, round+1, adaM, olga, "admin")}
			}, []int{http.StatusOK},
				// The loser is still an owner (422: last owner) or already
				// demoted when its request runs (403: admins cannot touch owners).
				[]int{http.StatusUnprocessableEntity, http.StatusForbidden}},
			{"owners leave together", func(round int, adaM, olgaM string) []func() rpResult {
				return []func() rpResult{del(tl, round, adaM, ada), del(tl, round+1, olgaM, olga)}
			}, []int{http.StatusNoContent}, []int{http.StatusUnprocessableEntity}},
			{"owners step down together", func(round int, adaM, olgaM string) []func() rpResult {
				return []func() rpResult{patch(tl, round, adaM, ada, "developer"), patch(tl, round+1, olgaM, olga, "developer")}
			}, []int{http.StatusOK}, []int{http.StatusUnprocessableEntity}},
			{"one demotes, the other removes", func(round int, adaM, olgaM string) []func() rpResult {
				return []func() rpResult{patch(tl, round, olgaM, ada, "viewer"), del(tl, round+1, adaM, olga)}
			}, []int{http.StatusOK, http.StatusNoContent},
				// ada first: olga is a viewer (403); olga first: ada is no
				// member any more (404); or the last-owner rule (422).
				[]int{http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity}},
		}
		in := func(list []int, v int) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		}
		for _, v := range variants {
			outcomes := map[string]int{}
			for round := 0; round < rounds; round++ {
				org := p.must(t, tl, http.StatusCreated, round, http.MethodPost, "/api/organizations", ada,
					fmt.Sprintf(`{"name":%q}`, fmt.Sprintf("%s r%02d", v.name, round)))
				orgIRI, orgID := rpStr(org["@id"]), rpStr(org["id"])
				owners, _ := org["owners"].([]any)
				if len(owners) != 1 {
					t.Fatalf("new organization with %d owners: %v", len(owners), org)
				}
				adaM := rpStr(owners[0].(map[string]any)["@id"])
				join := func(key, email, role string) string {
					inv := p.must(t, tl, http.StatusCreated, round+1, http.MethodPost, "/api/invitations", ada,
						fmt.Sprintf(`{"organization":%q,"email":%q,"role":%q}`, orgIRI, email, role))
					m := p.must(t, tl, http.StatusCreated, round, http.MethodPost, rpStr(inv["@id"])+"/accept", key, "")
					if m["role"] != role {
						t.Fatalf("accepted %s: role %v, want %s", email, m["role"], role)
					}
					return rpStr(m["@id"])
				}
				olgaM := join(olga, "olga@example.com", "owner")
				join(vic, "vic@example.com", "viewer") // stays, to count the owners

				res := rpRace(v.race(round, adaM, olgaM))
				ok, refused := 0, 0
				for _, r := range res {
					switch {
					case r.err != nil:
					case in(v.ok, r.status):
						ok++
					case in(v.refused, r.status):
						refused++
						if !rpIsProblem(r) {
							t.Errorf("%s round %d: refusal without a problem document: %s", v.name, round, r)
						}
						if r.status == http.StatusUnprocessableEntity && r.rpViolationPath() != "role" {
							t.Errorf("%s round %d: 422 not on role: %s", v.name, round, r)
						}
					default:
						t.Errorf("%s round %d: unexpected answer: %s", v.name, round, r)
					}
				}
				outcomes[fmt.Sprintf("%d/%d", res[0].status, res[1].status)]++
				if ok != 1 || refused != 1 {
					t.Errorf("%s round %d: %d succeeded, %d refused; want one of each:\n  %s\n  %s", v.name, round, ok, refused, res[0], res[1])
				}
				rpSettle() // the other replica has learnt of the writes
				for replica := 0; replica < 2; replica++ {
					r := p.send(tl, replica, http.MethodGet, "/api/members?role=owner&organization="+url.QueryEscape(orgIRI), vic, "", nil)
					if n := rpTotal(t, "owners", r); n != 1 {
						t.Errorf("%s round %d: replica %d counts %d owners of %s, want 1: %s", v.name, round, replica, n, orgID, r.body)
					}
				}
			}
			t.Logf("%s: %d rounds, outcomes (first/second request): %v", v.name, rounds, outcomes)
		}
		tl.check(t, rounds*len(variants))
	})

	t.Run("one pending invitation per email", func(t *testing.T) {
		const n = 10
		tl := &rpTally{}
		org := p.must(t, tl, http.StatusCreated, 0, http.MethodPost, "/api/organizations", ada, `{"name":"Invitations"}`)
		orgIRI := rpStr(org["@id"])
		for round := 0; round < rounds; round++ {
			email := fmt.Sprintf("guest%02d@example.com", round)
			body := fmt.Sprintf(`{"organization":%q,"email":%q,"role":"viewer"}`, orgIRI, email)
			fs := make([]func() rpResult, n)
			for i := range fs {
				fs[i] = func() rpResult { return p.send(tl, i+round, http.MethodPost, "/api/invitations", ada, body, nil) }
			}
			for _, r := range rpOneCreated(t, round, rpRace(fs), "email", n) {
				if o := r.obj(); o["status"] != "pending" || o["email"] != email {
					t.Errorf("round %d: 201 document: %s", round, r.body)
				}
			}
			rpSettle() // the other replica has learnt of the writes
			for replica := 0; replica < 2; replica++ {
				r := p.send(tl, replica, http.MethodGet, "/api/invitations?status=pending&itemsPerPage=100&organization="+url.QueryEscape(orgIRI), ada, "", nil)
				total := rpTotal(t, "pending", r)
				mine := 0
				list, _ := r.obj()["member"].([]any)
				for _, it := range list {
					if m, _ := it.(map[string]any); m["email"] == email {
						mine++
					}
				}
				if mine != 1 || total != round+1 {
					t.Errorf("round %d: replica %d lists %d pending invitations for %s (%d in all, want %d): %s", round, replica, mine, email, total, round+1, r.body)
				}
			}
		}
		tl.check(t, rounds)
	})

	t.Run("unique workspace names", func(t *testing.T) {
		const n = 10
		tl := &rpTally{}
		org := p.must(t, tl, http.StatusCreated, 1, http.MethodPost, "/api/organizations", ada, `{"name":"Workspaces"}`)
		orgIRI := rpStr(org["@id"])
		for round := 0; round < rounds; round++ {
			base := fmt.Sprintf("Space r%02d", round)
			names := rpCaseVariants(base, n)
			fs := make([]func() rpResult, n)
			for i := range fs {
				body := fmt.Sprintf(`{"organization":%q,"name":%q}`, orgIRI, names[i])
				fs[i] = func() rpResult { return p.send(tl, i+round, http.MethodPost, "/api/workspaces", ada, body, nil) }
			}
			rpOneCreated(t, round, rpRace(fs), "name", n)
			rpSettle() // the other replica has learnt of the writes
			for replica := 0; replica < 2; replica++ {
				r := p.send(tl, replica, http.MethodGet, "/api/workspaces?itemsPerPage=100&organization="+url.QueryEscape(orgIRI), ada, "", nil)
				total := rpTotal(t, "workspaces", r)
				same := 0
				list, _ := r.obj()["member"].([]any)
				for _, it := range list {
					if m, _ := it.(map[string]any); strings.EqualFold(rpStr(m["name"]), base) {
						same++
					}
				}
				if same != 1 || total != round+1 {
					t.Errorf("round %d: replica %d lists %d workspaces named %q in any case (%d in all, want %d): %s", round, replica, same, base, total, round+1, r.body)
				}
			}
		}
		tl.check(t, rounds)
	})

	t.Run("If-Match: one writer wins", func(t *testing.T) {
		const n = 8
		tl := &rpTally{}
		org := p.must(t, tl, http.StatusCreated, 0, http.MethodPost, "/api/organizations", ada, `{"name":"Tagged"}`)
		path := rpStr(org["@id"])
		for round := 0; round < rounds; round++ {
			read := p.send(tl, round, http.MethodGet, path, ada, "", nil)
			tag := read.header.Get("ETag")
			if read.status != http.StatusOK || tag == "" {
				t.Fatalf("round %d: read: ETag %q: %s", round, tag, read)
			}
			fs := make([]func() rpResult, n)
			for i := range fs {
				body := fmt.Sprintf(`{"name":"Writer r%02d-%d"}`, round, i)
				fs[i] = func() rpResult {
					return p.send(tl, i+round, http.MethodPatch, path, ada, body, map[string]string{"If-Match": tag})
				}
			}
			var winners []rpResult
			stale := 0
			for _, r := range rpRace(fs) {
				switch {
				case r.err != nil:
				case r.status == http.StatusOK:
					winners = append(winners, r)
				case r.status == http.StatusPreconditionFailed && rpIsProblem(r):
					stale++
				default:
					t.Errorf("round %d: want 200 or 412: %s", round, r)
				}
			}
			if len(winners) != 1 || stale != n-1 {
				t.Errorf("round %d: %d × 200, %d × 412; want 1 and %d", round, len(winners), stale, n-1)
				continue
			}
			w := winners[0]
			var sent struct{ Name string }
			_ = json.Unmarshal([]byte(w.sent), &sent)
			if w.obj()["name"] != sent.Name {
				t.Errorf("round %d: the winner sent %q, its answer says %v", round, sent.Name, w.obj()["name"])
			}
			rpSettle() // the other replica has learnt of the writes
			for replica := 0; replica < 2; replica++ {
				g := p.send(tl, replica, http.MethodGet, path, ada, "", nil)
				if g.status != http.StatusOK || g.obj()["name"] != sent.Name || g.header.Get("ETag") != w.header.Get("ETag") {
					t.Errorf("round %d: replica %d reads name %v ETag %q; want the winner's %q %q", round, replica, g.obj()["name"], g.header.Get("ETag"), sent.Name, w.header.Get("ETag"))
				}
			}
		}
		tl.check(t, rounds)
	})

	t.Run("rate limits shared through Redis", func(t *testing.T) {
		const (
			quota    = 10
			requests = 30
			rlRounds = 5
		)
		tl := &rpTally{}
		lp := rpStartPair(t, db, "--rate-limit", strconv.Itoa(quota), "--rate-window", "1h", "--redis", redis)
		remaining := func(r rpResult) int {
			m := rpRemaining.FindStringSubmatch(r.header.Get("RateLimit"))
			if m == nil {
				return -1
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		checkAnswer := func(round int, r rpResult) {
			t.Helper()
			if got := r.header.Get("RateLimit-Policy"); got != `"default";q=10;w=3600` {
				t.Errorf("round %d: RateLimit-Policy %q: %s", round, got, r)
			}
			if r.status == http.StatusTooManyRequests {
				ra, err := strconv.Atoi(r.header.Get("Retry-After"))
				if err != nil || ra < 1 || ra > 3600 || !rpIsProblem(r) {
					t.Errorf("round %d: 429 with Retry-After %q: %s", round, r.header.Get("Retry-After"), r)
				}
				if remaining(r) != 0 {
					t.Errorf("round %d: 429 with RateLimit %q, want r=0", round, r.header.Get("RateLimit"))
				}
			}
		}
		for round := 0; round < rlRounds; round++ {
			key := newKey(t, db, fmt.Sprintf("limited%02d@example.com", round))
			var res []rpResult
			if round == 0 {
				// One at a time, alternating: the count goes down by one
				// whichever replica answers.
				for i := 0; i < requests; i++ {
					res = append(res, lp.send(tl, i, http.MethodGet, "/api/me", key, "", nil))
				}
				for i, r := range res {
					checkAnswer(round, r)
					wantStatus, wantR := http.StatusOK, quota-1-i
					if i >= quota {
						wantStatus, wantR = http.StatusTooManyRequests, 0
					}
					if r.status != wantStatus || remaining(r) != wantR {
						t.Errorf("sequential request %d on replica %d: %d RateLimit %q; want %d r=%d", i, r.replica, r.status, r.header.Get("RateLimit"), wantStatus, wantR)
					}
				}
			} else {
				fs := make([]func() rpResult, requests)
				for i := range fs {
					fs[i] = func() rpResult { return lp.send(tl, i, http.MethodGet, "/api/me", key, "", nil) }
				}
				res = rpRace(fs)
				left := map[int]int{}
				for _, r := range res {
					checkAnswer(round, r)
					if r.status == http.StatusOK {
						left[remaining(r)]++
					}
				}
				// Each of the ten tokens was taken once: r = 9, 8, …, 0.
				for want := 0; want < quota; want++ {
					if left[want] != 1 {
						t.Errorf("round %d: the 200 answers carry remaining counts %v; want each of 0..%d once", round, left, quota-1)
						break
					}
				}
			}
			count := map[int]int{}
			perReplica := [2]map[int]int{{}, {}}
			for _, r := range res {
				count[r.status]++
				perReplica[r.replica][r.status]++
			}
			if count[http.StatusOK] != quota || count[http.StatusTooManyRequests] != requests-quota {
				t.Errorf("round %d: statuses %v; want %d × 200 and %d × 429", round, count, quota, requests-quota)
			}
			t.Logf("round %d: replica 0 %v, replica 1 %v", round, perReplica[0], perReplica[1])
		}
		tl.check(t, rlRounds)
	})
}

// rpOneCreated checks that of n racing creates exactly one was a 201 and
// every other a 422 on property, and returns the 201.
func rpOneCreated(t *testing.T, round int, results []rpResult, property string, n int) []rpResult {
	t.Helper()
	var created []rpResult
	refused := 0
	for _, r := range results {
		switch {
		case r.err != nil:
		case r.status == http.StatusCreated:
			created = append(created, r)
		case r.status == http.StatusUnprocessableEntity && r.rpViolationPath() == property:
			refused++
		default:
			t.Errorf("round %d: want 201 or 422 on %s: %s", round, property, r)
		}
	}
	if len(created) != 1 || refused != n-1 {
		t.Errorf("round %d: %d created, %d refused; want 1 and %d", round, len(created), refused, n-1)
	}
	return created
}
