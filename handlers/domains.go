package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Domain)
	if err != nil {
		return err
	}
	var f orgs.DomainFilter
	if f.Organization, _, err = filterID(q, "organization", hydra.Organization); err != nil {
		return err
	}
	if f.Status, _, err = filterEnum(q, "status", hydra.Domain.Prop("status").Enum); err != nil {
		return err
	}
	return writePage(s, w, r, hydra.Domain, q, s.orgs.Domains(callerOf(r), f, order(q)), eachNode(domainNode))
}

func (s *Server) getDomain(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.Domain, s.domainItem)(w, r)
}

// createDomain serves POST /api/domains: a claim, pending until verified.
func (s *Server) createDomain(w http.ResponseWriter, r *http.Request) error {
	return s.createOwned(w, r, hydra.Domain, func(ctx context.Context, sc *orgs.Scope, in hydra.Input) (*hydra.Node, error) {
		var claim orgs.DomainClaim
		claim.Domain, _ = in.String("domain")
		claim.Enrollment, _ = in.String("enrollment")
		claim.Role, _ = in.String("role")
		d, err := sc.ClaimDomain(ctx, claim)
		if err != nil {
			return nil, err
		}
		return domainDocument(sc.Standing(), d), nil
	})
}

func (s *Server) patchDomain(w http.ResponseWriter, r *http.Request) error {
	return patchOwned(s, w, r, hydra.Domain, s.enterDomain, func(ctx context.Context, sc *orgs.Scope, d *ent.Domain, in hydra.Input) (*hydra.Node, error) {
		var ch orgs.DomainChange
		if v, ok := in.String("enrollment"); ok && v != "" {
			ch.Enrollment = &v
		}
		if v, ok := in.String("role"); ok && v != "" {
			ch.Role = &v
		}
		d, err := sc.UpdateDomain(ctx, d, ch)
		if err != nil {
			return nil, err
		}
		return domainDocument(sc.Standing(), d), nil
	})
}

func (s *Server) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	return s.deleteItem(func(tx *ent.Tx, r *http.Request, id uuid.UUID) error {
		sc, d, err := s.enterDomain(tx, r, id)
		if err != nil {
			return err
		}
		return sc.DeleteDomain(r.Context(), d)
	})(w, r)
}

// verifyDomain serves POST /api/domains/{id}/verify: the permission is
// checked, the DNS looked up outside any transaction (a write never waits
// on DNS), then the outcome recorded under the organization's lock, with
// If-Match compared to the domain as it was.
func (s *Server) verifyDomain(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := negotiateEarly(r); err != nil {
		return err
	}
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	c := callerOf(r)
	d, err := s.orgs.Domain(ctx, c, id)
	if err != nil {
		return err
	}
	st, err := s.orgs.Standing(ctx, c, d.OrganizationID)
	if err != nil {
		return err
	}
	if err := st.MayManageDomains(); err != nil {
		return err
	}
	check := s.orgs.CheckDNS(ctx, d)
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, d, err := s.enterDomain(tx, r, id)
		if err != nil {
			return err
		}
		if d, err = sc.RecordCheck(ctx, d, check); err != nil {
			return err
		}
		n = domainDocument(sc.Standing(), d)
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

// enterDomain enters a domain's organization for a change of the domain
// (the caller must manage its domains), then checks the request's
// precondition against it.
func (s *Server) enterDomain(tx *ent.Tx, r *http.Request, id uuid.UUID) (*orgs.Scope, *ent.Domain, error) {
	sc, d, err := s.orgs.EnterDomain(r.Context(), tx, callerOf(r), id)
	if err != nil {
		return nil, nil, err
	}
	return sc, d, s.precondition(r, domainDocument(sc.Standing(), d))
}

// domainItem is a domain's document as the caller reads it.
func (s *Server) domainItem(r *http.Request, d *ent.Domain) (*hydra.Node, error) {
	st, ok, err := s.standing(r, d.OrganizationID)
	if err != nil || !ok {
		return domainNode(d), err
	}
	return domainDocument(st, d), nil
}

// domainDocument is domainNode with PATCH, DELETE and verify when the
// standing manages domains.
func domainDocument(st orgs.Standing, d *ent.Domain) *hydra.Node {
	n := domainNode(d)
	n.Operations = allowed(st.MayManageDomains(), domainPatch|domainDelete|domainVerify)
	return n
}

func domainNode(d *ent.Domain) *hydra.Node {
	n := hydra.NewNode(hydra.Domain, hydra.Domain.IRI(d.ID.String())).
		Set("id", d.ID.String()).
		Set("organization", hydra.Organization.IRI(d.OrganizationID.String())).
		Set("domain", d.Domain).
		Set("mode", string(d.Mode)).
		Set("status", string(d.Status)).
		Set("verification_token", d.VerificationToken).
		Set("verification_record", orgs.ChallengePrefix+d.Domain).
		Set("enrollment", string(d.Enrollment)).
		Set("role", d.Role).
		Set("failure", d.Failure)
	if d.VerifiedAt != nil {
		n.Set("verified_at", *d.VerifiedAt)
	}
	if d.CheckedAt != nil {
		n.Set("checked_at", *d.CheckedAt)
	}
	return n.Set("created_at", d.CreatedAt).Set("updated_at", d.UpdatedAt)
}

// Domains are checked again periodically: pending and failed ones every
// DomainPendingRecheck (a record published later verifies them), verified
// ones every DomainVerifiedRecheck (a record taken down ends their
// enrollment), at most domainsPerRecheck per round.
const (
	DomainPendingRecheck  = time.Hour
	DomainVerifiedRecheck = 24 * time.Hour
	domainsPerRecheck     = 50
	domainRecheckPeriod   = 5 * time.Minute
)

// RecheckDomains checks the domains due a check until ctx ends (serve
// runs it).
func (s *Server) RecheckDomains(ctx context.Context) {
	tick := time.NewTicker(domainRecheckPeriod)
	defer tick.Stop()
	for {
		if _, err := s.RecheckDueDomains(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("domain re-check", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RecheckDueDomains checks once the domains due a check, each looked up
// outside any transaction and recorded in its own, and says how many it
// checked.
func (s *Server) RecheckDueDomains(ctx context.Context) (int, error) {
	due, err := s.orgs.DomainsToRecheck(ctx, s.now(), DomainPendingRecheck, DomainVerifiedRecheck, domainsPerRecheck)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		check := s.orgs.CheckDNS(ctx, d)
		err := s.db.Tx(ctx, func(tx *ent.Tx) error {
			sc, d, err := s.orgs.EnterDomainAsSystem(ctx, tx, d.ID)
			if err != nil {
				return err
			}
			_, err = sc.RecordCheck(ctx, d, check)
			return err
		})
		// Gone since, or verified by another organization first: nothing
		// to say.
		var broken orgs.Violations
		if err != nil && !errors.Is(err, orgs.ErrNotFound) && !errors.As(err, &broken) {
			s.log.Warn("domain re-check", slog.String("domain", d.Domain), slog.String("error", err.Error()))
		}
	}
	return len(due), nil
}
