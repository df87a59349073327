package orgs

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/webhookdelivery"
	"github.com/orgraph/orgraph/ent/webhookendpoint"
)

// Webhook endpoints and their deliveries. An organization's endpoint hears
// the organization's events; its owners and admins (webhooks:manage) make,
// read and change it. An operator's endpoint with no organization hears its
// whole mode; operators read and change every endpoint of their mode.

// The event types of endpoints.
const (
	WebhookEndpointCreated       = "webhook_endpoint.created"
	WebhookEndpointUpdated       = "webhook_endpoint.updated"
	WebhookEndpointDeleted       = "webhook_endpoint.deleted"
	WebhookEndpointSecretRotated = "webhook_endpoint.secret_rotated"
	WebhookEndpointDisabled      = "webhook_endpoint.disabled"
	WebhookDeliveryRetried       = "webhook_delivery.retried"
)

// AllEvents, as an endpoint's enabled event, is every type.
const AllEvents = "*"

// WebhookInput makes or changes an endpoint: a nil field is not given.
type WebhookInput struct {
	URL           *string
	EnabledEvents []string // nil: not given
	Description   *string
	Status        *string
}

// CheckEnabledEvents is the rule of enabled_events: each is "*", an event
// type, or a resource's prefix ("member.*"), and there is at least one.
func CheckEnabledEvents(values []string) Violations {
	if len(values) == 0 {
		return violation("enabled_events", "This collection should contain 1 element or more: \"*\" for every event.", RuleNoSuchChoice)
	}
	var out Violations
	for i, v := range values {
		if _, ok := ValidEventType(v); ok || v == AllEvents {
			continue
		}
		out = append(out, Violation{Path: fmt.Sprintf("enabled_events[%d]", i),
			Message: fmt.Sprintf("The value is not an event type, a resource's prefix (member.*) or \"*\": %q.", v), Rule: RuleNoSuchChoice})
	}
	return out
}

// webhooksVisible are the endpoints (or deliveries) the caller reads: an
// operator every one of its mode; anyone else those of the organizations
// where their role holds webhooks:manage.
func webhooksVisible(c Caller, modeColumn string) func(*entsql.Selector) {
	return func(sel *entsql.Selector) {
		sel.Where(entsql.EQ(sel.C(modeColumn), c.Mode))
		if c.Operator() {
			return
		}
		sel.Where(entsql.In(sel.C(schema.OwnerField), organizationsWhereRoleHolds(c, schema.ManageWebhooks)))
	}
}

// WebhookEndpoints lists the endpoints the caller reads, of one
// organization when organization is not uuid.Nil.
func (s *Service) WebhookEndpoints(c Caller, organization uuid.UUID, order []Order) List[*ent.WebhookEndpoint] {
	q := s.client.WebhookEndpoint.Query().Where(webhooksVisible(c, webhookendpoint.FieldMode))
	if organization != uuid.Nil {
		q.Where(webhookendpoint.OrganizationID(organization))
	}
	return listOf(q, (*ent.WebhookEndpointQuery).Order, order)
}

// WebhookEndpoint reads an endpoint the caller reads.
func (s *Service) WebhookEndpoint(ctx context.Context, c Caller, id uuid.UUID) (*ent.WebhookEndpoint, error) {
	return found(s.client.WebhookEndpoint.Query().Where(webhookendpoint.ID(id), webhooksVisible(c, webhookendpoint.FieldMode)).Only(ctx))
}

// EnterWebhookEndpoint enters an endpoint the caller reads for a change:
// its organization's scope (locked), or nil for an operator's endpoint.
func (s *Service) EnterWebhookEndpoint(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.WebhookEndpoint, error) {
	find := func() (*ent.WebhookEndpoint, error) {
		return found(tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(id), webhooksVisible(c, webhookendpoint.FieldMode)).Only(ctx))
	}
	ep, err := find()
	if err != nil || ep.OrganizationID == nil {
		return nil, ep, err
	}
	return enterOwner(ctx, s, tx, c, find, func(ep *ent.WebhookEndpoint) uuid.UUID { return *ep.OrganizationID }, nil)
}

// webhookScope is where an endpoint's change is made: its organization's
// scope (the caller's role must hold webhooks:manage there, and the
// organization must be active), or, for an endpoint of no organization,
// the caller's mode, which only an operator may change.
func webhookScope(c Caller, sc *Scope) error {
	if sc == nil {
		if !c.Operator() {
			return &Forbidden{Reason: "Only an operator makes or changes an endpoint of no organization (it hears the whole mode): name an organization."}
		}
		return nil
	}
	if err := sc.Can(schema.ManageWebhooks); err != nil {
		return err
	}
	return sc.Active()
}

// recordWebhook records a change of an endpoint, in its organization when
// it has one.
func (s *Service) recordWebhook(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, typ string, ep *ent.WebhookEndpoint) error {
	if sc != nil {
		return sc.record(ctx, typ, ep, nil)
	}
	return s.record(ctx, tx, c, change{typ: typ, mode: string(ep.Mode), subject: ep})
}

// CreateWebhookEndpoint makes an endpoint in sc's organization, or (sc
// nil) an operator's endpoint of the whole mode, with its sealed signing
// secret. The URL has been checked by the caller (it must resolve to a
// public address, which takes the network).
func (s *Service) CreateWebhookEndpoint(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, id uuid.UUID, in WebhookInput, sealedSecret []byte) (*ent.WebhookEndpoint, error) {
	if err := webhookScope(c, sc); err != nil {
		return nil, err
	}
	if v := CheckEnabledEvents(in.EnabledEvents); len(v) > 0 {
		return nil, v
	}
	create := tx.WebhookEndpoint.Create().SetID(id).SetMode(webhookendpoint.Mode(c.Mode)).SetURL(*in.URL).
		SetEnabledEvents(in.EnabledEvents).SetSecretSealed(sealedSecret).SetNextAttemptAt(schema.Now())
	if sc != nil {
		create.SetOrganizationID(sc.Org.ID)
	}
	if in.Description != nil {
		create.SetDescription(*in.Description)
	}
	if in.Status != nil {
		create.SetStatus(webhookendpoint.Status(*in.Status))
	}
	// The endpoint hears the events recorded after it: its place starts at
	// the newest event this transaction sees. (created_at, in whole
	// seconds, would let it hear up to a second of older ones.) An event
	// it does not see yet is a concurrent write's — on SQLite one earlier
	// in the same group-commit batch, on PostgreSQL one not yet committed —
	// and is heard if it lands after this place.
	newest, err := tx.Event.Query().Where(event.ModeEQ(event.Mode(c.Mode))).Order(order(true)...).
		Select(event.FieldID, event.FieldXid).First(ctx)
	switch {
	case err == nil:
		create.SetCursorXid(newest.Xid).SetCursorID(newest.ID)
	case ent.IsNotFound(err):
		create.SetCursorXid(0).SetCursorID(0) // every event is after it
	default:
		return nil, fmt.Errorf("read the newest event: %w", err)
	}
	ep, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create the webhook endpoint: %w", err)
	}
	return ep, s.recordWebhook(ctx, tx, c, sc, WebhookEndpointCreated, ep)
}

// UpdateWebhookEndpoint changes an endpoint's URL, events, description or
// status. Enabling a disabled endpoint resumes its deliveries where they
// stopped, at once.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, ep *ent.WebhookEndpoint, in WebhookInput) (*ent.WebhookEndpoint, error) {
	if err := webhookScope(c, sc); err != nil {
		return nil, err
	}
	if in.EnabledEvents != nil {
		if v := CheckEnabledEvents(in.EnabledEvents); len(v) > 0 {
			return nil, v
		}
	}
	up := tx.WebhookEndpoint.UpdateOne(ep)
	previous := map[string]any{}
	if in.URL != nil && *in.URL != ep.URL {
		previous["url"] = ep.URL
		up.SetURL(*in.URL)
	}
	if in.EnabledEvents != nil && !slices.Equal(in.EnabledEvents, ep.EnabledEvents) {
		previous["enabled_events"] = ep.EnabledEvents
		up.SetEnabledEvents(in.EnabledEvents)
	}
	if in.Description != nil && *in.Description != ep.Description {
		previous["description"] = ep.Description
		up.SetDescription(*in.Description)
	}
	if in.Status != nil && *in.Status != string(ep.Status) {
		previous["status"] = string(ep.Status)
		up.SetStatus(webhookendpoint.Status(*in.Status))
		if *in.Status == string(webhookendpoint.StatusEnabled) {
			up.ClearDisabledReason().SetNextAttemptAt(schema.Now())
		} else {
			up.SetDisabledReason("Disabled by hand.")
		}
	}
	if len(previous) == 0 {
		return ep, nil
	}
	ep, err := up.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update the webhook endpoint: %w", err)
	}
	if sc != nil {
		return ep, sc.record(ctx, WebhookEndpointUpdated, ep, previous)
	}
	return ep, s.record(ctx, tx, c, change{typ: WebhookEndpointUpdated, mode: string(ep.Mode), subject: ep, previous: previous})
}

// RotateWebhookSecret gives an endpoint a new signing secret: deliveries
// from now on are signed with it.
func (s *Service) RotateWebhookSecret(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, ep *ent.WebhookEndpoint, sealedSecret []byte) (*ent.WebhookEndpoint, error) {
	if err := webhookScope(c, sc); err != nil {
		return nil, err
	}
	ep, err := tx.WebhookEndpoint.UpdateOne(ep).SetSecretSealed(sealedSecret).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("rotate the webhook secret: %w", err)
	}
	return ep, s.recordWebhook(ctx, tx, c, sc, WebhookEndpointSecretRotated, ep)
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, ep *ent.WebhookEndpoint) error {
	if err := webhookScope(c, sc); err != nil {
		return err
	}
	if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.EndpointID(ep.ID)).Exec(ctx); err != nil {
		return fmt.Errorf("delete the endpoint's deliveries: %w", err)
	}
	if err := tx.WebhookEndpoint.DeleteOne(ep).Exec(ctx); err != nil {
		return fmt.Errorf("delete the webhook endpoint: %w", err)
	}
	return s.recordWebhook(ctx, tx, c, sc, WebhookEndpointDeleted, ep)
}

// WebhookDeliveryFilter narrows the deliveries listed; a zero field does
// not.
type WebhookDeliveryFilter struct {
	Endpoint uuid.UUID
	Status   string
	Event    int64
}

// WebhookDeliveries lists the deliveries the caller reads.
func (s *Service) WebhookDeliveries(c Caller, f WebhookDeliveryFilter, order []Order) List[*ent.WebhookDelivery] {
	q := s.client.WebhookDelivery.Query().Where(webhooksVisible(c, webhookdelivery.FieldMode))
	if f.Endpoint != uuid.Nil {
		q.Where(webhookdelivery.EndpointID(f.Endpoint))
	}
	if f.Status != "" {
		q.Where(webhookdelivery.StatusEQ(webhookdelivery.Status(f.Status)))
	}
	if f.Event != 0 {
		q.Where(webhookdelivery.EventID(f.Event))
	}
	return listOf(q, (*ent.WebhookDeliveryQuery).Order, order)
}

// WebhookDelivery reads a delivery the caller reads.
func (s *Service) WebhookDelivery(ctx context.Context, c Caller, id uuid.UUID) (*ent.WebhookDelivery, error) {
	return webhookDelivery(ctx, s.client, c, id)
}

// WebhookDeliveryIn is WebhookDelivery read in tx.
func (s *Service) WebhookDeliveryIn(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*ent.WebhookDelivery, error) {
	return webhookDelivery(ctx, tx.Client(), c, id)
}

func webhookDelivery(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.WebhookDelivery, error) {
	return found(client.WebhookDelivery.Query().Where(webhookdelivery.ID(id), webhooksVisible(c, webhookdelivery.FieldMode)).Only(ctx))
}

// RetryDelivery sends a delivery again now: a failed one (its endpoint
// gave up on it) or a pending one waiting for its next try. Its endpoint
// must be enabled. A delivery that failed is tried before the endpoint's
// next event, keeping the endpoint's order.
func (s *Service) RetryDelivery(ctx context.Context, tx *ent.Tx, c Caller, sc *Scope, d *ent.WebhookDelivery) (*ent.WebhookDelivery, error) {
	if err := webhookScope(c, sc); err != nil {
		return nil, err
	}
	ep, err := tx.WebhookEndpoint.Get(ctx, d.EndpointID)
	if err != nil {
		return nil, fmt.Errorf("read the delivery's endpoint: %w", err)
	}
	if ep.Status != webhookendpoint.StatusEnabled {
		return nil, violation("endpoint", "The delivery's endpoint is disabled: enable it (status enabled) first; its deliveries then resume in order.", RuleEndpointDisabled)
	}
	if d.Status == webhookdelivery.StatusSucceeded {
		return nil, violation("status", "The delivery succeeded: there is nothing to retry.", RuleNotPending)
	}
	now := schema.Now()
	d, err = tx.WebhookDelivery.UpdateOne(d).SetStatus(webhookdelivery.StatusPending).SetNextAttemptAt(now).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("retry the delivery: %w", err)
	}
	if err := tx.WebhookEndpoint.UpdateOne(ep).SetNextAttemptAt(now).Exec(ctx); err != nil {
		return nil, fmt.Errorf("wake the endpoint: %w", err)
	}
	if sc != nil {
		return d, sc.record(ctx, WebhookDeliveryRetried, d, nil)
	}
	return d, s.record(ctx, tx, c, change{typ: WebhookDeliveryRetried, mode: string(d.Mode), subject: d})
}

// The delivery engine. Each replica's deliverer claims endpoints whose
// next attempt is due with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL,
// in a short transaction: no transaction stays open across a delivery,
// which would hold back the feed's horizon), then delivers one event of
// each outside any transaction, then records the attempt if it still
// holds the lease. An endpoint delivers one event at a time, in the
// feed's order: a failing event is retried before the next one is sent.
// A replica that dies mid-delivery leaves its lease to expire; another
// replica (or the restart) delivers the event again: at least once.

// Retries is the retry policy of deliveries: the waits after each failed
// attempt (jittered by up to a tenth either way), and how long after its
// first attempt a delivery is given up, which disables its endpoint.
type Retries struct {
	Waits  []time.Duration
	GiveUp time.Duration
}

// DefaultRetries follows Standard Webhooks' recommended schedule,
// stretched to three days: eleven attempts.
var DefaultRetries = Retries{
	Waits:  []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour},
	GiveUp: 72 * time.Hour,
}

// SetRetries sets the retry policy (tests shorten it).
func (s *Service) SetRetries(r Retries) { s.retries = r }

// dueEndpoints are the enabled endpoints whose next attempt is due and
// that no deliverer holds.
func dueEndpoints(now time.Time) predicate.WebhookEndpoint {
	return webhookendpoint.And(
		webhookendpoint.StatusEQ(webhookendpoint.StatusEnabled),
		webhookendpoint.NextAttemptAtLTE(now),
		webhookendpoint.Or(webhookendpoint.LeaseUntilIsNil(), webhookendpoint.LeaseUntilLT(now)),
	)
}

// AnyDue says, with a read, whether an endpoint is due: the deliverer
// opens a write transaction to claim only then (on SQLite a write
// transaction, even an empty one, takes the writer's turn).
func (s *Service) AnyDue(ctx context.Context, now time.Time) (bool, error) {
	return s.client.WebhookEndpoint.Query().Where(dueEndpoints(now)).Exist(ctx)
}

// AnyIdle says, with a read, whether an enabled endpoint of the mode is
// idle, which the feed moving would make due.
func (s *Service) AnyIdle(ctx context.Context, mode string) (bool, error) {
	return s.client.WebhookEndpoint.Query().Where(webhookendpoint.StatusEQ(webhookendpoint.StatusEnabled),
		webhookendpoint.ModeEQ(webhookendpoint.Mode(mode)), webhookendpoint.NextAttemptAtIsNil()).Exist(ctx)
}

// ClaimEndpoints leases up to limit enabled endpoints whose next attempt
// is due and that no deliverer holds, to owner until now+lease.
func (s *Service) ClaimEndpoints(ctx context.Context, tx *ent.Tx, owner string, now time.Time, lease time.Duration, limit int) ([]*ent.WebhookEndpoint, error) {
	q := tx.WebhookEndpoint.Query().Where(dueEndpoints(now)).Order(webhookendpoint.ByNextAttemptAt()).Limit(limit)
	if s.dialect == "postgres" {
		q.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
	}
	eps, err := q.All(ctx)
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	ids := make([]uuid.UUID, len(eps))
	for i, ep := range eps {
		ids[i] = ep.ID
	}
	until := now.Add(lease)
	if err := tx.WebhookEndpoint.Update().Where(webhookendpoint.IDIn(ids...)).SetLeaseUntil(until).SetLeaseOwner(owner).Exec(ctx); err != nil {
		return nil, fmt.Errorf("lease the endpoints: %w", err)
	}
	for _, ep := range eps {
		ep.LeaseUntil, ep.LeaseOwner = &until, owner
	}
	return eps, nil
}

// WakeEndpoints makes the idle enabled endpoints of a mode due now: the
// feed has moved.
func (s *Service) WakeEndpoints(ctx context.Context, tx *ent.Tx, mode string, now time.Time) error {
	return tx.WebhookEndpoint.Update().Where(
		webhookendpoint.StatusEQ(webhookendpoint.StatusEnabled),
		webhookendpoint.ModeEQ(webhookendpoint.Mode(mode)),
		webhookendpoint.NextAttemptAtIsNil(),
	).SetNextAttemptAt(now).Exec(ctx)
}

// endpointFeed is the part of the feed an endpoint hears, read in tx.
func (s *Service) endpointFeed(tx *ent.Tx, ep *ent.WebhookEndpoint) EventFeed {
	feed := EventFeed{s: s, in: tx.Client(), pred: []predicate.Event{eventModeIs(string(ep.Mode))}}
	if ep.OrganizationID != nil {
		feed.pred = append(feed.pred, eventOrganizationIs(*ep.OrganizationID))
	}
	if !slices.Contains(ep.EnabledEvents, AllEvents) {
		var types, prefixes []string
		for _, v := range ep.EnabledEvents {
			if p, ok := ValidEventType(v); ok && p != "" {
				prefixes = append(prefixes, p)
			} else {
				types = append(types, v)
			}
		}
		feed.pred = append(feed.pred, eventTypeIn(types, prefixes))
	}
	if ep.CursorID == nil {
		feed.pred = append(feed.pred, eventSince(ep.CreatedAt))
	}
	return feed
}

// NextDelivery is the delivery a leased endpoint makes next: its pending
// one, or one made for the next event it hears (the endpoint's place in
// the feed moves past it in the same transaction). nil: nothing to send;
// the endpoint is then idle until the feed moves.
func (s *Service) NextDelivery(ctx context.Context, tx *ent.Tx, ep *ent.WebhookEndpoint, now time.Time) (*ent.WebhookDelivery, *ent.Event, error) {
	d, err := tx.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(ep.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).
		Order(webhookdelivery.ByEventID()).First(ctx)
	switch {
	case err == nil:
		if d.NextAttemptAt != nil && d.NextAttemptAt.After(now) {
			return nil, nil, tx.WebhookEndpoint.UpdateOne(ep).SetNextAttemptAt(*d.NextAttemptAt).ClearLeaseUntil().Exec(ctx)
		}
		e, err := tx.Event.Get(ctx, d.EventID)
		if ent.IsNotFound(err) { // purged: nothing left to send
			return nil, nil, tx.WebhookDelivery.UpdateOne(d).SetStatus(webhookdelivery.StatusFailed).ClearNextAttemptAt().Exec(ctx)
		}
		return d, e, err
	case !ent.IsNotFound(err):
		return nil, nil, fmt.Errorf("read the pending delivery: %w", err)
	}
	var from *Position
	if ep.CursorID != nil {
		from = &Position{XID: *ep.CursorXid, ID: *ep.CursorID}
	}
	events, _, err := s.endpointFeed(tx, ep).Seek(ctx, from, true, false, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, tx.WebhookEndpoint.UpdateOne(ep).ClearNextAttemptAt().ClearLeaseUntil().Exec(ctx)
	}
	e := events[0]
	create := tx.WebhookDelivery.Create().SetEndpointID(ep.ID).SetMode(webhookdelivery.Mode(ep.Mode)).
		SetEventID(e.ID).SetEventType(e.Type).SetNextAttemptAt(now)
	if ep.OrganizationID != nil {
		create.SetOrganizationID(*ep.OrganizationID)
	}
	if d, err = create.Save(ctx); err != nil {
		return nil, nil, fmt.Errorf("make the delivery: %w", err)
	}
	if err := tx.WebhookEndpoint.UpdateOne(ep).SetCursorXid(e.Xid).SetCursorID(e.ID).Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("move the endpoint's place: %w", err)
	}
	return d, e, nil
}

// RecordAttempt records an attempt at a delivery by the lease's owner:
// success ends it and makes the endpoint due again at once; a failure
// schedules the next try, or gives up once the delivery's first attempt
// is older than the retry policy allows, which disables the endpoint
// (webhook_endpoint.disabled, by the system). false: the lease was lost
// (the attempt took longer than the lease; another deliverer has it).
func (s *Service) RecordAttempt(ctx context.Context, tx *ent.Tx, owner string, epID uuid.UUID, d *ent.WebhookDelivery, a schema.DeliveryAttempt, jitter float64) (bool, error) {
	ep, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(epID), webhookendpoint.LeaseOwner(owner)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the endpoint: %w", err)
	}
	attempts := append(slices.Clone(d.Attempts), a)
	upD := tx.WebhookDelivery.UpdateOne(d)
	upE := tx.WebhookEndpoint.UpdateOne(ep).ClearLeaseUntil()
	switch {
	case a.Success:
		upD.SetStatus(webhookdelivery.StatusSucceeded).ClearNextAttemptAt()
		upE.SetNextAttemptAt(a.At)
	case a.At.Sub(attempts[0].At) >= s.retries.GiveUp || len(attempts) > len(s.retries.Waits):
		upD.SetStatus(webhookdelivery.StatusFailed).ClearNextAttemptAt()
		upE.SetStatus(webhookendpoint.StatusDisabled).ClearNextAttemptAt().
			SetDisabledReason(fmt.Sprintf("Deliveries failed for %s (%d attempts at event %d): fix the URL, then enable it; deliveries resume where they stopped.",
				s.retries.GiveUp, len(attempts), d.EventID))
	default:
		wait := s.retries.Waits[len(attempts)-1]
		wait += time.Duration(float64(wait) * 0.1 * (2*jitter - 1))
		next := a.At.Add(wait)
		attempts[len(attempts)-1].NextAttemptAt = &next
		upD.SetNextAttemptAt(next)
		upE.SetNextAttemptAt(next)
	}
	if err := upD.SetAttempts(attempts).Exec(ctx); err != nil {
		return false, fmt.Errorf("record the attempt: %w", err)
	}
	ep, err = upE.Save(ctx)
	if err != nil {
		return false, fmt.Errorf("record the endpoint's state: %w", err)
	}
	if ep.Status == webhookendpoint.StatusDisabled {
		org := uuid.Nil
		if ep.OrganizationID != nil {
			org = *ep.OrganizationID
		}
		return true, s.RecordBySystem(ctx, tx, WebhookEndpointDisabled, string(ep.Mode), org, ep)
	}
	return true, nil
}

// ReleaseEndpoint gives up a lease without an attempt (the deliverer
// stops): the endpoint is due again at once.
func (s *Service) ReleaseEndpoint(ctx context.Context, tx *ent.Tx, owner string, epID uuid.UUID) error {
	return tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(epID), webhookendpoint.LeaseOwner(owner)).ClearLeaseUntil().Exec(ctx)
}

// CheckWebhookStatus is the rule of an endpoint's status.
func CheckWebhookStatus(v string) Violations {
	if v == "enabled" || v == "disabled" {
		return nil
	}
	return violation("status", "The value you selected is not a valid choice: enabled or disabled.", RuleNoSuchChoice)
}
