package orgs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/ent/schema"
)

// Every change is recorded as an Event in the transaction that makes it (an
// outbox): the domain functions that change rows call record, so no route
// can change anything without its event, and a change that rolls back
// takes its event with it.

// The event types, "resource.what".
const (
	OrganizationCreated      = "organization.created"
	OrganizationUpdated      = "organization.updated"
	OrganizationSuspended    = "organization.suspended"
	OrganizationReactivated  = "organization.reactivated"
	OrganizationDeleted      = "organization.deleted"
	MemberAdded              = "member.added"
	MemberRoleChanged        = "member.role_changed"
	MemberUpdated            = "member.updated"
	MemberRemoved            = "member.removed"
	MemberLeft               = "member.left"
	MemberDeactivated        = "member.deactivated"
	MemberReactivated        = "member.reactivated"
	InvitationCreated        = "invitation.created"
	InvitationResent         = "invitation.resent"
	InvitationAccepted       = "invitation.accepted"
	InvitationRevoked        = "invitation.revoked"
	InvitationExpired        = "invitation.expired"
	WorkspaceCreated         = "workspace.created"
	WorkspaceUpdated         = "workspace.updated"
	WorkspaceDeleted         = "workspace.deleted"
	RoleCreated              = "role.created"
	RoleUpdated              = "role.updated"
	RoleDeleted              = "role.deleted"
	DomainCreated            = "domain.created"
	DomainUpdated            = "domain.updated"
	DomainDeleted            = "domain.deleted"
	DomainVerified           = "domain.verified"
	DomainVerificationFailed = "domain.verification_failed"
	APIKeyCreated            = "api_key.created"
	APIKeyRevoked            = "api_key.revoked"
	APIKeyRotated            = "api_key.rotated"
	UserCreated              = "user.created"
	UserUpdated              = "user.updated"
)

// EventTypes lists every event type, in the order the documentation gives
// them.
var EventTypes = []string{
	OrganizationCreated, OrganizationUpdated, OrganizationSuspended, OrganizationReactivated, OrganizationDeleted,
	MemberAdded, MemberRoleChanged, MemberUpdated, MemberRemoved, MemberLeft, MemberDeactivated, MemberReactivated,
	InvitationCreated, InvitationResent, InvitationAccepted, InvitationRevoked, InvitationExpired,
	WorkspaceCreated, WorkspaceUpdated, WorkspaceDeleted,
	RoleCreated, RoleUpdated, RoleDeleted,
	DomainCreated, DomainUpdated, DomainDeleted, DomainVerified, DomainVerificationFailed,
	APIKeyCreated, APIKeyRevoked, APIKeyRotated,
	UserCreated, UserUpdated,
	WebhookEndpointCreated, WebhookEndpointUpdated, WebhookEndpointDeleted, WebhookEndpointSecretRotated, WebhookEndpointDisabled,
	WebhookDeliveryRetried,
}

// Documents renders the document an event carries: a resource as any
// reader would read it, with nothing that depends on who reads (no
// operations, no current_user_role). The adapter that knows the wire format
// provides it (SetDocuments); subject is an *ent.Organization (or its
// OrganizationView, when the writer knows it), *ent.Member
// (its user loaded), *ent.Invitation (its organization loaded),
// *ent.Workspace, *ent.Role, *ent.Domain, *ent.APIKey or *ent.User, read in tx. Prepare reads in
// tx whatever the document needs, then returns the renderer, which must
// not touch tx: the store may run it after the writer's function returns,
// outside the single writer's turn (store.DB.AppendEvent).
type Documents interface {
	Prepare(ctx context.Context, tx *ent.Tx, subject any) (func() []byte, error)
}

// SetDocuments gives the service the renderer of events' documents. Until
// it has one, events carry only their subject's kind and id.
func (s *Service) SetDocuments(d Documents) { s.documents = d }

// Sealer encrypts what an event carries for webhook deliveries and
// operators alone, bound to a context (internal/sealed.Key is one).
type Sealer interface {
	Seal(plaintext []byte, context string) []byte
}

// SetSealer gives the service the sealer of events' hidden parts. Without
// one, an invitation's accept token is not kept in its events.
func (s *Service) SetSealer(k Sealer) { s.sealer = k }

// SealedContext binds an event's sealed part to the event's type and
// organization, so that it opens nowhere else. (The event's id is the
// database's to give, after the part is sealed.)
func SealedContext(typ string, org *uuid.UUID) string {
	if org == nil {
		return "event:" + typ
	}
	return "event:" + typ + ":" + org.String()
}

type requestIDKey struct{}

// WithRequestID marks a context with the id of the request it serves, which
// the events recorded under it carry.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDOf is the id of the request ctx serves, if WithRequestID said.
func RequestIDOf(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// change is one event about to be recorded.
type change struct {
	typ      string
	mode     string
	org      uuid.UUID // uuid.Nil: none (a user, an API key)
	subject  any
	previous map[string]any
	// hidden are properties added to data for webhook deliveries and
	// operators alone (an accept token), kept sealed.
	hidden map[string]string
}

// record writes the event of a change, in the change's transaction: the
// database numbers it as it is inserted (on SQLite with the rest of its
// group-commit batch: store.DB.AppendEvent).
func (s *Service) record(ctx context.Context, tx *ent.Tx, c Caller, ch change) error {
	render, err := s.eventData(ctx, tx, ch.subject)
	if err != nil {
		return err
	}
	// The database numbers it (ent/schema/event.go); the store sets its
	// data from render.
	create := tx.Event.Create().
		SetType(ch.typ).
		SetMode(event.Mode(ch.mode)).
		SetCreatedAt(schema.Now())
	if ch.org != uuid.Nil {
		create.SetOrganization(ch.org)
	}
	if len(ch.previous) > 0 {
		create.SetPrevious(ch.previous)
	}
	if len(ch.hidden) > 0 && s.sealer != nil {
		plain, err := json.Marshal(ch.hidden)
		if err != nil {
			return fmt.Errorf("encode the %s event's hidden part: %w", ch.typ, err)
		}
		var org *uuid.UUID
		if ch.org != uuid.Nil {
			org = &ch.org
		}
		create.SetSealed(s.sealer.Seal(plain, SealedContext(ch.typ, org)))
	}
	if id := RequestIDOf(ctx); id != "" {
		create.SetRequestID(id)
	}
	switch {
	case c.Operator():
		create.SetActorType(event.ActorTypeOperator).SetActorID(c.Key.ID)
	case c.User != nil:
		create.SetActorType(event.ActorTypeUser).SetActorID(c.User.ID)
	default:
		create.SetActorType(event.ActorTypeSystem)
	}
	if err := s.locker.AppendEvent(ctx, tx, create, render); err != nil {
		return fmt.Errorf("record the %s event: %w", ch.typ, err)
	}
	return nil
}

// eventData prepares the subject's document, or — without a renderer —
// its kind alone.
func (s *Service) eventData(ctx context.Context, tx *ent.Tx, subject any) (func() []byte, error) {
	if s.documents != nil {
		render, err := s.documents.Prepare(ctx, tx, subject)
		if err != nil {
			return nil, fmt.Errorf("render the event's document: %w", err)
		}
		return render, nil
	}
	kind := strings.TrimPrefix(fmt.Sprintf("%T", subject), "*ent.")
	data, err := json.Marshal(map[string]string{"kind": kind})
	return func() []byte { return data }, err
}

// RecordBySystem records a change made by no caller of the API (the
// command line's keys): a store.Recorder.
func (s *Service) RecordBySystem(ctx context.Context, tx *ent.Tx, typ, mode string, org uuid.UUID, subject any) error {
	return s.record(ctx, tx, Caller{}, change{typ: typ, mode: mode, org: org, subject: subject})
}

// record records a change of the scope's organization by the caller.
func (sc *Scope) record(ctx context.Context, typ string, subject any, previous map[string]any) error {
	return sc.service.record(ctx, sc.tx, sc.caller, change{typ: typ, mode: string(sc.Org.Mode), org: sc.Org.ID, subject: subject, previous: previous})
}

// recordHidden records a change of the scope's organization whose event
// carries hidden properties for webhook deliveries and operators alone.
func (sc *Scope) recordHidden(ctx context.Context, typ string, subject any, hidden map[string]string) error {
	return sc.service.record(ctx, sc.tx, sc.caller, change{typ: typ, mode: string(sc.Org.Mode), org: sc.Org.ID, subject: subject, hidden: hidden})
}
