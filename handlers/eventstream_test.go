package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/handlers"
)

// The live stream (issue 20 item 4): Server-Sent Events of the feed, with
// its filters and visibility, resumable with Last-Event-ID, across
// replicas, with heartbeats and a bound on the streams of one key.

// sseEvent is one event read off a stream.
type sseEvent struct {
	id, typ string
	data    map[string]any
}

// sseStream is an open stream: its events arrive on events; comments
// (heartbeats) on comments.
type sseStream struct {
	events   chan sseEvent
	comments chan string
	close    func()
	resp     *http.Response
}

// openStream opens the live stream at path (a query of /api/events) as
// key, after lastID when not empty.
func openStream(t *testing.T, base, key, path, lastID string) (*sseStream, *http.Response) {
	t.Helper()
	header := map[string]string{"Authorization": "Bearer " + key}
	if lastID != "" {
		header["Last-Event-ID"] = lastID
	}
	return openStreamAt(t, base+path, header)
}

// openStreamAt opens a stream of Server-Sent Events at url with the
// headers given.
func openStreamAt(t *testing.T, url string, header map[string]string) (*sseStream, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rq, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	rq.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		rq.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(rq)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		return nil, resp
	}
	s := &sseStream{events: make(chan sseEvent, 1000), comments: make(chan string, 100), resp: resp}
	s.close = func() { cancel(); resp.Body.Close() }
	t.Cleanup(s.close)
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.id != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				select {
				case s.comments <- line:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(line[6:]), &ev.data); err != nil {
					ev.data = map[string]any{"unparsable": line}
				}
			}
		}
	}()
	return s, resp
}

// next is the next event of the stream, or a failure after 5 s.
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

// quiet fails if the stream sends an event within d.
func (s *sseStream) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-s.events:
		t.Fatalf("unexpected event %s %s", ev.id, ev.typ)
	case <-time.After(d):
	}
}

// workspaceEventIDs are the ids of the workspace.created events, in the
// feed's order.
func workspaceEventIDs(t *testing.T, e *env) []string {
	t.Helper()
	evs, err := e.db.Event.Query().Where(event.Type("workspace.created")).
		Order(event.ByXid(), event.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = fmt.Sprint(ev.ID)
	}
	return ids
}

func TestEventStream(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		dave := e.key("dave@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		other := pmS(e.createOrg(dave, `{"name": "Other"}`)["@id"])
		add := func(org, key, name string) {
			evMade(t, pmPost(e, "/api/workspaces", key, `{"organization": "`+org+`", "name": "`+name+`"}`))
		}
		const wsOnly = "/api/events?type=workspace.created"
		all, _ := openStream(t, e.srv.URL, ada, wsOnly, "")
		daves, _ := openStream(t, e.srv.URL, dave, wsOnly, "")
		if ct := all.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("Content-Type %q", ct)
		}
		for i := range 5 {
			add(acme, ada, fmt.Sprint("w", i))
		}
		want := workspaceEventIDs(t, e)
		var got []string
		for range 3 {
			ev := all.next(t)
			if ev.typ != "workspace.created" || pmS(ev.data["@type"]) != "Event" || pmS(ev.data["@context"]) != "/api/contexts/Event" ||
				pmS(ev.data["id"]) != ev.id || pmS(pmObj(ev.data["data"])["@type"]) != "Workspace" {
				t.Fatalf("event %+v", ev)
			}
			got = append(got, ev.id)
		}
		// Dropped after three, resumed from the third: the rest once, and
		// what was recorded meanwhile.
		all.close()
		add(acme, ada, "w5")
		add(acme, ada, "w6")
		resumed, _ := openStream(t, e.srv.URL, ada, wsOnly, got[2])
		for range 4 {
			got = append(got, resumed.next(t).id)
		}
		want = workspaceEventIDs(t, e)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("read %v across a reconnection, want %v", got, want)
		}
		resumed.quiet(t, 600*time.Millisecond)

		// Another tenant's stream shows none of Acme's events; its own, yes.
		add(other, dave, "mine")
		if ev := daves.next(t); pmS(ev.data["organization"]) != other {
			t.Fatalf("dave's stream shows %+v, want his own workspace first", ev)
		}
		daves.quiet(t, 300*time.Millisecond)

		// A filter holds: an organization.updated stream skips workspaces.
		updates, _ := openStream(t, e.srv.URL, ada, "/api/events?type=organization.*&organization="+pmIDOf(acme).String(), "")
		add(acme, ada, "w7")
		if r := e.do(req{Method: http.MethodPatch, Path: acme, Key: ada, Body: `{"name": "Acme 2"}`,
			Header: map[string]string{"Content-Type": "application/merge-patch+json"}}); r.Status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		if ev := updates.next(t); ev.typ != "organization.updated" {
			t.Fatalf("filtered stream: %+v", ev)
		}

		// Bad starts are problems, before any stream opens: an id that is
		// none, or names no event the caller can read (another tenant's).
		for _, c := range []struct {
			key, lastID string
			status      int
		}{{dave, "x", 400}, {dave, "999999", 400}, {dave, want[0], 400}, {ada, want[0], 200}} {
			s, resp := openStream(t, e.srv.URL, c.key, wsOnly, c.lastID)
			if resp.StatusCode != c.status {
				t.Errorf("Last-Event-ID %q: %d, want %d", c.lastID, resp.StatusCode, c.status)
			}
			if s != nil {
				s.close()
			}
		}
		if _, resp := openStream(t, e.srv.URL, ada, "/api/events?type=nope", ""); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a stream with a bad filter: %d", resp.StatusCode)
		}
	})
}

// TestEventStreamBoundsAndHeartbeats: an idle stream sends heartbeats; a
// key holds at most handlers.StreamsPerCaller streams, and closing one
// frees its place.
func TestEventStreamBoundsAndHeartbeats(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Limiter: unlimited, StreamHeartbeat: 50 * time.Millisecond}))
	t.Cleanup(srv.Close)
	ada := e.key("ada@example.com", "live", "write")
	var open []*sseStream
	for range handlers.StreamsPerCaller {
		s, resp := openStream(t, srv.URL, ada, "/api/events", "")
		if s == nil {
			t.Fatalf("stream %d: %d", len(open)+1, resp.StatusCode)
		}
		open = append(open, s)
	}
	select {
	case c := <-open[0].comments:
		if c != ": heartbeat" {
			t.Errorf("comment %q", c)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no heartbeat within 2 s")
	}
	_, resp := openStream(t, srv.URL, ada, "/api/events", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "event streams") {
		t.Fatalf("one stream too many: %d %s", resp.StatusCode, body)
	}
	open[0].close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, resp := openStream(t, srv.URL, ada, "/api/events", "")
		if s != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a stream closed does not free its place: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Another key is not bounded by ada's streams.
	if s, resp := openStream(t, srv.URL, e.key("bob@example.com", "live", "write"), "/api/events", ""); s == nil {
		t.Fatalf("bob's first stream: %d", resp.StatusCode)
	}
}

// TestEventStreamAcrossReplicas: a stream on one replica receives the
// events committed through another.
func TestEventStreamAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	a, b := newEnv(t, dsn), newEnv(t, dsn)
	ada := a.key("ada@example.com", "live", "write")
	acme := pmS(a.createOrg(ada, `{"name": "Acme"}`)["@id"])
	s, resp := openStream(t, b.srv.URL, ada, "/api/events?type=workspace.*", "")
	if s == nil {
		t.Fatalf("stream on b: %d", resp.StatusCode)
	}
	for i := range 3 {
		evMade(t, pmPost(a, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "w`+fmt.Sprint(i)+`"}`))
	}
	want := workspaceEventIDs(t, a)
	for i := range 3 {
		if ev := s.next(t); ev.id != want[i] {
			t.Fatalf("event %d on the other replica: %s, want %s", i, ev.id, want[i])
		}
	}
}
