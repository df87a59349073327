package handlers

import (
	"net/http"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	q, err := listQuery(r, hydra.Role)
	if err != nil {
		return err
	}
	if err := s.aliasQuery(r, &q); err != nil {
		return err
	}
	query := s.db.Role.Query().Where(visibleThrough(p))
	if id, ok, err := filterID(q, "organization", hydra.Organization); err != nil {
		return err
	} else if ok {
		query.Where(role.OrganizationID(id))
	}
	return s.writePage(w, r, hydra.Role, q,
		func() (int, error) { return query.Clone().Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			list, err := query.Clone().Order(orderBy[role.OrderOption](q)...).Offset(offset).Limit(limit).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			nodes := make([]*hydra.Node, len(list))
			for i, ro := range list {
				nodes[i] = roleNode(ro)
			}
			return nodes, len(nodes), nil
		})
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	ro, err := found(s.db.Role.Query().Where(role.ID(id), visibleThrough(p)).Only(ctx))
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, roleNode(ro))
}

func roleNode(ro *ent.Role) *hydra.Node {
	perms := schema.RolePermissions[string(ro.Slug)]
	names := make([]string, len(perms))
	for i, p := range perms {
		names[i] = string(p)
	}
	return hydra.NewNode(hydra.Role, hydra.Role.IRI(ro.ID.String())).
		Set("id", ro.ID.String()).
		Set("organization", hydra.Organization.IRI(ro.OrganizationID.String())).
		Set("slug", string(ro.Slug)).
		Set("name", ro.Name).
		Set("description", ro.Description).
		Set("permissions", names).
		Set("created_at", ro.CreatedAt)
}
