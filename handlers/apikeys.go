package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.APIKey)
	if err != nil {
		return err
	}
	var f orgs.APIKeyFilter
	if f.User, _, err = filterID(q, "user", hydra.User); err != nil {
		return err
	}
	return writePage(s, w, r, hydra.APIKey, q, s.orgs.APIKeys(callerOf(r), f, order(q)), eachNode(apiKeyNode))
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.APIKey, infallible(apiKeyItem))(w, r)
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, err := s.decodeCreate(w, r, hydra.APIKey)
	if err != nil {
		return err
	}
	k := orgs.NewAPIKey{}
	k.Name, _ = in.String("name")
	k.Scope, _ = in.String("scope")
	if id, ok := in.String("user"); ok {
		k.User, _ = uuid.Parse(id) // the decoder read it out of a User IRI
	}
	if t, ok := in.Time("expires_at"); ok {
		k.ExpiresAt = &t
	}
	var (
		key    *ent.APIKey
		secret orgs.Secret
	)
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		key, secret, err = s.orgs.CreateAPIKey(ctx, tx, callerOf(r), k)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, apiKeyItem(r, key).Set("secret", secret.Plain))
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	return s.itemAction(func(tx *ent.Tx, r *http.Request, id uuid.UUID) (*hydra.Node, error) {
		key, err := s.orgs.RevokeAPIKey(r.Context(), tx, callerOf(r), id)
		if err != nil {
			return nil, err
		}
		return apiKeyItem(r, key), nil
	})(w, r)
}

// rotateAPIKey takes an optional body: the grace period.
func (s *Server) rotateAPIKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	grace := orgs.DefaultRotationGrace
	if r.ContentLength != 0 {
		in, err := s.decodeCreate(w, r, hydra.APIKeyRotation)
		if err != nil {
			return err
		}
		if n, ok := in.Int("grace_period"); ok {
			grace = time.Duration(n) * time.Second
		}
	} else if err := negotiateEarly(r); err != nil {
		return err
	}
	var (
		key    *ent.APIKey
		secret orgs.Secret
	)
	err := s.answeringTx(r, func(tx *ent.Tx) (err error) {
		key, secret, err = s.orgs.RotateAPIKey(ctx, tx, callerOf(r), id, grace)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, apiKeyItem(r, key).Set("secret", secret.Plain))
}

// apiKeyItem is a key's document with the actions its reader may invoke
// (revoke while it is not revoked, rotate while it is active and no
// stronger than the reader's key), by the rules the actions check; none
// for a read-only key.
func apiKeyItem(r *http.Request, k *ent.APIKey) *hydra.Node {
	n := apiKeyNode(k)
	if p := caller(r.Context()); !p.readOnly() {
		n.Operations = allowed(orgs.MayRevokeAPIKey(k), apiKeyRevoke) | allowed(orgs.MayRotateAPIKey(p.Caller, k, time.Now()), apiKeyRotate)
	}
	return n
}

var (
	apiKeyRevoke = hydra.APIKey.Resource.Action("revoke")
	apiKeyRotate = hydra.APIKey.Resource.Action("rotate")
)

// shownOnce marks a request whose answer holds a secret shown once: that
// answer is never stored, so the request takes no Idempotency-Key.
func shownOnce(h handlerFunc) handlerFunc {
	return shownOnceTo(h, secretShown{shows: func(*principal) bool { return true }, refusal: errShownOnce})
}

// shownOnceToOperators marks a request whose answer holds a secret shown
// once to operator callers only (an invitation's accept token): theirs
// take no Idempotency-Key, everyone else's do.
func shownOnceToOperators(h handlerFunc) handlerFunc {
	return shownOnceTo(h, secretShown{shows: func(p *principal) bool { return p.ShowsAcceptToken() }, refusal: errTokenShownOnce})
}

// secretShown says to whom a request's answer shows a secret, and how
// idempotent refuses their Idempotency-Key.
type secretShown struct {
	shows   func(*principal) bool
	refusal error
}

func shownOnceTo(h handlerFunc, s secretShown) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(context.WithValue(r.Context(), shownOnceKey, s)))
	}
}

type shownOnceKeyType struct{}

var shownOnceKey shownOnceKeyType

// errShownOnce is the refusal of an Idempotency-Key on such a request.
var errShownOnce = problems.BadRequest("This request takes no Idempotency-Key: its answer holds a secret that is shown once and never stored, so it cannot be replayed. Send it without the header; if the answer is lost, revoke the key it made (the list shows it) and make another.")

// errTokenShownOnce refuses an operator's Idempotency-Key on sending an
// invitation.
var errTokenShownOnce = problems.BadRequest("An operator sends and resends invitations without an Idempotency-Key: the answer holds the invitation's accept token, which is shown once and never stored, so it cannot be replayed. If the answer is lost, resend the invitation (the list shows it): that issues a new token and voids the old.")

func apiKeyNode(k *ent.APIKey) *hydra.Node {
	n := hydra.NewNode(hydra.APIKey, hydra.APIKey.IRI(k.ID.String())).
		Set("id", k.ID.String()).
		Set("prefix", k.DisplayPrefix).
		Set("mode", string(k.Mode)).
		Set("scope", string(k.Scope)).
		Set("user", hydra.User.IRI(k.UserID.String())).
		Set("created_at", k.CreatedAt)
	if k.Name != "" {
		n.Set("name", k.Name)
	}
	for name, t := range map[string]*time.Time{"last_used_at": k.LastUsedAt, "expires_at": k.ExpiresAt, "revoked_at": k.RevokedAt} {
		if t != nil {
			n.Set(name, *t)
		}
	}
	return n
}
