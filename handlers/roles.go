package handlers

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
)

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Role)
	if err != nil {
		return err
	}
	if err := s.aliasQuery(r, &q); err != nil {
		return err
	}
	org, _, err := filterID(q, "organization", hydra.Organization)
	if err != nil {
		return err
	}
	return writePage(s, w, r, hydra.Role, q, s.orgs.Roles(callerOf(r), org, order(q)), eachNode(roleNode))
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.Role, s.roleItem)(w, r)
}

// createRole serves POST /api/roles: a custom role.
func (s *Server) createRole(w http.ResponseWriter, r *http.Request) error {
	return s.createOwned(w, r, hydra.Role, func(ctx context.Context, sc *orgs.Scope, in hydra.Input) (*hydra.Node, error) {
		spec := orgs.RoleSpec{Permissions: permissionsOf(in)}
		spec.Slug, _ = in.String("slug")
		spec.Name, _ = in.String("name")
		spec.Description, _ = in.String("description")
		ro, err := sc.CreateRole(ctx, spec)
		if err != nil {
			return nil, err
		}
		return roleDocument(sc.Standing(), ro), nil
	})
}

func (s *Server) patchRole(w http.ResponseWriter, r *http.Request) error {
	return patchOwned(s, w, r, hydra.Role, s.enterRole, func(ctx context.Context, sc *orgs.Scope, ro *ent.Role, in hydra.Input) (*hydra.Node, error) {
		var ch orgs.RoleChange
		if name, ok := in.String("name"); ok {
			ch.Name = &name
		}
		if in.Has("description") {
			d, _ := in.String("description")
			ch.Description = &d
		}
		if in.Has("permissions") {
			perms := permissionsOf(in)
			ch.Permissions = &perms
		}
		ro, err := sc.UpdateRole(ctx, ro, ch)
		if err != nil {
			return nil, err
		}
		return roleDocument(sc.Standing(), ro), nil
	})
}

// deleteRole serves DELETE /api/roles/{id}[?replacement=slug]: the
// members and invitations holding the role move to the replacement.
func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	return s.deleteItem(func(tx *ent.Tx, r *http.Request, id uuid.UUID) error {
		sc, ro, err := s.enterRole(tx, r, id)
		if err != nil {
			return err
		}
		return sc.DeleteRole(r.Context(), ro, r.URL.Query().Get("replacement"))
	})(w, r)
}

// enterRole enters a role's organization for a change of the role, then
// checks the request's precondition against it.
func (s *Server) enterRole(tx *ent.Tx, r *http.Request, id uuid.UUID) (*orgs.Scope, *ent.Role, error) {
	sc, ro, err := s.orgs.EnterRole(r.Context(), tx, callerOf(r), id)
	if err != nil {
		return nil, nil, err
	}
	return sc, ro, s.precondition(r, roleDocument(sc.Standing(), ro))
}

// permissionsOf reads a body's permissions (the decoder has checked each
// is one of the catalogue's).
func permissionsOf(in hydra.Input) []schema.Permission {
	names := in.Strings("permissions")
	out := make([]schema.Permission, len(names))
	for i, name := range names {
		out[i] = schema.Permission(name)
	}
	return out
}

// roleItem is a role's document as the caller reads it.
func (s *Server) roleItem(r *http.Request, ro *ent.Role) (*hydra.Node, error) {
	st, ok, err := s.standing(r, ro.OrganizationID)
	if err != nil || !ok {
		return roleNode(ro), err
	}
	return roleDocument(st, ro), nil
}

// roleDocument is roleNode with PATCH and DELETE when the standing may
// change the role (a custom role within the reader's permissions).
func roleDocument(st orgs.Standing, ro *ent.Role) *hydra.Node {
	n := roleNode(ro)
	n.Operations = allowed(st.MayChangeRole(ro), rolePatch|roleDelete)
	return n
}

func roleNode(ro *ent.Role) *hydra.Node {
	perms := orgs.PermissionsOf(ro)
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = string(p)
	}
	return hydra.NewNode(hydra.Role, hydra.Role.IRI(ro.ID.String())).
		Set("id", ro.ID.String()).
		Set("organization", hydra.Organization.IRI(ro.OrganizationID.String())).
		Set("slug", ro.Slug).
		Set("name", ro.Name).
		Set("description", ro.Description).
		Set("permissions", names).
		Set("default", schema.IsDefaultRole(ro.Slug)).
		Set("created_at", ro.CreatedAt)
}
