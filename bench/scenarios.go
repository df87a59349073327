package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"
)

// target is the running server and what the scenarios know of its data.
type target struct {
	client   *http.Client
	url      string // the orgraph server
	baseline string // the baseline server
	key      string
	orgs     []uuid.UUID
	// etags of the first organizations, for the conditional GET; the
	// PATCH scenario writes other organizations (the last ones).
	etags   []string
	created atomic.Int64
	// deepCursor is the path of the 300th cursor page of the organizations
	// (30 a page; the last full one of fewer), found by following next
	// links.
	deepCursor string
}

// deepPage is the cursor page the deep scenario reads: as deep as
// collection-page-300's numbered page.
const deepPage = 300

// request is one request of a scenario.
type request struct {
	method, path, body string
	header             map[string]string
	baseline           bool
}

// conditionalOrgs is how many organizations the conditional GET revisits.
const conditionalOrgs = 1000

// prepare reads the ETags the conditional GET sends back.
func (t *target) prepare(ctx context.Context) error {
	n := min(conditionalOrgs, len(t.orgs))
	t.etags = make([]string, n)
	for i := range n {
		req, err := t.newRequest(ctx, request{method: http.MethodGet, path: orgPath(t.orgs[i])})
		if err != nil {
			return err
		}
		res, err := t.client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: prepare: %w", err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
			return fmt.Errorf("bench: prepare: GET %s: %d, ETag %q", orgPath(t.orgs[i]), res.StatusCode, res.Header.Get("ETag"))
		}
		t.etags[i] = res.Header.Get("ETag")
	}
	depth := min(deepPage, len(t.orgs)/30) // a smaller seed: its last full page
	if depth < 2 {
		return nil
	}
	path := "/api/organizations"
	for range depth - 1 {
		var page struct {
			View struct {
				Next string `json:"next"`
			} `json:"view"`
		}
		req, err := t.newRequest(ctx, request{method: http.MethodGet, path: path})
		if err != nil {
			return err
		}
		res, err := t.client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: prepare: %w", err)
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || page.View.Next == "" {
			return fmt.Errorf("bench: prepare: GET %s: %d, next %q, %v", path, res.StatusCode, page.View.Next, err)
		}
		path = page.View.Next
	}
	t.deepCursor = path
	return nil
}

func (t *target) newRequest(ctx context.Context, r request) (*http.Request, error) {
	url := t.url + r.path
	if r.baseline {
		url = t.baseline + r.path
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, url, body)
	if err != nil {
		return nil, err
	}
	if !r.baseline {
		req.Header.Set("Authorization", "Bearer "+t.key)
		req.Header.Set("Accept", "application/ld+json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return req, nil
}

// send makes one request and reads the whole answer.
func (t *target) send(r request) (int, error) {
	req, err := t.newRequest(context.Background(), r)
	if err != nil {
		return 0, err
	}
	res, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

func orgPath(id uuid.UUID) string { return "/api/organizations/" + id.String() }

// scenario makes the requests of one closed loop: requests(env, worker)
// returns a generator of (request, expected status).
type scenario struct {
	name, description string
	requests          func(t *target, worker int) func() (request, int)
}

const baselineName = "baseline"

// scenarios run in this order: reads first, writes last (they change the
// data the reads see).
var scenarios = []scenario{
	{baselineName, "bare net/http + database/sql + encoding/json: one organization row by id", func(t *target, w int) func() (request, int) {
		rng := rand.New(rand.NewPCG(uint64(w), 1))
		return func() (request, int) {
			return request{method: http.MethodGet, path: "/organizations/" + t.orgs[rng.IntN(len(t.orgs))].String(), baseline: true}, http.StatusOK
		}
	}},
	{"get-item", "GET /api/organizations/{id}: a random organization with its owners and members", getItem},
	{"get-conditional", "GET /api/organizations/{id} with If-None-Match of its current ETag → 304", func(t *target, w int) func() (request, int) {
		rng := rand.New(rand.NewPCG(uint64(w), 3))
		return func() (request, int) {
			i := rng.IntN(len(t.etags))
			return request{method: http.MethodGet, path: orgPath(t.orgs[i]), header: map[string]string{"If-None-Match": t.etags[i]}}, http.StatusNotModified
		}
	}},
	{"collection-page-1", "GET /api/organizations: the first page (30, by cursor; no count)", func(t *target, w int) func() (request, int) {
		return func() (request, int) {
			return request{method: http.MethodGet, path: "/api/organizations"}, http.StatusOK
		}
	}},
	{"collection-page-300", "GET /api/organizations?page=300: a deep numbered page, totalItems counted", func(t *target, w int) func() (request, int) {
		return func() (request, int) {
			return request{method: http.MethodGet, path: "/api/organizations?page=300"}, http.StatusOK
		}
	}},
	{"collection-cursor-300", "GET /api/organizations?cursor=…: the 300th page by cursor, as deep", func(t *target, w int) func() (request, int) {
		return func() (request, int) {
			return request{method: http.MethodGet, path: t.deepCursor}, http.StatusOK
		}
	}},
	{"members-by-org", "GET /api/members?organization={id}: a random organization's members", func(t *target, w int) func() (request, int) {
		rng := rand.New(rand.NewPCG(uint64(w), 4))
		return func() (request, int) {
			return request{method: http.MethodGet, path: "/api/members?organization=" + t.orgs[rng.IntN(len(t.orgs))].String()}, http.StatusOK
		}
	}},
	{"read-mostly", "GET item as above, but one request in 20 is the PATCH below: reads between writes", func(t *target, w int) func() (request, int) {
		rng := rand.New(rand.NewPCG(uint64(w), 6))
		get, patch := getItem(t, w), patchItem(t, w)
		return func() (request, int) {
			if rng.IntN(readsPerWrite) == 0 {
				return patch()
			}
			return get()
		}
	}},
	{"post", "POST /api/organizations: a new organization (its roles and owner too)", func(t *target, w int) func() (request, int) {
		return func() (request, int) {
			n := t.created.Add(1)
			return request{method: http.MethodPost, path: "/api/organizations", body: fmt.Sprintf(`{"name":"Bench %d","contact":{"email":"bench%d@orgraph.test"}}`, n, n),
				header: map[string]string{"Content-Type": "application/ld+json"}}, http.StatusCreated
		}
	}},
	{"patch", "PATCH /api/organizations/{id}: rename a random organization (merge patch)", patchItem},
}

// readsPerWrite: one write in 20 requests, the read-mostly scenario's mix.
const readsPerWrite = 20

func getItem(t *target, w int) func() (request, int) {
	rng := rand.New(rand.NewPCG(uint64(w), 2))
	return func() (request, int) {
		return request{method: http.MethodGet, path: orgPath(t.orgs[rng.IntN(len(t.orgs))])}, http.StatusOK
	}
}

func patchItem(t *target, w int) func() (request, int) {
	rng := rand.New(rand.NewPCG(uint64(w), 5))
	// The last organizations: the conditional GET's ETags stay valid.
	from := min(conditionalOrgs, len(t.orgs)-1)
	n := 0
	return func() (request, int) {
		n++
		id := t.orgs[from+rng.IntN(len(t.orgs)-from)]
		return request{method: http.MethodPatch, path: orgPath(id), body: fmt.Sprintf(`{"name":"Renamed %d-%d"}`, w, n),
			header: map[string]string{"Content-Type": "application/merge-patch+json"}}, http.StatusOK
	}
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		if s.name != baselineName {
			names = append(names, s.name)
		}
	}
	return names
}

func numCPU() int { return runtime.NumCPU() }
