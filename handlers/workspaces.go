package handlers

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
)

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Workspace)
	if err != nil {
		return err
	}
	if err := s.aliasQuery(r, &q); err != nil {
		return err
	}
	f := orgs.WorkspaceFilter{Name: q.Filters["name"]}
	if f.Organization, _, err = filterID(q, "organization", hydra.Organization); err != nil {
		return err
	}
	return writePage(s, w, r, hydra.Workspace, q, s.orgs.Workspaces(callerOf(r), f, order(q)), eachNode(workspaceNode))
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.Workspace, s.workspaceItem)(w, r)
}

// createWorkspace serves POST /api/workspaces and its alias
// POST /api/organizations/{id}/workspaces.
func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	return s.createOwned(w, r, hydra.Workspace, func(ctx context.Context, sc *orgs.Scope, in hydra.Input) (*hydra.Node, error) {
		name, _ := in.String("name")
		ws, err := sc.CreateWorkspace(ctx, name)
		if err != nil {
			return nil, err
		}
		return workspaceDocument(sc.Standing(), ws), nil
	})
}

func (s *Server) patchWorkspace(w http.ResponseWriter, r *http.Request) error {
	return patchOwned(s, w, r, hydra.Workspace, s.enterWorkspace, func(ctx context.Context, sc *orgs.Scope, ws *ent.Workspace, in hydra.Input) (*hydra.Node, error) {
		if name, ok := in.String("name"); ok {
			var err error
			if ws, err = sc.RenameWorkspace(ctx, ws, name); err != nil {
				return nil, err
			}
		}
		return workspaceDocument(sc.Standing(), ws), nil
	})
}

func (s *Server) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	return s.deleteItem(func(tx *ent.Tx, r *http.Request, id uuid.UUID) error {
		sc, ws, err := s.enterWorkspace(tx, r, id)
		if err != nil {
			return err
		}
		return sc.DeleteWorkspace(r.Context(), ws)
	})(w, r)
}

// enterWorkspace enters a workspace's organization for a change of the
// workspace, then checks the request's precondition against it.
func (s *Server) enterWorkspace(tx *ent.Tx, r *http.Request, id uuid.UUID) (*orgs.Scope, *ent.Workspace, error) {
	sc, ws, err := s.orgs.EnterWorkspace(r.Context(), tx, callerOf(r), id)
	if err != nil {
		return nil, nil, err
	}
	return sc, ws, s.precondition(r, workspaceDocument(sc.Standing(), ws))
}

func workspaceNode(ws *ent.Workspace) *hydra.Node {
	return hydra.NewNode(hydra.Workspace, hydra.Workspace.IRI(ws.ID.String())).
		Set("id", ws.ID.String()).
		Set("organization", hydra.Organization.IRI(ws.OrganizationID.String())).
		Set("name", ws.Name).
		Set("created_at", ws.CreatedAt).
		Set("updated_at", ws.UpdatedAt)
}
