package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// pgProxy stands between orgraph and PostgreSQL so that a test can take the
// database away and bring it back: while cut, open connections are reset
// and new ones are closed at once, which is what a client of a stopped
// PostgreSQL sees, without stopping the machine's PostgreSQL under the other
// tests.
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *pgProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *pgProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

// With PostgreSQL gone, requests that need it fail fast with 503 problems
// (never 500, nothing half-written), /readyz says not ready and /healthz
// stays up; when it returns, the same process serves again.
func TestServeSurvivesADatabaseOutage(t *testing.T) {
	direct := postgresDSN(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	proxied := u.String()

	key := newKey(t, direct, "ada@example.com")
	s := startServerWith(t, proxied, nil)
	client := &http.Client{Timeout: 15 * time.Second}
	send := func(method, path, body string, header ...string) (int, http.Header, map[string]any, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			ct := "application/ld+json"
			if method == http.MethodPatch {
				ct = "application/merge-patch+json"
			}
			req.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var doc map[string]any
		json.NewDecoder(res.Body).Decode(&doc)
		return res.StatusCode, res.Header, doc, time.Since(start)
	}

	status, _, org, _ := send(http.MethodPost, "/api/organizations", `{"name":"Before"}`)
	if status != http.StatusCreated {
		t.Fatalf("create before the outage: %d %v", status, org)
	}
	item := org["@id"].(string)

	proxy.setCut(true)
	requests := []struct {
		method, path, body string
		header             []string
	}{
		{http.MethodGet, "/api/organizations", "", nil},
		{http.MethodGet, item, "", nil},
		{http.MethodGet, "/api/me", "", nil},
		{http.MethodPost, "/api/organizations", `{"name":"During"}`, nil},
		{http.MethodPost, "/api/organizations", `{"name":"During"}`, []string{"Idempotency-Key", "outage-1"}},
		{http.MethodPatch, item, `{"name":"During"}`, nil},
		{http.MethodDelete, item, "", nil},
	}
	for round := range 3 {
		for _, rq := range requests {
			status, header, doc, took := send(rq.method, rq.path, rq.body, rq.header...)
			if rq.path == "/api/me" && status == http.StatusOK && doc["@type"] == "User" {
				// The caller, from the key cache (store.Authenticate keeps a
				// key two seconds): /api/me reads nothing else.
				continue
			}
			if status != http.StatusServiceUnavailable || doc["detail"] != "The database is not reachable." || header.Get("Retry-After") == "" ||
				!strings.HasPrefix(header.Get("Content-Type"), "application/problem+json") || doc["request_id"] != header.Get("X-Request-Id") {
				t.Errorf("round %d, %s %s during the outage: %d %v (Retry-After %q)", round, rq.method, rq.path, status, doc, header.Get("Retry-After"))
			}
			if took > 6*time.Second {
				t.Errorf("%s %s took %v to fail: want about the 5 s connect timeout at most", rq.method, rq.path, took)
			}
			t.Logf("round %d: %s %s → %d in %v", round, rq.method, rq.path, status, took.Round(time.Millisecond))
		}
		if status, _, _, _ := send(http.MethodGet, "/readyz", ""); status != http.StatusServiceUnavailable {
			t.Errorf("/readyz during the outage: %d", status)
		}
		if status, _, _, _ := send(http.MethodGet, "/healthz", ""); status != http.StatusOK {
			t.Errorf("/healthz during the outage: %d", status)
		}
		if status, _, _, _ := send(http.MethodGet, "/api/docs.jsonld", ""); status != http.StatusOK {
			t.Errorf("the API documentation needs no database: %d", status)
		}
	}

	proxy.setCut(false)
	recovered := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if status, _, _, _ := send(http.MethodGet, "/readyz", ""); status == http.StatusOK {
			recovered = true
			break
		}
	}
	if !recovered {
		t.Fatal("/readyz did not recover after the database came back")
	}
	if status, _, doc, _ := send(http.MethodGet, item, ""); status != http.StatusOK || doc["name"] != "Before" {
		t.Errorf("after the outage: %d %v (want the organization unchanged)", status, doc)
	}
	status, _, list, _ := send(http.MethodGet, "/api/organizations?name=During", "")
	if status != http.StatusOK || list["totalItems"] != float64(0) {
		t.Errorf("writes refused during the outage left something: %d %v", status, list)
	}
	if status, _, doc, _ := send(http.MethodPost, "/api/organizations", `{"name":"During"}`, "Idempotency-Key", "outage-1"); status != http.StatusCreated {
		t.Errorf("the retry of a write refused during the outage: %d %v", status, doc)
	}
	select {
	case err := <-s.done:
		t.Fatalf("the server exited: %v", err)
	default:
	}
	s.stop(t)
}
