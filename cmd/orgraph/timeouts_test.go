package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A slow client cannot hold a connection: these drive the real binary over
// raw TCP with short timeouts set by flag.

func dialServer(t *testing.T, s *server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readAll reads until the server closes the connection (or 10 s pass).
func readAll(conn net.Conn) (string, error) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	return string(b), err
}

// Headers trickled one line every 50 ms are cut off at --read-header-timeout.
func TestServeCutsOffSlowHeaders(t *testing.T) {
	s := startServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), []string{"--read-header-timeout", "300ms"})
	s.waitForKey(t)
	conn := dialServer(t, s)
	start := time.Now()
	fmt.Fprint(conn, "GET /api HTTP/1.1\r\nHost: orgraph\r\n")
	closed := make(chan string, 1)
	go func() {
		out, _ := readAll(conn)
		closed <- out
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case out := <-closed:
			elapsed := time.Since(start)
			if elapsed < 250*time.Millisecond || elapsed > 3*time.Second {
				t.Errorf("connection closed after %v, want about 300ms", elapsed)
			}
			if out != "" {
				t.Errorf("a request with unfinished headers got an answer: %q", out)
			}
			return
		case <-tick.C:
			if time.Since(start) > 8*time.Second {
				t.Fatal("the server kept a trickling client for 8 s")
			}
			fmt.Fprint(conn, "X-Slow: yes\r\n") // errors once closed; the reader reports
		}
	}
}

// A body trickled past --read-timeout ends in a 400, and nothing is written.
func TestServeCutsOffSlowBodies(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	s := startServerWith(t, db, []string{"--read-timeout", "500ms"})
	key := s.waitForKey(t)
	conn := dialServer(t, s)
	body := `{"name":"Slow body"}` + strings.Repeat(" ", 180)
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/organizations HTTP/1.1\r\nHost: orgraph\r\nAuthorization: Bearer %s\r\nContent-Type: application/ld+json\r\nContent-Length: %d\r\n\r\n", key, len(body))
	answered := make(chan string, 1)
	go func() {
		out, _ := readAll(conn)
		answered <- out
	}()
	var out string
	for i := 0; ; i++ {
		select {
		case out = <-answered:
		case <-time.After(100 * time.Millisecond):
			if i*5 < len(body) {
				conn.Write([]byte(body[i*5 : min(len(body), i*5+5)]))
			}
			if time.Since(start) > 8*time.Second {
				t.Fatal("the server kept a trickling client for 8 s")
			}
			continue
		}
		break
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("answered after %v, want about 500ms", elapsed)
	}
	res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("no HTTP answer: %v (%q)", err, out)
	}
	var problem map[string]any
	json.NewDecoder(res.Body).Decode(&problem)
	if res.StatusCode != http.StatusBadRequest || problem["detail"] != "The request body could not be read." {
		t.Errorf("slow body: %d %v", res.StatusCode, problem)
	}
	if n := countOrganizations(t, s, key, "Slow body"); n != 0 {
		t.Errorf("%d organizations written from a body that never arrived", n)
	}
}

// SIGTERM with a request in flight: the listener closes at once, the
// request finishes (201) and is kept, then the process exits 0.
func TestServeDrainsInFlightRequestsOnSIGTERM(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	s := startServer(t, db)
	key := s.waitForKey(t)
	conn := dialServer(t, s)
	body := `{"name":"Drained"}`
	fmt.Fprintf(conn, "POST /api/organizations HTTP/1.1\r\nHost: orgraph\r\nAuthorization: Bearer %s\r\nContent-Type: application/ld+json\r\nContent-Length: %d\r\n\r\n%s", key, len(body), body[:5])
	time.Sleep(200 * time.Millisecond) // the server is reading the body

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the request drains.
	refused := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("the listener stayed open after SIGTERM")
	}
	select {
	case err := <-s.done:
		t.Fatalf("the server exited (%v) with a request in flight", err)
	default:
	}
	conn.Write([]byte(body[5:]))
	out, _ := readAll(conn)
	res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), nil)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight request: %v %q", err, out)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after draining: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after the last request finished")
	}

	s = startServer(t, db)
	if n := countOrganizations(t, s, key, "Drained"); n != 1 {
		t.Errorf("after restart: %d organizations named Drained, want 1", n)
	}
	s.stop(t)
}

func countOrganizations(t *testing.T, s *server, key, name string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/organizations?name="+strings.ReplaceAll(name, " ", "%20"), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Total int `json:"totalItems"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %v", res.StatusCode, err)
	}
	return page.Total
}
