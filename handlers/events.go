package handlers

import (
	"context"
	"encoding/json"
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
// role), from the same node builders the resource's own answers use.
type eventDocuments struct{}

var _ orgs.Documents = eventDocuments{}

func (eventDocuments) Document(ctx context.Context, tx *ent.Tx, subject any) (json.RawMessage, error) {
	var n *hydra.Node
	switch v := subject.(type) {
	case orgs.OrganizationView:
		n = organizationNode(v, uuid.Nil)
	case *ent.Organization:
		view, err := orgs.ViewIn(ctx, tx, v)
		if err != nil {
			return nil, err
		}
		n = organizationNode(view, uuid.Nil)
	case *ent.Member:
		if v.Edges.User == nil {
			u, err := tx.User.Get(ctx, v.UserID)
			if err != nil {
				return nil, fmt.Errorf("read the member's user: %w", err)
			}
			v.Edges.User = u
		}
		n = memberNode(v)
	case *ent.Invitation:
		n = invitationNode(v, schema.Now())
	case *ent.Workspace:
		n = workspaceNode(v)
	case *ent.APIKey:
		n = apiKeyNode(v) // never the secret: it is not stored, and no node of a key holds it
	case *ent.User:
		n = userNode(v)
	case *ent.WebhookEndpoint:
		n = webhookEndpointNode(v, "") // never the secret
	case *ent.WebhookDelivery:
		n = webhookDeliveryNode(v)
	default:
		return nil, fmt.Errorf("no document for an event about %T", subject)
	}
	n.Context = hydra.ContextsPath + n.Class.Name
	return n.AppendJSON(make([]byte, 0, 512), hydra.LinkedData), nil
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
