package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
)

// The deliverer: every replica runs one (serve starts it). It leases
// endpoints whose next attempt is due (orgs.ClaimEndpoints: one deliverer
// at a time per endpoint, SKIP LOCKED on PostgreSQL), sends each one's
// next event outside any transaction, and records the attempt if it still
// holds the lease. A replica killed mid-delivery records nothing: its
// lease runs out and another replica, or the restart, sends the event
// again (at least once; the webhook-id stays the same, so the receiver
// can tell).

// WebhookTimeout is how long an endpoint has to answer.
const WebhookTimeout = 10 * time.Second

// DefaultWebhookLease is how long a deliverer holds an endpoint: longer
// than an attempt can take, so that two replicas never send to one
// endpoint at once.
const DefaultWebhookLease = 60 * time.Second

// deliverPeriod is how often an idle deliverer looks for due endpoints
// and for new events (which make idle endpoints due).
const deliverPeriod = 200 * time.Millisecond

// endpointsPerClaim bounds the endpoints one deliverer serves at once.
const endpointsPerClaim = 8

// deliverer is one replica's deliverer's state: its name on the leases it
// takes, and the feed's heads it has seen.
type deliverer struct {
	mu    sync.Mutex // one round at a time
	owner string
	heads map[string]orgs.Position
}

func newDeliverer() *deliverer {
	raw := make([]byte, 8)
	_, _ = rand.Read(raw)
	return &deliverer{owner: "deliverer-" + hex.EncodeToString(raw), heads: map[string]orgs.Position{}}
}

// DeliverWebhooks runs the replica's deliverer until ctx ends.
func (s *Server) DeliverWebhooks(ctx context.Context) {
	ticker := time.NewTicker(deliverPeriod)
	defer ticker.Stop()
	for {
		if s.DeliverOnce(ctx) > 0 && ctx.Err() == nil {
			continue // there may be more due at once
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// DeliverOnce makes one round of the deliverer: wakes the idle endpoints
// if the feed moved, claims the due ones and sends each one's next
// delivery. It says how many endpoints it served.
func (s *Server) DeliverOnce(ctx context.Context) int {
	dl := s.deliverer
	dl.mu.Lock()
	defer dl.mu.Unlock()
	s.wakeEndpoints(ctx, dl.heads)
	// Claiming takes a write transaction: only when a read finds work.
	due, err := s.orgs.AnyDue(ctx, schema.Now())
	var claimed []*ent.WebhookEndpoint
	if err == nil && due {
		err = s.db.Tx(ctx, func(tx *ent.Tx) (err error) {
			claimed, err = s.orgs.ClaimEndpoints(ctx, tx, dl.owner, schema.Now(), s.webhookLease, endpointsPerClaim)
			return err
		})
	}
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "claiming webhook endpoints failed; the deliverer tries again", "error", err.Error())
	}
	var wg sync.WaitGroup
	for _, ep := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliverNext(ctx, dl.owner, ep)
		}()
	}
	wg.Wait()
	return len(claimed)
}

// wakeEndpoints makes the idle endpoints of a mode due when its feed has
// moved since the last look.
func (s *Server) wakeEndpoints(ctx context.Context, heads map[string]orgs.Position) {
	for _, mode := range []string{"live", "test"} {
		head, err := s.orgs.Head(ctx, mode)
		if err != nil || head == heads[mode] {
			continue
		}
		if idle, err := s.orgs.AnyIdle(ctx, mode); err != nil || !idle {
			heads[mode] = head // nothing to wake; no write transaction
			continue
		}
		err = s.db.Tx(ctx, func(tx *ent.Tx) error { return s.orgs.WakeEndpoints(ctx, tx, mode, schema.Now()) })
		if err == nil {
			heads[mode] = head
		}
	}
}

// deliverNext sends a leased endpoint's next delivery and records the
// attempt.
func (s *Server) deliverNext(ctx context.Context, owner string, ep *ent.WebhookEndpoint) {
	var (
		d *ent.WebhookDelivery
		e *ent.Event
	)
	err := s.db.Tx(ctx, func(tx *ent.Tx) (err error) {
		d, e, err = s.orgs.NextDelivery(ctx, tx, ep, schema.Now())
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "reading a webhook endpoint's next delivery failed", "endpoint", ep.ID.String(), "error", err.Error())
		}
		return
	}
	if d == nil {
		return
	}
	attempt := schema.DeliveryAttempt{At: schema.Now()}
	secret, err := s.secrets.Open(ep.SecretSealed, secretContext(ep.ID))
	if err != nil {
		attempt.Error = "The endpoint's signing secret cannot be opened with this server's secrets key: rotate the secret."
	} else {
		res := s.sender.Send(ctx, ep.URL, string(secret), d.ID.String(), s.eventBody(e))
		if ctx.Err() != nil {
			return // stopping: the lease runs out and the event is sent again
		}
		attempt.DurationMS = res.Duration.Milliseconds()
		attempt.ResponseStatus = res.Status
		attempt.Success = res.Success
		switch {
		case res.Err != nil:
			attempt.Error = res.Err.Error()
		case !res.Success:
			attempt.Error = fmt.Sprintf("The endpoint answered %d; only a 2xx answer is success.", res.Status)
		}
	}
	err = s.db.Tx(ctx, func(tx *ent.Tx) error {
		held, err := s.orgs.RecordAttempt(ctx, tx, owner, ep.ID, d, attempt, mrand.Float64())
		if err == nil && !held {
			s.log.WarnContext(ctx, "a webhook delivery outlasted its lease; another deliverer sends it again", "endpoint", ep.ID.String(), "delivery", d.ID.String())
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "recording a webhook attempt failed; the delivery is sent again", "endpoint", ep.ID.String(), "error", err.Error())
	}
}

// eventBody is a delivery's body: the event's document, as the feed
// serves it.
func (s *Server) eventBody(e *ent.Event) []byte {
	n := s.revealedEventNode(e)
	n.Context = hydra.ContextsPath + hydra.Event.Name
	return n.AppendJSON(make([]byte, 0, 1024), hydra.LinkedData)
}
