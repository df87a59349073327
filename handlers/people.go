package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Member)
	if err != nil {
		return err
	}
	var f orgs.MemberFilter
	if id, ok, err := filterID(q, "organization", hydra.Organization); err != nil {
		return err
	} else if ok {
		f.Organization = id
		cacheScope(w, id)
	}
	if f.Role, _, err = filterSlug(q, "role"); err != nil {
		return err
	}
	if f.Status, _, err = filterEnum(q, "status", hydra.Member.Prop("status").Enum); err != nil {
		return err
	}
	if f.Email, _, err = filterEmail(q, "email"); err != nil {
		return err
	}
	f.ExternalID, f.Metadata = q.Filters["external_id"], q.Metadata
	c := callerOf(r)
	return writePage(s, w, r, hydra.Member, q, s.orgs.Members(c, f, order(q)), eachNode(func(m *ent.Member) *hydra.Node { return memberNodeFor(c, m) }))
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
	return getItem(s, s.orgs.Member, func(r *http.Request, m *ent.Member) (*hydra.Node, error) {
		cacheScope(w, m.OrganizationID)
		return s.memberItem(r, m)
	})(w, r)
}

func (s *Server) patchMember(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, body, err := readPatch(w, r)
	if err != nil {
		return err
	}
	var m *ent.Member
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, target, err := s.enterMemberToChange(ctx, tx, r, id, (*orgs.Scope).MayChangeMember)
		if err != nil {
			return err
		}
		m = target
		in, err := s.decode(r, hydra.Member, body, false)
		if err != nil {
			return err
		}
		if role, ok := in.String("role"); ok {
			if m, err = sc.ChangeRole(ctx, m, role); err != nil {
				return err
			}
		}
		if platform := platformOf(in); platform.Sent() {
			m, err = sc.UpdateMemberPlatform(ctx, m, platform)
		}
		return err
	})
	if err != nil {
		return err
	}
	// Read again: a member who changed their own role changed what they
	// may do.
	n, err := s.memberItem(r, m)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

// deleteMember removes a member, or lets the caller leave (their own
// membership needs no permission, only another owner).
func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		sc, target, err := s.enterMemberToChange(ctx, tx, r, id, (*orgs.Scope).MayRemoveMember)
		if err != nil {
			return err
		}
		return sc.RemoveMember(ctx, target)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// enterMemberToChange enters the organization of the route's membership
// for a write and reads the membership under its lock, checks the write's
// rule (a 403 before a 412), then If-Match against the member's document as
// the caller reads it.
func (s *Server) enterMemberToChange(ctx context.Context, tx *ent.Tx, r *http.Request, id uuid.UUID,
	may func(*orgs.Scope, *ent.Member) error) (*orgs.Scope, *ent.Member, error) {
	sc, target, err := s.orgs.EnterMember(ctx, tx, callerOf(r), id)
	if err != nil {
		return nil, nil, err
	}
	if err := may(sc, target); err != nil {
		return nil, nil, err
	}
	if err := s.precondition(r, memberDocument(sc.Standing(), target)); err != nil {
		return nil, nil, err
	}
	return sc, target, nil
}

// deactivateMember serves POST /api/members/{id}/deactivate.
func (s *Server) deactivateMember(w http.ResponseWriter, r *http.Request) error {
	return s.changeMemberStatus(w, r, (*orgs.Scope).DeactivateMember)
}

// reactivateMember serves POST /api/members/{id}/reactivate.
func (s *Server) reactivateMember(w http.ResponseWriter, r *http.Request) error {
	return s.changeMemberStatus(w, r, (*orgs.Scope).ReactivateMember)
}

// changeMemberStatus runs a member's status action under the lock of the
// member's organization, If-Match compared with the member's document as
// the caller reads it, and answers the member after the change.
func (s *Server) changeMemberStatus(w http.ResponseWriter, r *http.Request,
	change func(*orgs.Scope, context.Context, *ent.Member) (*ent.Member, error)) error {
	ctx := r.Context()
	if err := negotiateEarly(r); err != nil {
		return err
	}
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	var n *hydra.Node
	err := s.answeringTx(r, func(tx *ent.Tx) error {
		sc, target, err := s.enterMemberToChange(ctx, tx, r, id, (*orgs.Scope).MayDeactivateMember)
		if err != nil {
			return err
		}
		changed, err := change(sc, ctx, target)
		if err == nil {
			n = memberDocument(sc.Standing(), changed)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

func memberNode(m *ent.Member) *hydra.Node {
	id := m.ID.String()
	n := hydra.NewNode(hydra.Member, hydra.Member.IRI(id)).
		Set("id", id).
		Set("organization", hydra.Organization.IRI(m.OrganizationID.String())).
		Set("user", hydra.User.IRI(m.UserID.String())).
		Set("role", string(m.Role)).
		Set("status", string(m.Status)).
		Set("joined_at", m.JoinedAt)
	if m.DeactivatedAt != nil {
		n.Set("deactivated_at", *m.DeactivatedAt)
	}
	if u := m.Edges.User; u != nil {
		n.Set("email", u.Email).Set("name", u.Name)
	}
	setPlatform(n, m.ExternalID, m.Metadata)
	return n
}

// memberNodeFor is memberNode as a caller reads it: with its private
// metadata for an operator.
func memberNodeFor(c orgs.Caller, m *ent.Member) *hydra.Node {
	n := memberNode(m)
	if c.Operator() {
		setPrivateMetadata(n, m.PrivateMetadata)
	}
	return n
}

// getUser answers the caller's own user, or any user to an operator;
// other users are a 404.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.User, infallible(func(r *http.Request, u *ent.User) *hydra.Node { return userNodeFor(callerOf(r), u) }))(w, r)
}

// patchUser changes a user: their name and metadata by themself, anything
// by an operator (orgs.UpdateUser).
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, body, err := readPatch(w, r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	var u *ent.User
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		current, err := s.orgs.UserIn(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if err := s.precondition(r, userNodeFor(c, current)); err != nil {
			return err
		}
		in, err := s.decode(r, hydra.User, body, false)
		if err != nil {
			return err
		}
		ch := orgs.UserChange{Platform: platformOf(in)}
		if in.Has("name") {
			name, _ := in.String("name") // null clears it, as ""
			ch.Name = &name
		}
		u, err = s.orgs.UpdateUser(ctx, tx, c, id, ch)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, userNodeFor(c, u))
}

// listUsers lists every user to an operator, the caller to anyone else.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.User)
	if err != nil {
		return err
	}
	c := callerOf(r)
	users := s.orgs.Users(c, orgs.UserFilter{Email: q.Filters["email"], Name: q.Filters["name"], ExternalID: q.Filters["external_id"], Metadata: q.Metadata}, order(q))
	return writePage(s, w, r, hydra.User, q, users, eachNode(func(u *ent.User) *hydra.Node { return userNodeFor(c, u) }))
}

// createUser makes a user, for an operator.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, err := s.decodeCreate(w, r, hydra.User)
	if err != nil {
		return err
	}
	email, _ := in.String("email")
	name, _ := in.String("name")
	var u *ent.User
	err = s.answeringTx(r, func(tx *ent.Tx) (err error) {
		u, err = s.orgs.CreateUser(ctx, tx, callerOf(r), email, name)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, userNodeFor(callerOf(r), u))
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	// Read again: the key's user is the one authentication read (and may
	// have kept), not necessarily what the last PATCH left.
	c := callerOf(r)
	u, err := s.orgs.User(r.Context(), c, c.User.ID)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, userNodeFor(c, u))
}

func userNode(u *ent.User) *hydra.Node {
	n := hydra.NewNode(hydra.User, hydra.User.IRI(u.ID.String())).
		Set("id", u.ID.String()).
		Set("email", u.Email).
		Set("name", u.Name).
		Set("created_at", u.CreatedAt)
	setPlatform(n, u.ExternalID, u.Metadata)
	return n
}

// userNodeFor is userNode as a caller reads it: with its private metadata
// for an operator.
func userNodeFor(c orgs.Caller, u *ent.User) *hydra.Node {
	n := userNode(u)
	if c.Operator() {
		setPrivateMetadata(n, u.PrivateMetadata)
	}
	return n
}
