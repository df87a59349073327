package handlers

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// The live stream: GET /api/events with Accept: text/event-stream streams
// the feed's new events as Server-Sent Events, with the feed's filters and
// visibility, in its order, resumable with Last-Event-ID.
//
// Every replica reads the same database, so a stream on one replica sees
// the events committed on any other. What wakes a stream is the replica's
// tail watcher: while any stream is open, it reads the newest shown event
// of each mode every TailPeriod (two indexed reads of one row), and wakes
// every stream when it moves; each stream then reads its own feed from
// where it stands. No write pays for it: PostgreSQL's NOTIFY would take a
// database-wide lock at every writer's commit, the price the outbox's
// numbering was designed to avoid (docs/api.md).

// TailPeriod bounds how long an event takes to reach the streams of any
// replica once the feed shows it.
const TailPeriod = 250 * time.Millisecond

// HeartbeatPeriod is how often an idle stream sends a comment, so that
// proxies and clients know it is alive.
const HeartbeatPeriod = 15 * time.Second

// StreamsPerCaller bounds the streams one API key (or one user, for
// tokens) holds open at once.
const StreamsPerCaller = 5

// eventsPerWrite bounds the events one read of a stream writes.
const eventsPerWrite = 100

// tail wakes the live streams when the feed moves.
type tail struct {
	svc *orgs.Service
	log func(msg string, err error)

	mu         sync.Mutex
	changed    chan struct{} // closed when a head moves, then replaced
	generation uint64        // how many times it was: which wait a read belongs to
	streams    int
	running    bool
	open       map[string]int // streams by caller
}

func newTail(svc *orgs.Service, log func(string, error)) *tail {
	return &tail{svc: svc, log: log, changed: make(chan struct{}), open: map[string]int{}}
}

// acquire opens a stream for a caller, at most limit at once,
// and starts the watcher with the first stream.
func (t *tail) acquire(caller string, limit int) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open[caller] >= limit {
		return nil, false
	}
	t.open[caller]++
	t.streams++
	if !t.running {
		t.running = true
		go t.watch()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.streams--
			if t.open[caller]--; t.open[caller] == 0 {
				delete(t.open, caller)
			}
		})
	}, true
}

// wait is what closes when the feed moves next, and the generation it
// ends.
func (t *tail) wait() (<-chan struct{}, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed, t.generation
}

func (t *tail) wake() {
	t.mu.Lock()
	defer t.mu.Unlock()
	close(t.changed)
	t.changed = make(chan struct{})
	t.generation++
}

// sharedReads lets the subscriptions of one caller to one feed (an Admin
// page subscribes once per record it shows) share each read of it: when
// the feed moves, they all wake at once and would each read the same
// events from the same place. The first to read keeps what it read, under
// the tail's generation and the position it read from, and the others
// take it. A read kept in a generation may miss an event committed after
// it; that event moves the head, which starts a new generation and a new
// read, so the sharer sees it within TailPeriod, never loses it.
type sharedReads struct {
	mu    sync.Mutex
	byKey map[string]*sharedRead
}

type sharedRead struct {
	mu     sync.Mutex // held during a read, so that the others wait for it
	users  int        // the subscriptions sharing it (guarded by sharedReads.mu)
	kept   bool
	gen    uint64
	from   *orgs.Position
	events []*ent.Event
	more   bool
}

// join is the shared read of key, for one more subscription; leave when it
// ends.
func (r *sharedReads) join(key string) (read *sharedRead, leave func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = map[string]*sharedRead{}
	}
	read = r.byKey[key]
	if read == nil {
		read = &sharedRead{}
		r.byKey[key] = read
	}
	read.users++
	return read, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if read.users--; read.users == 0 {
			delete(r.byKey, key)
		}
	}
}

// seek reads the feed's next events after from, or takes those another
// sharer read from the same place in the same generation. The events are
// shared: nobody changes them.
func (read *sharedRead) seek(ctx context.Context, feed orgs.EventFeed, gen uint64, from *orgs.Position) ([]*ent.Event, bool, error) {
	read.mu.Lock()
	defer read.mu.Unlock()
	if read.kept && read.gen == gen && samePosition(read.from, from) {
		return read.events, read.more, nil
	}
	events, more, err := feed.Seek(ctx, from, true, false, eventsPerWrite)
	if err != nil {
		read.kept = false
		return nil, false, err
	}
	read.kept, read.gen, read.from, read.events, read.more = true, gen, from, events, more
	return events, more, nil
}

func samePosition(a, b *orgs.Position) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// watch reads the heads every TailPeriod while streams are open.
func (t *tail) watch() {
	ticker := time.NewTicker(TailPeriod)
	defer ticker.Stop()
	heads := map[string]orgs.Position{}
	for range ticker.C {
		t.mu.Lock()
		if t.streams == 0 {
			t.running = false
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		moved := false
		for _, mode := range []string{"live", "test"} {
			ctx, cancel := context.WithTimeout(context.Background(), TailPeriod*4)
			head, err := t.svc.Head(ctx, mode)
			cancel()
			if err != nil {
				t.log("reading the newest event failed; the streams wait for the next read", err)
				continue
			}
			if head != heads[mode] {
				heads[mode], moved = head, true
			}
		}
		if moved {
			t.wake()
		}
	}
}

// wantsEventStream says whether the request asks for Server-Sent Events:
// its Accept names text/event-stream with a weight above zero.
func wantsEventStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "text/event-stream" {
			continue
		}
		if q, ok := params["q"]; ok {
			if w, err := strconv.ParseFloat(q, 64); err != nil || w <= 0 {
				continue
			}
		}
		return true
	}
	return false
}

// streamOwner is who a stream counts against: the key, or the user of a
// token.
func streamOwner(c orgs.Caller) string {
	if c.Key != nil {
		return "key:" + c.Key.ID.String()
	}
	return "user:" + c.User.ID.String()
}

// streamEvents serves the live stream of the feed f for the request's
// caller, from after Last-Event-ID, else from now.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, f orgs.EventFilter) error {
	c := callerOf(r)
	feed := s.orgs.Events(c, f)
	node := s.eventNodes(c)
	from, err := s.streamStart(r.Context(), r, c, feed)
	if err != nil {
		return err
	}
	return s.pump(w, r, streamOwner(c), "event streams", StreamsPerCaller, feed, "", from, func(buf []byte, e *ent.Event) []byte {
		n := node(e)
		n.Context = hydra.ContextsPath + hydra.Event.Name
		buf = append(buf, "id: "...)
		buf = strconv.AppendInt(buf, e.ID, 10)
		buf = append(buf, "\nevent: "...)
		buf = append(buf, e.Type...)
		buf = append(buf, "\ndata: "...)
		buf = n.AppendJSON(buf, hydra.LinkedData) // one line: the encoder escapes line breaks
		return append(buf, "\n\n"...)
	})
}

// pump streams a feed's events from after from as Server-Sent Events, each
// as frame appends it (nothing: the event is not this stream's), until the
// client leaves or the server stops. It is the live stream's loop and the
// Mercure hub's: one bound on open streams per caller, one watcher of the
// feed's head, heartbeats.
//
// Streams of one owner with the same shared key (non-empty: the same feed,
// Mercure's) share their reads of it (sharedReads).
func (s *Server) pump(w http.ResponseWriter, r *http.Request, owner, what string, limit int, feed orgs.EventFeed, shared string, from *orgs.Position, frame func(buf []byte, e *ent.Event) []byte) error {
	ctx := r.Context()
	release, ok := s.tail.acquire(owner, limit)
	if !ok {
		return problems.New(http.StatusTooManyRequests, fmt.Sprintf("At most %d %s may be open at once for one API key: close one first.", limit, what))
	}
	defer release()
	seek := func(gen uint64, from *orgs.Position) ([]*ent.Event, bool, error) {
		return feed.Seek(ctx, from, true, false, eventsPerWrite)
	}
	if shared != "" {
		read, leave := s.sharedReads.join(shared)
		defer leave()
		seek = func(gen uint64, from *orgs.Position) ([]*ent.Event, bool, error) {
			return read.seek(ctx, feed, gen, from)
		}
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts longer than any answer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies that buffer answers must not hold events
	w.WriteHeader(http.StatusOK)
	// Clients reconnect after two seconds, sending the last id they read.
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	heartbeat := time.NewTicker(s.heartbeat)
	defer heartbeat.Stop()
	buf := make([]byte, 0, 4096)
	for {
		// Taken before reading, so that an event shown during the read
		// wakes the next wait.
		moved, gen := s.tail.wait()
		for {
			events, more, err := seek(gen, from)
			if err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "an event stream failed to read the feed; the client reconnects", "error", err.Error())
				}
				return nil
			}
			for _, e := range events {
				if buf = frame(buf[:0], e); len(buf) == 0 {
					continue
				}
				if _, err := w.Write(buf); err != nil {
					return nil
				}
			}
			if len(events) > 0 {
				last := orgs.PositionOf(events[len(events)-1])
				from = &last
				if err := rc.Flush(); err != nil {
					return nil
				}
			}
			if !more {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.stopStreams:
			return nil
		case <-moved:
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}

// streamStart is where a stream starts: after the event Last-Event-ID
// names (which the caller must be able to read), else after the newest
// event of the feed.
func (s *Server) streamStart(ctx context.Context, r *http.Request, c orgs.Caller, feed orgs.EventFeed) (*orgs.Position, error) {
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		id, err := strconv.ParseInt(last, 10, 64)
		if err != nil || id <= 0 {
			return nil, problems.BadRequest(fmt.Sprintf("The Last-Event-ID header must be the id of an event, %q given.", last))
		}
		e, err := s.orgs.Event(ctx, c, id)
		if errors.Is(err, orgs.ErrNotFound) {
			return nil, problems.BadRequest(fmt.Sprintf("The Last-Event-ID header names no event you can read (%d): it may be past its retention; read the feed to catch up.", id))
		}
		if err != nil {
			return nil, err
		}
		p := orgs.PositionOf(e)
		return &p, nil
	}
	return feed.Newest(ctx)
}

// StopStreams ends every live stream, so that a shutdown does not wait for
// clients that never hang up (they reconnect to another replica).
func (s *Server) StopStreams() { s.stopOnce.Do(func() { close(s.stopStreams) }) }
