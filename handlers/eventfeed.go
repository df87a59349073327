package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// listEvents serves the event feed: by cursor, newest first unless
// order[id]=asc; by numbered pages with a count when page= is sent.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodGet && wantsEventStream(r) {
		q, prob := hydra.Event.Resource.ParseQuery(r.URL.RawQuery)
		if prob != nil {
			return prob
		}
		f, err := eventFilter(q)
		if err != nil {
			return err
		}
		return s.streamEvents(w, r, f)
	}
	q, err := listQuery(r, hydra.Event)
	if err != nil {
		return err
	}
	f, err := eventFilter(q)
	if err != nil {
		return err
	}
	desc := true
	for _, o := range q.Order {
		if o.Property == "id" {
			desc = o.Desc
		}
	}
	c := callerOf(r)
	feed, node := s.orgs.Events(c, f), s.eventNodes(c)
	if q.Paged {
		return writePage(s, w, r, hydra.Event, q, feed.List(desc), eachNode(node))
	}
	from, forward, err := parseCursor(q.Cursor)
	if err != nil {
		return err
	}
	page := &hydra.Collection{Class: hydra.Event, Query: q, Requested: r.RequestURI}
	if q.ItemsPerPage > 0 {
		events, more, err := feed.Seek(r.Context(), from, forward, desc, q.ItemsPerPage)
		if err != nil {
			return err
		}
		for _, e := range events {
			page.Members = append(page.Members, node(e))
		}
		page.PreviousCursor, page.NextCursor = neighbours(events, from, forward, desc, more)
		// The first page, when it is the only one, counts the feed.
		page.Total, page.Counted = len(events), from == nil && !more
	}
	return s.writeCollection(w, r, page)
}

// neighbours are the cursors of a page's previous and next pages ("" for
// none). Toward older events a link is there when older events are: the
// read went on past the page, or started at a cursor that way. Toward
// newer events a non-empty page always links, since newer events may yet
// be recorded: that link is where a client polls. An empty page links
// back where it came from, and never to itself, so that a client that
// follows links to their end gets there.
func neighbours(events []*ent.Event, from *orgs.Position, forward, desc, more bool) (previous, next string) {
	if len(events) == 0 {
		// Nothing past the place that way: the page on the other side is
		// the feed's end that way, read from there (before the place
		// would leave the place itself out).
		switch {
		case from == nil:
		case forward:
			previous = endCursor(false)
		default:
			next = endCursor(true)
		}
		return previous, next
	}
	first, last := orgs.PositionOf(events[0]), orgs.PositionOf(events[len(events)-1])
	// Newer events come before the page when it is newest first.
	if desc || (forward && from != nil) || (!forward && more) {
		previous = cursor(first, false)
	}
	if !desc || (forward && more) || (!forward && from != nil) {
		next = cursor(last, true)
	}
	return previous, next
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return problems.NotFound()
	}
	c := callerOf(r)
	e, err := s.orgs.Event(r.Context(), c, id)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, s.eventNodes(c)(e))
}

// eventNodes renders events for a reader: an operator reads what an event
// carries for operators and webhook deliveries alone (an invitation's
// accept token, orgs.Caller.ShowsAcceptToken); a member never does.
func (s *Server) eventNodes(c orgs.Caller) func(*ent.Event) *hydra.Node {
	if c.ShowsAcceptToken() {
		return s.revealedEventNode
	}
	return eventNode
}

// revealedEventNode is an event's document with its sealed part opened
// into data: for operators and webhook deliveries. A part this server's
// secrets key cannot open (the key was changed) is left out, with a
// warning, rather than failing the read.
func (s *Server) revealedEventNode(e *ent.Event) *hydra.Node {
	n := eventNode(e)
	if len(e.Sealed) == 0 {
		return n
	}
	plain, err := s.secrets.Open(e.Sealed, orgs.SealedContext(e.Type, e.Organization))
	var hidden map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(plain, &hidden)
	}
	if err != nil {
		s.log.Warn("an event's sealed part does not open with this server's secrets key; it is left out", "event", e.ID, "error", err.Error())
		return n
	}
	return n.Set("data", withProperties(json.RawMessage(e.Data), hidden))
}

// withProperties adds properties to a JSON object (a document rendered by
// this server, so an object), in the order of their names.
func withProperties(object json.RawMessage, props map[string]json.RawMessage) json.RawMessage {
	body := bytes.TrimRight(object, " \t\r\n")
	if len(props) == 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return object
	}
	out := make([]byte, 0, len(body)+64)
	out = append(out, body[:len(body)-1]...)
	empty := len(bytes.TrimSpace(out)) == 1 // "{"
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if !empty {
			out = append(out, ',')
		}
		empty = false
		key, _ := json.Marshal(name)
		out = append(append(append(out, key...), ':'), props[name]...)
	}
	return append(out, '}')
}

// eventNode is an event's document as members read it.
func eventNode(e *ent.Event) *hydra.Node {
	n := hydra.NewNode(hydra.Event, hydra.Event.IRI(strconv.FormatInt(e.ID, 10))).
		Set("id", e.ID).
		Set("type", e.Type).
		Set("mode", string(e.Mode))
	if e.Organization != nil {
		n.Set("organization", hydra.Organization.IRI(e.Organization.String()))
	}
	actor := hydra.NewNode(hydra.EventActor, "").Set("type", string(e.ActorType))
	if e.ActorID != nil {
		switch e.ActorType.String() {
		case "user":
			actor.Set("user", hydra.User.IRI(e.ActorID.String()))
		case "operator":
			actor.Set("api_key", hydra.APIKey.IRI(e.ActorID.String()))
		}
	}
	n.Set("actor", actor).
		Set("request_id", e.RequestID).
		Set("data", json.RawMessage(e.Data))
	if len(e.Previous) > 0 {
		if previous, err := json.Marshal(e.Previous); err == nil {
			n.Set("previous_attributes", json.RawMessage(previous))
		}
	}
	return n.Set("created_at", e.CreatedAt)
}

// eventFilter reads the feed's filters: types (or prefixes, member.*), an
// organization, and created_at bounds.
func eventFilter(q hydra.Query) (orgs.EventFilter, error) {
	var f orgs.EventFilter
	for _, v := range q.Values["type"] {
		prefix, ok := orgs.ValidEventType(v)
		switch {
		case !ok:
			return f, problems.BadRequest(fmt.Sprintf("The \"type\" parameter takes event types (%s) or the prefix of a resource's types (%s); %q given.",
				strings.Join(orgs.EventTypes, ", "), strings.Join(hydra.PrefixValues(orgs.EventTypes), ", "), v))
		case prefix != "":
			f.Prefixes = append(f.Prefixes, prefix)
		default:
			f.Types = append(f.Types, v)
		}
	}
	var err error
	if f.Organization, _, err = filterID(q, "organization", hydra.Organization); err != nil {
		return f, err
	}
	for _, bound := range hydra.DateBounds {
		name := hydra.DateVariable("created_at", bound)
		v, ok := q.Filters[name]
		if !ok {
			continue
		}
		t, err := parseFilterTime(v)
		if err != nil {
			return f, problems.BadRequest(fmt.Sprintf("The %q parameter must be an RFC 3339 date-time (2026-01-15T10:30:00Z) or a date (2026-01-15), %q given.", name, v))
		}
		strictly := strings.HasPrefix(bound, "strictly_")
		if strings.HasSuffix(bound, "after") {
			f.Since, f.SinceStrictly = &t, strictly
		} else {
			f.Until, f.UntilStrictly = &t, strictly
		}
	}
	return f, nil
}

// parseFilterTime reads an RFC 3339 date-time, or a date (its midnight,
// UTC).
func parseFilterTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

// A cursor is a position in the feed and a direction, opaque to clients:
// "n" (the page after the position) or "p" (the page before it), the
// recording transaction and the id, base64url-encoded so that clients
// treat it as the token it is.
func cursor(p orgs.Position, forward bool) string {
	dir := "p"
	if forward {
		dir = "n"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(dir + "." + strconv.FormatInt(p.XID, 10) + "." + strconv.FormatInt(p.ID, 10)))
}

// endCursor is the page at an end of the feed: the first page read
// forward, or the last read backward.
func endCursor(forward bool) string {
	if forward {
		return base64.RawURLEncoding.EncodeToString([]byte("n"))
	}
	return base64.RawURLEncoding.EncodeToString([]byte("p"))
}

// parseCursor reads a cursor; "" is the start of the feed.
func parseCursor(c string) (from *orgs.Position, forward bool, err error) {
	if c == "" {
		return nil, true, nil
	}
	bad := hydra.BadCursor()
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, false, bad
	}
	if end := string(raw); end == "n" || end == "p" {
		return nil, end == "n", nil
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || (parts[0] != "n" && parts[0] != "p") {
		return nil, false, bad
	}
	xid, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || xid < 0 || id <= 0 {
		return nil, false, bad
	}
	return &orgs.Position{XID: xid, ID: id}, parts[0] == "n", nil
}
