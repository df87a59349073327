package handlers

import (
	"net/http"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
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
	return getItem(s, s.orgs.Role, infallible(func(_ *http.Request, ro *ent.Role) *hydra.Node { return roleNode(ro) }))(w, r)
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
