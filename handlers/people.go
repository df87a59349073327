package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	q, err := listQuery(r, hydra.Member)
	if err != nil {
		return err
	}
	query := s.db.Member.Query().Where(visibleThrough(p))
	if id, ok, err := filterID(q, "organization", hydra.Organization); err != nil {
		return err
	} else if ok {
		query.Where(member.OrganizationID(id))
		cacheScope(w, id)
	}
	if role, ok, err := filterEnum(q, "role", hydra.Member.Prop("role").Enum); err != nil {
		return err
	} else if ok {
		query.Where(member.RoleEQ(member.Role(role)))
	}
	if email, ok, err := filterEmail(q, "email"); err != nil {
		return err
	} else if ok {
		query.Where(member.HasUserWith(user.Email(email)))
	}
	return s.writePage(w, r, hydra.Member, q,
		func() (int, error) { return query.Clone().Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			ms, err := query.Clone().WithUser().Order(orderBy[member.OrderOption](q)...).Offset(offset).Limit(limit).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			nodes := make([]*hydra.Node, len(ms))
			for i, m := range ms {
				nodes[i] = memberNode(m)
			}
			return nodes, len(nodes), nil
		})
}

// filterEmail reads a filter whose value is an email address, in the
// spelling users' emails are stored in (mailaddr): any spelling of an
// address finds it, and a value that is no address is a 400 rather than a
// look-alike's match.
func filterEmail(q hydra.Query, name string) (string, bool, error) {
	v, ok := q.Filters[name]
	if !ok {
		return "", false, nil
	}
	email, err := mailaddr.Normalize(v)
	if err != nil {
		return "", false, problems.BadRequest(fmt.Sprintf("The %q parameter must be a valid email address, %+q given.", name, v))
	}
	return email, true, nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	m, err := s.findMember(ctx, s.db.Client, r, p)
	if err != nil {
		return err
	}
	cacheScope(w, m.OrganizationID)
	return s.writeItem(w, r, http.StatusOK, memberNode(m))
}

func (s *Server) findMember(ctx context.Context, c *ent.Client, r *http.Request, p *principal) (*ent.Member, error) {
	id, ok := routeID(r)
	if !ok {
		return nil, problems.NotFound()
	}
	return found(c.Member.Query().
		Where(member.ID(id), visibleThrough(p)).
		WithUser().
		Only(ctx))
}

// lockMember finds a visible membership, enters its organization (locked)
// and reads the membership again under the lock.
func (s *Server) lockMember(ctx context.Context, tx *ent.Tx, r *http.Request, p *principal) (*ent.Member, scope, error) {
	m, err := s.findMember(ctx, tx.Client(), r, p)
	if err != nil {
		return nil, scope{}, err
	}
	sc, err := s.enter(ctx, tx, p, m.OrganizationID)
	if err != nil {
		return nil, scope{}, err
	}
	m, err = s.findMember(ctx, tx.Client(), r, p)
	return m, sc, err
}

// mayChange: owners are managed by owners only; anyone else by those who
// manage members.
func mayChange(sc scope, target *ent.Member, newRole member.Role) error {
	if target.Role == member.RoleOwner || newRole == member.RoleOwner {
		return sc.can(schema.ManageOwners)
	}
	return sc.can(schema.ManageMembers)
}

// keepAnOwner is the last-owner rule: run it under the organization's lock,
// so that two owners demoting each other at once leave one owner.
func keepAnOwner(ctx context.Context, tx *ent.Tx, target *ent.Member) error {
	if target.Role != member.RoleOwner {
		return nil
	}
	owners, err := tx.Member.Query().Where(member.OrganizationID(target.OrganizationID), member.RoleEQ(member.RoleOwner)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if owners <= 1 {
		return violation("role", "An organization must keep at least one owner: promote another member to owner first.", problems.CodeLastOwner)
	}
	return nil
}

func (s *Server) patchMember(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if err := negotiateEarly(r); err != nil {
		return err
	}
	body, err := readBody(w, r, patchTypes)
	if err != nil {
		return err
	}
	var m *ent.Member
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		target, sc, err := s.lockMember(ctx, tx, r, p)
		if err != nil {
			return err
		}
		m = target
		if err := sc.active(); err != nil {
			return err
		}
		if err := mayChange(sc, target, target.Role); err != nil {
			return err
		}
		if err := s.precondition(r, memberNode(target)); err != nil {
			return err
		}
		in, err := s.decode(r, hydra.Member, body, false)
		if err != nil {
			return err
		}
		newRole, ok := in.String("role")
		if !ok || member.Role(newRole) == target.Role {
			return nil
		}
		if err := mayChange(sc, target, member.Role(newRole)); err != nil {
			return err
		}
		if err := keepAnOwner(ctx, tx, target); err != nil {
			return err
		}
		user := target.Edges.User
		if m, err = tx.Member.UpdateOne(target).SetRole(member.Role(newRole)).Save(ctx); err != nil {
			return fmt.Errorf("update member: %w", err)
		}
		m.Edges.User = user
		return revokeBeyondPower(ctx, tx, target.OrganizationID, target.UserID, newRole, schema.Now())
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, memberNode(m))
}

// deleteMember removes a member, or lets the caller leave (their own
// membership needs no permission, only another owner).
func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		target, sc, err := s.lockMember(ctx, tx, r, p)
		if err != nil {
			return err
		}
		if err := sc.active(); err != nil {
			return err
		}
		if target.UserID != p.User.ID {
			if err := mayChange(sc, target, target.Role); err != nil {
				return err
			}
		}
		if err := s.precondition(r, memberNode(target)); err != nil {
			return err
		}
		if err := keepAnOwner(ctx, tx, target); err != nil {
			return err
		}
		if err := tx.Member.DeleteOne(target).Exec(ctx); err != nil {
			return fmt.Errorf("delete member: %w", err)
		}
		return revokeBeyondPower(ctx, tx, target.OrganizationID, target.UserID, "", schema.Now())
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func memberNode(m *ent.Member) *hydra.Node {
	n := hydra.NewNode(hydra.Member, hydra.Member.IRI(m.ID.String())).
		Set("id", m.ID.String()).
		Set("organization", hydra.Organization.IRI(m.OrganizationID.String())).
		Set("user", hydra.User.IRI(m.UserID.String())).
		Set("role", string(m.Role)).
		Set("joined_at", m.JoinedAt)
	if u := m.Edges.User; u != nil {
		n.Set("email", u.Email).Set("name", u.Name)
	}
	return n
}

// getUser answers for the caller only: other users are a 404.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	p := caller(r.Context())
	if mux.Vars(r)["id"] != p.User.ID.String() {
		return problems.NotFound()
	}
	return s.writeItem(w, r, http.StatusOK, userNode(p.User))
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	return s.writeItem(w, r, http.StatusOK, userNode(caller(r.Context()).User))
}

func userNode(u *ent.User) *hydra.Node {
	return hydra.NewNode(hydra.User, hydra.User.IRI(u.ID.String())).
		Set("id", u.ID.String()).
		Set("email", u.Email).
		Set("name", u.Name).
		Set("created_at", u.CreatedAt)
}
