package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/yosida95/uritemplate/v3"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// The Mercure hub (issue 20 item 5): API Platform Admin updates what it
// shows live through a Mercure hub, which API Platform runs as a separate
// server. Orgraph's events already are such a stream, so the hub is a
// route of the API: GET /.well-known/mercure?topic=… subscribes, as the
// Mercure specification's subscribers do, to updates of the resources the
// topics name (their IRIs; URI templates; * for all). An update is the
// resource's JSON-LD document after the change ({"@id": …} alone after a
// deletion), sent when the event of the change is recorded, to callers who
// may read the resource: members of its organization, whatever their
// role, and operators.
//
// Subscribers authenticate with Orgraph's own credentials, in any of the
// three places the specification names: the Authorization header, the
// authorization query parameter (for EventSource, which cannot send
// headers: API Platform Admin's hub option may carry it), or the
// mercureAuthorization cookie (what Admin's jwt option sets). Publishing
// is Orgraph's alone: the hub takes no POST.

// MercurePath is the hub's path, the one the specification reserves.
const MercurePath = "/.well-known/mercure"

// SubscriptionsPerCaller bounds the Mercure subscriptions one API key
// holds open at once. API Platform Admin opens one per record it shows (a
// list page of up to 50, and the record open beside it).
const SubscriptionsPerCaller = 64

// maxTopics bounds the topic selectors of one subscription.
const maxTopics = 32

// topicSelector is one topic of a subscription: an IRI, a URI template, or
// every topic.
type topicSelector struct {
	all      bool
	iri      string
	template *uritemplate.Template
}

func (t topicSelector) matches(iri string) bool {
	switch {
	case t.all:
		return true
	case t.template != nil:
		return t.template.Match(iri) != nil
	}
	return t.iri == iri
}

// parseTopics reads a subscription's topic selectors; relative IRIs are
// resolved against the server's base, as the resources' IRIs are.
func parseTopics(values []string, base string) ([]topicSelector, error) {
	if len(values) == 0 {
		return nil, problems.BadRequest("A subscription names at least one topic: topic=<a resource's IRI>, a URI template such as " +
			base + hydra.Organization.Resource.Item + "{id}, or * for every update you may read.")
	}
	if len(values) > maxTopics {
		return nil, problems.BadRequest(fmt.Sprintf("A subscription names at most %d topics, %d given.", maxTopics, len(values)))
	}
	selectors := make([]topicSelector, 0, len(values))
	for _, v := range values {
		switch {
		case v == "*":
			selectors = append(selectors, topicSelector{all: true})
		case strings.ContainsAny(v, "{}"):
			if strings.HasPrefix(v, "/") {
				v = base + v
			}
			t, err := uritemplate.New(v)
			if err != nil {
				return nil, problems.BadRequest(fmt.Sprintf("The topic %q is not a valid URI template (RFC 6570): %v.", clip(v, 256), err))
			}
			selectors = append(selectors, topicSelector{template: t})
		case strings.HasPrefix(v, "/"):
			selectors = append(selectors, topicSelector{iri: base + v})
		default:
			selectors = append(selectors, topicSelector{iri: v})
		}
	}
	return selectors, nil
}

// mercureSubscribe serves a Mercure subscription.
func (s *Server) mercureSubscribe(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	base := s.base(r)
	q := r.URL.Query()
	selectors, err := parseTopics(q["topic"], base)
	if err != nil {
		return err
	}
	feed := s.orgs.Updates(c)
	from, err := s.mercureStart(r.Context(), r, c, feed)
	if err != nil {
		return err
	}
	// The specification's reconciliation: the id of the last update before
	// this subscription, so that a client that fetched a resource first
	// can tell what it may have missed.
	if from != nil {
		w.Header().Set("Last-Event-ID", base+hydra.Event.IRI(strconv.FormatInt(from.ID, 10)))
	} else {
		w.Header().Set("Last-Event-ID", "earliest")
	}
	// Every subscription of a caller reads the same feed (topics are
	// matched afterwards, per subscription): they share its reads.
	owner := "mercure:" + streamOwner(c)
	return s.pump(w, r, owner, "Mercure subscriptions", SubscriptionsPerCaller, feed, owner+":"+c.Mode, from, func(buf []byte, e *ent.Event) []byte {
		id := documentIRI(e.Data)
		if id == "" {
			return buf
		}
		topic := base + id
		matched := false
		for _, t := range selectors {
			if matched = t.matches(topic); matched {
				break
			}
		}
		if !matched {
			return buf
		}
		buf = append(buf, "id: "...)
		buf = append(buf, base...)
		buf = append(buf, hydra.Event.IRI(strconv.FormatInt(e.ID, 10))...)
		buf = append(buf, "\ndata: "...)
		if strings.HasSuffix(e.Type, ".deleted") {
			// As API Platform publishes a deletion: the IRI alone.
			buf = append(buf, `{"@id":`...)
			buf = strconv.AppendQuote(buf, id)
			buf = append(buf, '}')
		} else {
			// One line: documents are rendered with their line breaks
			// escaped.
			buf = append(buf, e.Data...)
		}
		return append(buf, "\n\n"...)
	})
}

// mercureStart is where a subscription starts: after the update that
// Last-Event-ID (the header, or the lastEventID query parameter that the
// specification adds for clients that cannot send it) names, from the
// oldest kept update for "earliest", else from now. An id this hub does not
// know starts it now, as the specification allows.
func (s *Server) mercureStart(ctx context.Context, r *http.Request, c orgs.Caller, feed orgs.EventFeed) (*orgs.Position, error) {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("lastEventID")
	}
	if last == "earliest" {
		return nil, nil
	}
	if last != "" {
		if id, err := strconv.ParseInt(last[strings.LastIndexByte(last, '/')+1:], 10, 64); err == nil && id > 0 {
			if p, err := s.orgs.UpdatePosition(ctx, c, id); err == nil {
				return &p, nil
			}
		}
	}
	return feed.Newest(ctx)
}

// documentIRI is a rendered document's own @id: the first "@id" of the
// text, since the encoder writes @context, then @id, before any property.
func documentIRI(doc string) string {
	const key = `"@id":"`
	i := strings.Index(doc, key)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(key):]
	end := strings.IndexByte(rest, '"')
	if end < 0 || strings.ContainsRune(rest[:end], '\\') {
		return ""
	}
	return rest[:end]
}

// mercureLink is the hub's discovery link, sent with every answer when
// the hub is advertised (Config.Mercure).
func mercureLink(base string) string { return "<" + base + MercurePath + `>; rel="mercure"` }
