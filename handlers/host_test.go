package handlers_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/store"
	"github.com/orgraph/orgraph/swaggerui"
)

// rawGet sends a GET with a Host header of its own, byte for byte (Go's
// client would refuse some of the hosts under test).
func rawGet(t *testing.T, addr, path, host string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// Without --base-url the server builds absolute URLs from the Host header:
// it takes a host name or address with a port only (no text that could
// end a header parameter or a policy directive), and lets no shared cache
// keep the documents that name it.
func TestHostHeaderIsNotReflected(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, host := range []string{`evil.test;script-src`, `evil.test,other.test`, `evil.test'`, `evil.test=x`, `evil.test(x)`, `-evil.test`, `evil.test:99999x`} {
		for _, path := range []string{"/api/docs.json", "/docs", "/nowhere"} {
			res := rawGet(t, addr, path, host)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode < 400 || strings.Contains(res.Header.Get("Content-Security-Policy"), "evil") ||
				strings.Contains(res.Header.Get("Link"), "evil") || strings.Contains(res.Header.Get("Cache-Control"), "public") {
				t.Errorf("Host %q, GET %s: %d CSP %q Link %q Cache-Control %q", host, path, res.StatusCode,
					res.Header.Get("Content-Security-Policy"), res.Header.Get("Link"), res.Header.Get("Cache-Control"))
			}
			if !strings.Contains(string(body), "The Host header must be a host name or an IP address") { // ours, not net/http's
				t.Errorf("Host %q: %s", host, body)
			}
		}
	}
	for _, host := range []string{"api.example.com", "api.example.com:8443", "127.0.0.1:9", "[::1]:8080", "orgraph_api:8080"} {
		res := rawGet(t, addr, "/api/docs.json", host)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Link"), "<http://"+host+"/api/docs.jsonld>") ||
			res.Header.Get("Cache-Control") != "private, max-age=300" {
			t.Errorf("Host %q: %d Link %q Cache-Control %q", host, res.StatusCode, res.Header.Get("Link"), res.Header.Get("Cache-Control"))
		}
	}

	// With --base-url the Host header is not read, and the documents may be
	// kept by shared caches.
	srv := serverWith(t, handlers.Config{BaseURL: "https://api.example.com"})
	res := rawGet(t, strings.TrimPrefix(srv.URL, "http://"), "/api/docs.json", `evil.test;x`)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "public, max-age=300" || !strings.Contains(res.Header.Get("Link"), "<https://api.example.com/api/docs.jsonld>") {
		t.Errorf("with a base URL: %d %q %q", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Link"))
	}
}

// A base URL is a scheme and a host; the Swagger page's policy takes the
// origin of one and nothing else.
func TestBaseURLsAndPolicies(t *testing.T) {
	for base, ok := range map[string]bool{
		"https://api.example.com": true, "http://127.0.0.1:8080": true, "https://api.example.com/": true, "http://[::1]:8080": true,
		"api.example.com": false, "ftp://api.example.com": false, "https://api.example.com/v1": false, "https://u:p@api.example.com": false,
		"https://api.example.com?x=1": false, "https://evil.test;script-src": false, "https://": false,
	} {
		if err := handlers.CheckBaseURL(base); (err == nil) != ok {
			t.Errorf("CheckBaseURL(%q) = %v", base, err)
		}
	}
	if p := swaggerui.SecurityPolicy("https://x.test; script-src *"); strings.Contains(p, "x.test") || strings.Contains(p, "script-src *") {
		t.Errorf("policy %q", p)
	}
	if p := swaggerui.SecurityPolicy("https://api.example.com:8443"); !strings.Contains(p, "connect-src 'self' https://api.example.com:8443;") {
		t.Errorf("policy %q", p)
	}
}

// A request's own text is bounded in its access-log line: a 60 KB path of
// raw bytes (each written by the JSON log as a six-byte escape) and a long
// invented method make a line of a few kilobytes, not hundreds.
func TestAccessLogLinesAreBounded(t *testing.T) {
	var buf testenv.Buffer
	srv := serverWith(t, handlers.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	target := "/" + strings.Repeat("\xff", 60000)
	if _, err := io.WriteString(conn, strings.Repeat("X", 4000)+" "+target+" HTTP/1.1\r\nHost: a.test\r\nX-Request-ID: long-line\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var line string
	for wait := 0; line == "" && wait < 200; wait++ { // the line follows the answer's last byte
		time.Sleep(10 * time.Millisecond)
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, `"request_id":"long-line"`) && strings.Contains(l, `"msg":"request"`) {
				line = l
			}
		}
	}
	if line == "" || len(line) > 4096 {
		t.Errorf("status %d; the access-log line holds %d bytes", res.StatusCode, len(line))
	}
}

// A refused Host is logged like any answer, and its detail quotes at most
// the first 255 bytes of the header.
func TestRefusedHostsAreLoggedAndClipped(t *testing.T) {
	var buf testenv.Buffer
	srv := serverWith(t, handlers.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	res := rawGet(t, strings.TrimPrefix(srv.URL, "http://"), "/api", "evil;"+strings.Repeat("a", 20000))
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || len(body) > 1500 {
		t.Errorf("%d, %d bytes: %.300s", res.StatusCode, len(body), body)
	}
	id := res.Header.Get("X-Request-Id")
	for wait := 0; !strings.Contains(buf.String(), `"request_id":"`+id+`"`) && wait < 200; wait++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(buf.String(), `"request_id":"`+id+`","method":"GET","path":"/api","route":"","status":400`) {
		t.Errorf("no access-log line for the refused Host: %.500s", buf.String())
	}
}

// serverWith starts a server on a fresh SQLite file with a configuration
// of the test's own (cfg.DB is set here; no rate limits unless cfg says).
func serverWith(t *testing.T, cfg handlers.Config) *httptest.Server {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.DB = db
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Limiter == nil {
		cfg.Limiter = unlimited
	}
	srv := httptest.NewServer(handlers.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}
