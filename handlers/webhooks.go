package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/webhooks"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// Webhook endpoints and deliveries over HTTP (the deliverer is in
// webhookdelivery.go).

// secretContext binds a sealed secret to its endpoint: a sealed value
// copied to another row does not open.
func secretContext(id uuid.UUID) string { return "webhook-endpoint:" + id.String() }

// newSealedSecret makes an endpoint's signing secret, sealed for the
// database; 503 when the server has no secrets key to seal it with.
func (s *Server) newSealedSecret(id uuid.UUID) (secret string, sealed []byte, err error) {
	if s.secrets.IsZero() {
		return "", nil, problems.New(http.StatusServiceUnavailable, "Webhooks are not configured on this server: it needs a secrets key to keep signing secrets (serve --secrets-key).")
	}
	secret = webhooks.NewSecret()
	return secret, s.secrets.Seal([]byte(secret), secretContext(id)), nil
}

// checkURL is the rule of an endpoint's URL, which takes the network
// (the host must resolve to public addresses).
func (s *Server) checkURL(r *http.Request, url string) error {
	err := s.sender.CheckURL(r.Context(), url)
	var bad *webhooks.URLError
	if errors.As(err, &bad) {
		return orgs.Violations{{Path: "url", Message: bad.Reason, Rule: orgs.RuleUnsafeURL}}
	}
	return err
}

// webhookInput reads an endpoint's writable properties from a body.
func webhookInput(in hydra.Input) orgs.WebhookInput {
	var out orgs.WebhookInput
	if v, ok := in.String("url"); ok {
		out.URL = &v
	}
	if in.Has("enabled_events") {
		out.EnabledEvents = in.Strings("enabled_events")
		if out.EnabledEvents == nil {
			out.EnabledEvents = []string{}
		}
	}
	if v, ok := in.String("description"); ok {
		out.Description = &v
	} else if in.Has("description") {
		empty := ""
		out.Description = &empty
	}
	if v, ok := in.String("status"); ok {
		out.Status = &v
	}
	return out
}

func (s *Server) listWebhookEndpoints(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.WebhookEndpoint)
	if err != nil {
		return err
	}
	org, _, err := filterID(q, "organization", hydra.Organization)
	if err != nil {
		return err
	}
	return writePage(s, w, r, hydra.WebhookEndpoint, q, s.orgs.WebhookEndpoints(callerOf(r), org, order(q)),
		eachNode(func(ep *ent.WebhookEndpoint) *hydra.Node { return webhookEndpointNode(ep, "") }))
}

func (s *Server) getWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.WebhookEndpoint, infallible(func(_ *http.Request, ep *ent.WebhookEndpoint) *hydra.Node { return webhookEndpointNode(ep, "") }))(w, r)
}

func (s *Server) createWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, err := s.decodeCreate(w, r, hydra.WebhookEndpoint)
	if err != nil {
		return err
	}
	input := webhookInput(in)
	if input.Status != nil {
		if v := orgs.CheckWebhookStatus(*input.Status); v != nil {
			return v
		}
	}
	if err := s.checkURL(r, *input.URL); err != nil {
		return err
	}
	// The id is chosen first: the sealed secret is bound to it.
	id := uuid.Must(uuid.NewV7())
	secret, sealed, err := s.newSealedSecret(id)
	if err != nil {
		return err
	}
	orgID, named := in.String("organization")
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		var sc *orgs.Scope
		if named {
			if sc, err = s.enterReferenced(ctx, tx, callerOf(r), orgID); err != nil {
				return err
			}
		}
		ep, err := s.orgs.CreateWebhookEndpoint(ctx, tx, callerOf(r), sc, id, input, sealed)
		if err == nil {
			n = webhookEndpointNode(ep, secret)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

// enterWebhookEndpoint enters an endpoint for a change (its organization's
// scope, nil for an operator's endpoint), then checks the request's
// precondition against it.
func (s *Server) enterWebhookEndpoint(tx *ent.Tx, r *http.Request, id uuid.UUID) (*orgs.Scope, *ent.WebhookEndpoint, error) {
	sc, ep, err := s.orgs.EnterWebhookEndpoint(r.Context(), tx, callerOf(r), id)
	if err != nil {
		return nil, nil, err
	}
	return sc, ep, s.precondition(r, webhookEndpointNode(ep, ""))
}

func (s *Server) patchWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, body, err := readPatch(w, r)
	if err != nil {
		return err
	}
	in, err := s.decode(r, hydra.WebhookEndpoint, body, false)
	if err != nil {
		return err
	}
	input := webhookInput(in)
	if input.Status != nil {
		if v := orgs.CheckWebhookStatus(*input.Status); v != nil {
			return v
		}
	}
	if input.URL != nil {
		if err := s.checkURL(r, *input.URL); err != nil {
			return err
		}
	}
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, ep, err := s.enterWebhookEndpoint(tx, r, id)
		if err != nil {
			return err
		}
		if ep, err = s.orgs.UpdateWebhookEndpoint(ctx, tx, callerOf(r), sc, ep, input); err == nil {
			n = webhookEndpointNode(ep, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

func (s *Server) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	return s.deleteItem(func(tx *ent.Tx, r *http.Request, id uuid.UUID) error {
		sc, ep, err := s.enterWebhookEndpoint(tx, r, id)
		if err != nil {
			return err
		}
		return s.orgs.DeleteWebhookEndpoint(r.Context(), tx, callerOf(r), sc, ep)
	})(w, r)
}

// rotateWebhookSecret seals the new secret before the transaction (the id
// is the route's), then answers with it, once.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	return s.itemAction(func(tx *ent.Tx, r *http.Request, id uuid.UUID) (*hydra.Node, error) {
		secret, sealed, err := s.newSealedSecret(id)
		if err != nil {
			return nil, err
		}
		sc, ep, err := s.orgs.EnterWebhookEndpoint(r.Context(), tx, callerOf(r), id)
		if err != nil {
			return nil, err
		}
		if ep, err = s.orgs.RotateWebhookSecret(r.Context(), tx, callerOf(r), sc, ep, sealed); err != nil {
			return nil, err
		}
		return webhookEndpointNode(ep, secret), nil
	})(w, r)
}

func webhookEndpointNode(ep *ent.WebhookEndpoint, secret string) *hydra.Node {
	n := hydra.NewNode(hydra.WebhookEndpoint, hydra.WebhookEndpoint.IRI(ep.ID.String())).Set("id", ep.ID.String())
	if ep.OrganizationID != nil {
		n.Set("organization", hydra.Organization.IRI(ep.OrganizationID.String()))
	}
	events := ep.EnabledEvents
	if events == nil {
		events = []string{}
	}
	return n.Set("url", ep.URL).
		Set("enabled_events", events).
		Set("description", ep.Description).
		Set("status", string(ep.Status)).
		Set("disabled_reason", ep.DisabledReason).
		Set("secret", secret).
		Set("mode", string(ep.Mode)).
		Set("created_at", ep.CreatedAt).
		Set("updated_at", ep.UpdatedAt)
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.WebhookDelivery)
	if err != nil {
		return err
	}
	var f orgs.WebhookDeliveryFilter
	if f.Endpoint, _, err = filterID(q, "endpoint", hydra.WebhookEndpoint); err != nil {
		return err
	}
	if f.Status, _, err = filterEnum(q, "status", hydra.WebhookDelivery.Prop("status").Enum); err != nil {
		return err
	}
	return writePage(s, w, r, hydra.WebhookDelivery, q, s.orgs.WebhookDeliveries(callerOf(r), f, order(q)), eachNode(webhookDeliveryNode))
}

func (s *Server) getWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.WebhookDelivery, infallible(func(_ *http.Request, d *ent.WebhookDelivery) *hydra.Node { return webhookDeliveryNode(d) }))(w, r)
}

func (s *Server) retryWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	return s.itemAction(func(tx *ent.Tx, r *http.Request, id uuid.UUID) (*hydra.Node, error) {
		ctx := r.Context()
		d, err := s.orgs.WebhookDeliveryIn(ctx, tx, callerOf(r), id)
		if err != nil {
			return nil, err
		}
		sc, _, err := s.orgs.EnterWebhookEndpoint(ctx, tx, callerOf(r), d.EndpointID)
		if err != nil {
			return nil, err
		}
		if d, err = s.orgs.RetryDelivery(ctx, tx, callerOf(r), sc, d); err != nil {
			return nil, err
		}
		return webhookDeliveryNode(d), nil
	})(w, r)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func webhookDeliveryNode(d *ent.WebhookDelivery) *hydra.Node {
	n := hydra.NewNode(hydra.WebhookDelivery, hydra.WebhookDelivery.IRI(d.ID.String())).
		Set("id", d.ID.String()).
		Set("endpoint", hydra.WebhookEndpoint.IRI(d.EndpointID.String()))
	if d.OrganizationID != nil {
		n.Set("organization", hydra.Organization.IRI(d.OrganizationID.String()))
	}
	attempts := make([]*hydra.Node, len(d.Attempts))
	for i, a := range d.Attempts {
		an := hydra.NewNode(hydra.WebhookAttempt, "").Set("at", a.At).Set("duration_ms", a.DurationMS).
			Set("error", a.Error).Set("success", a.Success)
		if a.ResponseStatus != 0 {
			an.Set("response_status", a.ResponseStatus)
		}
		if a.NextAttemptAt != nil {
			an.Set("next_attempt_at", *a.NextAttemptAt)
		}
		attempts[i] = an
	}
	n.Set("event", hydra.Event.IRI(itoa64(d.EventID))).
		Set("event_type", d.EventType).
		Set("status", string(d.Status)).
		Set("attempts", attempts)
	if d.NextAttemptAt != nil {
		n.Set("next_attempt_at", *d.NextAttemptAt)
	}
	return n.Set("mode", string(d.Mode)).Set("created_at", d.CreatedAt).Set("updated_at", d.UpdatedAt)
}
