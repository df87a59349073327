package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// eventDocuments renders the documents events carry (orgs.Documents): the
// resource's JSON-LD document as any reader reads it, with its @context and
// without anything that depends on the reader (operations, the caller's
// role) or only navigates (collection links: a snapshot's state is its
// properties), from the same node builders the resource's own answers use.
type eventDocuments struct{}

var _ orgs.Documents = eventDocuments{}

// Prepare reads in tx what the document needs and returns its renderer,
// which reads a copy of the subject taken now: the rendering may run after
// the writer's function has returned (store's group commit renders outside
// SQLite's single writer), and must show the subject as recorded.
func (eventDocuments) Prepare(ctx context.Context, tx *ent.Tx, subject any) (func() []byte, error) {
	var build func() *hydra.Node
	switch v := subject.(type) {
	case orgs.OrganizationView:
		v = snapshotView(v)
		build = func() *hydra.Node { return organizationNode(v, uuid.Nil) }
	case *ent.Organization:
		view, err := orgs.ViewIn(ctx, tx, v)
		if err != nil {
			return nil, err
		}
		view = snapshotView(view)
		build = func() *hydra.Node { return organizationNode(view, uuid.Nil) }
	case *ent.Member:
		m := *v
		if m.Edges.User == nil {
			u, err := tx.User.Get(ctx, m.UserID)
			if err != nil {
				return nil, fmt.Errorf("read the member's user: %w", err)
			}
			m.Edges.User = u
		}
		build = func() *hydra.Node { return memberNode(&m) }
	case *ent.Invitation:
		inv, now := *v, schema.Now()
		build = func() *hydra.Node { return invitationNode(&inv, now) }
	case *ent.Workspace:
		ws := *v
		build = func() *hydra.Node { return workspaceNode(&ws) }
	case *ent.Domain:
		d := *v
		build = func() *hydra.Node { return domainNode(&d) }
	case *ent.Role:
		ro := *v
		build = func() *hydra.Node { return roleNode(&ro) }
	case *ent.APIKey:
		key := *v
		build = func() *hydra.Node { return apiKeyNode(&key) } // never the secret: it is not stored, and no node of a key holds it
	case *ent.User:
		u := *v
		build = func() *hydra.Node { return userNode(&u) }
	case *ent.WebhookEndpoint:
		ep := *v
		build = func() *hydra.Node { return webhookEndpointNode(&ep, "") } // never the secret
	case *ent.WebhookDelivery:
		d := *v
		build = func() *hydra.Node { return webhookDeliveryNode(&d) }
	default:
		return nil, fmt.Errorf("no document for an event about %T", subject)
	}
	return func() []byte {
		n := build()
		n.Context = hydra.ContextsPath + n.Class.Name
		n.Snapshot = true
		// An organization's document with its members is 2.5–3 KB: room
		// for it at once rather than a copy at 2 KB.
		return n.AppendJSON(make([]byte, 0, 4096), hydra.LinkedData)
	}, nil
}

// snapshotView copies a view's organization and member list, so that a
// later change of either in the transaction does not show in a document
// rendered after it.
func snapshotView(v orgs.OrganizationView) orgs.OrganizationView {
	org := *v.Organization
	v.Organization = &org
	v.Members = append([]*ent.Member(nil), v.Members...)
	return v
}

// EventRecorder is the recorder of the store's own changes (the command
// line's keys), rendering their documents as events carry them.
func EventRecorder(db *store.DB) store.Recorder {
	svc := orgs.NewService(db.Client, db, db.Dialect)
	svc.SetDocuments(eventDocuments{})
	return svc.RecordBySystem
}

// expiriesPerSweep bounds the work of one sweep (one transaction).
const expiriesPerSweep = 100

// RecordExpiries records the expiries of invitations that have expired
// since the last sweep (invitation.expired, by the system), a batch at a
// time until none is left, and says how many it recorded.
func (s *Server) RecordExpiries(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.Tx(ctx, func(tx *ent.Tx) (err error) {
			n, err = s.orgs.RecordExpiries(ctx, tx, schema.Now(), expiriesPerSweep)
			return err
		})
		total += n
		if err != nil || n < expiriesPerSweep {
			return total, err
		}
	}
}

// DefaultEventRetention is how long events are kept unless configured:
// 30 days.
const DefaultEventRetention = 720 * time.Hour

// purgedPerSweep bounds one purge transaction.
const purgedPerSweep = 1000

// PurgeEvents deletes the events older than the retention, a batch (one
// transaction) at a time while the first rows hold old ones, and says how
// many it deleted.
func (s *Server) PurgeEvents(ctx context.Context) (int, error) {
	if s.eventRetention < 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.eventRetention)
	total := 0
	for {
		var deleted, read int
		err := s.db.Tx(ctx, func(tx *ent.Tx) (err error) {
			deleted, read, err = s.orgs.PurgeEvents(ctx, tx, cutoff, purgedPerSweep)
			return err
		})
		total += deleted
		if err != nil || deleted == 0 || read < purgedPerSweep {
			return total, err
		}
	}
}

// Sweep runs the background work of events until ctx ends: every period,
// the expiries of invitations, then the purge of events past their
// retention. Every replica sweeps; the organization locks make each
// expiry recorded once, and a purge deletes what another has not.
func (s *Server) Sweep(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if _, err := s.RecordExpiries(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "recording invitation expiries failed; the next sweep tries again", "error", err.Error())
		}
		if _, err := s.PurgeEvents(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "purging old events failed; the next sweep tries again", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
