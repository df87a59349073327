package orgs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
)

// The event feed. Owners and admins (the roles holding events:read) read
// the events of their organizations in their mode; an operator reads every
// event of its mode, those of no organization too (users, API keys). The
// feed's order is its Position: on SQLite the id, on PostgreSQL the
// recording transaction's xid, then the id (ent/schema/event.go), read
// only below the horizon that makes what was read final.

// Position is an event's place in the feed.
type Position struct{ XID, ID int64 }

// PositionOf is an event's place in the feed.
func PositionOf(e *ent.Event) Position { return Position{XID: e.Xid, ID: e.ID} }

// EventFilter narrows the feed. Types match exactly, Prefixes ("member.")
// every type that begins with one; both empty, every type. Organization,
// when not uuid.Nil, is one organization. Since and Until, when not nil,
// bound created_at, inclusive unless the matching Strictly is set.
type EventFilter struct {
	Types, Prefixes              []string
	Organization                 uuid.UUID
	Since, Until                 *time.Time
	SinceStrictly, UntilStrictly bool
}

// EventFeed is the feed as one caller reads it through one filter.
type EventFeed struct {
	s *Service
	// in reads the feed in a transaction (nil: through the pool).
	in   *ent.Client
	c    Caller
	f    EventFilter
	pred []predicate.Event
}

// Events is the feed the caller may read, narrowed by f.
func (s *Service) Events(c Caller, f EventFilter) EventFeed {
	feed := EventFeed{s: s, c: c, f: f}
	feed.pred = append(feed.pred, eventModeIs(c.Mode), s.eventsVisible(c))
	if len(f.Types) > 0 || len(f.Prefixes) > 0 {
		feed.pred = append(feed.pred, eventTypeIn(f.Types, f.Prefixes))
	}
	if f.Organization != uuid.Nil {
		feed.pred = append(feed.pred, eventOrganizationIs(f.Organization))
	}
	switch {
	case f.Since != nil && f.SinceStrictly:
		feed.pred = append(feed.pred, event.CreatedAtGT(*f.Since))
	case f.Since != nil:
		feed.pred = append(feed.pred, event.CreatedAtGTE(*f.Since))
	}
	switch {
	case f.Until != nil && f.UntilStrictly:
		feed.pred = append(feed.pred, event.CreatedAtLT(*f.Until))
	case f.Until != nil:
		feed.pred = append(feed.pred, event.CreatedAtLTE(*f.Until))
	}
	return feed
}

func eventModeIs(mode string) predicate.Event          { return event.ModeEQ(event.Mode(mode)) }
func eventOrganizationIs(id uuid.UUID) predicate.Event { return event.OrganizationEQ(id) }
func eventSince(t time.Time) predicate.Event           { return event.CreatedAtGTE(t) }

// eventTypeIn matches the types, and the types that begin with a prefix.
func eventTypeIn(types, prefixes []string) predicate.Event {
	var any []predicate.Event
	if len(types) > 0 {
		any = append(any, event.TypeIn(types...))
	}
	for _, p := range prefixes {
		any = append(any, event.TypeHasPrefix(p))
	}
	return event.Or(any...)
}

// eventsVisible is who reads which events: an operator its mode's (the
// mode is the feed's first predicate); anyone else the events of the
// organizations where their role holds events:read.
func (s *Service) eventsVisible(c Caller) predicate.Event {
	if c.Operator() {
		return func(*entsql.Selector) {}
	}
	return func(sel *entsql.Selector) {
		sel.Where(entsql.In(sel.C(event.FieldOrganization), organizationsWhereRoleHolds(c, schema.ReadEvents)))
	}
}

// organizationsWhereRoleHolds selects the ids of the organizations where
// the caller's role holds a permission (active memberships only).
func organizationsWhereRoleHolds(c Caller, perm schema.Permission) *entsql.Selector {
	m := entsql.Table(member.Table).As("caller_role_membership")
	return entsql.Select(m.C(member.FieldOrganizationID)).From(m).Where(entsql.And(
		entsql.EQ(m.C(member.FieldUserID), c.User.ID),
		activeMembership(m),
		rolesHolding(m, perm),
	))
}

func anySlice[T any](values []T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// Event reads one event the caller may read (ErrNotFound otherwise).
func (s *Service) Event(ctx context.Context, c Caller, id int64) (*ent.Event, error) {
	return found(s.client.Event.Query().Where(event.ID(id), event.ModeEQ(event.Mode(c.Mode)), s.eventsVisible(c)).Only(ctx))
}

// final keeps the feed to what can no longer change: on PostgreSQL, the
// events of transactions older than every transaction still running
// (those have an xid at or above the snapshot's xmin, and so would every
// event they may yet commit). Read in the statement that reads the
// events, so that the horizon and the rows are of one snapshot.
func (f EventFeed) final() predicate.Event {
	if f.s.dialect != dialect.Postgres {
		return func(*entsql.Selector) {}
	}
	return func(sel *entsql.Selector) {
		sel.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(sel.C(event.FieldXid)).WriteString(" < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
		}))
	}
}

// query is the feed's rows, final ones only.
func (f EventFeed) query() *ent.EventQuery {
	client := f.s.client
	if f.in != nil {
		client = f.in
	}
	return client.Event.Query().Where(f.pred...).Where(f.final())
}

// order sorts by position, newest first when desc.
func order(desc bool) []event.OrderOption {
	if desc {
		return []event.OrderOption{event.ByXid(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())}
	}
	return []event.OrderOption{event.ByXid(), event.ByID()}
}

// List is the feed as numbered pages (with a count), newest first when
// desc.
func (f EventFeed) List(desc bool) List[*ent.Event] {
	return List[*ent.Event]{
		count: func(ctx context.Context) (int, error) { return f.query().Count(ctx) },
		page: func(ctx context.Context, offset, limit int) ([]*ent.Event, int, error) {
			items, err := f.query().Order(order(desc)...).Offset(offset).Limit(limit).All(ctx)
			return items, len(items), err
		},
	}
}

// Seek reads up to limit events from a position, in the feed's order
// (newest first when desc): those after from when forward, else those
// before it (the page that precedes, in the same order). from nil starts
// at the beginning (forward) or the end. more says whether the read went
// on past the page: there is another page that way.
func (f EventFeed) Seek(ctx context.Context, from *Position, forward, desc bool, limit int) (events []*ent.Event, more bool, err error) {
	q := f.query()
	// Reading toward older events is reading the feed backwards.
	older := forward == desc
	if from != nil {
		op := map[bool]string{true: "<", false: ">"}[older]
		q.Where(func(sel *entsql.Selector) {
			sel.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteByte('(').Ident(sel.C(event.FieldXid)).Comma().Ident(sel.C(event.FieldID)).WriteString(") ").
					WriteString(op).WriteString(" (").Args(from.XID, from.ID).WriteByte(')')
			}))
		})
	}
	events, err = q.Order(order(older)...).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read the events: %w", err)
	}
	if more = len(events) > limit; more {
		events = events[:limit]
	}
	if !forward {
		slices.Reverse(events)
	}
	return events, more, nil
}

// ValidEventType says whether a value of the type filter names event
// types: one of them, or a resource's prefix ("member.*").
func ValidEventType(v string) (prefix string, ok bool) {
	if p, isPrefix := strings.CutSuffix(v, "*"); isPrefix {
		for _, t := range EventTypes {
			if strings.HasPrefix(t, p) && strings.HasSuffix(p, ".") {
				return p, true
			}
		}
		return "", false
	}
	return "", slices.Contains(EventTypes, v)
}

// PurgeEvents deletes those of the limit first events (by id) recorded
// before cutoff, and says how many it deleted and how many it read. Ids
// grow with time, so the oldest events are the first rows of the primary
// key: the work is bounded by limit however many events are young, and an
// event among them recorded after cutoff (its transaction took a moment
// longer than a younger one's) stays until it is old itself.
func (s *Service) PurgeEvents(ctx context.Context, tx *ent.Tx, cutoff time.Time, limit int) (deleted, read int, err error) {
	oldest, err := tx.Event.Query().Order(event.ByID()).Limit(limit).Select(event.FieldID, event.FieldCreatedAt).All(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the oldest events: %w", err)
	}
	var ids []int64
	for _, e := range oldest {
		if e.CreatedAt.Before(cutoff) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return 0, len(oldest), nil
	}
	n, err := tx.Event.Delete().Where(event.IDIn(ids...)).Exec(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("purge events: %w", err)
	}
	return n, len(oldest), nil
}

// Head is the place of the newest event of a mode the feed shows (zero
// when there is none): what a live stream watches to learn that there is
// more to read.
func (s *Service) Head(ctx context.Context, mode string) (Position, error) {
	feed := EventFeed{s: s, pred: []predicate.Event{event.ModeEQ(event.Mode(mode))}}
	e, err := feed.query().Order(order(true)...).Select(event.FieldID, event.FieldXid).First(ctx)
	if ent.IsNotFound(err) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, fmt.Errorf("read the newest event: %w", err)
	}
	return PositionOf(e), nil
}

// Updates is the part of a mode's feed about resources the caller sees:
// the events of the organizations they belong to, whatever their role
// (every event of the mode, for an operator). The Mercure hub reads it:
// an update of a resource goes to whoever may read the resource, which
// is wider than who may read the audit trail (events:read).
func (s *Service) Updates(c Caller) EventFeed {
	feed := EventFeed{s: s, c: c, pred: []predicate.Event{eventModeIs(c.Mode)}}
	if !c.Operator() {
		feed.pred = append(feed.pred, func(sel *entsql.Selector) {
			m := entsql.Table(member.Table).As("caller_membership")
			sel.Where(entsql.In(sel.C(event.FieldOrganization),
				entsql.Select(m.C(member.FieldOrganizationID)).From(m).Where(entsql.And(
					entsql.EQ(m.C(member.FieldUserID), c.User.ID),
					activeMembership(m),
				))))
		})
	}
	return feed
}

// UpdatePosition is the place in the caller's Updates of the event id
// (ErrNotFound: none the caller sees, or past its retention).
func (s *Service) UpdatePosition(ctx context.Context, c Caller, id int64) (Position, error) {
	e, err := found(s.Updates(c).query().Where(event.ID(id)).Select(event.FieldID, event.FieldXid).Only(ctx))
	if err != nil {
		return Position{}, err
	}
	return PositionOf(e), nil
}

// Newest is the place of the feed's newest event, nil when it has none:
// where a stream with nothing to resume starts.
func (f EventFeed) Newest(ctx context.Context) (*Position, error) {
	newest, _, err := f.Seek(ctx, nil, true, true, 1)
	if err != nil || len(newest) == 0 {
		return nil, err
	}
	p := PositionOf(newest[0])
	return &p, nil
}
